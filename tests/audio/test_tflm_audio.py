"""The audio app linked with the tflm engine (needs a TFLM tree: $M7AMP_TFLM_DIR), on the simulated
board: TFLM is far too slow for 48 kHz, and the run says so with its miss count; at a low rate it keeps
up and matches the package's Keras model. TFLM itself is compiled once per tree (build/tflm/) and only
linked here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from m7amp.audio import play
from m7amp.errors import M7Error
from m7amp.metrics import esr
from m7amp.package import ENGINE_ESR_BOUND, load_package
from m7amp.targets import build_firmware
from tests._skips import requires_arm_gcc, requires_renode, requires_tflm
from tests.audio.conftest import guitar

pytestmark = [requires_arm_gcc, requires_tflm]

# The rate at which nano f32 keeps up through TFLM: measured with `m7amp run --engine tflm --rate ...`
# (docs/tflm.md, "The audio app"); 8 kHz still misses.
KEEPS_UP_RATE = 4000


def tflm_audio(rate: int) -> Path:
    return build_firmware("audio", precision="f32", sample_rate=rate, block=32, engine="tflm")


def test_cli_run_at_48k_misses_deadlines_and_says_so(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """`m7amp run --engine tflm`: nano f32 needs ~53 000 cycles/sample through TFLM, the 48 kHz budget
    is 4 500 (~12x): the run reports the misses and the rate the worst block would still meet."""
    import soundfile as sf

    from m7amp.cli import main

    sf.write(tmp_path / "in.wav", guitar(0.02, seed=8), 48000, subtype="FLOAT")
    assert main(["run", "--in", str(tmp_path / "in.wav"), "--engine", "tflm", "--json"]) == 0
    out = capsys.readouterr()
    figures = json.loads(out.out)
    assert "(tflm engine, f32, 48000 Hz, block 32)" in out.err
    assert figures["sample_rate"] == 48000 and figures["peak_load"] > 10
    assert figures["deadline_misses"] > 0 and figures["firmware_overruns"] > 0
    assert figures["max_rate_hz"] < 48000 / 10
    assert "_tflm-" in figures["firmware"]


def test_low_rate_keeps_up_and_matches_keras() -> None:
    x = guitar(0.25, rate=KEEPS_UP_RATE, seed=9)
    result = play(tflm_audio(KEEPS_UP_RATE), x, KEEPS_UP_RATE)
    assert result.sample_rate == KEEPS_UP_RATE
    assert result.deadline_misses == 0 and result.extra["firmware_overruns"] == 0
    assert result.peak_load < 1.0
    reference = load_package().reference_output(x[:len(result.output)], result.io_bits)
    assert esr(reference, result.output) < ENGINE_ESR_BOUND["f32"]


@requires_renode
def test_renode_at_the_low_rate_keeps_up_and_gives_the_simulators_bits() -> None:
    """The same tflm audio ELF in Renode (m7amp's SAI1/DMA2 models): no misses at the rate where the
    simulator keeps up, and the simulator's output bits."""
    from m7amp.targets import get_target

    x = guitar(0.1, rate=KEEPS_UP_RATE, seed=9)
    elf = tflm_audio(KEEPS_UP_RATE)
    with get_target("renode") as target:
        target.load(elf)
        result = target.play(x, KEEPS_UP_RATE)
    assert result.sample_rate == KEEPS_UP_RATE and result.deadline_misses == 0
    assert (result.output == play(elf, x, KEEPS_UP_RATE).output).all()


def test_block_not_a_multiple_of_the_model_block_is_refused() -> None:
    with pytest.raises(M7Error, match="multiple of the model's block"):
        build_firmware("audio", block=16, engine="tflm")


def test_tflm_is_compiled_once_and_linked(tmp_path: Path) -> None:
    """Every firmware build links the one library in build/tflm/<tree>-<key>/lib: an audio build
    configures M7AMP_TFLM_LIB to it and compiles no TFLM source itself; building again leaves it as is."""
    from m7amp.tflm import tflm_library

    lib = tflm_library()
    stamp = lib.stat().st_mtime_ns
    elf = tflm_audio(48000)
    build_dir = elf.parents[3]
    assert f"M7AMP_TFLM_LIB:FILEPATH={lib}" in (build_dir / "CMakeCache.txt").read_text()
    assert not list(build_dir.rglob("*micro_interpreter*.obj"))
    assert tflm_library() == lib and lib.stat().st_mtime_ns == stamp
