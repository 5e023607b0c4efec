"""``m7amp report``: one HTML page for a played run (the library is m7amp/report.py)."""

from __future__ import annotations

import argparse
from pathlib import Path

from m7amp.report import DEFAULT_ROBOT_LOG, write_report

HELP = ("write one HTML page for a played run: players, waveforms, spectra, ESR over time, cycles, CPU load, "
        "memory")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run", type=Path, metavar="RUN_JSON_OR_DIR",
                        help="a run folder (run.json + signals.npz, as `m7amp demo` and `m7amp run --record` "
                             "write) or its run.json")
    parser.add_argument("--out", type=Path, default=None,
                        help="HTML file to write (default: report.html in the run folder)")
    parser.add_argument("--robot-log", type=Path, default=None,
                        help=f"Robot Framework log.html to link (default: {DEFAULT_ROBOT_LOG} if present)")


def run(args: argparse.Namespace) -> int:
    folder = args.run if args.run.is_dir() else args.run.parent
    write_report(args.run, args.out or folder / "report.html", robot_log=args.robot_log)
    return 0
