"""tools/int8_qat.py: its fake-quantised forward pass reproduces the int8 TFLite model's error (the same
rounding on the same grids, not merely noise of the same size), on tiny seeded NAM WaveNets;
QAT refuses RNNs with a one-line error."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from m7amp.errors import M7Error
from m7amp.metrics import esr
from m7amp.models._config import RNNConfig, WaveNetConfig

TOOL = Path(__file__).parents[2] / "tools" / "int8_qat.py"
_spec = importlib.util.spec_from_file_location("int8_qat", TOOL)
assert _spec and _spec.loader
int8_qat = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(int8_qat)

N = 2000
MODELS = {
    "nam": (WaveNetConfig("q_nam", False, (3, 2), ((1, 2, 4), (1, 2)), head_scale=0.5), 1),
    "nam_noknob": (WaveNetConfig("q_nam0", False, (4, 2), ((1, 2, 4, 8), (1, 2)), head_scale=0.5), 0),
}


def _signal(rng: np.random.Generator, n: int, n_knobs: int) -> np.ndarray:
    t = np.arange(n) / 8000
    x = np.zeros((n, 1 + n_knobs), np.float32)
    x[:, 0] = 0.5 * np.sin(2 * np.pi * 196 * t) * np.exp(-3 * (t % 0.25)) + 0.03 * rng.standard_normal(n)
    x[:, 1:] = 0.5 + 0.4 * np.sin(2 * np.pi * 3 * t)[:, None]
    return x


@pytest.mark.parametrize("name", sorted(MODELS))
def test_fake_quant_tracks_tflite_int8(name: str) -> None:
    import keras

    from m7amp.export import _tflite
    from m7amp.models import build_model

    cfg, n_knobs = MODELS[name]
    keras.utils.set_random_seed(3)
    model = build_model(cfg, n_knobs)
    rng = np.random.default_rng(0)
    rep = np.stack([_signal(rng, 1024, n_knobs) for _ in range(4)])
    x = _signal(rng, N, n_knobs)
    ref = model.predict(x[None], verbose=0)[0, :, 0]
    y_int8 = _tflite.run_tflite_whole(_tflite.convert_whole(model, N, "int8", rep), x)
    y_sim = int8_qat.fake_quant_predict(model, x, rep, N)
    err = esr(ref, y_int8)
    assert err > 1e-5  # int8 does lose something, so the comparison below means something
    # Independent rounding noise of the same size would give ESR(int8, sim) ~ 2 x err; measured 0.33 and
    # 0.38 x err here, 0.26 x on training/default (ties and fixed-point requantisation round apart and
    # the difference propagates); conv outputs on their own grid instead of the converter's gave 1.3 x.
    assert esr(y_int8, y_sim) < 0.5 * err, (esr(y_int8, y_sim), err)
    assert esr(ref, y_sim) == pytest.approx(err, rel=0.3)


def test_qat_refuses_rnn() -> None:
    from m7amp.models import build_model

    model = build_model(RNNConfig("q_lstm", "lstm", 4), 0)
    x = np.zeros((2, 64, 1), np.float32)
    with pytest.raises(M7Error, match="WaveNet models only"):
        int8_qat.qat_finetune(model, x, x, 64, 1, 0)
