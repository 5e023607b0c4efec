"""Host build of the hand-written engine (firmware/engines/cmsis) with a generated model, and a ctypes
wrapper of its f32 API (m7_engine.h)."""

from __future__ import annotations

import contextlib
import ctypes
import platform
import subprocess
from collections.abc import Iterator
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
ENGINE_DIR = REPO / "firmware" / "engines" / "cmsis"
ENGINE_SOURCES = sorted((ENGINE_DIR / "src").glob("*.c"))
# The engine's own flags, the same on the host and the target: no implicit contraction of a*b+c, so the
# only fused multiply-adds are the explicit fmaf calls (VFMA on the M7), and both round identically.
CFLAGS = ["-std=c11", "-O2", "-Wall", "-Wextra", "-Werror", "-pedantic", "-ffp-contract=off"]


def _host_cflags() -> list[str]:
    """CFLAGS for the host cc: with -mfma on an x86 CPU that has FMA, so fmaf is one instruction (without
    it fmaf is a libm call with the same result)."""
    if platform.machine() in ("x86_64", "AMD64"):
        with contextlib.suppress(OSError):
            if " fma " in Path("/proc/cpuinfo").read_text():
                return [*CFLAGS, "-mfma"]
    return CFLAGS


HOST_CFLAGS = _host_cflags()

# The target runs with FPSCR.FZ (flush denormal inputs and results to zero: firmware/board/fpu.c). The
# host reproduces it around each engine call (x86 MXCSR FTZ|DAZ, AArch64 FPCR.FZ), and only there, so
# numpy in the same process keeps IEEE denormals.
FTZ_C = """
#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
unsigned glue_ftz_enter(void) { unsigned old = _mm_getcsr(); _mm_setcsr(old | 0x8040u); return old; }
void glue_ftz_leave(unsigned old) { _mm_setcsr(old); }
#elif defined(__aarch64__)
unsigned glue_ftz_enter(void)
{
    unsigned long old;
    __asm__ volatile("mrs %0, fpcr" : "=r"(old));
    __asm__ volatile("msr fpcr, %0" : : "r"(old | (1ul << 24)));
    return (unsigned)old;
}
void glue_ftz_leave(unsigned old) { __asm__ volatile("msr fpcr, %0" : : "r"((unsigned long)old)); }
#else
#error "host flush-to-zero: add this CPU"
#endif
"""


def type_ftz(lib: ctypes.CDLL) -> None:
    lib.glue_ftz_enter.argtypes, lib.glue_ftz_enter.restype = [], ctypes.c_uint
    lib.glue_ftz_leave.argtypes, lib.glue_ftz_leave.restype = [ctypes.c_uint], None


@contextlib.contextmanager
def flush_to_zero(lib: ctypes.CDLL) -> Iterator[None]:
    """Run the block with denormals flushed to zero, as on the target (``lib`` carries FTZ_C)."""
    old = lib.glue_ftz_enter()
    try:
        yield
    finally:
        lib.glue_ftz_leave(old)

# Status codes of m7_engine.h (the tests check the C enum against these names).
STATUS = {
    "M7_OK": 0, "M7_ERR_NULL": -1, "M7_ERR_VERSION": -2, "M7_ERR_PRECISION": -3, "M7_ERR_UNSUPPORTED": -4,
    "M7_ERR_MODEL": -5, "M7_ERR_STATE_SIZE": -6, "M7_ERR_SCRATCH_SIZE": -7, "M7_ERR_ALIGN": -8,
    "M7_ERR_ARG": -9, "M7_ERR_NOT_INIT": -10,
}
MAX_KNOBS = 8  # M7_ENGINE_MAX_KNOBS
GUARD = np.float32(-1.2345678e30)  # written after every buffer; must survive every call
N_GUARD = 16
GLUE_BLOCK = 64  # the block size the glue evaluates the scratch macro at

# Compile-time facts, evaluated by C: struct size, the sizing macros, and the status enum values.
_GLUE = """#include "m7_engine.h"
#include "{sym}.h"
const unsigned long glue_engine_size = sizeof(m7_engine_f32_t);
const unsigned long glue_state_bytes = M7_ENGINE_STATE_BYTES_F32({macro});
const unsigned long glue_scratch_bytes = M7_ENGINE_SCRATCH_BYTES_F32({macro}, {block}u);
const int glue_status[] = {{ {status} }};
const unsigned long glue_max_knobs = M7_ENGINE_MAX_KNOBS;
""" + FTZ_C.replace("{", "{{").replace("}", "}}")


