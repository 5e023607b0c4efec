"""DMA2 (RM0410 §8): eight streams moving data between a peripheral register and memory.

Modelled subset (what a peripheral-paced audio driver uses, and any correct use of the same bits):
- per stream SxCR (EN, DMEIE/TEIE/HTIE/TCIE, DIR = peripheral-to-memory or memory-to-peripheral, CIRC,
  PINC, MINC, PSIZE, MSIZE, DBM, CT, CHSEL, PL), SxNDTR, SxPAR, SxM0AR, SxM1AR, SxFCR (read back;
  FS reads "empty"); LISR/HISR (HTIF, TCIF per stream), LIFCR/HIFCR (write 1 to clear);
- circular mode (NDTR reloads at transfer complete) and double-buffer mode (DBM: CT toggles, M0AR and
  M1AR alternate); without CIRC/DBM the stream stops at transfer complete (EN reads 0);
- HT when NDTR reaches half its programmed value, TC at 0; the stream's IRQ line (from the .repl) is
  high while an enabled flag is set (level-sensitive, as on the chip).
Requests come only from modelled peripherals (the SAI): ``Sai`` finds the enabled stream whose PAR
is its data register and calls ``move``. Not modelled: memory-to-memory, FIFO packing (PSIZE must equal
MSIZE), bursts, priorities between streams, transfer/FIFO/direct-mode errors (TEIF, FEIF, DMEIF stay 0).
Configuration writes while EN = 1 are ignored and warned about (RM0410 §8.5.5: "protected").

Deadline misses (memory-to-peripheral streams): the buffer is split in *regions* (the two halves of a
circular buffer, or the M0/M1 buffers in DBM). While the stream is enabled the CPU's stores into the
buffer are watched (``Simulator.watch_writes``: the buffer's RAM pages become Python-backed; nothing
else slows down); each region records the cycle of its first store since the DMA last finished reading
it. When the DMA starts reading a
region that was not stored to since then, or was stored to only after the DMA's start time, that is
one miss. The first pass after EN (the firmware's initial contents) is never a miss.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from m7amp.sim.periph._base import Peripheral

LISR, HISR, LIFCR, HIFCR = 0x00, 0x04, 0x08, 0x0C
CR, NDTR, PAR, M0AR, M1AR, FCR = 0, 4, 8, 12, 16, 20
CR_EN, CR_DMEIE, CR_TEIE, CR_HTIE, CR_TCIE = 1 << 0, 1 << 1, 1 << 2, 1 << 3, 1 << 4
CR_PFCTRL, CR_CIRC, CR_PINC, CR_MINC, CR_DBM, CR_CT = 1 << 5, 1 << 8, 1 << 9, 1 << 10, 1 << 18, 1 << 19
FLAG_HT, FLAG_TC = 1 << 4, 1 << 5
FLAG_SHIFT = (0, 6, 16, 22)  # bit offset of stream n%4's flags in LISR/HISR
FCR_RESET = 0x21
P2M, M2P = 0, 1

# RM0410 Table 28, DMA2 request mapping: (stream, channel) -> request, for the requests modelled here.
REQUESTS = {(1, 0): "SAI1_A", (3, 0): "SAI1_A", (4, 1): "SAI1_B", (5, 0): "SAI1_B",
            (4, 3): "SAI2_A", (6, 3): "SAI2_B", (7, 0): "SAI2_B"}


def stream_base(n: int) -> int:
    return 0x10 + 0x18 * n


@dataclass
class Transfer:
    """What one ``move`` call did: items done, and (item offset, region) of every region started."""

    done: int = 0  # items moved
    items: list[int] = field(default_factory=list)
    region_starts: list[tuple[int, int, int | None]] = field(default_factory=list)  # offset, region, stored
    region_ends: list[tuple[int, int]] = field(default_factory=list)  # (item offset after it, its items)
    misses: list[int] = field(default_factory=list)  # item offsets of regions started unwritten


class Stream:
    """Run-time state of one enabled stream (the registers stay in the DMA model's register file)."""

    def __init__(self, dma: Dma, n: int):
        self.dma, self.n = dma, n
        self.active = False
        self.count0 = self.remaining = 0
        self.size = 4
        self.region_written: list[int | None] = [None, None]  # cycle of the first store since read
        self.region_read_once = [False, False]
        self.watches: list[int] = []  # Simulator.watch_writes ids, one per region (M2P only)

    # configuration ---------------------------------------------------------------------------------------
    def reg(self, off: int) -> int:
        return self.dma.regs[stream_base(self.n) + off]

    @property
    def cr(self) -> int:
        return self.reg(CR)

    @property
    def direction(self) -> int:
        return (self.cr >> 6) & 3

    @property
    def region(self) -> int:
        """Region the DMA is in now: the buffer half, or CT in double-buffer mode."""
        if self.cr & CR_DBM:
            return 1 if self.cr & CR_CT else 0
        return 0 if self.remaining > self.count0 // 2 else 1

    def region_span(self, region: int) -> tuple[int, int]:
        if self.cr & CR_DBM:
            base = self.reg(M1AR if region else M0AR)
            return base, base + self.count0 * self.size
        base = self.reg(M0AR)
        half = (self.count0 - self.count0 // 2) * self.size
        return (base, base + half) if region == 0 else (base + half, base + self.count0 * self.size)

    def start(self) -> None:
        cr = self.cr
        psize, msize = 1 << ((cr >> 11) & 3), 1 << ((cr >> 13) & 3)
        name = f"{self.dma.name}.stream{self.n}"
        if psize != msize:
            self.dma.board.warn(f"{name}: PSIZE {psize} != MSIZE {msize} (FIFO packing not modelled; "
                                "using PSIZE)")
        if self.direction not in (P2M, M2P):
            self.dma.board.warn(f"{name}: memory-to-memory transfers are not modelled")
        if cr & (CR_PINC | CR_PFCTRL):
            self.dma.board.warn(f"{name}: PINC/PFCTRL set (not modelled for a peripheral data register)")
        if not cr & CR_MINC:
            self.dma.board.warn(f"{name}: MINC clear: every item uses the same memory address")
        self.size = psize
        self.count0 = self.remaining = self.reg(NDTR) & 0xFFFF
        if self.count0 == 0:
            self.dma.board.warn(f"{name}: enabled with NDTR = 0 (the chip does not start it)")
            self.dma.regs[stream_base(self.n) + CR] &= ~CR_EN
            return
        self.active = True
        self.spans = [self.region_span(0), self.region_span(1)]
        self.region_written = [None, None]
        self.region_read_once = [False, False]
        self._disarm()
        if self.direction == M2P:
            board = self.dma.board
            self.watches = [board.watch_writes(lo, hi, self._stored) for lo, hi in self.spans]
            for watch in self.watches:
                board.set_watch(watch, True)

    def _disarm(self) -> None:
        for watch in self.watches:
            self.dma.board.set_watch(watch, False)
        self.watches = []

    def _stored(self, address: int, size: int) -> None:
        if not self.active:
            return
        for region, (lo, hi) in enumerate(self.spans):
            if lo <= address < hi and self.region_written[region] is None:
                self.region_written[region] = self.dma.board.cycles

    # transfers -------------------------------------------------------------------------------------------
    def items_to_event(self) -> int:
        """Items until the next HT or TC point."""
        half = self.count0 // 2
        return self.remaining - half if self.remaining > half else self.remaining

    def move(self, n: int, data: list[int] | None, item_cycle: Callable[[int], int]) -> Transfer:
        """Transfer ``n`` items: write ``data`` to memory (P2M) or read items from memory (M2P).

        ``item_cycle(i)`` is the virtual time of item i (for the deadline check of regions starting)."""
        out = Transfer()
        done = 0
        bases = self.dma.board
        while done < n and self.active:
            if self.direction == M2P and (self.remaining == self.count0 or (
                    self.remaining == self.count0 // 2 and not self.cr & CR_DBM)):
                self._begin_region(done, item_cycle(done), out)
            step = min(n - done, self.items_to_event())
            index = self.count0 - self.remaining
            base = self.reg(M1AR if self.cr & CR_DBM and self.cr & CR_CT else M0AR)
            addr = base + index * self.size if self.cr & CR_MINC else base
            span = step if self.cr & CR_MINC else 1
            if self.direction == P2M:
                assert data is not None
                chunk = data[done:done + step]
                if not self.cr & CR_MINC:
                    chunk = chunk[-1:]
                mask = (1 << (8 * self.size)) - 1
                bases.write_memory(addr, b"".join((v & mask).to_bytes(self.size, "little") for v in chunk))
            else:
                raw = bases.read_memory(addr, span * self.size)
                words = [int.from_bytes(raw[i:i + self.size], "little")
                         for i in range(0, len(raw), self.size)]
                out.items += words if self.cr & CR_MINC else words * step
            done += step
            self.remaining -= step
            if self.remaining == 0:
                out.region_ends.append((done, self.count0 if self.cr & CR_DBM else self.count0 // 2))
            elif self.remaining == self.count0 // 2 and not self.cr & CR_DBM:
                out.region_ends.append((done, self.count0 - self.count0 // 2))
            self._boundary()
        out.done = done
        return self._finish(out)

    def _finish(self, out: Transfer) -> Transfer:
        self.dma.regs[stream_base(self.n) + NDTR] = self.remaining if self.active else 0
        return out

    def _begin_region(self, offset: int, cycle: int, out: Transfer) -> None:
        region = self.region
        written = self.region_written[region]
        out.region_starts.append((offset, region, written))
        if self.region_read_once[region] and (written is None or written > cycle):
            out.misses.append(offset)
        self.region_read_once[region] = True

    def _end_region(self, region: int) -> None:
        self.region_written[region] = None  # the next store counts as a rewrite

    def _boundary(self) -> None:
        if self.remaining == self.count0 // 2 and self.remaining:
            if not self.cr & CR_DBM:
                self._end_region(0)
            self.dma.set_flags(self.n, FLAG_HT)
        if self.remaining == 0:
            self.dma.set_flags(self.n, FLAG_TC | (FLAG_HT if self.count0 // 2 == 0 else 0))
            self._end_region(self.region)
            off = stream_base(self.n) + CR
            if self.cr & CR_DBM:
                self.dma.regs[off] ^= CR_CT
                self.remaining = self.count0
            elif self.cr & CR_CIRC:
                self.remaining = self.count0
            else:
                self.stop()
                self.dma.regs[off] &= ~CR_EN

    def stop(self) -> None:
        self.active = False
        self._disarm()


class Dma(Peripheral):
    """DMA controller (DMA2 on this board; DMA1 has the same layout)."""

    REGISTERS = {0x00: "LISR", 0x04: "HISR", 0x08: "LIFCR", 0x0C: "HIFCR"}  # noqa: RUF012
    for _n in range(8):
        for _off, _name in ((CR, "CR"), (NDTR, "NDTR"), (PAR, "PAR"), (M0AR, "M0AR"), (M1AR, "M1AR"),
                            (FCR, "FCR")):
            REGISTERS[stream_base(_n) + _off] = f"S{_n}{_name}"
    RESET = {stream_base(n) + FCR: FCR_RESET for n in range(8)}  # noqa: RUF012
    READ_ONLY = frozenset({LISR, HISR})

    def __init__(self, board, name, base, size=None, irqs: dict[int, int] | None = None):
        self.irqs = irqs or {}
        super().__init__(board, name, base, size)

    def reset(self) -> None:
        super().reset()
        self.streams = [Stream(self, n) for n in range(8)]
        self.on_access: Callable[[], None] | None = None  # the SAI catches up before any access
        self.on_change: Callable[[], None] | None = None  # ... and reschedules after any write

    # state ---------------------------------------------------------------------------------------------
    def stream_for(self, par: int, request: str) -> Stream | None:
        """The enabled stream serving ``request`` (e.g. "SAI1_A") with PAR = its data register."""
        for s in self.streams:
            if s.active and s.reg(PAR) == par and REQUESTS.get((s.n, (s.cr >> 25) & 0xF)) == request:
                return s
        return None

    def flags(self, n: int) -> int:
        return (self.regs[LISR if n < 4 else HISR] >> FLAG_SHIFT[n % 4]) & 0x3D

    def set_flags(self, n: int, bits: int) -> None:
        self.regs[LISR if n < 4 else HISR] |= bits << FLAG_SHIFT[n % 4]
        self._update_irq(n)

    def _update_irq(self, n: int) -> None:
        irq = self.irqs.get(n)
        if irq is None:
            return
        cr, flags = self.regs[stream_base(n) + CR], self.flags(n)
        level = bool((cr & CR_TCIE and flags & FLAG_TC) or (cr & CR_HTIE and flags & FLAG_HT))
        if level or self.board.nvic.level[irq]:
            self.board.nvic.set_irq_level(irq, level)

    # registers -----------------------------------------------------------------------------------------
    def read(self, offset: int) -> int:
        if self.on_access is not None:
            self.on_access()
        if offset >= 0x10 and (offset - 0x10) % 0x18 == FCR:
            return (self.regs[offset] & ~0x38) | (4 << 3)  # FS = 100: FIFO empty
        return self.regs.get(offset, 0)

    def write(self, offset: int, value: int, mask: int) -> None:
        if self.on_access is not None:
            self.on_access()
        self._write(offset, value, mask)
        if self.on_change is not None:
            self.on_change()  # a stream (re)started or stopped: the SAI reschedules its next sync point

    def _write(self, offset: int, value: int, mask: int) -> None:
        if offset in (LIFCR, HIFCR):
            clear = value & mask & 0x0F7D_0F7D
            self.regs[offset - 8] &= ~clear
            for n in range(4) if offset == LIFCR else range(4, 8):
                self._update_irq(n)
            return
        if offset < 0x10:
            super().write(offset, value, mask)  # warns: LISR/HISR are read-only
            return
        n, reg = divmod(offset - 0x10, 0x18)
        stream = self.streams[n]
        new = self.merge(offset, value, mask)
        if reg == CR:
            if stream.active and new & CR_EN:
                keep = CR_TCIE | CR_HTIE | CR_TEIE | CR_DMEIE
                if (self.regs[offset] ^ new) & ~(CR_EN | CR_CT | keep):
                    self.board.warn(f"{self.name}: S{n}CR configuration written while EN = 1 (ignored)")
                self.regs[offset] = (self.regs[offset] & ~keep) | (new & keep)
            else:
                self.regs[offset] = new
                if new & CR_EN and not stream.active:
                    self._check_request(n, new)
                    stream.start()
                elif not new & CR_EN and stream.active:
                    stream.stop()
                    self.regs[stream_base(n) + NDTR] = stream.remaining
            self._update_irq(n)
            return
        if stream.active and not (reg == M1AR and not self.regs[stream_base(n)] & CR_CT) \
                and not (reg == M0AR and self.regs[stream_base(n)] & CR_CT and
                         self.regs[stream_base(n)] & CR_DBM):
            self.board.warn(f"{self.name}: {self.register_name(offset)} written while S{n} is enabled "
                            "(ignored, as on the chip)")
            return
        self.regs[offset] = new

    def _check_request(self, n: int, cr: int) -> None:
        channel = (cr >> 25) & 0xF
        par = self.regs[stream_base(n) + PAR]
        sai = None
        for model in self.board.peripherals.values():
            request_for = getattr(model, "request_for", None)
            if request_for is not None and (sai := request_for(par)) is not None:
                break
        if sai is not None and REQUESTS.get((n, channel)) != sai:
            self.board.warn(f"{self.name}: stream {n} channel {channel} does not carry the {sai} request "
                            "(RM0410 Table 28): it would never transfer on the chip")
