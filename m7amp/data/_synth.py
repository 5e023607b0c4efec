"""Built-in data that needs no download: a synthetic DI guitar through a reference amp written in numpy.

The guitar is a Karplus-Strong plucked string (a delay loop with a two-tap lowpass and linear
interpolation for the fractional period) excited by a noise burst shaped by the pluck position and the
pick dynamics. A performance mixes single notes E2…E5, strummed chords (a few ms between strings, up or
down), palm-muted chugs (short decay plus a lowpass) and rests.

The reference amp is a Wiener–Hammerstein-style cascade, the shape of a two-stage tube preamp:
input high-pass and low-pass → asymmetric tube-like stage (a biased ``tanh``, its DC removed by a
coupling capacitor) → tone stack (low shelf, mid cut, high shelf biquads) → second soft-clipping stage →
output filter (speaker-like band-pass). Its ``gain`` knob in [0, 1] sets the first-stage drive
from +6 dB to +42 dB. Everything is deterministic from the seed; a minute of audio takes about a second.
"""

from __future__ import annotations

from math import cos, pi, sin, sqrt

import numpy as np
from scipy.signal import lfilter, sosfilt

DEFAULT_SAMPLE_RATE = 48000


# --- filters (RBJ audio-EQ cookbook formulas), as second-order sections -------------------------------

def _sos(b: tuple[float, float, float], a: tuple[float, float, float]) -> np.ndarray:
    return np.array([[b[0] / a[0], b[1] / a[0], b[2] / a[0], 1.0, a[1] / a[0], a[2] / a[0]]])


def _lowpass(f: float, fs: int, q: float = 0.7071) -> np.ndarray:
    w, alpha = 2 * pi * f / fs, sin(2 * pi * f / fs) / (2 * q)
    c = cos(w)
    return _sos(((1 - c) / 2, 1 - c, (1 - c) / 2), (1 + alpha, -2 * c, 1 - alpha))


def _highpass(f: float, fs: int, q: float = 0.7071) -> np.ndarray:
    w, alpha = 2 * pi * f / fs, sin(2 * pi * f / fs) / (2 * q)
    c = cos(w)
    return _sos(((1 + c) / 2, -(1 + c), (1 + c) / 2), (1 + alpha, -2 * c, 1 - alpha))


def _peak(f: float, fs: int, gain_db: float, q: float) -> np.ndarray:
    A, w = 10 ** (gain_db / 40), 2 * pi * f / fs
    alpha, c = sin(w) / (2 * q), cos(w)
    return _sos((1 + alpha * A, -2 * c, 1 - alpha * A), (1 + alpha / A, -2 * c, 1 - alpha / A))


def _shelf(f: float, fs: int, gain_db: float, high: bool) -> np.ndarray:
    A, w = 10 ** (gain_db / 40), 2 * pi * f / fs
    c, alpha = cos(w), sin(w) / sqrt(2)  # shelf slope S = 1
    k = 2 * sqrt(A) * alpha
    s = 1 if high else -1  # the high and low shelves differ in the sign of the cos terms
    b = (A * ((A + 1) + s * (A - 1) * c + k), -2 * s * A * ((A - 1) + s * (A + 1) * c),
         A * ((A + 1) + s * (A - 1) * c - k))
    a = ((A + 1) - s * (A - 1) * c + k, 2 * s * ((A - 1) - s * (A + 1) * c), (A + 1) - s * (A - 1) * c - k)
    return _sos(b, a)


def _onepole_lowpass(x: np.ndarray, f: float, fs: int) -> np.ndarray:
    p = np.exp(-2 * pi * f / fs)
    return lfilter([1 - p], [1, -p], x)


# --- reference amp ------------------------------------------------------------------------------------

def reference_amp(x: np.ndarray, sample_rate: int = DEFAULT_SAMPLE_RATE, gain: float = 0.5) -> np.ndarray:
    """Process a DI signal through the reference amp; ``gain`` in [0, 1] sets the drive. Returns float32."""
    if not 0.0 <= gain <= 1.0:
        raise ValueError(f"gain must be in [0, 1], got {gain}")
    fs = sample_rate
    v = np.asarray(x, dtype=np.float64)
    # input: coupling high-pass and a gentle treble roll-off of the guitar cable / input grid stopper
    v = sosfilt(np.vstack([_highpass(30.0, fs), _lowpass(min(9000.0, 0.45 * fs), fs)]), v)
    # first stage: asymmetric (biased) tanh; drive from +6 dB to +42 dB
    drive = 10 ** ((6.0 + 36.0 * gain) / 20)
    bias = 0.35
    v = np.tanh(drive * v + bias) - np.tanh(bias)
    v = sosfilt(_highpass(20.0, fs), v)  # coupling capacitor removes the DC made by the asymmetry
    # tone stack: bass shelf, mid scoop, treble shelf
    v = sosfilt(np.vstack([_shelf(120.0, fs, 2.0, high=False), _peak(650.0, fs, -6.0, 0.8),
                           _shelf(2800.0, fs, 4.0, high=True)]), v)
    # second stage: softer symmetric clipping with a little make-up gain
    v = np.tanh(1.5 * v)
    # output: speaker-like band limit
    v = sosfilt(np.vstack([_highpass(70.0, fs), _lowpass(min(5500.0, 0.45 * fs), fs, q=0.9)]), v)
    return (0.4 * v).astype(np.float32)


