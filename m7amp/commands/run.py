"""``m7amp run``: play a WAV through the audio firmware on the simulated board (or, ``--target renode``, in
Renode through m7amp's SAI1/DMA2 models), in virtual time.

Prints samples, deadline misses, cycles per block (min/avg/max), CPU load, latency, and the ESR of the
output vs the package's reference (its Keras model.keras run on the same input) and vs a target WAV:
the figures of :meth:`m7amp.record.RunRecord.figures`, like ``m7amp demo``. ``--record DIR`` saves the
run record that ``m7amp report DIR`` turns into an HTML page.
Without FIRMWARE.elf it builds firmware/app/audio for the package (``--precision``, ``--rate``,
``--block``, ``--slow``, ``--engine cmsis|tflm``, and ``--ir``: a cabinet IR convolved after the
model, docs/cabinet-ir.md) with m7amp.targets.build_firmware. With an IR the reference is the Keras
model's output convolved with the same IR (scipy.signal.fftconvolve), and the figures show the IR
stage's own cycles per sample.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from m7amp.errors import M7Error
from m7amp.package import DEFAULT_PACKAGE

SILENT_TARGET_DBFS = -50.0  # RMS below which a target is "nearly silent" (guitar takes: about -30 to -10)
AUDIO_RATES = (48000, 44100, 16000, 8000, 4000)  # the audio app's clock plans (firmware/board/sai_clock.c)
HELP = ("play a WAV through the audio firmware on the simulated board or in Renode (misses, cycles, latency, "
        "ESR)")


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
    parser.add_argument("--record", type=Path, metavar="DIR",
                        help="save the run record (run.json + signals.npz) in DIR for `m7amp report DIR`")
    parser.add_argument("--seconds", type=float, help="play only the first SECONDS of the input")
    parser.add_argument("--target", choices=("sim", "renode"), default="sim",
                        help="sim: the in-process simulator (default); renode: a real Renode with m7amp's "
                             "SAI1 and DMA2 models (renode/*.cs, docs/renode.md)")
    parser.add_argument("--renode", metavar="PATH",
                        help="--target renode: the Renode executable (default $RENODE, else `renode` on "
                             "PATH)")
    parser.add_argument("--mips", type=int, metavar="N",
                        help="--target renode: Renode's PerformanceInMips (default 324: Renode counts "
                             "instructions, not cycles; docs/renode.md, What Renode measures)")
    parser.add_argument("--memory-model", action=argparse.BooleanOptionalAction, default=True,
                        help="--target sim: model flash wait states, the ART and the L1 caches (default on); "
                             "--no-memory-model: every access hits, as in Renode (docs/cycle-model.md)")
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
    from m7amp.cab import add_ir_arguments

    add_ir_arguments(parser.add_argument_group(
        "cabinet IR (with FIRMWARE.elf: the IR it was built with, for the reference)"))


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
    from m7amp.cab import apply_ir, from_args
    from m7amp.memory import memory_report
    from m7amp.package import load_package
    from m7amp.record import RunRecord
    from m7amp.targets import build_firmware

    def notice(line: str) -> None:
        print(f"note: {line}", file=sys.stderr)

    if args.target == "renode" and args.gdb is not None:
        raise M7Error("--gdb works with --target sim only (Renode has its own: `machine StartGdbServer`)")
    if args.mips is not None and args.target != "renode":
        raise M7Error("--mips sets Renode's speed: it needs --target renode")
    if args.out is not None and (args.out.is_dir() or not args.out.parent.is_dir()):  # before the playing
        folder = args.out.parent
        what = "is a folder" if args.out.is_dir() else f"is in a folder that does not exist ({folder})"
        raise M7Error(f"--out {args.out} {what}: give the path of a WAV file to write")
    backend = None
    if args.target == "renode":
        from m7amp.targets import get_target

        options = {} if args.mips is None else {"mips": args.mips}
        backend = get_target("renode", renode=args.renode, **options)  # first: one line if Renode cannot run
    package = load_package(args.package)
    x, rate = read_wav(args.input, notice)
    if args.seconds is not None:
        if args.seconds <= 0:
            raise M7Error("--seconds must be positive")
        x = x[:max(1, round(args.seconds * rate))]
    elf = args.firmware
    cab = None
    if elf is None:
        cab = from_args(args, args.rate, args.block, notice)
        print(f"building firmware/app/audio for {args.package} ({args.engine} engine, {args.precision}, "
              f"{args.rate} Hz, block {args.block})", file=sys.stderr)
        elf = build_firmware("audio", package.path, precision=args.precision, sample_rate=args.rate,
                             block=args.block, slow=args.slow, cab=cab, engine=args.engine,
                             tflm_dir=args.tflm_dir)
    elif not elf.is_file():
        raise M7Error(f"firmware not found: {elf}")
    else:  # the reference needs the IR the given ELF convolves, if any
        from m7amp.cab import elf_ir_taps

        fw_taps = elf_ir_taps(elf)
        if fw_taps is not None and args.ir is None:
            raise M7Error(f"{elf.name} convolves a cabinet IR of {fw_taps} taps: give the same --ir for the "
                          "reference")
        if fw_taps is None and args.ir is not None:
            raise M7Error(f"{elf.name} has no cabinet IR stage: drop --ir (or let run build the firmware)")

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

    target = None
    if args.target_wav is not None:  # read (and checked) before the run, not after it
        target, target_rate = read_wav(args.target_wav, notice)
    if backend is None:
        result = play(elf, x, rate, progress=progress, notice=notice, gdb_port=args.gdb,
                      memory_model=args.memory_model)
    else:
        with backend:
            backend.load(elf)
            result = backend.play(x, rate, progress=progress)
        if result.sample_rate != rate:  # the target resampled to the firmware's rate, as play() does
            fw = result.sample_rate
            notice(f"the input is {rate} Hz, not {fw} Hz: resampled to {fw} Hz")
    y = result.output
    if args.out is not None:
        write_wav(args.out, y, result.sample_rate)
    x_played = x if result.sample_rate == rate else conform_rate(x, rate, result.sample_rate, "the input")
    if package.sample_rate != result.sample_rate:
        notice(f"the package's model was trained at {package.sample_rate} Hz, the output is at "
               f"{result.sample_rate} Hz")
    fw_cab = result.extra.get("cab")
    if args.firmware is not None:  # the IR the given ELF convolves: the same --ir is needed for the reference
        cab = from_args(args, result.sample_rate, result.block_size or 32, notice)
    if cab is not None and fw_cab is not None and fw_cab["taps"] != len(cab.taps):
        raise M7Error(f"{elf.name} convolves {fw_cab['taps']} taps, --ir gives {len(cab.taps)}: give the IR "
                      "(and --ir-length) it was built with")
    print("reference: running the package's Keras model" + (" and the cabinet IR" if cab else ""),
          file=sys.stderr)
    if cab is None:
        ref = package.reference_output(x_played[:len(y)], result.io_bits)
    else:  # the model's float output through the IR, then the firmware's output format
        from m7amp.playback import quantize

        model = package.reference_output(quantize(x_played[:len(y)], result.io_bits), 0)
        ref = quantize(apply_ir(model, cab.taps), result.io_bits)
    if target is not None:
        target = conform_rate(target, target_rate, result.sample_rate, "the target WAV", notice)[:len(y)]
        note = silent_target_note(target, result.sample_rate)
        if note:
            notice(note)
    rec = RunRecord(input=x_played[:len(y)], result=result, reference=ref, target=target, elf=str(elf),
                    package=str(package.path), precision=args.precision if args.firmware is None else None,
                    memory=memory_report(elf).as_dict(),
                    title=f"m7amp run: {args.input.name} on {args.target}")
    figures = {**rec.figures(), **{k: result.extra[k] for k in RUN_EXTRAS}}
    peak = figures["peak_load"]  # the highest rate the worst block still meets: where this engine keeps up
    figures["max_rate_hz"] = result.sample_rate / peak if peak else None
    if cab is not None and fw_cab is not None:
        figures.update(ir_figures(cab, fw_cab, result.block_size))
    figures["reference"] = f"Keras {package.path / 'model.keras'}" + (
        f" + cabinet IR ({cab.source}, fftconvolve)" if cab else "") + (
        f" behind the firmware's {result.io_bits}-bit I/O" if result.io_bits else "")
    figures["firmware"] = str(elf)
    if args.record is not None:
        rec.save(args.record)
        print(f"run record: {args.record} (`m7amp report {args.record}` writes its HTML report)",
              file=sys.stderr)
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        print(_table(figures))
    return 0


def silent_target_note(target, rate: int) -> str | None:
    """A notice when the part of the target WAV compared is nearly silent (RMS below
    ``SILENT_TARGET_DBFS``): ESR vs target then compares noise floors (e.g. the silent first 0.5 s of
    the JVM clip 9 give ESR 131 for a model at 0.26 on the whole clip)."""
    import numpy as np

    t = np.asarray(target, np.float64)
    with np.errstate(divide="ignore"):
        rms = float(10 * np.log10(np.mean(t * t))) if len(t) else float("-inf")
    if rms >= SILENT_TARGET_DBFS:
        return None
    return (f"the target WAV's {len(t) / rate:.3f} s compared are nearly silent (RMS {rms:.1f} dBFS): ESR vs "
            "target measures the noise floor, not the model; play more of it (--seconds)")


RUN_EXTRAS = ("frame_rate_hz", "firmware_overruns", "simulated_seconds", "host_seconds")


def ir_figures(cab, fw_cab: dict, block: int) -> dict:
    """The cabinet IR's figures of a run: its length, method, source and its own cycles per sample
    (the firmware's m7_audio_cab; the whole-block cycles include them)."""
    blocks = fw_cab["blocks"]
    return {"ir_taps": len(cab.taps), "ir_method": fw_cab["method"], "ir_source": cab.source,
            "ir_cycles_per_sample": fw_cab["cycles_sum"] / (blocks * block) if blocks and block else None}


def _table(f: dict) -> str:
    """``RunRecord.figures()`` (plus RUN_EXTRAS, reference, firmware) as aligned lines."""
    def pct(v: float | None) -> str:
        return "n/a" if v is None else f"{100 * v:.1f} %"

    rows = [
        ("samples", f"{f['samples']} ({f['seconds']:.3f} s at {f['sample_rate']} Hz; "
                    f"SAI frame rate {f['frame_rate_hz']:.2f} Hz)"),
        ("deadline misses",
         f"{f['deadline_misses']} (firmware's own overrun count: {f['firmware_overruns']})"),
        ("cycles per block", "n/a (no m7_audio_stats)" if f["block_cycles_avg"] is None else
         f"min {f['block_cycles_min']} / avg {f['block_cycles_avg']:.0f} / "
         f"max {f['block_cycles_max']} (block {f['block_size']}, {f['blocks']} blocks)"),
        ("CPU load", f"avg {pct(f['cpu_load'])} / peak {pct(f['peak_load'])}" + (
            "" if f.get("max_rate_hz") is None else
            f" (the worst block would meet its deadline up to {f['max_rate_hz']:,.0f} Hz)")),
        *([("cabinet IR", f"{f['ir_source']}: {f['ir_taps']} taps, {f['ir_method']}, "
                          f"{f['ir_cycles_per_sample']:.1f} cycles/sample of the "
                          f"{f['block_cycles_avg'] / f['block_size']:.1f} above")]
          if f.get("ir_cycles_per_sample") is not None and f["block_cycles_avg"] else []),
        ("latency",
         f"{f['latency_samples']} samples ({1000 * f['latency_samples'] / f['sample_rate']:.2f} ms)"),
        ("ESR vs reference", f"{f['esr_vs_reference']:.4g} ({f['reference']})"),
    ]
    if f["esr_vs_target"] is not None:
        rows.append(("ESR vs target", f"{f['esr_vs_target']:.4g}"))
    rows.append(("simulation", f"{f['simulated_seconds']:.2f} s virtual in {f['host_seconds']:.1f} s"))
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k:<{width}}  {v}" for k, v in rows)
