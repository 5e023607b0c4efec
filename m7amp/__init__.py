"""m7amp: neural guitar-amp emulation on the STM32F767 and a simulated board to prove it.

Subpackages: ``sim`` (the F767 simulator), ``data`` (DI/amp pairs and built-in synthetic data),
``models`` (Keras WaveNet and RNN amp models), ``training``, ``export`` (model packages).
Heavy dependencies (TensorFlow) are imported lazily, so ``m7amp sim`` starts fast.
"""

import os as _os

__version__ = "0.1.0"

# Before TensorFlow is first imported anywhere: oneDNN's custom CPU kernels reorder float sums, which makes
# results depend on the machine's vector units; plain kernels keep training and export reproducible.
# INFO/WARNING chatter from TensorFlow's C++ side is hidden too. Both can be overridden from the environment.
_os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
