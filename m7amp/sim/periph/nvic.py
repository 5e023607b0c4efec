"""NVIC (ARMv7-M ARM §B3.4): enable, pending, active and priority state of every exception.

The NVIC registers (ISER/ICER/ISPR/ICPR/IABR/IPR, STIR) live in the System Control Space at
0xE000E000; this model also holds the state the SCB registers show (ICSR, SHPR1-3, SHCSR), so there is
one source of truth for "which exception runs next". Priorities: 8-bit fields with the 4 bits the F7
implements (high nibble); AIRCR.PRIGROUP splits them into group (preemption) and sub-priority.
IRQ lines are level-sensitive: a line still high when its handler returns pends again.
"""

from __future__ import annotations

from m7amp.sim.periph._base import Peripheral

N_IRQ = 98  # STM32F767: IRQ 0..97 (RM0410 Table 40)
N_EXC = 16 + N_IRQ
HARDFAULT, MEMMANAGE, BUSFAULT, USAGEFAULT, SVCALL, DEBUGMON, PENDSV, SYSTICK = 3, 4, 5, 6, 11, 12, 14, 15
NMI = 2
PRIORITY_BITS_MASK = 0xF0  # 4 priority bits on the STM32F7
THREAD_PRIORITY = 256  # execution priority of thread mode with nothing active


def _nvic_registers() -> dict[int, str]:
    regs: dict[int, str] = {0x004: "ICTR"}
    words = (N_IRQ + 31) // 32
    for i in range(words):
        regs[0x100 + 4 * i] = f"ISER{i}"
        regs[0x180 + 4 * i] = f"ICER{i}"
        regs[0x200 + 4 * i] = f"ISPR{i}"
        regs[0x280 + 4 * i] = f"ICPR{i}"
        regs[0x300 + 4 * i] = f"IABR{i}"
    for i in range((N_IRQ + 3) // 4):
        regs[0x400 + 4 * i] = f"IPR{i}"
    regs[0xF00] = "STIR"
    return regs


class Nvic(Peripheral):
    """Registers at their offsets from the SCS base 0xE000E000."""

    REGISTERS = _nvic_registers()

    def reset(self) -> None:
        super().reset()
        self.enabled = [False] * N_EXC
        self.pending = [False] * N_EXC
        self.active = [False] * N_EXC
        self.level = [False] * N_IRQ
        self.priority = [0] * N_EXC  # 8-bit values; fixed negative ones below
        self.priority[1], self.priority[NMI], self.priority[HARDFAULT] = -3, -2, -1
        for exc in (NMI, HARDFAULT, SVCALL, DEBUGMON, PENDSV, SYSTICK):
            self.enabled[exc] = True
        self.prigroup = 0
        self.nesting: list[int] = []  # active exceptions, innermost last

    # state used by SCB and the exception engine -------------------------------------------------
    def group_priority(self, prio: int) -> int:
        if prio < 0:
            return prio
        return prio & ~((2 << self.prigroup) - 1) & 0xFF

    def set_pending(self, exc: int) -> None:
        if not self.pending[exc]:
            self.pending[exc] = True
            self.board.exception_state_changed()

    def set_irq_level(self, irq: int, level: bool) -> None:
        self.level[irq] = level
        if level:
            self.set_pending(16 + irq)

    def execution_priority(self, primask: int, basepri: int, faultmask: int) -> int:
        prio = THREAD_PRIORITY
        for exc in self.nesting:
            prio = min(prio, self.group_priority(self.priority[exc]))
        if basepri & PRIORITY_BITS_MASK:
            prio = min(prio, self.group_priority(basepri & PRIORITY_BITS_MASK))
        if primask & 1:
            prio = min(prio, 0)
        if faultmask & 1:
            prio = min(prio, -1)
        return prio

    def highest_pending(self) -> int | None:
        """The pending, enabled exception that would be taken first (lowest priority value, then number)."""
        best, best_key = None, None
        for exc in range(1, N_EXC):
            if self.pending[exc] and self.enabled[exc]:
                key = (self.priority[exc], exc)
                if best_key is None or key < best_key:
                    best, best_key = exc, key
        return best

    def any_pending(self) -> bool:
        return any(p and e for p, e in zip(self.pending, self.enabled, strict=True))

    def activate(self, exc: int) -> None:
        self.pending[exc] = False
        self.active[exc] = True
        self.nesting.append(exc)

    def deactivate(self, exc: int) -> None:
        self.active[exc] = False
        if exc in self.nesting:
            self.nesting.remove(exc)
        if exc >= 16 and self.level[exc - 16]:
            self.pending[exc] = True  # level-sensitive line still asserted

    # registers ----------------------------------------------------------------------------------
    def _bits(self, table: list[bool], offset: int, base: int) -> int:
        first = 16 + 32 * ((offset - base) // 4)
        value = 0
        for bit in range(32):
            exc = first + bit
            if exc < N_EXC and table[exc]:
                value |= 1 << bit
        return value

    def _apply(self, table: list[bool], offset: int, base: int, value: int, state: bool) -> None:
        first = 16 + 32 * ((offset - base) // 4)
        for bit in range(32):
            if value >> bit & 1 and first + bit < N_EXC:
                table[first + bit] = state

    def read(self, offset: int) -> int:
        if offset == 0x004:
            return (N_IRQ + 31) // 32 - 1  # INTLINESNUM
        if 0x100 <= offset < 0x180:
            return self._bits(self.enabled, offset, 0x100)
        if 0x180 <= offset < 0x200:
            return self._bits(self.enabled, offset, 0x180)
        if 0x200 <= offset < 0x280:
            return self._bits(self.pending, offset, 0x200)
        if 0x280 <= offset < 0x300:
            return self._bits(self.pending, offset, 0x280)
        if 0x300 <= offset < 0x380:
            return self._bits(self.active, offset, 0x300)
        if 0x400 <= offset < 0x400 + 4 * ((N_IRQ + 3) // 4):
            first = 16 + (offset - 0x400)
            return sum(self.priority[first + i] << (8 * i) for i in range(4) if first + i < N_EXC)
        return 0  # STIR is write-only

    def write(self, offset: int, value: int, mask: int) -> None:
        value &= mask
        if 0x100 <= offset < 0x180:
            self._apply(self.enabled, offset, 0x100, value, True)
        elif 0x180 <= offset < 0x200:
            self._apply(self.enabled, offset, 0x180, value, False)
        elif 0x200 <= offset < 0x280:
            self._apply(self.pending, offset, 0x200, value, True)
        elif 0x280 <= offset < 0x300:
            self._apply(self.pending, offset, 0x280, value, False)
        elif 0x400 <= offset < 0x500:
            first = 16 + (offset - 0x400)
            for i in range(4):
                if mask >> (8 * i) & 0xFF and first + i < N_EXC:
                    self.priority[first + i] = (value >> (8 * i)) & PRIORITY_BITS_MASK
        elif offset == 0xF00:
            irq = value & 0x1FF
            if irq < N_IRQ:
                self.pending[16 + irq] = True
            else:
                self.board.warn(f"nvic: STIR for IRQ {irq}, which the F767 does not have")
        else:
            self.board.warn(f"nvic: write to {self.register_name(offset)} ignored")
            return
        self.board.exception_state_changed()
