"""`m7amp bench fidelity`: the cycle model against published Cortex-M7 silicon figures.

Each calibration workload runs in the simulator with the cycle model on and is timed by the program itself
with DWT CYCCNT, as on the real chip. The table in docs/cycle-model.md ("Fidelity") lists each workload
with its source; ``WORKLOADS`` below is the one place for the published figures.

Micro-workloads (``workload/fidelity.c``) are built from this repository. The whole programs are third-party
code that is never committed: CoreMark from a checkout of github:eembc/coremark (``M7AMP_COREMARK_DIR``)
and Dhrystone 2.1 from github:sifive/benchmark-dhrystone (``M7AMP_DHRYSTONE_DIR``); only their ports
(``workload/coremark``, ``workload/dhrystone``) are ours. A program whose directory is not given is
skipped with the reason.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from m7amp.errors import M7Error
from m7amp.sim._workload import WORKLOAD_DIR, build_workload

COREMARK_ENV, DHRYSTONE_ENV = "M7AMP_COREMARK_DIR", "M7AMP_DHRYSTONE_DIR"
COREMARK_FILES = ("core_list_join.c", "core_main.c", "core_matrix.c", "core_state.c", "core_util.c")
DHRYSTONE_FILES = ("dhry_2.c", "dhry_1.c")  # dhry_1.c last: it names the ELF
COREMARK_ITERATIONS, DHRYSTONE_RUNS = 10, 2000
# Closest GCC equivalent of the vendors' "best compiler, speed" CoreMark builds (see docs/cycle-model.md).
COREMARK_FLAGS = ["-O3", "-funroll-all-loops", "-finline-functions", "-finline-limit=1000"]
# Dhrystone ground rules (no inlining); strcpy/strcmp from newlib's Thumb-2 versions.
DHRYSTONE_FLAGS = ["-std=gnu99", "-w", "-fhosted", "-fno-builtin-printf", "-fno-inline", "-lc"]


@dataclass(frozen=True)
class Workload:
    """One calibration workload: the published cycles per ``unit`` and where the figure comes from."""

    name: str
    kind: str  # "micro", "program", or "memory" (a ratio of two runs, only with the memory model)
    unit: str
    published: float  # cycles per unit on real Cortex-M7 silicon
    source: str


WORKLOADS: tuple[Workload, ...] = (
    Workload("alu_pairs", "micro", "pair", 1.0, "ADD+ADD dual issue: LLVM ARMScheduleM7 IssueWidth 2"),
    Workload("alu_chain", "micro", "2 adds", 2.0, "dependent ADD, latency 1: LLVM ARMScheduleM7"),
    Workload("load_use", "micro", "pair", 2.0, "LDR then dependent ADD: LLVM LoadLatency 2"),
    Workload("mul_chain", "micro", "MUL", 2.0, "dependent MUL: 2 cycles, Arm white paper (Lorenser 2016)"),
    Workload("smlad_chain", "micro", "SMLAD", 1.0, "SMLAD accumulate chain: 1 cycle, Arm white paper"),
    Workload("fma_chain", "micro", "VFMA", 3.0, "dependent VFMA.F32: 3-cycle FP latency, DESIGN §4 / LLVM"),
    Workload("fma_independent", "micro", "4 VFMA", 4.0, "one f32 MAC per cycle, Arm white paper"),
    Workload("fp_add_chain", "micro", "VADD", 3.0, "dependent VADD.F32, latency 3: LLVM WriteFPALU32"),
    Workload("coremark", "program", "iteration", 1e6 / 5.01,
             "5.01 CoreMark/MHz: Arm Cortex-M7 figure; ST STM32F7 1082 CoreMark at 216 MHz"),
    Workload("dhrystone", "program", "run", 1e6 / (2.14 * 1757),
             "2.14 DMIPS/MHz: Arm Cortex-M7 figure; ST STM32F7 462 DMIPS at 216 MHz"),
    Workload("dhrystone_nocache", "memory", "off/on", 245 / 49,
             "flash, L1 caches off vs on: 49 vs 245 DMIPS, STM32F723 216 MHz (Stratify Labs, 2019)"),
    Workload("coremark_axi_itcm", "memory", "AXI/ITCM", 1.0,
             "flash via AXIM+L1 cache vs via ITCM+ART: 1082 CoreMark either way, AN4667 (ST, STM32F7)"),
)


@dataclass(frozen=True)
class Row:
    workload: Workload
    simulated: float | None  # cycles per unit, None when skipped
    note: str = ""

    @property
    def ratio(self) -> float | None:
        return None if self.simulated is None else self.simulated / self.workload.published


def _run(elf: Path, cycle_model: bool, memory_model: bool = True) -> str:
    from m7amp.sim import Simulator

    sim = Simulator(elf, cycle_model=cycle_model, memory_model=memory_model)
    result = sim.run(max_cycles=5_000_000_000)
    if result.stop_reason != "exit" or result.status != 0:
        raise M7Error(f"{elf.stem} stopped with {result.stop_reason} (status {result.status}): "
                      f"{result.fault or result.uart[-200:]}")
    return result.uart


def run_micro(out: Path, cycle_model: bool = True, memory_model: bool = True) -> dict[str, float]:
    """Cycles per copy of each micro-workload: (cycles of 14 copies - cycles of 4) / 10."""
    uart = _run(build_workload(["fidelity.c"], out), cycle_model, memory_model)
    found = {m[1]: (int(m[3]) - int(m[2])) / 10 for m in re.finditer(r"^(\w+) (\d+) (\d+)\r?$", uart, re.M)}
    return found


def _third_party(directory: str | Path | None, env: str, files: tuple[str, ...]) -> tuple[Path | None, str]:
    text = str(directory) if directory else os.environ.get(env, "")
    if not text:
        return None, f"skipped: set {env} (or the option) to a checkout"
    path = Path(text).expanduser()
    missing = [f for f in files if not (path / f).is_file()]
    if missing:
        return None, f"skipped: {path} has no {', '.join(missing)}"
    return path, ""


def run_coremark(directory: Path, out: Path, cycle_model: bool = True, memory_model: bool = True,
                 flash: int = 0x0800_0000) -> float:
    """CoreMark cycles per iteration (timed part only, DWT CYCCNT); refuses a run with CRC errors.
    ``flash``: where the code runs from (AXIM 0x0800_0000 through the L1 caches, or the ITCM-bus alias
    0x0020_0000 through the ART)."""
    port = WORKLOAD_DIR / "coremark"
    elf = build_workload([port / "core_portme.c", *(directory / f for f in COREMARK_FILES)], out,
                         defines={"ITERATIONS": str(COREMARK_ITERATIONS)}, name="coremark",
                         flags=[f"-I{port}", f"-I{directory}", "-Wno-error", "-w", *COREMARK_FLAGS],
                         flash=flash)
    uart = _run(elf, cycle_model, memory_model)
    m = re.search(r"coremark iterations=(\d+) cycles=(\d+) errors=(\d+)", uart)
    if m is None or m[3] != "0":
        raise M7Error(f"CoreMark did not validate: {m[0] if m else 'no result line'}")
    return int(m[2]) / int(m[1])


def run_dhrystone(directory: Path, out: Path, cycle_model: bool = True, memory_model: bool = True,
                  icache: bool = True) -> float:
    """Dhrystone cycles per run (timed loop only, DWT CYCCNT); refuses wrong final values."""
    port = WORKLOAD_DIR / "dhrystone"
    defines = {"DHRY_ITERS": str(DHRYSTONE_RUNS), "TIME": "1", "NOENUM": "1"}
    if not icache:
        defines["NO_ICACHE"] = "1"
    elf = build_workload([port / "dhry_port.c", *(directory / f for f in DHRYSTONE_FILES)], out,
                         defines=defines, name="dhrystone",
                         flags=[f"-I{directory}", "-Wno-error", *DHRYSTONE_FLAGS])
    m = re.search(r"dhrystone runs=(\d+) cycles=(\d+) ok=(\d)", _run(elf, cycle_model, memory_model))
    if m is None or m[3] != "1":
        raise M7Error(f"Dhrystone did not validate: {m[0] if m else 'no result line'}")
    return int(m[2]) / int(m[1])


def measure(out: Path, coremark: str | Path | None = None, dhrystone: str | Path | None = None,
            cycle_model: bool = True, progress: Callable[[str], None] | None = None,
            memory_model: bool = True) -> list[Row]:
    """Run every calibration workload; programs without a source directory come back skipped, and the
    memory rows without the memory model."""
    say = progress or (lambda _line: None)
    say("fidelity: micro-workloads")
    micro = run_micro(out, cycle_model, memory_model)
    rows = []
    for w in WORKLOADS:
        if w.kind == "micro":
            rows.append(Row(w, micro.get(w.name), "" if w.name in micro else "no result line"))
            continue
        if w.kind == "memory":
            is_coremark = w.name.startswith("coremark")
            path, why = (_third_party(coremark, COREMARK_ENV, COREMARK_FILES) if is_coremark
                         else _third_party(dhrystone, DHRYSTONE_ENV, DHRYSTONE_FILES))
            if not memory_model:
                rows.append(Row(w, None, "skipped: --no-memory-model"))
            elif path is None:
                rows.append(Row(w, None, why))
            elif is_coremark:
                say(f"fidelity: {w.name} from {path}")
                itcm = run_coremark(path, out, cycle_model, memory_model, flash=0x0020_0000)
                rows.append(Row(w, run_coremark(path, out, cycle_model, memory_model) / itcm))
            else:
                say(f"fidelity: {w.name} from {path}")
                off = run_dhrystone(path, out, cycle_model, memory_model, icache=False)
                rows.append(Row(w, off / run_dhrystone(path, out, cycle_model, memory_model)))
            continue
        env, files, runner = {
            "coremark": (COREMARK_ENV, COREMARK_FILES, run_coremark),
            "dhrystone": (DHRYSTONE_ENV, DHRYSTONE_FILES, run_dhrystone),
        }[w.name]
        path, why = _third_party(coremark if w.name == "coremark" else dhrystone, env, files)
        if path is None:
            rows.append(Row(w, None, why))
            continue
        say(f"fidelity: {w.name} from {path}")
        rows.append(Row(w, runner(path, out, cycle_model, memory_model)))
    return rows


def summary(rows: list[Row]) -> tuple[float, float, int]:
    """(mean |error|, worst |error|, workloads measured); errors are fractions (0.05 = 5 %)."""
    errors = [abs(r.ratio - 1) for r in rows if r.ratio is not None]
    if not errors:
        return 0.0, 0.0, 0
    return sum(errors) / len(errors), max(errors), len(errors)


def format_table(rows: list[Row]) -> str:
    lines = [f"{'workload':16s} {'kind':8s} {'unit':10s} {'published':>10s} {'simulated':>10s} "
             f"{'ratio':>6s} {'error':>7s}  source"]
    for r in rows:
        w = r.workload
        if r.simulated is None:
            lines.append(f"{w.name:16s} {w.kind:8s} {w.unit:10s} {w.published:10.1f} {'-':>10s} {'-':>6s} "
                         f"{'-':>7s}  {r.note}")
            continue
        ratio = r.simulated / w.published
        lines.append(f"{w.name:16s} {w.kind:8s} {w.unit:10s} {w.published:10.1f} {r.simulated:10.1f} "
                     f"{ratio:6.3f} {100 * (ratio - 1):+6.1f}%  {w.source}")
    mean, worst, n = summary(rows)
    programs = [r for r in rows if r.ratio is not None and r.workload.kind == "program"]
    lines.append(f"mean |error| {100 * mean:.1f} %, worst |error| {100 * worst:.1f} % over {n} workloads "
                 f"({len(programs)} whole programs); cycles per unit, DWT CYCCNT in the simulated program")
    if programs:
        p_mean, p_worst, _ = summary(programs)
        lines.append(f"whole programs only: mean |error| {100 * p_mean:.1f} %, worst {100 * p_worst:.1f} %")
    return "\n".join(lines)
