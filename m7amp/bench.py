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
import os
import re
import statistics
import sys
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

from m7amp.errors import M7Error
from m7amp.playback import CORE_HZ

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
    e = sub.add_parser("engine", help="engine cycles/sample, cycles/MAC, CPU load, flash and RAM per preset, "
                                      "precision and engine (bench firmware in the simulator)")
    e.add_argument("--preset", default="nano",
                   help="comma-separated presets (nano, feather, lite, standard, ...; default nano = the "
                        "committed training/default). A preset without a package gets one exported on "
                        "demand (fresh Keras init, seed 0) into build/packages/<preset>; a --package "
                        "of that name takes precedence")
    e.add_argument("--package", type=Path, action="append", default=[], metavar="DIR",
                   help="an exported model package (folder with metadata.json and c/), benchmarked under "
                        "its model name; repeatable")
    e.add_argument("--precision", default="f32,q15", help="comma-separated: f32, q15 (default both)")
    e.add_argument("--engine", default="cmsis",
                   help=f"comma-separated engines (available: {', '.join(ENGINES)}; default cmsis)")
    e.add_argument("--tflm-dir", type=Path, default=None, metavar="DIR",
                   help="for --engine tflm: a TFLM tree made by TFLM's create_tflm_tree.py "
                        "(default: $M7AMP_TFLM_DIR; docs/tflm.md)")
    e.add_argument("--block", type=int, default=32, help="samples per process() call (default 32)")
    e.add_argument("--blocks", type=int, default=64, help="timed blocks (default 64)")
    e.add_argument("--breakdown", action="store_true",
                   help="also print cycles/sample per layer kind (conv, 1x1, act, mix, other) from the "
                        "simulator's profile")
    e.add_argument("--json", action="store_true",
                   help="print the rows as a JSON list (breakdown and memory details as extra keys)")
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
JSON_KEYS = ("engine", "preset", "precision", "macs_per_sample", "cycles_per_sample", "cycles_per_mac",
             "load_48k", "flash_bytes", "ram_bytes")
# Layer kinds of the breakdown, matched against the words of a function name (split at "_"): the
# engine keeps each kind in its own non-inlined functions named with these words. "1x1" may sit inside a
# word (conv1x1 is 1x1 work); the others must start one (so "exact" is not an activation). First wins.
KINDS = ("1x1", "conv", "act", "mix")
# libm functions count as activation work: the engine calls libm only to compute activations
# (m7_act_f32.c, m7_kernels_q15.c). Compiler helpers (__aeabi_*) stay "other": they serve any code.
_LIBM_ACT = {f"{name}{suffix}" for name in ("tanh", "exp", "expm1", "ldexp", "scalbn", "finite", "fabs")
             for suffix in ("", "f")}
_BENCH_LINE = re.compile(r"^M7AMP BENCH (model=.*)$", re.MULTILINE)


def build_cmsis_bench(package: Path, name: str, precision: str, block: int, blocks: int) -> Path:
    """The hand-written engine's bench ELF (firmware/app/bench)."""
    from m7amp.firmware import build_bench

    return build_bench(package / "c", name, precision, block=block, blocks=blocks)


def build_tflm_bench(package: Path, name: str, precision: str, block: int, blocks: int) -> Path:
    """The TensorFlow Lite Micro engine's bench ELF (m7amp/tflm.py; q15 runs the int8 streaming model)."""
    from m7amp.tflm import build_tflm_bench as build

    return build(package, name, precision, block, blocks)


# engine name -> builder of its bench ELF. Each ELF prints the `M7AMP BENCH model=...` line of
# firmware/app/bench and names its buffers engine_state / engine_scratch (m7amp/memory.py).
ENGINES: dict[str, Callable[[Path, str, str, int, int], Path]] = {
    "cmsis": build_cmsis_bench, "tflm": build_tflm_bench}


