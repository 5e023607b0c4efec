"""Keras losses with the definitions of :mod:`m7amp.metrics` (which has the numpy versions).

Shapes are Keras's ``(batch, time, 1)``; sums and means run over batch and time together, exactly as the
numpy metrics do over a whole array. The training loss is
``esr_weight · ESR(pre-emphasised) + dc_weight · DC`` (Wright et al.: 0.75 / 0.25), computed on the
whole segment's pre-emphasis and then restricted to the samples after the warm-up.

Importing this module imports Keras (TensorFlow).
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from m7amp.metrics import PRE_EMPHASIS_COEFF

_EPS = 1e-10  # keeps a silent batch finite; negligible next to any audible signal energy


def pre_emphasis_tf(x: Any, coeff: float = PRE_EMPHASIS_COEFF) -> Any:
    """``x[n] − coeff·x[n−1]`` along the time axis (axis 1), with ``x[−1] = 0``."""
    return ops.concatenate([x[:, :1], x[:, 1:] - coeff * x[:, :-1]], axis=1)


def esr_tf(y_true: Any, y_pred: Any) -> Any:
    """``Σ(y − ŷ)² / Σy²`` over the whole batch."""
    return ops.sum(ops.square(y_true - y_pred)) / (ops.sum(ops.square(y_true)) + _EPS)


def esr_pre_tf(y_true: Any, y_pred: Any, coeff: float = PRE_EMPHASIS_COEFF) -> Any:
    """ESR after pre-emphasis of both signals."""
    return esr_tf(pre_emphasis_tf(y_true, coeff), pre_emphasis_tf(y_pred, coeff))


def dc_loss_tf(y_true: Any, y_pred: Any) -> Any:
    """``mean(y − ŷ)² / mean(y²)`` over the whole batch."""
    return ops.square(ops.mean(y_true - y_pred)) / (ops.mean(ops.square(y_true)) + _EPS)


@keras.saving.register_keras_serializable(package="m7amp")
class AmpLoss(keras.losses.Loss):
    """The training loss; the first ``warmup`` samples of every segment are excluded."""

    def __init__(self, warmup: int = 0, esr_weight: float = 0.75, dc_weight: float = 0.25,
                 coeff: float = PRE_EMPHASIS_COEFF, name: str = "amp_loss", **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        self.warmup, self.esr_weight, self.dc_weight, self.coeff = int(warmup), esr_weight, dc_weight, coeff

    def call(self, y_true: Any, y_pred: Any) -> Any:
        w = self.warmup
        y_true = ops.cast(y_true, y_pred.dtype)
        pre_t = pre_emphasis_tf(y_true, self.coeff)[:, w:]
        pre_p = pre_emphasis_tf(y_pred, self.coeff)[:, w:]
        return (self.esr_weight * esr_tf(pre_t, pre_p)
                + self.dc_weight * dc_loss_tf(y_true[:, w:], y_pred[:, w:]))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "warmup": self.warmup, "esr_weight": self.esr_weight,
                "dc_weight": self.dc_weight, "coeff": self.coeff}
