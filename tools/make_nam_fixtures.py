"""Make the NAM import fixtures (tests/data/nam/) with Neural Amp Modeler's own code: the oracle.

Run it with a Python that has PyTorch and the ``neural-amp-modeler`` package, outside the repository's
virtualenv (CI never runs it; the fixtures are committed):

    python3 -m venv /work/namvenv && /work/namvenv/bin/pip install torch==2.13.0 neural-amp-modeler
    /work/namvenv/bin/python tools/make_nam_fixtures.py            # writes tests/data/nam/

For each model: build it from a NAM config with seeded random weights, export it with NAM's exporter
(``<name>.nam``: config, weights, loudness metadata), load that file back with NAM's loader
(``nam.models.init_from_nam``) and run NAM's forward pass (float32, ``pad_start`` as its default) on
a short deterministic input. ``<name>.npz`` holds ``x`` (input) and ``y`` (NAM's output), float32.
``blended.nam`` has no expected output: m7amp refuses it (NAM's "blended" gating mode).

``--a1 DIR`` instead writes untrained NAM A1 captures (nano, feather, lite, standard: NAM's trainer
presets) and ``nano_gated`` (nano with every layer gated) into DIR for the benchmarks
(docs/benchmarks.md, docs/nam-import.md); they are too big to commit.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import torch
from nam.models import init_from_nam
from nam.models.metadata import UserMetadata
from nam.models.recurrent import LSTM
from nam.models.wavenet import WaveNet

OUT = Path(__file__).resolve().parents[1] / "tests" / "data" / "nam"
A1_DILATIONS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512]


def layer_array(input_size: int, channels: int, head_out: int, head_bias: bool, dilations: list[int],
                kernel: int | list[int] = 3, **extra: Any) -> dict[str, Any]:
    return {"input_size": input_size, "condition_size": 1, "channels": channels,
            "head": {"out_channels": head_out, "kernel_size": 1, "bias": head_bias},
            "kernel_size": kernel, "dilations": dilations, "activation": "Tanh", **extra}


def wavenet(arrays: list[dict[str, Any]], head_scale: float = 0.02) -> WaveNet:
    return WaveNet.init_from_config({"layers_configs": arrays, "head": None, "head_scale": head_scale,
                                     "sample_rate": 48000})


def test_input(n: int, seed: int) -> np.ndarray:
    """Plucked-string-like test signal: decaying harmonics with a noise attack, peak 0.5, on the 16-bit
    grid (exact through the firmware's 16-bit audio input, so the simulator sees NAM's very input)."""
    rng = np.random.default_rng(seed)
    t = np.arange(n) / 48000.0
    x = np.zeros(n)
    for start, f0 in ((0, 82.4), (n // 3, 196.0), (2 * n // 3, 329.6)):
        tt = np.clip(t - t[start], 0, None) * (t >= t[start])
        env = np.exp(-tt * 6.0) * (t >= t[start])
        x += env * sum(np.sin(2 * np.pi * f0 * k * tt) / k for k in range(1, 6))
        x[start:start + 64] += rng.normal(0, 0.3, min(64, n - start))
    return (np.round(0.5 * x / np.abs(x).max() * 32768) / 32768).astype(np.float32)


def export(model: Any, name: str, metadata: UserMetadata | None = None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        model.export(Path(tmp), basename=name, user_metadata=metadata)
        return json.loads(Path(tmp, f"{name}.nam").read_text())


def nam_forward(doc: dict[str, Any], x: np.ndarray) -> np.ndarray:
    """NAM's own forward pass on the model as its loader reads the file."""
    model = init_from_nam(json.loads(json.dumps(doc)))
    model.eval()
    with torch.no_grad():
        return model(torch.from_numpy(x[None])).numpy()[0].astype(np.float32)


def write(name: str, doc: dict[str, Any], n: int | None, seed: int) -> None:
    doc["metadata"].pop("date", None)  # keep the fixtures byte-stable between runs
    (OUT / f"{name}.nam").write_text(json.dumps(doc) + "\n")
    if n is not None:
        x = test_input(n, seed)
        y = nam_forward(doc, x)
        np.savez_compressed(OUT / f"{name}.npz", x=x, y=y)
        print(f"{name}: {len(doc['weights'])} weights, output rms {np.sqrt(np.mean(y ** 2)):.3g}")


