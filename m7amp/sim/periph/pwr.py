"""PWR (RM0410 §4.4): voltage scaling and over-drive, needed for 216 MHz.

Writes are ignored (and reported) while RCC_APB1ENR.PWREN is clear, as on the chip. Over-drive:
CR1.ODEN -> CSR1.ODRDY and CR1.ODSWEN -> CSR1.ODSWRDY after a short virtual delay; VOSRDY follows VOS.
"""

from __future__ import annotations

from m7amp.sim.periph import rcc
from m7amp.sim.periph._base import Peripheral

CR1, CSR1 = 0x00, 0x04
CR1_ODEN, CR1_ODSWEN = 1 << 16, 1 << 17
CSR1_VOSRDY, CSR1_ODRDY, CSR1_ODSWRDY = 1 << 14, 1 << 16, 1 << 17
OD_READY_DELAY = 512  # core cycles


class Pwr(Peripheral):
    REGISTERS = {0x00: "CR1", 0x04: "CSR1", 0x08: "CR2", 0x0C: "CSR2"}  # noqa: RUF012
    RESET = {0x00: 0x0000_C000, 0x04: CSR1_VOSRDY}  # noqa: RUF012
    READ_ONLY = frozenset({CSR1})

    def write(self, offset: int, value: int, mask: int) -> None:
        rcc_model = self.board.rcc
        if rcc_model is not None and not rcc_model.regs[rcc.APB1ENR] & rcc.APB1ENR_PWREN:
            self.board.warn("pwr: write ignored because RCC_APB1ENR.PWREN is clear")
            return
        if offset != CR1:
            super().write(offset, value, mask)
            return
        old = self.regs[CR1]
        new = self.merge(offset, value, mask)
        self.regs[CR1] = new
        sched = self.board.scheduler
        if new & CR1_ODEN and not old & CR1_ODEN:
            sched.schedule(self.board.cycles + OD_READY_DELAY, "pwr.odrdy", lambda: self._set(CSR1_ODRDY))
        if new & CR1_ODSWEN and not old & CR1_ODSWEN:
            if not self.regs[CSR1] & CSR1_ODRDY:
                self.board.warn("pwr: ODSWEN set before ODRDY")
            sched.schedule(self.board.cycles + OD_READY_DELAY, "pwr.odswrdy", lambda: self._set(CSR1_ODSWRDY))
        if not new & CR1_ODEN:
            self.regs[CSR1] &= ~(CSR1_ODRDY | CSR1_ODSWRDY)

    def _set(self, bits: int) -> None:
        self.regs[CSR1] |= bits

    @property
    def overdrive(self) -> bool:
        return bool(self.regs[CSR1] & CSR1_ODSWRDY)
