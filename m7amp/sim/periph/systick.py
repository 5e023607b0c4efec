"""SysTick (ARMv7-M ARM §B3.3), counting virtual core cycles.

CSR.ENABLE starts a 24-bit down-counter clocked by the core clock (CLKSOURCE=1) or the core clock / 8
(CLKSOURCE=0, the STM32's HCLK/8 external reference). It wraps from 0 to RVR: COUNTFLAG is set and, with
TICKINT, exception 15 pends. Wraps are events in the scheduler; CVR is computed from the cycle counter
when read, so no work is done per tick beyond the event itself.
"""

from __future__ import annotations

from m7amp.sim.periph._base import Peripheral
from m7amp.sim.periph.nvic import SYSTICK

CSR, RVR, CVR, CALIB = 0x010, 0x014, 0x018, 0x01C
CSR_ENABLE, CSR_TICKINT, CSR_CLKSOURCE, CSR_COUNTFLAG = 1 << 0, 1 << 1, 1 << 2, 1 << 16


class SysTick(Peripheral):
    """Registers at their offsets from the SCS base 0xE000E000 (CMSIS: CTRL, LOAD, VAL, CALIB)."""

    REGISTERS = {0x010: "CTRL", 0x014: "LOAD", 0x018: "VAL", 0x01C: "CALIB"}  # noqa: RUF012
    RESET = {0x010: CSR_CLKSOURCE, 0x01C: 0x4000_0000 | 26999}  # noqa: RUF012  (no ref skew, TENMS)

    def reset(self) -> None:
        super().reset()
        self._event = None
        self._zero_at = 0  # reference cycle: the counter held _current_at_start then
        self._current_at_start = 0
        self.wraps = 0

    def _divider(self) -> int:
        return 1 if self.regs[CSR] & CSR_CLKSOURCE else 8

    def _period(self) -> int:
        return ((self.regs[RVR] & 0xFFFFFF) + 1) * self._divider()

    def current(self) -> int:
        if not self.regs[CSR] & CSR_ENABLE:
            return self.regs[CVR]
        elapsed = (self.board.cycles - self._zero_at) // self._divider()
        start = self._current_at_start
        if elapsed <= start:
            return start - elapsed
        reload = self.regs[RVR] & 0xFFFFFF
        return reload - ((elapsed - start - 1) % (reload + 1)) if reload else 0

    def _schedule(self, first_wrap_in: int) -> None:
        self.board.scheduler.cancel(self._event)
        self._event = self.board.scheduler.schedule(self.board.cycles + first_wrap_in, "systick", self._wrap)

    def _wrap(self) -> None:
        self.regs[CSR] |= CSR_COUNTFLAG
        self.wraps += 1
        if self.regs[CSR] & CSR_TICKINT:
            self.board.nvic.set_pending(SYSTICK)
        reload = self.regs[RVR] & 0xFFFFFF
        self._zero_at, self._current_at_start = self.board.cycles, 0
        if reload:
            self._event = self.board.scheduler.schedule(
                self.board.cycles + (reload + 1) * self._divider(), "systick", self._wrap)
        else:
            self._event = None  # RVR=0 disables the counter on the next wrap

    def read(self, offset: int) -> int:
        if offset == CSR:
            value = self.regs[CSR]
            self.regs[CSR] &= ~CSR_COUNTFLAG  # cleared by reading
            return value
        if offset == CVR:
            return self.current()
        return self.regs[offset]

    def debug_read(self, offset: int) -> int:
        if offset == CSR:
            return self.regs[CSR]  # a debugger's read leaves COUNTFLAG set
        return self.read(offset)

    def write(self, offset: int, value: int, mask: int) -> None:
        new = self.merge(offset, value, mask)
        if offset == CVR:  # any write clears the counter and COUNTFLAG
            self.regs[CVR] = 0
            self.regs[CSR] &= ~CSR_COUNTFLAG
            if self.regs[CSR] & CSR_ENABLE:
                self._zero_at, self._current_at_start = self.board.cycles, 0
                self._schedule(self._period())
            return
        if offset == RVR:
            self.regs[RVR] = new & 0xFFFFFF
            return
        if offset == CSR:
            was = self.regs[CSR] & CSR_ENABLE
            current = self.current()
            self.regs[CSR] = (new & 0x7) | (self.regs[CSR] & CSR_COUNTFLAG)
            if self.regs[CSR] & CSR_ENABLE and not was:
                self._zero_at, self._current_at_start = self.board.cycles, current
                # from CVR it takes CVR ticks to reach 0; from 0 one tick reloads RVR, then RVR ticks
                self._schedule(current * self._divider() if current else self._period())
            elif not self.regs[CSR] & CSR_ENABLE and was:
                self.regs[CVR] = current
                self.board.scheduler.cancel(self._event)
                self._event = None
            return
        if offset == CALIB:
            self.board.warn("systick: write to read-only CALIB ignored")
            return
        self.regs[offset] = new
