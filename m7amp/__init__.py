"""m7amp: neural guitar-amp emulation on the STM32F767 and a simulated board to prove it.

Subpackages: ``sim`` (the F767 simulator), ``data`` (DI/amp pairs and built-in synthetic data),
``models`` (Keras WaveNet and RNN amp models), ``training``, ``export`` (model packages).
Heavy dependencies (TensorFlow) are imported lazily, so ``m7amp sim`` starts fast.
"""

__version__ = "0.1.0"