def split_list(text: str, option: str, allowed: Iterable[str] | None = None) -> list[str]:
    """``"a, b"`` -> ``["a", "b"]``; M7Error on an empty list or a value outside ``allowed``."""
    items = [t.strip() for t in text.split(",") if t.strip()]
    if not items:
        raise M7Error(f"{option}: give at least one value")
    if allowed is not None:
        allowed = list(allowed)
        for item in items:
            if item not in allowed:
                raise M7Error(f"{option}: unknown {item!r} (available: {', '.join(allowed)})")
    return items


def read_packages(dirs: list[Path]) -> dict[str, Path]:
    """Model name -> package folder of each ``--package`` DIR."""
    found: dict[str, Path] = {}
    for pkg in dirs:
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


def kind_of(function: str) -> str:
    """The layer kind of a function name (see KINDS), else "other"."""
    if function in _LIBM_ACT:
        return "act"
    words = function.lower().split("_")
    for kind in KINDS:
        if any((kind in w) if kind == "1x1" else w.startswith(kind) for w in words):
            return kind
    return "other"


def breakdown(profile: list[tuple[str, int, int, float]], cycles_per_sample: float, samples: int) -> dict:
    """Cycles per sample of each layer kind. The kinds' functions run only inside process(), so their
    whole-run profile is their timed cost; "other" is the rest of the timed cycles (layer loops,
    buffer copies, call overhead)."""
    per = dict.fromkeys(KINDS, 0)
    for function, cycles, _, _ in profile:
        kind = kind_of(function)
        if kind != "other":
            per[kind] += cycles
    out = {f"cycles_{k}": round(per[k] / samples, 1) for k in KINDS}
    out["cycles_other"] = round(cycles_per_sample - sum(per.values()) / samples, 1)
    return out


def bench_engine_row(package: Path, precision: str, block: int = 32, blocks: int = 64,
                     engine: str = "cmsis", preset: str | None = None) -> dict:
    """Build and run one engine's bench firmware for one package and precision; return its row. A model
    that does not fit in memory gives a row with ``error`` (the reason) and None for the figures."""
    from m7amp.memory import DoesNotFitError, memory_report
    from m7amp.sim import Simulator
    from m7amp.tflm import NoStreamModelError

    if engine not in ENGINES:
        raise M7Error(f"unknown engine {engine!r} (available: {', '.join(ENGINES)})")
    meta = json.loads((package / "metadata.json").read_text())
    name, macs = meta["name"], int(meta["macs_per_sample"])
    row: dict = {"engine": engine, "preset": preset or name, "precision": precision, "macs_per_sample": macs}
    try:
        elf = ENGINES[engine](package, name, precision, block, blocks)
    except (DoesNotFitError, NoStreamModelError) as err:
        return row | dict.fromkeys(JSON_KEYS[4:]) | {"error": str(err)}
    sim = Simulator(elf)
    result = sim.run(max_cycles=50_000_000_000)
    if result.stop_reason != "exit" or result.status != 0:
        fault = f" ({result.fault})" if result.fault else ""
        raise M7Error(f"bench {name} {precision} stopped with {result.stop_reason}, status {result.status}"
                      f"{fault}: {result.uart.strip().splitlines()[-1:] or 'no output'}")
    fields = parse_bench_line(result.uart)
    samples = int(fields["blocks"]) * int(fields["block"])
    cycles = int(fields["cycles_total"]) / samples
    mem = memory_report(elf)
    return row | {
        "cycles_per_sample": round(cycles, 1), "cycles_per_mac": round(cycles / macs, 3) if macs else None,
        "load_48k": round(cycles / (CORE_HZ / 48_000), 4), "flash_bytes": mem.flash_bytes,
        "ram_bytes": mem.ram_bytes, "load_44k1": round(cycles / (CORE_HZ / 44_100), 4),
        "cycles_min": int(fields["cycles_min"]), "cycles_max": int(fields["cycles_max"]),
        "checksum": fields["checksum"], "weights_bytes": mem.weights, "state_bytes": mem.state,
        "scratch_bytes": mem.scratch, "engine_ram": fields.get("ram"),
        **breakdown(sim.profile(top=1 << 30), cycles, samples),
    }


