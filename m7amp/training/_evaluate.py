"""Running a model over whole signals and scoring it with the numpy metrics (no TensorFlow import here;
the model object is passed in)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from m7amp import metrics


def predict(forward: Callable[[np.ndarray], Any], x: np.ndarray, batch_size: int = 16) -> np.ndarray:
    """``forward`` (a model in inference mode) over x ``(n, T, C)`` in batches: ``(n, T)`` float32."""
    out = [np.asarray(forward(x[i : i + batch_size]))[..., 0] for i in range(0, len(x), batch_size)]
    return np.concatenate(out).astype(np.float32)


def predict_sequences(forward: Callable[[np.ndarray], Any], seqs: list[np.ndarray],
                      batch_size: int = 16) -> list[np.ndarray]:
    """Model output ``(T,)`` for each whole sequence ``(T, C)``; equal lengths are batched together."""
    out: list[np.ndarray | None] = [None] * len(seqs)
    by_length: dict[int, list[int]] = {}
    for i, s in enumerate(seqs):
        by_length.setdefault(len(s), []).append(i)
    for idx in by_length.values():
        pred = predict(forward, np.stack([seqs[i] for i in idx]), batch_size)
        for j, i in enumerate(idx):
            out[i] = pred[j]
    return [p for p in out if p is not None]


def score(targets: list[np.ndarray], preds: list[np.ndarray], warmup: int, esr_weight: float = 0.75,
          dc_weight: float = 0.25, coeff: float = metrics.PRE_EMPHASIS_COEFF, plain_weight: float = 0.0,
          lowband_weight: float = 0.0, lowband_window: int = 1) -> dict[str, float]:
    """ESR, pre-emphasised ESR, DC term and loss over several signals, the first ``warmup`` samples of
    each excluded (pre-emphasis is applied to the whole signal first, block means to the samples after
    the warm-up, as in the training loss :class:`m7amp.training.AmpLoss`)."""
    y = np.concatenate([t[warmup:] for t in targets])
    yhat = np.concatenate([p[warmup:] for p in preds])
    y_pre = np.concatenate([metrics.pre_emphasis(t, coeff)[warmup:] for t in targets])
    yhat_pre = np.concatenate([metrics.pre_emphasis(p, coeff)[warmup:] for p in preds])
    esr_pre = metrics.esr(y_pre, yhat_pre)
    dc = metrics.dc_loss(y, yhat)
    esr = metrics.esr(y, yhat)
    loss = esr_weight * esr_pre + dc_weight * dc + plain_weight * esr
    low = [np.concatenate([metrics.block_mean(s[warmup:], lowband_window) for s in sig])
           for sig in (targets, preds)] if lowband_weight else []
    if low and low[0].size:  # regions shorter than one block add nothing (as in the Keras loss)
        loss += lowband_weight * metrics.esr(*low)
    return {"esr": esr, "esr_pre": esr_pre, "dc": dc, "loss": loss}
