"""Error-to-signal metrics used everywhere in m7amp (training reports, export, firmware comparisons).

One definition of each, in numpy with float64 math:

* ``esr(y, ŷ) = Σ(y − ŷ)² / Σy²`` — the error-to-signal ratio (0 is perfect, 1 is as bad as silence).
* ``pre_emphasis(x) = x[n] − 0.85·x[n−1]`` along the time axis with ``x[−1] = 0`` — the first-order
  high-pass Wright et al. apply before the ESR so that quiet high frequencies count.
* ``esr_pre`` — ESR after pre-emphasis of both signals.
* ``dc_loss = mean(y − ŷ)² / mean(y²)`` — the DC term of Wright et al.
* ``block_mean(x, n)`` — the mean of every non-overlapping block of ``n`` samples along the time axis
  (a box-car low-pass, decimated by ``n``; ``lowband_window`` turns a cut-off in Hz into ``n``): the
  low band of the training loss's optional low-band ESR term.
* ``esr_verdict`` — the Neural Amp Modeler bands (<0.01 great, <0.035 not bad, <0.1 may sound ok).
* ``format_esr`` — ESR printed as ``f"{esr:.4g}"``.

The Keras (TensorFlow) losses with the same definitions are in :mod:`m7amp.training`.
"""

from __future__ import annotations

import numpy as np

PRE_EMPHASIS_COEFF = 0.85

# (upper bound, verdict) in increasing order; anything at or above the last bound is "poor"
_ESR_BANDS: tuple[tuple[float, str], ...] = ((0.01, "great"), (0.035, "not bad"), (0.1, "may sound ok"))


def _pair(target: np.ndarray, pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(target, dtype=np.float64)
    yhat = np.asarray(pred, dtype=np.float64)
    if y.shape != yhat.shape:
        raise ValueError(f"target shape {y.shape} != prediction shape {yhat.shape}")
    if y.size == 0:
        raise ValueError("empty signals")
    return y, yhat


def esr(target: np.ndarray, pred: np.ndarray) -> float:
    """Error-to-signal ratio ``Σ(y − ŷ)² / Σy²`` over all elements (any shape, both the same).

    Raises ``ValueError`` on a shape mismatch or an all-zero target (the ratio is undefined).
    """
    y, yhat = _pair(target, pred)
    energy = float(np.sum(y * y))
    if energy == 0.0:
        raise ValueError("ESR undefined: the target is all zeros")
    return float(np.sum((y - yhat) ** 2)) / energy


def _time_axis(x: np.ndarray) -> int:
    # Keras-shaped signals (batch, time, 1) carry a trailing channel axis of size 1: time is before it.
    return -2 if x.ndim >= 2 and x.shape[-1] == 1 else -1


def pre_emphasis(x: np.ndarray, coeff: float = PRE_EMPHASIS_COEFF) -> np.ndarray:
    """``y[n] = x[n] − coeff·x[n−1]`` along the time axis, with ``x[−1] = 0``; returns float64.

    The time axis is the last one, or the one before it when the last axis has size 1
    (Keras shape ``(batch, time, 1)``).
    """
    x = np.asarray(x, dtype=np.float64)
    axis = _time_axis(x)
    y = np.moveaxis(x.copy(), axis, -1)
    y[..., 1:] -= coeff * np.moveaxis(x, axis, -1)[..., :-1]
    return np.moveaxis(y, -1, axis)


def esr_pre(target: np.ndarray, pred: np.ndarray, coeff: float = PRE_EMPHASIS_COEFF) -> float:
    """ESR after pre-emphasis (``1 − coeff·z⁻¹``) of both signals along the time axis."""
    y, yhat = _pair(target, pred)
    return esr(pre_emphasis(y, coeff), pre_emphasis(yhat, coeff))


def dc_loss(target: np.ndarray, pred: np.ndarray) -> float:
    """DC term ``mean(y − ŷ)² / mean(y²)`` over all elements (Wright et al.)."""
    y, yhat = _pair(target, pred)
    power = float(np.mean(y * y))
    if power == 0.0:
        raise ValueError("DC loss undefined: the target is all zeros")
    return float(np.mean(y - yhat)) ** 2 / power


def lowband_window(sample_rate: float, hz: float) -> int:
    """Samples per block of :func:`block_mean` for a -3 dB point near ``hz``: a box-car of ``n`` samples
    is 3 dB down at about 0.443·fs/n (at least 1 sample)."""
    return max(1, round(0.443 * sample_rate / hz))


def block_mean(x: np.ndarray, window: int) -> np.ndarray:
    """Mean of each non-overlapping block of ``window`` samples along the time axis (as
    :func:`pre_emphasis`: the last axis, or the one before a trailing axis of size 1); a last partial
    block is dropped. Returns float64."""
    x = np.asarray(x, dtype=np.float64)
    y = np.moveaxis(x, _time_axis(x), -1)
    blocks = y.shape[-1] // window
    out = y[..., : blocks * window].reshape(*y.shape[:-1], blocks, window).mean(axis=-1)
    return np.moveaxis(out, -1, _time_axis(x))


def esr_verdict(value: float) -> str:
    """Neural Amp Modeler's verdict for an ESR: "great", "not bad", "may sound ok" or "poor"."""
    for bound, verdict in _ESR_BANDS:
        if value < bound:
            return verdict
    return "poor"


def format_esr(value: float) -> str:
    """ESR as printed everywhere: four significant digits (``f"{esr:.4g}"``)."""
    return f"{value:.4g}"
