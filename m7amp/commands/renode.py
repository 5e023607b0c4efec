"""``m7amp renode FIRMWARE.elf``: run a firmware ELF in Renode (>= 1.16.1) on renode/stm32f767.repl.

What the firmware printed on USART3 goes to stdout when it stops (through ``m7_exit``); the exit code is
its status. Every failure (no or too old Renode, a .repl/.resc error, a fault, the time limit) is one line
on stderr, exit 2. docs/renode.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from m7amp.errors import M7Error

HELP = ("run a firmware ELF in Renode >= 1.16.1 (USART3 to stdout when it stops, exit status from the "
        "firmware)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("firmware", type=Path, help="firmware ELF (e.g. from `m7amp build`)")
    parser.add_argument("--renode", help="the Renode launcher (default: $RENODE, else `renode` on PATH)")
    parser.add_argument("--timeout", type=float, default=120.0,
                        help="host seconds to wait for the firmware to stop (default %(default)g)")


def run(args: argparse.Namespace) -> int:
    from m7amp.targets.renode import run_elf

    if args.timeout <= 0:
        raise M7Error("--timeout must be positive")
    t0 = time.monotonic()
    try:
        status, uart = run_elf(args.firmware, renode=args.renode, timeout=args.timeout)
    except M7Error as exc:
        if not str(exc).startswith("firmware fault in Renode"):
            raise
        print(f"m7amp renode: {exc}", file=sys.stderr)
        return 3
    sys.stdout.write(uart if uart.endswith("\n") or not uart else uart + "\n")
    print(f"m7amp renode: m7_exit({status}) after {time.monotonic() - t0:.1f} s host", file=sys.stderr)
    return status & 0xFF
