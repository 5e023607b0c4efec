"""The tflm engine in the simulator (needs a TFLM tree: $M7AMP_TFLM_DIR): the golden app
(firmware/app/golden) runs the first SAMPLES of the default package's golden input through TFLM on the
simulated F767; the output must equal the TFLite interpreter's (reference kernels) on the same streaming
model and stay as close to Keras as the package measured. Also: `m7amp bench engine --engine tflm,cmsis`.
"""

from __future__ import annotations

import json

import numpy as np

from m7amp.bench import bench_engine_row, format_engine_table
from m7amp.package import DEFAULT_PACKAGE
from m7amp.sim import Simulator
from m7amp.tflm import build_tflm_app, measure_arena, stream_model
from tests._skips import requires_arm_gcc, requires_tflm

pytestmark = [requires_arm_gcc, requires_tflm]

META = json.loads((DEFAULT_PACKAGE / "metadata.json").read_text())
SAMPLES, BLOCK = 4096, 32


def esr(y: np.ndarray, ref: np.ndarray) -> float:
    ref = np.asarray(ref, np.float64)
    return float(np.sum((np.asarray(y, np.float64) - ref) ** 2) / np.sum(ref ** 2))


def run_golden(precision: str, x: np.ndarray) -> np.ndarray:
    """The golden app's output for input samples ``x`` (float32 or int16 Q15)."""
    arena = measure_arena(DEFAULT_PACKAGE, META["name"], precision)
    defines = {"M7AMP_GOLDEN_SAMPLES": str(SAMPLES), "M7AMP_GOLDEN_BLOCK": str(BLOCK)}
    elf = build_tflm_app("golden", DEFAULT_PACKAGE, META["name"], precision, arena_bytes=arena,
                         defines=defines)
    sim = Simulator(elf)
    addr = sim.symbol("golden_input")
    assert 0x08000000 <= addr < 0x08200000  # in flash: written by the host, not zeroed by the startup
    sim.write_memory(addr, x.tobytes())
    result = sim.run(max_cycles=20_000_000_000)
    assert result.stop_reason == "exit" and result.status == 0, result.uart
    assert f"M7AMP GOLDEN PASS samples={SAMPLES}" in result.uart
    return np.frombuffer(sim.read_memory(sim.symbol("golden_output"), x.nbytes), x.dtype)


def golden_input() -> tuple[np.ndarray, np.ndarray]:
    x = np.load(DEFAULT_PACKAGE / "golden" / "input.npy").astype(np.float32).reshape(-1, META["n_inputs"])
    y = np.load(DEFAULT_PACKAGE / "golden" / "output.npy").astype(np.float32).reshape(-1)
    return x[:SAMPLES], y[:SAMPLES]


def test_f32_matches_the_interpreter_and_keras() -> None:
    from m7amp.export._tflite import run_tflite_streaming

    x, keras = golden_input()
    y = run_golden("f32", np.ascontiguousarray(x[:, 0]))
    interp = run_tflite_streaming(stream_model(DEFAULT_PACKAGE, "f32").read_bytes(), x, BLOCK)
    print(f"tflm f32 nano: max |tflm - interpreter| {np.max(np.abs(y - interp)):.3g}, "
          f"ESR vs interpreter {esr(y, interp):.3g}, ESR vs Keras {esr(y, keras):.3g}")
    assert np.max(np.abs(y - interp)) < 1e-5
    assert esr(y, keras) < 1e-6  # the package measured the streaming f32 model at ~1e-13


def _q15(v: np.ndarray) -> np.ndarray:
    """float -> Q15 like the engine: round half away from zero, saturate (float32 arithmetic)."""
    r = np.sign(v) * np.floor(np.abs(v.astype(np.float32) * np.float32(32768)) + np.float32(0.5))
    return np.clip(r, -32768, 32767).astype(np.int16)


def interpreter_int8(x_q15: np.ndarray) -> np.ndarray:
    """The int8 streaming model in the TFLite interpreter (reference kernels) on the engine's int8 input:
    Q15 -> int8 with the model's scale and zero point, int8 out -> Q15, as m7_engine_tflm.cc does."""
    from m7amp.export._tflite import _interpreter

    interp = _interpreter(stream_model(DEFAULT_PACKAGE, "q15").read_bytes())
    interp.allocate_tensors()
    inp, out = interp.get_input_details()[0], interp.get_output_details()[0]
    (s_in, z_in), (s_out, z_out) = inp["quantization"], out["quantization"]
    xf = x_q15.astype(np.float32) / np.float32(32768) / np.float32(s_in)
    xi = np.clip(np.sign(xf) * np.floor(np.abs(xf) + np.float32(0.5)) + z_in, -128, 127).astype(np.int8)
    y = np.empty(len(xi), np.int16)
    for at in range(0, len(xi), BLOCK):
        interp.set_tensor(inp["index"], xi[at:at + BLOCK].reshape(1, BLOCK, 1))
        interp.invoke()
        yi = interp.get_tensor(out["index"]).reshape(-1).astype(np.float32)
        y[at:at + BLOCK] = _q15((yi - np.float32(z_out)) * np.float32(s_out))
    return y


def test_int8_matches_the_interpreter_and_keras() -> None:
    x, keras = golden_input()
    xq = _q15(x[:, 0])
    y = run_golden("q15", xq)
    interp = interpreter_int8(xq)
    diff = np.abs(y.astype(np.int32) - interp)
    yf = y.astype(np.float32) / 32768
    print(f"tflm int8 nano: samples differing from the interpreter {np.count_nonzero(diff)}, "
          f"ESR vs Keras {esr(yf, keras):.4g} (package, interpreter over 48000 samples: "
          f"{META['variants']['stream_int8']['esr_vs_keras']:.4g})")
    assert np.array_equal(y, interp)  # TFLM's int8 kernels are ports of TFLite's reference kernels
    assert esr(yf, keras) < 0.1  # int8 costs this model ~0.02 (docs/tflite.md); not an accuracy claim


def test_bench_rows_side_by_side() -> None:
    rows = [bench_engine_row(DEFAULT_PACKAGE, "f32", BLOCK, 4, engine) for engine in ("tflm", "cmsis")]
    table = format_engine_table(rows)
    print(table)
    tflm, cmsis = rows
    assert tflm["engine"] == "tflm" and cmsis["engine"] == "cmsis"
    assert tflm["cycles_per_sample"] > 0 and tflm["flash_bytes"] > 0
    # The arena is the tflm engine's scratch; its state lives inside it (resource variables).
    assert tflm["scratch_bytes"] >= META["memory"]["state_bytes_f32"]
    assert tflm["checksum"] != cmsis["checksum"] or tflm["cycles_per_sample"] != cmsis["cycles_per_sample"]
