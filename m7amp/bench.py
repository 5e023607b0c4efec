"""``m7amp bench``: performance measurements printed as tables (never timed tests).

Subcommands:
  sim      simulated MIPS of the in-process simulator on a fixed workload, with and without the
           Cortex-M7 cycle model (median of several repeats).
  train    training throughput (loss samples per second) per model preset on this CPU.
  engine   cycles per sample of the hand-written engine (firmware/app/bench) in the simulator, per
           model package and precision, with MACs, load and flash/RAM.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import tempfile
from collections.abc import Callable
from pathlib import Path

from m7amp.errors import M7Error

HELP = ("performance benchmarks printed as tables (sim: simulator MIPS; train: training throughput; "
        "engine: engine cycles per sample)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="bench", metavar="BENCH", required=True)
    p = sub.add_parser("sim", help="simulated MIPS on a fixed workload, with and without the cycle model")
    p.add_argument("--repeats", type=int, default=5, help="runs per configuration (median reported)")
    p.add_argument("--iterations", type=int, default=1000,
                   help="workload iterations (1000 = about 29 M instructions)")
    p.add_argument("--firmware", type=Path, help="benchmark this ELF instead of the built-in workload")
    p.set_defaults(_bench=bench_sim)
    t = sub.add_parser("train", help="training throughput (loss samples/s) per preset on this CPU")
    t.add_argument("presets", nargs="*", default=None,
                   help="presets to time (default: nano feather lite standard lstm16)")
    t.add_argument("--seconds", type=float, default=10.0, help="timed seconds per preset (default 10)")
    t.add_argument("--batch-size", type=int, help="default: the train config's batch_size")
    t.set_defaults(_bench=bench_train)
    e = sub.add_parser("engine", help="engine cycles/sample, cycles/MAC, CPU load, flash and RAM per model "
                                      "package and precision (bench firmware in the simulator)")
    e.add_argument("--preset", default="nano",
                   help="comma-separated model names (default nano = training/default; others need "
                        "an exported package given with --package)")
    e.add_argument("--package", type=Path, action="append", default=[], metavar="DIR",
                   help="an exported model package (folder with metadata.json and c/); repeatable")
    e.add_argument("--precision", default="f32,q15", help="comma-separated: f32, q15 (default both)")
    e.add_argument("--block", type=int, default=32, help="samples per process() call (default 32)")
    e.add_argument("--blocks", type=int, default=64, help="timed blocks (default 64)")
    e.add_argument("--json", action="store_true", help="print the rows as a JSON list")
    e.set_defaults(_bench=bench_engine)
    d = sub.add_parser("debug", help="simulator MIPS with the debugging aids attached (gdb-style slices, "
                                     "breakpoint, watchpoint, trace, call-path profile)")
    d.add_argument("--repeats", type=int, default=3, help="runs per configuration (median reported)")
    d.add_argument("--iterations", type=int, default=300,
                   help="compute workload iterations (300 = about 8.7 M instructions)")
    d.set_defaults(_bench=bench_debug)


def run(args: argparse.Namespace) -> int:
    bench: Callable[[argparse.Namespace], int] = args._bench
    return bench(args)


def bench_sim(args: argparse.Namespace) -> int:
    from m7amp.sim import Simulator, build_workload
    from m7amp.sim._cost import make_cycle_model

    if args.repeats < 1 or args.iterations < 1:
        raise M7Error("--repeats and --iterations must be at least 1")
    with tempfile.TemporaryDirectory() as tmp:
        if args.firmware is not None:
            elf, workload = args.firmware, args.firmware.name
        else:
            elf = build_workload(["compute.c"], Path(tmp), defines={"ITERATIONS": str(args.iterations)})
            workload = f"compute.c x{args.iterations} (biquads, q15 dot, CRC)"
        rows = []
        for cycle_model in (True, False):
            mips, seconds, result = [], [], None
            for _ in range(args.repeats):
                sim = Simulator(elf, cycle_model=cycle_model)
                result = sim.run(max_cycles=50_000_000_000)
                if result.stop_reason != "exit":
                    raise M7Error(
                        f"benchmark workload stopped with {result.stop_reason}: {result.fault or ''}")
                mips.append(result.mips)
                seconds.append(result.host_seconds)
            assert result is not None
            model = make_cycle_model(cycle_model)
            name = "on (Cortex-M7 model)" if type(model).__name__ == "CycleModel" else "off (1 cycle/insn)"
            rows.append((name, result.instructions, result.cycles,
                         statistics.median(seconds), statistics.median(mips), min(mips), max(mips)))
    print(f"workload: {workload}; median of {args.repeats} runs; "
          "MIPS = simulated instructions per host second")
    print(f"{'cycle model':22s} {'instructions':>13s} {'cycles':>13s} {'host s':>8s} {'MIPS':>7s} "
          f"{'min':>7s} {'max':>7s}")
    for name, insns, cycles, sec, med, lo, hi in rows:
        print(f"{name:22s} {insns:13d} {cycles:13d} {sec:8.3f} {med:7.1f} {lo:7.1f} {hi:7.1f}")
    return 0


def bench_debug(args: argparse.Namespace) -> int:
    from m7amp.sim import build_workload
    from m7amp.sim.debug_bench import format_table, measure

    if args.repeats < 1 or args.iterations < 1:
        raise M7Error("--repeats and --iterations must be at least 1")
    with tempfile.TemporaryDirectory() as tmp:
        elf = build_workload(["compute.c"], Path(tmp), defines={"ITERATIONS": str(args.iterations)})
        print(f"workload: compute.c x{args.iterations}; median of {args.repeats} runs; cycle model on")
        print(format_table(measure(elf, args.repeats)))
    return 0


def bench_train(args: argparse.Namespace) -> int:
    from m7amp.training.bench import PRESETS, bench_throughput, format_table

    if args.seconds <= 0:
        raise M7Error("--seconds must be positive")
    print(format_table(bench_throughput(args.presets or list(PRESETS), args.seconds, args.batch_size)))
    return 0


# ---- m7amp bench engine ----
CORE_HZ = 216_000_000
DEFAULT_PACKAGE = Path(__file__).resolve().parents[1] / "training" / "default"
JSON_KEYS = ("engine", "preset", "precision", "macs_per_sample", "cycles_per_sample", "cycles_per_mac",
             "load_48k", "flash_bytes", "ram_bytes")
_BENCH_LINE = re.compile(r"^M7AMP BENCH (model=.*)$", re.MULTILINE)


def find_packages(extra: list[Path]) -> dict[str, Path]:
    """Model name -> package folder: the committed default package, then each ``--package`` DIR."""
    found: dict[str, Path] = {}
    for pkg in [DEFAULT_PACKAGE, *extra]:
        meta = Path(pkg) / "metadata.json"
        if not meta.is_file():
            raise M7Error(f"{pkg} is not an exported model package (no metadata.json)")
        found[json.loads(meta.read_text())["name"]] = Path(pkg)
    return found


def parse_bench_line(uart: str) -> dict[str, str]:
    """The ``key=value`` fields of the bench firmware's result line; M7Error unless it passed."""
    match = _BENCH_LINE.search(uart)
    if match is None or "M7AMP BENCH PASS" not in uart:
        tail = " | ".join(uart.strip().splitlines()[-3:])
        raise M7Error(f"bench firmware did not pass: {tail or 'no output'}")
    return dict(item.split("=", 1) for item in match.group(1).split())


