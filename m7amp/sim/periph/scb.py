"""SCB (ARMv7-M ARM §B3.2) of the Cortex-M7 r1p0 on the STM32F767, plus ACTLR and the cache registers.

Modelled: CPUID 0x411FC270, ICSR (pend/unpend PendSV, SysTick, NMI; VECTACTIVE, VECTPENDING,
RETTOBASE, ISRPENDING), VTOR, AIRCR (VECTKEY-checked; PRIGROUP; SYSRESETREQ resets the board), SCR
(SLEEPONEXIT), CCR (DIV_0_TRP is honoured, IC/DC bits read back), SHPR1-3, SHCSR (fault enables and
active bits), CFSR/HFSR/MMFAR/BFAR/AFSR (read as recorded; the simulator stops on faults rather than
running fault handlers), CPACR, CLIDR/CTR/CCSIDR/CSSELR (16 KB 4-way I-cache, 16 KB 4-way D-cache with
32-byte lines) and the cache maintenance operations, which are accepted and do nothing (the simulator
has no caches: memory is always coherent).
"""

from __future__ import annotations

from m7amp.sim.periph import nvic as n
from m7amp.sim.periph._base import Peripheral

ACTLR = 0x008
CPUID, ICSR, VTOR, AIRCR, SCR, CCR = 0xD00, 0xD04, 0xD08, 0xD0C, 0xD10, 0xD14
SHPR1, SHPR2, SHPR3, SHCSR, CFSR, HFSR, DFSR, MMFAR, BFAR, AFSR = (
    0xD18, 0xD1C, 0xD20, 0xD24, 0xD28, 0xD2C, 0xD30, 0xD34, 0xD38, 0xD3C)
CLIDR, CTR, CCSIDR, CSSELR, CPACR = 0xD78, 0xD7C, 0xD80, 0xD84, 0xD88
CCR_DIV_0_TRP, CCR_STKALIGN = 1 << 4, 1 << 9
SCR_SLEEPONEXIT = 1 << 1
CACHE_OPS = {
    0xF50: "ICIALLU", 0xF58: "ICIMVAU", 0xF5C: "DCIMVAC", 0xF60: "DCISW", 0xF64: "DCCMVAU",
    0xF68: "DCCMVAC", 0xF6C: "DCCSW", 0xF70: "DCCIMVAC", 0xF74: "DCCISW", 0xF78: "BPIALL",
}
# D-cache operations: offset -> (0 invalidate / 1 clean / 2 clean and invalidate, by set/way)
_DCACHE_OPS = {0xF5C: (0, False), 0xF60: (0, True), 0xF64: (1, False), 0xF68: (1, False), 0xF6C: (1, True),
               0xF70: (2, False), 0xF74: (2, True)}
# CCSIDR (WT|WB|RA|WA, NumSets-1 <<13, Ways-1 <<3, log2(words per line)-2) for CSSELR = 0:
# D-cache 16 KB = 128 sets x 4 ways x 32 B, and CSSELR = 1: I-cache 16 KB = 256 sets x 2 ways x 32 B
CCSIDR_D = 0xF000_0000 | (127 << 13) | (3 << 3) | 1
CCSIDR_I = 0xF000_0000 | (255 << 13) | (1 << 3) | 1
VECTKEY = 0x05FA

_SHPR_EXC = {SHPR1: (4, 5, 6, 7), SHPR2: (8, 9, 10, 11), SHPR3: (12, 13, 14, 15)}
_SHCSR_ACTIVE = {0: n.MEMMANAGE, 1: n.BUSFAULT, 3: n.USAGEFAULT, 7: n.SVCALL, 8: n.DEBUGMON,
                 10: n.PENDSV, 11: n.SYSTICK}


