"""Training amp models: Keras losses, the seeded training loop with checkpoints and resume, the run
folder and its report, and the training-throughput benchmark (docs/training.md).

Importing this package does not import TensorFlow: the names below load their module on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "TrainConfig": "m7amp.training._config",
    "load_train_config": "m7amp.training._config",
    "train_config_from_dict": "m7amp.training._config",
    "DEFAULT_TRAIN_CONFIG": "m7amp.training._config",
    "AmpLoss": "m7amp.training._losses",
    "esr_tf": "m7amp.training._losses",
    "esr_pre_tf": "m7amp.training._losses",
    "dc_loss_tf": "m7amp.training._losses",
    "pre_emphasis_tf": "m7amp.training._losses",
    "score": "m7amp.training._evaluate",
    "predict": "m7amp.training._evaluate",
    "predict_sequences": "m7amp.training._evaluate",
    "train_model": "m7amp.training._train",
    "warmup_samples": "m7amp.training._train",
    "run_training": "m7amp.training._run",
    "resolve_run_dir": "m7amp.training._run",
    "write_report": "m7amp.training._report",
    "bench_throughput": "m7amp.training.bench",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'm7amp.training' has no attribute {name!r}")
