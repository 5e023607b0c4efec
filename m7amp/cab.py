"""The cabinet IR stage (docs/cabinet-ir.md): the impulse response a cabinet stage convolves the amp
model's output with, from a WAV or generated, as the firmware gets it (C sources) and as the host
reference applies it.

``load_ir(spec, rate)`` reads a WAV (or ``"synthetic"``: :func:`synthetic_ir`), checks it, resamples it to
the firmware's rate and optionally truncates it (with a short fade) and makes it minimum-phase.
``choose_method(taps, block)`` picks the firmware's method (partitioned FFT or direct FIR: whichever
``m7amp bench ir`` measured faster), ``write_sources`` writes ``m7_cab_ir.h/.c`` for the build
(CMake cache variable ``M7AMP_CAB_DIR``) and ``apply_ir`` is the host reference
(``scipy.signal.fftconvolve``, truncated to the input's length).
"""

from __future__ import annotations

import argparse
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from m7amp.errors import M7Error

SYNTHETIC = "synthetic"  # the --ir value of the built-in cabinet
SYNTHETIC_TAPS_48K = 1024  # the synthetic cabinet's length at 48 kHz (21.3 ms)
# The most taps the firmware takes: the fft method keeps 16 bytes per tap (partition spectra + delay
# line), 8192 taps = 128 KB of the F767's 368 KB SRAM1 (the engine's buffers need the rest).
MAX_TAPS = 8192
# Crossover measured with `m7amp bench ir` (docs/benchmarks.md, "Cabinet IR"): the direct FIR is
# faster up to this many taps at block 32 and 64; the partitioned FFT beyond. See choose_method.
FIR_MAX_TAPS = 72
# Cycles/sample of the stage, fitted to the same table (2026-12-06; within 5 % of it for blocks 32 and
# 64): fft = FFT_BASE + FFT_PER_PART * partitions, fir = FIR_BASE + FIR_PER_TAP * taps.
FFT_BASE, FFT_PER_PART, FIR_BASE, FIR_PER_TAP = 170.0, 6.2, 8.0, 2.1
FADE_MAX = 256  # samples of the half-cosine fade a truncation ends with (at most 1/8 of the length)
FFT_BLOCKS = tuple(1 << k for k in range(4, 12))  # the fft method's blocks: 16..2048
METHODS = ("auto", "fft", "fir")


@dataclass
class Cabinet:
    """An IR ready for the firmware: ``taps`` at ``rate`` Hz, convolved by ``method`` ("fft" or "fir")."""

    taps: np.ndarray
    rate: int
    method: str
    source: str

    @property
    def digest(self) -> str:
        """8 hex digits naming the IR and method (build folders)."""
        h = hashlib.sha256(self.taps.astype("<f4").tobytes() + self.method.encode())
        return h.hexdigest()[:8]


