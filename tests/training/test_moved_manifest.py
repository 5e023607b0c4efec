"""A run folder whose training manifest was moved: ``m7amp bench esr --data`` still works (it needs the
run's manifest only for the 'trained' column, read from the run's own copy), and ``m7amp train --resume``
names the missing path in one line and accepts ``--data`` with the manifest's new place."""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import pytest

from m7amp.commands import train as cli
from m7amp.data import load_dataset
from m7amp.errors import M7Error
from m7amp.training._by_setting import bench_esr, esr_by_setting
from tests.data.test_manifest import _write_pair
from tests.training.test_train import _args

MANIFEST = """name = "moved"
[[knobs]]
name = "gain"
min = 0
max = 10
[[pairs]]
input = "a_in.wav"
target = "a_out.wav"
knobs = { gain = 5 }
split = { train = 0.8, val = 0.2 }
[[pairs]]
input = "b_in.wav"
target = "b_out.wav"
knobs = { gain = 9 }
split = "test"
"""


def test_moved_manifest(files: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    _write_pair(data, "a", seconds=2.0, gain=0.5)
    _write_pair(data, "b", seconds=1.0, gain=0.9, seed=1)
    (data / "m.toml").write_text(MANIFEST)
    run = tmp_path / "run"
    assert cli.run(_args("--data", str(data / "m.toml"), "--config", str(files / "tiny.toml"),
                         "--train-config", str(files / "fast.toml"), "--epochs", "1", "--out", str(run),
                         "--no-progress")) == 0
    moved = tmp_path / "elsewhere"
    shutil.move(data, moved)

    # bench esr: --data is all it needs; the 'trained' column comes from the run's data.toml
    capsys.readouterr()
    ns = argparse.Namespace(runs=[str(run)], data=str(moved / "m.toml"), data_root=None, split="test")
    assert bench_esr(ns) == 0
    assert "| gain 9 | 1.00 | no |" in capsys.readouterr().out
    val = esr_by_setting(run, load_dataset(moved / "m.toml"), "val")
    assert [(r["setting"], r["trained"]) for r in val] == [("gain 5", True)]  # split fractions: trained

    # resume needs the data: one line naming the missing manifest and suggesting --data
    resume = ("--resume", "--epochs", "2", "--out", str(run), "--no-progress")
    with pytest.raises(M7Error) as err:
        cli.run(_args(*resume))
    assert f"{data / 'm.toml'} is missing" in str(err.value) and "--data" in str(err.value)
    assert "\n" not in str(err.value)
    # a manifest with other contents is refused; the moved one resumes and is recorded for next time
    (moved / "other.toml").write_text(MANIFEST.replace("gain = 9", "gain = 8"))
    with pytest.raises(M7Error, match="differs from the manifest"):
        cli.run(_args(*resume, "--data", str(moved / "other.toml")))
    assert cli.run(_args(*resume, "--data", str(moved / "m.toml"))) == 0
    assert len(json.loads((run / "history.json").read_text())) == 2
    args = json.loads((run / "checkpoint" / "run_args.json").read_text())
    assert args["data"]["manifest"] == str((moved / "m.toml").resolve())
