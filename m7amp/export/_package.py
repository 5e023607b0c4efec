"""``export_package``: a training run directory -> one model package (layout: docs/model-package.md).

Steps: load the run (``model.keras``, ``run.json``, ``data.npz``), cut the golden vectors from the test
split, write the C sources (f32 and q15 calibrated on ``rep_x``), convert the TFLite variants, measure
every variant's ESR on the golden input (TFLite interpreter; numpy reference engine for the C models)
and write ``metadata.json`` with a sha256 of every file.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from m7amp import __version__
from m7amp.errors import M7Error
from m7amp.metrics import esr

PACKAGE_FORMAT = 1
WHOLE_VARIANTS = {"f32": "model_f32.tflite", "int8": "model_int8.tflite", "16x8": "model_16x8.tflite"}
STREAM_VARIANTS = {"stream_f32": "model_stream_f32.tflite", "stream_int8": "model_stream_int8.tflite"}
# What export writes; with --force only these are replaced, other files in PKG_DIR are left alone.
_OWNED = ["model.keras", "metadata.json", "c", "golden", *WHOLE_VARIANTS.values(), *STREAM_VARIANTS.values()]


def load_run(run_dir: Path) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """``run.json`` and ``data.npz`` of a run, checked against the contract; ``M7Error`` if unusable."""
    for name in ("model.keras", "run.json", "data.npz"):
        if not (run_dir / name).is_file():
            raise M7Error(f"{run_dir} is not a finished training run: {name} is missing")
    try:
        run = json.loads((run_dir / "run.json").read_text())
    except json.JSONDecodeError as exc:
        raise M7Error(f"{run_dir / 'run.json'}: not valid JSON ({exc})") from None
    with np.load(run_dir / "data.npz") as npz:
        data = {k: np.asarray(npz[k], dtype=np.float32) for k in npz.files}
    for key in ("test_x", "test_y"):
        if key not in data:
            raise M7Error(f"{run_dir / 'data.npz'} has no {key}")
    n_in = 1 + len(run.get("knobs", []))
    if data["test_x"].ndim != 3 or data["test_x"].shape[-1] != n_in:
        raise M7Error(f"data.npz test_x has shape {data['test_x'].shape}, expected (1, T, {n_in})")
    if "model" not in run or "sample_rate" not in run:
        raise M7Error(f"{run_dir / 'run.json'} lacks 'model' or 'sample_rate'")
    return run, data


def _prepare_out(out_dir: Path, force: bool) -> None:
    if out_dir.exists() and not out_dir.is_dir():
        raise M7Error(f"{out_dir} exists and is not a directory")
    if out_dir.is_dir() and any(out_dir.iterdir()):
        if not force:
            raise M7Error(f"{out_dir} is not empty (use --force to overwrite the package in it)")
        for name in _OWNED:
            p = out_dir / name
            if p.is_dir():
                shutil.rmtree(p)
            elif p.exists():
                p.unlink()
    out_dir.mkdir(parents=True, exist_ok=True)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _esrs(pred: np.ndarray, target: np.ndarray, keras_out: np.ndarray) -> dict[str, float]:
    return {"esr_vs_target": esr(target, pred), "esr_vs_keras": esr(keras_out, pred)}


def export_package(
    run_dir: str | Path,
    out_dir: str | Path,
    block_size: int = 32,
    force: bool = False,
    golden_seconds: float = 1.0,
    progress: Callable[[str], None] = print,
    tflite: bool | str = True,
) -> dict[str, Any]:
    """Write the model package of ``run_dir`` into ``out_dir``; returns the metadata written.

    Variants that fail to convert are recorded with an ``"error"`` in the metadata instead of stopping
    the export (``metadata["complete"]`` is then False); ``tflite=False`` records them as skipped,
    ``tflite="stream"`` converts only the streaming variants (what the tflm engine runs).
    Variants the TFLite converter cannot make for this architecture (whole-clip int8/16x8 of an RNN)
    are recorded as ``"unsupported"`` and do not make the package incomplete.
    """
    import keras

    from m7amp.export._csrc import FORMAT_VERSION, c_identifier, generate, sizes
    from m7amp.export._reference import F32Engine, Q15Engine, quantize
    from m7amp.models import (
        config_from_dict,
        config_to_dict,
        describe,
        macs_per_sample,
        parameter_count,
        receptive_field,
    )

    run_dir, out_dir = Path(run_dir), Path(out_dir)
    if block_size < 1:
        raise M7Error("--block-size must be >= 1")
    run, data = load_run(run_dir)
    cfg = config_from_dict(run["model"])
    knobs = list(run.get("knobs", []))
    n_in, sr = 1 + len(knobs), int(run["sample_rate"])
    _prepare_out(out_dir, force)
    t0 = time.monotonic()

    progress(f"export: loading {run_dir / 'model.keras'}")
    model = keras.models.load_model(run_dir / "model.keras", compile=False)
    if int(model.input_shape[-1]) != n_in:
        raise M7Error(f"model.keras takes {model.input_shape[-1]} inputs; run.json lists {len(knobs)} knobs")
    model.save(out_dir / "model.keras")  # without the optimizer state of the training run

    # Golden vectors: the start of the test split, a whole number of streaming blocks.
    test_x, test_y = data["test_x"][0], data["test_y"][0, :, 0]
    n = min(len(test_x), max(block_size, round(golden_seconds * sr)))
    n -= n % block_size
    if n < block_size:
        raise M7Error(f"the test split ({len(test_x)} samples) is shorter than one block ({block_size})")
    gx, target = np.ascontiguousarray(test_x[:n]), np.ascontiguousarray(test_y[:n])
    # predict() runs a compiled graph: an eager RNN call would step through time in Python
    keras_out = model.predict(gx[None], verbose=0)[0, :, 0].astype(np.float32)
    golden = out_dir / "golden"
    golden.mkdir()
    np.save(golden / "input.npy", gx)
    np.save(golden / "output.npy", keras_out)
    np.save(golden / "target.npy", target)
    variants: dict[str, dict[str, Any]] = {"keras": _esrs(keras_out, target, keras_out)}
    variants["keras"]["file"] = "model.keras"

    rep_x = data.get("rep_x")
    progress("export: C sources (f32, q15 calibrated on rep_x)")
    ops = describe(model, cfg)
    qops = quantize(ops, rep_x)
    name = c_identifier(cfg.name)
    macs = macs_per_sample(cfg, len(knobs))
    cdir = out_dir / "c"
    cdir.mkdir()
    for fname, text in generate(ops, qops, cfg.name, n_in, sr, receptive_field(cfg), macs).items():
        (cdir / fname).write_text(text)
    for prec, engine in (("f32", F32Engine(ops)), ("q15", Q15Engine(qops))):
        y = engine.run(gx, block_size=block_size).astype(np.float32)
        variants[f"c_{prec}"] = _esrs(y, target, keras_out) | {
            "file": f"c/{name}_{prec}.c",
            "measured_with": "numpy reference engine (m7amp.export._reference)",
        }

    if tflite:
        variants |= _tflite_variants(model, cfg, gx, target, keras_out, rep_x, block_size, out_dir, progress,
                                     whole=tflite != "stream")
    else:
        variants |= {k: {"skipped": "--skip-tflite"} for k in [*WHOLE_VARIANTS, *STREAM_VARIANTS]}

    sz = sizes(ops, n_in)
    meta: dict[str, Any] = {
        "format": PACKAGE_FORMAT,
        "m7amp_version": __version__,
        "name": cfg.name,
        "architecture": _architecture(cfg),
        "config": config_to_dict(cfg),
        "sample_rate": sr,
        "knobs": knobs,
        "n_inputs": n_in,
        "receptive_field": receptive_field(cfg),
        "parameters": parameter_count(cfg, len(knobs)),
        "macs_per_sample": macs,
        "block_size": block_size,
        "memory": {
            "state_bytes_f32": sz.state_bytes_f32,
            "state_bytes_q15": sz.state_bytes_q15,
            "buffer_bytes_f32": sz.buffer_bytes_f32,
            "buffer_bytes_q15": sz.buffer_bytes_q15,
            "weight_bytes_f32": 4 * parameter_count(cfg, len(knobs)),
            "weight_bytes_q15": sum(  # int16 weights, int32 biases
                q.size * (2 if q.ndim >= 2 else 4) for qo in qops for k, q in qo.q.items() if k != "scale"
            ),
        },
        "c": {
            "format_version": FORMAT_VERSION,
            "header": "c/m7_model.h",
            "f32": {"source": f"c/{name}_f32.c", "symbol": f"{name}_f32"},
            "q15": {"source": f"c/{name}_q15.c", "symbol": f"{name}_q15"},
        },
        "golden": {
            "samples": n,
            "seconds": n / sr,
            "source": "test split (data.npz test_x/test_y), from its start",
            "input": "golden/input.npy",
            "output": "golden/output.npy",
            "target": "golden/target.npy",
        },
        "training": {k: run[k] for k in ("test", "epochs", "seed", "train_seconds", "data") if k in run},
        "variants": variants,
        "complete": all("error" not in v and "skipped" not in v for v in variants.values()),
        "export_seconds": round(time.monotonic() - t0, 1),
    }
    meta["files"] = {
        str(p.relative_to(out_dir)): {"sha256": _sha256(p), "bytes": p.stat().st_size}
        for p in sorted(out_dir.rglob("*"))
        if p.is_file() and p.relative_to(out_dir).parts[0] in _OWNED and p.name != "metadata.json"
    }
    (out_dir / "metadata.json").write_text(json.dumps(meta, indent=2) + "\n")
    return meta


def _architecture(cfg: Any) -> str:
    """"wavenet_nam", "wavenet_gated", "lstm" or "gru"."""
    if cfg.kind == "wavenet":
        return "wavenet_gated" if cfg.gated else "wavenet_nam"
    return cfg.kind


def _tflite_variants(
    model: Any,
    cfg: Any,
    gx: np.ndarray,
    target: np.ndarray,
    keras_out: np.ndarray,
    rep_x: np.ndarray | None,
    block_size: int,
    out_dir: Path,
    progress: Callable[[str], None],
    whole: bool = True,
) -> dict[str, dict[str, Any]]:
    """Convert, write and measure the TFLite variants (the whole-clip ones only if ``whole``); a failure
    is recorded, not raised."""
    try:
        from m7amp.export import _tflite
    except ImportError as exc:
        missing = {"error": f"m7amp.export._tflite unavailable ({exc})"}
        return {k: dict(missing) for k in [*WHOLE_VARIANTS, *STREAM_VARIANTS]}
    out: dict[str, dict[str, Any]] = {}
    jobs: list[tuple[str, str, Callable[[], bytes], Callable[[bytes], np.ndarray]]] = []
    available = _tflite.whole_kinds(model)
    for kind, fname in WHOLE_VARIANTS.items():
        if not whole:
            out[kind] = {"skipped": "streaming variants only"}
            continue
        if kind not in available:
            reason = f"no whole-clip {kind} TFLite for {_architecture(cfg)} (docs/tflite.md)"
            out[kind] = {"unsupported": reason}
            continue
        jobs.append((kind, fname, lambda k=kind: _tflite.convert_whole(model, len(gx), k, rep_x),
                     lambda b: _tflite.run_tflite_whole(b, gx)))
    for name, fname in STREAM_VARIANTS.items():
        kind = name.removeprefix("stream_")
        jobs.append((name, fname, lambda k=kind: _tflite.convert_streaming(cfg, model, block_size, k, rep_x),
                     lambda b: _tflite.run_tflite_streaming(b, gx, block_size)))
    for name, fname, convert, run in jobs:
        progress(f"export: TFLite {name} ({fname})")
        t = time.monotonic()
        try:
            blob = convert()
            (out_dir / fname).write_bytes(blob)
            y = np.asarray(run(blob), dtype=np.float32)
            out[name] = _esrs(y, target, keras_out) | {
                "file": fname,
                "bytes": len(blob),
                "ops": _tflite.tflite_ops(blob),
                "io": _tflite.tflite_io(blob),
            }
            if name in STREAM_VARIANTS:
                out[name]["state_dtypes"] = _tflite.tflite_state_dtypes(blob)
        except Exception as exc:  # a converter failure must not lose the other variants
            out[name] = {"error": f"{type(exc).__name__}: {exc}".splitlines()[0][:300]}
            progress(f"export: warning: {name} failed: {out[name]['error']}")
        out[name]["seconds"] = round(time.monotonic() - t, 1)
    return out
