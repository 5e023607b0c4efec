"""DI/amp training data: loading and checking pairs, lag estimation, time splits, manifests, and the
built-in synthetic guitar through a reference amp (docs/data.md)."""

from __future__ import annotations

from m7amp.data._audio import Lag, check_signal, compensate_lag, estimate_lag, load_audio, resample
from m7amp.data._dataset import (
    Dataset,
    Pair,
    load_dataset,
    make_segments,
    segment_starts,
    split_range,
    split_sequences,
    synthetic_dataset,
)
from m7amp.data._manifest import SHARED_ENV, Knob, Manifest, PairSpec, load_manifest, parse_manifest
from m7amp.data._synth import DEFAULT_SAMPLE_RATE, reference_amp, synth_guitar

__all__ = [
    "DEFAULT_SAMPLE_RATE",
    "SHARED_ENV",
    "Dataset",
    "Knob",
    "Lag",
    "Manifest",
    "Pair",
    "PairSpec",
    "check_signal",
    "compensate_lag",
    "estimate_lag",
    "load_audio",
    "load_dataset",
    "load_manifest",
    "make_segments",
    "parse_manifest",
    "reference_amp",
    "resample",
    "segment_starts",
    "split_range",
    "split_sequences",
    "synth_guitar",
    "synthetic_dataset",
]
