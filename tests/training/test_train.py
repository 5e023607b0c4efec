"""Tiny training runs: the loss falls, runs repeat exactly, resume continues, the run folder and report
are complete, and bad inputs give one-line errors."""

from __future__ import annotations

import argparse
import itertools
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from m7amp.commands import train as cli
from m7amp.errors import M7Error

TINY_WAVENET = """name = "tiny"
type = "wavenet"
gated = false
kernel_size = 3
channels = [3, 2]
dilations = [[1, 2, 4, 8], [1, 2, 4]]
"""
TINY_LSTM = 'name = "tiny-lstm"\ntype = "lstm"\nhidden_size = 4\n'
FAST = """epochs = 3
batch_size = 8
segment_length = 1024
learning_rate = 0.01
jit_compile = false
[rnn]
segment_length = 512
warmup = 32
"""


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    return parser.parse_args(list(argv))


def _train(files: Path, out: Path, *extra: str) -> int:
    return cli.run(_args("--synthetic", "--synthetic-seconds", "5", "--config", str(files / "tiny.toml"),
                         "--train-config", str(files / "fast.toml"), "--out", str(out), "--no-progress",
                         *extra))


@pytest.fixture(scope="module")
def run_dir(files: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("runs") / "run"
    assert _train(files, out) == 0
    return out


def test_loss_falls(run_dir: Path) -> None:
    history = json.loads((run_dir / "history.json").read_text())
    assert [h["epoch"] for h in history] == [1, 2, 3]
    assert history[-1]["loss"] < 0.7 * history[0]["loss"]
    assert history[-1]["val_loss"] < history[0]["val_loss"]


def test_run_folder_follows_the_contract(run_dir: Path) -> None:
    import keras

    import m7amp.models  # noqa: F401  (registers the custom layers)

    run = json.loads((run_dir / "run.json").read_text())
    for key in ("model", "sample_rate", "knobs", "receptive_field", "seed", "epochs", "train_seconds",
                "test", "data", "m7amp_version"):
        assert key in run
    assert run["receptive_field"] == 1 + 2 * (15 + 7) and run["sample_rate"] == 48000 and run["knobs"] == []
    assert set(run["test"]) >= {"esr", "esr_pre", "loss"} and 0 < run["test"]["esr"] < 1
    for name in ("config.toml", "data.toml", "train.toml", "model.keras", "history.json",
                 "checkpoint/state.json", "report/index.html"):
        assert (run_dir / name).is_file(), name
    with np.load(run_dir / "data.npz") as data:
        rep_x, test_x, test_y = data["rep_x"], data["test_x"], data["test_y"]
    assert rep_x.dtype == np.float32 and rep_x.ndim == 3 and rep_x.shape[0] <= 32 and rep_x.shape[1] <= 4096
    assert test_x.shape == (1, int(0.75 * 48000), 1) and test_y.shape == test_x.shape
    model = keras.models.load_model(run_dir / "model.keras")
    pred = np.asarray(model(test_x))[0, :, 0]
    # run.json's test ESR is measured the same way (warm-up excluded), on the same single test region
    from m7amp import metrics

    warm = run["warmup"]
    assert metrics.esr(test_y[0, warm:, 0], pred[warm:]) == pytest.approx(run["test"]["esr"], rel=1e-4)


def test_report_references_its_plots(run_dir: Path) -> None:
    page = (run_dir / "report" / "index.html").read_text()
    for png in ("loss.png", "waveform.png", "spectrum.png"):
        assert (run_dir / "report" / png).stat().st_size > 5000
        assert f'src="{png}"' in page
    assert "test ESR" in page


def test_same_curve_twice_and_resume_continues(files: Path, run_dir: Path, tmp_path: Path) -> None:
    reference = json.loads((run_dir / "history.json").read_text())
    out = tmp_path / "again"
    assert _train(files, out, "--epochs", "2") == 0
    first = json.loads((out / "history.json").read_text())
    # same seed, same machine: the same loss curve, bit for bit
    assert [h["loss"] for h in first] == [h["loss"] for h in reference[:2]]
    assert [h["val_loss"] for h in first] == [h["val_loss"] for h in reference[:2]]
    # resume to 3 epochs: continues with the saved weights and Adam state, as if never stopped
    assert cli.run(_args("--resume", "--out", str(out), "--epochs", "3", "--no-progress")) == 0
    resumed = json.loads((out / "history.json").read_text())
    assert len(resumed) == 3
    assert resumed[2]["loss"] == pytest.approx(reference[2]["loss"], rel=1e-6)
    assert resumed[2]["val_loss"] == pytest.approx(reference[2]["val_loss"], rel=1e-6)



def test_a_longer_budget_restarts_the_early_stopping_count(files: Path, tmp_path: Path) -> None:
    """--resume with a larger --epochs re-plans the cosine (the rate rises again), so early stopping counts
    from the resume; a resume to the same budget (an interrupted run) keeps counting."""
    config = tmp_path / "patience2.toml"
    config.write_text(FAST.replace("epochs = 3", "epochs = 2\npatience = 2"))
    base = tmp_path / "base"
    assert cli.run(_args("--synthetic", "--synthetic-seconds", "5", "--config", str(files / "tiny.toml"),
                         "--train-config", str(config), "--out", str(base), "--no-progress")) == 0

    def resumed(name: str, budget: int, *epochs: str) -> dict:
        """A copy of the run one epoch without a new best (and none can beat 0), started with ``budget``
        epochs, resumed with ``epochs`` (``--epochs N``, or nothing: the budget it was started with)."""
        out = tmp_path / name
        shutil.copytree(base, out)
        state = json.loads((out / "checkpoint" / "state.json").read_text())
        state.update(best_val=0.0, stop_wait=1, plateau_wait=1)
        (out / "checkpoint" / "state.json").write_text(json.dumps(state))
        toml = out / "train.toml"
        assert "epochs = 2\n" in toml.read_text()
        toml.write_text(toml.read_text().replace("epochs = 2\n", f"epochs = {budget}\n"))
        assert cli.run(_args("--resume", "--out", str(out), *epochs, "--no-progress")) == 0
        return json.loads((out / "checkpoint" / "state.json").read_text())

    cut = resumed("interrupted", 3, "--epochs", "3")
    assert cut["epoch"] == 3 and cut["stop_wait"] == 2 and cut["stopped_early"]
    longer = resumed("longer", 2, "--epochs", "3")
    assert longer["epoch"] == 3 and longer["stop_wait"] == 1 and not longer["stopped_early"]
    # a run resumed to 3 epochs and interrupted again continues to 3 with a plain --resume (the budget
    # comes from the run folder's train.toml, not the first start's 2)
    again = resumed("interrupted-again", 3)
    assert again["epoch"] == 3 and again["stop_wait"] == 2 and again["stopped_early"]

def test_rnn_with_knob(files: Path, tmp_path: Path) -> None:
    out = tmp_path / "lstm"
    assert cli.run(_args("--synthetic", "--synthetic-seconds", "4", "--knob-values", "0.2", "0.9",
                         "--config", str(files / "lstm.toml"), "--train-config", str(files / "fast.toml"),
                         "--epochs", "2", "--out", str(out), "--no-progress")) == 0
    run = json.loads((out / "run.json").read_text())
    assert run["knobs"] == [{"name": "gain", "min": 0.0, "max": 1.0}]
    assert run["warmup"] == 32 and run["receptive_field"] == 1
    history = json.loads((out / "history.json").read_text())
    assert history[1]["loss"] < history[0]["loss"]
    with np.load(out / "data.npz") as data:
        assert data["rep_x"].shape[-1] == 2 and data["test_x"].shape[-1] == 2


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--synthetic", "--preset", "nonesuch"], "no model config 'nonesuch'"),
        (["--data", "missing.toml", "--preset", "nano"], "manifest not found"),
        (["--preset", "nano"], "exactly one of --data MANIFEST or --synthetic"),
        (["--synthetic"], "exactly one of --preset NAME or --config TOML"),
        (["--synthetic", "--preset", "nano", "--train-config", "nope.toml"], "train config not found"),
        (["--synthetic", "--preset", "nano", "--synthetic-seconds", "-1"], "must be positive"),
        (["--synthetic", "--preset", "nano", "--knob-values", "2"], "must be in [0, 1]"),
        (["--synthetic", "--preset", "nano", "--epochs", "0"], "--epochs must be positive"),
        (["--resume"], "--resume: no checkpoint"),
    ],
)
def test_bad_arguments_are_one_line_errors(argv: list[str], message: str, tmp_path: Path) -> None:
    with pytest.raises(M7Error) as err:
        cli.run(_args(*argv, "--out", str(tmp_path / "r")))
    assert message in str(err.value) and "\n" not in str(err.value)
    assert not (tmp_path / "r").exists()  # nothing is created for a bad command


