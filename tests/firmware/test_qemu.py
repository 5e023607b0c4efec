"""Independent check of the CPU/NVIC-level firmware on QEMU (mps2-an500, Cortex-M7): the real irqtest
and faulttest apps, startup, SysTick, fault handlers and formatter, with the STM32 peripherals
replaced by semihosting (tests/firmware/qemu/). QEMU's NVIC, FP lazy stacking and fault model are a
second opinion next to the project's simulator."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

from tests._skips import REPO, requires_arm_gcc, requires_qemu

pytestmark = [requires_arm_gcc, requires_qemu]

BOARD = REPO / "firmware" / "board"
QEMU_DIR = Path(__file__).with_name("qemu")
CFLAGS = ["-mcpu=cortex-m7", "-mthumb", "-mfpu=fpv5-d16", "-mfloat-abi=hard", "-std=c11", "-O2", "-g",
          "-Wall", "-Wextra", "-Werror", "-ffunction-sections", "-fdata-sections",
          "-DM7AMP_VERSION=\"qemu\"", f"-I{BOARD}", f"-I{REPO / 'firmware' / 'cmsis'}"]
LDFLAGS = ["--specs=nano.specs", "-nostartfiles", "-Wl,--gc-sections", f"-T{QEMU_DIR / 'mps2_an500.ld'}",
           f"-L{BOARD}"]
BOARD_SOURCES = [BOARD / n for n in ("startup.c", "systick.c", "faults.c", "mpu.c", "fpu.c", "m7_print.c")]


def build_for_qemu(app: str, out: Path, *defines: str) -> Path:
    sources = [*BOARD_SOURCES, QEMU_DIR / "qemu_board.c", REPO / "firmware" / "app" / app / "main.c"]
    cmd = ["arm-none-eabi-gcc", *CFLAGS, *defines, *LDFLAGS, *map(str, sources), "-o", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return out


def run_qemu(elf: Path) -> tuple[int, str]:
    proc = subprocess.run(
        ["qemu-system-arm", "-M", "mps2-an500", "-cpu", "cortex-m7", "-nographic", "-monitor", "none",
         "-serial", "none", "-semihosting", "-icount", "shift=0,sleep=off", "-kernel", str(elf)],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    return proc.returncode, proc.stdout + proc.stderr  # QEMU writes semihosting output to stderr


def function_range(elf: Path, name: str) -> range:
    with open(elf, "rb") as f:
        sym = next(s for s in ELFFile(f).get_section_by_name(".symtab").iter_symbols() if s.name == name)
    start = sym["st_value"] & ~1
    return range(start, start + sym["st_size"])


def test_irqtest_passes_on_qemu(tmp_path):
    status, out = run_qemu(build_for_qemu("irqtest", tmp_path / "irqtest.elf"))
    assert "M7AMP IRQTEST PASS" in out.splitlines(), out
    assert "FAIL" not in out
    assert status == 0


@pytest.mark.parametrize("key, kind, cfsr_bit, function", [
    ("i", "UsageFault", "UNDEFINSTR", "fault_undefined"),
    ("z", "UsageFault", "DIVBYZERO", "fault_div_by_zero"),
    ("x", "UsageFault", "INVPC", None),
    ("s", "MemManage", "DACCVIOL", None),
])
def test_fault_handlers_report_on_qemu(tmp_path, key, kind, cfsr_bit, function):
    elf = build_for_qemu("faulttest", tmp_path / f"faulttest_{key}.elf", f"-DQEMU_UART_INPUT='{key}'")
    status, out = run_qemu(elf)
    assert status == 3, out  # m7_exit(M7_EXIT_FAULT)
    assert f"M7AMP FAULT {kind}" in out.splitlines(), out
    cfsr_line = next(ln for ln in out.splitlines() if ln.strip().startswith("CFSR"))
    assert cfsr_bit in cfsr_line.split()
    if function:  # precise faults: the stacked PC is inside the named function
        pc = int(next(ln for ln in out.splitlines() if ln.strip().startswith("PC")).split()[1], 16)
        assert pc in function_range(elf, function)
    if key == "s":  # the MPU guard caught the overflow; the handler ran on its own stack
        assert "MMFAR 0x2000001c" in out  # the top word of the 32-byte guard
        assert "stack overflow" in out
