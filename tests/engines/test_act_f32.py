"""The f32 engine's fast tanh and sigmoid (firmware/engines/cmsis/src/m7_act_f32.c), built for the host:
maximum absolute error against float64 numpy over a sweep of float bit patterns (every 61st float of each
sign over the whole range, every 9th in the curved part), the special values (+-0, denormals, huge, +-inf,
NaN), and monotonicity."""

from __future__ import annotations

import ctypes
import subprocess

import numpy as np
import pytest

from tests._skips import requires_host_cc
from tests.engines import _engine

TANH_MAX_ERR = 3e-7  # docs/engine.md "Activations" (about 5 ulp of values just below 1)
SIGMOID_MAX_ERR = 2e-7
STRIDE = 61  # odd, so the sweep hits every low-bit residue; all 2.1e9 finite floats of a sign / 61
CHUNK = 1 << 22
pytestmark = requires_host_cc


@pytest.fixture(scope="module")
def act(tmp_path_factory):
    out = tmp_path_factory.mktemp("act") / "act.so"
    src = _engine.ENGINE_DIR / "src" / "m7_act_f32.c"
    ftz = out.with_suffix(".ftz.c")
    ftz.write_text(_engine.FTZ_C)
    subprocess.run(["cc", *_engine.HOST_CFLAGS, "-shared", "-fPIC", "-I", str(_engine.ENGINE_DIR / "include"),
                    str(src), str(ftz), "-o", str(out), "-lm"], check=True)
    lib = ctypes.CDLL(str(out))
    _engine.type_ftz(lib)
    for f in ("m7_act_tanh_f32", "m7_act_sigmoid_f32"):
        getattr(lib, f).argtypes, getattr(lib, f).restype = [ctypes.c_void_p, ctypes.c_size_t], None
    lib.m7_act_gated_f32.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_size_t]
    lib.m7_act_gated_f32.restype = None

    def run(name: str, x: np.ndarray) -> np.ndarray:
        v = np.ascontiguousarray(x, np.float32).copy()
        with _engine.flush_to_zero(lib):  # as on the target
            getattr(lib, f"m7_act_{name}_f32")(v.ctypes.data, v.size)
        return v

    run.lib = lib
    return run


def _ref(name: str, x: np.ndarray) -> np.ndarray:
    x64 = x.astype(np.float64)
    if name == "tanh":
        return np.tanh(x64)
    return 0.5 + 0.5 * np.tanh(0.5 * x64)  # = 1/(1+exp(-x)) without overflow warnings


def _sweep(act, name: str) -> tuple[float, float]:
    """Max abs error over every STRIDE-th positive finite float (0 .. FLT_MAX, denormals included) and its
    negation; returns the error and the input where it occurs."""
    worst, at = 0.0, 0.0
    for start in range(0, 0x7F800000, CHUNK * STRIDE):
        bits = np.arange(start, min(start + CHUNK * STRIDE, 0x7F800000), STRIDE, dtype=np.uint32)
        x = bits.view(np.float32)
        for xs in (x, -x):
            err = np.abs(act(name, xs) - _ref(name, xs))
            i = int(np.argmax(err))
            if err[i] > worst:
                worst, at = float(err[i]), float(xs[i])
    return worst, at


@pytest.mark.parametrize(("name", "bound"), [("tanh", TANH_MAX_ERR), ("sigmoid", SIGMOID_MAX_ERR)])
def test_max_abs_error_over_all_floats_is_within_the_documented_bound(act, name, bound) -> None:
    worst, at = _sweep(act, name)
    print(f"\n{name}: max abs error {worst:.3e} at x = {at!r}")
    assert worst <= bound


def test_dense_sweep_of_the_curved_region(act) -> None:
    # every float in [1e-3, 10] is 1.5e8 values; take every 9th bit pattern there, of both signs
    bits = np.arange(np.float32(1e-3).view(np.uint32), np.float32(10).view(np.uint32), 9, dtype=np.uint32)
    x = bits.view(np.float32)
    for xs in (x, -x):
        assert np.max(np.abs(act("tanh", xs) - _ref("tanh", xs))) <= TANH_MAX_ERR
        assert np.max(np.abs(act("sigmoid", xs) - _ref("sigmoid", xs))) <= SIGMOID_MAX_ERR


def test_special_values(act) -> None:
    inf, tiny = np.float32(np.inf), np.float32(1e-45)
    x = np.array([0.0, -0.0, tiny, -tiny, 1e-38, 3e38, -3e38, inf, -inf], np.float32)
    t, s = act("tanh", x), act("sigmoid", x)
    np.testing.assert_array_equal(t[:2], [0.0, -0.0])
    assert np.signbit(t[1]) and not np.signbit(t[0])  # tanh is odd, even at zero
    np.testing.assert_array_equal(t[5:], [1.0, -1.0, 1.0, -1.0])
    np.testing.assert_array_equal(s[[0, 1]], [0.5, 0.5])
    np.testing.assert_array_equal(s[5:], [1.0, 0.0, 1.0, 0.0])
    assert np.all(np.abs(t[2:5] - x[2:5]) <= np.abs(x[2:5]))  # tanh(x) ~ x near 0, denormals included
    # NaN is not special-cased (branch-free kernel): it saturates like the largest finite values
    nan = np.array([np.nan, -np.nan], np.float32)
    np.testing.assert_array_equal(act("tanh", nan), [1.0, 1.0])  # clamped to 16 whatever its sign bit
    np.testing.assert_array_equal(act("sigmoid", nan), [1.0, 0.0])


def test_odd_bounded_and_monotonic(act) -> None:
    x = np.linspace(-12.0, 12.0, 2_000_001, dtype=np.float32)
    t, s = act("tanh", x), act("sigmoid", x)
    np.testing.assert_array_equal(act("tanh", -x), -t)
    assert np.all(np.abs(t) <= 1.0) and np.all((s >= 0.0) & (s <= 1.0))
    # strictly monotonic on a grid whose true steps exceed twice the error bound (|x| <= 5 for tanh) ...
    g = np.linspace(-5.0, 5.0, 1001, dtype=np.float32)
    assert np.all(np.diff(act("tanh", g)) > 0.0) and np.all(np.diff(act("sigmoid", 2 * g)) > 0.0)
    # ... and on the fine grid, never below an earlier value by more than the rounding noise
    for v, bound in ((t, TANH_MAX_ERR), (s, SIGMOID_MAX_ERR)):
        assert np.max(np.maximum.accumulate(v) - v) <= 2 * bound


def test_gated_is_tanh_times_sigmoid_in_place(act) -> None:
    rng = np.random.default_rng(4)
    for n, c in ((5, 37), (9, 4), (3, 1)):  # frames, channels (odd and even counts)
        a = rng.normal(0.0, 3.0, (n, 2 * c)).astype(np.float32)
        want = act("tanh", a[:, :c]) * act("sigmoid", a[:, c:])
        z = a.copy()
        with _engine.flush_to_zero(act.lib):  # z aliases a, as the engine uses it
            act.lib.m7_act_gated_f32(z.ctypes.data, z.ctypes.data, n, c)
        np.testing.assert_array_equal(z.ravel()[: n * c].reshape(n, c), want)
