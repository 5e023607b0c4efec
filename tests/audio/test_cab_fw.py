"""The cabinet IR stage in the audio firmware on the simulated board: its output against
scipy.signal.fftconvolve of the reference model's output (both methods, f32 and q15 engines), its own
cycles, `m7amp run --ir` and the one-line refusals; the bench firmware's IR line.

Tolerance (f32 engine): both sides end in the firmware's 16-bit output, so a sample may differ by one
LSB where the two sides fall on either side of a rounding boundary; the float error before that
(engine, FFT) is far below it: max |diff| <= 1 LSB and ESR <= 1e-9 (measured: 5e-11 .. 8e-11)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from scipy.signal import fftconvolve

from m7amp.audio import play
from m7amp.cab import prepare
from m7amp.errors import M7Error
from m7amp.metrics import esr
from m7amp.package import load_package
from m7amp.playback import quantize
from m7amp.targets import build_firmware
from tests._skips import requires_arm_gcc
from tests.audio.conftest import guitar

pytestmark = requires_arm_gcc

LSB = 1.0 / 32768
F32_ESR_BOUND = 1e-9


@pytest.fixture(scope="module")
def model_output():
    package = load_package()
    cache: dict[bytes, np.ndarray] = {}

    def out(x: np.ndarray) -> np.ndarray:  # the Keras model behind 16-bit input, float output
        key = x.tobytes()
        if key not in cache:
            cache[key] = package.reference_output(quantize(x, 16), 0)
        return cache[key]

    return out


def _reference(model: np.ndarray, ir: np.ndarray) -> np.ndarray:
    """The oracle: scipy's fftconvolve of the model's output, in the firmware's 16-bit output format."""
    return quantize(fftconvolve(model.astype(np.float64), ir.astype(np.float64))[:len(model)], 16)


@pytest.mark.parametrize(("method", "length"), [("fft", None), ("fir", 48)])
def test_f32_firmware_matches_fftconvolve_of_the_reference(model_output, method: str, length: int | None):
    cab = prepare("synthetic", 48_000, 32, length=length, method=method)
    assert cab.method == method and len(cab.taps) == (length or 1024)
    x = guitar(0.1, seed=3)
    result = play(build_firmware("audio", cab=cab), x, 48_000)
    assert result.deadline_misses == 0 and result.io_bits == 16
    assert result.latency_samples == 64  # the stage adds no latency
    ref = _reference(model_output(x), cab.taps)
    assert np.max(np.abs(ref - result.output)) <= LSB
    assert esr(ref, result.output) <= F32_ESR_BOUND
    fw = result.extra["cab"]
    assert fw["taps"] == len(cab.taps) and fw["method"] == method and fw["blocks"] > 0
    # the stage's own cycles: a real share of the whole block's, not all of it
    ir_cps = fw["cycles_sum"] / (fw["blocks"] * 32)
    assert 0 < ir_cps < result.cycles_per_sample


def test_bench_firmware_times_the_ir_after_a_q15_engine():
    # the q15 path timed in the bench firmware (no deadlines, so any model): the engine's output
    # converted to f32 and convolved
    from m7amp.bench import bench_engine_row
    from m7amp.package import DEFAULT_PACKAGE

    cab = prepare("synthetic", 48_000, 32)
    row = bench_engine_row(DEFAULT_PACKAGE, "q15", 32, 4, cab=cab)
    assert row["ir_taps"] == 1024 and row["ir_method"] == "fft"
    assert 0 < row["ir_cycles_per_sample"] < row["cycles_per_sample"]
    total = row["cycles_per_sample"] + row["ir_cycles_per_sample"]
    assert row["total_cycles_per_sample"] == pytest.approx(total, abs=0.11)
    again = bench_engine_row(DEFAULT_PACKAGE, "q15", 32, 4, cab=cab)
    for key in ("checksum", "ir_cycles_per_sample"):  # deterministic
        assert again[key] == row[key]


def test_cli_run_with_ir_reports_its_cycles(tmp_path: Path, capsys):
    import soundfile as sf

    from m7amp.cli import main

    sf.write(tmp_path / "in.wav", guitar(0.05, seed=8), 48_000, subtype="FLOAT")
    code = main(["run", "--in", str(tmp_path / "in.wav"), "--ir", "synthetic", "--json"])
    assert code == 0
    f = json.loads(capsys.readouterr().out)
    assert f["ir_taps"] == 1024 and f["ir_method"] == "fft"
    assert 0 < f["ir_cycles_per_sample"] < f["block_cycles_avg"] / f["block_size"]
    assert f["esr_vs_reference"] <= F32_ESR_BOUND and "cabinet IR" in f["reference"]
    # the same ELF without --ir: the reference would lack the IR, so it is refused in one line
    elf = build_firmware("audio", cab=prepare("synthetic", 48_000, 32))
    assert main(["run", str(elf), "--in", str(tmp_path / "in.wav")]) == 2
    err = capsys.readouterr().err.strip()
    assert "convolves a cabinet IR of 1024 taps: give the same --ir" in err and "\n" not in err
    plain = build_firmware("audio")  # and --ir with an ELF that has no IR stage
    assert main(["run", str(plain), "--in", str(tmp_path / "in.wav"), "--ir", "synthetic"]) == 2
    err = capsys.readouterr().err.strip()
    assert "has no cabinet IR stage: drop --ir" in err and "\n" not in err


def test_bad_ir_on_the_command_line_is_one_line(tmp_path: Path, capsys):
    from m7amp.cli import main

    bad = tmp_path / "cab.wav"
    bad.write_bytes(b"RIFF....nonsense")
    for argv in (["run", "--in", str(bad), "--ir", str(bad)], ["build", "audio", "--ir", str(bad)],
                 ["build", "selftest", "--ir", "synthetic"]):
        assert main(argv) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith(f"m7amp {argv[0]}: error:") and "\n" not in err


def test_ir_needs_the_audio_app():
    with pytest.raises(M7Error, match="audio app, not in hostlink"):
        build_firmware("hostlink", cab=prepare("synthetic", 48_000, 32))


def test_demo_with_the_synthetic_cabinet(tmp_path: Path, capsys):
    from m7amp.cli import main
    from m7amp.record import load_record

    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), "--seconds", "0.1", "--ir", "synthetic"]) == 0
    printed = capsys.readouterr().out
    assert "cabinet IR: synthetic (seed 0), 1024 taps at 48000 Hz (fft)" in printed
    assert "  cabinet IR             : 1024 taps, fft," in printed
    f = load_record(out / "run").figures()
    assert f["esr_vs_reference"] <= F32_ESR_BOUND and f["deadline_misses"] == 0
