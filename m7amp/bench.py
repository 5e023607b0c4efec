"""``m7amp bench``: performance measurements printed as tables (never timed tests).

Subcommands:
  sim      simulated MIPS of the in-process simulator on a fixed workload, with and without the
           Cortex-M7 cycle model (median of several repeats).
  train    training throughput (loss samples per second) per model preset on this CPU.
  renode   the audio ELF on the simulator and in Renode side by side (m7amp/bench_renode.py).
  engine   cycles per sample of the hand-written engine (firmware/app/bench) in the simulator, per
           model package and precision, with MACs, load and flash/RAM.
  ir       cycles per sample of the cabinet IR stage (firmware/engines/cab) per IR length, block and
           method (partitioned FFT, direct FIR), in the bench firmware in the simulator.
  fidelity simulated vs published Cortex-M7 cycles on calibration workloads (m7amp/sim/fidelity.py).

This module holds their bodies and rows; the parser is m7amp/commands/bench.py.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import statistics
import sys
import tempfile
from collections.abc import Callable, Iterable, MutableMapping
from pathlib import Path
from typing import TYPE_CHECKING

from m7amp.errors import M7Error
from m7amp.firmware import REPO
from m7amp.playback import CORE_HZ

if TYPE_CHECKING:
    from m7amp.cab import Cabinet


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
        # the memory model (fetch and D-cache stalls) rides on the cycle model: three configurations
        for cycle_model, memory_model in ((True, True), (True, False), (False, False)):
            mips, seconds, result = [], [], None
            for _ in range(args.repeats):
                sim = Simulator(elf, cycle_model=cycle_model, memory_model=memory_model)
                result = sim.run(max_cycles=50_000_000_000)
                if result.stop_reason != "exit":
                    raise M7Error(
                        f"benchmark workload stopped with {result.stop_reason}: {result.fault or ''}")
                mips.append(result.mips)
                seconds.append(result.host_seconds)
            assert result is not None
            model = make_cycle_model(cycle_model)
            name = "off (1 cycle/insn)"
            if type(model).__name__ == "CycleModel":
                name = "M7 + memory model" if memory_model else "M7, no memory model"
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


def bench_fidelity(args: argparse.Namespace) -> int:
    from m7amp.sim.fidelity import format_table, measure

    with tempfile.TemporaryDirectory() as tmp:
        rows = measure(Path(tmp), args.coremark, args.dhrystone, progress=_progress,
                       memory_model=args.memory_model)
    print(format_table(rows))
    return 0


def bench_train(args: argparse.Namespace) -> int:
    from m7amp.training.bench import PRESETS, bench_throughput, format_table

    if args.seconds <= 0:
        raise M7Error("--seconds must be positive")
    print(format_table(bench_throughput(args.presets or list(PRESETS), args.seconds, args.batch_size)))
    return 0


# ---- m7amp bench engine ----
# The RNN sizes of `--rnn` (and of `m7amp fit`): one LSTM or GRU layer of N hidden units (lstm<N>/gru<N>).
RNN_PRESETS = tuple(f"{cell}{h}" for cell in ("lstm", "gru") for h in (8, 12, 16, 24, 32))
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


def files_digest(paths: Iterable[Path], extra: str = "") -> str:
    """SHA-256 over ``extra`` and the names and bytes of ``paths`` (folders: every file below them)."""
    h = hashlib.sha256(extra.encode())
    files = sorted(f for p in paths for f in ([p] if p.is_file() else p.rglob("*")) if f.is_file())
    for f in files:
        h.update(str(f.relative_to(REPO) if f.is_relative_to(REPO) else f).encode() + b"\0" + f.read_bytes())
    return h.hexdigest()


def elf_measure_key(elf: Path) -> str:
    """What a bench row's figures depend on: the ELF and the code that runs and reads it (simulator and
    cycle model, this module, the memory report). Same key, same figures: the simulator is deterministic."""
    return "elf:" + files_digest([elf, REPO / "m7amp" / "sim", Path(__file__), REPO / "m7amp" / "memory.py"])


def bench_engine_row(package: Path, precision: str, block: int = 32, blocks: int = 64,
                     engine: str = "cmsis", preset: str | None = None, cab: Cabinet | None = None,
                     cache: MutableMapping[str, dict] | None = None) -> dict:
    """Build and run one engine's bench firmware for one package and precision; return its row. A model
    that does not fit in memory gives a row with ``error`` (the reason) and None for the figures.
    ``cab``: a cabinet IR timed after the engine (cmsis engine): the row gains ``ir_cycles_per_sample``
    and ``total_cycles_per_sample``. ``cache``: figures by :func:`elf_measure_key`, read before running
    and filled after."""
    from m7amp.memory import DoesNotFitError, memory_report
    from m7amp.sim import Simulator
    from m7amp.tflm import NoStreamModelError

    if engine not in ENGINES:
        raise M7Error(f"unknown engine {engine!r} (available: {', '.join(ENGINES)})")
    meta = json.loads((package / "metadata.json").read_text())
    name, macs = meta["name"], int(meta["macs_per_sample"])
    row: dict = {"engine": engine, "preset": preset or name, "precision": precision, "macs_per_sample": macs}
    try:
        if cab is not None:
            elf = _build_cab_bench(package, name, precision, block, blocks, cab, engine)
        else:
            elf = ENGINES[engine](package, name, precision, block, blocks)
    except (DoesNotFitError, NoStreamModelError) as err:
        return row | dict.fromkeys(JSON_KEYS[4:]) | {"error": str(err)}
    key = elf_measure_key(elf) if cache is not None else ""
    if cache is not None and key in cache:
        return row | cache[key]
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
    measured: dict = {}
    if cab is not None:
        ir = parse_cab_line(result.uart)
        ir_cycles = int(ir["cycles_total"]) / samples
        measured |= {"ir_taps": int(ir["taps"]), "ir_method": ir["method"],
                     "ir_cycles_per_sample": round(ir_cycles, 1),
                     "total_cycles_per_sample": round(cycles + ir_cycles, 1),
                     "total_load_48k": round((cycles + ir_cycles) / (CORE_HZ / 48_000), 4)}
    measured |= {
        "cycles_per_sample": round(cycles, 1), "cycles_per_mac": round(cycles / macs, 3) if macs else None,
        "load_48k": round(cycles / (CORE_HZ / 48_000), 4), "flash_bytes": mem.flash_bytes,
        "ram_bytes": mem.ram_bytes, "load_44k1": round(cycles / (CORE_HZ / 44_100), 4),
        "cycles_min": int(fields["cycles_min"]), "cycles_max": int(fields["cycles_max"]),
        "checksum": fields["checksum"], "weights_bytes": mem.weights, "state_bytes": mem.state,
        "scratch_bytes": mem.scratch, "engine_ram": fields.get("ram"),
        **breakdown(sim.profile(top=1 << 30), cycles, samples),
    }
    if cache is not None:
        cache[key] = measured
    return row | measured


def _build_cab_bench(package: Path, name: str, precision: str, block: int, blocks: int, cab: Cabinet,
                     engine: str) -> Path:
    """The bench ELF with a cabinet IR after the engine (its own build folder per model and precision)."""
    from m7amp.cab import write_sources
    from m7amp.firmware import build_bench

    if engine != "cmsis":
        raise M7Error(f"--ir: the cabinet IR is benchmarked with the cmsis engine, not {engine}")
    bdir = REPO / "build" / "bench-cab" / f"{name}_{precision}"
    return build_bench(package / "c", name, precision, block=block, blocks=blocks, build_dir=bdir,
                       cab_dir=write_sources(cab, bdir / "cab"))


def parse_cab_line(uart: str) -> dict[str, str]:
    """The ``key=value`` fields of the bench firmware's ``M7AMP BENCH CAB`` line; M7Error without one."""
    match = re.search(r"^M7AMP BENCH CAB (.*)$", uart, re.MULTILINE)
    if match is None:
        raise M7Error("bench firmware printed no M7AMP BENCH CAB line (built without the IR?)")
    return dict(item.split("=", 1) for item in match.group(1).split())


