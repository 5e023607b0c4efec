"""The q15 tanh and sigmoid (table + linear interpolation): their stated error bounds over the whole input
range, and the C engine's kernels (firmware/engines/cmsis/src/m7_kernels_q15.c) giving the numpy
reference's bits for every input."""

from __future__ import annotations

import ctypes
import re
import subprocess
from pathlib import Path

import numpy as np
import pytest

from m7amp.export._reference import TANH_IN_BITS, TANH_TABLE, sigmoid_acc, tanh_acc, tanh_q15
from tests._skips import requires_host_cc

SRC = Path(__file__).resolve().parents[2] / "firmware" / "engines" / "cmsis"
TANH_MAX_LSB = 1.4  # documented in docs/engine.md (q15 path); 1 LSB = 2^-15
SIGMOID_MAX_LSB = 1.2
LO, HI = -(1 << (TANH_IN_BITS - 1)), 1 << (TANH_IN_BITS - 1)


def _inputs() -> list[tuple[np.ndarray, int]]:
    """(accumulators, acc_frac): every table input exactly (frac 16), every input with one rounded bit
    (frac 17), left shifts (frac 12), and 2M random int32 at the formats nano uses (28..30)."""
    rng = np.random.default_rng(0)
    return [
        (np.arange(LO - 5, HI + 5, dtype=np.int64), 16),
        (np.arange(2 * LO - 9, 2 * HI + 9, dtype=np.int64), 17),
        (np.arange(-(1 << 16), 1 << 16, dtype=np.int64), 12),
        (rng.integers(-(2**31), 2**31, 2_000_000), 30),
        (np.concatenate([rng.integers(-(2**31), 2**31, 500_000), [-(2**31), 2**31 - 1, 0, -1, 1]]), 28),
    ]


def test_tanh_and_sigmoid_stay_within_their_bounds_over_the_whole_range() -> None:
    worst_t = worst_s = 0.0
    for acc, frac in _inputs():
        x = acc * 2.0**-frac
        t, s = tanh_acc(acc, frac), sigmoid_acc(acc, frac)
        assert t.min() >= -32767 and t.max() <= 32767 and s.min() >= 0 and s.max() <= 32767
        worst_t = max(worst_t, float(np.abs(t - np.tanh(x) * 32768).max()))
        worst_s = max(worst_s, float(np.abs(s - 32768 / (1 + np.exp(-x))).max()))
    print(f"\nq15 tanh max error {worst_t:.3f} LSB, sigmoid {worst_s:.3f} LSB")
    assert worst_t <= TANH_MAX_LSB
    assert worst_s <= SIGMOID_MAX_LSB


def test_tanh_is_monotone_and_nearly_odd_on_every_table_input() -> None:
    u = np.arange(LO, HI, dtype=np.int64)
    t = tanh_q15(u)
    assert np.all(np.diff(t) >= 0)
    assert t[0] == -32767 and t[-1] == 32767
    assert np.abs(t[1:] + tanh_q15(-u[1:])).max() <= 1  # the interpolation rounds down, not to zero


def test_the_c_table_is_the_reference_table() -> None:
    text = (SRC / "src" / "m7_tanh_table_q15.c").read_text()
    body = text[text.index("{") + 1 : text.rindex("}")]
    words = np.array([int(v, 16) for v in re.findall(r"0x([0-9a-f]{8})u", body)], dtype=np.int64)
    lo, hi = (words & 0xFFFF).astype(np.uint16).view(np.int16), (words >> 16).astype(np.uint16).view(np.int16)
    np.testing.assert_array_equal(lo, TANH_TABLE[:-1])
    np.testing.assert_array_equal(hi, np.diff(TANH_TABLE))  # word k: T[k] | (T[k+1] - T[k]) << 16
    assert TANH_TABLE[0] == TANH_TABLE[1] and TANH_TABLE[-2] == TANH_TABLE[-1]  # flat ends: see tanh4


