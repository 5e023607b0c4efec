"""MPU registers (ARMv7-M ARM §B3.5): accepted and read back; protection is not enforced.

The one protection the firmware relies on, the no-access region over the stack guard, is enforced by
the simulator directly from the ``__stack_guard_start/end`` symbols (see m7amp/sim/ARCHITECTURE.md).
"""

from __future__ import annotations

from m7amp.sim.periph._base import Peripheral

TYPE, CTRL, RNR, RBAR, RASR = 0xD90, 0xD94, 0xD98, 0xD9C, 0xDA0
N_REGIONS = 8


class Mpu(Peripheral):
    """Registers at their offsets from the SCS base 0xE000E000."""

    REGISTERS = {  # noqa: RUF012
        TYPE: "TYPE", CTRL: "CTRL", RNR: "RNR", RBAR: "RBAR", RASR: "RASR",
        0xDA4: "RBAR_A1", 0xDA8: "RASR_A1", 0xDAC: "RBAR_A2", 0xDB0: "RASR_A2", 0xDB4: "RBAR_A3",
        0xDB8: "RASR_A3",
    }
    RESET = {TYPE: N_REGIONS << 8}  # noqa: RUF012

    def reset(self) -> None:
        super().reset()
        self.rbar = [0] * N_REGIONS
        self.rasr = [0] * N_REGIONS

    def read(self, offset: int) -> int:
        region = self.regs[RNR] & (N_REGIONS - 1)
        if offset in (RBAR, 0xDA4, 0xDAC, 0xDB4):
            return self.rbar[region] | region
        if offset in (RASR, 0xDA8, 0xDB0, 0xDB8):
            return self.rasr[region]
        return self.regs[offset]

    def write(self, offset: int, value: int, mask: int) -> None:
        if offset in (RBAR, 0xDA4, 0xDAC, 0xDB4):
            if value & (1 << 4):  # VALID: the region number comes with the address
                self.regs[RNR] = value & 0xF
            self.rbar[self.regs[RNR] & (N_REGIONS - 1)] = value & ~0x1F
        elif offset in (RASR, 0xDA8, 0xDB0, 0xDB8):
            self.rasr[self.regs[RNR] & (N_REGIONS - 1)] = value & mask
        elif offset == TYPE:
            self.board.warn("mpu: write to read-only TYPE ignored")
        else:
            super().write(offset, value, mask)
