"""Datasets of aligned DI/target pairs, their time split and the training segments cut from them.

Split: every pair is cut **in time** into consecutive regions ``train | val | test`` by the fractions of
the manifest (a pair may instead be assigned whole to one split). Segments are cut inside one region
only, so no sample of one split is ever seen (not even as warm-up context) by another.

Segments: a segment is ``warmup + length`` samples; the model starts from zero state (WaveNet: zero
padding, RNN: zero hidden state) and the loss ignores the first ``warmup`` outputs. Segments of one
region advance by ``length``, so the loss windows tile the region without overlap.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from m7amp.data._audio import check_signal, compensate_lag, estimate_lag, load_audio, resample
from m7amp.data._manifest import SPLITS, Knob, Manifest, PairSpec, load_manifest
from m7amp.data._synth import DEFAULT_SAMPLE_RATE, reference_amp, synth_guitar
from m7amp.errors import M7Error

log = logging.getLogger("m7amp.data")

LAG_WARN_MS = 1.0  # a target later than this (or earlier at all) deserves the user's attention ...
LAG_CLEAR_PEAK = 10.0  # ... when the correlation peak is clear (peak/median >= 10), not a guess


@dataclass
class Pair:
    """One aligned input/target pair at the dataset rate; ``knobs`` are normalised to [0, 1]."""

    name: str
    x: np.ndarray
    y: np.ndarray
    knobs: tuple[float, ...] = ()
    split: str | dict[str, float] | None = None  # None: the dataset's fractions; a name: the whole pair
    # belongs to that split; a dict: this pair's own fractions
    lag_samples: int | None = None


@dataclass
class Dataset:
    """Pairs plus everything needed to cut them into splits; ``describe()`` goes into run.json."""

    name: str
    sample_rate: int
    pairs: list[Pair]
    knobs: tuple[Knob, ...] = ()
    split: dict[str, float] = field(default_factory=lambda: {"train": 0.7, "val": 0.15, "test": 0.15})
    warnings: list[str] = field(default_factory=list)
    source: dict[str, Any] = field(default_factory=dict)

    @property
    def n_knobs(self) -> int:
        return len(self.knobs)

    def regions(self, split: str) -> list[tuple[Pair, int, int]]:
        """``(pair, start, stop)`` sample ranges of each pair that belong to ``split``."""
        out = []
        for pair in self.pairs:
            start, stop = split_range(len(pair.x), self.split, split, pair.split)
            if stop > start:
                out.append((pair, start, stop))
        return out

    def seconds(self, split: str) -> float:
        return sum(stop - start for _, start, stop in self.regions(split)) / self.sample_rate

    def describe(self) -> dict[str, Any]:
        return {
            **self.source,
            "name": self.name,
            "sample_rate": self.sample_rate,
            "pairs": len(self.pairs),
            "knobs": [k.to_dict() for k in self.knobs],
            "split": dict(self.split),
            "seconds": {s: round(self.seconds(s), 3) for s in SPLITS},
            "lags": [{"pair": p.name, "samples": p.lag_samples,
                      "ms": round(1000 * p.lag_samples / self.sample_rate, 3)}
                     for p in self.pairs if p.lag_samples is not None],
            "warnings": list(self.warnings),
        }


def split_range(n: int, fractions: dict[str, float], split: str,
                whole: str | dict[str, float] | None = None) -> tuple[int, int]:
    """Sample range ``[start, stop)`` of ``split`` in a signal of ``n`` samples cut train | val | test.

    ``whole`` is the pair's own choice: a split name (the whole pair) or its own fractions."""
    if isinstance(whole, dict):
        fractions, whole = whole, None
    if whole is not None:
        return (0, n) if whole == split else (0, 0)
    bounds = [0]
    for s in SPLITS:
        bounds.append(bounds[-1] + fractions[s])
    i = SPLITS.index(split)
    return round(bounds[i] * n), round(bounds[i + 1] * n)


def segment_starts(start: int, stop: int, warmup: int, length: int) -> list[int]:
    """Starts of the segments of ``warmup + length`` samples inside ``[start, stop)``, hop ``length``."""
    total = warmup + length
    return list(range(start, stop - total + 1, length))


def _with_knobs(x: np.ndarray, knobs: tuple[float, ...]) -> np.ndarray:
    """Stack the audio (channel 0) and constant knob channels: shape (time, 1 + K), float32."""
    out = np.empty((len(x), 1 + len(knobs)), dtype=np.float32)
    out[:, 0] = x
    for i, k in enumerate(knobs):
        out[:, 1 + i] = k
    return out


def make_segments(dataset: Dataset, split: str, warmup: int, length: int) -> tuple[np.ndarray, np.ndarray]:
    """All segments of ``split``: x ``(n, warmup + length, 1 + K)`` and y ``(n, warmup + length, 1)``."""
    xs, ys = [], []
    for pair, start, stop in dataset.regions(split):
        for s in segment_starts(start, stop, warmup, length):
            e = s + warmup + length
            xs.append(_with_knobs(pair.x[s:e], pair.knobs))
            ys.append(pair.y[s:e, None])
    if not xs:
        longest = max((stop - start for _, start, stop in dataset.regions(split)), default=0)
        raise M7Error(f"the {split} split has no room for a segment of {warmup + length} samples "
                      f"(warm-up {warmup} + {length}; longest {split} region: {longest} samples): use more "
                      f"data, a larger {split} fraction or a shorter segment_length")
    return np.stack(xs), np.stack(ys).astype(np.float32)


