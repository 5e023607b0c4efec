"""m7amp.metrics against values worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from m7amp import metrics


def test_esr_hand_computed() -> None:
    y = np.array([1.0, -2.0, 2.0])
    yhat = np.array([1.0, -1.0, 0.0])
    # errors 0, -1, 2 -> 0 + 1 + 4 = 5; energy 1 + 4 + 4 = 9
    assert metrics.esr(y, yhat) == pytest.approx(5 / 9)
    assert metrics.esr(y, y) == 0.0
    assert metrics.esr(y, np.zeros(3)) == pytest.approx(1.0)


def test_pre_emphasis_hand_computed() -> None:
    x = np.array([1.0, 2.0, 0.0, -1.0])
    # 1 - 0, 2 - 0.85*1, 0 - 0.85*2, -1 - 0
    np.testing.assert_allclose(metrics.pre_emphasis(x), [1.0, 1.15, -1.7, -1.0])
    # Keras shape (batch, time, 1): filtered along time, each batch row starts from zero
    xb = np.array([[[1.0], [2.0]], [[3.0], [0.0]]])
    np.testing.assert_allclose(metrics.pre_emphasis(xb)[..., 0], [[1.0, 1.15], [3.0, -2.55]])


def test_esr_pre_hand_computed() -> None:
    y = np.array([1.0, 1.0])
    yhat = np.array([0.0, 1.0])
    # pre(y) = [1, 0.15]; pre(yhat) = [0, 1]; error [1, -0.85] -> 1 + 0.7225; energy 1 + 0.0225
    assert metrics.esr_pre(y, yhat) == pytest.approx(1.7225 / 1.0225)


def test_dc_loss_hand_computed() -> None:
    y = np.array([1.0, 3.0])
    yhat = np.array([0.0, 2.0])
    # mean error 1 -> 1; mean(y^2) = (1 + 9) / 2 = 5
    assert metrics.dc_loss(y, yhat) == pytest.approx(1 / 5)
    # a zero-mean error has no DC part
    assert metrics.dc_loss(y, y + np.array([0.5, -0.5])) == 0.0


def test_shape_mismatch_and_zero_target_raise() -> None:
    with pytest.raises(ValueError, match="shape"):
        metrics.esr(np.ones(3), np.ones(4))
    with pytest.raises(ValueError, match="zeros"):
        metrics.esr(np.zeros(3), np.ones(3))
    with pytest.raises(ValueError, match="zeros"):
        metrics.dc_loss(np.zeros(3), np.ones(3))


@pytest.mark.parametrize(
    ("value", "verdict"),
    [(0.0, "great"), (0.00999, "great"), (0.01, "not bad"), (0.0349, "not bad"), (0.035, "may sound ok"),
     (0.0999, "may sound ok"), (0.1, "poor"), (3.0, "poor")],
)
def test_verdict_bands(value: float, verdict: str) -> None:
    assert metrics.esr_verdict(value) == verdict


def test_format_esr() -> None:
    assert metrics.format_esr(0.0123456) == "0.01235"
    assert metrics.format_esr(1.0) == "1"
