"""``m7amp hostlink``: run the ``hostlink`` firmware on a target (the simulator, a Nucleo-F767ZI or
Renode), print what it reports (HELLO) and a table of a short play through it: cycles per sample from
DWT, CPU load at the model's rate, host time per block, ESR against the package's Keras output.

The way to check a board or a Renode install by hand (docs/hostlink.md); its table is the host-link
benchmark (docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from m7amp.errors import M7Error
from m7amp.package import DEFAULT_PACKAGE

HELP = ("run the host-link firmware on a target (sim, board or renode): its INFO and a table of cycles "
        "per sample, load, host time and ESR for a short play")

TARGETS = ("sim", "board", "renode")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--target", choices=TARGETS, default="sim",
                        help="sim: the hostlink ELF in the in-process simulator (default); board: a Nucleo "
                             "flashed with --probe, over the ST-LINK serial port; renode: Renode >= 1.16.1 "
                             "(--renode, $RENODE or PATH)")
    parser.add_argument("--elf", type=Path,
                        help="a hostlink ELF (default: build one for --package and --precision)")
    parser.add_argument("--package", type=Path, default=DEFAULT_PACKAGE,
                        help="model package whose golden input is played (default training/default)")
    parser.add_argument("--precision", choices=("f32", "q15"), default="f32", help="engine precision (f32)")
    parser.add_argument("--block", type=int, default=64, help="samples per frame, 1..256 (default 64)")
    parser.add_argument("--seconds", type=float, default=0.02,
                        help="seconds of the golden input to play (default 0.02: quick in the simulator)")
    parser.add_argument("--port", help="board: serial port (default: the ST-LINK virtual COM port by USB id)")
    parser.add_argument("--baud", type=int, default=921_600, help="board: baud rate (default 921600)")
    parser.add_argument("--probe", choices=("pyocd", "openocd"), default="pyocd", help="board: flasher")
    parser.add_argument("--probe-id", help="board: ST-LINK serial number when several are connected")
    parser.add_argument("--renode", help="renode: the executable (default: $RENODE, else `renode` on PATH)")
    parser.add_argument("--json", action="store_true", help="print the row as JSON")


def make_target(args: argparse.Namespace):
    """The Target for ``--target`` with the command line's options."""
    if args.target == "board":
        from m7amp.targets.board import BoardTarget

        return BoardTarget(port=args.port, baud=args.baud, probe=args.probe, probe_id=args.probe_id,
                           block_size=args.block)
    if args.target == "renode":
        from m7amp.targets.renode import RenodeTarget

        return RenodeTarget(renode=args.renode, block_size=args.block)
    from m7amp.targets._hostlink_target import SimHostLinkTarget

    return SimHostLinkTarget(block_size=args.block)


def run(args: argparse.Namespace) -> int:
    from m7amp.metrics import esr, format_esr

    meta_path = args.package / "metadata.json"
    if not meta_path.is_file():
        raise M7Error(f"{args.package}: not a model package (no metadata.json)")
    meta = json.loads(meta_path.read_text())
    elf = args.elf
    if elf is None:
        from m7amp.firmware import build_engine_app

        elf = build_engine_app("hostlink", args.package / "c", meta["name"], args.precision)
    x = np.load(args.package / meta["golden"]["input"]).astype(np.float32)[:, 0]
    y = np.load(args.package / meta["golden"]["output"]).astype(np.float32)
    n = max(1, min(len(x), int(args.seconds * meta["sample_rate"])))
    target = make_target(args)
    with target:
        target.load(elf)
        result = target.play(x[:n], meta["sample_rate"])
    info = result.extra
    blocks = len(result.block_cycles)
    row = {
        "target": target.name, "model": info["model"], "precision": info["precision"],
        "block": result.block_size, "blocks": blocks, "samples": n,
        "cycles_per_sample": round(result.cycles_per_sample, 1), "load": round(result.cpu_load, 3),
        "would_miss": result.deadline_misses,
        "host_ms_per_block": round(1000 * float(info["host_seconds"]) / blocks, 2),
        "esr_vs_keras": float(esr(y[:n], result.output)),
    }
    if args.json:
        print(json.dumps(row, indent=2))
        return 0
    print(result.uart.strip())
    print(f"{'target':13s} {'model':8s} {'prec':4s} {'block':>5s} {'blocks':>6s} {'cyc/sample':>10s} "
          f"{'load':>6s} {'missed':>6s} {'host ms/blk':>11s}  ESR vs Keras")
    print(f"{row['target']:13s} {row['model']:8s} {row['precision']:4s} {row['block']:5d} {blocks:6d} "
          f"{row['cycles_per_sample']:10.1f} {row['load']:6.3f} {row['would_miss']:6d} "
          f"{row['host_ms_per_block']:11.2f}  {format_esr(row['esr_vs_keras'])}")
    return 0
