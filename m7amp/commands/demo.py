"""``m7amp demo``: the whole chain on built-in defaults, the README's first command (``make demo``).

built-in synthetic DI guitar (and the reference amp it imitates) → model package (the committed default,
or one trained now with ``--train``) → the audio firmware built for it → played through the simulated
F767's SAI + DMA in virtual time → figures and an HTML report. Everything lands in ``--out``
(default ``out/demo``): the WAVs, the run record (run.json + signals.npz) and report.html.
``--ir synthetic`` (or ``--ir CAB.wav``) adds the cabinet IR stage after the model (docs/cabinet-ir.md):
the firmware convolves it, and the reference model and the reference amp get the same IR.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from m7amp.errors import M7Error

HELP = "run the whole chain on built-in data: model package, firmware, simulated audio run, HTML report"

DEFAULT_OUT = Path("out") / "demo"
AMP_GAIN = 0.5  # the reference amp's drive the default package was trained on (training/default)
STEPS = 6


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help=f"output folder (default {DEFAULT_OUT})")
    parser.add_argument("--seconds", type=float, default=2.0,
                        help="length of the built-in guitar clip played (default 2.0)")
    parser.add_argument("--seed", type=int, default=7, help="seed of the built-in guitar clip (default 7)")
    parser.add_argument("--package", type=Path, default=None,
                        help="model package to run (default: the committed one, training/default)")
    parser.add_argument("--train", action="store_true",
                        help="train a nano model on the built-in data now and export it instead (slow)")
    parser.add_argument("--train-epochs", type=int, default=5, help="epochs for --train (default 5)")
    parser.add_argument("--precision", choices=("f32", "q15"), default="f32",
                        help="engine precision (default f32)")
    parser.add_argument("--target", default="sim",
                        help="where to run the firmware: sim (default) or renode (Renode's SAI1 model)")
    parser.add_argument("--renode", metavar="PATH",
                        help="--target renode: the Renode executable (default $RENODE, else `renode` on "
                             "PATH)")
    from m7amp.cab import add_ir_arguments
    from m7amp.commands.run import add_engine_arguments

    add_engine_arguments(parser)
    add_ir_arguments(parser.add_argument_group("cabinet IR"))


def _step(n: int, text: str) -> None:
    print(f"[{n}/{STEPS}] {text}", flush=True)


def _progress_printer(sample_rate: int):
    """A play() progress callback: a live line on a terminal, a line per quarter otherwise."""
    tty = sys.stdout.isatty()
    last = [-1]

    def show(done: int, total: int) -> None:
        pct = 100 * done // max(total, 1)
        if tty:
            print(f"\r      {done / sample_rate:6.2f} s of {total / sample_rate:.2f} s played ({pct:3d} %)",
                  end="" if done < total else "\n", flush=True)
        elif pct // 25 > last[0]:
            last[0] = pct // 25
            print(f"      {done / sample_rate:.2f} s of {total / sample_rate:.2f} s played ({pct} %)",
                  flush=True)

    return show


def _train_package(out: Path, epochs: int) -> Path:
    from m7amp.export import export_package
    from m7amp.models import load_config
    from m7amp.training import run_training
    from m7amp.training._config import load_train_config

    spec = {"synthetic": {"seconds": 60.0, "knob_values": None, "seed": 0, "sample_rate": 48_000}}
    run_dir = run_training(spec, load_config("nano"), load_train_config(None), out / "train", epochs=epochs,
                           command="m7amp demo --train")
    # the firmware needs only the C sources: no TFLite variants (they take minutes to convert)
    export_package(run_dir, out / "package", force=True, tflite=False,
                   progress=lambda line: print(f"      {line}"))
    return out / "package"


def run(args: argparse.Namespace) -> int:
    import soundfile as sf

    from m7amp.cab import apply_ir, from_args
    from m7amp.data import reference_amp, synth_guitar
    from m7amp.memory import memory_report
    from m7amp.package import load_package
    from m7amp.record import RunRecord
    from m7amp.report import write_report
    from m7amp.targets import build_firmware, get_target

    if args.seconds <= 0:
        raise M7Error(f"--seconds must be positive, got {args.seconds}")
    options = {"renode": args.renode} if args.renode else {}
    target = get_target(args.target, **options)  # first: a backend that cannot run here stops at once
    if args.ir is not None and target.app != "audio":
        raise M7Error(f"--ir: the cabinet IR runs in the audio app, not in the "
                      f"{target.app} app of target {target.name}")
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.monotonic()

    if args.train:
        _step(1, f"training a nano model on the built-in data ({args.train_epochs} epochs) and exporting it")
        package = load_package(_train_package(out, args.train_epochs))
    else:
        package = load_package(args.package)
        _step(1, f"model package {package.path}")
    m = package.meta
    print(f"      {m['name']}: {m['architecture']} at {package.sample_rate} Hz, "
          f"{m['parameters']} parameters, {m['macs_per_sample']} MACs/sample")
    sr = package.sample_rate
    cab = from_args(args, sr, 32, lambda line: print(f"      note: {line}"))
    if cab is not None:
        print(f"      cabinet IR: {cab.source}, {len(cab.taps)} taps at {sr} Hz ({cab.method})")

    _step(2, f"built-in data: {args.seconds:g} s of synthetic DI guitar and the reference amp's answer")
    x = synth_guitar(args.seconds, sample_rate=sr, seed=args.seed)
    amp = reference_amp(x, sr, gain=AMP_GAIN)
    if cab is not None:  # the reference amp through the same cabinet
        amp = apply_ir(amp, cab.taps)
    sf.write(out / "guitar_di.wav", x, sr, subtype="FLOAT")
    sf.write(out / "amp_target.wav", amp, sr, subtype="FLOAT")
    print(f"      {out / 'guitar_di.wav'}, {out / 'amp_target.wav'}")

    _step(3, f"building the {target.app} firmware ({args.engine} engine, {args.precision}, "
             "arm-none-eabi-gcc)")
    elf = build_firmware(target.app, package.path, precision=args.precision, sample_rate=sr, cab=cab,
                         engine=args.engine, tflm_dir=args.tflm_dir)
    memory = memory_report(elf)
    print(f"      {elf}  (flash {memory.flash_bytes:,} B, RAM {memory.ram_bytes:,} B)")

    _step(4, f"playing the guitar through the firmware on target {target.name} (virtual time)")
    with target:
        target.load(elf)
        result = target.play(x, sr, progress=_progress_printer(sr))
    sf.write(out / "firmware_out.wav", result.output, sr, subtype="FLOAT")

    fmt = f"{result.io_bits}-bit" if result.io_bits else "float32"
    _step(5, f"reference model output (the package's Keras model, {fmt} in and out, like the firmware)")
    if cab is None:
        reference = package.reference_output(x, io_bits=result.io_bits)
    else:  # the model's float output through the IR, then the firmware's output format
        from m7amp.playback import quantize

        model = package.reference_output(quantize(x, result.io_bits), 0)
        reference = quantize(apply_ir(model, cab.taps), result.io_bits)
    sf.write(out / "model_reference.wav", reference, sr, subtype="FLOAT")

    _step(6, "report")
    rec = RunRecord(input=x, result=result, reference=reference, target=amp, elf=str(elf),
                    package=str(package.path), precision=args.precision, memory=memory.as_dict(),
                    title=f"m7amp demo: {m['name']} {args.precision} ({args.engine} engine)"
                          + (f" + cabinet IR ({cab.source}, {len(cab.taps)} taps)" if cab else "")
                          + f" on {target.name}")
    rec.save(out / "run")
    report = write_report(rec, out / "report.html", progress=lambda line: print(f"      {line}"))

    print()
    print(summary(rec.figures()))
    fw_cab = result.extra.get("cab")
    if cab is not None and fw_cab:
        from m7amp.commands.run import ir_figures

        f = ir_figures(cab, fw_cab, result.block_size)
        print(f"  cabinet IR             : {f['ir_taps']} taps, {f['ir_method']}, "
              f"{f['ir_cycles_per_sample']:,.0f} cycles/sample (included above)")
    print(f"  report                 : {report.resolve()}")
    print(f"  ({time.monotonic() - t0:.0f} s)")
    return 0 if np.isfinite(result.output).all() else 1


def summary(f: dict) -> str:
    """The demo's figures (from ``RunRecord.figures()``) as aligned lines."""
    from m7amp.metrics import esr_verdict, format_esr

    def pct(v: float | None) -> str:
        return "–" if v is None else f"{100 * v:.1f} %"

    esr_amp = f["esr_vs_target"]
    cps = f["cycles_per_sample"]
    budget = f["block_budget_cycles"] / f["block_size"]
    return "\n".join([
        f"  ESR vs reference model : {format_esr(f['esr_vs_reference'])}",
        f"  ESR vs amp (target)    : {format_esr(esr_amp)} ({esr_verdict(esr_amp)})",
        f"  cycles per sample      : {'–' if cps is None else f'{cps:,.0f}'} "
        f"(budget {budget:,.0f} at {f['sample_rate']:,} Hz)",
        f"  CPU load               : {pct(f['cpu_load'])} (peak block {pct(f['peak_load'])})",
        f"  deadline misses        : {f['deadline_misses']}",
    ])
