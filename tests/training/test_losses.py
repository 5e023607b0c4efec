"""The Keras losses against hand-computed values, and against the numpy metrics."""

from __future__ import annotations

import tomllib

import numpy as np
import pytest

from m7amp import metrics
from m7amp.training import _toml
from m7amp.training._evaluate import score


def _k(values: list[list[float]]) -> np.ndarray:
    """(batch, time) -> Keras shape (batch, time, 1)."""
    return np.asarray(values, dtype=np.float32)[..., None]


def test_keras_esr_and_dc_hand_computed() -> None:
    from m7amp.training import dc_loss_tf, esr_pre_tf, esr_tf, pre_emphasis_tf

    y = _k([[1.0, -2.0, 2.0]])
    yhat = _k([[1.0, -1.0, 0.0]])
    assert float(esr_tf(y, yhat)) == pytest.approx(5 / 9, rel=1e-6)  # errors 0,-1,2; energy 1+4+4
    np.testing.assert_allclose(np.asarray(pre_emphasis_tf(_k([[1.0, 2.0, 0.0, -1.0]])))[0, :, 0],
                               [1.0, 1.15, -1.7, -1.0], rtol=1e-6)
    # pre(y) = [1, 0.15]; pre(yhat) = [0, 1]; error [1, -0.85] -> 1.7225; energy 1.0225
    assert float(esr_pre_tf(_k([[1.0, 1.0]]), _k([[0.0, 1.0]]))) == pytest.approx(1.7225 / 1.0225, rel=1e-6)
    # mean error over the whole batch: (1 + 1) / 2 = 1; mean(y^2) = (1 + 9) / 2 = 5
    assert float(dc_loss_tf(_k([[1.0], [3.0]]), _k([[0.0], [2.0]]))) == pytest.approx(0.2, rel=1e-6)


def test_amp_loss_excludes_the_warmup_hand_computed() -> None:
    from m7amp.training import AmpLoss

    # warm-up of 2: the huge error in the first two samples must not count
    y = _k([[5.0, -5.0, 1.0, 1.0]])
    yhat = _k([[0.0, 0.0, 0.0, 1.0]])
    # pre(y) = [5, -9.25, 5.25, 0.15] -> kept [5.25, 0.15]; pre(yhat) = [0, 0, 0, 1] -> kept [0, 1]
    # ESR_pre = (5.25^2 + 0.85^2) / (5.25^2 + 0.15^2) = (27.5625 + 0.7225) / (27.5625 + 0.0225)
    esr_pre = 28.285 / 27.585
    # DC over the kept samples: errors [1, 0] -> mean 0.5 -> 0.25; mean(y^2) = 1
    dc = 0.25
    loss = AmpLoss(warmup=2, esr_weight=0.75, dc_weight=0.25)
    assert float(loss(y, yhat)) == pytest.approx(0.75 * esr_pre + 0.25 * dc, rel=1e-6)
    # the numpy evaluation used for validation and test gives the same number
    got = score([y[0, :, 0]], [yhat[0, :, 0]], warmup=2)
    assert got["loss"] == pytest.approx(0.75 * esr_pre + 0.25 * dc, rel=1e-6)
    assert got["esr"] == pytest.approx(1 / 2)  # kept errors [1, 0] over kept energy [1, 1]


def test_keras_and_numpy_agree_on_random_batches() -> None:
    from m7amp.training import AmpLoss

    rng = np.random.default_rng(1)
    y = rng.standard_normal((4, 300, 1)).astype(np.float32)
    yhat = (y + 0.1 * rng.standard_normal(y.shape)).astype(np.float32)
    keras_loss = float(AmpLoss(warmup=0)(y, yhat))
    numpy_loss = 0.75 * metrics.esr_pre(y, yhat) + 0.25 * metrics.dc_loss(y, yhat)
    assert keras_loss == pytest.approx(numpy_loss, rel=1e-4)


def test_block_mean_and_lowband_window_hand_computed() -> None:
    np.testing.assert_allclose(metrics.block_mean(np.array([1.0, 3.0, 5.0, 7.0, 9.0]), 2), [2.0, 6.0])
    keras_shaped = metrics.block_mean(_k([[1.0, 3.0, 5.0, 7.0], [0.0, 2.0, 4.0, 4.0]]), 2)
    np.testing.assert_allclose(keras_shaped[..., 0], [[2.0, 6.0], [1.0, 4.0]])
    assert metrics.lowband_window(44100, 150.0) == 130  # 0.443 * 44100 / 150 = 130.2
    assert metrics.lowband_window(48000, 1e6) == 1


