"""Keras losses with the definitions of :mod:`m7amp.metrics` (which has the numpy versions).

Shapes are Keras's ``(batch, time, 1)``; sums and means run over batch and time together, exactly as the
numpy metrics do over a whole array. The training loss is
``esr_weight · ESR(pre-emphasised) + plain_weight · ESR + lowband_weight · ESR(block means) +
dc_weight · DC`` (Wright et al.: 0.75 · ESR_pre + 0.25 · DC, the other two weights 0), computed on the
whole segment's pre-emphasis and then restricted to the samples after the warm-up; the block means
(``lowband_window`` samples each, a box-car low-pass) are taken of the samples after the warm-up.

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


def block_mean_tf(x: Any, window: int) -> Any:
    """Mean of each non-overlapping block of ``window`` samples along time (a last partial block is
    dropped), as :func:`m7amp.metrics.block_mean`."""
    return ops.average_pool(x, pool_size=window, strides=window, padding="valid")


@keras.saving.register_keras_serializable(package="m7amp")
class AmpLoss(keras.losses.Loss):
    """The training loss; the first ``warmup`` samples of every segment are excluded."""

    def __init__(self, warmup: int = 0, esr_weight: float = 0.75, dc_weight: float = 0.25,
                 coeff: float = PRE_EMPHASIS_COEFF, plain_weight: float = 0.0, lowband_weight: float = 0.0,
                 lowband_window: int = 1, name: str = "amp_loss", **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        self.warmup, self.esr_weight, self.dc_weight, self.coeff = int(warmup), esr_weight, dc_weight, coeff
        self.plain_weight, self.lowband_weight = plain_weight, lowband_weight
        self.lowband_window = int(lowband_window)

    def call(self, y_true: Any, y_pred: Any) -> Any:
        w = self.warmup
        y_true = ops.cast(y_true, y_pred.dtype)
        pre_t = pre_emphasis_tf(y_true, self.coeff)[:, w:]
        pre_p = pre_emphasis_tf(y_pred, self.coeff)[:, w:]
        y_t, y_p = y_true[:, w:], y_pred[:, w:]
        loss = self.esr_weight * esr_tf(pre_t, pre_p) + self.dc_weight * dc_loss_tf(y_t, y_p)
        if self.plain_weight:
            loss = loss + self.plain_weight * esr_tf(y_t, y_p)
        if self.lowband_weight:
            n = self.lowband_window
            loss = loss + self.lowband_weight * esr_tf(block_mean_tf(y_t, n), block_mean_tf(y_p, n))
        return loss

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "warmup": self.warmup, "esr_weight": self.esr_weight,
                "dc_weight": self.dc_weight, "coeff": self.coeff, "plain_weight": self.plain_weight,
                "lowband_weight": self.lowband_weight, "lowband_window": self.lowband_window}
