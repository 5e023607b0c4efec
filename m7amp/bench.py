"""``m7amp bench``: performance measurements printed as tables (never timed tests).

Subcommands:
  sim      simulated MIPS of the in-process simulator on a fixed workload, with and without the
           Cortex-M7 cycle model (median of several repeats).
  train    training throughput (loss samples per second) per model preset on this CPU.
  (engine  cycles per sample of the inference engines: added with the engines.)
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from collections.abc import Callable
from pathlib import Path

from m7amp.errors import M7Error

HELP = "performance benchmarks printed as tables (sim: simulator MIPS; train: training throughput)"


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
    # future: sub.add_parser("engine", ...) with set_defaults(_bench=bench_engine)


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


def bench_train(args: argparse.Namespace) -> int:
    from m7amp.training.bench import PRESETS, bench_throughput, format_table

    if args.seconds <= 0:
        raise M7Error("--seconds must be positive")
    print(format_table(bench_throughput(args.presets or list(PRESETS), args.seconds, args.batch_size)))
    return 0
