"""``m7amp bench renode``: the same audio ELF and the same guitar clip on the simulator and in Renode (m7amp's
SAI1/DMA2 models), side by side: output bits equal to the simulator's or not, ESR vs the reference model,
instructions and DWT cycles per block, CPU load, deadline misses, host seconds per audio second.

Rows per precision: the simulator with its Cortex-M7 cycle model (the project's timing reference), the
simulator without it (DWT then counts one cycle per instruction: instructions per block), and Renode at
each ``--mips`` (PerformanceInMips). Renode's DWT counts virtual time (instructions / PerformanceInMips x
216 MHz), not a cycle model: its instructions per block are its DWT cycles x mips / 216.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict, dataclass

import numpy as np

from m7amp.errors import M7Error
from m7amp.playback import CORE_HZ, PlayResult

HELP = "the audio ELF on the simulator and in Renode side by side (bits, ESR, cycles, misses, host speed)"


def add_parser(sub: argparse._SubParsersAction) -> None:
    r = sub.add_parser("renode", help="the same audio ELF and clip on the simulator and in Renode, side "
                                      "by side (bits, ESR, instructions and DWT cycles per block, misses, "
                                      "speed)")
    r.add_argument("--seconds", type=float, default=1.0, help="built-in guitar clip length (default 1.0)")
    r.add_argument("--seed", type=int, default=7, help="seed of the built-in guitar clip (default 7)")
    r.add_argument("--precision", default="f32,q15", help="comma-separated: f32, q15 (default both)")
    r.add_argument("--mips", default="324,216",
                   help="comma-separated PerformanceInMips values for Renode (default 324,216)")
    r.add_argument("--block", type=int, default=32, help="samples per half buffer (default 32)")
    r.add_argument("--renode", metavar="PATH", help="the Renode executable (default $RENODE, else PATH)")
    r.add_argument("--json", action="store_true", help="print the rows as a JSON list")
    r.set_defaults(_bench=bench_renode)


@dataclass
class Row:
    precision: str
    target: str
    bits_equal_sim: str
    esr_vs_reference: float
    instructions_per_block: float | None
    dwt_cycles_per_block: float
    cpu_load: float
    deadline_misses: int
    firmware_overruns: int | None
    host_s_per_audio_s: float


def _row(precision: str, target: str, result: PlayResult, sim: PlayResult | None, esr_value: float,
         instructions_per_block: float | None) -> Row:
    if sim is None:
        same = "(reference)"
    else:
        diff = np.abs(sim.output - result.output)
        same = "yes" if not diff.any() else f"no ({np.count_nonzero(diff)} samples differ)"
    audio_seconds = len(result.output) / result.sample_rate
    cycles = float(np.mean(result.block_cycles))
    overruns = result.extra.get("firmware_overruns")
    host = float(result.extra["host_seconds"])  # type: ignore[arg-type]
    return Row(precision, target, same, esr_value, instructions_per_block, cycles, result.cpu_load,
               result.deadline_misses, overruns, host / audio_seconds)  # type: ignore[arg-type]


def bench_renode(args: argparse.Namespace) -> int:
    from m7amp.audio import play
    from m7amp.data import synth_guitar
    from m7amp.metrics import esr
    from m7amp.package import load_package
    from m7amp.targets import build_firmware, get_target

    precisions = [p.strip() for p in args.precision.split(",") if p.strip()]
    if not precisions or set(precisions) - {"f32", "q15"}:
        raise M7Error(f"--precision takes f32 and/or q15, got {args.precision!r}")
    try:
        mips = [int(m) for m in args.mips.split(",") if m.strip()]
    except ValueError:
        raise M7Error(f"--mips takes comma-separated integers, got {args.mips!r}") from None
    if args.seconds <= 0:
        raise M7Error(f"--seconds must be positive, got {args.seconds}")
    options = {"renode": args.renode} if args.renode else {}
    get_target("renode", **options).close()  # one line now if Renode cannot run here
    package = load_package()
    rate = package.sample_rate
    x = np.asarray(synth_guitar(args.seconds, sample_rate=rate, seed=args.seed), np.float32)
    rows: list[Row] = []
    for precision in precisions:
        elf = build_firmware("audio", precision=precision, sample_rate=rate, block=args.block)
        sim = play(elf, x, rate)
        reference = package.reference_output(x, sim.io_bits)
        rows.append(_row(precision, "sim (cycle model)", sim, None, esr(reference, sim.output), None))
        flat = play(elf, x, rate, cycle_model=False)
        rows.append(_row(precision, "sim (1 cycle/instruction)", flat, sim, esr(reference, flat.output),
                         float(np.mean(flat.block_cycles))))
        for m in mips:
            with get_target("renode", mips=m, **options) as target:
                target.load(elf)
                result = target.play(x, rate)
            cycles = float(np.mean(result.block_cycles))
            rows.append(_row(precision, f"renode (PerformanceInMips {m})", result, sim,
                             esr(reference, result.output), cycles * m / (CORE_HZ / 1e6)))
    if args.json:
        print(json.dumps([asdict(r) for r in rows], indent=2))
    else:
        print(format_table(rows, args.seconds, args.block))
    return 0


def format_table(rows: list[Row], seconds: float, block: int) -> str:
    head = ("| precision | target | bits = sim | ESR vs reference | instructions/block | DWT cycles/block | "
            "CPU load | deadline misses | firmware overruns | host s / audio s |")
    lines = [f"audio ELF (block {block}), built-in guitar {seconds:g} s at 48 kHz", "", head,
             "|" + "---|" * 10]
    for r in rows:
        ipb = "–" if r.instructions_per_block is None else f"{r.instructions_per_block:,.0f}"
        lines.append(f"| {r.precision} | {r.target} | {r.bits_equal_sim} | {r.esr_vs_reference:.3g} | "
                     f"{ipb} | {r.dwt_cycles_per_block:,.0f} | {100 * r.cpu_load:.1f} % | "
                     f"{r.deadline_misses} | {r.firmware_overruns} | {r.host_s_per_audio_s:.1f} |")
    return "\n".join(lines)
