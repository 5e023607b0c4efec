"""``m7amp fit``: the largest model that runs in real time on the F767 at a sample rate, block size and
headroom, measured in the simulator (never from hard-coded figures).

Each candidate (a preset or RNN size, in each precision) is the hand-written engine's bench firmware
(``m7amp bench engine``; an untrained package is exported on demand, cycle counts do not depend on the
weights' values) built for the audio block size and run in the simulator. Its load is the slowest
timed block's cycles per sample over the budget ``CORE_HZ / sample_rate``: a block that overruns misses
its deadline, whatever the mean. A candidate fits when it links (flash and RAM) and that load is at most
the headroom. "Largest" is the most multiply-accumulates per sample, then the most parameters; between
the two precisions of one model f32 wins (no quantisation error), then the lower load.

Measurements are cached in ``build/fit-cache.json`` by a digest of everything they depend on (package C
sources, firmware and CMake sources, toolchain version, block, blocks, simulator and bench code), so a
second call neither builds nor simulates; a rebuilt ELF that is byte-identical reuses its figures too
(the simulator is deterministic). ``m7amp train --preset auto`` trains the model this module picks.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from m7amp.bench import REPO, RNN_PRESETS, bench_engine_row, files_digest, split_list
from m7amp.errors import M7Error
from m7amp.playback import CORE_HZ

HELP = ("measure candidate models (WaveNet presets, LSTM/GRU sizes; f32 and q15) in the simulator and "
        "pick the largest that runs in real time at a sample rate, block size and headroom")
WAVENET_CANDIDATES = ("nano", "feather", "lite", "standard")
CANDIDATES = (*WAVENET_CANDIDATES, *RNN_PRESETS)
PRECISIONS = ("f32", "q15")
AUDIO_BLOCK = 32  # the audio app's default samples per half buffer (M7AMP_AUDIO_BLOCK, firmware/app/audio)
DEFAULT_SAMPLE_RATE = 48_000
DEFAULT_HEADROOM = 80.0  # percent of the sample period the engine may use; the rest is I/O and margin
MIN_TIMED_SAMPLES = 2048  # timed samples per candidate: every ring buffer of a WaveNet (<= 1024 slots) wraps
CACHE_FILE = REPO / "build" / "fit-cache.json"
LARGEST = ("largest = most MACs per sample, then most parameters; between the precisions of one model "
           "f32 (no quantisation error), then the lower load")


@dataclass(frozen=True)
class Measurement:
    """One candidate's figures. ``worst_cycles_per_sample``: the slowest block's cycles / block size;
    ``error``: why it does not link (flash or RAM), with None figures."""

    preset: str
    precision: str
    macs: int
    parameters: int
    cycles_per_sample: float | None
    worst_cycles_per_sample: float | None
    flash_bytes: int | None
    ram_bytes: int | None
    error: str | None = None

    def load(self, sample_rate: int) -> float | None:
        """The slowest block's share of the real-time budget (1.0 = all of it)."""
        if self.worst_cycles_per_sample is None:
            return None
        return self.worst_cycles_per_sample * sample_rate / CORE_HZ

    def fits(self, sample_rate: int, headroom: float) -> bool:
        """Links and its load is at most ``headroom`` (a fraction, 0.8 = 80 %)."""
        load = self.load(sample_rate)
        return self.error is None and load is not None and load <= headroom


def choose(measurements: Iterable[Measurement], sample_rate: int, headroom: float) -> Measurement | None:
    """The largest candidate that fits (see LARGEST), None if none does."""
    fitting = [m for m in measurements if m.fits(sample_rate, headroom)]
    return max(fitting, default=None, key=lambda m: (m.macs, m.parameters, m.precision == "f32",
                                                      -(m.worst_cycles_per_sample or 0.0)))


def from_row(row: dict, parameters: int, block: int) -> Measurement:
    """A Measurement of a ``bench_engine_row`` row."""
    worst = row.get("cycles_max")
    return Measurement(
        preset=row["preset"], precision=row["precision"], macs=int(row["macs_per_sample"]),
        parameters=parameters, cycles_per_sample=row.get("cycles_per_sample"),
        worst_cycles_per_sample=None if worst is None else round(worst / block, 1),
        flash_bytes=row.get("flash_bytes"), ram_bytes=row.get("ram_bytes"), error=row.get("error"))


def _toolchain() -> str:
    gcc = shutil.which("arm-none-eabi-gcc")
    if gcc is None:
        return ""
    return subprocess.run([gcc, "--version"], capture_output=True, text=True).stdout.split("\n", 1)[0]