def add_cmsis_ratios(rows: list[dict]) -> None:
    """Give each measured non-cmsis row ``vs_cmsis``: its cycles/sample over the cmsis row's of the same
    preset and precision, when that row is among ``rows`` (None otherwise)."""
    cmsis = {(r["preset"], r["precision"]): r.get("cycles_per_sample")
             for r in rows if r["engine"] == "cmsis"}
    for r in rows:
        if r["engine"] != "cmsis":
            base = cmsis.get((r["preset"], r["precision"]))
            mine = r.get("cycles_per_sample")
            r["vs_cmsis"] = round(mine / base, 2) if mine and base else None


def format_engine_table(rows: list[dict], with_breakdown: bool = False) -> str:
    """The human-readable table of :func:`bench_engine_row` rows (with an ``x cmsis`` column when
    :func:`add_cmsis_ratios` gave them ratios)."""
    ratios = any("vs_cmsis" in r for r in rows)
    head = (f"{'engine':7s} {'preset':9s} {'prec':4s} {'MACs/smp':>8s} {'cyc/smp':>9s} {'cyc/MAC':>8s} "
            f"{'load44.1k':>9s} {'load48k':>8s} {'flash':>8s} {'RAM':>7s}")
    if ratios:
        head += f" {'x cmsis':>7s}"
    if with_breakdown:
        head += "  " + " ".join(f"{k:>8s}" for k in (*KINDS, "other"))
    lines = [head]
    for r in rows:
        line = f"{r['engine']:7s} {r['preset']:9s} {r['precision']:4s} {r['macs_per_sample']:8d} "
        if r.get("error"):
            lines.append(line + ("" if "does not" in r["error"] else "not run: ") + r["error"])
            continue
        line += (f"{r['cycles_per_sample']:9.1f} {r['cycles_per_mac']:8.2f} {r['load_44k1']:9.1%} "
                 f"{r['load_48k']:8.1%} {r['flash_bytes']:8d} {r['ram_bytes']:7d}")
        if ratios:
            ratio = r.get("vs_cmsis")
            line += f" {'' if ratio is None else f'{ratio:.2f}x':>7s}"
        if with_breakdown:
            line += "  " + " ".join(f"{r[f'cycles_{k}']:8.1f}" for k in (*KINDS, "other"))
        lines.append(line)
    return "\n".join(lines)


def _progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def bench_engine(args: argparse.Namespace) -> int:
    from m7amp.preset_package import preset_package

    precisions = split_list(args.precision, "--precision", ("f32", "q15"))
    engines = split_list(args.engine, "--engine", ENGINES)
    if "tflm" in engines:  # check the tree before any build; the builder reads it from the environment
        from m7amp.tflm import ENV_VAR, tflm_dir

        os.environ[ENV_VAR] = str(tflm_dir(args.tflm_dir))
    presets = split_list(args.preset, "--preset")
    if args.block < 1 or args.blocks < 1:
        raise M7Error("--block and --blocks must be at least 1")
    given = read_packages(args.package)
    packages = {p: given[p] if p in given else preset_package(p, _progress, stream_tflite="tflm" in engines)
                for p in presets}
    rows = []
    for preset in presets:
        for precision in precisions:
            for engine in engines:
                _progress(f"bench: {engine} {preset} {precision}: build and run in the simulator")
                pkg = packages[preset]
                rows.append(bench_engine_row(pkg, precision, args.block, args.blocks, engine, preset))
    if "cmsis" in engines and len(engines) > 1:
        add_cmsis_ratios(rows)
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print(f"bench firmware in the simulator: {args.blocks} blocks of {args.block} samples, "
              f"{CORE_HZ // 1_000_000} MHz; flash and RAM in bytes used by the whole ELF "
              "(RAM = DTCM + SRAM1 + SRAM2, incl. the 16 KB stack)")
        print(format_engine_table(rows, args.breakdown))
        if args.breakdown:
            print("breakdown: cycles/sample by the layer kind in the function's name (simulator profile); "
                  "other = the rest of the timed cycles")
    return 0
