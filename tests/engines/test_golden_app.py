"""The golden app (firmware/app/golden) with the default cmsis engine: the host-written golden input
through the engine in the simulator gives the package's Keras output (f32). The tflm engine's checks
with the same app are in test_tflm_golden.py."""

from __future__ import annotations

import json

import numpy as np

from m7amp.firmware import build_engine_app
from m7amp.package import DEFAULT_PACKAGE
from m7amp.sim import Simulator
from tests._skips import requires_arm_gcc

SAMPLES = 1024


@requires_arm_gcc
def test_cmsis_f32_golden_matches_keras() -> None:
    meta = json.loads((DEFAULT_PACKAGE / "metadata.json").read_text())
    x = np.load(DEFAULT_PACKAGE / "golden" / "input.npy").astype(np.float32).reshape(-1, meta["n_inputs"])
    keras = np.load(DEFAULT_PACKAGE / "golden" / "output.npy").astype(np.float64).reshape(-1)[:SAMPLES]
    elf = build_engine_app("golden", DEFAULT_PACKAGE / "c", meta["name"], "f32",
                           defines={"M7AMP_GOLDEN_SAMPLES": str(SAMPLES), "M7AMP_GOLDEN_BLOCK": "32"})
    sim = Simulator(elf)
    sim.write_memory(sim.symbol("golden_input"), np.ascontiguousarray(x[:SAMPLES, 0]).tobytes())
    result = sim.run(max_cycles=5_000_000_000)
    assert result.stop_reason == "exit" and result.status == 0, result.uart
    y = np.frombuffer(sim.read_memory(sim.symbol("golden_output"), 4 * SAMPLES), np.float32)
    assert np.sum((y - keras) ** 2) / np.sum(keras ** 2) < 1e-6
