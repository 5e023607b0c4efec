"""The peripheral bus: unicorn MMIO pages routed to the peripheral models by register address.

Every register a model declares becomes an entry in one dict keyed by the word address, so a
dispatch is one lookup. Models without a register list (tags) own a whole address range instead.
Accesses to words no model owns are reported (read as 0). With tracing on, every access is reported
by register name: ``[usart3] pc=0x08000120 W CR1 = 0x0000000d`` (the PC is that of the block start,
a unicorn limitation: MMIO callbacks see the PC of the translated block, not of the instruction).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from unicorn import UcError
from unicorn.arm_const import UC_ARM_REG_PC
from unicorn.unicorn_py3.unicorn import MMIO_READ_CFUNC, MMIO_WRITE_CFUNC, uclib

from m7amp.sim.periph._base import Peripheral

if TYPE_CHECKING:
    from unicorn import Uc

    from m7amp.sim._simulator import Simulator


class Bus:
    def __init__(self, board: Simulator, page_size: int):
        self.board = board
        self.page = page_size
        self.words: dict[int, tuple[Peripheral, int]] = {}
        self.ranges: list[tuple[int, int, Peripheral]] = []
        self.trace: Callable[[str], None] | None = None
        self.error: BaseException | None = None  # raised by the run loop after the slice
        self._pages: set[int] = set()
        self._callbacks: list[object] = []  # ctypes thunks must outlive the mapping

    def attach(self, periph: Peripheral, span: tuple[int, int] | None = None) -> None:
        """Attach a model: by its register list, or over ``span`` (start, end) for catch-all models."""
        if span is not None:
            self.ranges.append((span[0], span[1], periph))
            self._add_pages(span[0], span[1])
            return
        for off in periph.REGISTERS:
            addr = periph.base + off
            if addr in self.words:
                raise ValueError(f"{periph.name} and {self.words[addr][0].name} both claim 0x{addr:08x}")
            self.words[addr] = (periph, off)
            self._add_pages(addr, addr + 4)

    def _add_pages(self, start: int, end: int) -> None:
        first = start - start % self.page
        self._pages.update(range(first, end, self.page))

    def map(self, uc: Uc) -> list[tuple[int, int]]:
        """Map every page holding a register as MMIO (adjacent pages merged); return the mapped spans."""
        spans: list[tuple[int, int]] = []
        for page in sorted(self._pages):
            if spans and spans[-1][1] == page:
                spans[-1] = (spans[-1][0], page + self.page)
            else:
                spans.append((page, page + self.page))
        for start, end in spans:
            # Raw ctypes callbacks rather than Uc.mmio_map: skips the binding's per-call wrapper, which
            # matters for firmware polling a register (e.g. a delay loop on DWT CYCCNT).
            def read(_h: int, offset: int, size: int, _ud: int, base: int = start) -> int:
                try:
                    return self._read_cb(uc, offset, size, base)
                except BaseException as exc:  # never unwind through C: the run loop re-raises it
                    self._fail(uc, exc)
                    return 0

            def write(_h: int, offset: int, size: int, value: int, _ud: int, base: int = start) -> None:
                try:
                    self._write_cb(uc, offset, size, value, base)
                except BaseException as exc:
                    self._fail(uc, exc)

            rd, wr = MMIO_READ_CFUNC(read), MMIO_WRITE_CFUNC(write)
            self._callbacks += [rd, wr]
            status = uclib.uc_mmio_map(uc._uch, start, end - start, rd, None, wr, None)
            if status != 0:
                raise UcError(status)
        return spans

    def _fail(self, uc: Uc, exc: BaseException) -> None:
        if self.error is None:
            self.error = exc
        uc.emu_stop()

    def is_mmio(self, addr: int) -> bool:
        """Is ``addr`` in a page mapped as MMIO (some peripheral's registers)?"""
        return addr - addr % self.page in self._pages

    def lookup(self, addr: int) -> tuple[Peripheral, int] | None:
        hit = self.words.get(addr)
        if hit is not None:
            return hit
        for start, end, periph in self.ranges:
            if start <= addr < end:
                return periph, addr - periph.base
        return None

    # unicorn callbacks ----------------------------------------------------------------------------
    def _read_cb(self, uc: Uc, offset: int, size: int, base: int) -> int:
        addr = base + offset
        word = addr & ~3
        hit = self.lookup(word)
        if hit is None:
            self.board.warn(f"read of unmapped peripheral address 0x{word:08x} (reads 0)")
            return 0
        periph, off = hit
        value = periph.read(off) & 0xFFFFFFFF
        if self.trace is not None:
            pc = uc.reg_read(UC_ARM_REG_PC)
            self.trace(f"[{periph.name}] pc=0x{pc:08x} R {periph.register_name(off)} = 0x{value:08x}")
        for observer in self.board.on_access:
            observer(periph, off, "R", value, 0xFFFFFFFF)
        shift = (addr & 3) * 8
        return (value >> shift) & ((1 << (size * 8)) - 1)

    def _write_cb(self, uc: Uc, offset: int, size: int, value: int, base: int) -> None:
        addr = base + offset
        word = addr & ~3
        shift = (addr & 3) * 8
        mask = (((1 << (size * 8)) - 1) << shift) & 0xFFFFFFFF
        value = (value << shift) & mask
        hit = self.lookup(word)
        if hit is None:
            self.board.warn(f"write of 0x{value:08x} to unmapped peripheral address 0x{word:08x} (ignored)")
            return
        periph, off = hit
        if self.trace is not None:
            pc = uc.reg_read(UC_ARM_REG_PC)
            self.trace(f"[{periph.name}] pc=0x{pc:08x} W {periph.register_name(off)} = 0x{value:08x}"
                       + ("" if mask == 0xFFFFFFFF else f" (mask 0x{mask:08x})"))
        for observer in self.board.on_access:
            observer(periph, off, "W", value, mask)
        periph.write(off, value, mask)
