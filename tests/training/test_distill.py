"""Distillation (``m7amp train --teacher``): the cached targets are the teacher's outputs, each epoch mixes
real and distilled segments at the stated ratio, a resume reads the cache instead of the teacher, and a
teacher that does not fit the data is a one-line error."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from m7amp.commands import train as cli
from m7amp.errors import M7Error
from m7amp.training._distill import CACHE, epoch_order, load_teacher, teacher_predict
from tests.training.test_train import _args, _train


@pytest.fixture(scope="module")
def teacher(files: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("runs") / "teacher"
    assert _train(files, out, "--epochs", "2") == 0
    return out


@pytest.fixture(scope="module")
def student(files: Path, teacher: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("runs") / "student"
    assert _train(files, out, "--epochs", "2", "--teacher", str(teacher), "--distill-synthetic", "3",
                  "--distill-ratio", "2") == 0
    return out


def test_distilled_targets_are_the_teachers_outputs(teacher: Path, student: Path) -> None:
    with np.load(student / "checkpoint" / CACHE) as f:
        x, y, info = f["x"], f["y"], json.loads(str(f["info"]))
    assert info["teacher"] == str(teacher.resolve())
    assert len(x) == info["segments"] > 0
    # the cache is cut from whole-clip outputs; a segment run alone agrees once its warm-up has passed
    warmup = json.loads((student / "run.json").read_text())["warmup"]
    again = np.stack(teacher_predict(load_teacher(teacher), list(x)))
    np.testing.assert_allclose(y[:, warmup:, 0], again[:, warmup:], atol=1e-5)
    assert np.std(y[:, warmup:]) > 1e-3  # not silence: the teacher really ran
    # scaled to the level of the training inputs, not the synthetic guitar's own -6 dBFS peak
    run = json.loads((student / "run.json").read_text())
    assert run["distill"]["ratio"] == 2
    assert run["distill"]["sources"][0]["seconds"] == 3


def test_each_epoch_mixes_real_and_distilled_segments() -> None:
    n_real, n_dist = 10, 50
    order = epoch_order(n_real, n_dist, 0.5, 0, 1)
    real, dist = order[order < n_real], order[order >= n_real]
    assert sorted(real) == list(range(n_real))  # every real segment, once
    assert len(dist) == 5 and len(set(dist)) == 5 and dist.max() < n_real + n_dist
    assert set(epoch_order(n_real, n_dist, 0.5, 0, 2)[:]) != set(order)  # other draws next epoch
    np.testing.assert_array_equal(order, epoch_order(n_real, n_dist, 0.5, 0, 1))  # seeded
    assert len(epoch_order(n_real, n_dist, 100.0, 0, 1)) == n_real + n_dist  # capped at the pool
    # without distillation the order is the one plain training always used
    np.testing.assert_array_equal(epoch_order(n_real, 0, 0.0, 3, 4),
                                  np.random.default_rng([3, 4]).permutation(n_real))


def test_student_run_mixes_both_sources(student: Path) -> None:
    run = json.loads((student / "run.json").read_text())
    history = json.loads((student / "history.json").read_text())
    assert run["distill"]["segments"] > 0 and run["data"]["train_segments"] > 0
    assert len(history) == 2 and all(np.isfinite(h["loss"]) for h in history)


def test_resume_reads_the_cache_not_the_teacher(files: Path, teacher: Path, tmp_path: Path) -> None:
    gone = tmp_path / "teacher"
    shutil.copytree(teacher, gone)
    out = tmp_path / "student"
    assert _train(files, out, "--epochs", "1", "--teacher", str(gone), "--distill-synthetic", "2") == 0
    cached = (out / "checkpoint" / CACHE).read_bytes()
    shutil.rmtree(gone)  # the teacher is no longer needed
    assert cli.run(_args("--resume", "--epochs", "2", "--out", str(out), "--no-progress")) == 0
    assert (out / "checkpoint" / CACHE).read_bytes() == cached
    assert json.loads((out / "run.json").read_text())["epochs"] == 2


@pytest.mark.parametrize(("extra", "message"), [
    (["--teacher", "{missing}"], "no such run folder"),
    (["--teacher", "{empty}"], "not a finished training run (no run.json)"),
    (["--teacher", "{teacher}", "--knob-values", "0", "1"], "has 0 knob(s) [] but the data has 1 ['gain']"),
    (["--teacher", "{teacher}", "--sample-rate", "44100"], "trained at 48000 Hz but the data is at 44100 Hz"),
    (["--teacher", "{teacher}", "--distill-synthetic", "0"], "needs extra DI"),
    (["--teacher", "{teacher}", "--distill-ratio", "0"], "--distill-ratio must be > 0"),
    (["--distill-di", "{empty}"], "--distill-di needs --teacher"),
    (["--teacher", "{teacher}", "--distill-di", "{missing}"], "no such file or folder"),
    (["--teacher", "{teacher}", "--distill-di", "{test_clip}"], "test_clip.wav holds the test input of"),
    (["--teacher", "{teacher}", "--distill-di", "{val_inside}"], "val_inside.wav holds the val input of"),
])
def test_teacher_errors_are_one_line(files: Path, teacher: Path, tmp_path: Path, extra: list[str],
                                     message: str) -> None:
    (tmp_path / "empty").mkdir()
    where = {"missing": tmp_path / "nothing", "empty": tmp_path / "empty", "teacher": teacher,
             **_leaky_clips(tmp_path)}
    extra = [e.format(**where) for e in extra]
    with pytest.raises(M7Error, match=None) as exc:
        _train(files, tmp_path / "out", *extra)
    assert message in str(exc.value) and "\n" not in str(exc.value)
    assert not (tmp_path / "out").exists()  # refused before any run folder is made


def _leaky_clips(d: Path) -> dict[str, Path]:
    """DI files cut from the test data's own splits (``_train``'s synthetic 5 s): the test region as it
    is; a validation region at -6 dB inside other audio, with 1-LSB noise; the training region alone."""
    import soundfile as sf

    from m7amp.data import synthetic_dataset

    ds = synthetic_dataset(5.0)
    (p, a, b), = ds.regions("test")
    (v, c, e), = ds.regions("val")
    (t, f, g), = ds.regions("train")
    rng = np.random.default_rng(0)
    inside = np.concatenate([t.x[f:g], 0.5 * v.x[c:e] + rng.uniform(-1, 1, e - c) / 32768, t.x[f:g]])
    out = {"test_clip": d / "test_clip.wav", "val_inside": d / "val_inside.wav", "train": d / "train.wav"}
    sf.write(out["test_clip"], p.x[a:b], ds.sample_rate)
    sf.write(out["val_inside"], inside, ds.sample_rate)
    sf.write(out["train"], t.x[f:g], ds.sample_rate, subtype="FLOAT")
    return out


def test_di_from_the_training_split_is_accepted(teacher: Path, tmp_path: Path) -> None:
    from m7amp.data import synthetic_dataset
    from m7amp.training._distill import DistillSpec, load_di

    ds = synthetic_dataset(5.0)
    clips = load_di(DistillSpec(str(teacher), di=(str(_leaky_clips(tmp_path)["train"]),)), ds)
    (t, f, g), = ds.regions("train")
    assert [n for n, _ in clips] == ["train.wav"]
    np.testing.assert_array_equal(clips[0][1], t.x[f:g])  # the training region itself is fine


def test_holds_finds_a_clip_at_any_offset_and_gain() -> None:
    from m7amp.training._distill import _holds

    rng = np.random.default_rng(1)
    long = rng.standard_normal(20000).astype(np.float32)
    assert _holds(long, 0.3 * long[12345:15345])
    assert not _holds(long, rng.standard_normal(3000).astype(np.float32))  # other audio
    half = np.concatenate([long[18500:], rng.standard_normal(1500).astype(np.float32)])
    assert not _holds(long, half)  # only half of it is in there: not held
    assert not _holds(long, np.zeros(3000, np.float32))  # silence leaks nothing


def test_esr_by_setting_matches_the_runs_own_test_esr(teacher: Path) -> None:
    from m7amp.data import synthetic_dataset
    from m7amp.training._by_setting import esr_by_setting

    rows = esr_by_setting(teacher, synthetic_dataset(5.0))  # the data the teacher was trained on
    run = json.loads((teacher / "run.json").read_text())
    assert len(rows) == 1 and rows[0]["setting"] == "-" and rows[0]["trained"] is None
    assert rows[0]["esr"] == pytest.approx(run["test"]["esr"], rel=1e-4)
    with pytest.raises(M7Error, match=r"has 0 knob\(s\) \[\] but the data has 1"):
        esr_by_setting(teacher, synthetic_dataset(5.0, [0.0, 1.0]))


def test_teacher_in_chunks_equals_one_pass(teacher: Path) -> None:
    model = load_teacher(teacher)
    rf = json.loads((teacher / "run.json").read_text())["receptive_field"]
    x = np.random.default_rng(0).uniform(-0.5, 0.5, (3000, 1)).astype(np.float32)
    whole = teacher_predict(model, [x])[0]
    chunked = teacher_predict(model, [x], context=rf - 1, chunk=700)[0]
    assert len(chunked) == len(whole)
    np.testing.assert_allclose(chunked, whole, atol=1e-6)
    wrong = teacher_predict(model, [x], context=0, chunk=700)[0]  # no context: the seams differ
    assert np.max(np.abs(wrong - whole)) > 1e-4
