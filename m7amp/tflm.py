"""The tflm engine (issue 7): TensorFlow Lite Micro builds of the engine apps, and where the TFLM tree is.

TFLM is not part of m7amp: the user generates a tree with TFLM's ``create_tflm_tree.py`` (see
docs/tflm.md) and gives its path, with ``--tflm-dir`` or the environment variable ``M7AMP_TFLM_DIR``.
The firmware's CMake turns the package's streaming ``.tflite`` into a C array in the build directory
(firmware/engines/tflm/tflm.cmake); this module passes it the ops to register and the arena size,
which it measures: firmware/app/tflm_probe bisects the smallest arena the model runs in, in the
simulator, and the final build reserves that (+16 bytes for alignment).
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import json
import os
import re
import subprocess
from pathlib import Path

from m7amp.errors import M7Error
from m7amp.memory import DoesNotFitError

ENV_VAR = "M7AMP_TFLM_DIR"
BUILD_ROOT = Path(__file__).resolve().parents[1] / "build"
LIB_CMAKE_FILES = tuple(BUILD_ROOT.parent / p for p in (  # what TFLM's compiled library is made with
    "firmware/engines/tflm/tflm_lib.cmake", "firmware/engines/tflm/lib/CMakeLists.txt",
    "cmake/arm-none-eabi.cmake"))
PROBE_ARENA_BYTES = 336 * 1024  # SRAM1 (368 KB) less 32 KB for the rest of the probe; the probe reserves it
_MARKER = Path("tensorflow") / "lite" / "micro" / "micro_interpreter.h"
# TFLite builtin op names whose MicroMutableOpResolver method is not the plain CamelCase of the name.
_METHOD_EXCEPTIONS = {"CONV_2D": "Conv2D", "DEPTHWISE_CONV_2D": "DepthwiseConv2D"}


class NoStreamModelError(M7Error):
    """The package has no streaming TFLite model of the precision (not exported, or not convertible)."""


class ArenaTooSmallError(DoesNotFitError):
    """The model needs a bigger tensor arena than the probe's (PROBE_ARENA_BYTES): it does not fit."""

    def __init__(self, message: str):
        self.region, self.need, self.size = "arena", PROBE_ARENA_BYTES + 1, PROBE_ARENA_BYTES
        M7Error.__init__(self, message)


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
        raise NoStreamModelError(f"{path} not found: the package has no streaming {kind} TFLite model")
    return path


def resolver_methods(tflite_bytes: bytes) -> list[str]:
    """The ``MicroMutableOpResolver::Add<X>`` names (X) of every op the model uses."""
    from m7amp.export._tflite import tflite_ops

    return [_METHOD_EXCEPTIONS.get(op, "".join(w.capitalize() for w in op.split("_")))
            for op in tflite_ops(tflite_bytes)]


@functools.cache
def _tree_key(tree: Path) -> str:
    """12 hex digits naming what TFLM's compiled library depends on: the tree (where it is and its file
    list with sizes), the library's CMake files (sources and flags) and the compiler version. A new key
    means a new library folder; edits inside the same tree are caught by the build's own dependencies."""
    digest = hashlib.sha256(str(tree).encode())
    for sub in ("tensorflow", "third_party", "signal"):
        for path in sorted((tree / sub).rglob("*")):
            if path.is_file():
                digest.update(f"{path.relative_to(tree)}:{path.stat().st_size}\n".encode())
    for path in LIB_CMAKE_FILES:
        digest.update(path.read_bytes())
    try:
        version = subprocess.run(["arm-none-eabi-g++", "--version"], capture_output=True, text=True).stdout
    except OSError:
        version = ""
    digest.update(version.encode())
    return digest.hexdigest()[:12]


def tree_build_dir(tree: Path | None = None) -> Path:
    """The build folder of a TFLM tree: ``build/tflm/<tree name>-<key>/`` holding ``lib/`` (TFLM compiled
    once), ``fw/`` (the tflm apps: bench, golden, probe) and the measured arenas."""
    tree = tree or tflm_dir()
    return BUILD_ROOT / "tflm" / f"{tree.name}-{_tree_key(tree)}"


