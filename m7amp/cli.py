"""The ``m7amp`` command line: a thin dispatcher over one module per subcommand.

Each subcommand module defines ``HELP`` (one line), ``add_arguments(parser)`` and ``run(args) -> int``.
Modules must not import TensorFlow at import time, so that ``m7amp --help`` and ``m7amp sim`` stay fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from m7amp.errors import M7Error

# name -> module implementing it (order is the order shown in --help)
COMMANDS: dict[str, str] = {
    "demo": "m7amp.demo",
    "build": "m7amp.firmware",
    "sim": "m7amp.sim.cli",
    "run": "m7amp.run",
    "train": "m7amp.training.cli",
    "export": "m7amp.export.cli",
    "import": "m7amp.nam",
    "bench": "m7amp.bench",
    "report": "m7amp.report",
    "hostlink": "m7amp.hostlink_cli",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="m7amp",
        description="Neural guitar-amp emulation for the STM32F767: train, export, build firmware, "
        "and run it on a simulated board.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, module_name in COMMANDS.items():
        module = importlib.import_module(module_name)
        p = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(p)
        p.set_defaults(_run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args._run(args) or 0)
    except M7Error as exc:
        print(f"m7amp {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"m7amp {args.command}: interrupted", file=sys.stderr)
        return 130
