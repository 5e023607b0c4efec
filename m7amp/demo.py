"""``m7amp demo``: the main job on built-in defaults.

Today: build the self-test firmware, run it on the simulated F767 and print its verdict with the cycle
figures; show the committed default model package. Later issues grow this into the full chain
(built-in data → model package → firmware → simulated audio run → report).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from m7amp.errors import M7Error

HELP = "Run the main job on built-in defaults: build the self-test firmware and run it in the simulator."

DEFAULT_PACKAGE = Path(__file__).resolve().parents[1] / "training" / "default"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--build-dir", type=Path, default=None, help="CMake build folder (default build/fw)")
    parser.add_argument(
        "--max-cycles", type=int, default=2_000_000_000, help="stop the simulated run after this many cycles"
    )


def run(args: argparse.Namespace) -> int:
    from m7amp import firmware
    from m7amp.metrics import esr_verdict, format_esr
    from m7amp.sim import Simulator

    print("[1/3] building the self-test firmware (arm-none-eabi-gcc)")
    elf = firmware.build("selftest", build_dir=args.build_dir)
    print(f"      {elf}")

    print("[2/3] running it on the simulated STM32F767 (virtual time, Cortex-M7 cycle model)")
    sim = Simulator(elf)
    sim.on_uart = lambda text: print(text, end="", flush=True)
    result = sim.run(max_cycles=args.max_cycles)
    print(
        f"      {result.stop_reason}: status {result.status}, {result.cycles:,} cycles "
        f"({result.simulated_seconds * 1e3:.2f} ms simulated), {result.instructions:,} instructions"
    )
    if result.fault is not None:
        print(result.fault)

    print("[3/3] default model package")
    meta_path = DEFAULT_PACKAGE / "metadata.json"
    if meta_path.is_file():
        meta = json.loads(meta_path.read_text())
        print(
            f"      {meta.get('name', 'default')}: {meta.get('architecture')} "
            f"at {meta.get('sample_rate')} Hz, "
            f"{meta.get('parameters')} parameters, {meta.get('macs_per_sample')} MACs/sample"
        )
        for variant, figures in sorted(meta.get("variants", {}).items()):
            esr = figures.get("esr_vs_target")
            if esr is not None:
                print(f"      ESR vs amp ({variant}): {format_esr(esr)} ({esr_verdict(esr)})")
    else:
        print(f"      none at {DEFAULT_PACKAGE}")

    if result.status != 0:
        raise M7Error(
            f"the self-test did not pass in the simulator ({result.stop_reason}, status {result.status})"
        )
    return 0