# --- plucked-string guitar ------------------------------------------------------------------------------

def _midi_hz(note: float) -> float:
    return 440.0 * 2 ** ((note - 69) / 12)


def _pluck(rng: np.random.Generator, fs: int, note: float, seconds: float, velocity: float,
           t60: float) -> np.ndarray:
    """One Karplus-Strong string: ``y[n] = e[n] + g·((1−f)/2·y[n−N] + ½·y[n−N−1] + f/2·y[n−N−2])``."""
    period = fs / _midi_hz(note)
    N = int(period - 0.5)
    f = period - 0.5 - N  # fractional delay by linear interpolation, on top of the 0.5 of the averager
    g = 10 ** (-3.0 / (_midi_hz(note) * t60))
    taps = np.array([(1 - f) / 2, 0.5, f / 2]) * g
    n = max(int(seconds * fs), 2 * N + 4)
    # excitation: one period of noise, darker for soft picking, combed by the pluck position
    e = rng.uniform(-1, 1, N)
    e = _onepole_lowpass(e, 1500.0 + 9000.0 * velocity, fs)
    pos = int(rng.uniform(0.08, 0.3) * N)
    e[pos:] -= e[: N - pos].copy()
    y = np.zeros(n + N + 2)
    y[N + 2 : 2 * N + 2] = e  # y is offset by N + 2 so that y[n - N - 2] exists for n = 0
    for start in range(2 * N + 2, n + N + 2, N):  # one period per step: the loop delay is >= N
        stop = min(start + N, n + N + 2)
        k = stop - start
        y[start:stop] = (taps[0] * y[start - N : start - N + k]
                         + taps[1] * y[start - N - 1 : start - N - 1 + k]
                         + taps[2] * y[start - N - 2 : start - N - 2 + k])
    out = y[N + 2 :][:n]
    fade = min(n, int(0.01 * fs))  # the string is damped at the end of the note (no click)
    out[n - fade :] *= np.linspace(1.0, 0.0, fade)
    return velocity * out / (np.max(np.abs(e)) + 1e-9)


_CHORDS = {  # semitones above the root on successive strings
    "power": (0, 7, 12),
    "major": (0, 7, 12, 16, 19, 24),
    "minor": (0, 7, 12, 15, 19, 24),
    "major-open": (0, 4, 7, 12, 16),
    "minor7": (0, 7, 10, 15, 19),
    "sus4": (0, 7, 12, 17, 19),
}


def synth_guitar(seconds: float, sample_rate: int = DEFAULT_SAMPLE_RATE, seed: int = 0,
                 peak: float = 0.5) -> np.ndarray:
    """A synthetic DI guitar performance of ``seconds`` seconds, float32, peak-normalised to ``peak``."""
    rng = np.random.default_rng(seed)
    fs = sample_rate
    total = int(seconds * fs)
    out = np.zeros(total + 3 * fs)  # room for the tail of the last note
    t = 0.0
    while t < seconds:
        kind = rng.choice(["note", "chord", "chug", "rest"], p=[0.4, 0.32, 0.22, 0.06])
        if kind == "rest":
            t += rng.uniform(0.1, 0.5)
            continue
        if kind == "note":
            dur = rng.uniform(0.15, 1.2)
            notes = [(0.0, rng.integers(40, 77), rng.uniform(0.15, 1.0))]
            t60 = rng.uniform(1.0, 3.0)
        elif kind == "chord":
            dur = rng.uniform(0.6, 2.5)
            shape = _CHORDS[str(rng.choice(list(_CHORDS)))]
            root = int(rng.integers(40, 56))
            strum = rng.uniform(0.004, 0.02) * (1 if rng.random() < 0.7 else -1)
            vel = rng.uniform(0.15, 1.0)
            order = range(len(shape)) if strum > 0 else range(len(shape) - 1, -1, -1)
            notes = [(abs(strum) * i, root + shape[s], vel * rng.uniform(0.8, 1.0))
                     for i, s in enumerate(order)]
            t60 = rng.uniform(1.5, 4.0)
        else:  # palm-muted chugs on a low power chord
            root = int(rng.integers(40, 48))
            vel = rng.uniform(0.4, 1.0)
            for _ in range(int(rng.integers(2, 9))):
                dur = rng.uniform(0.08, 0.2)
                start = int(t * fs)
                chug = sum(_pluck(rng, fs, root + s, dur, vel * rng.uniform(0.85, 1.0),
                                  rng.uniform(0.08, 0.2)) for s in (0, 7))
                chug = _onepole_lowpass(chug, rng.uniform(500, 1200), fs)
                if start < total:
                    out[start : start + len(chug)] += chug
                t += dur
            continue
        for delay, note, vel in notes:
            start = int((t + delay) * fs)
            y = _pluck(rng, fs, float(note), dur, vel, t60 * (0.7 if note > 64 else 1.0))
            if start < total:
                out[start : start + len(y)] += y
        t += dur * rng.uniform(0.85, 1.0)  # the next event may overlap the ringing tail a little
    out = out[:total]
    out += 1e-5 * rng.standard_normal(total)  # pickup/cable noise floor, about -100 dBFS
    out = sosfilt(_highpass(20.0, fs), out)  # a pickup has no DC (plucks can leave a little)
    return (peak * out / (np.max(np.abs(out)) + 1e-12)).astype(np.float32)
