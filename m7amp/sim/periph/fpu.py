"""FPU control registers (ARMv7-M ARM §B3.2.20): FPCCR, FPCAR, FPDSCR and the read-only MVFR0-2.

The simulator stacks FP context eagerly (never lazily), so FPCCR.LSPEN/LSPACT have no effect besides
reading back; FPDSCR is the default FPSCR an exception handler starts with (applied on entry).
"""

from __future__ import annotations

from m7amp.sim.periph._base import Peripheral

FPCCR, FPCAR, FPDSCR, MVFR0, MVFR1, MVFR2 = 0xF34, 0xF38, 0xF3C, 0xF40, 0xF44, 0xF48
FPCCR_ASPEN, FPCCR_LSPEN = 1 << 31, 1 << 30


class Fpu(Peripheral):
    """Registers at their offsets from the SCS base 0xE000E000 (FPv5 double precision, as on the F767)."""

    REGISTERS = {  # noqa: RUF012
        FPCCR: "FPCCR", FPCAR: "FPCAR", FPDSCR: "FPDSCR", MVFR0: "MVFR0", MVFR1: "MVFR1", MVFR2: "MVFR2",
    }
    RESET = {  # noqa: RUF012
        FPCCR: FPCCR_ASPEN | FPCCR_LSPEN, MVFR0: 0x1011_0222, MVFR1: 0x1200_0011, MVFR2: 0x0000_0040,
    }
    READ_ONLY = frozenset({MVFR0, MVFR1, MVFR2})

    def write(self, offset: int, value: int, mask: int) -> None:
        if offset == FPDSCR:
            value &= 0x07C0_0000  # AHP, DN, FZ, RMode
        super().write(offset, value, mask)
