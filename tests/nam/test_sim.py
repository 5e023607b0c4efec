"""End to end: the A1-nano capture made by NAM's own code (tests/data/nam/nano.nam) imported with the
plugin's default levels, built into the audio firmware (f32) and played through the simulated SAI1 + DMA2:
the board's output is NAM's forward pass (times the normalizing output gain) within float rounding.

The firmware's audio is 16-bit: the fixture's input is on the 16-bit grid (so the board gets NAM's very
input) and the output can only be NAM's output rounded to 16 bits, so the check is: every output sample
within one 16-bit step of NAM's, and (nearly) all of them equal to NAM's output rounded to 16 bits."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from m7amp import nam
from m7amp.metrics import esr
from m7amp.package import ENGINE_ESR_BOUND
from tests._skips import requires_arm_gcc, requires_host_cc

DATA = Path(__file__).resolve().parents[1] / "data" / "nam"
pytestmark = requires_arm_gcc


def test_imported_nano_plays_in_the_simulator_like_nam(tmp_path) -> None:
    from m7amp.audio import play
    from m7amp.targets import build_firmware

    pkg = tmp_path / "pkg"
    meta = nam.import_capture(DATA / "nano.nam", pkg, tflite=False, golden_seconds=0.05,
                              progress=lambda _: None)
    lv = meta["nam"]["levels"]
    assert lv["output_mode"] == "normalized" and lv["output_gain_db"] > 20  # -18 dB - loudness (-44 dB)
    with np.load(DATA / "nano.npz") as d:
        x, y = d["x"], d["y"]
    w = meta["nam"]["warmup_samples"]
    elf = build_firmware("audio", pkg, precision="f32")
    result = play(elf, np.concatenate([np.zeros(w, np.float32), x]), 48000)
    out = result.output[w:]
    assert len(out) == len(x) and result.deadline_misses == 0
    assert result.io_bits == 16 and np.array_equal(np.round(x * 32768) / 32768, x)
    want = lv["output_gain"] * y.astype(np.float64)
    steps = np.abs(out - want) * 32768
    rounded = np.clip(np.round(want * 32768), -32768, 32767) / 32768
    same = np.count_nonzero(out == rounded) / len(out)
    print(f"\nnano.nam in the simulator (f32, 16-bit I/O) vs NAM: ESR {esr(want, out):.3e}, max "
          f"{steps.max():.3f} LSB, {100 * same:.2f} % of samples = NAM's output rounded to 16 bits")
    assert steps.max() <= 1.0
    assert same >= 0.99


@requires_host_cc
@pytest.mark.parametrize("precision", ["f32", "q15"])
def test_imported_gated_capture_plays_in_the_simulator(tmp_path, precision) -> None:
    """gated.nam (NAM gating_mode "gated" layers, made by NAM's code), raw levels, on the simulated board:
    f32 within one 16-bit step of NAM's output; q15 bit for bit the numpy q15 reference of the package."""
    from m7amp.audio import play
    from m7amp.targets import build_firmware

    pkg = tmp_path / "pkg"
    meta = nam.import_capture(DATA / "gated.nam", pkg, output_mode="raw", tflite=False, golden_seconds=0.05,
                              progress=lambda _: None)
    with np.load(DATA / "gated.npz") as d:
        x, y = d["x"], d["y"]
    w = meta["nam"]["warmup_samples"]
    xw = np.concatenate([np.zeros(w, np.float32), x])
    result = play(build_firmware("audio", pkg, precision=precision), xw, 48000)
    out = result.output[w:]
    assert len(out) == len(x) and result.deadline_misses == 0 and result.io_bits == 16
    if precision == "f32":
        steps = np.abs(out - y.astype(np.float64)) * 32768
        print(f"\ngated.nam in the simulator (f32) vs NAM: ESR {esr(y, out):.3e}, max {steps.max():.3f} LSB")
        assert steps.max() <= 1.0
        return
    # the reference with the package's own q15 formats, read back from its C descriptor (host build)
    from tests.engines.test_engine_q15 import Lib

    ql = Lib(pkg / "c", [meta["c"][p]["source"].removeprefix("c/") for p in ("f32", "q15")],
             meta["c"]["q15"]["symbol"], tmp_path)
    ref = ql.reference()
    want = ref.run(xw[:, None], 4096)[w:]
    print(f"\ngated.nam in the simulator (q15) vs NAM: ESR {esr(y, out):.3e}; "
          f"{np.count_nonzero(out != want)} samples differ from the q15 reference")
    np.testing.assert_array_equal(out, want)
    assert esr(y, out) <= ENGINE_ESR_BOUND["q15"]
