"""The quantised TFLite variants against the product bound: at most 0.002 ESR lost vs the float model
(issue 14). The package is built here from the trained default nano (training/default/model.keras) on a
short stretch of the built-in synthetic data it was trained on, so the signal has a real guitar's
dynamics (the cause of the int8 loss, docs/tflite.md "Why int8 loses").

The loss is the ESR of a variant's output against the Keras model's output on the package's golden
input (``esr_vs_keras`` in metadata.json); it bounds the change of the ESR vs the amp target.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from m7amp.export import export_package

DEFAULT = Path(__file__).resolve().parents[2] / "training" / "default"
BOUND = 0.002  # ESR vs f32 the product allows a quantised variant to lose


@pytest.fixture(scope="module")
def package(tmp_path_factory) -> dict:
    """training/default's model exported from a run folder on 12 s of the synthetic data (golden 0.5 s)."""
    from m7amp.training._run import dataset_from_spec
    from m7amp.training._train import representative_data, test_clip

    meta = json.loads((DEFAULT / "metadata.json").read_text())
    run = tmp_path_factory.mktemp("int8") / "run"
    run.mkdir()
    (run / "model.keras").write_bytes((DEFAULT / "model.keras").read_bytes())
    syn = meta["training"]["data"]["synthetic"]
    dataset = dataset_from_spec({"synthetic": {"seconds": 12.0, "seed": syn["seed"], "knob_values": None,
                                               "sample_rate": meta["sample_rate"]}})
    test = [(p.x[a:b, None], p.y[a:b]) for p, a, b in dataset.regions("test")]
    test_x, test_y = test_clip(test, dataset.sample_rate)
    np.savez(run / "data.npz", rep_x=representative_data(dataset), test_x=test_x, test_y=test_y)
    (run / "run.json").write_text(json.dumps({"model": meta["config"], "sample_rate": meta["sample_rate"],
                                              "knobs": []}))
    out = run.parent / "pkg"
    return export_package(run, out, golden_seconds=0.5, progress=lambda _: None)


def test_16x8_keeps_the_float_accuracy(package) -> None:
    v = package["variants"]
    assert v["f32"]["esr_vs_keras"] < 1e-6
    assert v["16x8"]["esr_vs_keras"] <= BOUND
    assert v["16x8"]["esr_vs_target"] - v["f32"]["esr_vs_target"] <= BOUND


@pytest.mark.xfail(
    strict=True,
    raises=AssertionError,
    reason="int8 activations cannot hold the guitar's dynamics: the default nano loses 0.03 ESR, 0.0075 "
    "even with ranges calibrated on the clip itself and 0.0034 from rounding the input alone "
    "(docs/tflite.md 'Why int8 loses'); open in issue 14",
)
@pytest.mark.parametrize("variant", ["int8", "stream_int8"])
def test_int8_keeps_the_float_accuracy(package, variant) -> None:
    v = package["variants"]
    print(f"{variant}: ESR vs Keras {v[variant]['esr_vs_keras']:.4g}, vs target "
          f"{v[variant]['esr_vs_target']:.4g} (f32 {v['f32']['esr_vs_target']:.4g})")
    assert v[variant]["esr_vs_keras"] <= BOUND