A1_CHANNELS = {"nano": (4, 2), "feather": (8, 4), "lite": (12, 6), "standard": (16, 8)}
GATED = {"name": "PairMultiply", "primary": "Tanh", "secondary": "Sigmoid"}  # NAM gating_mode "gated"


def write_a1(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    for name, (c0, c1) in A1_CHANNELS.items():
        model = wavenet([layer_array(1, c0, c1, False, A1_DILATIONS),
                         layer_array(c0, c1, 1, True, A1_DILATIONS)])
        doc = export(model, name)
        (out / f"{name}.nam").write_text(json.dumps(doc) + "\n")
        print(f"{out / name}.nam: {len(doc['weights'])} weights")
    # nano with every layer gated (the benchmark's gated-vs-tanh comparison, docs/nam-import.md)
    c0, c1 = A1_CHANNELS["nano"]
    model = wavenet([layer_array(1, c0, c1, False, A1_DILATIONS, activation=GATED),
                     layer_array(c0, c1, 1, True, A1_DILATIONS, activation=GATED)])
    doc = export(model, "nano_gated")
    (out / "nano_gated.nam").write_text(json.dumps(doc) + "\n")
    print(f"{out / 'nano_gated'}.nam: {len(doc['weights'])} weights")


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == "--a1":
        write_a1(Path(sys.argv[2]))
        return 0
    OUT.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    # A1 "nano" exactly (channels 4 -> 2, two arrays of dilations 1..512, kernel 3).
    nano = wavenet([layer_array(1, 4, 2, False, A1_DILATIONS), layer_array(4, 2, 1, True, A1_DILATIONS)])
    write("nano", export(nano, "nano"), 6144, 1)
    # feather-like channels (8 -> 4), shorter dilations, a bias on both head rechannels, levels metadata.
    feather = wavenet([layer_array(1, 8, 4, True, A1_DILATIONS[:8]),
                       layer_array(8, 4, 1, True, A1_DILATIONS[:8])])
    levels = UserMetadata(name="feather-like test capture", input_level_dbu=18.3, output_level_dbu=10.5)
    write("feather_short", export(feather, "feather_short", levels), 2048, 2)
    # Three chained arrays, kernel 2, no layer 1x1 (residual = identity).
    off = {"layer_1x1_config": {"active": False}}
    chain = wavenet([layer_array(1, 3, 5, False, [1, 3, 9], 2, **off),
                     layer_array(3, 5, 2, False, [1, 2], 2, **off),
                     layer_array(5, 2, 1, True, [1, 4, 16], 2, **off)], head_scale=0.1)
    write("chain3", export(chain, "chain3"), 1024, 3)
    # LSTM, one layer of 6 (NAM stores the state after 1 s of silence as the initial state).
    lstm = LSTM(hidden_size=6, sample_rate=48000)
    write("lstm", export(lstm, "lstm"), 1024, 4)
    # Per-layer kernel sizes (NAM's kernel_sizes), two arrays 4 -> 3 channels.
    kernels = wavenet([layer_array(1, 4, 3, False, [1, 2, 4], [3, 2, 5]),
                       layer_array(4, 3, 1, True, [1, 3], [2, 4])])
    write("kernels", export(kernels, "kernels"), 1024, 6)
    # Gated layers (NAM gating_mode "gated": tanh * sigmoid): every layer of the first array, every
    # other layer of the second (per-layer gating), kernel 3 and a kernel-2 layer.
    gated = wavenet([layer_array(1, 4, 2, False, [1, 2, 4, 8], activation=GATED),
                     layer_array(4, 2, 1, True, [1, 4, 16], [3, 2, 3], activation=[GATED, "Tanh", GATED])],
                    head_scale=0.05)
    write("gated", export(gated, "gated"), 2048, 5)
    # Blended layers (gating_mode "blended"): m7amp refuses them.
    blended_act = {"name": "PairBlend", "primary": "Tanh", "secondary": "Sigmoid"}
    blended = wavenet([layer_array(1, 2, 1, True, [1, 2], activation=blended_act)])
    write("blended", export(blended, "blended"), None, 7)
    return 0


if __name__ == "__main__":
    sys.exit(main())
