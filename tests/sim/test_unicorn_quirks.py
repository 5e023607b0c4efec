"""Regression tests for the unicorn 2.1.4 behaviours the simulator is built on (DESIGN.md §5).

If unicorn is upgraded and one of these changes, the simulator's run loop must be revisited: each test
names the part that depends on it.
"""

from __future__ import annotations

import math
import struct
from pathlib import Path

import pytest
from unicorn import (
    UC_ARCH_ARM,
    UC_ERR_INSN_INVALID,
    UC_HOOK_BLOCK,
    UC_HOOK_INTR,
    UC_MODE_MCLASS,
    UC_MODE_THUMB,
    Uc,
    UcError,
)
from unicorn import arm_const as arm

from tests._skips import requires_arm_gcc
from tests.sim.conftest import assemble

pytestmark = requires_arm_gcc
FLASH, RAM = 0x0800_0000, 0x2000_0000


def make_cpu(code: bytes, mode: int = UC_MODE_THUMB, m7: bool = True) -> Uc:
    uc = Uc(UC_ARCH_ARM, mode)
    if m7:
        uc.ctl_set_cpu_model(arm.UC_CPU_ARM_CORTEX_M7)
    uc.mem_map(FLASH, 0x10000)
    uc.mem_write(FLASH, code)
    uc.mem_map(RAM, 0x10000)
    uc.reg_write(arm.UC_ARM_REG_SP, RAM + 0x8000)
    return uc


FP64_AND_DSP = """
    ldr r0, =0x20000000
    vldr d0, [r0]        @ 1.5
    vldr d1, [r0, #8]    @ 2.25
    vldr d2, [r0, #16]   @ 10.0
    vfma.f64 d2, d0, d1  @ 10 + 1.5*2.25
    vdiv.f64 d3, d2, d1
    vsqrt.f64 d4, d2
    ldr r1, =0x00030002  @ halfwords (2, 3)
    ldr r2, =0x00050004  @ halfwords (4, 5)
    movs r3, #7
    smlad r4, r1, r2, r3 @ 2*4 + 3*5 + 7 = 30
    vstr d2, [r0, #24]
    vstr d3, [r0, #32]
    vstr d4, [r0, #40]
    wfi
"""


def test_thumb_with_cortex_m7_model_runs_fp64_and_dsp(tmp_path: Path) -> None:
    """The simulator opens unicorn with UC_MODE_THUMB + ctl_set_cpu_model(CORTEX_M7) (Simulator._build)."""
    code, _ = assemble(FP64_AND_DSP, tmp_path, "fp64")
    uc = make_cpu(code)
    uc.mem_write(RAM, struct.pack("<3d", 1.5, 2.25, 10.0))
    uc.emu_start(FLASH | 1, FLASH + len(code))
    fma, div, sqrt = struct.unpack("<3d", uc.mem_read(RAM + 24, 24))
    assert fma == 10.0 + 1.5 * 2.25
    assert div == fma / 2.25
    assert sqrt == math.sqrt(fma)
    assert uc.reg_read(arm.UC_ARM_REG_R4) == 30


def test_mclass_mode_has_no_double_precision(tmp_path: Path) -> None:
    """UC_MODE_MCLASS silently gives a Cortex-M33 without FP64: why the simulator does not use it."""
    code, _ = assemble(FP64_AND_DSP, tmp_path, "fp64m")
    uc = make_cpu(code, UC_MODE_THUMB | UC_MODE_MCLASS, m7=False)
    uc.mem_write(RAM, struct.pack("<3d", 1.5, 2.25, 10.0))
    uc.hook_add(UC_HOOK_INTR, lambda uc, intno, ud: uc.emu_stop())
    try:
        uc.emu_start(FLASH | 1, FLASH + len(code))
        fma = struct.unpack("<d", uc.mem_read(RAM + 24, 8))[0]
    except UcError as err:
        assert err.errno == UC_ERR_INSN_INVALID
        return
    assert fma != 10.0 + 1.5 * 2.25, "MCLASS now executes FP64: the cpu-model workaround may be dropped"


def test_wfi_returns_from_emu_start(tmp_path: Path) -> None:
    """The run loop detects WFI by emu_start returning right after it (Simulator._after_wfi)."""
    code, _ = assemble("movs r0, #1\n wfi\n movs r0, #2\n b .", tmp_path, "wfi")
    uc = make_cpu(code)
    uc.emu_start(FLASH | 1, FLASH + 0x100)
    assert uc.reg_read(arm.UC_ARM_REG_PC) == FLASH + 4
    assert uc.reg_read(arm.UC_ARM_REG_R0) == 1


def test_bx_to_exc_return_arrives_as_interrupt_3(tmp_path: Path) -> None:
    """Exception return is done by the model: unicorn reports the bx as interrupt 3 with bit 0 lost."""
    code, _ = assemble("ldr r0, =0xFFFFFFF9\n bx r0", tmp_path, "excret")
    uc = make_cpu(code)
    uc.reg_write(arm.UC_ARM_REG_IPSR, 15)  # in a handler, as the simulator sets it on exception entry
    seen: list[tuple[int, int]] = []

    def on_intr(uc: Uc, intno: int, _: object) -> None:
        seen.append((intno, uc.reg_read(arm.UC_ARM_REG_PC)))
        uc.emu_stop()

    uc.hook_add(UC_HOOK_INTR, on_intr)
    uc.emu_start(FLASH | 1, FLASH + 0x100)
    assert seen == [(3, 0xFFFF_FFF8)]


