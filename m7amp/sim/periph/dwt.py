"""DWT (ARMv7-M ARM §C1.8): CYCCNT driven by the simulator's cycle counter.

CYCCNT counts modelled core cycles while DEMCR.TRCENA and CTRL.CYCCNTENA are both set; writes set its
value. Reads and writes have per-instruction resolution: they see the cycles up to the accessing
instruction's issue, not the end of its translation block (``Simulator.cycles_at``). The other
counters (CPICNT, EXCCNT, SLEEPCNT, LSUCNT, FOLDCNT) read 0; comparators read back.
"""

from __future__ import annotations

from m7amp.sim.periph._base import Peripheral

CTRL, CYCCNT = 0x000, 0x004
CTRL_CYCCNTENA = 1 << 0
NUMCOMP = 4


class Dwt(Peripheral):
    REGISTERS = {  # noqa: RUF012
        0x000: "CTRL", 0x004: "CYCCNT", 0x008: "CPICNT", 0x00C: "EXCCNT", 0x010: "SLEEPCNT",
        0x014: "LSUCNT", 0x018: "FOLDCNT", 0x01C: "PCSR",
        **{0x020 + 16 * i + 4 * j: f"{r}{i}" for i in range(NUMCOMP)
           for j, r in enumerate(("COMP", "MASK", "FUNCTION"))},
        0xFB0: "LAR", 0xFB4: "LSR",
    }
    RESET = {0x000: NUMCOMP << 28}  # noqa: RUF012

    def reset(self) -> None:
        super().reset()
        self._base_value = 0  # CYCCNT when counting last (re)started
        self._base_cycles = 0
        self._running = False

    def _enabled(self) -> bool:
        return bool(self.regs[CTRL] & CTRL_CYCCNTENA) and self.board.trace_enabled()

    def cyccnt(self, now: int | None = None) -> int:
        if not self._running:
            return self._base_value
        now = self.board.cycles if now is None else now
        return (self._base_value + now - self._base_cycles) & 0xFFFFFFFF

    def update(self, now: int | None = None) -> None:
        """Re-evaluate the enable condition (DEMCR.TRCENA lives in CoreDebug)."""
        now = self.board.cycles if now is None else now
        value = self.cyccnt(now)
        self._running = self._enabled()
        self._base_value, self._base_cycles = value, now

    def read(self, offset: int) -> int:
        if offset == CYCCNT:
            return self.cyccnt(self.board.cycles_at(self.base + offset))
        if offset == 0x01C:  # PCSR: the PC of the current block (see ARCHITECTURE.md)
            return self.board.pc
        return self.regs[offset]

    def write(self, offset: int, value: int, mask: int) -> None:
        if offset == CYCCNT:
            self._base_value = self.merge(offset, value, mask) if mask != 0xFFFFFFFF else value
            self._base_cycles = self.board.cycles_at(self.base + offset, store=True)
            return
        if offset == 0x01C:
            return
        super().write(offset, value, mask)
        if offset == CTRL:
            self.update(self.board.cycles_at(self.base + offset, store=True))
