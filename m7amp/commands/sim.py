"""``m7amp sim FIRMWARE.elf``: run a firmware ELF on the simulated STM32F767.

The UART (USART3 and semihosting output) streams to stdout as it is produced; a one-line summary
(cycles, instructions, simulated time, host MIPS) goes to stderr. The exit code is the firmware's exit
status; 3 if it stopped on a fault (the decoded report goes to stderr); 2 for user errors, including
hitting ``--max-cycles`` or firmware that sleeps with nothing left to wake it. ``--gdb``, ``--trace FILE``
and ``--profile-out`` are described in docs/debugging.md.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from m7amp.errors import M7Error

if TYPE_CHECKING:
    from m7amp.sim import Simulator
    from m7amp.sim.profile import CallProfiler
    from m7amp.sim.trace import Tracer

HELP = "run a firmware ELF on the simulated STM32F767 (UART to stdout, exit status from the firmware)"
FAULT_EXIT = 3


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("firmware", type=Path, help="firmware ELF (e.g. from `m7amp build`)")
    parser.add_argument("--until", metavar="REGEX", help="stop when a UART line matches REGEX (exit 0)")
    parser.add_argument("--max-cycles", type=int, metavar="N", default=2_000_000_000,
                        help="stop with an error after N core cycles (default: %(default)s, ~9 s at 216 MHz)")
    parser.add_argument("--profile", action="store_true", help="print the top functions by modelled cycles")
    parser.add_argument("--top", type=int, default=15, help="number of functions in --profile (default 15)")
    parser.add_argument("--uart-input", metavar="TEXT", help="bytes to send to USART3 RX (\\n, \\r escapes)")
    parser.add_argument("--memory-model", action=argparse.BooleanOptionalAction, default=True,
                        help="model the memory system (default on): flash wait states (FLASH_ACR), the ART "
                             "accelerator and prefetch, the 16 KB I- and D-caches (SCB CCR.IC/DC); ITCM and "
                             "DTCM have no wait (docs/cycle-model.md). --no-memory-model: every access hits, "
                             "as in Renode")
    parser.add_argument("--no-cycle-model", action="store_true",
                        help="count 1 cycle per instruction (Renode's semantics) instead of the M7 model")
    parser.add_argument("--trace", nargs="?", const="-", metavar="FILE",
                        help="trace peripheral accesses and exceptions to FILE (JSON lines if FILE ends in "
                             ".jsonl or .json, else text; no FILE: text on stderr). See docs/debugging.md")
    parser.add_argument("--trace-instructions", metavar="START:COUNT",
                        help="with --trace FILE: also trace COUNT instructions (with disassembly) from core "
                             "cycle START on")
    parser.add_argument("--profile-out", type=Path, metavar="FILE",
                        help="write cycles per call path: FILE.folded (collapsed stacks, flamegraph.pl) or "
                             "FILE.speedscope.json (speedscope); slows the run to a few MIPS")
    parser.add_argument("--gdb", nargs="?", const=3333, type=int, metavar="PORT",
                        help="halt at reset and serve gdb on 127.0.0.1:PORT (default 3333; 0: any free "
                             "port): gdb-multiarch FW.elf -ex 'target remote :PORT'")
    parser.add_argument("--quiet", action="store_true", help="do not stream the UART to stdout")


def _unescape(text: str) -> bytes:
    return text.encode("latin-1").decode("unicode_escape").encode("latin-1")


def run(args: argparse.Namespace) -> int:
    from m7amp.sim import Simulator

    if args.max_cycles <= 0:
        raise M7Error("--max-cycles must be positive")
    if args.gdb is not None and not 0 <= args.gdb <= 65535:
        raise M7Error(f"--gdb: {args.gdb} is not a TCP port (0-65535)")
    if args.trace_instructions and args.trace in (None, "-"):
        raise M7Error("--trace-instructions needs --trace FILE")
    stderr_trace = args.trace == "-"
    trace = (lambda line: print(line, file=sys.stderr)) if stderr_trace else None
    sim = Simulator(args.firmware, cycle_model=not args.no_cycle_model,
                    memory_model=args.memory_model, trace=trace)
    with contextlib.ExitStack() as stack:
        tracer = _open_trace(sim, args, stack) if args.trace and not stderr_trace else None
        profiler = None
        if args.profile_out is not None:
            from m7amp.sim.profile import CallProfiler

            profiler = CallProfiler(sim)
            stack.callback(profiler.close)
        try:
            return _run(sim, args)
        finally:  # also when the run ends in an error (--max-cycles reached, ...): that is often the point
            if profiler is not None:
                _write_profile(profiler, args)
            if tracer is not None:
                print(f"m7amp sim: {tracer.records} trace records written to {args.trace}", file=sys.stderr)


def _write_profile(profiler: CallProfiler, args: argparse.Namespace) -> None:
    profiler.write(args.profile_out)
    print(f"m7amp sim: call-path profile ({len(profiler.weights)} paths, {profiler.total_cycles()} "
          f"cycles) written to {args.profile_out}", file=sys.stderr)
    if args.profile:
        print(f"{'call path':70s} {'cycles':>14s} {'share':>7s}", file=sys.stderr)
        for path, cycles, share in profiler.top_paths(args.top):
            print(f"{path[-70:]:70s} {cycles:14d} {share:7.1%}", file=sys.stderr)
        total = profiler.total_cycles() or 1
        rows = sorted(profiler.inclusive().items(), key=lambda kv: (-kv[1], kv[0]))[:args.top]
        print(f"{'function (with callees)':40s} {'cycles':>14s} {'calls':>10s} {'share':>7s}",
              file=sys.stderr)
        for name, cycles in rows:
            print(f"{name[:40]:40s} {cycles:14d} {profiler.calls[name]:10d} {cycles / total:7.1%}",
                  file=sys.stderr)


def _open_trace(sim: Simulator, args: argparse.Namespace, stack: contextlib.ExitStack) -> Tracer:
    from m7amp.sim.trace import Tracer, parse_window

    window = parse_window(args.trace_instructions) if args.trace_instructions else None
    try:
        out = stack.enter_context(open(args.trace, "w", encoding="utf-8"))  # noqa: SIM115
    except OSError as exc:
        raise M7Error(f"cannot write the trace {args.trace}: {exc.strerror}") from None
    tracer = Tracer(sim, out, json_lines=args.trace.endswith((".jsonl", ".json")), instructions=window)
    stack.callback(tracer.close)
    return tracer


def _run(sim: Simulator, args: argparse.Namespace) -> int:
    if not args.quiet:
        def stream(text: str) -> None:
            sys.stdout.write(text)
            sys.stdout.flush()
        sim.on_uart = stream
    if args.uart_input:
        sim.uart_input(_unescape(args.uart_input))
    if args.gdb is not None:
        from m7amp.sim.gdb import print_listening, serve_gdb

        session = serve_gdb(sim, args.gdb, on_listening=print_listening)
        if session.exit_status is not None or session.killed:
            why = "firmware exited" if session.exit_status is not None else "killed"
            print(f"m7amp sim: gdb session ended ({why}) at {sim.cycles} cycles", file=sys.stderr)
            return int(session.exit_status or 0) & 0xFF
        # detached or disconnected: the firmware runs on, as on the board
    result = sim.run(until=args.until, max_cycles=args.max_cycles)
    if result.uart and not result.uart.endswith("\n") and not args.quiet:
        sys.stdout.write("\n")
    for warning in result.warnings:
        print(f"m7amp sim: warning: {warning}", file=sys.stderr)
    print(f"m7amp sim: {result.stop_reason}: {result.cycles} cycles, {result.instructions} instructions, "
          f"{result.simulated_seconds * 1e3:.3f} ms simulated at {sim.core_hz / 1e6:g} MHz, "
          f"{result.host_seconds:.2f} s host, {result.mips:.1f} MIPS", file=sys.stderr)
    if args.profile:
        print(f"{'function':40s} {'cycles':>14s} {'instructions':>14s} {'share':>7s}", file=sys.stderr)
        for name, cycles, insns, share in sim.profile(args.top):
            print(f"{name[:40]:40s} {cycles:14d} {insns:14d} {share:7.1%}", file=sys.stderr)
    if result.stop_reason == "fault":
        print(f"m7amp sim: {result.fault}", file=sys.stderr)
        return FAULT_EXIT
    if result.stop_reason == "max-cycles":
        where = sim.firmware.describe(sim.pc)
        raise M7Error(f"firmware still running after --max-cycles {args.max_cycles} (pc {where})")
    if result.stop_reason == "idle":
        raise M7Error("firmware is asleep (WFI) with no interrupt that could wake it "
                      f"(pc {sim.firmware.describe(sim.pc)})")
    if result.stop_reason == "breakpoint":
        raise M7Error(f"firmware hit a breakpoint at {sim.firmware.describe(sim.pc)}")
    if result.stop_reason == "until":
        return 0
    return int(result.status or 0) & 0xFF
