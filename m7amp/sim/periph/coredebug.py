"""CoreDebug (ARMv7-M ARM §C1.6): DHCSR with C_DEBUGEN=1 (the simulator acts as the attached debugger,
so firmware uses semihosting to exit) and DEMCR (TRCENA gates the DWT cycle counter)."""

from __future__ import annotations

from m7amp.sim.periph._base import Peripheral

DHCSR, DCRSR, DCRDR, DEMCR = 0xDF0, 0xDF4, 0xDF8, 0xDFC
DHCSR_C_DEBUGEN = 1 << 0
DHCSR_S_REGRDY = 1 << 16
DEMCR_TRCENA = 1 << 24


class CoreDebug(Peripheral):
    """Registers at their offsets from the SCS base 0xE000E000."""

    REGISTERS = {DHCSR: "DHCSR", DCRSR: "DCRSR", DCRDR: "DCRDR", DEMCR: "DEMCR"}  # noqa: RUF012
    RESET = {DHCSR: DHCSR_C_DEBUGEN | DHCSR_S_REGRDY}  # noqa: RUF012

    @property
    def trcena(self) -> bool:
        return bool(self.regs[DEMCR] & DEMCR_TRCENA)

    def read(self, offset: int) -> int:
        return self.regs[offset]

    def write(self, offset: int, value: int, mask: int) -> None:
        if offset == DHCSR:
            if (value >> 16) != 0xA05F:
                return  # DBGKEY missing: ignored, as on the chip
            self.board.warn("coredebug: DHCSR write from firmware ignored (the simulator is the debugger)")
            return
        super().write(offset, value, mask)
        if offset == DEMCR:
            self.board.dwt_update()