def input_key(package: Path, name: str, precision: str, block: int, blocks: int, toolchain: str) -> str:
    """The digest of everything a candidate's figures depend on before its ELF exists."""
    sources = [package / "metadata.json", package / "c" / f"{name}_{precision}.c",
               package / "c" / f"{name}_{precision}.h", REPO / "firmware", REPO / "cmake",
               REPO / "CMakeLists.txt", REPO / "m7amp" / "sim", REPO / "m7amp" / "bench.py",
               REPO / "m7amp" / "memory.py", REPO / "m7amp" / "firmware.py"]
    return "in:" + files_digest(sources, f"cmsis {precision} {block} {blocks} {toolchain}")


def load_cache(path: Path) -> dict[str, dict]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def save_cache(path: Path, cache: dict[str, dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(cache))
    tmp.replace(path)


def default_blocks(block: int) -> int:
    """Timed blocks of ``block`` samples: at least MIN_TIMED_SAMPLES samples and 8 blocks."""
    return max(8, -(-MIN_TIMED_SAMPLES // block))


def measure(presets: Iterable[str], precisions: Iterable[str], block: int, blocks: int | None = None,
            progress: Callable[[str], None] = print, cache_file: Path | None = CACHE_FILE,
            remeasure: bool = False) -> list[Measurement]:
    """Measure every preset x precision in the simulator (cached in ``cache_file``; None: no cache)."""
    from m7amp.models._config import is_model_name
    from m7amp.preset_package import preset_package

    presets, precisions = list(presets), list(precisions)
    unknown = [p for p in presets if not is_model_name(p) or p != p.lower()]
    if unknown:
        raise M7Error(f"unknown candidate {unknown[0]!r} (give presets such as "
                      f"{', '.join(WAVENET_CANDIDATES)} or RNN sizes lstm<N>, gru<N>)")
    blocks = blocks or default_blocks(block)
    cache = load_cache(cache_file) if cache_file is not None and not remeasure else {}
    toolchain, out = _toolchain(), []
    total = len(presets) * len(precisions)
    for i, preset in enumerate(presets):
        pkg = preset_package(preset, lambda line: progress(line.replace("bench:", "fit:", 1)))
        meta = json.loads((pkg / "metadata.json").read_text())
        for j, precision in enumerate(precisions):
            step = f"fit: [{i * len(precisions) + j + 1}/{total}] {preset} {precision}"
            key = input_key(pkg, meta["name"], precision, block, blocks, toolchain)
            row = cache.get(key)
            if row is None:
                progress(f"{step}: build and run in the simulator")
                row = bench_engine_row(pkg, precision, block, blocks, "cmsis", preset, cache=cache)
                cache[key] = row
                if cache_file is not None:
                    save_cache(cache_file, cache)
            else:
                progress(f"{step}: cached")
            out.append(from_row(row | {"preset": preset}, int(meta["parameters"]), block))
    return out


def format_table(measurements: list[Measurement], sample_rate: int, headroom: float) -> str:
    """One line per candidate, smallest (MACs) first."""
    lines = [f"{'preset':9s} {'prec':4s} {'MACs/smp':>8s} {'params':>7s} {'cyc/smp':>8s} {'worst':>8s} "
             f"{'load':>7s} {'flash':>7s} {'RAM':>7s}  fits"]
    for m in sorted(measurements, key=lambda m: (m.macs, m.parameters, m.precision)):
        line = f"{m.preset:9s} {m.precision:4s} {m.macs:8d} {m.parameters:7d} "
        load = m.load(sample_rate)
        if m.error or load is None:
            lines.append(line + f"{'-':>8s} {'-':>8s} {'-':>7s} {'-':>7s} {'-':>7s}  no: {m.error}")
            continue
        lines.append(line + f"{m.cycles_per_sample:8.1f} {m.worst_cycles_per_sample:8.1f} {load:7.1%} "
                            f"{m.flash_bytes:7d} {m.ram_bytes:7d}  "
                            f"{'yes' if m.fits(sample_rate, headroom) else 'no'}")
    return "\n".join(lines)


def check_options(sample_rate: int, block: int, headroom_percent: float) -> float:
    """One-line errors for bad options; the headroom as a fraction."""
    if sample_rate <= 0:
        raise M7Error(f"--sample-rate must be positive, got {sample_rate}")
    if block < 8 or block > 1024 or block % 8:  # the audio app's limits (firmware/app/audio/main.c)
        raise M7Error(f"--block must be a multiple of 8 in 8..1024 samples (the audio app's), got {block}")
    if not 0 < headroom_percent <= 100:
        raise M7Error(f"--headroom must be in (0, 100] percent, got {headroom_percent}")
    return headroom_percent / 100


def fit(presets: Iterable[str] = CANDIDATES, precisions: Iterable[str] = PRECISIONS,
        sample_rate: int = DEFAULT_SAMPLE_RATE, block: int = AUDIO_BLOCK,
        headroom_percent: float = DEFAULT_HEADROOM, blocks: int | None = None,
        remeasure: bool = False, progress: Callable[[str], None] | None = None,
        out: Callable[[str], None] = print, cache_file: Path | None = CACHE_FILE) -> Measurement | None:
    """Measure, print the table and the choice with ``out``; return the choice (None: nothing fits)."""
    headroom = check_options(sample_rate, block, headroom_percent)
    if blocks is not None and blocks < 1:
        raise M7Error(f"--blocks must be at least 1, got {blocks}")
    progress = progress or (lambda line: print(line, file=sys.stderr, flush=True))
    measurements = measure(presets, precisions, block, blocks, progress, cache_file, remeasure)
    budget = CORE_HZ / sample_rate
    out(f"fit: {sample_rate} Hz at {CORE_HZ // 1_000_000} MHz = {budget:.0f} cycles/sample; audio block "
        f"{block}; headroom {headroom:.0%}. worst = the slowest of {blocks or default_blocks(block)} "
        "blocks (bench firmware in the simulator), load = worst / budget; flash and RAM in bytes of the "
        "whole bench ELF")
    out(format_table(measurements, sample_rate, headroom))
    best = choose(measurements, sample_rate, headroom)
    if best is None:
        out(f"largest that fits: none (no candidate at or under {headroom:.0%} load)")
    else:
        out(f"largest that fits: {best.preset} {best.precision} ({best.macs} MACs/sample, "
            f"{best.parameters} parameters, load {best.load(sample_rate):.1%})")
    out(f"({LARGEST})")
    return best


# ---- CLI ----
def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        f"{HELP}. Each candidate is the engine's bench firmware (as `m7amp bench engine`, untrained "
        "packages exported on demand) built for the block size and run in the simulator; its load is "
        "the slowest block's cycles per sample over the budget. It fits when it links (flash, RAM) and "
        f"its load is at most the headroom; {LARGEST}. Figures are cached in "
        f"{CACHE_FILE.relative_to(REPO)} by a digest of their inputs, so a second call is fast. Exit "
        "status 1 when no candidate fits. `m7amp train --preset auto` trains the model picked here.")
    parser.add_argument("--sample-rate", type=int, default=DEFAULT_SAMPLE_RATE, metavar="HZ",
                        help=f"audio sample rate; the budget is {CORE_HZ // 1_000_000} MHz / HZ cycles "
                             f"per sample (default {DEFAULT_SAMPLE_RATE}; the audio app builds for 48000 "
                             "and 44100)")
    parser.add_argument("--block", type=int, default=AUDIO_BLOCK, metavar="N",
                        help=f"samples per process() call, as the audio app's half buffer (multiple of "
                             f"8 in 8..1024; default {AUDIO_BLOCK}, the audio app's)")
    parser.add_argument("--headroom", type=float, default=DEFAULT_HEADROOM, metavar="PERCENT",
                        help=f"highest load that counts as fitting, in percent of the sample period "
                             f"(default {DEFAULT_HEADROOM:.0f})")
    parser.add_argument("--candidates", default=",".join(CANDIDATES), metavar="LIST",
                        help=f"comma-separated presets or RNN sizes lstm<N>/gru<N> (default: "
                             f"{','.join(CANDIDATES)})")
    parser.add_argument("--precision", default=",".join(PRECISIONS),
                        help="comma-separated: f32, q15 (default both)")
    parser.add_argument("--blocks", type=int, default=None, metavar="N",
                        help=f"timed blocks per candidate (default: {MIN_TIMED_SAMPLES} samples' worth, "
                             "at least 8)")
    parser.add_argument("--remeasure", action="store_true",
                        help=f"ignore the cache ({CACHE_FILE.relative_to(REPO)}) and measure again")


def run(args: argparse.Namespace) -> int:
    best = fit(split_list(args.candidates, "--candidates"),
               split_list(args.precision, "--precision", PRECISIONS),
               args.sample_rate, args.block, args.headroom, args.blocks, args.remeasure)
    return 0 if best is not None else 1
