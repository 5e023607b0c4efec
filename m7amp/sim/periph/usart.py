"""USART (STM32F7 layout, RM0410 §34.8): TX captured and streamed, RX injectable, interrupts.

TX: a byte written to TDR while CR1.UE and CR1.TE are set is sent at once (TXE and TC stay set) and
handed to the simulator's UART stream. RX: bytes queued with ``Simulator.uart_input`` enter RDR one at a
time while UE and RE are set; the next one arrives one character time (10 bits at the programmed baud
rate) after RDR is read, so there are never overruns (the host side is flow-controlled). The IRQ line
(IRQ 39 for USART3, from the .repl) is high while an enabled flag (TXEIE/TCIE/RXNEIE) is set.
"""

from __future__ import annotations

from collections import deque

from m7amp.sim.periph._base import Peripheral

CR1, CR2, CR3, BRR, GTPR, RTOR, RQR, ISR, ICR, RDR, TDR = (
    0x00, 0x04, 0x08, 0x0C, 0x10, 0x14, 0x18, 0x1C, 0x20, 0x24, 0x28)
CR1_UE, CR1_RE, CR1_TE = 1 << 0, 1 << 2, 1 << 3
CR1_RXNEIE, CR1_TCIE, CR1_TXEIE = 1 << 5, 1 << 6, 1 << 7
ISR_ORE, ISR_RXNE, ISR_TC, ISR_TXE, ISR_TEACK, ISR_REACK = 1 << 3, 1 << 5, 1 << 6, 1 << 7, 1 << 21, 1 << 22
RQR_RXFRQ = 1 << 3


class Usart(Peripheral):
    REGISTERS = {  # noqa: RUF012
        0x00: "CR1", 0x04: "CR2", 0x08: "CR3", 0x0C: "BRR", 0x10: "GTPR", 0x14: "RTOR", 0x18: "RQR",
        0x1C: "ISR", 0x20: "ICR", 0x24: "RDR", 0x28: "TDR",
    }
    RESET = {ISR: 0x0200_00C0}  # noqa: RUF012

    def __init__(self, board, name, base, size=None, irq: int | None = None):
        self.irq = irq
        self.rx_queue: deque[int] = deque()
        super().__init__(board, name, base, size)

    def reset(self) -> None:
        super().reset()
        self.rx_queue = deque()
        self._rx_event = None
        self._baud_checked = False

    # host side -----------------------------------------------------------------------------------
    def inject(self, data: bytes) -> None:
        self.rx_queue.extend(data)
        self._deliver()

    def _enabled(self, bits: int) -> bool:
        return self.regs[CR1] & (CR1_UE | bits) == CR1_UE | bits

    def _deliver(self) -> None:
        self._rx_event = None
        if self.rx_queue and not self.regs[ISR] & ISR_RXNE and self._enabled(CR1_RE):
            self.regs[RDR] = self.rx_queue.popleft()
            self.regs[ISR] |= ISR_RXNE
            self._update_irq()

    def char_cycles(self) -> int:
        """Core cycles per 10-bit character at the programmed baud rate."""
        baud = self.baud()
        return max(1, 10 * self.board.core_hz // baud) if baud else 1000

    def baud(self) -> int:
        brr = self.regs[BRR] & 0xFFFF
        if brr == 0:
            return 0
        if self.regs[CR1] & (1 << 15):  # OVER8: BRR[3:0] holds USARTDIV[3:0] >> 1
            brr = (brr & 0xFFF0) | ((brr & 7) << 1)
            return 2 * self.board.pclk1_hz // brr
        return self.board.pclk1_hz // brr

    def _update_irq(self) -> None:
        if self.irq is None:
            return
        isr, cr1 = self.regs[ISR], self.regs[CR1]
        level = bool(
            (cr1 & CR1_RXNEIE and isr & (ISR_RXNE | ISR_ORE))
            or (cr1 & CR1_TXEIE and isr & ISR_TXE)
            or (cr1 & CR1_TCIE and isr & ISR_TC)
        )
        self.board.nvic.set_irq_level(self.irq, level)

    # registers -----------------------------------------------------------------------------------
    def read(self, offset: int) -> int:
        if offset == RDR:
            value = self.regs[RDR]
            if self.regs[ISR] & ISR_RXNE:
                self.regs[ISR] &= ~ISR_RXNE
                self._update_irq()
                if self.rx_queue and self._rx_event is None:
                    self._rx_event = self.board.scheduler.schedule(
                        self.board.cycles + self.char_cycles(), f"{self.name}.rx", self._deliver)
            return value
        if offset == TDR:
            return 0
        return self.regs[offset]

    def write(self, offset: int, value: int, mask: int) -> None:
        if offset == TDR:
            if not self._enabled(CR1_TE):
                self.board.warn(f"{self.name}: TDR written while UE/TE are clear (byte dropped)")
                return
            if not self._baud_checked:
                self._check_baud()
            self.board.uart_output(bytes([value & 0xFF]))
            return
        if offset == ICR:
            self.regs[ISR] &= ~(value & mask & 0x0012_1B5F)
            self._update_irq()
            return
        if offset == RQR:
            if value & RQR_RXFRQ:
                self.regs[ISR] &= ~ISR_RXNE
                self._update_irq()
            return
        if offset in (ISR, RDR):
            self.board.warn(f"{self.name}: write to read-only {self.REGISTERS[offset]} ignored")
            return
        super().write(offset, value, mask)
        if offset == CR1:
            cr1 = self.regs[CR1]
            isr = self.regs[ISR] & ~(ISR_TEACK | ISR_REACK)
            if cr1 & CR1_UE and cr1 & CR1_TE:
                isr |= ISR_TEACK
            if cr1 & CR1_UE and cr1 & CR1_RE:
                isr |= ISR_REACK
            self.regs[ISR] = isr
            self._baud_checked = False
            self._deliver()
            self._update_irq()

    def _check_baud(self) -> None:
        self._baud_checked = True
        baud = self.baud()
        if baud and abs(baud - 115200) > 115200 * 0.03:
            self.board.warn(
                f"{self.name}: baud rate {baud} (BRR=0x{self.regs[BRR]:x}, PCLK1 {self.board.pclk1_hz} Hz) "
                "is not 115200 ±3%: the ST-LINK terminal would show garbage")