def bench_engine_row(package: Path, precision: str, block: int = 32, blocks: int = 64) -> dict:
    """Build and run the bench firmware for one package and precision; return its table row."""
    from m7amp.firmware import build_bench, elf_size
    from m7amp.sim import Simulator

    meta = json.loads((package / "metadata.json").read_text())
    name, macs = meta["name"], int(meta["macs_per_sample"])
    elf = build_bench(package / "c", name, precision, block=block, blocks=blocks)
    result = Simulator(elf).run(max_cycles=50_000_000_000)
    if result.stop_reason != "exit" or result.status != 0:
        fault = f" ({result.fault})" if result.fault else ""
        raise M7Error(f"bench {name} {precision} stopped with {result.stop_reason}, status {result.status}"
                      f"{fault}: {result.uart.strip().splitlines()[-1:] or 'no output'}")
    fields = parse_bench_line(result.uart)
    cycles = int(fields["cycles_total"]) / (int(fields["blocks"]) * int(fields["block"]))
    size = elf_size(elf)
    return {
        "engine": "cmsis", "preset": name, "precision": precision, "macs_per_sample": macs,
        "cycles_per_sample": round(cycles, 1), "cycles_per_mac": round(cycles / macs, 3) if macs else None,
        "load_44k1": round(cycles / (CORE_HZ / 44_100), 4), "load_48k": round(cycles / (CORE_HZ / 48_000), 4),
        "flash_bytes": size["text"] + size["data"], "ram_bytes": size["data"] + size["bss"],
        "cycles_min": int(fields["cycles_min"]), "cycles_max": int(fields["cycles_max"]),
        "checksum": fields["checksum"],
    }


def format_engine_table(rows: list[dict]) -> str:
    """The human-readable table of :func:`bench_engine_row` rows."""
    lines = [f"{'engine':7s} {'preset':8s} {'prec':4s} {'MACs/smp':>8s} {'cyc/smp':>9s} {'cyc/MAC':>8s} "
             f"{'load44.1k':>9s} {'load48k':>8s} {'flash B':>8s} {'RAM B':>7s}"]
    for r in rows:
        lines.append(f"{r['engine']:7s} {r['preset']:8s} {r['precision']:4s} {r['macs_per_sample']:8d} "
                     f"{r['cycles_per_sample']:9.1f} {r['cycles_per_mac']:8.2f} {r['load_44k1']:9.1%} "
                     f"{r['load_48k']:8.1%} {r['flash_bytes']:8d} {r['ram_bytes']:7d}")
    return "\n".join(lines)


def bench_engine(args: argparse.Namespace) -> int:
    precisions = [p.strip() for p in args.precision.split(",") if p.strip()]
    for p in precisions:
        if p not in ("f32", "q15"):
            raise M7Error(f"--precision: unknown {p!r} (f32, q15)")
    packages = find_packages(args.package)
    presets = [p.strip() for p in args.preset.split(",") if p.strip()]
    missing = [p for p in presets if p not in packages]
    if missing:
        raise M7Error(f"no package for preset {', '.join(missing)} (found: {', '.join(packages)}); "
                      "other presets need an exported package: --package DIR")
    if args.block < 1 or args.blocks < 1:
        raise M7Error("--block and --blocks must be at least 1")
    rows = [bench_engine_row(packages[p], prec, args.block, args.blocks)
            for p in presets for prec in precisions]
    if args.json:
        print(json.dumps([{k: r[k] for k in JSON_KEYS} for r in rows], indent=2))
    else:
        print(f"bench firmware in the simulator: {args.blocks} blocks of {args.block} samples, "
              f"{CORE_HZ // 1_000_000} MHz; RAM = data + bss (incl. the 16 KB stack)")
        print(format_engine_table(rows))
    return 0
