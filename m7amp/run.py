"""``m7amp run``: play a WAV through the audio firmware on the simulated board, in virtual time.

Prints samples, deadline misses, cycles per block (min/avg/max), CPU load, latency, and the ESR of the
output vs the package's reference (its Keras model.keras run on the same input) and vs a target WAV.
Without FIRMWARE.elf it builds firmware/app/audio for the package (``--precision``, ``--rate``,
``--block``, ``--slow``, ``--engine cmsis|tflm``) with m7amp.targets.build_firmware. The CPU load line
also says up to which rate the worst block would meet its deadline: with a slow engine (tflm), the
rate to try next.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from m7amp.errors import M7Error
from m7amp.package import DEFAULT_PACKAGE

AUDIO_RATES = (48000, 44100, 16000, 8000, 4000)  # the audio app's clock plans (firmware/board/sai_clock.c)
HELP = "play a WAV through the audio firmware on the simulated board (misses, cycles, latency, ESR)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("firmware", nargs="?", type=Path, metavar="FIRMWARE.elf",
                        help="audio firmware ELF (default: build firmware/app/audio for --package)")
    parser.add_argument("--in", dest="input", type=Path, required=True, metavar="GUITAR.wav",
                        help="input audio (any rate: resampled with a notice; stereo: left channel)")
    parser.add_argument("--out", type=Path, metavar="OUT.wav", help="write the output here (24-bit WAV)")
    parser.add_argument("--package", type=Path, default=DEFAULT_PACKAGE, metavar="PKG",
                        help="model package for the reference ESR and the build (default training/default)")
    parser.add_argument("--target-wav", type=Path, metavar="AMP.wav",
                        help="also report ESR vs this recording")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    parser.add_argument("--seconds", type=float, help="play only the first SECONDS of the input")
    parser.add_argument("--gdb", nargs="?", const=3333, type=int, metavar="PORT",
                        help="halt at reset and serve gdb on 127.0.0.1:PORT (default 3333); the run goes on "
                             "when gdb detaches (docs/debugging.md)")
    build = parser.add_argument_group("building the firmware (when no FIRMWARE.elf is given)")
    build.add_argument("--precision", choices=("f32", "q15"), default="f32", help="engine precision (f32)")
    build.add_argument("--rate", type=int, choices=AUDIO_RATES, default=48000,
                       help="nominal rate (48000); 16000, 8000, 4000 exist to find where a slow engine keeps "
                            "up (simulator only: the board's ADC starts at 16 kHz)")
    build.add_argument("--block", type=int, default=32, help="samples per half buffer (32)")
    build.add_argument("--slow", type=int, default=0,
                       help="M7AMP_AUDIO_SLOW: extra busy-wait cycles per block (to miss deadlines)")
    add_engine_arguments(build)


def add_engine_arguments(group: argparse._ActionsContainer) -> None:
    """--engine and --tflm-dir, shared with ``m7amp demo``."""
    from m7amp.targets import ENGINES

    group.add_argument("--engine", choices=ENGINES, default="cmsis",
                       help="engine the audio app links: cmsis (hand-written, default) or tflm (TensorFlow "
                            "Lite Micro running the package's streaming TFLite model; needs a TFLM tree)")
    group.add_argument("--tflm-dir", type=Path, default=None, metavar="DIR",
                       help="for --engine tflm: a TFLM tree made by TFLM's create_tflm_tree.py "
                            "(default: $M7AMP_TFLM_DIR; docs/tflm.md)")


def run(args: argparse.Namespace) -> int:
    from m7amp.audio import conform_rate, play, read_wav, write_wav
    from m7amp.metrics import esr
    from m7amp.package import load_package
    from m7amp.targets import build_firmware

    def notice(line: str) -> None:
        print(f"note: {line}", file=sys.stderr)

    package = load_package(args.package)
    x, rate = read_wav(args.input, notice)
    if args.seconds is not None:
        if args.seconds <= 0:
            raise M7Error("--seconds must be positive")
        x = x[:max(1, round(args.seconds * rate))]
    elf = args.firmware
    if elf is None:
        print(f"building firmware/app/audio for {args.package} ({args.engine} engine, {args.precision}, "
              f"{args.rate} Hz, block {args.block})", file=sys.stderr)
        elf = build_firmware("audio", package.path, precision=args.precision, sample_rate=args.rate,
                             block=args.block, slow=args.slow, engine=args.engine, tflm_dir=args.tflm_dir)
    elif not elf.is_file():
        raise M7Error(f"firmware not found: {elf}")

    tenths = [-1]

    def progress(done: int, total: int) -> None:
        """A bar redrawn in place on a terminal; one line per 10 % otherwise (logs)."""
        bar = "#" * (30 * done // max(1, total))
        line = f"[{bar:<30}] {done}/{total} samples"
        if sys.stderr.isatty():
            print(f"\r{line}", end="\n" if done == total else "", file=sys.stderr, flush=True)
        elif 10 * done // max(1, total) > tenths[0]:
            tenths[0] = 10 * done // max(1, total)
            print(line, file=sys.stderr, flush=True)

    result = play(elf, x, rate, progress=progress, notice=notice, gdb_port=args.gdb)
    y = result.output
    if args.out is not None:
        write_wav(args.out, y, result.sample_rate)
    x_played = x if result.sample_rate == rate else conform_rate(x, rate, result.sample_rate, "the input")
    if package.sample_rate != result.sample_rate:
        notice(f"the package's model was trained at {package.sample_rate} Hz, the output is at "
               f"{result.sample_rate} Hz")
    print("reference: running the package's Keras model", file=sys.stderr)
    ref = package.reference_output(x_played[:len(y)], result.io_bits)
    figures = _figures(result, esr(ref, y))
    if args.target_wav is not None:
        t, trate = read_wav(args.target_wav, notice)
        t = conform_rate(t, trate, result.sample_rate, "the target WAV", notice)
        n = min(len(t), len(y))
        figures["esr_vs_target"] = esr(t[:n], y[:n])
    figures["reference"] = f"Keras {package.path / 'model.keras'}" + (
        f" behind the firmware's {result.io_bits}-bit I/O" if result.io_bits else "")
    figures["firmware"] = str(elf)
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        print(_table(figures))
    return 0


def _figures(result, esr_ref: float) -> dict:
    cycles = result.block_cycles
    have = len(cycles) > 0
    return {
        "samples": len(result.output), "sample_rate": result.sample_rate,
        "frame_rate_hz": result.extra["frame_rate_hz"], "block_size": result.block_size,
        "deadline_misses": result.deadline_misses, "firmware_overruns": result.extra["firmware_overruns"],
        "blocks_measured": len(cycles),
        "cycles_per_block_min": int(cycles.min()) if have else None,
        "cycles_per_block_avg": float(cycles.mean()) if have else None,
        "cycles_per_block_max": int(cycles.max()) if have else None,
        "cpu_load_avg": result.cpu_load if have else None,
        "cpu_load_peak": result.peak_load if have else None,
        # the highest rate the worst block would still meet: where this engine would keep up
        "max_rate_hz": result.sample_rate / result.peak_load if have and result.peak_load > 0 else None,
        "latency_samples": result.latency_samples, "esr_vs_reference": esr_ref,
        "simulated_seconds": result.extra["simulated_seconds"], "host_seconds": result.extra["host_seconds"],
    }


def _table(f: dict) -> str:
    def pct(v: float | None) -> str:
        return "n/a" if v is None else f"{100 * v:.1f} %"

    rows = [
        ("samples", f"{f['samples']} ({f['samples'] / f['sample_rate']:.3f} s at {f['sample_rate']} Hz; "
                    f"SAI frame rate {f['frame_rate_hz']:.2f} Hz)"),
        ("deadline misses",
         f"{f['deadline_misses']} (firmware's own overrun count: {f['firmware_overruns']})"),
        ("cycles per block", "n/a (no m7_audio_stats)" if f["cycles_per_block_avg"] is None else
         f"min {f['cycles_per_block_min']} / avg {f['cycles_per_block_avg']:.0f} / "
         f"max {f['cycles_per_block_max']} (block {f['block_size']}, {f['blocks_measured']} blocks)"),
        ("CPU load", f"avg {pct(f['cpu_load_avg'])} / peak {pct(f['cpu_load_peak'])}" + (
            "" if f["max_rate_hz"] is None else
            f" (the worst block would meet its deadline up to {f['max_rate_hz']:,.0f} Hz)")),
        ("latency",
         f"{f['latency_samples']} samples ({1000 * f['latency_samples'] / f['sample_rate']:.2f} ms)"),
        ("ESR vs reference", f"{f['esr_vs_reference']:.4g} ({f['reference']})"),
    ]
    if "esr_vs_target" in f:
        rows.append(("ESR vs target", f"{f['esr_vs_target']:.4g}"))
    rows.append(("simulation", f"{f['simulated_seconds']:.2f} s virtual in {f['host_seconds']:.1f} s"))
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k:<{width}}  {v}" for k, v in rows)
