"""The renode audio target without Renode: its monitor commands, the per-block cycle sampling, and the
one-line errors before any Renode runs."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from m7amp.errors import M7Error
from m7amp.targets import BACKENDS, get_target
from m7amp.targets.renode import renode_command
from m7amp.targets.renode_audio import AUDIO_MIPS, RenodeAudioTarget, _block_cycles, audio_commands
from tests.targets.test_renode import PROMPT, fake_renode


def test_registered_as_renode_running_the_audio_app():
    assert BACKENDS["renode"] == "m7amp.targets.renode_audio:RenodeAudioTarget"
    assert RenodeAudioTarget.app == "audio" and RenodeAudioTarget.name == "renode"


def test_commands_load_the_resc_then_set_the_models_files(tmp_path: Path):
    cmds = renode_command("renode", tmp_path / "audio.elf", uart="file", folder=tmp_path,
                          commands=audio_commands(tmp_path, AUDIO_MIPS, 0x2000_4000))[5::2]  # the -e values
    assert cmds[0] == f"set bin @{(tmp_path / 'audio.elf').resolve()}"
    assert cmds[1].startswith("include @") and cmds[1].endswith("renode/m7amp.resc")
    assert "cpu PerformanceInMips 324" in cmds
    assert f"sai1 OutputFile @{tmp_path / 'output.raw'}" in cmds
    assert f"sai1 StartFile @{tmp_path / 'start.txt'}" in cmds
    assert "dma2 TraceAddress 0x2000402c" in cmds and "dma2 TraceWords 3" in cmds
    assert not any("InputFile" in c for c in cmds)  # given once the frame rate is known
    assert cmds[-1] == "start"
    assert not any("TraceAddress" in c for c in audio_commands(tmp_path, 216, None))


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
    assert main(["run", "--mips", "400", "--in", str(wav)]) == 2
    assert "--mips sets Renode's speed: it needs --target renode" in capsys.readouterr().err
    for out, what in ((tmp_path, "is a folder"), (tmp_path / "none" / "o.wav", "does not exist")):
        assert main(["run", "--in", str(wav), "--out", str(out)]) == 2  # before reading the input
        err = capsys.readouterr().err.strip()
        assert what in err and "give the path of a WAV file" in err and "\n" not in err


def test_startup_errors_are_one_line_within_seconds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the audio target starts Renode through RenodeSession: a .repl error (Renode then waits at its
    # prompt), a too-old Renode and a firmware that fails its start each end play() at once in one line
    monkeypatch.setattr("m7amp.targets.renode_audio._stats_address", lambda elf: None)  # a stub ELF
    elf = tmp_path / "audio.elf"
    elf.write_bytes(b"\x7fELF")
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "c").mkdir()
    repl_error = fake_renode(tmp_path / "a", """echo "There was an error executing command 'include @x.repl'"
echo "Error E15: Ambiguous choice of default interrupt."
printf "(m7amp) "
""" + PROMPT)
    old = fake_renode(tmp_path / "b", "exit 1", "Renode v1.15.3.27745")
    # writes USART3 where CreateFileBackend is told to: the firmware's failed start
    failed = fake_renode(tmp_path / "c", """for a in "$@"; do case "$a" in
  "sysbus.usart3 CreateFileBackend @"*) f=${a#*@}; f=${f% true}
    printf 'M7AMP AUDIO FAIL sai -3\\r\\n' > "$f";;
esac; done
""" + PROMPT)
    cases = [(repl_error, r"^renode: 'include @x\.repl' failed: Error E15: Ambiguous choice"),
             (old, r"^Renode 1\.15\.3 .* too old: m7amp needs Renode >= 1\.16\.1, because"),
             (failed, r"^audio\.elf in Renode: M7AMP AUDIO FAIL sai -3$")]
    for exe, message in cases:
        target = RenodeAudioTarget(renode=exe)
        target.load(elf)
        t0 = time.monotonic()
        with pytest.raises(M7Error, match=message) as info:
            target.play(np.zeros(64, np.float32), 48000)
        assert time.monotonic() - t0 < 5 and "\n" not in str(info.value)
