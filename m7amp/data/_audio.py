"""Audio loading, resampling, signal checks and input/target lag estimation.

Every file goes through :func:`load_audio`: soundfile (libsndfile) decodes WAV, FLAC, OGG and MP3 at
any sample rate; multichannel audio becomes mono by the **mean of the channels** unless a channel index
is chosen. Checks report problems as one line each: fatal ones raise :class:`M7Error`, doubtful ones
are returned as warnings (strings) that the caller logs and records in the run report.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from math import gcd
from pathlib import Path

import numpy as np

from m7amp.errors import M7Error

log = logging.getLogger("m7amp.data")

# Thresholds of the checks (documented in docs/data.md).
SILENCE_DBFS = -60.0  # RMS below this: the file is silent (error)
CLIP_LEVEL = 0.999  # |x| at or above this counts as a clipped sample
CLIP_FRACTION = 1e-3  # more than 0.1 % clipped samples: warning
DC_FRACTION = 0.1  # |mean| above 10 % of the RMS (and above 1e-3 absolute): warning


def load_audio(path: str | Path, channel: int | None = None,
               notice: Callable[[str], None] | None = None) -> tuple[np.ndarray, int]:
    """Read an audio file as mono float32 in [-1, 1] and its sample rate: the one place m7amp reads audio
    (``m7amp run``'s input and target WAVs, training pairs, the suites' clips).

    ``channel=None`` down-mixes by the mean of all channels; an int picks that channel (0-based).
    Raises ``M7Error`` (one line) if the file is missing, unreadable, has no such channel or holds a NaN
    or infinite sample (the first one is named: index and time). Samples beyond full scale (|x| > 1, a
    float file) are clipped to ±1, as the firmware's codec would, with one ``notice`` line saying how many
    and the peak (default: a warning on the ``m7amp.data`` logger).
    """
    import soundfile as sf

    path = Path(path)
    if not path.is_file():
        raise M7Error(f"audio file not found: {path}")
    try:
        data, rate = sf.read(str(path), dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, TypeError, ValueError) as exc:
        hint = ""
        if path.suffix.lower() == ".mp3" and "mpeg" not in str(sf.available_formats()).lower():
            hint = (f" (this libsndfile {sf.__libsndfile_version__} cannot decode MP3: "
                    "install libsndfile >= 1.1, e.g. soundfile >= 0.12 wheels)")
        raise M7Error(f"cannot read audio file {path}: {str(exc).splitlines()[0]}{hint}") from None
    if data.shape[0] == 0:
        raise M7Error(f"audio file {path} has no samples")
    if channel is None:
        mono = data.mean(axis=1)
    else:
        if not 0 <= channel < data.shape[1]:
            raise M7Error(f"{path} has {data.shape[1]} channel(s); channel {channel} does not exist")
        mono = data[:, channel]
    return _checked(np.ascontiguousarray(mono, dtype=np.float32), int(rate), path, notice), int(rate)


def _checked(x: np.ndarray, rate: int, path: Path, notice: Callable[[str], None] | None) -> np.ndarray:
    """``x`` refused if not finite, clipped to ±1 (with a notice) if beyond full scale."""
    bad = np.flatnonzero(~np.isfinite(x))
    if len(bad):
        first = int(bad[0])
        what = "NaN" if np.isnan(x[first]) else ("+Inf" if x[first] > 0 else "-Inf")
        raise M7Error(f"{path}: sample {first:,} (at {first / rate:.6f} s) is {what}"
                      f"{f', and {len(bad) - 1:,} more samples are not finite' if len(bad) > 1 else ''}: "
                      "fix or re-export the file")
    over = int(np.count_nonzero(np.abs(x) > 1.0))
    if over:
        peak = float(np.max(np.abs(x)))
        (notice or log.warning)(f"{path}: {over:,} sample(s) beyond full scale (peak {peak:.4g}, "
                                f"{20 * np.log10(peak):+.1f} dBFS) clipped to ±1")
        x = np.clip(x, -1.0, 1.0)
    return x


def resample(x: np.ndarray, rate_from: int, rate_to: int) -> np.ndarray:
    """Polyphase resampling (``scipy.signal.resample_poly``, Kaiser window) between integer rates."""
    if rate_from == rate_to:
        return x
    from scipy.signal import resample_poly

    g = gcd(rate_from, rate_to)
    return resample_poly(x, rate_to // g, rate_from // g).astype(np.float32)


def check_signal(x: np.ndarray, name: str) -> list[str]:
    """Check one signal: NaN/Inf and silence raise ``M7Error``; clipping and DC offset give warnings.

    ``name`` identifies the signal in messages (e.g. the file path). Returns the warning lines.
    """
    if x.size == 0:
        raise M7Error(f"{name}: no samples")
    if not np.all(np.isfinite(x)):
        bad = int(np.size(x) - np.count_nonzero(np.isfinite(x)))
        raise M7Error(f"{name}: {bad} NaN/Inf sample(s); fix or re-export the file")
    x64 = x.astype(np.float64)
    rms = float(np.sqrt(np.mean(x64 * x64)))
    rms_db = 20 * np.log10(rms) if rms > 0 else -np.inf
    if rms_db < SILENCE_DBFS:
        raise M7Error(f"{name}: silent (RMS {rms_db:.1f} dBFS < {SILENCE_DBFS:.0f} dBFS)")
    warnings: list[str] = []
    clipped = float(np.mean(np.abs(x64) >= CLIP_LEVEL))
    if clipped > CLIP_FRACTION:
        warnings.append(f"{name}: {100 * clipped:.2f} % of samples are clipped (|x| >= {CLIP_LEVEL})")
    mean = float(np.mean(x64))
    if abs(mean) > max(DC_FRACTION * rms, 1e-3):
        warnings.append(f"{name}: DC offset {mean:+.4f} ({100 * abs(mean) / rms:.0f} % of the RMS)")
    return warnings


@dataclass(frozen=True)
class Lag:
    """Delay of the target relative to the input (positive: the target is later)."""

    samples: int
    sample_rate: int
    peak_ratio: float  # correlation peak over the median |correlation|: large = well defined

    @property
    def ms(self) -> float:
        return 1000.0 * self.samples / self.sample_rate

    def __str__(self) -> str:
        return f"{self.samples:+d} samples ({self.ms:+.2f} ms, peak/median {self.peak_ratio:.0f})"


LAG_BAND_HZ = (80.0, 8000.0)  # band of the cross-spectrum used for the lag (where guitar signal is)


def estimate_lag(x: np.ndarray, y: np.ndarray, sample_rate: int, max_lag_ms: float = 50.0) -> Lag:
    """Estimate the lag of ``y`` (target) behind ``x`` (input) by band-limited GCC-PHAT.

    The phase transform whitens the cross-spectrum, so the estimate follows the timing of the transients
    rather than the amp's coloration; only 80 Hz – 8 kHz is used (outside it, recordings are mostly
    noise). Lags are searched within ``±max_lag_ms``. An amp's own filters delay too (a bass-heavy tone
    stack by a few ms), so a lag of a few samples is normal and not a misalignment.
    """
    n = min(len(x), len(y))
    if n == 0:
        raise M7Error("cannot estimate the lag of empty signals")
    max_lag = max(1, min(n - 1, round(max_lag_ms * sample_rate / 1000)))
    size = 1 << int(np.ceil(np.log2(2 * n)))
    X = np.fft.rfft(np.asarray(x[:n], dtype=np.float64), size)
    Y = np.fft.rfft(np.asarray(y[:n], dtype=np.float64), size)
    cross = Y * np.conj(X)
    cross /= np.maximum(np.abs(cross), 1e-12 * np.max(np.abs(cross)) + 1e-300)
    freqs = np.fft.rfftfreq(size, 1.0 / sample_rate)
    cross[(freqs < LAG_BAND_HZ[0]) | (freqs > min(LAG_BAND_HZ[1], 0.45 * sample_rate))] = 0
    corr = np.fft.irfft(cross, size)
    # lags 0..max_lag sit at the start, negative lags wrap to the end
    window = np.concatenate([corr[-max_lag:], corr[: max_lag + 1]])
    best = int(np.argmax(window))
    median = float(np.median(np.abs(window))) or 1e-300
    return Lag(samples=best - max_lag, sample_rate=sample_rate, peak_ratio=float(window[best]) / median)


def compensate_lag(x: np.ndarray, y: np.ndarray, lag: int) -> tuple[np.ndarray, np.ndarray]:
    """Shift so that ``y`` lines up with ``x``: drop ``lag`` samples from the head of the later signal
    and from the tail of the other (both keep the same length)."""
    if lag > 0:
        return x[:-lag], y[lag:]
    if lag < 0:
        return x[-lag:], y[:lag]
    return x, y