def synthetic_ir(rate: int = 48_000, seed: int = 0, taps: int | None = None) -> np.ndarray:
    """A deterministic guitar-cabinet-like IR: exponentially decaying noise through a speaker-like
    band-pass (2nd-order Butterworth high-pass at 90 Hz and low-pass at 4.5 kHz, a +6 dB resonance at
    2.5 kHz), normalised to a peak gain of 1 (0 dB) over frequency. ``taps`` default: 1024 at 48 kHz."""
    from scipy.signal import butter, sosfilt

    n = taps or max(16, round(SYNTHETIC_TAPS_48K * rate / 48_000))
    rng = np.random.default_rng(seed)
    t = np.arange(n) / rate
    x = rng.standard_normal(n) * np.exp(-t / 0.004)
    x[0] += 4.0  # the direct sound
    sos = np.vstack([butter(2, 90.0, "highpass", fs=rate, output="sos"),
                     butter(2, min(4500.0, 0.45 * rate), "lowpass", fs=rate, output="sos"),
                     butter(1, [2200.0, 2800.0], "bandpass", fs=rate, output="sos")])
    main = sosfilt(sos[:2], x)
    y = main + sosfilt(sos[2:], main)  # the resonance added to the band-passed sound
    y *= _fade(n, min(FADE_MAX, n // 8))
    return (y / np.max(np.abs(np.fft.rfft(y, 8 * n)))).astype(np.float32)


def _fade(n: int, fade: int) -> np.ndarray:
    """n ones ending with a half-cosine fade of ``fade`` samples to (almost) zero."""
    w = np.ones(n)
    if fade > 0:
        w[n - fade:] = 0.5 * (1.0 + np.cos(np.pi * (np.arange(1, fade + 1) / fade)))
    return w


def minimum_phase(ir: np.ndarray) -> np.ndarray:
    """The minimum-phase IR with the same magnitude response (real cepstrum, folded), same length."""
    n = 1 << int(np.ceil(np.log2(8 * len(ir))))
    mag = np.abs(np.fft.fft(ir.astype(np.float64), n))
    cep = np.fft.ifft(np.log(np.maximum(mag, 1e-9 * mag.max()))).real
    fold = np.zeros(n)
    fold[0], fold[n // 2] = 1.0, 1.0
    fold[1:n // 2] = 2.0
    return np.fft.ifft(np.exp(np.fft.fft(cep * fold))).real[:len(ir)].astype(np.float32)


def load_ir(spec: str | Path, rate: int, *, length: int | None = None, min_phase: bool = False,
            notice: Callable[[str], None] | None = None) -> tuple[np.ndarray, str]:
    """The IR named by ``spec`` (a WAV file, or ``"synthetic"``) at ``rate`` Hz, optionally made
    minimum-phase and truncated to ``length`` taps with a short fade; and a one-word description.
    Bad input (unreadable, empty, NaN/Inf, silent, too long) is one M7Error line."""
    from m7amp.audio import read_wav
    from m7amp.data import resample

    if length is not None and length < 1:
        raise M7Error(f"--ir-length must be at least 1, got {length}")
    if str(spec) == SYNTHETIC:
        ir, source = synthetic_ir(rate), f"{SYNTHETIC} (seed 0)"
    else:
        path = Path(spec)
        ir, ir_rate = read_wav(path, notice)
        source = path.name
        if not np.all(np.isfinite(ir)):
            raise M7Error(f"IR {path}: {int(np.sum(~np.isfinite(ir)))} NaN/Inf sample(s)")
        if ir_rate != rate:
            if notice is not None:
                notice(f"IR {path.name} is {ir_rate} Hz: resampled to {rate} Hz")
            ir = resample(ir.astype(np.float64), ir_rate, rate).astype(np.float32)
    if not np.any(ir):
        raise M7Error(f"IR {source}: all samples are zero")
    if min_phase:
        ir = minimum_phase(ir)
    if length is not None and length < len(ir):
        ir = (ir[:length] * _fade(length, min(FADE_MAX, length // 8))).astype(np.float32)
    if len(ir) > MAX_TAPS:
        raise M7Error(f"IR {source} has {len(ir)} taps at {rate} Hz, more than the firmware's {MAX_TAPS} "
                      f"(RAM): shorten it with --ir-length N (N <= {MAX_TAPS})")
    return np.ascontiguousarray(ir, np.float32), source


def choose_method(taps: int, block: int, method: str = "auto") -> str:
    """The firmware's method for an IR of ``taps`` at ``block`` samples per call: "fir" up to
    FIR_MAX_TAPS taps (measured faster) or when the block is not a power of two in 16..2048 (the
    fft method's blocks), else "fft". ``method`` "fft" or "fir" forces one (fft on another block is an
    error)."""
    if method not in METHODS:
        raise M7Error(f"--ir-method must be one of {', '.join(METHODS)}, got {method!r}")
    if method == "fft" and block not in FFT_BLOCKS:
        raise M7Error(f"the fft cabinet method needs a power-of-two block in 16..2048, got {block}")
    if method != "auto":
        return method
    return "fft" if taps > FIR_MAX_TAPS and block in FFT_BLOCKS else "fir"


def estimate_cycles(taps: int, block: int, method: str) -> float:
    """The stage's cycles per sample on the F767 (fitted to `m7amp bench ir`)."""
    if method == "fft":
        return FFT_BASE + FFT_PER_PART * -(-taps // block)
    return FIR_BASE + FIR_PER_TAP * taps


def check_budget(taps: int, block: int, method: str, rate: int, source: str) -> None:
    """Refuse (one line) an IR whose stage alone would take more than the sample period's cycles."""
    from m7amp.playback import CORE_HZ

    need, budget = estimate_cycles(taps, block, method), CORE_HZ / rate
    if need > budget:
        raise M7Error(f"IR {source}: {taps} taps by {method} at block {block} need about {need:,.0f} "
                      f"cycles/sample, more than the {budget:,.0f} of a sample at {rate} Hz: shorten it "
                      "with --ir-length N" + (" or use --ir-method fft" if method == "fir" else ""))


def prepare(spec: str | Path, rate: int, block: int, *, length: int | None = None, min_phase: bool = False,
            method: str = "auto", notice: Callable[[str], None] | None = None) -> Cabinet:
    """:func:`load_ir` and :func:`choose_method` in one: the Cabinet a build gets."""
    taps, source = load_ir(spec, rate, length=length, min_phase=min_phase, notice=notice)
    chosen = choose_method(len(taps), block, method)
    check_budget(len(taps), block, chosen, rate, source)
    return Cabinet(taps=taps, rate=rate, method=chosen, source=source)


def apply_ir(y: np.ndarray, ir: np.ndarray) -> np.ndarray:
    """The host reference: ``y`` convolved with ``ir`` (scipy.signal.fftconvolve, float64), as long as
    ``y`` (the firmware's stage has no latency), float32."""
    from scipy.signal import fftconvolve

    out = fftconvolve(np.asarray(y, np.float64), np.asarray(ir, np.float64))[:len(y)]
    return out.astype(np.float32)


def write_sources(cab: Cabinet, out_dir: Path) -> Path:
    """Write ``m7_cab_ir.h`` and ``m7_cab_ir.c`` (the taps as const floats, sized at compile time) into
    ``out_dir``; files already holding the same text are left alone (no rebuild). Returns ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    n = len(cab.taps)
    head = f"/* generated by m7amp (m7amp/cab.py) from {cab.source}: do not edit */\n"
    header = (f"{head}#ifndef M7_CAB_IR_H\n#define M7_CAB_IR_H\n\n"
              f"#define M7_CAB_IR_TAPS {n}u   /* samples */\n"
              f"#define M7_CAB_IR_RATE {cab.rate}u /* Hz */\n"
              f"#define M7_CAB_IR_FFT {int(cab.method == 'fft')} /* 1: partitioned FFT, 0: direct FIR */\n\n"
              "extern const float m7_cab_ir[M7_CAB_IR_TAPS];\n\n#endif /* M7_CAB_IR_H */\n")
    values = [f"{float(v):.8e}f" for v in cab.taps]  # 9 significant digits: exact float32
    rows = ["    " + ", ".join(values[i:i + 8]) + "," for i in range(0, n, 8)]
    source = (f'{head}#include "m7_cab_ir.h"\n\nconst float m7_cab_ir[M7_CAB_IR_TAPS] = {{\n'
              + "\n".join(rows) + "\n};\n")
    for name, text in (("m7_cab_ir.h", header), ("m7_cab_ir.c", source)):
        path = out_dir / name
        if not path.is_file() or path.read_text() != text:
            path.write_text(text)
    return out_dir


def elf_ir_taps(elf: str | Path) -> int | None:
    """The taps of the cabinet IR an ELF was built with (its ``m7_cab_ir`` array), or None."""
    from elftools.elf.elffile import ELFFile
    from elftools.elf.sections import SymbolTableSection

    with open(elf, "rb") as f:
        for section in ELFFile(f).iter_sections():
            if isinstance(section, SymbolTableSection):
                for sym in section.get_symbol_by_name("m7_cab_ir") or []:
                    return int(sym["st_size"]) // 4
    return None


def add_ir_arguments(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    """The --ir options of run, demo and build."""
    parser.add_argument("--ir", metavar="CAB.wav",
                        help="cabinet impulse response convolved after the model (a WAV at any rate, "
                             f"resampled; or '{SYNTHETIC}': the built-in one); docs/cabinet-ir.md")
    parser.add_argument("--ir-length", type=int, metavar="N",
                        help="truncate the IR to N taps with a short fade (the firmware takes up to "
                             f"{MAX_TAPS})")
    parser.add_argument("--ir-min-phase", action="store_true",
                        help="make the IR minimum-phase first (same magnitude, energy moved to the start)")
    parser.add_argument("--ir-method", choices=METHODS, default="auto",
                        help="firmware convolution: fft (partitioned), fir (direct) or auto (the faster for "
                             f"the length: fir up to {FIR_MAX_TAPS} taps)")


def from_args(args: argparse.Namespace, rate: int, block: int,
              notice: Callable[[str], None] | None = None) -> Cabinet | None:
    """The Cabinet the --ir options ask for, or None without --ir."""
    if getattr(args, "ir", None) is None:
        if getattr(args, "ir_length", None) is not None or getattr(args, "ir_min_phase", False):
            raise M7Error("--ir-length and --ir-min-phase need --ir")
        return None
    return prepare(args.ir, rate, block, length=args.ir_length, min_phase=args.ir_min_phase,
                   method=args.ir_method, notice=notice)
