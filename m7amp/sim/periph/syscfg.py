"""SYSCFG (RM0410 §7.2): memory remap, PHY interface, EXTI routing and compensation cell, read back."""

from __future__ import annotations

from m7amp.sim.periph._base import Peripheral


class Syscfg(Peripheral):
    REGISTERS = {  # noqa: RUF012
        0x00: "MEMRMP", 0x04: "PMC", 0x08: "EXTICR1", 0x0C: "EXTICR2", 0x10: "EXTICR3", 0x14: "EXTICR4",
        0x1C: "CBR", 0x20: "CMPCR",
    }

    def write(self, offset: int, value: int, mask: int) -> None:
        super().write(offset, value, mask)
        if offset == 0x20 and self.regs[0x20] & 1:
            self.regs[0x20] |= 1 << 8  # CMP_PD -> READY at once