def realtime_note(row: dict) -> str:
    """"" when the row's engine keeps up at 48 kHz, else a note of the rates it cannot run at (a load
    of 100 % or more of the core leaves no cycle for the audio driver)."""
    slow = [rate for rate, key in (("44.1", "load_44k1"), ("48", "load_48k")) if row[key] >= 1.0]
    return f"  does not fit in real time at {' or '.join(slow)} kHz" if slow else ""


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
    with_ir = any("ir_cycles_per_sample" in r for r in rows)
    if with_ir:
        head += f"  {'IR':>11s} {'IR cyc/smp':>10s} {'total':>9s} {'load48k':>8s}"
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
        if with_ir:
            line += (f"  {str(r['ir_taps']) + ' ' + r['ir_method']:>11s} {r['ir_cycles_per_sample']:10.1f} "
                     f"{r['total_cycles_per_sample']:9.1f} {r['total_load_48k']:8.1%}")
        if ratios:
            ratio = r.get("vs_cmsis")
            line += f" {'' if ratio is None else f'{ratio:.2f}x':>7s}"
        if with_breakdown:
            line += "  " + " ".join(f"{r[f'cycles_{k}']:8.1f}" for k in (*KINDS, "other"))
        lines.append(line + realtime_note(r))
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
    given = read_packages(args.package)
    default = ",".join(given) if given else "nano"  # --package alone: bench those packages
    presets = split_list(args.preset or default, "--preset") if args.preset or not args.rnn else []
    presets += [p for p in RNN_PRESETS if args.rnn and p not in presets]
    if args.block < 1 or args.blocks < 1:
        raise M7Error("--block and --blocks must be at least 1")
    cab = None
    if args.ir is not None:
        from m7amp.cab import prepare

        cab = prepare(args.ir, 48_000, args.block, length=args.ir_length,
                      notice=lambda line: _progress(f"note: {line}"))
    elif args.ir_length is not None:
        raise M7Error("--ir-length needs --ir")
    packages = {p: given[p] if p in given else preset_package(p, _progress, stream_tflite="tflm" in engines)
                for p in presets}
    rows = []
    for preset in presets:
        for precision in precisions:
            for engine in engines:
                _progress(f"bench: {engine} {preset} {precision}: build and run in the simulator")
                pkg = packages[preset]
                rows.append(bench_engine_row(pkg, precision, args.block, args.blocks, engine, preset, cab))
    if "cmsis" in engines and len(engines) > 1:
        add_cmsis_ratios(rows)
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print(f"bench firmware in the simulator: {args.blocks} blocks of {args.block} samples, "
              f"{CORE_HZ // 1_000_000} MHz; flash and RAM in bytes used by the whole ELF "
              "(RAM = DTCM + SRAM1 + SRAM2, incl. the 16 KB stack)")
        print(format_engine_table(rows, args.breakdown))
        if cab is not None:
            print(f"IR: {cab.source}, {len(cab.taps)} taps at 48 kHz ({cab.method}), timed alone after the "
                  "engine; total = engine + IR")
        if args.breakdown:
            print("breakdown: cycles/sample by the layer kind in the function's name (simulator profile); "
                  "other = the rest of the timed cycles")
    return 0


