"""The tflm engine (issue 7): TensorFlow Lite Micro builds of the engine apps, and where the TFLM tree is.

TFLM is not part of m7amp: the user generates a tree with TFLM's ``create_tflm_tree.py`` (see
docs/tflm.md) and gives its path, with ``--tflm-dir`` or the environment variable ``M7AMP_TFLM_DIR``.
The firmware's CMake turns the package's streaming ``.tflite`` into a C array in the build directory
(firmware/engines/tflm/tflm.cmake); this module passes it the ops to register and the arena size,
which it measures: firmware/app/tflm_probe bisects the smallest arena the model runs in, in the
simulator, and the final build reserves that (+16 bytes for alignment).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

from m7amp.errors import M7Error

ENV_VAR = "M7AMP_TFLM_DIR"
BUILD_ROOT = Path(__file__).resolve().parents[1] / "build"
PROBE_ARENA_BYTES = 256 * 1024  # fits SRAM1 (368 KB) beside everything else; the probe reserves it
_MARKER = Path("tensorflow") / "lite" / "micro" / "micro_interpreter.h"
# TFLite builtin op names whose MicroMutableOpResolver method is not the plain CamelCase of the name.
_METHOD_EXCEPTIONS = {"CONV_2D": "Conv2D", "DEPTHWISE_CONV_2D": "DepthwiseConv2D"}


def tflm_dir(given: str | Path | None = None) -> Path:
    """The TFLM tree: ``given`` (a CLI option) or $M7AMP_TFLM_DIR; M7Error if neither is a tree."""
    path = given or os.environ.get(ENV_VAR)
    if not path:
        raise M7Error(f"the tflm engine needs a TFLM tree: give --tflm-dir or set {ENV_VAR} "
                      "(a tree made by TFLM's create_tflm_tree.py, see docs/tflm.md)")
    tree = Path(path).expanduser().resolve()
    if not (tree / _MARKER).is_file():
        raise M7Error(f"{tree} is not a TFLM tree (create_tflm_tree.py output): no {_MARKER}")
    return tree


def skip_reason() -> str | None:
    """Why the tflm engine cannot be built here (no tree given), or None: for tests' skip markers."""
    try:
        tflm_dir()
    except M7Error as err:
        return f"tflm engine skipped: {err}"
    return None


def stream_model(package: Path, precision: str) -> Path:
    """The streaming TFLite file the tflm engine runs for an m7amp precision (q15 API -> int8 model)."""
    kind = {"f32": "f32", "q15": "int8"}[precision]
    path = Path(package) / f"model_stream_{kind}.tflite"
    if not path.is_file():
        raise M7Error(f"{path} not found: the package has no streaming {kind} TFLite model")
    return path


def resolver_methods(tflite_bytes: bytes) -> list[str]:
    """The ``MicroMutableOpResolver::Add<X>`` names (X) of every op the model uses."""
    from m7amp.export._tflite import tflite_ops

    return [_METHOD_EXCEPTIONS.get(op, "".join(w.capitalize() for w in op.split("_")))
            for op in tflite_ops(tflite_bytes)]


def build_tflm_app(
    app: str, package: Path, name: str, precision: str, *, arena_bytes: int,
    defines: dict[str, str] | None = None, tree: Path | None = None,
) -> Path:
    """Build an engine app (``m7_add_engine_app``) with the tflm engine and a given arena; its ELF."""
    from m7amp.firmware import build_engine_app

    tree = tree or tflm_dir()
    model = stream_model(package, precision)
    all_defines = {
        "M7AMP_ENGINE": "tflm", "M7AMP_TFLM_DIR": str(tree), "M7AMP_TFLM_MODEL": str(model.resolve()),
        "M7AMP_TFLM_OPS": ";".join(resolver_methods(model.read_bytes())),
        "M7AMP_TFLM_ARENA_BYTES": str(arena_bytes), **(defines or {}),
    }
    build_dir = BUILD_ROOT / "tflm" / tree.name  # one per tree: TFLM itself is compiled once
    return build_engine_app(app, Path(package) / "c", name, precision, defines=all_defines,
                            build_dir=build_dir)


def measure_arena(package: Path, name: str, precision: str, tree: Path | None = None) -> int:
    """Arena bytes the model needs with the tflm engine: the smallest arena in which init and one block
    succeed, found by firmware/app/tflm_probe in the simulator (TFLM's arena_used_bytes() alone is too
    small: planning temporaries come on top), +16 for an arena aligned to only 8 bytes. Cached in the
    build directory per model file."""
    from m7amp.sim import Simulator

    tree = tree or tflm_dir()
    model = stream_model(package, precision)
    digest = hashlib.sha256(model.read_bytes()).hexdigest()
    cache = BUILD_ROOT / "tflm" / tree.name / f"arena-{name}_{precision}.json"
    if cache.is_file():
        known = json.loads(cache.read_text())
        if known.get("sha256") == digest:
            return int(known["arena_bytes"])
    elf = build_tflm_app("tflm_probe", package, name, precision, arena_bytes=PROBE_ARENA_BYTES, tree=tree)
    result = Simulator(elf).run(max_cycles=5_000_000_000)
    match = re.search(r"M7AMP TFLM ARENA need=(\d+) used=(\d+)", result.uart)
    if match is None:
        tail = " | ".join(result.uart.strip().splitlines()[-3:])
        raise M7Error(f"tflm arena probe of {name} {precision} failed: {tail or result.stop_reason}")
    need, used = int(match.group(1)), int(match.group(2))
    arena = need + 16
    cache.parent.mkdir(parents=True, exist_ok=True)
    known = {"sha256": digest, "arena_need": need, "arena_used": used, "arena_bytes": arena}
    cache.write_text(json.dumps(known))
    return arena


def build_tflm_bench(package: Path, name: str, precision: str, block: int, blocks: int) -> Path:
    """The tflm engine's bench ELF (firmware/app/bench) with the arena measured for the model."""
    arena = measure_arena(package, name, precision)
    defines = {"M7AMP_BENCH_BLOCK": str(block), "M7AMP_BENCH_BLOCKS": str(blocks)}
    return build_tflm_app("bench", package, name, precision, arena_bytes=arena, defines=defines)
