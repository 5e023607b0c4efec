"""ctypes mirror of firmware/engines/cmsis/include/m7_model.h, to read a generated descriptor from a
host shared library (field order and types must follow the header exactly)."""

from __future__ import annotations

import ctypes
import subprocess
from pathlib import Path

import numpy as np


class Geom(ctypes.Structure):
    _fields_ = [
        ("kind", ctypes.c_uint8),
        ("src", ctypes.c_uint8),
        ("dst", ctypes.c_uint8),
        ("cond", ctypes.c_uint8),
        ("act", ctypes.c_uint8),
        ("input_skip", ctypes.c_uint8),
        ("in_ch", ctypes.c_uint16),
        ("out_ch", ctypes.c_uint16),
        ("cond_ch", ctypes.c_uint16),
        ("kernel", ctypes.c_uint16),
        ("dilation", ctypes.c_uint16),
        ("skip_offset", ctypes.c_uint16),
        ("state_offset", ctypes.c_uint32),
        ("state_len", ctypes.c_uint32),
    ]


_PTRS = ("w", "b", "mix_w", "res_w", "res_b", "w_h", "b_h")
_INT32 = ("b", "res_b", "b_h")


class OpF32(ctypes.Structure):
    _fields_ = (
        [("g", Geom)] + [(n, ctypes.POINTER(ctypes.c_float)) for n in _PTRS] + [("scale", ctypes.c_float)]
    )


class OpQ15(ctypes.Structure):
    _fields_ = (
        [("g", Geom)]
        + [(n, ctypes.POINTER(ctypes.c_int32 if n in _INT32 else ctypes.c_int16)) for n in _PTRS]
        + [(f"{n}_frac", ctypes.c_int8) for n in _PTRS]
        + [(n, ctypes.c_int8) for n in ("in_frac", "out_frac", "acc_frac", "res_acc_frac", "acc_h_frac")]
        + [("scale", ctypes.c_int16), ("scale_frac", ctypes.c_int8)]
    )


class Model(ctypes.Structure):
    _fields_ = [
        ("format_version", ctypes.c_uint32),
        ("name", ctypes.c_char_p),
        ("precision", ctypes.c_uint8),
        ("n_inputs", ctypes.c_uint8),
        ("n_ops", ctypes.c_uint16),
        ("sample_rate", ctypes.c_uint32),
        ("receptive_field", ctypes.c_uint32),
        ("macs_per_sample", ctypes.c_uint32),
        ("state_len", ctypes.c_uint32),
        ("x_len", ctypes.c_uint16),
        ("head_len", ctypes.c_uint16),
        ("skip_len", ctypes.c_uint16),
        ("h_len", ctypes.c_uint16),
        ("scratch_len", ctypes.c_uint16),
        ("ops_f32", ctypes.POINTER(OpF32)),
        ("ops_q15", ctypes.POINTER(OpQ15)),
    ]


def build_shared(c_dir: Path, sources: list[str], out: Path) -> ctypes.CDLL:
    """Compile generated sources into a host shared library with the firmware's warning flags."""
    cmd = ["cc", "-std=c11", "-Wall", "-Wextra", "-Werror", "-pedantic", "-shared", "-fPIC", "-O0"]
    subprocess.run([*cmd, "-I", str(c_dir), *(str(c_dir / s) for s in sources), "-o", str(out)], check=True)
    return ctypes.CDLL(str(out))


def read_array(ptr: ctypes._Pointer, n: int) -> np.ndarray | None:
    """``n`` values behind a descriptor pointer, or None for NULL."""
    if not ptr:
        return None
    return np.ctypeslib.as_array(ptr, shape=(n,)).copy()