# ---- m7amp bench placement ----
PLACEMENTS = {"tcm": "ITCM kernels, DTCM state+scratch", "flash": "flash kernels, SRAM1 state+scratch"}


def bench_placement_rows(package: Path, precisions: list[str], block: int, blocks: int) -> list[dict]:
    """Cycles/sample of the hand-written engine's bench firmware per precision and placement, with the
    memory model on and off."""
    from m7amp.firmware import build_bench
    from m7amp.sim import Simulator

    if not (package / "metadata.json").is_file():
        raise M7Error(f"{package}: not an exported model package (no metadata.json)")
    meta = json.loads((package / "metadata.json").read_text())
    rows = []
    for precision in precisions:
        for placement in PLACEMENTS:
            elf = build_bench(package / "c", meta["name"], precision, block=block, blocks=blocks,
                              placement=placement)
            row: dict = {"preset": meta["name"], "precision": precision, "placement": placement}
            for memory_model in (True, False):
                result = Simulator(elf, memory_model=memory_model).run(max_cycles=50_000_000_000)
                if result.stop_reason != "exit" or result.status != 0:
                    raise M7Error(f"bench {meta['name']} {precision} ({placement}) stopped with "
                                  f"{result.stop_reason}, status {result.status}")
                fields = parse_bench_line(result.uart)
                cycles = int(fields["cycles_total"]) / (int(fields["blocks"]) * int(fields["block"]))
                row["memory_on" if memory_model else "memory_off"] = round(cycles, 1)
                row["engine_ram"] = fields.get("ram")
            rows.append(row)
    return rows


def format_placement_table(rows: list[dict]) -> str:
    lines = [f"{'preset':8s} {'prec':4s} {'placement':6s} {'where':36s} {'memory model on':>15s} "
             f"{'off':>8s}"]
    tcm: dict[tuple[str, str], dict] = {}
    for r in rows:
        where = PLACEMENTS[r["placement"]]
        lines.append(f"{r['preset']:8s} {r['precision']:4s} {r['placement']:6s} {where:36s} "
                     f"{r['memory_on']:15.1f} {r['memory_off']:8.1f}")
        key = (r["preset"], r["precision"])
        if r["placement"] == "tcm":
            tcm[key] = r
        elif key in tcm:
            t = tcm[key]
            lines.append(f"{r['preset']:8s} {r['precision']:4s} {'ratio':6s} {r['placement'] + ' / tcm':36s} "
                         f"{r['memory_on'] / t['memory_on']:15.3f} {r['memory_off'] / t['memory_off']:8.3f}")
    lines.append("cycles/sample of the bench firmware (DWT CYCCNT); memory model off = every access hits "
                 "(Renode's semantics)")
    return "\n".join(lines)


