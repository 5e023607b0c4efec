"""What the debugging aids cost in simulated MIPS (``m7amp bench debug``): each configuration runs the
same ELF to its exit and must give the same cycle count as the plain run (the aids change no timing)."""

from __future__ import annotations

import io
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from m7amp.errors import M7Error
from m7amp.sim._simulator import RunResult, Simulator
from m7amp.sim.gdb import CHUNK_CYCLES

MAX_CYCLES = 50_000_000_000


def _plain(sim: Simulator) -> RunResult:
    return sim.run(max_cycles=MAX_CYCLES)


def _sliced(sim: Simulator) -> RunResult:
    """As the gdb server runs `continue`: slices of CHUNK_CYCLES (plus its socket poll, not measured)."""
    while (result := sim.run(max_cycles=CHUNK_CYCLES)).stop_reason == "max-cycles":
        pass
    return result


def _unused_ram(sim: Simulator) -> int:
    return sim.symbol("_ebss") + 64  # RAM the workload never touches


def _breakpoint(sim: Simulator) -> RunResult:
    sim.add_breakpoint(sim.symbol("Default_Handler"))  # never executed
    return _plain(sim)


def _watch(kind: str) -> Callable[[Simulator], RunResult]:
    def run(sim: Simulator) -> RunResult:
        sim.add_watchpoint(_unused_ram(sim), 4, kind)
        return _plain(sim)
    return run


def _trace(sim: Simulator) -> RunResult:
    from m7amp.sim.trace import Tracer

    Tracer(sim, io.StringIO())
    return _plain(sim)


def _profile(sim: Simulator) -> RunResult:
    from m7amp.sim.profile import CallProfiler

    CallProfiler(sim)
    return _plain(sim)


CONFIGS: list[tuple[str, Callable[[Simulator], RunResult]]] = [
    ("plain run", _plain), (f"gdb slices ({CHUNK_CYCLES} cycles)", _sliced),
    ("1 breakpoint (not hit)", _breakpoint), ("1 write watchpoint", _watch("watch")),
    ("1 access watchpoint", _watch("awatch")), ("--trace (peripherals)", _trace),
    ("--profile-out (call paths)", _profile)]


def measure(elf: Path, repeats: int) -> list[tuple[str, int, float, float]]:
    """(configuration, cycles, median MIPS, MIPS relative to the plain run) per configuration."""
    rows: list[tuple[str, int, float, float]] = []
    for name, run in CONFIGS:
        mips, cycles = [], 0
        for _ in range(repeats):
            sim = Simulator(elf)
            t0 = time.process_time()  # CPU time: less sensitive than wall time to the shared machine
            result = run(sim)
            seconds = time.process_time() - t0
            if result.stop_reason != "exit":
                raise M7Error(f"{name}: the workload stopped with {result.stop_reason}")
            mips.append(result.instructions / seconds / 1e6)
            cycles = result.cycles
        rows.append((name, cycles, statistics.median(mips), 0.0))
    base = rows[0][2]
    return [(n, c, m, m / base) for n, c, m, _ in rows]


def format_table(rows: list[tuple[str, int, float, float]]) -> str:
    lines = [f"{'configuration':32s} {'cycles':>12s} {'MIPS':>8s} {'vs plain':>9s}  (MIPS per CPU second)"]
    lines += [f"{n:32s} {c:12d} {m:8.1f} {r:9.2f}" for n, c, m, r in rows]
    return "\n".join(lines)
