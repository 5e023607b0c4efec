"""The cabinet stage (firmware/engines/cab) built for the host with CMSIS-DSP's own sources: the
partitioned FFT and the direct FIR methods against numpy's float64 convolution (streamed in blocks,
across partition boundaries, in place), reset, argument checks; and m7amp/cab.py (IR loading, synthetic
IR, minimum phase, truncation, method choice, generated C, one-line errors)."""

from __future__ import annotations

import ctypes
import os
import subprocess
import tarfile
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from m7amp import cab
from m7amp.errors import M7Error
from tests._skips import requires_host_cc
from tests.engines._engine import FTZ_C, HOST_CFLAGS, REPO, STATUS, flush_to_zero, type_ftz

CMSISDSP = "cmsisdsp-1.10.3"
CAB_DIR = REPO / "firmware" / "engines" / "cab"
# The CMSIS-DSP files the stage uses (the firmware links the whole library: cmake/cmsisdsp.cmake).
DSP_SOURCES = [f"TransformFunctions/{f}.c" for f in (
    "arm_rfft_fast_f32", "arm_rfft_fast_init_f32", "arm_cfft_f32", "arm_cfft_init_f32", "arm_cfft_radix8_f32",
    "arm_bitreversal2")] + ["CommonTables/arm_common_tables.c", "CommonTables/arm_const_structs.c",
                            "FilteringFunctions/arm_fir_f32.c", "FilteringFunctions/arm_fir_init_f32.c"]
# Float rounding of a float32 convolution (a sum of up to 2048 products, FFT error ~ log2(N) eps)
# relative to the output's peak.
TOL = 2e-5


def _sdist() -> Path | None:
    cache = os.environ.get("M7AMP_CACHE") or str(Path.home() / ".cache" / "m7amp")
    path = Path(cache) / f"{CMSISDSP}.tar.gz"
    return path if path.is_file() else None


requires_sdist = pytest.mark.skipif(_sdist() is None, reason=f"{CMSISDSP}.tar.gz not in the m7amp cache "
                                    "(a firmware build downloads it: cmake/cmsisdsp.cmake)")


