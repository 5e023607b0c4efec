"""The committed default model package (training/default): complete, intact, small, and its C model and
golden vectors agree with its Keras model."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import numpy as np
import pytest

from m7amp.metrics import esr
from tests._skips import requires_arm_gcc

DEFAULT = Path(__file__).resolve().parents[2] / "training" / "default"


@pytest.fixture(scope="module")
def meta() -> dict:
    return json.loads((DEFAULT / "metadata.json").read_text())


def test_default_package_is_complete_intact_and_small(meta) -> None:
    assert meta["complete"] is True
    total = 0
    for rel, info in meta["files"].items():
        data = (DEFAULT / rel).read_bytes()
        assert hashlib.sha256(data).hexdigest() == info["sha256"], rel
        total += len(data)
    assert total < 2_000_000
    assert meta["golden"]["seconds"] <= 1.0
    assert "m7amp export" in (DEFAULT / "README.md").read_text()


def test_default_model_is_real_time_sized_and_accurate(meta) -> None:
    # 878 MACs/sample is ~18 % of the 4500 cycles/sample budget at 48 kHz at 1 cycle/MAC
    assert meta["macs_per_sample"] < 1000
    assert meta["sample_rate"] == 48000
    assert meta["training"]["test"]["esr"] < 0.05
    for name, v in meta["variants"].items():
        assert v["esr_vs_target"] < 0.1, name
    assert meta["variants"]["c_q15"]["esr_vs_keras"] < 1e-4


def test_default_golden_vectors_match_keras_and_the_c_reference(meta) -> None:
    import keras

    from m7amp.export._reference import F32Engine
    from m7amp.models import config_from_dict, describe

    model = keras.models.load_model(DEFAULT / "model.keras")
    x = np.load(DEFAULT / "golden" / "input.npy")
    y = np.load(DEFAULT / "golden" / "output.npy")
    n = 8192  # the first part keeps the test fast; the reference is block-exact
    assert esr(y[:n], model.predict(x[None, :n], verbose=0)[0, :, 0]) < 1e-10
    ops = describe(model, config_from_dict(meta["config"]))
    assert esr(y[:n], F32Engine(ops).run(x[:n], block_size=meta["block_size"])) < 1e-10


def test_default_package_header_is_the_firmware_header() -> None:
    # The package carries its own copy of m7_model.h; a format change must come with a re-export.
    from m7amp.export._csrc import HEADER_PATH

    assert (DEFAULT / "c" / "m7_model.h").read_text() == HEADER_PATH.read_text()


@requires_arm_gcc
def test_default_c_model_compiles_for_cortex_m7(meta, tmp_path) -> None:
    for prec in ("f32", "q15"):
        src = DEFAULT / meta["c"][prec]["source"]
        cmd = ["arm-none-eabi-gcc", "-mcpu=cortex-m7", "-mthumb", "-mfpu=fpv5-d16", "-mfloat-abi=hard",
               "-std=c11", "-Wall", "-Wextra", "-Werror", "-Os", "-c", "-I", str(src.parent), str(src),
               "-o", str(tmp_path / f"{prec}.o")]
        subprocess.run(cmd, check=True)
