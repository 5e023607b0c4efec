"""RCC (reset and clock control, RM0410 §5.3) with ready/lock semantics for the clock bring-up.

Modelled: HSI (16 MHz, on at reset), HSE (the Nucleo's ST-LINK supplies 8 MHz, so HSE bypass works),
the main PLL (M/N/P/Q from PLLCFGR), the system clock switch (SW -> SWS only once the source is ready)
and the AHB/APB prescalers. Ready bits rise a short, fixed virtual time after their enable bit (so
bounded ready-waits are exercised); the core clock the simulator reports follows SWS. Peripheral enable
registers (AHBxENR, APBxENR) are plain read/write; other peripherals check them where it matters (PWR).

Audio clocks (RM0410 §5.3.23-5.3.26): PLLI2S and PLLSAI share the main PLL's input and M divider; their
ON bits raise RDY after the same lock time, and their configuration registers are locked while they run.
``sai_kernel_hz(n)`` is the SAIn kernel clock selected by DCKCFGR1.SAInSEL: PLLSAI_Q / (PLLSAIDIVQ+1),
PLLI2S_Q / (PLLI2SDIVQ+1), the I2S_CKIN pin (not connected on this board: 0 Hz) or, for 0b11, the
PLL input clock (HSI or HSE per PLLSRC).
"""

from __future__ import annotations

from fractions import Fraction

from m7amp.sim.periph._base import Peripheral

HSI_HZ = 16_000_000
HSE_HZ = 8_000_000  # ST-LINK MCO on the Nucleo-F767ZI

CR, PLLCFGR, CFGR, CIR = 0x00, 0x04, 0x08, 0x0C
AHB1ENR, APB1ENR, APB2ENR = 0x30, 0x40, 0x44
CR_HSION, CR_HSIRDY, CR_HSEON, CR_HSERDY, CR_HSEBYP = 1 << 0, 1 << 1, 1 << 16, 1 << 17, 1 << 18
CR_PLLON, CR_PLLRDY = 1 << 24, 1 << 25
CR_PLLI2SON, CR_PLLI2SRDY, CR_PLLSAION, CR_PLLSAIRDY = 1 << 26, 1 << 27, 1 << 28, 1 << 29
PLLI2SCFGR, PLLSAICFGR, DCKCFGR1 = 0x84, 0x88, 0x8C
APB1ENR_PWREN = 1 << 28

# Virtual start-up times in core cycles (at the 16 MHz HSI): short, but long enough that a firmware
# which does not wait for its ready bit reads it clear.
HSE_STARTUP = 256
PLL_LOCK = 1024
SWITCH_DELAY = 16


