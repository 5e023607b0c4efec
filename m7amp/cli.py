"""The ``m7amp`` command line: a thin dispatcher over one module per subcommand.

Each subcommand module defines ``HELP`` (one line), ``add_arguments(parser)`` and ``run(args) -> int``.
Modules must not import TensorFlow at import time, so that ``m7amp --help`` and ``m7amp sim`` stay fast.
Every command hides TensorFlow's native log lines unless ``--verbose`` (m7amp._quiet).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import sys

from m7amp.errors import M7Error

# name -> module implementing it (order is the order shown in --help)
COMMANDS: dict[str, str] = {
    "demo": "m7amp.commands.demo",
    "build": "m7amp.commands.build",
    "sim": "m7amp.commands.sim",
    "renode": "m7amp.commands.renode",
    "run": "m7amp.commands.run",
    "train": "m7amp.commands.train",
    "export": "m7amp.commands.export",
    "import": "m7amp.commands.import_nam",
    "bench": "m7amp.commands.bench",
    "fit": "m7amp.commands.fit",
    "report": "m7amp.commands.report",
    "hostlink": "m7amp.commands.hostlink",
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
        p.add_argument("--verbose", action="store_true",
                       help="also show TensorFlow's native log lines (absl, CUDA probing), hidden by default")
        p.set_defaults(_run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    from m7amp._quiet import quiet_native_logs

    args = build_parser().parse_args(argv)
    try:
        with contextlib.nullcontext() if args.verbose else quiet_native_logs():
            return int(args._run(args) or 0)
    except M7Error as exc:
        print(f"m7amp {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"m7amp {args.command}: interrupted", file=sys.stderr)
        return 130
