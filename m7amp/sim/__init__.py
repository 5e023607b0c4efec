"""The in-process STM32F767 simulator (unicorn CPU + register-level peripheral models).

    from m7amp.sim import Simulator
    sim = Simulator("build/fw/firmware/app/selftest/selftest.elf")
    result = sim.run(max_cycles=500_000_000)
    print(result.uart, result.status, result.cycles)

See docs/simulator.md (what is modelled) and m7amp/sim/ARCHITECTURE.md (how).
"""

from __future__ import annotations

from m7amp.sim._repl import DEFAULT_REPL, ReplEntry, ReplError, load_repl, parse_repl
from m7amp.sim._simulator import FaultReport, RunResult, Simulator
from m7amp.sim._workload import build_workload

__all__ = [
    "DEFAULT_REPL", "FaultReport", "ReplEntry", "ReplError", "RunResult", "Simulator", "build_workload",
    "load_repl", "parse_repl",
]
