"""The learning configuration (epochs, schedule, batch, segments, loss weights) and its TOML file.

Defaults live in ``training/train.toml``; a user file given with ``--train-config`` replaces it and may
leave keys out (they keep the defaults of :class:`TrainConfig`).
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

from m7amp import metrics
from m7amp.errors import M7Error

LR_SCHEDULES = ("plateau", "cosine")
DEFAULT_TRAIN_CONFIG = Path(__file__).resolve().parents[2] / "training" / "train.toml"


@dataclass(frozen=True)
class TrainConfig:
    """How to train (see training/train.toml for what each value means)."""

    epochs: int = 300
    batch_size: int = 16
    segment_length: int = 8192
    learning_rate: float = 0.008
    seed: int = 0
    lr_schedule: str = "cosine"
    warmup_epochs: int = 2
    lr_factor: float = 0.5
    lr_patience: int = 3
    min_lr: float = 1e-5
    patience: int = 60
    esr_weight: float = 0.75
    dc_weight: float = 0.25
    pre_emphasis: float = 0.85
    plain_esr_weight: float = 0.0
    lowband_esr_weight: float = 0.0
    lowband_hz: float = 150.0
    jit_compile: bool = True
    rnn_segment_length: int = 2048
    rnn_warmup: int = 200
    rnn_jit_compile: bool = False

    def __post_init__(self) -> None:
        positive = ("epochs", "batch_size", "segment_length", "learning_rate", "rnn_segment_length")
        for name in positive:
            if not getattr(self, name) > 0:
                raise M7Error(f"train config: '{name}' must be > 0, got {getattr(self, name)!r}")
        if self.lr_schedule not in LR_SCHEDULES:
            raise M7Error(f"train config: 'lr_schedule' must be one of {LR_SCHEDULES}, "
                          f"got {self.lr_schedule!r}")
        for name in ("warmup_epochs", "lr_patience", "patience", "rnn_warmup", "min_lr", "esr_weight",
                     "dc_weight", "plain_esr_weight", "lowband_esr_weight"):
            if getattr(self, name) < 0:
                raise M7Error(f"train config: '{name}' must be >= 0, got {getattr(self, name)!r}")
        if not 0 < self.lr_factor <= 1:
            raise M7Error(f"train config: 'lr_factor' must be in (0, 1], got {self.lr_factor!r}")
        if not 0 <= self.pre_emphasis < 1:
            raise M7Error(f"train config: 'pre_emphasis' must be in [0, 1), got {self.pre_emphasis!r}")
        if not self.lowband_hz > 0:
            raise M7Error(f"train config: 'lowband_hz' must be > 0, got {self.lowband_hz!r}")
        if self.esr_weight + self.plain_esr_weight + self.lowband_esr_weight + self.dc_weight <= 0:
            raise M7Error("train config: esr_weight + plain_esr_weight + lowband_esr_weight + dc_weight "
                          "must be > 0")

    def to_toml_dict(self) -> dict[str, Any]:
        d = asdict(self)
        rnn = {"segment_length": d.pop("rnn_segment_length"), "warmup": d.pop("rnn_warmup"),
               "jit_compile": d.pop("rnn_jit_compile")}
        return {**d, "rnn": rnn}

    def loss_terms(self, sample_rate: float) -> dict[str, Any]:
        """The loss's weights and filters as keyword arguments of :class:`m7amp.training.AmpLoss` and
        :func:`m7amp.training.score` (one place, so training and validation use the same loss)."""
        return {"esr_weight": self.esr_weight, "dc_weight": self.dc_weight, "coeff": self.pre_emphasis,
                "plain_weight": self.plain_esr_weight, "lowband_weight": self.lowband_esr_weight,
                "lowband_window": metrics.lowband_window(sample_rate, self.lowband_hz)}

    def scheduled_lr(self, epoch: int) -> float | None:
        """The rate of ``epoch`` (1-based) set by the schedule alone: linear warm-up over
        ``warmup_epochs``, then constant (``plateau``, which the loop lowers on plateaus; None) or a
        cosine decay from ``learning_rate`` to ``min_lr`` at ``epochs`` (``cosine``)."""
        if epoch <= self.warmup_epochs:
            return self.learning_rate * epoch / (self.warmup_epochs + 1)
        if self.lr_schedule != "cosine":
            return None
        t = (epoch - 1 - self.warmup_epochs) / max(1, self.epochs - 1 - self.warmup_epochs)
        return self.min_lr + 0.5 * (self.learning_rate - self.min_lr) * (1 + math.cos(math.pi * min(t, 1.0)))

    def with_overrides(self, **kwargs: Any) -> TrainConfig:
        return replace(self, **{k: v for k, v in kwargs.items() if v is not None})


def train_config_from_dict(doc: dict[str, Any], where: str = "train config") -> TrainConfig:
    """Validate a parsed train.toml; unknown keys and wrong types name the offending key."""
    flat = {k: v for k, v in doc.items() if k != "rnn"}
    rnn = doc.get("rnn", {})
    if not isinstance(rnn, dict):
        raise M7Error(f"{where}: 'rnn' must be a table")
    for k, v in rnn.items():
        flat[f"rnn_{k}"] = v
    types = {f.name: f.type for f in fields(TrainConfig)}
    for key, value in flat.items():
        if key not in types:
            shown = key.replace("rnn_", "rnn.", 1) if key.startswith("rnn_") else key
            raise M7Error(f"{where}: unknown key '{shown}'")
        want = {"int": int, "float": float, "bool": bool, "str": str}[str(types[key])]
        if want is str:
            if not isinstance(value, str):
                raise M7Error(f"{where}: '{key}' must be a string, not {value!r}")
            continue
        if want is bool:
            if not isinstance(value, bool):
                raise M7Error(f"{where}: '{key}' must be true or false, not {value!r}")
            continue
        if isinstance(value, bool) or not isinstance(value, int | float) or (want is int and
                                                                             not isinstance(value, int)):
            raise M7Error(f"{where}: '{key}' must be {'an integer' if want is int else 'a number'}, "
                          f"not {value!r}")
        flat[key] = want(value)
    return TrainConfig(**flat)


def load_train_config(path: str | Path | None = None) -> TrainConfig:
    """Read a train.toml (default: training/train.toml, or the dataclass defaults if that is absent)."""
    if path is None:
        if not DEFAULT_TRAIN_CONFIG.is_file():
            return TrainConfig()
        path = DEFAULT_TRAIN_CONFIG
    path = Path(path)
    if not path.is_file():
        raise M7Error(f"train config not found: {path}")
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise M7Error(f"{path}: not valid TOML: {exc}") from None
    return train_config_from_dict(doc, str(path))