def build_engine(c_dir: Path, sources: list[str], glue: str, so: Path, precision: str,
                 defines: tuple[str, ...] = ()) -> ctypes.CDLL:
    """Compile the engine, one package's model sources and a glue file into ``so``; type the API of
    ``precision`` ("f32" or "q15": the two APIs differ only in their suffix). ``defines``: extra
    preprocessor names (e.g. M7E_GENERIC_KERNELS)."""
    glue_c = so.with_suffix(".glue.c")
    glue_c.write_text(glue)
    cmd = ["cc", *HOST_CFLAGS, *(f"-D{d}" for d in defines), "-shared", "-fPIC",
           "-I", str(ENGINE_DIR / "include"), "-I", str(c_dir),
           *(str(s) for s in ENGINE_SOURCES), *(str(c_dir / s) for s in sources), str(glue_c),
           "-o", str(so), "-lm"]
    subprocess.run(cmd, check=True)
    lib = ctypes.CDLL(str(so))
    vp, sz, st = ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int  # st: m7_status_t
    api = {"state_bytes": ([vp], sz), "scratch_bytes": ([vp, sz], sz),
           "init": ([vp, vp, vp, sz, vp, sz, sz], st), "process": ([vp, vp, vp, vp, sz], st),
           "set_knobs": ([vp, vp], st), "reset": ([vp], st)}
    for name, (argtypes, restype) in api.items():
        fn = getattr(lib, f"m7_engine_{name}_{precision}")
        fn.argtypes, fn.restype = argtypes, restype
    if hasattr(lib, "glue_ftz_enter"):
        type_ftz(lib)
    return lib


class EngineLib:
    """The engine and the model sources of one package compiled into one shared library."""

    def __init__(self, c_dir: Path, sources: list[str], symbol: str, out_dir: Path,
                 defines: tuple[str, ...] = ()):
        glue = _GLUE.format(sym=symbol, macro=symbol.upper(), block=GLUE_BLOCK, status=", ".join(STATUS))
        self.lib = build_engine(c_dir, sources, glue, out_dir / "engine_f32.so", "f32", defines)
        self.symbol = symbol

    def glue(self, name: str) -> int:
        return ctypes.c_ulong.in_dll(self.lib, f"glue_{name}").value

    def glue_status(self) -> dict[str, int]:
        arr = (ctypes.c_int * len(STATUS)).in_dll(self.lib, "glue_status")
        return dict(zip(STATUS, arr, strict=True))

    def model(self, symbol: str | None = None) -> int:
        """Address of a descriptor in the library."""
        return ctypes.addressof(ctypes.c_char.in_dll(self.lib, symbol or self.symbol))

    def state_bytes(self, model: int | None = None) -> int:
        return self.lib.m7_engine_state_bytes_f32(model or self.model())

    def scratch_bytes(self, max_block: int, model: int | None = None) -> int:
        return self.lib.m7_engine_scratch_bytes_f32(model or self.model(), max_block)


def guarded(n: int) -> np.ndarray:
    """``n`` float32 values followed by N_GUARD guard words (``buf[:n]`` is the usable part)."""
    buf = np.zeros(n + N_GUARD, np.float32)
    buf[n:] = GUARD
    return buf


def guards_intact(buf: np.ndarray, n: int) -> bool:
    return bool(np.all(buf[n:] == GUARD))


def ptr(a: np.ndarray | None) -> int | None:
    return None if a is None else a.ctypes.data


class Engine:
    """One f32 engine instance with its own guarded state and scratch."""

    def __init__(self, el: EngineLib, max_block: int, model: int | None = None,
                 state_bytes: int | None = None, scratch_bytes: int | None = None):
        self.el, self.lib = el, el.lib
        self.model = model or el.model()
        self.struct = ctypes.create_string_buffer(el.glue("engine_size"))
        self.state_bytes = el.state_bytes(self.model) if state_bytes is None else state_bytes
        if scratch_bytes is None:
            scratch_bytes = el.scratch_bytes(max_block, self.model)
        self.scratch_bytes = scratch_bytes
        self.state = guarded(self.state_bytes // 4)
        self.scratch = guarded(self.scratch_bytes // 4)
        self.status = self.lib.m7_engine_init_f32(self.struct, self.model, ptr(self.state), self.state_bytes,
                                                  ptr(self.scratch), self.scratch_bytes, max_block)

    def guards_intact(self) -> bool:
        return guards_intact(self.state, self.state_bytes // 4) and guards_intact(
            self.scratch, self.scratch_bytes // 4)

    def process(self, audio: np.ndarray, knobs: np.ndarray | None, out: np.ndarray) -> int:
        with flush_to_zero(self.lib):
            return self.lib.m7_engine_process_f32(self.struct, ptr(audio), ptr(knobs), ptr(out), len(audio))

    def reset(self) -> int:
        return self.lib.m7_engine_reset_f32(self.struct)

    def run(self, x: np.ndarray, block: int) -> np.ndarray:
        """A clip ``(T, 1+K)`` from the current state in blocks of ``block``, with per-sample knobs."""
        audio = np.ascontiguousarray(x[:, 0], np.float32)
        knobs = np.ascontiguousarray(x[:, 1:], np.float32) if x.shape[1] > 1 else None
        out = guarded(len(audio))
        for s in range(0, len(audio), block):
            k = None if knobs is None else knobs[s : s + block]
            assert self.process(audio[s : s + block], k, out[s:]) == 0
        assert guards_intact(out, len(audio)), "output guard words overwritten"
        return out[: len(audio)].copy()