def test_finished_run_is_not_overwritten(run_dir: Path, files: Path) -> None:
    before = (run_dir / "run.json").read_text()
    with pytest.raises(M7Error, match="holds a finished run: pass --resume"):
        _train(files, run_dir)
    with pytest.raises(M7Error, match="finished run"):
        cli.run(_args("--resume", "--out", str(run_dir), "--no-progress"))
    assert (run_dir / "run.json").read_text() == before


def test_parent_folder_gets_a_timestamped_run(tmp_path: Path) -> None:
    from m7amp.training import resolve_run_dir

    (tmp_path / "other").mkdir()
    run = resolve_run_dir(tmp_path, "nano", resume=False)
    assert run.parent == tmp_path and run.name.startswith("nano-")
    assert resolve_run_dir(tmp_path / "new", "nano", resume=False) == tmp_path / "new"


def test_bad_train_config_names_the_key(tmp_path: Path) -> None:
    from m7amp.training import load_train_config

    cases = (("epochz = 3", "unknown key 'epochz'"), ("epochs = 1.5", "'epochs' must be an integer"),
             ("[rnn]\nwarm = 3", "unknown key 'rnn.warm'"), ("lr_factor = 2.0", "'lr_factor'"),
             ("jit_compile = 1", "'jit_compile' must be true or false"),
             ('lr_schedule = "step"', "'lr_schedule' must be one of"),
             ("lr_schedule = 1", "must be a string"),
             ("warmup_epochs = -1", "'warmup_epochs' must be >= 0"),
             ("plain_esr_weight = -0.5", "'plain_esr_weight' must be >= 0"),
             ("lowband_esr_weight = -1", "'lowband_esr_weight' must be >= 0"),
             ("lowband_hz = 0", "'lowband_hz' must be > 0"),
             ("esr_weight = 0\ndc_weight = 0", "esr_weight \\+ plain_esr_weight"))
    for text, message in cases:
        (tmp_path / "t.toml").write_text(text)
        with pytest.raises(M7Error, match=message):
            load_train_config(tmp_path / "t.toml")
    assert load_train_config().epochs > 0  # the committed training/train.toml is valid
    # ... and states the recipe: a file that leaves a key out gets the same value as the default file
    from m7amp.training import TrainConfig

    assert load_train_config() == TrainConfig()


def test_learning_rate_schedules() -> None:
    from m7amp.training import TrainConfig

    cos = TrainConfig(epochs=10, learning_rate=0.01, min_lr=0.001, lr_schedule="cosine", warmup_epochs=2)
    lrs = [cos.scheduled_lr(e) for e in range(1, 11)]
    assert lrs[:3] == pytest.approx([0.01 / 3, 0.02 / 3, 0.01])  # linear warm-up, then the peak
    assert lrs[-1] == pytest.approx(0.001)  # min_lr at the last epoch
    assert lrs[4] > 0.0055 > lrs[6]  # half way down in the middle of the decay (epochs 3..10)
    assert all(a > b for a, b in itertools.pairwise(lrs[2:]))  # decreasing after the warm-up
    assert cos.with_overrides(epochs=20).scheduled_lr(10) > lrs[-1]  # --epochs stretches the decay
    plateau = TrainConfig(learning_rate=0.01, lr_schedule="plateau", warmup_epochs=1)
    assert plateau.scheduled_lr(1) == pytest.approx(0.005) and plateau.scheduled_lr(2) is None