def tflm_library(tree: Path | None = None) -> Path:
    """TFLM compiled once per tree, compiler and flags into ``<tree_build_dir>/lib/libm7_tflm.a`` by the
    project firmware/engines/tflm/lib; every firmware build with the tflm engine links that file. Already
    built: only make's up-to-date check runs (about a second)."""
    from m7amp.firmware import REPO, TOOLCHAIN_FILE, _run

    tree = tree or tflm_dir()
    bdir = tree_build_dir(tree) / "lib"
    bdir.mkdir(parents=True, exist_ok=True)
    with open(bdir / ".m7amp-build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (bdir / "CMakeCache.txt").exists():
            _run(["cmake", "-S", str(REPO / "firmware" / "engines" / "tflm" / "lib"), "-B", str(bdir),
                  f"-DCMAKE_TOOLCHAIN_FILE={TOOLCHAIN_FILE}", f"-DM7AMP_TFLM_DIR={tree}"], "TFLM configure")
        jobs = str(min(2, os.cpu_count() or 1))
        _run(["cmake", "--build", str(bdir), "-j", jobs], f"TFLM build from {tree}")
    lib = bdir / "libm7_tflm.a"
    if not lib.is_file():
        raise M7Error(f"TFLM build finished but {lib} is missing")
    return lib


def engine_defines(package: Path, name: str, precision: str, *, arena_bytes: int | None = None,
                   tree: Path | None = None) -> dict[str, str]:
    """The CMake cache entries that make an engine app link the tflm engine for a package's model:
    the tree, TFLM's prebuilt library, the streaming model, its ops and the arena (measured when not
    given)."""
    tree = tree or tflm_dir()
    model = stream_model(package, precision)
    if arena_bytes is None:
        arena_bytes = measure_arena(package, name, precision, tree)
    return {
        "M7AMP_ENGINE": "tflm", "M7AMP_TFLM_DIR": str(tree), "M7AMP_TFLM_LIB": str(tflm_library(tree)),
        "M7AMP_TFLM_MODEL": str(model.resolve()),
        "M7AMP_TFLM_OPS": ";".join(resolver_methods(model.read_bytes())),
        "M7AMP_TFLM_ARENA_BYTES": str(arena_bytes),
    }


def build_tflm_app(
    app: str, package: Path, name: str, precision: str, *, arena_bytes: int | None = None,
    defines: dict[str, str] | None = None, tree: Path | None = None,
) -> Path:
    """Build an engine app (``m7_add_engine_app``) with the tflm engine (arena measured unless given) in
    the tree's ``fw/`` build folder; its ELF."""
    from m7amp.firmware import build_engine_app

    tree = tree or tflm_dir()
    all_defines = {**engine_defines(package, name, precision, arena_bytes=arena_bytes, tree=tree),
                   **(defines or {})}
    return build_engine_app(app, Path(package) / "c", name, precision, defines=all_defines,
                            build_dir=tree_build_dir(tree) / "fw")


def measure_arena(package: Path, name: str, precision: str, tree: Path | None = None) -> int:
    """Arena bytes the model needs with the tflm engine: the smallest arena in which init and one block
    succeed, found by firmware/app/tflm_probe in the simulator (TFLM's arena_used_bytes() alone is too
    small: planning temporaries come on top), +16 for an arena aligned to only 8 bytes. Cached in the
    build directory per model file."""
    from m7amp.sim import Simulator

    tree = tree or tflm_dir()
    model = stream_model(package, precision)
    digest = hashlib.sha256(model.read_bytes()).hexdigest()
    cache = tree_build_dir(tree) / f"arena-{name}_{precision}.json"
    if cache.is_file():
        known = json.loads(cache.read_text())
        if known.get("sha256") == digest:
            return int(known["arena_bytes"])
    elf = build_tflm_app("tflm_probe", package, name, precision, arena_bytes=PROBE_ARENA_BYTES, tree=tree)
    result = Simulator(elf).run(max_cycles=5_000_000_000)
    match = re.search(r"M7AMP TFLM ARENA need=(\d+) used=(\d+)", result.uart)
    if match is None and "M7AMP TFLM ARENA FAIL" in result.uart:
        raise ArenaTooSmallError(f"model {name} ({precision}) with the tflm engine does not fit: it does "
                                 f"not run in the largest arena tried, {PROBE_ARENA_BYTES} bytes")
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
    defines = {"M7AMP_BENCH_BLOCK": str(block), "M7AMP_BENCH_BLOCKS": str(blocks)}
    return build_tflm_app("bench", package, name, precision, defines=defines)