class Cab:
    """The stage's C API through ctypes; the instance struct is an opaque buffer."""

    def __init__(self, lib: ctypes.CDLL):
        self.lib = lib

    def fft(self, ir: np.ndarray, block: int) -> tuple[int, object]:
        parts = -(-len(ir) // block)
        bufs = [np.zeros(parts * 2 * block, np.float32), np.zeros(parts * 2 * block, np.float32),
                np.zeros(6 * block, np.float32)]
        inst = ctypes.create_string_buffer(256)
        ir = np.ascontiguousarray(ir, np.float32)
        st = self.lib.m7_cab_fft_init_f32(inst, ir.ctypes.data, len(ir), block,
                                          *(b.ctypes.data for b in bufs))
        return st, (inst, bufs, "fft")

    def fir(self, ir: np.ndarray, block: int) -> tuple[int, object]:
        bufs = [np.zeros(len(ir), np.float32), np.zeros(len(ir) + block - 1, np.float32)]
        inst = ctypes.create_string_buffer(256)
        ir = np.ascontiguousarray(ir, np.float32)
        st = self.lib.m7_cab_fir_init_f32(inst, ir.ctypes.data, len(ir), block,
                                          *(b.ctypes.data for b in bufs))
        return st, (inst, bufs, "fir")

    def run(self, handle: object, x: np.ndarray, block: int, in_place: bool = False) -> np.ndarray:
        inst, _, method = handle  # type: ignore[misc]
        process = getattr(self.lib, f"m7_cab_{method}_process_f32")
        out = np.zeros(len(x), np.float32)
        with flush_to_zero(self.lib):
            for s in range(0, len(x), block):
                chunk = np.ascontiguousarray(x[s:s + block], np.float32)
                if in_place:
                    process(inst, chunk.ctypes.data, chunk.ctypes.data)
                    out[s:s + block] = chunk
                else:
                    dst = np.zeros(block, np.float32)
                    process(inst, chunk.ctypes.data, dst.ctypes.data)
                    out[s:s + block] = dst
        return out

    def reset(self, handle: object) -> None:
        inst, _, method = handle  # type: ignore[misc]
        getattr(self.lib, f"m7_cab_{method}_reset_f32")(inst)


@pytest.fixture(scope="module")
def lib(tmp_path_factory: pytest.TempPathFactory) -> Cab:
    if _sdist() is None or requires_host_cc.args[0]:
        pytest.skip("needs the CMSIS-DSP sdist and a host C compiler")
    tmp = tmp_path_factory.mktemp("cab")
    with tarfile.open(_sdist()) as tar:
        members = [m for m in tar.getmembers() if m.name.startswith(
            (f"{CMSISDSP}/Include", f"{CMSISDSP}/PrivateInclude", f"{CMSISDSP}/Source"))]
        tar.extractall(tmp, members=members, filter="data")
    root = tmp / CMSISDSP
    glue = tmp / "ftz.c"
    glue.write_text(FTZ_C)
    so = tmp / "cab.so"
    # __GNUC_PYTHON__: CMSIS-DSP's own switch for a host build without CMSIS-Core (its Python wrapper's)
    cmd = ["cc", *HOST_CFLAGS, "-D__GNUC_PYTHON__", "-shared", "-fPIC", "-I", str(root / "Include"),
           "-I", str(root / "PrivateInclude"), "-I", str(CAB_DIR / "include"),
           "-I", str(REPO / "firmware" / "engines" / "cmsis" / "include"),
           *(str(p) for p in sorted((CAB_DIR / "src").glob("*.c"))),
           *(str(root / "Source" / s) for s in DSP_SOURCES),
           str(glue), "-o", str(so), "-lm"]
    subprocess.run(cmd, check=True)
    dll = ctypes.CDLL(str(so))
    vp, u32 = ctypes.c_void_p, ctypes.c_uint32
    dll.m7_cab_fft_init_f32.argtypes = [vp, vp, u32, u32, vp, vp, vp]
    dll.m7_cab_fir_init_f32.argtypes = [vp, vp, u32, u32, vp, vp]
    for m in ("fft", "fir"):
        getattr(dll, f"m7_cab_{m}_init_f32").restype = ctypes.c_int
        getattr(dll, f"m7_cab_{m}_process_f32").argtypes = [vp, vp, vp]
        getattr(dll, f"m7_cab_{m}_reset_f32").argtypes = [vp]
    type_ftz(dll)
    return Cab(dll)


def _signal(n: int, seed: int = 1) -> np.ndarray:
    return (0.5 * np.random.default_rng(seed).standard_normal(n)).astype(np.float32)


def _rel_err(y: np.ndarray, ref: np.ndarray) -> float:
    return float(np.max(np.abs(y.astype(np.float64) - ref)) / np.max(np.abs(ref)))


@requires_sdist
@pytest.mark.parametrize("method", ["fft", "fir"])
@pytest.mark.parametrize(("taps", "block"), [(1, 16), (16, 16), (100, 32), (256, 32), (1000, 64), (2048, 32),
                                             (513, 128)])
def test_matches_float64_convolution(lib: Cab, method: str, taps: int, block: int) -> None:
    ir = _signal(taps, seed=taps) * np.exp(-np.arange(taps) / max(1, taps / 4)).astype(np.float32)
    x = _signal(block * (taps // block + 6), seed=2)
    st, h = getattr(lib, method)(ir, block)
    assert st == STATUS["M7_OK"]
    y = lib.run(h, x, block)
    ref = np.convolve(x.astype(np.float64), ir.astype(np.float64))[:len(x)]
    assert _rel_err(y, ref) < TOL


@requires_sdist
@pytest.mark.parametrize("method", ["fft", "fir"])
def test_in_place_and_reset(lib: Cab, method: str) -> None:
    ir, block = _signal(300, seed=5), 32
    x = _signal(block * 20, seed=6)
    st, h = getattr(lib, method)(ir, block)
    assert st == 0
    first = lib.run(h, x, block)
    lib.reset(h)
    again = lib.run(h, x, block, in_place=True)
    np.testing.assert_array_equal(first, again)  # reset forgets the past; in place changes nothing
    # without a reset the second pass starts from the first one's tail: not the same
    assert not np.array_equal(lib.run(h, x, block), first)


@requires_sdist
def test_fft_and_fir_agree_on_an_impulse(lib: Cab) -> None:
    ir, block = _signal(200, seed=9), 64
    x = np.zeros(block * 6, np.float32)
    x[70] = 1.0
    outs = []
    for method in ("fft", "fir"):
        _, h = getattr(lib, method)(ir, block)
        outs.append(lib.run(h, x, block))
    for y in outs:  # the IR itself, delayed by 70 samples: no latency
        np.testing.assert_allclose(y[70:270], ir, atol=TOL)
        assert np.max(np.abs(y[:70])) < TOL


@requires_sdist
def test_fft_init_refuses_bad_arguments(lib: Cab) -> None:
    ir = _signal(64)
    assert lib.fft(ir, 24)[0] == STATUS["M7_ERR_ARG"]  # not a power of two
    assert lib.fft(ir, 8)[0] == STATUS["M7_ERR_ARG"]  # below 16
    assert lib.fft(ir, 4096)[0] == STATUS["M7_ERR_ARG"]  # above 2048
    assert lib.fft(ir[:0], 32)[0] == STATUS["M7_ERR_ARG"]  # no taps
    assert lib.fir(ir[:0], 32)[0] == STATUS["M7_ERR_ARG"]
    inst = ctypes.create_string_buffer(256)
    assert lib.lib.m7_cab_fft_init_f32(inst, None, 4, 32, None, None, None) == STATUS["M7_ERR_NULL"]


# ---- m7amp/cab.py ----
def test_synthetic_ir_is_deterministic_and_cabinet_like() -> None:
    a, b = cab.synthetic_ir(48_000), cab.synthetic_ir(48_000)
    np.testing.assert_array_equal(a, b)
    assert len(a) == cab.SYNTHETIC_TAPS_48K and np.all(np.isfinite(a))
    mag = np.abs(np.fft.rfft(a.astype(np.float64), 1 << 15))
    f = np.fft.rfftfreq(1 << 15, 1 / 48_000)

    def band(lo: float, hi: float) -> float:
        return float(np.mean(mag[(f >= lo) & (f < hi)]))

    assert mag.max() == pytest.approx(1.0, rel=1e-3)  # 0 dB peak
    assert band(1000, 3000) > 4 * band(20, 50)  # a band-pass: bass roll-off
    assert band(1000, 3000) > 10 * band(12000, 20000)  # and the speaker's treble roll-off
    assert len(cab.synthetic_ir(44_100)) == round(1024 * 44_100 / 48_000)


def test_minimum_phase_keeps_the_magnitude_and_moves_energy_forward() -> None:
    ir = cab.synthetic_ir(48_000)
    delayed = np.concatenate([np.zeros(200, np.float32), ir])  # same magnitude, 200 samples late
    mp = cab.minimum_phase(delayed)
    assert len(mp) == len(delayed)
    n = 1 << 14
    np.testing.assert_allclose(np.abs(np.fft.rfft(mp, n)), np.abs(np.fft.rfft(delayed, n)), atol=2e-3)
    energy = np.cumsum(mp.astype(np.float64) ** 2)
    assert energy[100] > 0.5 * energy[-1]  # most of it in the first 100 samples (it started at 200)


def test_load_ir_resamples_truncates_and_fades(tmp_path: Path) -> None:
    ir = cab.synthetic_ir(44_100)
    wav = tmp_path / "cab.wav"
    sf.write(wav, np.stack([ir, -ir], axis=1), 44_100, subtype="FLOAT")
    notes: list[str] = []
    full, source = cab.load_ir(wav, 48_000, notice=notes.append)
    assert source == "cab.wav" and len(full) == -(-len(ir) * 48_000 // 44_100)  # resample_poly: ceil
    assert any("resampled to 48000" in n for n in notes) and any("left channel" in n for n in notes)
    short, _ = cab.load_ir(wav, 48_000, length=256)
    assert len(short) == 256
    np.testing.assert_allclose(short[:200], full[:200], atol=1e-7)  # unchanged before the fade
    assert abs(short[-1]) < 1e-3 * np.max(np.abs(full))  # faded to ~0
    assert len(cab.load_ir(wav, 48_000, length=10_000)[0]) == len(full)  # longer than the IR: as is


def test_bad_ir_input_is_one_line(tmp_path: Path) -> None:
    text = tmp_path / "notes.wav"
    text.write_text("not audio")
    nan = tmp_path / "nan.wav"
    sf.write(nan, np.array([0.5, np.nan, 0.1], np.float32), 48_000, subtype="FLOAT")
    zero = tmp_path / "zero.wav"
    sf.write(zero, np.zeros(64, np.float32), 48_000, subtype="FLOAT")
    empty = tmp_path / "empty.wav"
    sf.write(empty, np.zeros(0, np.float32), 48_000, subtype="FLOAT")
    long = tmp_path / "long.wav"
    sf.write(long, _signal(cab.MAX_TAPS + 1), 48_000, subtype="FLOAT")
    cases = {text: "cannot read", nan: "NaN", zero: "all samples are zero", empty: "no samples",
             long: "--ir-length", tmp_path / "missing.wav": "not found"}
    for path, words in cases.items():
        with pytest.raises(M7Error, match=words) as err:
            cab.load_ir(path, 48_000)
        assert "\n" not in str(err.value)
    with pytest.raises(M7Error, match="at least 1"):
        cab.load_ir(cab.SYNTHETIC, 48_000, length=0)
    assert len(cab.load_ir(long, 48_000, length=cab.MAX_TAPS)[0]) == cab.MAX_TAPS


def test_choose_method() -> None:
    assert cab.choose_method(cab.FIR_MAX_TAPS, 32) == "fir"
    assert cab.choose_method(cab.FIR_MAX_TAPS + 1, 32) == "fft"
    assert cab.choose_method(1024, 24) == "fir"  # no fft at a block that is not a power of two
    assert cab.choose_method(1024, 64, "fir") == "fir"
    with pytest.raises(M7Error, match="power-of-two"):
        cab.choose_method(1024, 24, "fft")


def test_generated_sources_hold_the_exact_taps(tmp_path: Path) -> None:
    taps = _signal(37)
    c = cab.Cabinet(taps=taps, rate=48_000, method="fir", source="t")
    cab.write_sources(c, tmp_path)
    header = (tmp_path / "m7_cab_ir.h").read_text()
    assert "#define M7_CAB_IR_TAPS 37u" in header and "#define M7_CAB_IR_FFT 0" in header
    body = (tmp_path / "m7_cab_ir.c").read_text()
    values = body[body.index("{") + 1:body.index("}")].replace("f", "").split(",")
    parsed = np.array([float(v) for v in values if v.strip()], np.float32)
    np.testing.assert_array_equal(parsed, taps)  # 9 significant digits: every float32 exactly
    before = (tmp_path / "m7_cab_ir.c").stat().st_mtime_ns
    cab.write_sources(c, tmp_path)
    assert (tmp_path / "m7_cab_ir.c").stat().st_mtime_ns == before  # unchanged: no rebuild


def test_apply_ir_is_fftconvolve_truncated() -> None:
    y, ir = _signal(500), _signal(64, seed=3)
    out = cab.apply_ir(y, ir)
    assert out.dtype == np.float32 and len(out) == len(y)
    np.testing.assert_allclose(out, np.convolve(y.astype(np.float64), ir)[:500], atol=1e-5)


def test_an_ir_over_the_cycle_budget_is_refused_in_one_line() -> None:
    # 4096 taps by the direct FIR: ~8600 cycles/sample, the budget at 48 kHz is 4500
    with pytest.raises(M7Error, match=r"cycles/sample.*--ir-length N or use --ir-method fft") as err:
        cab.check_budget(4096, 32, "fir", 48_000, "big.wav")
    assert "\n" not in str(err.value)
    cab.check_budget(cab.MAX_TAPS, 32, "fft", 48_000, "big.wav")  # the longest IR fits by fft
    assert cab.prepare(cab.SYNTHETIC, 48_000, 32).method == "fft"
