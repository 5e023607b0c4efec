"""SAI1 (RM0410 §35): two audio blocks clocked in virtual time, data moved by DMA2, host audio in/out.

Modelled subset:
- SAI_GCR (read back); per block A/B: SAI_xCR1 (MODE, PRTCFG, DS, SYNCEN, MONO, SAIEN, DMAEN, NODIV,
  MCKDIV), SAI_xCR2, SAI_xFRCR, SAI_xSLOTR (NBSLOT, SLOTEN), SAI_xIM, SAI_xSR (OVRUDR, FREQ, FLVL),
  SAI_xCLRFR (write 1 to clear); the IRQ line (87) is high while an enabled SR flag is set.
- Frame clock of a master block: kernel clock from RCC (DCKCFGR1.SAI1SEL: PLLSAI/PLLI2S Q outputs and
  their DIVQ dividers, as programmed), FS = ker / (256 x 2 x MCKDIV) (MCKDIV = 0 counts as 1, with no x2)
  when NODIV = 0; FS = ker / (FRL + 1) when NODIV = 1. A slave block with SYNCEN = 01 runs on the other
  block's frame clock; an asynchronous slave has no clock here (no external codec clock): warned.
- Each frame, every enabled block moves one item per active slot (SLOTEN within NBSLOT + 1) through the
  DMA2 stream whose PAR is its SAI_xDR (request mapping checked): a receiver's first slot carries the
  next input sample (others 0), a transmitter's first slot is the output sample. Samples are DS-bit
  two's complement, right-aligned in the item (bits above DS read 0). A block that is enabled without
  DMA sets OVRUDR at its first frame (the FIFO is not modelled, so CPU access to SAI_xDR is not either).
- Configuration writes while SAIEN = 1 are ignored and warned about, as on the chip (except SAIEN,
  DMAEN, CR2 MUTE bits, IM).

Batching (the simulator's only deviation in time): frames are processed when the firmware could see them —
at every DMA half/complete point (a scheduled event at that frame's exact time) and before any SAI or
DMA2 register access (so NDTR and flags read mid-block are exact). The RX data of a frame therefore land
in memory at the next such point instead of at the frame, and TX data are read then: firmware that only
touches a half after its HT/TC interrupt (any correct double-buffer driver) sees exactly the chip's
behaviour. The 8-word FIFOs are not modelled: the DMA moves a frame's items at the frame itself.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from m7amp.sim.periph._base import Peripheral
from m7amp.sim.periph.dma import M2P, P2M, Dma, Stream

GCR = 0x00
SAI1_IRQ = 87  # RM0410 Table 40 (the default when the .repl entry names no IRQ line)
BLOCK_BASE = {"A": 0x04, "B": 0x24}
CR1, CR2, FRCR, SLOTR, IM, SR, CLRFR, DR = 0x00, 0x04, 0x08, 0x0C, 0x10, 0x14, 0x18, 0x1C
CR1_SAIEN, CR1_DMAEN, CR1_NODIV, CR1_MONO = 1 << 16, 1 << 17, 1 << 19, 1 << 12
SR_OVRUDR, SR_FREQ = 1 << 0, 1 << 3
DATA_SIZES = {2: 8, 3: 10, 4: 16, 5: 20, 6: 24, 7: 32}
RUNTIME_BITS = {CR1: CR1_SAIEN | CR1_DMAEN, CR2: (1 << 5) | (1 << 6) | (0x3F << 7) | (1 << 3)}


@dataclass
class AudioLink:
    """Host side of the codec: input samples fed to the receiver, what the transmitter sent, and the
    deadline and latency bookkeeping. Floats in [-1, 1]; ``input`` may be set once the rate is known
    (``on_start`` is called with the frame rate when the frame clock starts)."""

    input: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    on_start: Callable[[float], None] | None = None
    on_block: Callable[[int], None] | None = None  # called at every RX half/complete point (frame no.)
    output: list[float] = field(default_factory=list)  # index = frame - 1
    misses: int = 0
    miss_frames: list[int] = field(default_factory=list)
    latencies: list[int] = field(default_factory=list)  # one per TX region started after a measured RX
    sample_rate: float = 0.0
    frames: int = 0
    rx_done: deque = field(default_factory=lambda: deque(maxlen=16))  # (cycle, first frame of the half)


class Block:
    def __init__(self, sai: Sai, name: str):
        self.sai, self.name, self.base = sai, name, BLOCK_BASE[name]
        self.warned_no_dma = False

    def reg(self, off: int) -> int:
        return self.sai.regs[self.base + off]

    @property
    def enabled(self) -> bool:
        return bool(self.reg(CR1) & CR1_SAIEN)

    @property
    def mode(self) -> int:
        return self.reg(CR1) & 3

    @property
    def transmitter(self) -> bool:
        return self.mode in (0, 2)

    @property
    def master(self) -> bool:
        return self.mode in (0, 1)

    @property
    def data_bits(self) -> int:
        return DATA_SIZES.get((self.reg(CR1) >> 5) & 7, 0)

    @property
    def slots(self) -> int:
        nbslot = ((self.reg(SLOTR) >> 8) & 0xF) + 1
        enabled = bin((self.reg(SLOTR) >> 16) & ((1 << nbslot) - 1)).count("1")
        return enabled

    @property
    def dr_address(self) -> int:
        return self.sai.base + self.base + DR

    @property
    def request(self) -> str:
        return f"{self.sai.name.upper()}_{self.name}"


class Sai(Peripheral):
    REGISTERS = {GCR: "GCR"}  # noqa: RUF012
    for _b, _base in BLOCK_BASE.items():
        for _off, _name in ((CR1, "CR1"), (CR2, "CR2"), (FRCR, "FRCR"), (SLOTR, "SLOTR"), (IM, "IM"),
                            (SR, "SR"), (CLRFR, "CLRFR"), (DR, "DR")):
            REGISTERS[_base + _off] = f"{_b}{_name}"
    RESET = {BLOCK_BASE["A"] + CR1: 0x40, BLOCK_BASE["B"] + CR1: 0x40,  # noqa: RUF012
             BLOCK_BASE["A"] + FRCR: 0x07, BLOCK_BASE["B"] + FRCR: 0x07}

    def __init__(self, board, name, base, size=None, irq: int | None = None):
        self.irq = SAI1_IRQ if irq is None else irq
        self.link = AudioLink()
        super().__init__(board, name, base, size)

    def reset(self) -> None:
        super().reset()
        self.blocks = {n: Block(self, n) for n in BLOCK_BASE}
        self.period: Fraction | None = None  # core cycles per frame
        self.t0 = 0
        self.frame = 0  # frames processed
        self._event = None
        self._dma: Dma | None = None
        self._streams: dict[str, Stream] = {}

    # host API --------------------------------------------------------------------------------------------
    def request_for(self, par: int) -> str | None:
        """The DMA request name whose data register is at ``par`` (used by the DMA's mapping check)."""
        for block in self.blocks.values():
            if block.dr_address == par:
                return block.request
        return None

    @property
    def dma(self) -> Dma | None:
        if self._dma is None:
            self._dma = next((p for p in self.board.peripherals.values()
                              if isinstance(p, Dma) and p.name == "dma2"), None)
            if self._dma is not None:
                self._dma.on_access = self.advance
                self._dma.on_change = self._schedule
        return self._dma

    def frame_time(self, k: int) -> int:
        assert self.period is not None
        return self.t0 + (k * self.period.numerator) // self.period.denominator

    def frame_rate(self, block: Block) -> Fraction | None:
        """Frames per second of a master block from the kernel clock and its dividers (None: no clock)."""
        rcc = self.board.rcc
        ker = rcc.sai_kernel_hz(1) if rcc is not None else Fraction(0)
        if ker == 0:
            self.board.warn(f"{self.name}: block {block.name} enabled as master without a kernel clock "
                            "(RCC PLLSAI/PLLI2S off or DCKCFGR1.SAI1SEL = I2S_CKIN): no frames")
            return None
        cr1 = block.reg(CR1)
        if cr1 & CR1_NODIV:
            return ker / ((block.reg(FRCR) & 0xFF) + 1)
        mckdiv = (cr1 >> 20) & 0xF
        frl = (block.reg(FRCR) & 0xFF) + 1
        if frl & (frl - 1) or frl < 8:
            self.board.warn(f"{self.name}: block {block.name}: FRL+1 = {frl} is not a power of two >= 8 "
                            "(required when NODIV = 0)")
        return ker / (256 * (2 * mckdiv if mckdiv else 1))

    # the frame clock ----------------------------------------------------------------------------------
    def _clock_block(self) -> Block | None:
        for block in self.blocks.values():
            if block.enabled and block.master:
                return block
        return None

    def _clocked(self, block: Block) -> bool:
        if not block.enabled:
            return False
        if block.master:
            return True
        other = self.blocks["B" if block.name == "A" else "A"]
        return (block.reg(CR1) >> 10) & 3 == 1 and other.enabled and other.master

    def _start_clock(self, block: Block) -> None:
        rate = self.frame_rate(block)
        if rate is None:
            return
        self.period = Fraction(self.board.core_hz) / rate
        self.t0 = self.board.cycles
        self.frame = 0
        self.link.sample_rate = float(rate)
        if self.link.on_start is not None:
            self.link.on_start(float(rate))

    def advance(self) -> None:
        """Process every frame due by now (called before register accesses and at DMA half points)."""
        if self.period is None or self._clock_block() is None:
            return
        now = self.board.cycles
        last = ((now - self.t0 + 1) * self.period.denominator - 1) // self.period.numerator
        if last > self.frame:
            self._frames(self.frame + 1, last)
            self._schedule()

    def _frames(self, first: int, last: int) -> None:
        """Move frames first..last (inclusive) through every clocked block."""
        n = last - first + 1
        for block in self.blocks.values():
            if not self._clocked(block):
                continue
            slots = block.slots
            stream = self._stream(block)
            if stream is None or not block.reg(CR1) & CR1_DMAEN or slots == 0:
                self._set_sr(block, SR_OVRUDR)
                continue
            def cycles(i: int, slots: int = slots) -> int:
                return self.frame_time(first + i // slots)

            if block.transmitter:
                if stream.direction != M2P:
                    self._wrong_direction(block)
                    continue
                moved = stream.move(n * slots, None, cycles)
                self._collect(block, first, slots, moved.items)
                for offset, _region, stored in moved.region_starts:
                    self._tx_region_started(first + offset // slots, stored)
                self.link.misses += len(moved.misses)
                self.link.miss_frames += [first + off // slots for off in moved.misses]
            else:
                if stream.direction != P2M:
                    self._wrong_direction(block)
                    continue
                bits = block.data_bits
                samples = self.link.input[first - 1:last]
                ints = np.zeros(n, np.int64)
                if len(samples):
                    ints[:len(samples)] = np.clip(np.round(samples.astype(np.float64) * (1 << (bits - 1))),
                                                  -(1 << (bits - 1)), (1 << (bits - 1)) - 1)
                mask = (1 << bits) - 1
                data = [0] * (n * slots)
                data[::slots] = [int(v) & mask for v in ints]
                moved = stream.move(n * slots, data, cycles)
                for end, items in moved.region_ends:
                    frame = first + (end - 1) // slots
                    self.link.rx_done.append((self.frame_time(frame), frame - items // slots + 1))
                    if self.link.on_block is not None:
                        self.link.on_block(frame)
        self.frame = last
        self.link.frames = last

    def _collect(self, block: Block, first: int, slots: int, items: list[int]) -> None:
        bits = block.data_bits
        out = self.link.output
        if len(out) < first - 1:
            out.extend([0.0] * (first - 1 - len(out)))
        sign, mask, scale = 1 << (bits - 1), (1 << bits) - 1, 1.0 / (1 << (bits - 1))
        for value in items[::slots]:
            v = value & mask
            out.append(((v ^ sign) - sign) * scale)

    def _tx_region_started(self, frame: int, stored: int | None) -> None:
        """Latency: this TX region carries the RX half that completed last before its first store."""
        if stored is None:
            return
        done = [first for cycle, first in self.link.rx_done if cycle <= stored]
        if done:
            self.link.latencies.append(frame - done[-1])

    def _stream(self, block: Block) -> Stream | None:
        dma = self.dma
        return dma.stream_for(block.dr_address, block.request) if dma is not None else None

    def _wrong_direction(self, block: Block) -> None:
        if not block.warned_no_dma:
            block.warned_no_dma = True
            self.board.warn(f"{self.name}: block {block.name}'s DMA stream has the wrong DIR")

    def _schedule(self) -> None:
        """Schedule the next sync point: the first frame at which a DMA stream reaches HT or TC."""
        self.board.scheduler.cancel(self._event)
        self._event = None
        frames = None
        if self.period is None:
            return
        for block in self.blocks.values():
            stream = self._stream(block) if self._clocked(block) else None
            if stream is None or not block.slots:
                continue
            need = -(-stream.items_to_event() // block.slots)
            frames = need if frames is None else min(frames, need)
        if frames is not None:
            self._event = self.board.scheduler.schedule(self.frame_time(self.frame + frames),
                                                        f"{self.name}.frames", self.advance)

    # flags and IRQ ---------------------------------------------------------------------------------------
    def _set_sr(self, block: Block, bits: int) -> None:
        if not block.warned_no_dma:
            block.warned_no_dma = True
            self.board.warn(f"{self.name}: block {block.name} runs without a DMA stream on "
                            f"SAI_{block.name}DR (CPU FIFO access not modelled): OVRUDR")
        self.regs[block.base + SR] |= bits
        self._update_irq()

    def _update_irq(self) -> None:
        if self.irq is None:
            return
        level = any(self.regs[b.base + SR] & self.regs[b.base + IM] & 0x7F for b in self.blocks.values())
        if level or self.board.nvic.level[self.irq]:
            self.board.nvic.set_irq_level(self.irq, level)

    # registers ---------------------------------------------------------------------------------------
    def _locate(self, offset: int) -> tuple[Block | None, int]:
        for block in self.blocks.values():
            if block.base <= offset < block.base + 0x20:
                return block, offset - block.base
        return None, offset

    def read(self, offset: int) -> int:
        self.advance()
        block, reg = self._locate(offset)
        if block is None:
            return self.regs.get(offset, 0)
        if reg == SR:
            value = self.regs[offset] & 0x7F
            if block.enabled and block.transmitter:
                value |= SR_FREQ  # FIFO (not modelled) never full
            return value
        if reg == DR:
            self.board.warn(f"{self.name}: SAI_{block.name}DR read by the CPU (FIFO not modelled: reads 0)")
            return 0
        if reg == CLRFR:
            return 0
        return self.regs[offset]

    def write(self, offset: int, value: int, mask: int) -> None:
        self.advance()
        block, reg = self._locate(offset)
        if block is None:
            super().write(offset, value, mask)
            return
        new = self.merge(offset, value, mask)
        if reg == SR:
            self.board.warn(f"{self.name}: write to read-only SAI_{block.name}SR ignored")
            return
        if reg == CLRFR:
            self.regs[block.base + SR] &= ~(value & mask & 0x77)
            self._update_irq()
            return
        if reg == DR:
            self.board.warn(f"{self.name}: SAI_{block.name}DR written by the CPU "
                            "(FIFO not modelled: dropped)")
            return
        if block.enabled and reg in (CR1, CR2, FRCR, SLOTR):
            allowed = RUNTIME_BITS.get(reg, 0)
            if (self.regs[offset] ^ new) & ~allowed:
                self.board.warn(f"{self.name}: SAI_{block.name}{self.REGISTERS[offset][1:]} configuration "
                                "written while SAIEN = 1 (ignored, as on the chip)")
            new = (self.regs[offset] & ~allowed) | (new & allowed)
        was_clocked = self._clock_block() is not None
        self.regs[offset] = new
        if reg == IM:
            self._update_irq()
        if reg == CR1:
            if new & CR1_SAIEN and block.reg(CR1) & CR1_MONO:
                self.board.warn(f"{self.name}: MONO mode is not modelled (slots are used as programmed)")
            if new & CR1_SAIEN and not block.master and (new >> 10) & 3 != 1:
                self.board.warn(f"{self.name}: block {block.name} is an asynchronous slave: no external "
                                "clock on this board, it gets no frames")
            clock = self._clock_block()
            if clock is not None and not was_clocked:
                self._start_clock(clock)
            elif clock is None:
                self.period = None
                self.board.scheduler.cancel(self._event)
            if self.period is not None:
                self._schedule()
