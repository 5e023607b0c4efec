"""Shared fixtures for the simulator tests: small programs built at test time from tests/sim/fixtures."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

FIXTURES = Path(__file__).with_name("fixtures")


@pytest.fixture(scope="session")
def build_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("sim-fixtures")


@pytest.fixture(scope="session")
def fixture_elf(build_dir: Path) -> Callable[..., Path]:
    """Build tests/sim/fixtures/<name>.c with the simulator's workload board support (cached)."""
    from m7amp.sim import build_workload

    def build(name: str, **defines: object) -> Path:
        return build_workload([FIXTURES / f"{name}.c"], build_dir,
                              defines={k: str(v) for k, v in defines.items()})

    return build


def assemble(source: str, out_dir: Path, name: str, *, address: int = 0x0800_0000) -> tuple[bytes, Path]:
    """Assemble a Thumb snippet for the Cortex-M7 at ``address``; return (flat code, ELF path)."""
    gcc = shutil.which("arm-none-eabi-gcc")
    assert gcc is not None
    src = out_dir / f"{name}.S"
    src.write_text(".syntax unified\n.thumb\n.global _start\n_start:\n" + source + "\n")
    elf = out_dir / f"{name}.elf"
    subprocess.run([gcc, "-mcpu=cortex-m7", "-mfpu=fpv5-d16", "-mfloat-abi=hard", "-nostdlib",
                    f"-Wl,-Ttext=0x{address:x}", "-Wl,-e,_start", str(src), "-o", str(elf)], check=True)
    binary = out_dir / f"{name}.bin"
    subprocess.run([gcc.replace("gcc", "objcopy"), "-O", "binary", "-j", ".text", str(elf), str(binary)],
                   check=True)
    return binary.read_bytes(), elf