def split_sequences(dataset: Dataset, split: str) -> list[tuple[np.ndarray, np.ndarray]]:
    """Each region of ``split`` whole: ``(x (T, 1 + K), y (T,))`` per pair, for evaluation."""
    return [(_with_knobs(p.x[a:b], p.knobs), p.y[a:b].copy()) for p, a, b in dataset.regions(split)]


def _load_pair(manifest: Manifest, spec: PairSpec, rate: int | None) -> tuple[Pair, list[str], int]:
    notes: list[str] = []
    x, rx = load_audio(spec.input, spec.channel, notes.append)
    y, ry = load_audio(spec.target, spec.channel, notes.append)
    target_rate = rate or rx
    for sig_rate, label in ((rx, spec.input), (ry, spec.target)):
        if sig_rate != target_rate and not manifest.resample:
            raise M7Error(f"{label} is {sig_rate} Hz but the dataset rate is {target_rate} Hz: set "
                          f"resample = true or sample_rate = {sig_rate} in {manifest.path or manifest.name}")
    x, y = resample(x, rx, target_rate), resample(y, ry, target_rate)
    if len(x) != len(y):
        msg = f"pair '{spec.name}': input has {len(x)} samples, target {len(y)}"
        if not manifest.trim:
            raise M7Error(f"{msg}; set trim = true to cut both to the shorter")
        notes.append(f"{msg}: both cut to {min(len(x), len(y))}")
        x, y = x[: min(len(x), len(y))], y[: min(len(x), len(y))]
    notes += check_signal(x, str(spec.input)) + check_signal(y, str(spec.target))
    lag = None
    if manifest.align != "none":
        est = estimate_lag(x, y, target_rate, manifest.max_lag_ms)
        lag = est.samples
        log.info("pair '%s': target lag %s", spec.name, est)
        if manifest.align == "compensate" and manifest.lag is not None:
            x, y = compensate_lag(x, y, manifest.lag)
            log.info("pair '%s': fixed lag %d samples compensated (estimate %s)", spec.name, manifest.lag,
                     est)
        elif manifest.align == "compensate" and lag != 0:
            x, y = compensate_lag(x, y, lag)
            notes.append(f"pair '{spec.name}': lag {est} compensated")
        elif est.peak_ratio < LAG_CLEAR_PEAK:
            pass  # no clear peak (e.g. heavy tone shaping): the estimate is only logged
        elif lag < 0:
            notes.append(f"pair '{spec.name}': the target LEADS the input by {-lag} samples "
                         f"({-est.ms:.2f} ms): a causal model cannot learn that; set align = \"compensate\"")
        elif est.ms > LAG_WARN_MS:
            notes.append(f"pair '{spec.name}': the target lags the input by {est}; consider "
                         f"align = \"compensate\"")
    knobs = tuple(k.normalise(v) for k, v in zip(manifest.knobs, spec.knobs, strict=True))
    return Pair(spec.name, x, y, knobs, spec.split, lag), notes, target_rate


def load_dataset(manifest: Manifest | str | Path, data_root: str | Path | None = None) -> Dataset:
    """Load every pair of a manifest: read, down-mix, resample, check, estimate (and compensate) lags.

    Problems that make training meaningless raise ``M7Error``; doubtful ones are logged as warnings and
    kept in ``Dataset.warnings`` for the report.
    """
    if not isinstance(manifest, Manifest):
        manifest = load_manifest(manifest, data_root)
    pairs, notes = [], []
    rate = manifest.sample_rate
    for spec in manifest.pairs:
        pair, pair_notes, rate = _load_pair(manifest, spec, rate)
        pairs.append(pair)
        notes += pair_notes
    for note in notes:
        log.warning("%s", note)
    source = {"source": "manifest", "manifest": str(manifest.path) if manifest.path else None,
              "files": [{"input": str(s.input), "target": str(s.target)} for s in manifest.pairs]}
    assert rate is not None
    dataset = Dataset(manifest.name, rate, pairs, manifest.knobs, dict(manifest.split), notes, source)
    for split in ("train", "test"):
        if not dataset.regions(split):
            raise M7Error(f"{manifest.path or manifest.name}: the {split} split is empty")
    return dataset


def synthetic_dataset(seconds: float = 60.0, knob_values: list[float] | None = None, seed: int = 0,
                      sample_rate: int = DEFAULT_SAMPLE_RATE) -> Dataset:
    """The built-in dataset: synthetic DI guitar through the reference amp.

    Without ``knob_values`` there is one pair at gain 0.5 and no knob. With them, ``seconds`` is shared
    equally by one pair per gain value (each its own performance, seeded ``seed + i``) and the model
    gets one knob, ``gain`` in [0, 1].
    """
    if seconds <= 0:
        raise M7Error(f"--synthetic-seconds must be positive, got {seconds:g}")
    values = list(knob_values) if knob_values else []
    if any(not 0.0 <= v <= 1.0 for v in values):
        raise M7Error(f"synthetic knob values (gain) must be in [0, 1], got {values}")
    gains = values or [0.5]
    per_pair = seconds / len(gains)
    pairs = []
    for i, gain in enumerate(gains):
        x = synth_guitar(per_pair, sample_rate, seed + i)
        knobs = (gain,) if values else ()
        pairs.append(Pair(f"synthetic-gain{gain:g}", x, reference_amp(x, sample_rate, gain), knobs))
    knobs = (Knob("gain", 0.0, 1.0),) if values else ()
    source = {"source": "synthetic", "synthetic": {"seconds": seconds, "seed": seed,
                                                   "knob_values": values or None,
                                                   "gain": None if values else 0.5}}
    return Dataset("synthetic", sample_rate, pairs, knobs, {"train": 0.7, "val": 0.15, "test": 0.15}, [],
                   source)
