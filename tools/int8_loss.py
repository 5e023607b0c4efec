"""Where a model package's int8 TFLite variant loses accuracy (issue 14; docs/tflite.md "Why int8 loses").

Measured on the package's golden second (``golden/input.npy``, the metric ``metadata.json`` reports) with
TFLite's reference kernels:

- the package's int8 and 16x8 variants: ESR vs Keras and the loss vs f32 (ESR vs target, int8 - f32);
- bounds: the float model with only its *input* rounded to the int8 model's input grid, and an int8 model
  calibrated on the golden clip itself (the best any min/max calibration can do on that clip);
- with ``--synthetic`` (packages trained on the built-in data, like training/default) or ``--run RUN_DIR``
  (its ``data.npz``): int8 calibrated on other choices of data (longer, clipped at percentiles);
- every int8 tensor vs the same tensor of the f32 model: RMS in int8 steps and ESR (``--tensors``).

    PYTHONPATH=$PWD .venv/bin/python tools/int8_loss.py training/default --synthetic --tensors
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np


def tensor_values(tflite_bytes: bytes, x: np.ndarray) -> dict[str, tuple[np.ndarray, float]]:
    """Every tensor of a whole-clip model run on ``x`` (dequantised) with its scale (0 for float)."""
    from m7amp.export import _tflite

    tf = _tflite._tf()
    interp = tf.lite.Interpreter(model_content=tflite_bytes, experimental_preserve_all_tensors=True,
                                 experimental_op_resolver_type=tf.lite.experimental.OpResolverType.BUILTIN_REF)
    interp.allocate_tensors()
    inp = interp.get_input_details()[0]
    padded = np.zeros((1, *inp["shape"][1:]), np.float32)
    padded[0, : len(x)] = x
    interp.set_tensor(inp["index"], _tflite._to_tensor(padded, inp))
    interp.invoke()
    out = {}
    for t in interp.get_tensor_details():
        try:
            v = interp.get_tensor(t["index"]).astype(np.float64)
        except ValueError:  # a tensor without data (variables, scratch)
            continue
        scale, zero = t["quantization"]
        out[t["name"]] = ((v - zero) * scale if scale else v, float(scale))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("package", type=Path)
    src = ap.add_mutually_exclusive_group()
    src.add_argument("--synthetic", action="store_true", help="rebuild the built-in training data")
    src.add_argument("--run", type=Path, help="training run folder (its data.npz rep_x)")
    ap.add_argument("--tensors", action="store_true", help="print every int8 tensor vs f32")
    args = ap.parse_args()

    import keras

    import m7amp.models  # noqa: F401  (registers the custom layers)
    from m7amp.export import _tflite
    from m7amp.metrics import esr

    pkg = args.package
    meta = json.loads((pkg / "metadata.json").read_text())
    model = keras.models.load_model(pkg / "model.keras", compile=False)
    gx = np.load(pkg / "golden" / "input.npy")
    target = np.load(pkg / "golden" / "target.npy")
    ko = np.load(pkg / "golden" / "output.npy")
    f32_esr = esr(target, ko)
    b_f32 = (pkg / "model_f32.tflite").read_bytes()
    b_int8 = (pkg / "model_int8.tflite").read_bytes()
    rows: list[tuple[str, float, float]] = []

    def add(name: str, y: np.ndarray) -> None:
        rows.append((name, esr(ko, y), esr(target, y) - f32_esr))

    add("int8 (package)", _tflite.run_tflite_whole(b_int8, gx))
    if (pkg / "model_16x8.tflite").is_file():
        add("16x8 (package)", _tflite.run_tflite_whole((pkg / "model_16x8.tflite").read_bytes(), gx))
    io = _tflite.tflite_io(b_int8)["input"]
    s, z = io["scale"], io["zero_point"]
    xr = ((np.clip(np.round(gx / s) + z, -128, 127) - z) * s).astype(np.float32)
    add(f"f32 model, input rounded to the int8 grid ({s:.2e})", model.predict(xr[None], verbose=0)[0, :, 0])
    add("int8 calibrated on the golden clip itself", _tflite.run_tflite_whole(
        _tflite.convert_whole(model, len(gx), "int8", gx[None]), gx))

    rep = _rep(args, meta)
    if rep is not None:
        peak = np.abs(rep[..., 0])
        for label, data in [("rep_x as exported (min/max)", rep), *[
                (f"rep_x clipped at its {q}th percentile ({np.percentile(peak, q):.3f})",
                 np.concatenate([np.clip(rep[..., :1], -np.percentile(peak, q), np.percentile(peak, q)),
                                 rep[..., 1:]], axis=-1)) for q in (99.99, 99.9, 99.0)]]:
            add(f"int8 calibrated on {label}",
                _tflite.run_tflite_whole(_tflite.convert_whole(model, len(gx), "int8", data), gx))

    print(f"{pkg}: golden {len(gx)} samples, |x| peak {np.abs(gx[:, 0]).max():.3f} rms {gx[:, 0].std():.4f}; "
          f"f32 ESR vs target {f32_esr:.4f}")
    print(f"| {'variant':70s} | ESR vs Keras | loss vs f32 (ESR vs target) |")
    print(f"|{'-' * 72}|-------------|-----------------------------|")
    for name, e_k, loss in rows:
        print(f"| {name:70s} | {e_k:11.4g} | {loss:+27.4f} |")

    if args.tensors:
        fv, qv = tensor_values(b_f32, gx), tensor_values(b_int8, gx)
        print(f"\n| {'int8 tensor':60s} | shape | RMS in steps | ESR vs f32 |")
        for name, (q, scale) in qv.items():
            f = fv.get(name, (None, 0.0))[0]
            if f is None or f.shape != q.shape or q.size < len(gx) or not scale:
                continue
            print(f"| {name[-60:]:60s} | {'x'.join(map(str, q.shape[1:]))} | {f.std() / scale:12.1f} | "
                  f"{np.sum((f - q) ** 2) / max(np.sum(f**2), 1e-30):10.3g} |")
    return 0


def _rep(args: Any, meta: dict[str, Any]) -> np.ndarray | None:
    if args.run:
        with np.load(args.run / "data.npz") as npz:
            return np.asarray(npz["rep_x"], np.float32)
    if not args.synthetic:
        return None
    from m7amp.training._run import dataset_from_spec
    from m7amp.training._train import representative_data

    syn = meta["training"]["data"]["synthetic"]
    return representative_data(dataset_from_spec({"synthetic": {
        "seconds": syn["seconds"], "knob_values": syn["knob_values"], "seed": syn["seed"],
        "sample_rate": meta["sample_rate"]}}))


if __name__ == "__main__":
    sys.exit(main())
