"""The renode audio target without Renode: its monitor commands, the per-block cycle sampling, and the
one-line errors before any Renode runs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from m7amp.errors import M7Error
from m7amp.targets import BACKENDS, get_target
from m7amp.targets.renode_audio import AUDIO_MIPS, RenodeAudioTarget, _block_cycles, audio_commands


def test_registered_as_renode_running_the_audio_app():
    assert BACKENDS["renode"] == "m7amp.targets.renode_audio:RenodeAudioTarget"
    assert RenodeAudioTarget.app == "audio" and RenodeAudioTarget.name == "renode"


def test_commands_load_the_resc_then_set_the_models_files(tmp_path: Path):
    cmds = audio_commands(tmp_path / "audio.elf", tmp_path, AUDIO_MIPS, 0x2000_4000)
    assert cmds[0] == f"set bin @{(tmp_path / 'audio.elf').resolve()}"
    assert cmds[2].startswith("include @") and cmds[2].endswith("renode/m7amp.resc")
    assert "cpu PerformanceInMips 324" in cmds
    assert f"sai1 OutputFile @{tmp_path / 'output.raw'}" in cmds
    assert f"sai1 StartFile @{tmp_path / 'start.txt'}" in cmds
    assert "dma2 TraceAddress 0x2000402c" in cmds and "dma2 TraceWords 3" in cmds
    assert not any("InputFile" in c for c in cmds)  # given once the frame rate is known
    assert cmds[-1] == "start"
    assert not any("TraceAddress" in c for c in audio_commands(tmp_path / "a.elf", tmp_path, 216, None))


def test_block_cycles_are_sampled_when_blocks_grow():
    # (stream, ns, misses, blocks, overruns, cycles_last): a block that finished between two events is
    # skipped (its cycles are not known), as in the simulator
    trace = [(5, 1, 0, 0, 0, 0), (5, 2, 0, 1, 0, 900), (5, 3, 0, 1, 0, 900), (5, 4, 0, 3, 0, 950)]
    assert np.array_equal(_block_cycles(trace), [900, 950])


def test_bad_options_and_missing_renode_are_one_line(tmp_path: Path):
    with pytest.raises(M7Error, match="mips must be positive"):
        RenodeAudioTarget(mips=0)
    with pytest.raises(M7Error, match="target renode: Renode is not available"):
        get_target("renode", renode=str(tmp_path / "no-renode"))
    target = RenodeAudioTarget(renode=str(tmp_path / "no-renode"))
    with pytest.raises(M7Error, match="firmware not found"):
        target.load(tmp_path / "missing.elf")
    with pytest.raises(M7Error, match="no firmware loaded"):
        target.play(np.zeros(8, np.float32), 48000)


def test_run_and_demo_say_in_one_line_when_renode_is_missing(capsys: pytest.CaptureFixture[str],
                                                              tmp_path: Path) -> None:
    from m7amp.cli import main

    wav = tmp_path / "in.wav"
    missing = str(tmp_path / "no-renode")
    assert main(["run", "--target", "renode", "--renode", missing, "--in", str(wav)]) == 2
    err = capsys.readouterr().err.strip()
    assert "Renode is not available" in err and "\n" not in err
    assert main(["demo", "--target", "renode", "--renode", missing, "--out", str(tmp_path / "d")]) == 2
    err = capsys.readouterr().err.strip()
    assert "Renode is not available" in err and "\n" not in err
    assert main(["run", "--target", "renode", "--gdb", "--in", str(wav)]) == 2
    assert "--gdb works with --target sim only" in capsys.readouterr().err