class Scb(Peripheral):
    """Registers at their offsets from the SCS base 0xE000E000."""

    REGISTERS = {  # noqa: RUF012
        ACTLR: "ACTLR", CPUID: "CPUID", ICSR: "ICSR", VTOR: "VTOR", AIRCR: "AIRCR", SCR: "SCR", CCR: "CCR",
        SHPR1: "SHPR1", SHPR2: "SHPR2", SHPR3: "SHPR3", SHCSR: "SHCSR", CFSR: "CFSR", HFSR: "HFSR",
        DFSR: "DFSR", MMFAR: "MMFAR", BFAR: "BFAR", AFSR: "AFSR", 0xD40: "ID_PFR0", 0xD44: "ID_PFR1",
        0xD48: "ID_DFR0", 0xD4C: "ID_AFR0", 0xD50: "ID_MMFR0", 0xD54: "ID_MMFR1", 0xD58: "ID_MMFR2",
        0xD5C: "ID_MMFR3", 0xD60: "ID_ISAR0", 0xD64: "ID_ISAR1", 0xD68: "ID_ISAR2", 0xD6C: "ID_ISAR3",
        0xD70: "ID_ISAR4", CLIDR: "CLIDR", CTR: "CTR", CCSIDR: "CCSIDR", CSSELR: "CSSELR", CPACR: "CPACR",
        **CACHE_OPS,
    }
    RESET = {  # noqa: RUF012
        CPUID: 0x411F_C270, CCR: CCR_STKALIGN, CLIDR: 0x0900_0003, CTR: 0x8303_C003,
        0xD40: 0x0000_0030, 0xD44: 0x0000_0200, 0xD48: 0x0010_0000, 0xD50: 0x0010_1030,
        0xD60: 0x0110_1110, 0xD64: 0x0211_2000, 0xD68: 0x2123_2231, 0xD6C: 0x0111_1131, 0xD70: 0x0131_0132,
    }
    READ_ONLY = frozenset({CPUID, CLIDR, CTR, CCSIDR, *range(0xD40, 0xD74, 4)})

    def reset(self) -> None:
        super().reset()
        self.regs[VTOR] = self.board.boot_vtor

    @property
    def vtor(self) -> int:
        return self.regs[VTOR]

    def _icsr(self) -> int:
        nv = self.board.nvic
        value = 0
        if nv.nesting:
            value |= nv.nesting[-1] & 0x1FF
            if len(nv.nesting) == 1:
                value |= 1 << 11  # RETTOBASE
        pending = nv.highest_pending()
        if pending is not None:
            value |= (pending & 0x1FF) << 12
        if any(nv.pending[16:]):
            value |= 1 << 22  # ISRPENDING
        if nv.pending[n.SYSTICK]:
            value |= 1 << 26
        if nv.pending[n.PENDSV]:
            value |= 1 << 28
        if nv.pending[n.NMI]:
            value |= 1 << 31
        return value

    def read(self, offset: int) -> int:
        nv = self.board.nvic
        if offset == ICSR:
            return self._icsr()
        if offset == AIRCR:
            return 0xFA05_0000 | (nv.prigroup << 8)
        if offset in _SHPR_EXC:
            return sum((nv.priority[e] & 0xFF) << (8 * i) for i, e in enumerate(_SHPR_EXC[offset])
                       if nv.priority[e] >= 0)
        if offset == SHCSR:
            value = self.regs[SHCSR] & (7 << 16)
            for bit, exc in _SHCSR_ACTIVE.items():
                if nv.active[exc]:
                    value |= 1 << bit
            for bit, exc in ((12, n.USAGEFAULT), (13, n.MEMMANAGE), (14, n.BUSFAULT), (15, n.SVCALL)):
                if nv.pending[exc]:
                    value |= 1 << bit
            return value
        if offset == CCSIDR:
            return CCSIDR_I if self.regs[CSSELR] & 1 else CCSIDR_D
        if offset in CACHE_OPS:
            return 0
        return self.regs[offset]

    def write(self, offset: int, value: int, mask: int) -> None:
        nv = self.board.nvic
        new = self.merge(offset, value, mask)
        if offset == ICSR:
            value &= mask
            if value & (1 << 31):
                nv.set_pending(n.NMI)
            if value & (1 << 28):
                nv.set_pending(n.PENDSV)
            if value & (1 << 27):
                nv.pending[n.PENDSV] = False
            if value & (1 << 26):
                nv.set_pending(n.SYSTICK)
            if value & (1 << 25):
                nv.pending[n.SYSTICK] = False
            self.board.exception_state_changed()
        elif offset == VTOR:
            self.regs[VTOR] = new & 0xFFFF_FF80
        elif offset == AIRCR:
            if mask != 0xFFFFFFFF or (value >> 16) != VECTKEY:
                self.board.warn("scb: AIRCR write without VECTKEY 0x05FA ignored")
                return
            nv.prigroup = (value >> 8) & 7
            if value & (1 << 2):  # SYSRESETREQ
                self.board.request_reset()
            self.board.exception_state_changed()
        elif offset in _SHPR_EXC:
            for i, exc in enumerate(_SHPR_EXC[offset]):
                if mask >> (8 * i) & 0xFF and nv.priority[exc] >= 0:
                    nv.priority[exc] = (new >> (8 * i)) & n.PRIORITY_BITS_MASK
            self.board.exception_state_changed()
        elif offset == SHCSR:
            self.regs[SHCSR] = new & (7 << 16)
            nv.enabled[n.MEMMANAGE] = bool(new & (1 << 16))
            nv.enabled[n.BUSFAULT] = bool(new & (1 << 17))
            nv.enabled[n.USAGEFAULT] = bool(new & (1 << 18))
        elif offset in (CFSR, HFSR, DFSR):
            self.regs[offset] &= ~(value & mask)  # write 1 to clear
        elif offset == CCR:
            self.regs[CCR] = (new & 0x0007_031B) | CCR_STKALIGN
            self.board.ccr_changed()
        elif offset in CACHE_OPS:
            if offset in (0xF50, 0xF58):  # ICIALLU, ICIMVAU: the fetch model invalidates its whole I-cache
                self.board.invalidate_icache()
            elif offset in _DCACHE_OPS:  # the memory model's D-cache follows them (docs/cycle-model.md)
                op, by_set_way = _DCACHE_OPS[offset]
                self.board.dcache_maintenance(op, by_set_way, value & mask)
            return
        else:
            super().write(offset, value, mask)
