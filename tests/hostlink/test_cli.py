"""``m7amp hostlink``: a short play in the simulator as JSON, and one-line errors for what is missing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from m7amp.cli import main
from tests._skips import requires_arm_gcc
from tests.hostlink.conftest import META, MODEL


@requires_arm_gcc
def test_sim_row(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["hostlink", "--seconds", "0.003", "--block", "64", "--json"]) == 0  # 144 samples
    row = json.loads(capsys.readouterr().out)
    assert (row["target"], row["model"], row["precision"]) == ("sim-hostlink", MODEL, "f32")
    assert (row["block"], row["blocks"], row["samples"]) == (64, 3, 144)
    assert row["cycles_per_sample"] > 0
    assert row["load"] == pytest.approx(row["cycles_per_sample"] / 4500, rel=1e-2)
    # the bound tests/engines holds the f32 engine to against Keras
    assert row["esr_vs_keras"] <= 100 * max(META["variants"]["c_f32"]["esr_vs_keras"], 1e-12)


def test_missing_renode_is_one_line(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                                    tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("RENODE", raising=False)  # CI points $RENODE at a Renode: this test has none
    elf = tmp_path / "hostlink.elf"
    elf.write_bytes(b"\x7fELF")
    assert main(["hostlink", "--target", "renode", "--elf", str(elf)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("m7amp hostlink: error: Renode is not available") and "\n" not in err


def test_not_a_package(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["hostlink", "--package", str(tmp_path)]) == 2
    assert "not a model package" in capsys.readouterr().err
