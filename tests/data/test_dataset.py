"""Time splits, segments and the built-in synthetic data."""

from __future__ import annotations

import itertools
import time

import numpy as np
import pytest

from m7amp import metrics
from m7amp.data import (
    Dataset,
    Pair,
    make_segments,
    reference_amp,
    segment_starts,
    split_range,
    split_sequences,
    synth_guitar,
    synthetic_dataset,
)
from m7amp.errors import M7Error
from tests._skips import requires_shared_data, shared_data_dir

FRACTIONS = {"train": 0.7, "val": 0.15, "test": 0.15}


@pytest.mark.parametrize("n", [1000, 44100, 220500, 12345])
def test_split_ranges_tile_the_signal_in_time_order(n: int) -> None:
    ranges = [split_range(n, FRACTIONS, s) for s in ("train", "val", "test")]
    assert ranges[0][0] == 0 and ranges[-1][1] == n
    for (_, stop), (start, _) in itertools.pairwise(ranges):
        assert stop == start
    assert split_range(n, FRACTIONS, "val", whole="test") == (0, 0)
    assert split_range(n, FRACTIONS, "test", whole="test") == (0, n)


def test_segments_never_cross_splits() -> None:
    """Mark every sample with its index; each split's segments (warm-up included) stay in its region."""
    n = 50_000
    ramp = np.arange(n, dtype=np.float32)
    ds = Dataset("marks", 1000, [Pair("p", ramp, ramp.copy())], split=dict(FRACTIONS))
    warmup, length = 300, 1000
    seen: dict[str, set[int]] = {}
    for split in ("train", "val", "test"):
        x, y = make_segments(ds, split, warmup, length)
        assert x.shape[1:] == (warmup + length, 1) and y.shape == x.shape
        start, stop = split_range(n, FRACTIONS, split)
        idx = x[..., 0].astype(int)
        assert idx.min() >= start and idx.max() < stop
        seen[split] = set(idx.ravel().tolist())
        # the loss parts (after the warm-up) of consecutive segments tile without overlap
        loss_parts = idx[:, warmup:]
        assert len(set(loss_parts.ravel().tolist())) == loss_parts.size
    assert not (seen["train"] & seen["val"]) and not (seen["val"] & seen["test"])
    assert not (seen["train"] & seen["test"])


def test_segment_starts_and_too_short_split() -> None:
    assert segment_starts(0, 100, 10, 30) == [0, 30, 60]
    assert segment_starts(5, 44, 10, 30) == []
    ds = Dataset("short", 1000, [Pair("p", np.ones(1000, np.float32), np.ones(1000, np.float32))])
    with pytest.raises(M7Error, match="val split has no room for a segment of 400 samples"):
        make_segments(ds, "val", 100, 300)


def test_knob_channels_are_appended() -> None:
    ds = synthetic_dataset(3.0, knob_values=[0.0, 1.0], seed=0, sample_rate=16000)
    x, _ = make_segments(ds, "train", 10, 500)
    assert x.shape[-1] == 2
    assert set(np.unique(x[..., 1]).tolist()) == {0.0, 1.0}
    seqs = split_sequences(ds, "test")
    assert [s[0][0, 1] for s in seqs] == [0.0, 1.0]
    assert ds.describe()["knobs"] == [{"name": "gain", "min": 0.0, "max": 1.0}]


def test_synthetic_is_deterministic_and_seed_dependent() -> None:
    a = synth_guitar(2.0, 48000, seed=5)
    b = synth_guitar(2.0, 48000, seed=5)
    c = synth_guitar(2.0, 48000, seed=6)
    assert a.dtype == np.float32 and len(a) == 96000
    assert np.array_equal(a, b)
    assert not np.allclose(a, c)
    assert np.max(np.abs(a)) == pytest.approx(0.5, rel=1e-4)
    assert abs(float(np.mean(a))) < 1e-3  # no DC from the DI


def test_gain_knob_changes_the_drive() -> None:
    x = synth_guitar(2.0, 48000, seed=1)
    outs = [reference_amp(x, 48000, g) for g in (0.0, 0.5, 1.0)]
    rms = [float(np.sqrt(np.mean(o.astype(np.float64) ** 2))) for o in outs]
    assert rms[0] < rms[1] < rms[2]
    # more gain = more distortion: the output departs more from a scaled copy of the clean output
    def nonlinearity(o: np.ndarray) -> float:
        scale = np.dot(o, outs[0]) / np.dot(outs[0], outs[0])
        return metrics.esr(o, scale * outs[0])
    assert nonlinearity(outs[1]) < nonlinearity(outs[2])
    assert np.max(np.abs(outs[2])) < 0.999  # never clipped
    with pytest.raises(ValueError):
        reference_amp(x, 48000, 1.5)


