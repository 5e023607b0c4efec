"""Base class of the peripheral models: a register file addressed by RM0410 register names.

Each model lists its registers as ``REGISTERS = {offset: "NAME"}`` (offsets from its base address, as in
RM0410 / stm32f767xx.h) and ``RESET = {offset: value}``. The bus (m7amp/sim/_bus.py) routes every
32-bit-aligned access to the model owning that word, handles byte and halfword lanes, traces accesses by
register name and reports accesses to words no model owns.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from m7amp.sim._simulator import Simulator


class Peripheral:
    """A memory-mapped peripheral: plain read/write registers unless a subclass overrides them."""

    REGISTERS: ClassVar[dict[int, str]] = {}
    RESET: ClassVar[dict[int, int]] = {}
    READ_ONLY: ClassVar[frozenset[int]] = frozenset()

    def __init__(self, board: Simulator, name: str, base: int, size: int | None = None):
        self.board = board
        self.name = name
        self.base = base
        self.size = size
        self.regs: dict[int, int] = {}
        self.reset()

    def reset(self) -> None:
        self.regs = {off: self.RESET.get(off, 0) for off in self.REGISTERS}

    def register_name(self, offset: int) -> str:
        return self.REGISTERS.get(offset, f"+0x{offset:03x}")

    def read(self, offset: int) -> int:
        """Value of the 32-bit register at ``offset`` (side effects allowed, e.g. clearing flags)."""
        return self.regs.get(offset, 0)

    def debug_read(self, offset: int) -> int:
        """A debugger's read (gdb ``x``): as ``read`` unless the chip has no side effect on debug reads,
        in which case the model overrides this (docs/debugging.md lists them)."""
        return self.read(offset)

    def write(self, offset: int, value: int, mask: int) -> None:
        """Write the byte lanes in ``mask`` of the register at ``offset``."""
        if offset in self.READ_ONLY:
            self.board.warn(f"{self.name}: write to read-only {self.register_name(offset)} ignored")
            return
        self.regs[offset] = (self.regs.get(offset, 0) & ~mask) | (value & mask)

    def merge(self, offset: int, value: int, mask: int) -> int:
        """The register's new value after writing ``value`` into the lanes of ``mask``."""
        return (self.regs.get(offset, 0) & ~mask) | (value & mask)


class Tag(Peripheral):
    """A peripheral present on the chip but not modelled: reads 0, writes are reported as warnings."""

    def debug_read(self, offset: int) -> int:
        return 0  # no warning: a debugger dumping memory is not the firmware misbehaving

    def read(self, offset: int) -> int:
        self.board.warn(f"{self.name}: read of unmodelled register +0x{offset:03x} (reads 0)")
        return 0

    def write(self, offset: int, value: int, mask: int) -> None:
        self.board.warn(f"{self.name}: write of 0x{value & mask:08x} to unmodelled register +0x{offset:03x}")


class Registers(Peripheral):
    """A plain register file (reads back what was written) for blocks with no behaviour to model."""

    def read(self, offset: int) -> int:
        return self.regs.get(offset, 0)