def test_the_intercept_table_gives_the_reference_tanh() -> None:
    """m7_tanh_ic_q15 (the fused layers' table): pairs T''[k] = (T[k] - i dT[k]) 2^9 + 2^8, dT[k] with
    i = k - 1024, read as (T''[i] + dT[i] u) >> 9 at i = sat11(u >> 9) for the rounded Q16 input u (not
    saturated: SMMULR's result): the reference's tanh of sat20(u) for every u, in int32 without overflow."""
    text = (SRC / "src" / "m7_tanh_table_q15.c").read_text()
    body = text[text.index("m7_tanh_ic_q15[") :]
    body = body[body.index("{") + 1 : body.rindex("}")]
    vals = np.array([int(v) for v in body.replace("\n", " ").split(",")], dtype=np.int64)
    t2, dt = vals[0::2], vals[1::2]
    mid = len(t2) // 2
    t = TANH_TABLE[:-1].astype(np.int64)
    np.testing.assert_array_equal(dt, np.diff(TANH_TABLE))
    np.testing.assert_array_equal(t2, (t - (np.arange(len(t)) - mid) * dt) * 512 + 256)
    assert dt[0] == dt[1] == dt[-1] == 0  # flat ends: any u past them reads T
    rng = np.random.default_rng(1)
    u = np.concatenate([np.arange(2 * LO - 700, 2 * HI + 700, dtype=np.int64),
                        rng.integers(-(2**29), 2**29, 200_000), [-(2**30), 2**30 - 1]])
    k = np.clip(u >> 9, -mid, mid - 1) + mid
    v = t2[k] + dt[k] * u
    assert np.abs(v).max() < 2**31
    np.testing.assert_array_equal(v >> 9, tanh_q15(np.clip(u, LO, HI - 1)))


_GLUE = """#include <stddef.h>
#include <stdint.h>
int16_t m7_act_tanh_q15(int32_t acc, int acc_frac);
int16_t m7_act_sigmoid_q15(int32_t acc, int acc_frac);
void glue_act(const int32_t *acc, size_t n, int frac, int16_t *t, int16_t *s)
{
    for (size_t i = 0; i < n; i++) {
        t[i] = m7_act_tanh_q15(acc[i], frac);
        s[i] = m7_act_sigmoid_q15(acc[i], frac);
    }
}
"""


@pytest.fixture(scope="module")
def act_lib(tmp_path_factory) -> ctypes.CDLL:
    d = tmp_path_factory.mktemp("act_q15")
    (d / "glue.c").write_text(_GLUE)
    so = d / "act.so"
    subprocess.run(["cc", "-std=c11", "-O2", "-Wall", "-Wextra", "-Werror", "-pedantic", "-shared", "-fPIC",
                    "-I", str(SRC / "include"), str(SRC / "src" / "m7_kernels_q15.c"),
                    str(SRC / "src" / "m7_tanh_table_q15.c"), str(d / "glue.c"), "-o", str(so)], check=True)
    return ctypes.CDLL(str(so))


@requires_host_cc
def test_c_activations_are_bit_exact_with_the_reference(act_lib) -> None:
    extra = [(np.arange(-4096, 4096, dtype=np.int64), f) for f in (0, -3, 3, 33, 40)]  # unusual formats
    for acc, frac in _inputs() + extra:
        a = np.ascontiguousarray(acc.astype(np.int32))
        t, s = np.zeros(len(a), np.int16), np.zeros(len(a), np.int16)
        act_lib.glue_act(ctypes.c_void_p(a.ctypes.data), ctypes.c_size_t(len(a)), ctypes.c_int(frac),
                         ctypes.c_void_p(t.ctypes.data), ctypes.c_void_p(s.ctypes.data))
        np.testing.assert_array_equal(t, tanh_acc(acc, frac), err_msg=f"tanh, acc_frac {frac}")
        np.testing.assert_array_equal(s, sigmoid_acc(acc, frac), err_msg=f"sigmoid, acc_frac {frac}")
