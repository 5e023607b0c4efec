"""SAI1 (RM0410 §35): two audio blocks clocked in virtual time, data moved by DMA2, host audio in/out.

Modelled subset:
- SAI_GCR (read back); per block A/B: SAI_xCR1 (MODE, PRTCFG, DS, SYNCEN, MONO, SAIEN, DMAEN, NODIV,
  MCKDIV), SAI_xCR2 (FFLUSH, FTH), SAI_xFRCR, SAI_xSLOTR (NBSLOT, SLOTEN), SAI_xIM, SAI_xSR (OVRUDR, FREQ,
  FLVL), SAI_xCLRFR (write 1 to clear); the IRQ line (87) is high while an enabled SR flag is set.
- Frame clock of a master block: kernel clock from RCC (DCKCFGR1.SAI1SEL: PLLSAI/PLLI2S Q outputs and
  their DIVQ dividers, as programmed), FS = ker / (256 x 2 x MCKDIV) (MCKDIV = 0 counts as 1, with no x2)
  when NODIV = 0; FS = ker / (FRL + 1) when NODIV = 1. A slave block with SYNCEN = 01 runs on the other
  block's frame clock; an asynchronous slave has no clock here (no external codec clock): warned.
- Each frame, every enabled block moves one item per active slot (SLOTEN within NBSLOT + 1) through its
  8-item FIFO: a receiver pushes them (its first slot carries the next input sample, others 0), a
  transmitter pops them (its first slot is the output sample; an empty FIFO underruns: 0 and OVRUDR).
  The DMA2 stream whose PAR is its SAI_xDR (request mapping checked) serves the FIFO while FREQ is set,
  which CR2.FTH decides in SR.FLVL steps (the SAI chapter's "Internal FIFOs", as in the Renode model
  renode/STM32F7_SAI.cs): a transmitter asks while FLVL < FTH + 1 (topped up when DMAEN is set and
  after each frame), a receiver while FLVL >= FTH + 1 (drained after each frame). At the firmware's FTH =
  1/4 the DMA reads a TX item 3 items (1.5 stereo frames) before it is sent and writes an RX item one
  item after it arrived: the deadlines of the chip and of the Renode model. Samples are DS-bit two's
  complement, right-aligned in the item (bits above DS read 0). A block that is enabled without DMA
  sets OVRUDR at its first frame (CPU access to SAI_xDR is not modelled).
- Configuration writes while SAIEN = 1 are ignored and warned about, as on the chip (except SAIEN,
  DMAEN, CR2 MUTE bits, IM).

Batching (the simulator's only deviation in time): frames are processed when the firmware could see them —
at every DMA half/complete point (a scheduled event at that frame's exact time) and before any SAI or
DMA2 register access (so NDTR and flags read mid-block are exact). The RX data of a frame therefore land
in memory at the next such point instead of at the frame, and TX data are read then: firmware that only
touches a half after its HT/TC interrupt (any correct double-buffer driver) sees exactly the chip's
behaviour.
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
CR2_FFLUSH, CR2_FTH = 1 << 3, 0x7
SR_OVRUDR, SR_FREQ = 1 << 0, 1 << 3
FIFO_DEPTH = 8
DATA_SIZES = {2: 8, 3: 10, 4: 16, 5: 20, 6: 24, 7: 32}
RUNTIME_BITS = {CR1: CR1_SAIEN | CR1_DMAEN, CR2: (1 << 5) | (1 << 6) | (0x3F << 7) | (1 << 3)}


def frame_sending(done: int, position: int, slots: int) -> int:
    """The frame that sends the item at ``position`` of a transmit FIFO once frame ``done`` is over (each
    frame pops one item per slot)."""
    return done + 1 + position // max(1, slots)


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
        self.warned_no_dma = self.warned_fth = False
        self.fifo: deque[int] = deque()

    def fifo_level(self, n: int) -> int:
        """SR.FLVL for n items: 0 empty, 5 full; between, a transmitter counts 1-2, 3-4, 5-6, 7 items as
        1-4 and a receiver 1, 2-3, 4-5, 6-7."""
        if n == 0 or n >= FIFO_DEPTH:
            return 0 if n == 0 else 5
        return (n + 1) // 2 if self.transmitter else n // 2 + 1

    def requests(self, n: int) -> bool:
        """FREQ with n items in the FIFO: a transmitter asks while FLVL < FTH + 1, a receiver while
        FLVL >= FTH + 1."""
        threshold = min(self.reg(CR2) & CR2_FTH, 4) + 1
        level = self.fifo_level(n)
        return level < threshold if self.transmitter else level >= threshold

    @property
    def dma_level(self) -> int:
        """Items the DMA leaves in the FIFO (a transmitter's topped up to it, a receiver's drained to it)."""
        n = 0
        if self.transmitter:
            while self.requests(n):
                n += 1
            return n
        while n < FIFO_DEPTH and not self.requests(n + 1):
            n += 1
        return n

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
        for block in self.blocks.values():
            if not self._clocked(block):
                continue
            stream = self._stream(block)
            if stream is None or not block.reg(CR1) & CR1_DMAEN or block.slots == 0:
                self._set_sr(block, SR_OVRUDR)
                continue
            if stream.direction != (M2P if block.transmitter else P2M):
                self._wrong_direction(block)
                continue
            if block.transmitter:
                self._transmit(block, stream, first, last)
            else:
                self._receive(block, stream, first, last)
        self.frame = last
        self.link.frames = last

    def _transmit(self, block: Block, stream: Stream, first: int, last: int) -> None:
        """Each frame pops one item per slot from the FIFO, then the DMA tops it up again."""
        slots, level, held = block.slots, block.dma_level, list(block.fifo)
        read_frames: list[int] = []  # the frame of each DMA read, in order
        have = len(held)
        for frame in range(first, last + 1):
            have -= min(slots, have)
            read_frames += [frame] * max(0, level - have)
            have = max(have, level)
        moved = stream.move(len(read_frames), None, lambda i: self.frame_time(read_frames[i]))
        items = held + moved.items
        # pops in order: a frame finds the items read before it (fewer than planned if the stream stopped)
        out, pop_frames, reads, underrun = [], [], 0, False
        for frame in range(first, last + 1):
            while reads < len(moved.items) and read_frames[reads] < frame:
                reads += 1
            take = min(slots, len(held) + reads - len(pop_frames))
            underrun |= take < slots
            out.append(items[len(pop_frames)] if take > 0 else 0)
            pop_frames += [frame] * take
        block.fifo = deque(items[len(pop_frames):])
        if underrun:
            self.regs[block.base + SR] |= SR_OVRUDR
            self._update_irq()
        self._collect(block, first, out)
        for offset, _region, stored in moved.region_starts:
            # the frame that sends the region's first item (one item per slot in the frames to come)
            i = len(held) + offset
            rest = i - len(pop_frames)
            self._tx_region_started(pop_frames[i] if rest < 0 else frame_sending(last, rest, slots), stored)
        self.link.misses += len(moved.misses)
        self.link.miss_frames += [read_frames[off] for off in moved.misses]

    def _receive(self, block: Block, stream: Stream, first: int, last: int) -> None:
        """Each frame pushes one item per slot into the FIFO (the first slot carries the next input
        sample), then the DMA drains it down to its level."""
        slots, level, held = block.slots, block.dma_level, list(block.fifo)
        n, bits = last - first + 1, block.data_bits
        samples = self.link.input[first - 1:last]
        ints = np.zeros(n, np.int64)
        if len(samples):
            ints[:len(samples)] = np.clip(np.round(samples.astype(np.float64) * (1 << (bits - 1))),
                                          -(1 << (bits - 1)), (1 << (bits - 1)) - 1)
        arrived = [0] * (n * slots)
        arrived[::slots] = [int(v) & ((1 << bits) - 1) for v in ints]
        if level + slots > FIFO_DEPTH and not block.warned_fth:
            block.warned_fth = True
            self.board.warn(f"{self.name}: block {block.name}'s FTH keeps {level} items back, less than a "
                            f"frame ({slots} items) of room: the chip would overrun (not modelled)")
        write_frames: list[int] = []  # the frame of each DMA write, in order
        have = len(held)
        for frame in range(first, last + 1):
            have += slots
            write_frames += [frame] * max(0, have - level)
            have = min(have, level)
        items = held + arrived
        moved = stream.move(len(write_frames), items[:len(write_frames)],
                            lambda i: self.frame_time(write_frames[i]))
        left = items[moved.done:]
        if len(left) > FIFO_DEPTH:  # the stream stopped: the FIFO fills and the rest overruns
            self.regs[block.base + SR] |= SR_OVRUDR
            self._update_irq()
        block.fifo = deque(left[:FIFO_DEPTH])
        for end, count in moved.region_ends:
            # the half's last item arrived at frame first + (end - 1 - len(held)) // slots (earlier batches
            # for a held item); it is in memory at its write frame
            arrival = first + (end - 1 - len(held)) // slots
            frame = write_frames[end - 1]
            self.link.rx_done.append((self.frame_time(frame), arrival - count // slots + 1))
            if self.link.on_block is not None:
                self.link.on_block(frame)

    def _collect(self, block: Block, first: int, items: list[int]) -> None:
        """Append the first slot of frames first.. (one item each) to the output."""
        bits = block.data_bits
        out = self.link.output
        if len(out) < first - 1:
            out.extend([0.0] * (first - 1 - len(out)))
        sign, mask, scale = 1 << (bits - 1), (1 << bits) - 1, 1.0 / (1 << (bits - 1))
        for value in items:
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

    def _prefill(self, block: Block) -> None:
        """DMAEN set on a transmitter: its stream tops the FIFO up at once (before the first frame)."""
        stream = self._stream(block)
        if stream is None or stream.direction != M2P:
            return
        now = self.board.cycles
        moved = stream.move(max(0, block.dma_level - len(block.fifo)), None, lambda i: now)
        held = len(block.fifo)
        block.fifo.extend(moved.items)
        for offset, _region, stored in moved.region_starts:
            self._tx_region_started(frame_sending(self.frame, held + offset, block.slots), stored)

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
            # the next frame may move more than a frame's items (a FIFO not at the DMA's level yet)
            level, held = block.dma_level, len(block.fifo)
            extra = level - held if block.transmitter else held - level
            need = max(1, -(-(stream.items_to_event() - max(0, extra)) // block.slots))
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
            value = self.regs[offset] & 0x7F | block.fifo_level(len(block.fifo)) << 16
            if block.enabled and block.requests(len(block.fifo)):
                value |= SR_FREQ
            return value
        if reg == DR:
            self.board.warn(f"{self.name}: SAI_{block.name}DR read by the CPU (not modelled: reads 0)")
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
            self.board.warn(f"{self.name}: SAI_{block.name}DR written by the CPU (not modelled: dropped)")
            return
        if block.enabled and reg in (CR1, CR2, FRCR, SLOTR):
            allowed = RUNTIME_BITS.get(reg, 0)
            if (self.regs[offset] ^ new) & ~allowed:
                self.board.warn(f"{self.name}: SAI_{block.name}{self.REGISTERS[offset][1:]} configuration "
                                "written while SAIEN = 1 (ignored, as on the chip)")
            new = (self.regs[offset] & ~allowed) | (new & allowed)
        if reg == CR2 and new & CR2_FFLUSH:
            block.fifo.clear()
            new &= ~CR2_FFLUSH
        was_clocked = self._clock_block() is not None
        dma_enabled = not self.regs[offset] & CR1_DMAEN and new & CR1_DMAEN
        self.regs[offset] = new
        if reg == IM:
            self._update_irq()
        if reg == CR1 and dma_enabled and block.transmitter:
            self._prefill(block)
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
