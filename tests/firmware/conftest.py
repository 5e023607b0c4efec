"""Fixtures for the firmware tests: the target ELFs (built once per session into build/fw, the same
incremental build `m7amp build` uses) and the host build of the pure-C modules."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests._skips import REPO


@pytest.fixture(scope="session")
def firmware_elf():
    """Returns a function app -> Path of its freshly built ELF (build errors fail the test)."""
    from m7amp.firmware import build

    cache: dict[str, Path] = {}

    def get(app: str) -> Path:
        if app not in cache:
            cache[app] = build(app)
        return cache[app]

    return get


@pytest.fixture(scope="session")
def host_lib(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The host shared library of the formatter, from the top-level CMakeLists' host configuration."""
    if shutil.which("cmake") is None:
        pytest.skip("cmake not installed")
    bdir = tmp_path_factory.mktemp("host-build")
    for cmd in (["cmake", "-S", str(REPO), "-B", str(bdir)],
                ["cmake", "--build", str(bdir), "--target", "m7print_host"]):
        proc = subprocess.run(cmd, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stdout + proc.stderr
    libs = list(bdir.glob("libm7print.*"))
    assert libs, f"no libm7print in {bdir}"
    return libs[0]
