"""Regenerate only the q15 part of the committed default package (training/default) after a change of
the q15 arithmetic: ``c/nano_q15.c/.h``, ``variants.c_q15``, the q15 memory figures and the sha256 of the
changed files in ``metadata.json``. The f32 files, golden vectors and TFLite variants are left alone.

The calibration data (``rep_x``) is rebuilt from the synthetic dataset the default run was trained on
(deterministic: seed, seconds and gain are in ``metadata.json``), so no run folder is needed.

    PYTHONPATH=$PWD .venv/bin/python tools/regen_default_q15.py [--check]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
DEFAULT = REPO / "training" / "default"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true", help="only report whether the files would change")
    args = ap.parse_args()

    import keras

    from m7amp.export._csrc import generate, sizes
    from m7amp.export._package import _esrs
    from m7amp.export._reference import Q15Engine, quantize
    from m7amp.models import config_from_dict, describe, receptive_field
    from m7amp.training._run import dataset_from_spec
    from m7amp.training._train import representative_data

    meta = json.loads((DEFAULT / "metadata.json").read_text())
    syn = meta["training"]["data"]["synthetic"]
    dataset = dataset_from_spec({"synthetic": {"seconds": syn["seconds"], "knob_values": syn["knob_values"],
                                               "seed": syn["seed"], "sample_rate": meta["sample_rate"]}})
    rep_x = representative_data(dataset)
    cfg = config_from_dict(meta["config"])
    model = keras.models.load_model(DEFAULT / "model.keras", compile=False)
    ops = describe(model, cfg)
    qops = quantize(ops, rep_x)
    files = generate(ops, qops, cfg.name, meta["n_inputs"], meta["sample_rate"], receptive_field(cfg),
                     meta["macs_per_sample"])
    name = meta["c"]["q15"]["symbol"]
    changed = [f for f in (f"{name}.c", f"{name}.h") if (DEFAULT / "c" / f).read_text() != files[f]]
    print("changed:", ", ".join(changed) or "nothing")
    if args.check:
        return 1 if changed else 0

    gx = np.load(DEFAULT / "golden" / "input.npy")
    target = np.load(DEFAULT / "golden" / "target.npy")
    keras_out = np.load(DEFAULT / "golden" / "output.npy")
    y = Q15Engine(qops).run(gx, block_size=meta["block_size"]).astype(np.float32)
    meta["variants"]["c_q15"] |= _esrs(y, target, keras_out)
    sz = sizes(ops, meta["n_inputs"])
    meta["memory"]["state_bytes_q15"] = sz.state_bytes_q15
    meta["memory"]["buffer_bytes_q15"] = sz.buffer_bytes_q15
    meta["memory"]["weight_bytes_q15"] = sum(
        q.size * (2 if q.ndim >= 2 else 4) for qo in qops for k, q in qo.q.items() if k != "scale")
    for f in changed:
        (DEFAULT / "c" / f).write_text(files[f])
        rel = f"c/{f}"
        meta["files"][rel]["sha256"] = hashlib.sha256((DEFAULT / rel).read_bytes()).hexdigest()
        if "bytes" in meta["files"][rel]:
            meta["files"][rel]["bytes"] = (DEFAULT / rel).stat().st_size
    (DEFAULT / "metadata.json").write_text(json.dumps(meta, indent=2) + "\n")
    print(f"c_q15 esr_vs_keras {meta['variants']['c_q15']['esr_vs_keras']:.4g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