def test_mmio_callback_sees_block_start_pc(tmp_path: Path) -> None:
    """MMIO traces show the PC of the block start, not of the access (documented in _bus.py)."""
    code, _ = assemble("movs r1, #0\n movs r2, #0\n ldr r0, =0x40000000\n ldr r3, [r0]\n wfi",
                       tmp_path, "mmio")
    uc = make_cpu(code)
    pcs: list[int] = []
    uc.mmio_map(0x4000_0000, 0x400, lambda uc, off, size, ud: pcs.append(uc.reg_read(arm.UC_ARM_REG_PC)) or 7,
                None, None, None)
    uc.emu_start(FLASH | 1, FLASH + 0x100)
    assert pcs == [FLASH]
    assert uc.reg_read(arm.UC_ARM_REG_R3) == 7


def test_emu_stop_in_mmio_write_reexecutes_the_store(tmp_path: Path) -> None:
    """Why Simulator.request_stop never calls emu_stop from MMIO callbacks: the store would run twice."""
    code, _ = assemble("ldr r0, =0x40000000\n movs r1, #5\n str r1, [r0]\n movs r2, #1\n wfi", tmp_path, "st")
    uc = make_cpu(code)
    writes: list[int] = []

    def on_write(uc: Uc, off: int, size: int, value: int, ud: object) -> None:
        writes.append(value)
        if len(writes) == 1:
            uc.emu_stop()

    uc.mmio_map(0x4000_0000, 0x400, None, None, on_write, None)
    uc.emu_start(FLASH | 1, FLASH + 0x100)
    pc = uc.reg_read(arm.UC_ARM_REG_PC)
    assert pc == FLASH + 6  # stopped ON the store
    uc.emu_start(pc | 1, FLASH + 0x100)
    assert writes == [5, 5]


def test_emu_stop_in_block_hook_prevents_the_block(tmp_path: Path) -> None:
    """The C block hook decides to stop before counting a block (m7amp/sim/_blockhook.c)."""
    code, _ = assemble("movs r0, #1\n b 1f\n1:\n movs r0, #2\n wfi", tmp_path, "blk")
    uc = make_cpu(code)
    blocks: list[int] = []

    def on_block(uc: Uc, address: int, size: int, ud: object) -> None:
        blocks.append(address)
        if len(blocks) == 2:
            uc.emu_stop()

    uc.hook_add(UC_HOOK_BLOCK, on_block)
    uc.emu_start(FLASH | 1, FLASH + 0x100)
    assert uc.reg_read(arm.UC_ARM_REG_PC) == blocks[1]
    assert uc.reg_read(arm.UC_ARM_REG_R0) == 1


def test_udiv_by_zero_returns_zero_without_trap(tmp_path: Path) -> None:
    """unicorn ignores CCR.DIV_0_TRP: the simulator hooks SDIV/UDIV itself when the bit is set."""
    code, _ = assemble("movs r1, #5\n movs r2, #0\n movs r3, #9\n udiv r3, r1, r2\n wfi", tmp_path, "div")
    uc = make_cpu(code)
    uc.emu_start(FLASH | 1, FLASH + 0x100)
    assert uc.reg_read(arm.UC_ARM_REG_R3) == 0


def test_control_fpca_is_tracked(tmp_path: Path) -> None:
    """CONTROL.FPCA is set by the first FP instruction and can be cleared: the FP frame relies on it."""
    code, _ = assemble("vmov s0, r1\n wfi\n vmov s1, r1\n wfi", tmp_path, "fpca")
    uc = make_cpu(code)
    assert uc.reg_read(arm.UC_ARM_REG_CONTROL) & 4 == 0
    uc.emu_start(FLASH | 1, FLASH + 0x100)
    assert uc.reg_read(arm.UC_ARM_REG_CONTROL) & 4
    uc.reg_write(arm.UC_ARM_REG_CONTROL, 0)
    assert uc.reg_read(arm.UC_ARM_REG_CONTROL) & 4 == 0
    uc.emu_start(uc.reg_read(arm.UC_ARM_REG_PC) | 1, FLASH + 0x100)
    assert uc.reg_read(arm.UC_ARM_REG_CONTROL) & 4


def test_semihosting_bkpt_arrives_as_interrupt_7_at_the_bkpt(tmp_path: Path) -> None:
    """Semihosting: the run loop reads the BKPT immediate at the reported PC and steps over it."""
    code, _ = assemble("movs r0, #0x18\n bkpt 0xab\n wfi", tmp_path, "bkpt")
    uc = make_cpu(code)
    seen: list[tuple[int, int]] = []

    def on_intr(uc: Uc, intno: int, _: object) -> None:
        seen.append((intno, uc.reg_read(arm.UC_ARM_REG_PC)))
        uc.emu_stop()

    uc.hook_add(UC_HOOK_INTR, on_intr)
    uc.emu_start(FLASH | 1, FLASH + 0x100)
    assert seen == [(7, FLASH + 2)]


@pytest.mark.parametrize("ipsr", [0, 11])
def test_ipsr_is_writable(tmp_path: Path, ipsr: int) -> None:
    """Exception entry writes IPSR directly; firmware reading IPSR (MRS) sees it."""
    code, _ = assemble("mrs r7, ipsr\n wfi", tmp_path, f"ipsr{ipsr}")
    uc = make_cpu(code)
    uc.reg_write(arm.UC_ARM_REG_IPSR, ipsr)
    uc.emu_start(FLASH | 1, FLASH + 0x100)
    assert uc.reg_read(arm.UC_ARM_REG_R7) == ipsr