def test_plain_and_lowband_terms_hand_computed() -> None:
    from m7amp.training import AmpLoss

    # warm-up 1: kept y = [1, 3, 2, 2], yhat = [1, 1, 2, 4]; errors [0, 2, 0, -2] (mean 0: no DC term)
    y, yhat = _k([[9.0, 1.0, 3.0, 2.0, 2.0]]), _k([[0.0, 1.0, 1.0, 2.0, 4.0]])
    plain = 8 / 18
    low = 2 / 8  # block means (window 2): y [2, 2], yhat [1, 3]; errors [1, -1]
    # pre-emphasis 0.5 of the whole segment, then the kept samples: y [-3.5, 2.5, 0.5, 1],
    # yhat [1, 0.5, 1.5, 3]; errors [-4.5, 2, -1, -2]
    esr_pre = 29.25 / 19.75
    want = 0.75 * esr_pre + 0.5 * plain + 2.0 * low
    terms = {"esr_weight": 0.75, "dc_weight": 0.25, "coeff": 0.5, "plain_weight": 0.5,
             "lowband_weight": 2.0, "lowband_window": 2}
    assert float(AmpLoss(warmup=1, **terms)(y, yhat)) == pytest.approx(want, rel=1e-6)
    got = score([y[0, :, 0]], [yhat[0, :, 0]], warmup=1, **terms)
    assert got["loss"] == pytest.approx(want, rel=1e-9)
    assert got["esr"] == pytest.approx(plain) and got["esr_pre"] == pytest.approx(esr_pre)
    # without the two new weights the loss is the previous one (0.75 * ESR_pre + 0.25 * DC)
    base = {**terms, "plain_weight": 0.0, "lowband_weight": 0.0}
    assert float(AmpLoss(warmup=1, **base)(y, yhat)) == pytest.approx(0.75 * esr_pre, rel=1e-6)


def test_train_config_reaches_the_loss() -> None:
    from m7amp.training import AmpLoss, TrainConfig

    cfg = TrainConfig(pre_emphasis=0.5, plain_esr_weight=0.3, lowband_esr_weight=0.2, lowband_hz=300.0)
    terms = cfg.loss_terms(48000)
    assert terms == {"esr_weight": 0.75, "dc_weight": 0.25, "coeff": 0.5, "plain_weight": 0.3,
                     "lowband_weight": 0.2, "lowband_window": 71}  # 0.443 * 48000 / 300 = 70.9
    rng = np.random.default_rng(2)
    y = rng.standard_normal((3, 400, 1)).astype(np.float32)
    yhat = (0.8 * y + 0.2 * rng.standard_normal(y.shape)).astype(np.float32)
    keras_loss = float(AmpLoss(warmup=50, **terms)(y, yhat))
    numpy_loss = score(list(y[..., 0]), list(yhat[..., 0]), 50, **terms)["loss"]
    assert keras_loss == pytest.approx(numpy_loss, rel=1e-4)
    assert keras_loss > float(AmpLoss(warmup=50, **{**terms, "lowband_weight": 0.0})(y, yhat))


def test_amp_loss_serialises() -> None:
    import keras

    from m7amp.training import AmpLoss

    loss = AmpLoss(warmup=7, esr_weight=0.5, dc_weight=0.5, plain_weight=0.25, lowband_window=9)
    again = keras.losses.deserialize(keras.losses.serialize(loss))
    assert isinstance(again, AmpLoss) and again.warmup == 7 and again.esr_weight == 0.5
    assert again.plain_weight == 0.25 and again.lowband_window == 9


def test_toml_writer_round_trips() -> None:
    doc = {"name": "x \"q\"", "n": 3, "f": 1e-5, "on": True, "list": [[1, 2], [3]],
           "table": {"a": 1, "b": "two"},
           "pairs": [{"input": "a.wav", "knobs": {"gain": 0.5}}, {"input": "b"}]}
    assert tomllib.loads(_toml.dumps(doc)) == doc
