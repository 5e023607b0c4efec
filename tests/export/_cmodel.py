"""ctypes mirror of firmware/engines/cmsis/include/m7_model.h, to read a generated descriptor from a
host shared library (field order and types must follow the header exactly)."""

from __future__ import annotations

import ctypes as C
import subprocess
from pathlib import Path

import numpy as np


class Geom(C.Structure):
    _fields_ = [
        ("kind", C.c_uint8),
        ("src", C.c_uint8),
        ("dst", C.c_uint8),
        ("cond", C.c_uint8),
        ("act", C.c_uint8),
        ("input_skip", C.c_uint8),
        ("in_ch", C.c_uint16),
        ("out_ch", C.c_uint16),
        ("cond_ch", C.c_uint16),
        ("kernel", C.c_uint16),
        ("dilation", C.c_uint16),
        ("skip_offset", C.c_uint16),
        ("state_offset", C.c_uint32),
        ("state_len", C.c_uint32),
    ]


_PTRS = ("w", "b", "mix_w", "res_w", "res_b", "w_h", "b_h")
_INT32 = ("b", "res_b", "b_h")


class OpF32(C.Structure):
    _fields_ = [("g", Geom)] + [(n, C.POINTER(C.c_float)) for n in _PTRS] + [("scale", C.c_float)]


class OpQ15(C.Structure):
    _fields_ = (
        [("g", Geom)]
        + [(n, C.POINTER(C.c_int32 if n in _INT32 else C.c_int16)) for n in _PTRS]
        + [(f"{n}_frac", C.c_int8) for n in _PTRS]
        + [(n, C.c_int8) for n in ("in_frac", "out_frac", "acc_frac", "res_acc_frac", "acc_h_frac")]
        + [("scale", C.c_int16), ("scale_frac", C.c_int8)]
    )


class Model(C.Structure):
    _fields_ = [
        ("format_version", C.c_uint32),
        ("name", C.c_char_p),
        ("precision", C.c_uint8),
        ("n_inputs", C.c_uint8),
        ("n_ops", C.c_uint16),
        ("sample_rate", C.c_uint32),
        ("receptive_field", C.c_uint32),
        ("macs_per_sample", C.c_uint32),
        ("state_len", C.c_uint32),
        ("x_len", C.c_uint16),
        ("head_len", C.c_uint16),
        ("skip_len", C.c_uint16),
        ("h_len", C.c_uint16),
        ("scratch_len", C.c_uint16),
        ("ops_f32", C.POINTER(OpF32)),
        ("ops_q15", C.POINTER(OpQ15)),
    ]


def build_shared(c_dir: Path, sources: list[str], out: Path) -> C.CDLL:
    """Compile generated sources into a host shared library with the firmware's warning flags."""
    cmd = ["cc", "-std=c11", "-Wall", "-Wextra", "-Werror", "-pedantic", "-shared", "-fPIC", "-O0"]
    subprocess.run([*cmd, "-I", str(c_dir), *(str(c_dir / s) for s in sources), "-o", str(out)], check=True)
    return C.CDLL(str(out))


def read_array(ptr: C._Pointer, n: int) -> np.ndarray | None:
    """``n`` values behind a descriptor pointer, or None for NULL."""
    if not ptr:
        return None
    return np.ctypeslib.as_array(ptr, shape=(n,)).copy()