def test_a_minute_of_synthetic_data_in_seconds() -> None:
    t0 = time.perf_counter()
    ds = synthetic_dataset(60.0, seed=0)
    assert time.perf_counter() - t0 < 10.0  # typically about 1 s; generous on a loaded CI machine
    assert len(ds.pairs[0].x) == 60 * 48000
    assert ds.seconds("train") == pytest.approx(42.0)


@requires_shared_data
def test_jvm_manifest_loads(monkeypatch: pytest.MonkeyPatch) -> None:
    from pathlib import Path

    from m7amp.data import load_dataset

    monkeypatch.setenv("M7AMP_SHARED_DATA", str(shared_data_dir()))
    manifest = Path(__file__).resolve().parents[2] / "training" / "manifests" / "jvm-tone.toml"
    ds = load_dataset(manifest)
    assert len(ds.pairs) == 40 and ds.sample_rate == 44100 and ds.n_knobs == 3
    assert ds.seconds("train") == pytest.approx(140.0) and ds.seconds("test") == pytest.approx(30.0)
    assert {p.knobs for p in ds.pairs} == {(0.0, 0.0, 1.0), (1.0, 0.0, 0.0), (1.0, 0.0, 1.0), (0.1, 0.3, 0.7),
                                           (0.3, 0.7, 0.1)}


@requires_shared_data
def test_jvm_b3m7t1_manifests_split_as_documented(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 14's split (clips 1-5, 7 train, 8 validation, 9 test) and the recipe's (the last 15 % of the
    training clips is validation too); clip 9 is only ever test."""
    from pathlib import Path

    from m7amp.data import load_dataset

    monkeypatch.setenv("M7AMP_SHARED_DATA", str(shared_data_dir()))
    folder = Path(__file__).resolve().parents[2] / "training" / "manifests"
    for name, train, val in (("jvm-B3_M7_T1-val8", 30.0, 5.0), ("jvm-B3_M7_T1", 25.5, 9.5)):
        ds = load_dataset(folder / f"{name}.toml")
        assert ds.seconds("train") == pytest.approx(train, abs=1e-3)
        assert ds.seconds("val") == pytest.approx(val, abs=1e-3)
        by_split = {s: sorted(p.name[-1] for p, _, _ in ds.regions(s)) for s in ("train", "val", "test")}
        assert by_split["test"] == ["9"] and "9" not in by_split["train"] + by_split["val"]
        assert by_split["train"] == ["1", "2", "3", "4", "5", "7"]
        assert by_split["val"] == (["8"] if name.endswith("val8") else ["1", "2", "3", "4", "5", "7", "8"])


@requires_shared_data
def test_jvm_tone_files_has_the_b3m7t1_split_for_every_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    """jvm-tone-files.toml: the knobs of jvm-tone.toml, and for each of the 5 settings exactly the regions of
    jvm-B3_M7_T1.toml (clips 1-5, 7 train with 15 % validation tails, 8 validation, 9 test)."""
    from pathlib import Path

    from m7amp.data import load_dataset

    monkeypatch.setenv("M7AMP_SHARED_DATA", str(shared_data_dir()))
    folder = Path(__file__).resolve().parents[2] / "training" / "manifests"
    files = load_dataset(folder / "jvm-tone-files.toml")
    tone = load_dataset(folder / "jvm-tone.toml")
    single = load_dataset(folder / "jvm-B3_M7_T1.toml")
    assert files.knobs == tone.knobs and {p.knobs for p in files.pairs} == {p.knobs for p in tone.pairs}
    for split in ("train", "val", "test"):
        want = sorted((p.name[-1], start, stop) for p, start, stop in single.regions(split))
        by_setting: dict[tuple[float, ...], list[tuple[str, int, int]]] = {}
        for p, start, stop in files.regions(split):
            by_setting.setdefault(p.knobs, []).append((p.name[-1], start, stop))
        assert len(by_setting) == 5
        assert all(sorted(regions) == want for regions in by_setting.values()), split
    assert files.seconds("train") == pytest.approx(5 * 25.5, abs=1e-3)
    assert files.seconds("test") == pytest.approx(5 * 5.0, abs=1e-3)
