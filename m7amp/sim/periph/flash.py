"""FLASH interface registers (RM0410 §3.7): ACR wait states and accelerators, the CR lock sequence.

ACR reads back what was written (LATENCY, PRFTEN, ARTEN) so firmware can verify it. CR starts locked;
the KEYR sequence 0x45670123, 0xCDEF89AB unlocks it, CR.LOCK relocks. Programming and erasing are not
modelled (writes to flash memory stop the run as a fault).
"""

from __future__ import annotations

from m7amp.sim.periph._base import Peripheral

ACR, KEYR, OPTKEYR, SR, CR, OPTCR = 0x00, 0x04, 0x08, 0x0C, 0x10, 0x14
KEY1, KEY2 = 0x4567_0123, 0xCDEF_89AB
CR_LOCK = 1 << 31


class FlashInterface(Peripheral):
    REGISTERS = {  # noqa: RUF012
        0x00: "ACR", 0x04: "KEYR", 0x08: "OPTKEYR", 0x0C: "SR", 0x10: "CR", 0x14: "OPTCR", 0x18: "OPTCR1",
    }
    RESET = {0x10: CR_LOCK, 0x14: 0xC0FF_AAFD, 0x18: 0x0040_0080}  # noqa: RUF012

    def reset(self) -> None:
        super().reset()
        self._key_step = 0

    @property
    def latency(self) -> int:
        return self.regs[ACR] & 0xF

    def read(self, offset: int) -> int:
        if offset in (KEYR, OPTKEYR):
            return 0  # write-only
        return self.regs[offset]

    def write(self, offset: int, value: int, mask: int) -> None:
        if offset == ACR:
            new = self.merge(offset, value, mask)
            self.regs[ACR] = new & 0x0000_0B0F
            if new & (1 << 11):  # ARTRST
                self.board.invalidate_art()
            self.board.memory_config_changed()
        elif offset == KEYR:
            if self._key_step == 0 and value == KEY1:
                self._key_step = 1
            elif self._key_step == 1 and value == KEY2:
                self.regs[CR] &= ~CR_LOCK
                self._key_step = 0
            else:
                self.board.warn("flash: wrong KEYR sequence")
                self._key_step = 0
        elif offset == CR:
            if self.regs[CR] & CR_LOCK:
                self.board.warn("flash: write to CR while locked ignored")
                return
            self.regs[CR] = self.merge(offset, value, mask)
        elif offset == SR:
            self.regs[SR] &= ~(value & mask)  # write 1 to clear
        else:
            super().write(offset, value, mask)