class Rcc(Peripheral):
    REGISTERS = {  # noqa: RUF012
        0x00: "CR", 0x04: "PLLCFGR", 0x08: "CFGR", 0x0C: "CIR",
        0x10: "AHB1RSTR", 0x14: "AHB2RSTR", 0x18: "AHB3RSTR", 0x20: "APB1RSTR", 0x24: "APB2RSTR",
        0x30: "AHB1ENR", 0x34: "AHB2ENR", 0x38: "AHB3ENR", 0x40: "APB1ENR", 0x44: "APB2ENR",
        0x50: "AHB1LPENR", 0x54: "AHB2LPENR", 0x58: "AHB3LPENR", 0x60: "APB1LPENR", 0x64: "APB2LPENR",
        0x70: "BDCR", 0x74: "CSR", 0x80: "SSCGR", 0x84: "PLLI2SCFGR", 0x88: "PLLSAICFGR",
        0x8C: "DCKCFGR1", 0x90: "DCKCFGR2",
    }
    RESET = {  # noqa: RUF012
        0x00: 0x0000_0083, 0x04: 0x2400_3010, 0x30: 0x0010_0000, 0x50: 0x0061_90FF,
        0x74: 0x0E00_0000, 0x84: 0x2400_3000, 0x88: 0x2400_3000,
    }

    def reset(self) -> None:
        super().reset()
        self._events: dict[str, object] = {}

    # clock tree --------------------------------------------------------------------------------
    def pll_input_hz(self) -> int:
        return HSE_HZ if self.regs[PLLCFGR] & (1 << 22) else HSI_HZ

    def pll_hz(self) -> int:
        cfg = self.regs[PLLCFGR]
        m, n, p = cfg & 0x3F, (cfg >> 6) & 0x1FF, 2 * (((cfg >> 16) & 3) + 1)
        if m < 2 or n < 50:
            return 0
        return self.pll_input_hz() * n // m // p

    def _vco_input_hz(self) -> int:
        m = self.regs[PLLCFGR] & 0x3F
        return self.pll_input_hz() // m if m >= 2 else 0

    def _q_output_hz(self, cfgr: int, ready: int) -> Fraction:
        """Q output of PLLI2S or PLLSAI, exact (0 while the PLL is not locked or misconfigured)."""
        n, q = (self.regs[cfgr] >> 6) & 0x1FF, (self.regs[cfgr] >> 24) & 0xF
        m = self.regs[PLLCFGR] & 0x3F
        if not self.regs[CR] & ready or n < 50 or q < 2 or m < 2:
            return Fraction(0)
        return Fraction(self.pll_input_hz() * n, m * q)

    def _check_vco(self, name: str) -> None:
        """RM0410 §5.3.23/24: VCO input 1-2 MHz, VCO output 100-432 MHz."""
        cfgr = PLLI2SCFGR if name == "plli2s" else PLLSAICFGR
        vin = self._vco_input_hz()
        vco = vin * ((self.regs[cfgr] >> 6) & 0x1FF)
        if not 950_000 <= vin <= 2_100_000 or not 100_000_000 <= vco <= 432_000_000:
            self.board.warn(f"rcc: {name.upper()} VCO input {vin / 1e6:g} MHz / output {vco / 1e6:g} MHz "
                            "outside 1-2 MHz / 100-432 MHz (RM0410)")

    def sai_kernel_hz(self, sai: int = 1) -> Fraction:
        """SAI1 or SAI2 kernel clock (Hz, exact) as DCKCFGR1 and the audio PLLs are programmed now."""
        dck = self.regs[DCKCFGR1]
        sel = (dck >> (20 if sai == 1 else 22)) & 3
        if sel == 0:
            return self._q_output_hz(PLLSAICFGR, CR_PLLSAIRDY) / (((dck >> 8) & 0x1F) + 1)
        if sel == 1:
            return self._q_output_hz(PLLI2SCFGR, CR_PLLI2SRDY) / ((dck & 0x1F) + 1)
        if sel == 2:
            return Fraction(0)  # I2S_CKIN: no external clock on this board
        return Fraction(self.pll_input_hz())

    def sysclk_hz(self) -> int:
        sws = (self.regs[CFGR] >> 2) & 3
        return {0: HSI_HZ, 1: HSE_HZ, 2: self.pll_hz()}.get(sws, HSI_HZ)

    def hclk_hz(self) -> int:
        hpre = (self.regs[CFGR] >> 4) & 0xF
        div = 1 if hpre < 8 else (2, 4, 8, 16, 64, 128, 256, 512)[hpre - 8]
        return self.sysclk_hz() // div

    def pclk1_hz(self) -> int:
        ppre = (self.regs[CFGR] >> 10) & 7
        return self.hclk_hz() // (1 if ppre < 4 else 1 << (ppre - 3))

    def pclk2_hz(self) -> int:
        ppre = (self.regs[CFGR] >> 13) & 7
        return self.hclk_hz() // (1 if ppre < 4 else 1 << (ppre - 3))

    # registers ---------------------------------------------------------------------------------
    def _later(self, name: str, delay: int, action) -> None:
        sched = self.board.scheduler
        sched.cancel(self._events.get(name))  # type: ignore[arg-type]
        self._events[name] = sched.schedule(self.board.cycles + delay, f"rcc.{name}", action)

    def sched_cancel(self, name: str) -> None:
        self.board.scheduler.cancel(self._events.pop(name, None))  # type: ignore[arg-type]

    def _set_cr(self, bits: int) -> None:
        self.regs[CR] |= bits

    def write(self, offset: int, value: int, mask: int) -> None:
        new = self.merge(offset, value, mask)
        if offset == CR:
            old = self.regs[CR]
            ready = CR_HSIRDY | CR_HSERDY | CR_PLLRDY | (1 << 27) | (1 << 29)  # + PLLI2SRDY, PLLSAIRDY
            new = (new & ~ready) | (old & ready)
            self.regs[CR] = new
            if new & CR_HSION:
                self.regs[CR] |= CR_HSIRDY
            else:
                self.regs[CR] &= ~CR_HSIRDY
            if new & CR_HSEON and not old & CR_HSEON:
                self._later("hse", HSE_STARTUP, lambda: self._set_cr(CR_HSERDY))
            if not new & CR_HSEON:
                self.regs[CR] &= ~CR_HSERDY
            if new & CR_PLLON and not old & CR_PLLON:
                src_ready = CR_HSERDY if self.regs[PLLCFGR] & (1 << 22) else CR_HSIRDY
                if not self.regs[CR] & src_ready:
                    self.board.warn("rcc: PLL enabled before its input clock is ready")
                self._later("pll", PLL_LOCK, lambda: self._set_cr(CR_PLLRDY))
            if not new & CR_PLLON:
                self.regs[CR] &= ~CR_PLLRDY
            for on, rdy, name in ((CR_PLLI2SON, CR_PLLI2SRDY, "plli2s"),
                                  (CR_PLLSAION, CR_PLLSAIRDY, "pllsai")):
                if new & on and not old & on:
                    self._check_vco(name)
                    self._later(name, PLL_LOCK, lambda rdy=rdy: self._set_cr(rdy))
                if not new & on:
                    self.sched_cancel(name)
                    self.regs[CR] &= ~rdy
            return
        locks = {PLLI2SCFGR: (CR_PLLI2SON, "PLLI2S"), PLLSAICFGR: (CR_PLLSAION, "PLLSAI")}
        if offset in locks and self.regs[CR] & locks[offset][0]:
            self.board.warn(f"rcc: {self.REGISTERS[offset]} written while {locks[offset][1]} is on "
                            "(ignored, as on the chip)")
            return
        if offset == PLLCFGR and self.regs[CR] & CR_PLLON:
            self.board.warn("rcc: PLLCFGR written while the PLL is on (ignored, as on the chip)")
            return
        if offset == CFGR:
            sws = self.regs[CFGR] & (3 << 2)
            self.regs[CFGR] = (new & ~(3 << 2)) | sws
            sw = new & 3
            if (sw << 2) != sws:
                self._later("switch", SWITCH_DELAY, self._switch)
            return
        self.regs[offset] = new

    def _switch(self) -> None:
        sw = self.regs[CFGR] & 3
        ready = {0: CR_HSIRDY, 1: CR_HSERDY, 2: CR_PLLRDY}.get(sw)
        if ready is None or not self.regs[CR] & ready:
            # The chip keeps the old clock until the new source is ready: retry later.
            self._later("switch", SWITCH_DELAY, self._switch)
            return
        self.regs[CFGR] = (self.regs[CFGR] & ~(3 << 2)) | (sw << 2)
        self.board.clock_changed()
