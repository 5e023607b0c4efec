"""Build the STM32F767 firmware (CMake + arm-none-eabi-gcc): :func:`build` (CLI: m7amp/commands/build.py).

The build directory (default ``build/fw``) is configured once with ``cmake/arm-none-eabi.cmake`` and
then rebuilt incrementally, one app target at a time. Output is captured; a failure raises
:class:`~m7amp.errors.M7Error` carrying the compiler's error lines.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
from pathlib import Path

from m7amp.errors import M7Error

REPO = Path(__file__).resolve().parents[1]
DEFAULT_BUILD_DIR = REPO / "build" / "fw"
TOOLCHAIN_FILE = REPO / "cmake" / "arm-none-eabi.cmake"
_ERROR_TAIL_LINES = 25


def apps() -> list[str]:
    """The firmware apps: every ``firmware/app/<name>/main.c``."""
    app_dir = REPO / "firmware" / "app"
    return sorted(p.parent.name for p in app_dir.glob("*/main.c"))


def elf_path(app: str, build_dir: Path | None = None) -> Path:
    """Where the build puts ``<app>.elf`` (with ``<app>.map`` beside it)."""
    return Path(build_dir or DEFAULT_BUILD_DIR) / "firmware" / "app" / app / f"{app}.elf"


def _run(cmd: list[str], what: str) -> None:
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
    if proc.returncode != 0:
        from m7amp.memory import region_overflow_error

        overflow = region_overflow_error(proc.stdout + proc.stderr, what)  # one clear line, not the log
        if overflow is not None:
            raise overflow
        lines = (proc.stdout + proc.stderr).splitlines()
        # Compiler/linker diagnostics first; else the tail of everything.
        errors = [ln for ln in lines if "error" in ln.lower() or "undefined reference" in ln]
        tail = (errors or lines)[-_ERROR_TAIL_LINES:]
        raise M7Error(f"{what} failed (exit {proc.returncode}):\n" + "\n".join(tail))


def build(
    app: str = "selftest", *, build_dir: Path | None = None, defines: dict[str, str] | None = None
) -> Path:
    """Configure (if needed) and build one firmware app; return the path of its ELF.

    ``defines`` are CMake cache entries (``-DKEY=VALUE``); giving any re-runs the configure step.
    Concurrent calls on the same build directory are serialised with a lock file.
    """
    known = apps()
    if app not in known:
        raise M7Error(f"unknown firmware app {app!r}; known: {', '.join(known)}")
    for tool in ("cmake", "arm-none-eabi-gcc"):
        if shutil.which(tool) is None:
            raise M7Error(f"{tool} not found: run `make test` (scripts/setup.sh installs the toolchain)")
    bdir = Path(build_dir or DEFAULT_BUILD_DIR).resolve()
    bdir.mkdir(parents=True, exist_ok=True)
    with open(bdir / ".m7amp-build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (bdir / "CMakeCache.txt").exists() or defines:
            cmd = ["cmake", "-S", str(REPO), "-B", str(bdir), f"-DCMAKE_TOOLCHAIN_FILE={TOOLCHAIN_FILE}"]
            cmd += [f"-D{key}={value}" for key, value in (defines or {}).items()]
            _run(cmd, "firmware configure")
        jobs = str(min(2, os.cpu_count() or 1))
        _run(["cmake", "--build", str(bdir), "--target", app, "-j", jobs], f"firmware build of {app}")
    elf = elf_path(app, bdir)
    if not elf.is_file():
        raise M7Error(f"build of {app} finished but {elf} is missing")
    return elf


def elf_size(elf: Path) -> dict[str, int]:
    """Berkeley-style sizes of an ELF: text (code + constants), data (initialised RAM), bss (zeroed
    RAM, including the stack reservation); flash = text + data."""
    from elftools.elf.constants import SH_FLAGS
    from elftools.elf.elffile import ELFFile

    sizes = {"text": 0, "data": 0, "bss": 0}
    with open(elf, "rb") as f:
        for sec in ELFFile(f).iter_sections():
            flags = sec["sh_flags"]
            if not flags & SH_FLAGS.SHF_ALLOC:
                continue
            if sec["sh_type"] == "SHT_NOBITS":
                sizes["bss"] += sec["sh_size"]
            elif flags & SH_FLAGS.SHF_WRITE:
                sizes["data"] += sec["sh_size"]
            else:
                sizes["text"] += sec["sh_size"]
    sizes["flash"] = sizes["text"] + sizes["data"]
    return sizes


def build_engine_app(
    app: str, model_dir: Path, name: str, precision: str, *, defines: dict[str, str] | None = None,
    build_dir: Path | None = None,
) -> Path:
    """Build an engine app (one declared with ``m7_add_engine_app`` in firmware/CMakeLists.txt) for one
    exported model and precision; return its ELF.

    ``model_dir`` is a package's ``c/`` folder holding ``<name>_<precision>.c/.h``; ``defines`` are the
    app's own CMake cache entries. Each app, model and precision gets its own build directory (default
    ``build/<app>/<name>_<precision>``), so switching between them does not rebuild everything.
    """
    if precision not in ("f32", "q15"):
        raise M7Error(f"precision must be f32 or q15, got {precision!r}")
    model_dir = Path(model_dir).resolve()
    if not (model_dir / f"{name}_{precision}.c").is_file():
        raise M7Error(f"{model_dir / f'{name}_{precision}.c'} not found: not an exported {precision} package")
    meta = model_dir.parent / "metadata.json"
    if meta.is_file():  # refuse a model that cannot fit before compiling it
        from m7amp.memory import check_package_fits

        check_package_fits(json.loads(meta.read_text()), precision)
    all_defines = {
        "M7AMP_MODEL_DIR": str(model_dir), "M7AMP_MODEL_NAME": name, "M7AMP_MODEL_PRECISION": precision,
        **(defines or {}),
    }
    bdir = Path(build_dir) if build_dir else REPO / "build" / app / f"{name}_{precision}"
    from m7amp.memory import DoesNotFitError

    try:
        return build(app, build_dir=bdir, defines=all_defines)
    except DoesNotFitError as err:  # name the model, not only the app
        what = f"model {name} ({precision}) in {app}"
        raise DoesNotFitError(what, err.region, err.need, err.size) from None


def build_bench(
    model_dir: Path, name: str, precision: str, *, block: int = 32, blocks: int = 64,
    build_dir: Path | None = None, cab_dir: Path | None = None, placement: str = "tcm",
) -> Path:
    """Build the ``bench`` app (firmware/app/bench) for one exported model and precision; return its ELF.
    ``cab_dir``: a folder of generated cabinet IR sources (m7amp/cab.py) timed after the engine.
    ``placement``: "tcm" (the design) or "flash" (kernels in flash, state and scratch in SRAM1; built in
    its own directory, for `m7amp bench placement`)."""
    if block < 1 or blocks < 1:
        raise M7Error("block and blocks must be at least 1")
    if placement not in ("tcm", "flash"):
        raise M7Error(f"placement must be tcm or flash, got {placement!r}")
    defines = {"M7AMP_BENCH_BLOCK": str(block), "M7AMP_BENCH_BLOCKS": str(blocks),
               "M7AMP_CAB_DIR": str(cab_dir or ""), "M7AMP_ENGINE_PLACEMENT": placement}
    if placement != "tcm" and build_dir is None:
        build_dir = REPO / "build" / "bench" / f"{name}_{precision}_{placement}"
    return build_engine_app("bench", model_dir, name, precision, defines=defines, build_dir=build_dir)
