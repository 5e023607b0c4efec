"""GPIO port (RM0410 §6.4): configuration registers read back; BSRR sets/resets ODR bits.

Pins are not connected to anything in the simulator; IDR reads the output value of output pins.
"""

from __future__ import annotations

from m7amp.sim.periph._base import Peripheral

MODER, OTYPER, OSPEEDR, PUPDR, IDR, ODR, BSRR, LCKR, AFRL, AFRH = (
    0x00, 0x04, 0x08, 0x0C, 0x10, 0x14, 0x18, 0x1C, 0x20, 0x24)


class Gpio(Peripheral):
    REGISTERS = {  # noqa: RUF012
        0x00: "MODER", 0x04: "OTYPER", 0x08: "OSPEEDR", 0x0C: "PUPDR", 0x10: "IDR", 0x14: "ODR",
        0x18: "BSRR", 0x1C: "LCKR", 0x20: "AFRL", 0x24: "AFRH",
    }

    def read(self, offset: int) -> int:
        if offset == BSRR:
            return 0
        if offset == IDR:
            return self.regs[ODR]
        return self.regs[offset]

    def write(self, offset: int, value: int, mask: int) -> None:
        if offset == BSRR:
            value &= mask
            self.regs[ODR] = (self.regs[ODR] | (value & 0xFFFF)) & ~((value >> 16) & ~value & 0xFFFF)
        elif offset == IDR:
            self.board.warn(f"{self.name}: write to read-only IDR ignored")
        else:
            super().write(offset, value, mask)