def bench_placement(args: argparse.Namespace) -> int:
    from m7amp.preset_package import preset_package

    precisions = split_list(args.precision, "--precision", ("f32", "q15"))
    if args.block < 1 or args.blocks < 1:
        raise M7Error("--block and --blocks must be at least 1")
    package = args.package or preset_package(args.preset, _progress)
    rows = bench_placement_rows(package, precisions, args.block, args.blocks)
    print(f"bench firmware in the simulator: {args.blocks} blocks of {args.block} samples, "
          f"{CORE_HZ // 1_000_000} MHz, caches and ART on as the board code sets them")
    print(format_placement_table(rows))
    return 0


# ---- m7amp bench ir ----
def bench_ir_row(taps: int, block: int, method: str, blocks: int = 16, rate: int = 48_000) -> dict:
    """Build the bench firmware (nano f32, the committed package) with a synthetic IR of ``taps`` convolved
    by ``method`` after the engine, run it in the simulator, return the stage's own cycles per sample."""
    from m7amp.cab import Cabinet, choose_method, synthetic_ir, write_sources
    from m7amp.firmware import build_bench
    from m7amp.package import load_package
    from m7amp.sim import Simulator

    choose_method(taps, block, method)  # refuses fft at a block it cannot take
    pkg = load_package(None)
    bdir = REPO / "build" / "bench-ir" / f"{pkg.name}_f32"
    cab = Cabinet(taps=synthetic_ir(rate, taps=taps), rate=rate, method=method, source=f"synthetic {taps}")
    elf = build_bench(pkg.c_dir, pkg.name, "f32", block=block, blocks=blocks, build_dir=bdir,
                      cab_dir=write_sources(cab, bdir / "cab"))
    result = Simulator(elf).run(max_cycles=50_000_000_000)
    if result.stop_reason != "exit" or result.status != 0:
        raise M7Error(f"bench ir {taps} taps {method} block {block} stopped with {result.stop_reason}: "
                      f"{result.uart.strip().splitlines()[-1:] or 'no output'}")
    fields = parse_cab_line(result.uart)
    cycles = int(fields["cycles_total"]) / (blocks * block)
    return {"taps": taps, "block": block, "method": fields["method"], "cycles_per_sample": round(cycles, 1),
            "cycles_per_block_max": int(fields["cycles_max"]), "load": round(cycles / (CORE_HZ / rate), 4),
            "rate": rate, "ram": fields["ram"]}


def format_ir_table(rows: list[dict]) -> str:
    """The table of :func:`bench_ir_row` rows; '*' marks the faster method of each length and block."""
    best: dict[tuple[int, int], float] = {}
    for r in rows:
        key = (r["taps"], r["block"])
        best[key] = min(best.get(key, float("inf")), r["cycles_per_sample"])
    rate = rows[0]["rate"] if rows else 48_000
    lines = [f"{'block':>5s} {'taps':>5s} {'method':6s} {'cyc/smp':>9s} {'max cyc/blk':>11s} "
             f"{'load' + str(rate // 1000) + 'k':>8s} {'ram':5s}"]
    methods: dict[tuple[int, int], set[str]] = {}
    for r in rows:
        methods.setdefault((r["taps"], r["block"]), set()).add(r["method"])
    for r in rows:
        key = (r["taps"], r["block"])
        mark = "*" if len(methods[key]) > 1 and r["cycles_per_sample"] == best[key] else " "
        lines.append(f"{r['block']:5d} {r['taps']:5d} {r['method']:6s} {r['cycles_per_sample']:9.1f}{mark}"
                     f"{r['cycles_per_block_max']:11d} {r['load']:8.1%} {r['ram']:5s}")
    return "\n".join(lines)


def bench_ir(args: argparse.Namespace) -> int:
    lengths = [int(v) for v in split_list(args.length, "--length")]
    blocks = [int(v) for v in split_list(args.block, "--block")]
    methods = split_list(args.method, "--method", ("fft", "fir"))
    if args.blocks < 1 or any(v < 1 for v in lengths + blocks):
        raise M7Error("--length, --block and --blocks must be at least 1")
    rows = []
    for block in blocks:
        for taps in lengths:
            for method in methods:
                _progress(f"bench ir: {taps} taps, block {block}, {method}: build and run in the simulator")
                rows.append(bench_ir_row(taps, block, method, args.blocks, args.rate))
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print(f"cabinet IR stage alone (bench firmware after the nano f32 engine, synthetic IR), simulator, "
              f"{args.blocks} blocks per row, {CORE_HZ // 1_000_000} MHz; * = the faster method")
        print(format_ir_table(rows))
    return 0
