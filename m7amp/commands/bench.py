"""``m7amp bench``: performance measurements printed as tables (never timed tests).

The subcommands and what they measure are listed in m7amp/bench.py, which holds their bodies
(``bench_sim``, ``bench_engine``, ...) and the row functions other code reuses (``bench_engine_row``).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from m7amp.bench import (
    ENGINES,
    RNN_PRESETS,
    bench_debug,
    bench_engine,
    bench_fidelity,
    bench_ir,
    bench_placement,
    bench_sim,
    bench_train,
)

HELP = ("performance benchmarks printed as tables (sim: simulator MIPS; train: training throughput; "
        "engine: engine cycles per sample; ir: cabinet IR cycles per sample; placement: what the TCMs "
        "are worth to the engine)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="bench", metavar="BENCH", required=True)
    p = sub.add_parser("sim", help="simulated MIPS on a fixed workload, with and without the cycle model")
    p.add_argument("--repeats", type=int, default=5, help="runs per configuration (median reported)")
    p.add_argument("--iterations", type=int, default=1000,
                   help="workload iterations (1000 = about 29 M instructions)")
    p.add_argument("--firmware", type=Path, help="benchmark this ELF instead of the built-in workload")
    p.set_defaults(_bench=bench_sim)
    t = sub.add_parser("train", help="training throughput (loss samples/s) per preset on this CPU")
    t.add_argument("presets", nargs="*", default=None,
                   help="presets to time (default: nano feather lite standard lstm16)")
    t.add_argument("--seconds", type=float, default=10.0, help="timed seconds per preset (default 10)")
    t.add_argument("--batch-size", type=int, help="default: the train config's batch_size")
    t.set_defaults(_bench=bench_train)
    s = sub.add_parser("esr", help="test ESR of trained runs per knob setting and averaged (a manifest's "
                                   "split; settings the runs never saw check interpolation)")
    s.add_argument("runs", nargs="+", metavar="RUN_DIR", help="finished `m7amp train` run folders")
    s.add_argument("--data", required=True, metavar="MANIFEST",
                   help="dataset manifest (docs/data.md); the runs' own manifests need not exist any more "
                        "(the 'trained' column reads each run's data.toml copy)")
    s.add_argument("--data-root", metavar="DIR", help="replaces the manifest's 'root'")
    s.add_argument("--split", default="test", choices=("train", "val", "test"), help="default: test")
    s.set_defaults(_bench=_bench_esr)
    e = sub.add_parser("engine", help="engine cycles/sample, cycles/MAC, CPU load, flash and RAM per preset, "
                                      "precision and engine (bench firmware in the simulator)")
    e.add_argument("--preset", default=None,
                   help="comma-separated presets (nano, feather, lite, standard, ..., and RNN sizes "
                        "lstm<N>, gru<N>; default nano = the committed training/default, or the --package "
                        "models, or none with --rnn). A preset without a package gets one exported on "
                        "demand (fresh Keras init, seed 0) into build/packages/<preset>; a --package of that "
                        "name takes precedence")
    e.add_argument("--rnn", action="store_true",
                   help=f"add the RNN rows: {', '.join(RNN_PRESETS)} (after the --preset ones)")
    e.add_argument("--package", type=Path, action="append", default=[], metavar="DIR",
                   help="an exported model package (folder with metadata.json and c/), benchmarked under "
                        "its model name; repeatable")
    e.add_argument("--precision", default="f32,q15", help="comma-separated: f32, q15 (default both)")
    e.add_argument("--engine", default="cmsis",
                   help=f"comma-separated engines (available: {', '.join(ENGINES)}; default cmsis)")
    e.add_argument("--tflm-dir", type=Path, default=None, metavar="DIR",
                   help="for --engine tflm: a TFLM tree made by TFLM's create_tflm_tree.py "
                        "(default: $M7AMP_TFLM_DIR; docs/tflm.md)")
    e.add_argument("--block", type=int, default=32, help="samples per process() call (default 32)")
    e.add_argument("--blocks", type=int, default=64, help="timed blocks (default 64)")
    e.add_argument("--breakdown", action="store_true",
                   help="also print cycles/sample per layer kind (conv, 1x1, act, mix, other) from the "
                        "simulator's profile")
    e.add_argument("--json", action="store_true",
                   help="print the rows as a JSON list (breakdown and memory details as extra keys)")
    e.add_argument("--ir", metavar="CAB.wav",
                   help="also run a cabinet IR after the engine (a WAV or 'synthetic'; cmsis engine) and "
                        "print its cycles/sample and the total (docs/cabinet-ir.md)")
    e.add_argument("--ir-length", type=int, metavar="N", help="truncate the --ir to N taps")
    e.set_defaults(_bench=bench_engine)
    r = sub.add_parser("ir", help="cabinet IR stage cycles/sample per IR length, block and method "
                                  "(partitioned FFT, direct FIR; bench firmware in the simulator, after the "
                                  "nano engine)")
    r.add_argument("--length", default="16,32,64,128,256,512,1024,2048",
                   help="comma-separated IR lengths in taps (default 16,32,64,128,256,512,1024,2048)")
    r.add_argument("--block", default="32,64", help="comma-separated blocks (default 32,64)")
    r.add_argument("--method", default="fft,fir", help="comma-separated: fft, fir (default both)")
    r.add_argument("--rate", type=int, default=48_000, help="sample rate of the load column (default 48000)")
    r.add_argument("--blocks", type=int, default=16, help="timed blocks (default 16)")
    r.add_argument("--json", action="store_true", help="print the rows as a JSON list")
    r.set_defaults(_bench=bench_ir)
    d = sub.add_parser("debug", help="simulator MIPS with the debugging aids attached (gdb-style slices, "
                                     "breakpoint, watchpoint, trace, call-path profile)")
    d.add_argument("--repeats", type=int, default=3, help="runs per configuration (median reported)")
    d.add_argument("--iterations", type=int, default=300,
                   help="compute workload iterations (300 = about 8.7 M instructions)")
    d.set_defaults(_bench=bench_debug)
    pl = sub.add_parser("placement", help="what ITCM/DTCM are worth to the engine: cycles/sample with the "
                                          "kernels in ITCM and the buffers in DTCM vs in flash and SRAM1, "
                                          "memory model on and off")
    pl.add_argument("--preset", default="nano", help="preset to build (default nano)")
    pl.add_argument("--package", type=Path, default=None, metavar="DIR",
                    help="an exported package instead of the preset")
    pl.add_argument("--precision", default="f32,q15", help="comma-separated: f32, q15 (default both)")
    pl.add_argument("--block", type=int, default=32, help="samples per process() call (default 32)")
    pl.add_argument("--blocks", type=int, default=64, help="timed blocks (default 64)")
    pl.set_defaults(_bench=bench_placement)
    from m7amp.bench_renode import add_parser as add_renode_parser

    add_renode_parser(sub)
    f = sub.add_parser("fidelity", help="simulated vs published Cortex-M7 cycles per calibration workload "
                                        "(micro-kernels, CoreMark, Dhrystone), with mean and worst |error|")
    f.add_argument("--coremark", type=Path, default=None,
                   help="checkout of github:eembc/coremark (default: $M7AMP_COREMARK_DIR; skipped if unset)")
    f.add_argument("--dhrystone", type=Path, default=None,
                   help="checkout of github:sifive/benchmark-dhrystone (default: $M7AMP_DHRYSTONE_DIR; "
                        "skipped if unset)")
    f.add_argument("--memory-model", action=argparse.BooleanOptionalAction, default=True,
                   help="model the memory system (default on: flash wait states, ART, I- and D-cache) and "
                        "add the cache off/on and placement rows; --no-memory-model: every access hits")
    f.set_defaults(_bench=bench_fidelity)


def _bench_esr(args: argparse.Namespace) -> int:
    from m7amp.training._by_setting import bench_esr

    return bench_esr(args)


def run(args: argparse.Namespace) -> int:
    bench: Callable[[argparse.Namespace], int] = args._bench
    return bench(args)
