"""Fixtures: a training RUN_DIR per the train/export contract, made from a freshly built tiny model.

The models are untrained (export must not care); the target is a fixed soft clipper of the input so the
ESRs vs target are finite and comparable.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from m7amp.models._config import RNNConfig, WaveNetConfig, config_to_dict, receptive_field

SR = 8000  # a low rate keeps the golden second short
TINY = {
    "nam": (WaveNetConfig("tiny_nam", False, (3, 2), ((1, 2, 4), (1, 2, 4)), head_scale=0.5), 1),
    "gated": (WaveNetConfig("tiny_gated", True, (3,), ((1, 2, 4, 1, 2),), kernel_size=2), 1),
    "lstm": (RNNConfig("tiny_lstm", "lstm", 6), 0),
    "gru": (RNNConfig("tiny_gru", "gru", 5), 1),
}


def make_signal(rng: np.random.Generator, n: int, n_knobs: int) -> np.ndarray:
    t = np.arange(n) / SR
    x = np.zeros((n, 1 + n_knobs), np.float32)
    x[:, 0] = 0.6 * np.sin(2 * np.pi * 110 * t) * np.exp(-2 * (t % 0.5)) + 0.02 * rng.standard_normal(n)
    for k in range(n_knobs):
        x[:, 1 + k] = 0.5 + 0.4 * np.sin(2 * np.pi * (0.3 + k) * t)
    return x


def make_run_dir(path: Path, family: str, seed: int = 0, test_seconds: float = 1.5) -> Path:
    """Write model.keras, run.json and data.npz as `m7amp train` would."""
    from m7amp.models import build_model

    cfg, n_knobs = TINY[family]
    rng = np.random.default_rng(seed)
    import keras

    keras.utils.set_random_seed(seed)
    model = build_model(cfg, n_knobs)
    path.mkdir(parents=True, exist_ok=True)
    model.save(path / "model.keras")
    n = int(test_seconds * SR)
    test_x = make_signal(rng, n, n_knobs)[None]
    test_y = np.tanh(3 * test_x[..., :1]) * 0.5
    rep_x = np.stack([make_signal(rng, 1024, n_knobs) for _ in range(4)])
    np.savez(path / "data.npz", rep_x=rep_x, test_x=test_x, test_y=test_y.astype(np.float32))
    run = {
        "model": config_to_dict(cfg),
        "sample_rate": SR,
        "knobs": [{"name": f"knob{k}", "min": 0.0, "max": 10.0} for k in range(n_knobs)],
        "receptive_field": receptive_field(cfg),
        "seed": seed,
        "epochs": 0,
        "train_seconds": 0.0,
        "test": {"esr": 1.0, "esr_pre": 1.0, "loss": 1.0},
        "data": {"description": "test fixture"},
        "m7amp_version": "test",
    }
    (path / "run.json").write_text(json.dumps(run))
    return path


@pytest.fixture(scope="session")
def run_dirs(tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("runs")
    return {family: make_run_dir(base / family, family) for family in TINY}


@pytest.fixture(scope="session")
def c_packages(run_dirs, tmp_path_factory) -> dict[str, tuple[Path, dict]]:
    """C-only packages (TFLite skipped) of every tiny family: (package dir, metadata)."""
    from m7amp.export import export_package

    base = tmp_path_factory.mktemp("pkgs")
    out = {}
    for family, run_dir in run_dirs.items():
        meta = export_package(run_dir, base / family, block_size=16, tflite=False, progress=lambda _: None)
        out[family] = (base / family, meta)
    return out
