"""The numpy reference engine (the oracle for the C engines): f32 equals Keras, q15 is close and both are
independent of the block size; the fixed-point helpers round as documented."""

from __future__ import annotations

import numpy as np
import pytest

from m7amp.export._reference import F32Engine, Q15Engine, frac_for, quantize, sat, shift_round
from m7amp.metrics import esr
from tests.export.conftest import TINY


def _ops(run_dir, family):
    import keras

    from m7amp.models import describe

    return describe(keras.models.load_model(run_dir / "model.keras"), TINY[family][0])


def _golden(pkg):
    return np.load(pkg / "golden" / "input.npy"), np.load(pkg / "golden" / "output.npy")


@pytest.mark.parametrize("family", list(TINY))
def test_f32_reference_equals_keras(family, run_dirs, c_packages) -> None:
    pkg, meta = c_packages[family]
    x, keras_out = _golden(pkg)
    y = F32Engine(_ops(run_dirs[family], family)).run(x, block_size=16)
    assert esr(keras_out, y) < 1e-10
    assert meta["variants"]["c_f32"]["esr_vs_keras"] < 1e-10


@pytest.mark.parametrize("family", list(TINY))
def test_q15_reference_is_close_to_keras(family, run_dirs, c_packages) -> None:
    pkg, meta = c_packages[family]
    x, keras_out = _golden(pkg)
    ops = _ops(run_dirs[family], family)
    with np.load(run_dirs[family] / "data.npz") as npz:
        rep_x = npz["rep_x"]
    y = Q15Engine(quantize(ops, rep_x)).run(x, block_size=16)
    measured = esr(keras_out, y)
    print(f"{family}: q15 reference ESR vs Keras {measured:.3g}")
    assert measured == pytest.approx(meta["variants"]["c_q15"]["esr_vs_keras"], rel=1e-9)
    assert measured < 1e-4
    assert np.all(np.abs(y) <= 1.0)


@pytest.mark.parametrize("family", list(TINY))
def test_block_size_does_not_change_the_output(family, run_dirs, c_packages) -> None:
    pkg, _ = c_packages[family]
    x = _golden(pkg)[0][:600]
    ops = _ops(run_dirs[family], family)
    qops = quantize(ops, x[None])
    f = [F32Engine(ops).run(x, block_size=b) for b in (1, 7, 600)]
    q = [Q15Engine(qops).run(x, block_size=b) for b in (1, 7, 600)]
    np.testing.assert_allclose(f[0], f[1], rtol=0, atol=1e-12)
    np.testing.assert_allclose(f[0], f[2], rtol=0, atol=1e-12)
    np.testing.assert_array_equal(q[0], q[1])  # integer arithmetic: bit exact
    np.testing.assert_array_equal(q[0], q[2])


def test_shift_round_is_round_half_up_and_left_shift_is_exact() -> None:
    v = np.array([5, -5, 6, -6, 7, -7], dtype=np.int64)
    np.testing.assert_array_equal(shift_round(v, 1), [3, -2, 3, -3, 4, -3])  # 2.5 -> 3, -2.5 -> -2
    np.testing.assert_array_equal(shift_round(v, 0), v)
    np.testing.assert_array_equal(shift_round(v, -3), v * 8)
    np.testing.assert_array_equal(sat(np.array([40000, -40000, 5]), 16), [32767, -32768, 5])


def test_frac_for_picks_the_largest_format_that_fits() -> None:
    assert frac_for(0.5) == 15  # 0.5 * 2^15 = 16384 fits
    assert frac_for(1.0) == 14  # 1.0 * 2^15 = 32768 does not
    assert frac_for(0.01) == 21
    assert frac_for(3.0, headroom=1.5) == 12
    assert frac_for(1000.0, bits=32) == 21
    for peak in (0.003, 0.7, 1.9, 77.0):
        f = frac_for(peak)
        assert peak * 2**f <= 32767 < peak * 2 ** (f + 1)
