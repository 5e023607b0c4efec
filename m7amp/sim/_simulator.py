"""The simulated STM32F767 board: unicorn CPU, memory map from the .repl, peripherals, run loop.

See m7amp/sim/ARCHITECTURE.md for the layers. In short: unicorn executes Thumb code; a block hook in C
counts instructions and modelled cycles and stops emulation when the next scheduled event is due; the
run loop (this module) then fires events, takes exceptions (stacking done here, never inside a hook),
handles semihosting, exception returns and WFI, and turns CPU errors into fault reports.
"""

from __future__ import annotations

import contextlib
import ctypes
import re
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from unicorn import (
    UC_ARCH_ARM,
    UC_ERR_FETCH_PROT,
    UC_ERR_FETCH_UNMAPPED,
    UC_ERR_INSN_INVALID,
    UC_ERR_READ_PROT,
    UC_ERR_READ_UNMAPPED,
    UC_ERR_WRITE_PROT,
    UC_ERR_WRITE_UNMAPPED,
    UC_HOOK_CODE,
    UC_HOOK_INTR,
    UC_HOOK_MEM_FETCH_UNMAPPED,
    UC_HOOK_MEM_READ,
    UC_HOOK_MEM_READ_UNMAPPED,
    UC_HOOK_MEM_WRITE,
    UC_HOOK_MEM_WRITE_PROT,
    UC_HOOK_MEM_WRITE_UNMAPPED,
    UC_MEM_FETCH_UNMAPPED,
    UC_MEM_READ_UNMAPPED,
    UC_MEM_WRITE_PROT,
    UC_MEM_WRITE_UNMAPPED,
    UC_MODE_THUMB,
    UC_PROT_ALL,
    UC_PROT_EXEC,
    UC_PROT_READ,
    Uc,
    UcError,
)
from unicorn import arm_const as arm

from m7amp.errors import M7Error
from m7amp.sim import periph
from m7amp.sim._blockhook import STOP_ERROR, BlockHook
from m7amp.sim._bus import Bus
from m7amp.sim._cost import BlockCoster, MemoryOperand, make_cycle_model, memory_operands
from m7amp.sim._elf import Firmware
from m7amp.sim._repl import DEFAULT_REPL, ReplEntry, load_repl
from m7amp.sim._scheduler import NEVER, Scheduler
from m7amp.sim.periph.nvic import N_EXC, SVCALL

BOOT_VTOR = 0x0020_0000  # BOOT0=0: the core fetches its vectors through the flash's ITCM alias
EXC_RETURN_VALID = {0xFFFF_FFF1, 0xFFFF_FFF9, 0xFFFF_FFFD, 0xFFFF_FFE1, 0xFFFF_FFE9, 0xFFFF_FFED}
_UNTIL = 0xFFFF_FFFE  # emu_start's "until": never a real PC
_EPSR_IT_ICI = 0x0600FC00  # xPSR bits 26:25 and 15:10
_FRAME_REGS = (arm.UC_ARM_REG_R0, arm.UC_ARM_REG_R1, arm.UC_ARM_REG_R2, arm.UC_ARM_REG_R3, arm.UC_ARM_REG_R12,
               arm.UC_ARM_REG_LR)
_D_REGS = tuple(arm.UC_ARM_REG_D0 + i for i in range(8))  # D0-D7 = S0-S15
_MASK_REGS = (arm.UC_ARM_REG_PRIMASK, arm.UC_ARM_REG_BASEPRI, arm.UC_ARM_REG_FAULTMASK)

# Semihosting (ARM "Semihosting for AArch32 and AArch64", v2.0)
SYS_WRITEC, SYS_WRITE0, SYS_EXIT, SYS_EXIT_EXTENDED = 0x03, 0x04, 0x18, 0x20
ADP_STOPPED_APPLICATION_EXIT = 0x20026

# QEMU exception numbers reported through UC_HOOK_INTR
_EXCP_UDEF, _EXCP_SWI, _EXCP_PREFETCH_ABORT, _EXCP_BKPT, _EXCP_EXCEPTION_EXIT = 1, 2, 3, 7, 8
_EXCP_NAMES = {4: "data abort", 17: "coprocessor disabled (NOCP)",
               18: "invalid state (INVSTATE)"}


@dataclass
class FaultReport:
    """Why a run stopped on a fault, decoded against the ELF symbols."""

    kind: str  # unmapped-read/-write/-fetch, write-to-flash, undefined-instruction, bad-exc-return,
    #            stack-overflow, divide-by-zero, cpu-exception
    pc: int
    function: str | None
    detail: str
    address: int | None = None
    lr: int = 0
    lr_function: str | None = None

    def __str__(self) -> str:
        where = f"pc 0x{self.pc:08x}" + (f" in {self.function}()" if self.function else "")
        caller = f"lr 0x{self.lr:08x}" + (f" in {self.lr_function}()" if self.lr_function else "")
        return f"fault: {self.kind}: {self.detail} at {where} ({caller})"


# Memory-model constants (docs/cycle-model.md, "Memory"): the extra cycles of a 32-byte line fill from
# flash through AXIM on top of FLASH_ACR.LATENCY + 1, of a line fill from SRAM (I- or D-cache), and of an
# uncached load from SRAM.
AXI_LINE_EXTRA = 2
SRAM_LINE_FILL = 4
SRAM_UNCACHED_READ = 4
_CORE_REGS = [getattr(arm, f"UC_ARM_REG_R{i}") for i in range(13)] + [
    arm.UC_ARM_REG_SP, arm.UC_ARM_REG_LR, arm.UC_ARM_REG_PC]

_UC_REGS = {f"r{i}": getattr(arm, f"UC_ARM_REG_R{i}") for i in range(13)} | {
    "sb": arm.UC_ARM_REG_R9, "sl": arm.UC_ARM_REG_R10, "fp": arm.UC_ARM_REG_R11, "ip": arm.UC_ARM_REG_R12,
    "sp": arm.UC_ARM_REG_SP, "lr": arm.UC_ARM_REG_LR}


@dataclass
class RunResult:
    """Outcome of ``Simulator.run``. ``status`` is the firmware's exit status (None if it did not exit)."""

    stop_reason: str  # exit | until | max-cycles | fault | idle | breakpoint
    status: int | None
    cycles: int
    instructions: int
    uart: str
    host_seconds: float
    simulated_seconds: float
    fault: FaultReport | None = None
    run_instructions: int = 0  # executed during this call (for MIPS)
    warnings: list[str] = field(default_factory=list)

    @property
    def mips(self) -> float:
        return self.run_instructions / self.host_seconds / 1e6 if self.host_seconds > 0 else 0.0


class _HaltError(Exception):
    """Internal: a fault found while the run loop manipulates CPU state."""


class Simulator:
    """An STM32F767 running one firmware ELF in virtual time (see docs/simulator.md)."""

    def __init__(self, elf: Path | str, *, cycle_model: bool = True, memory_model: bool = True,
                 trace: Callable[[str], None] | None = None, repl: Path = DEFAULT_REPL):
        self.firmware = Firmware(Path(elf))
        self.platform = load_repl(repl)
        self._cycle_model_enabled = cycle_model
        # memory-system model (flash wait states, ART, I-cache, D-cache; docs/cycle-model.md "Memory"): on
        # by default; it adds stalls to the cycle model, so it is off with cycle_model=False (Renode's
        # one cycle per instruction stays exactly that)
        self._memory_model = memory_model and cycle_model
        self._trace = trace
        self.on_uart: Callable[[str], None] | None = None
        # observers (m7amp/sim/trace.py, profile.py): (peripheral, offset, "R"/"W", value, mask) per MMIO
        # access; ("entry"/"return", exception number) per exception. They survive reset().
        self.on_access: list[Callable[[periph.Peripheral, int, str, int, int], None]] = []
        self.on_exception: list[Callable[[str, int], None]] = []
        self.boot_vtor = BOOT_VTOR
        self._build()

    # construction -----------------------------------------------------------------------------------
    def _build(self) -> None:
        self.coster: BlockCoster = make_cycle_model(self._cycle_model_enabled)
        self._access_info: dict[tuple[int, bytes], tuple[int, dict[int, int], list]] = {}
        self._access_seen: tuple[tuple[int, int, int, int] | None, int] = (None, 0)
        self.warnings: list[str] = []
        self._warned: set[str] = set()
        self.scheduler = Scheduler(self._event_scheduled)
        self._uart = bytearray()
        self._line_start = 0
        self._running = False
        self._exit_status: int | None = None
        self._fault: FaultReport | None = None
        self._stop_flag = False
        self._intr: tuple[int, int] | None = None
        self._mem_fault: tuple[int, int, int] | None = None  # (access, address, pc)
        self._reset_requested = False
        self._breakpoint = False
        self._until: re.Pattern[str] | None = None
        self._until_hit = False
        self._sleeping = False
        self._div_hooks: list[int] = []
        self._div_hooks_wanted = False
        self._watchers: list[list[Any]] = []  # [lo, hi, on_write, active]
        self._watched_pages: dict[int, bytearray] = {}
        self._watch_wanted = False
        self._time_mark = (0, 0.0)  # (cycles, seconds) at the last clock change
        self._breakpoints: dict[int, int] = {}  # address -> unicorn hook (debugger)
        self._watchpoints: dict[tuple[int, int, str], int] = {}  # (address, length, kind) -> hook
        self._debug_stop: tuple[str, int] | None = None  # ("breakpoint", pc) / ("watch"/..., data address)
        self._debug_suspended = False
        self._stepping = False  # the last emu_start counted instructions (see step())
        uc = Uc(UC_ARCH_ARM, UC_MODE_THUMB)
        uc.ctl_set_cpu_model(arm.UC_CPU_ARM_CORTEX_M7)  # UC_MODE_MCLASS would give an M33 without FP64
        self.uc = uc
        self.page = uc.ctl_get_page_size()
        self.bus = Bus(self, self.page)
        self.bus.trace = self._trace
        self._regions: list[tuple[int, int, str]] = []
        self._buffers: list[ctypes.Array] = []
        self._create_platform()
        self.hook = BlockHook(uc, self._cost_block, _MASK_REGS,
                              self._data_accesses if self._memory_model else None)
        st = self.hook.state
        st.fetch_on = int(self._memory_model)
        st.axi_extra, st.sram_wait, st.sram_read = AXI_LINE_EXTRA, SRAM_LINE_FILL, SRAM_UNCACHED_READ
        for i, reg in enumerate(_CORE_REGS):
            st.core_regs[i] = reg
        self.untracked_accesses = 0  # static loads/stores whose address the D-cache model cannot follow
        uc.hook_add(UC_HOOK_INTR, self._on_intr)
        uc.hook_add(UC_HOOK_MEM_READ_UNMAPPED | UC_HOOK_MEM_WRITE_UNMAPPED | UC_HOOK_MEM_FETCH_UNMAPPED,
                    self._on_bad_access)
        uc.hook_add(UC_HOOK_MEM_WRITE_PROT, self._on_bad_access)
        self._load_firmware()
        self._core_reset()

    def _create_platform(self) -> None:
        cpu = next((e for e in self.platform.values() if e.type == "CPU.CortexM"), None)
        if cpu is None or cpu.properties.get("cpuType") != "cortex-m7":
            raise M7Error("the platform file must declare a CPU.CortexM with cpuType \"cortex-m7\"")
        self.rcc: periph.Rcc | None = None
        self.nvic: periph.Nvic = None  # type: ignore[assignment]
        self.peripherals: dict[str, periph.Peripheral] = {}
        guard = self._guard_span()
        for entry in self.platform.values():
            models = periph.BY_NAME.get(entry.name) or periph.BY_TYPE.get(entry.type)
            if models is None and entry.type == "Memory.MappedMemory":
                self._map_memory(entry, guard)
                continue
            if entry.type == "CPU.CortexM":
                continue
            if entry.address is None:
                raise M7Error(f"platform entry '{entry.name}' has no address")
            if models is None:
                tag = periph.Tag(self, entry.name, entry.address, entry.size or 0x400)
                self.bus.attach(tag, (entry.address, entry.address + (entry.size or 0x400)))
                self.peripherals[entry.name] = tag
                continue
            for cls in models:
                kwargs: dict[str, Any] = {"irq": entry.irq} if cls in (periph.Usart, periph.Sai) else {}
                if cls is periph.Dma:  # numbered lines, one per stream
                    kwargs = {"irqs": {int(line): n for line, (_, n) in entry.irqs.items() if line.isdigit()}}
                model = cls(self, entry.name if len(models) == 1 else cls.__name__.lower(), entry.address,
                            entry.size, **kwargs)
                self.bus.attach(model)
                self.peripherals[model.name] = model
                if isinstance(model, periph.Rcc):
                    self.rcc = model
                if isinstance(model, periph.Nvic):
                    self.nvic = model
        if self.nvic is None:
            raise M7Error("the platform file has no IRQControllers.NVIC")
        self.scb: periph.Scb = self._one(periph.Scb)
        self.systick: periph.SysTick = self._one(periph.SysTick)
        self.coredebug: periph.CoreDebug = self._one(periph.CoreDebug)
        self.fpu: periph.Fpu = self._one(periph.Fpu)
        self.dwt: periph.Dwt | None = self._find(periph.Dwt)
        self.bus.map(self.uc)
        self._core_hz = self.rcc.hclk_hz() if self.rcc else 16_000_000

    def _find(self, cls: type) -> Any:
        return next((p for p in self.peripherals.values() if isinstance(p, cls)), None)

    def _one(self, cls: type) -> Any:
        model = self._find(cls)
        if model is None:
            raise M7Error(f"the platform file lacks the model {cls.__name__}")
        return model

    def _guard_span(self) -> tuple[int, int] | None:
        start = self.firmware.symbols.get("__stack_guard_start")
        end = self.firmware.symbols.get("__stack_guard_end")
        if start is None or end is None or end <= start:
            return None
        return start, end

    def _map_memory(self, entry: ReplEntry, guard: tuple[int, int] | None) -> None:
        size = entry.size
        if not size:
            raise M7Error(f"memory '{entry.name}' in the platform file has no size")
        if len(entry.addresses) > 1 or entry.name == "flash":
            # one backing buffer seen at several addresses (flash and its ITCM alias); read-only + exec
            buf = ctypes.create_string_buffer(size)
            self._buffers.append(buf)
            for addr in entry.addresses:
                self.uc.mem_map_ptr(addr, size, UC_PROT_READ | UC_PROT_EXEC, buf)
                self._regions.append((addr, addr + size, entry.name))
            self._flash = (entry.addresses, buf)
            return
        addr = entry.address
        assert addr is not None
        self._regions.append((addr, addr + size, entry.name))
        perms = UC_PROT_READ if entry.name == "rom" else UC_PROT_ALL
        if guard and addr <= guard[0] < addr + size:
            # The stack guard's page(s) become MMIO backed by a bytearray, so that any access to the guard
            # itself is caught while the rest of the page behaves as RAM (only deep stacks pay for it).
            lo = guard[0] - guard[0] % self.page
            hi = -(-guard[1] // self.page) * self.page
            if lo > addr:
                self.uc.mem_map(addr, lo - addr, perms)
            self._guard = guard
            self._guard_page = (lo, bytearray(hi - lo))
            self.uc.mmio_map(lo, hi - lo, self._guard_read, None, self._guard_write, None)
            if addr + size > hi:
                self.uc.mem_map(hi, addr + size - hi, perms)
        else:
            self.uc.mem_map(addr, size, perms)

    def _load_firmware(self) -> None:
        for seg in self.firmware.segments:
            end = seg.address + len(seg.data)
            if not any(lo <= seg.address and end <= hi for lo, hi, _ in self._regions):
                raise M7Error(
                    f"{self.firmware.path.name}: segment at 0x{seg.address:08x}-0x{end:08x} is outside the "
                    "board's memory map (renode/stm32f767.repl)")
            self.write_memory(seg.address, seg.data)

    # reset ------------------------------------------------------------------------------------------
    def _core_reset(self) -> None:
        uc = self.uc
        uc.reg_write(arm.UC_ARM_REG_IPSR, 0)
        uc.reg_write(arm.UC_ARM_REG_CONTROL, 0)
        for reg in (*_MASK_REGS, arm.UC_ARM_REG_R0, arm.UC_ARM_REG_R1, arm.UC_ARM_REG_R2, arm.UC_ARM_REG_R3,
                    arm.UC_ARM_REG_R12):
            uc.reg_write(reg, 0)
        uc.reg_write(arm.UC_ARM_REG_LR, 0xFFFF_FFFF)
        vtor = self.scb.vtor
        sp, entry = struct.unpack("<II", self.read_memory(vtor, 8))
        uc.reg_write(arm.UC_ARM_REG_SP, sp & ~3)
        uc.reg_write(arm.UC_ARM_REG_PSP, 0)
        self._pc = entry & ~1
        uc.reg_write(arm.UC_ARM_REG_PC, self._pc)
        if not any(lo <= self._pc < hi for lo, hi, _ in self._regions):
            raise M7Error(f"{self.firmware.path.name}: reset vector 0x{entry:08x} "
                          f"(read at VTOR 0x{vtor:08x}) "
                          "is not in the board's memory")

    def _system_reset(self) -> None:
        """AIRCR.SYSRESETREQ: peripherals and core reset, memory kept, virtual time continues."""
        self._reset_requested = False
        self.scheduler.clear()
        for model in self.peripherals.values():
            model.reset()
        self.memory_config_changed()  # caches off, no wait states: the reset values
        self.invalidate_icache()
        self.hook.invalidate_dcache()
        self.hook.state.resume_count = 0
        self.invalidate_art()
        for watch in self._watchers:  # the models that armed them were reset
            watch[3] = False
        self._watch_wanted = bool(self._watchers)
        self._time_mark = (self.cycles, self.simulated_seconds)
        self._core_hz = self.rcc.hclk_hz() if self.rcc else 16_000_000
        self._sleeping = False
        self._core_reset()

    def reset(self) -> None:
        """Power-on reset: a fresh board with the firmware loaded again; counters start from zero."""
        self._build()

    # board services used by the peripheral models ------------------------------------------------------
    @property
    def cycles(self) -> int:
        return self.hook.state.cycles

    @property
    def instructions(self) -> int:
        return self.hook.state.instructions

    def cycles_at(self, address: int, store: bool = False) -> int:
        """The cycle count as seen by the instruction now accessing ``address`` (from an MMIO callback): the
        block hook has already counted the whole block, so take off what the cost model schedules from that
        instruction's issue on. The instruction is found among the block's loads (or stores) whose operand,
        from the registers now, gives ``address``; an operand whose registers are rewritten before the next
        operand is left out (its values are stale), and the n-th such access in one execution of the block
        maps to the n-th match. No match: the block's end, as before. Used by DWT CYCCNT."""
        st = self.hook.state
        start, size = st.last_block, st.last_size
        if not size:
            return st.cycles
        code = bytes(self.uc.mem_read(start, size))
        info = self._access_info.get((start, code))
        if info is None:
            following = self._following(start + size)
            cost = self.coster.cost(start, code, following).cycles
            issue = dict(self.coster.issue_cycles(start, code, following))
            info = self._access_info[(start, code)] = (cost, issue, memory_operands(code, start))
        cost, issue, operands = info
        candidates = [i for i, op in enumerate(operands)
                      if op.base and op.store == store and self._operand_address(op) == address]
        matches = []
        for n, i in enumerate(candidates):
            later = candidates[n + 1] if n + 1 < len(candidates) else i + 1
            rewritten = set().union(*(op.writes for op in operands[i + 1 : later]))
            if not rewritten & {operands[i].base, operands[i].index}:
                matches.append(operands[i].offset)
        if not matches:
            return st.cycles
        tag = (st.cycles, st.instructions, start, address)
        n = self._access_seen[1] + 1 if self._access_seen[0] == tag else 0
        self._access_seen = (tag, n)
        return st.cycles - cost + issue.get(matches[min(n, len(matches) - 1)], cost)

    def _operand_address(self, op: MemoryOperand) -> int:
        value = self.uc.reg_read(_UC_REGS[op.base]) + op.disp
        if op.index is not None:
            value += self.uc.reg_read(_UC_REGS[op.index]) << op.shift
        return value & 0xFFFFFFFF

    @property
    def pc(self) -> int:
        return self.uc.reg_read(arm.UC_ARM_REG_PC)

    @property
    def core_hz(self) -> int:
        return self._core_hz

    @property
    def pclk1_hz(self) -> int:
        return self.rcc.pclk1_hz() if self.rcc else self._core_hz

    @property
    def simulated_seconds(self) -> float:
        mark_cycles, mark_seconds = self._time_mark
        return mark_seconds + (self.cycles - mark_cycles) / self._core_hz

    def clock_changed(self) -> None:
        self._time_mark = (self.cycles, self.simulated_seconds)
        assert self.rcc is not None
        self._core_hz = self.rcc.hclk_hz()
        if self._core_hz > 180_000_000:
            pwr = self._find(periph.Pwr)
            if pwr is not None and not pwr.overdrive:
                self.warn(f"rcc: HCLK {self._core_hz / 1e6:g} MHz without PWR over-drive (max 180 MHz)")
        flash = self._find(periph.FlashInterface)
        needed = -(-self._core_hz // 30_000_000) - 1  # RM0410 Table 7 at 2.7-3.6 V
        if flash is not None and flash.latency < needed:
            self.warn(f"flash: LATENCY {flash.latency} too low for {self._core_hz / 1e6:g} MHz "
                      f"(needs {needed})")

    def warn(self, message: str) -> None:
        if message not in self._warned:
            self._warned.add(message)
            self.warnings.append(message)
            if self._trace is not None:
                self._trace(f"warning: {message}")

    def trace_enabled(self) -> bool:
        return self.coredebug.trcena

    def dwt_update(self) -> None:
        if self.dwt is not None:
            self.dwt.update()

    def request_stop(self) -> None:
        """End the current emulation slice at the next block boundary (safe from MMIO callbacks).

        Not uc.emu_stop(): called from an MMIO callback it leaves PC on the access instruction, which
        then runs again. The block hook stops before the next block instead."""
        if self._running:
            self._stop_flag = True
            self.hook.state.stop_at = 0

    def _event_scheduled(self, time: int) -> None:
        hook = getattr(self, "hook", None)
        if self._running and hook is not None and time < hook.state.stop_at:
            hook.state.stop_at = time  # the C hook stops the slice when this event is due

    def exception_state_changed(self) -> None:
        self.request_stop()

    def request_reset(self) -> None:
        self._reset_requested = True
        self.request_stop()

    def memory_config_changed(self) -> None:
        """SCB CCR.IC or FLASH_ACR changed: hand the instruction-fetch model its new settings."""
        st = self.hook.state
        st.icache_on = int(bool(self.scb.regs[0xD14] & (1 << 17)))
        st.dcache_on = int(bool(self.scb.regs[0xD14] & (1 << 16)))
        flash = self._find(periph.FlashInterface)
        acr = flash.regs[0] if flash is not None else 0
        st.flash_ws, st.prefetch_on, st.art_on = acr & 0xF, int(bool(acr & 1 << 8)), int(bool(acr & 1 << 9))

    def invalidate_icache(self) -> None:
        self.hook.invalidate_icache()

    def invalidate_art(self) -> None:
        self.hook.invalidate_art()

    def dcache_maintenance(self, op: int, by_set_way: bool, value: int) -> None:
        """SCB D-cache operation: op 0 invalidate, 1 clean, 2 clean and invalidate."""
        self.hook.dcache_op(op, by_set_way, value)

    @property
    def fetch_stats(self) -> dict[str, int]:
        """Memory-model counters: stall cycles added by instruction fetch and by data accesses, I-cache,
        ART and D-cache misses, data accesses looked up outside the TCMs."""
        st = self.hook.state
        return {"fetch_cycles": st.fetch_cycles, "icache_misses": st.icache_misses,
                "art_misses": st.art_misses, "data_cycles": st.data_cycles, "dcache_misses": st.dcache_misses,
                "data_accesses": st.data_accesses}

    def ccr_changed(self) -> None:
        self.memory_config_changed()
        if self.scb.regs[0xD14] & (1 << 4) and not self._div_hooks:
            self._div_hooks_wanted = True
            self.request_stop()

    def uart_output(self, data: bytes) -> None:
        self._uart.extend(data)
        if self.on_uart is not None:
            self.on_uart(data.decode("latin-1"))
        if b"\n" in data and self._until is not None:
            text = self._uart[self._line_start:].decode("latin-1")
            self._line_start = len(self._uart)
            if any(self._until.search(line) for line in text.splitlines()):
                self._until_hit = True
                self.request_stop()

    def uart_input(self, data: bytes) -> None:
        """Queue bytes for the USART3 receiver (the ST-LINK virtual COM port)."""
        usart = self.peripherals.get("usart3")
        if not isinstance(usart, periph.Usart):
            raise M7Error("the platform has no usart3")
        usart.inject(bytes(data))

    @property
    def uart_text(self) -> str:
        return self._uart.decode("latin-1")

    # memory ---------------------------------------------------------------------------------------------
    def _python_page(self, address: int) -> tuple[int, bytearray] | None:
        """The Python-backed page span (stack guard, watched RAM) holding ``address``, if any."""
        for lo, buf in self._python_pages():
            if lo <= address < lo + len(buf):
                return lo, buf
        return None

    def _python_pages(self) -> list[tuple[int, bytearray]]:
        guard = getattr(self, "_guard_page", None)
        return ([guard] if guard else []) + list(self._watched_pages.items())

    def _span_end(self, address: int, end: int) -> int:
        """End of the run of ``address`` that lies in one kind of memory (unicorn or a Python page)."""
        for lo, buf in self._python_pages():
            if lo <= address < lo + len(buf):
                return min(end, lo + len(buf))
            if address < lo < end:
                end = lo
        return end

    def read_memory(self, address: int, size: int) -> bytes:
        """Bytes of simulated memory (flash, RAM); raises M7Error for unmapped addresses."""
        out, addr, end = bytearray(), address, address + size
        while addr < end:
            stop = self._span_end(addr, end)
            page = self._python_page(addr)
            if page is not None:
                out += page[1][addr - page[0]:stop - page[0]]
            else:
                try:
                    out += self.uc.mem_read(addr, stop - addr)
                except UcError:
                    raise M7Error(f"cannot read 0x{address:08x}+{size}: not mapped") from None
            addr = stop
        return bytes(out)

    def write_memory(self, address: int, data: bytes) -> None:
        """Write simulated memory (also flash: this is how the firmware is 'programmed')."""
        addr, end = address, address + len(data)
        while addr < end:
            stop = self._span_end(addr, end)
            chunk = bytes(data[addr - address:stop - address])
            page = self._python_page(addr)
            if page is not None:
                page[1][addr - page[0]:stop - page[0]] = chunk
            else:
                try:
                    self.uc.mem_write(addr, chunk)
                except UcError:
                    raise M7Error(f"cannot write 0x{address:08x}+{len(data)}: not mapped") from None
            addr = stop

    # watched RAM (hook for the DMA model: which buffer halves did the CPU rewrite) ----------------------
    def watch_writes(self, lo: int, hi: int, on_write: Callable[[int, int], None]) -> int:
        """Register a watch (inactive) on RAM ``[lo, hi)``; return its id for ``set_watch``.

        While a watch is active, ``on_write(address, size)`` is called for every CPU store into its range.
        The 1 KB pages holding active ranges become MMIO backed by a bytearray (switched at the next slice
        boundary), as the stack guard's page does: only accesses to those pages pay a Python call while
        they are watched. A ranged unicorn memory hook would slow every store of the program (measured:
        about 2x), so watches are meant to be short: the DMA model arms one per buffer half only until
        the firmware's first store into it."""
        self._watchers.append([lo, hi, on_write, False])
        return len(self._watchers) - 1

    def set_watch(self, watch: int, active: bool) -> None:
        if self._watchers[watch][3] != active:
            self._watchers[watch][3] = active
            self._watch_wanted = True
            self.request_stop()

    def _sync_watches(self) -> None:
        """Make exactly the pages of active watches Python-backed."""
        self._watch_wanted = False
        guard = getattr(self, "_guard_page", None)
        wanted: set[int] = set()
        for lo, hi, _, active in self._watchers:
            if active:
                wanted.update(range(lo - lo % self.page, hi, self.page))
        for page in [p for p in self._watched_pages if p not in wanted]:
            buf = self._watched_pages.pop(page)
            self.uc.mem_unmap(page, self.page)
            self.uc.mem_map(page, self.page, UC_PROT_ALL)
            self.uc.mem_write(page, bytes(buf))
        for page in sorted(wanted - set(self._watched_pages)):
            if guard and guard[0] <= page < guard[0] + len(guard[1]):
                self.warn(f"RAM at 0x{page:08x} shares the stack guard's page: stores there are not watched")
                continue
            buf = bytearray(self.uc.mem_read(page, self.page))
            self.uc.mem_unmap(page, self.page)
            self.uc.mmio_map(page, self.page, self._watched_read, buf, self._watched_write, (page, buf))
            self._watched_pages[page] = buf

    @staticmethod
    def _watched_read(uc: Uc, offset: int, size: int, buf: bytearray) -> int:
        return int.from_bytes(buf[offset:offset + size], "little")

    def _watched_write(self, uc: Uc, offset: int, size: int, value: int,
                       where: tuple[int, bytearray]) -> None:
        page, buf = where
        buf[offset:offset + size] = (value & ((1 << (8 * size)) - 1)).to_bytes(size, "little")
        address = page + offset
        for lo, hi, on_write, active in self._watchers:
            if active and lo <= address < hi:
                on_write(address, size)

    def _read_word(self, address: int) -> int:
        return struct.unpack("<I", self.read_memory(address, 4))[0]

    def _guard_read(self, uc: Uc, offset: int, size: int, _: object) -> int:
        lo, buf = self._guard_page
        addr = lo + offset
        if self._guard[0] <= addr < self._guard[1]:
            self._stack_overflow(addr, "read")
            return 0
        return int.from_bytes(buf[offset:offset + size], "little")

    def _guard_write(self, uc: Uc, offset: int, size: int, value: int, _: object) -> None:
        lo, buf = self._guard_page
        addr = lo + offset
        if self._guard[0] <= addr < self._guard[1]:
            self._stack_overflow(addr, "write")
            return
        buf[offset:offset + size] = (value & ((1 << (8 * size)) - 1)).to_bytes(size, "little")

    def _stack_overflow(self, addr: int, access: str) -> None:
        pc = self.hook.state.last_block
        self._set_fault("stack-overflow", pc, f"{access} at 0x{addr:08x} in the stack guard "
                        f"(0x{self._guard[0]:08x}-0x{self._guard[1]:08x})", addr)
        self.uc.emu_stop()

    def symbol(self, name: str) -> int:
        """Address of an ELF symbol (functions without the Thumb bit)."""
        try:
            return self.firmware.symbols[name]
        except KeyError:
            raise M7Error(f"no symbol '{name}' in {self.firmware.path.name}") from None

    # hooks (Python side) --------------------------------------------------------------------------------
    def _cost_block(self, address: int, size: int) -> tuple[int, int]:
        code = bytes(self.uc.mem_read(address, size))
        cost = self.coster.cost(address, code, self._following(address + size))
        return int(cost.instructions), int(cost.cycles)

    def _data_accesses(self, address: int, size: int) -> list:
        from m7amp.sim._dside import data_accesses

        found, untracked = data_accesses(bytes(self.uc.mem_read(address, size)), address)
        self.untracked_accesses += untracked
        return found

    def _following(self, address: int) -> bytes:
        """Up to 32 bytes of code after a block (the cost model looks past blocks split without a branch)."""
        try:
            return bytes(self.uc.mem_read(address, 32))
        except UcError:
            return b""

    def _on_intr(self, uc: Uc, intno: int, _: object) -> None:
        self._intr = (intno, uc.reg_read(arm.UC_ARM_REG_PC))
        uc.emu_stop()

    def _on_bad_access(self, uc: Uc, access: int, address: int, size: int, value: int, _: object) -> bool:
        self._mem_fault = (access, address, uc.reg_read(arm.UC_ARM_REG_PC))
        return False

    def _install_div_hooks(self) -> None:
        """Hook every SDIV/UDIV so CCR.DIV_0_TRP can be honoured (unicorn returns 0 instead of trapping)."""
        self._div_hooks_wanted = False
        for base, code in self.firmware.code_sections:
            for i in range(0, len(code) - 3, 2):
                hw1, hw2 = struct.unpack_from("<HH", code, i)
                if hw1 & 0xFFF0 in (0xFB90, 0xFBB0) and hw2 & 0xF0F0 == 0xF0F0:
                    rm = hw2 & 0xF
                    reg = arm.UC_ARM_REG_R0 + rm if rm < 13 else (arm.UC_ARM_REG_SP, arm.UC_ARM_REG_LR,
                                                                  arm.UC_ARM_REG_PC)[rm - 13]
                    self._div_hooks.append(self.uc.hook_add(
                        UC_HOOK_CODE, lambda uc, a, s, r, _reg=reg: self._on_div_reg(uc, a, _reg),
                        None, base + i, base + i))
        self.uc.ctl_flush_tb()

    def _on_div_reg(self, uc: Uc, address: int, reg: int) -> None:
        if self.scb.regs[0xD14] & (1 << 4) and uc.reg_read(reg) == 0:
            self._set_fault("divide-by-zero", address, "integer division by zero with CCR.DIV_0_TRP set")
            uc.emu_stop()

    # faults ---------------------------------------------------------------------------------------------
    def _set_fault(self, kind: str, pc: int, detail: str, address: int | None = None) -> None:
        if self._fault is not None:
            return
        lr = self.uc.reg_read(arm.UC_ARM_REG_LR)
        self._fault = FaultReport(kind, pc, self.firmware.function_at(pc), detail, address, lr,
                                  self.firmware.function_at(lr) if lr < 0xF000_0000 else None)

    def _fault_from_uc_error(self, err: UcError) -> None:
        pc = self.pc
        if self._mem_fault is not None:
            access, address, fpc = self._mem_fault
            kind = {UC_MEM_READ_UNMAPPED: "unmapped-read", UC_MEM_WRITE_UNMAPPED: "unmapped-write",
                    UC_MEM_FETCH_UNMAPPED: "unmapped-fetch", UC_MEM_WRITE_PROT: "write-to-flash"}.get(
                        access, "bad-access")
            verb = {"unmapped-read": "read from unmapped", "unmapped-write": "write to unmapped",
                    "unmapped-fetch": "instruction fetch from unmapped",
                    "write-to-flash": "write to read-only"}.get(kind, "bad access to")
            if kind == "unmapped-fetch":
                fpc = self.hook.state.last_block  # the fetch target is the address; report who jumped
            self._set_fault(kind, fpc, f"{verb} address 0x{address:08x}", address)
        elif err.errno == UC_ERR_INSN_INVALID:
            self._set_fault("undefined-instruction", pc,
                            f"undefined instruction 0x{self._insn_bytes(pc)} (UsageFault UNDEFINSTR)")
        elif err.errno in (UC_ERR_READ_UNMAPPED, UC_ERR_WRITE_UNMAPPED, UC_ERR_FETCH_UNMAPPED,
                           UC_ERR_READ_PROT, UC_ERR_WRITE_PROT, UC_ERR_FETCH_PROT):
            self._set_fault("bad-access", pc, str(err))
        else:
            self._set_fault("cpu-exception", pc, f"unicorn stopped: {err}")

    def _insn_bytes(self, pc: int) -> str:
        try:
            hw = struct.unpack("<H", self.read_memory(pc, 2))[0]
            if hw >> 11 >= 0x1D:
                return f"{hw:04x}{struct.unpack('<H', self.read_memory(pc + 2, 2))[0]:04x}"
            return f"{hw:04x}"
        except M7Error:
            return "????"

    # exceptions -----------------------------------------------------------------------------------------
    def _masks(self) -> tuple[int, int, int]:
        uc = self.uc
        return tuple(uc.reg_read(r) for r in _MASK_REGS)  # type: ignore[return-value]

    def _takeable(self, ignore_primask: bool = False) -> int | None:
        exc = self.nvic.highest_pending()
        if exc is None:
            return None
        primask, basepri, faultmask = self._masks()
        current = self.nvic.execution_priority(0 if ignore_primask else primask, basepri, faultmask)
        return exc if self.nvic.group_priority(self.nvic.priority[exc]) < current else None

    def _check_frame(self, frame: int, size: int, what: str) -> None:
        guard = getattr(self, "_guard", None)
        if guard and frame < guard[1] and frame + size > guard[0]:
            self._set_fault("stack-overflow", self._pc, f"{what} at 0x{frame:08x} reaches the stack guard "
                            f"(0x{guard[0]:08x}-0x{guard[1]:08x})", frame)
            raise _HaltError
        if not any(lo <= frame and frame + size <= hi for lo, hi, _ in self._regions):
            self._set_fault("bad-stack", self._pc, f"{what} at 0x{frame:08x} is outside RAM", frame)
            raise _HaltError

    def _enter(self, exc: int) -> None:
        """Exception entry (ARMv7-M ARM B1.5.6 PushStack + ExceptionTaken), FP frame when CONTROL.FPCA."""
        uc = self.uc
        ret = self._pc
        xpsr = uc.reg_read(arm.UC_ARM_REG_XPSR) | (1 << 24)
        control = uc.reg_read(arm.UC_ARM_REG_CONTROL)
        fpca = bool(control & 4)
        thread = (xpsr & 0x1FF) == 0
        use_psp = thread and bool(control & 2)
        sp = uc.reg_read(arm.UC_ARM_REG_PSP if use_psp else arm.UC_ARM_REG_MSP)
        size = 0x68 if fpca else 0x20
        realign = (sp >> 2) & 1  # CCR.STKALIGN is always 1 on the M7
        frame = (sp - size) & ~4 & 0xFFFFFFFF
        self._check_frame(frame, size, f"exception {exc} stack frame")
        words = [uc.reg_read(r) for r in _FRAME_REGS] + [ret, (xpsr & ~(1 << 9)) | (realign << 9)]
        data = struct.pack("<8I", *words)
        if fpca:
            data += b"".join(struct.pack("<Q", uc.reg_read(r)) for r in _D_REGS)
            data += struct.pack("<II", uc.reg_read(arm.UC_ARM_REG_FPSCR), 0)
        self.write_memory(frame, data)
        if use_psp:
            uc.reg_write(arm.UC_ARM_REG_PSP, frame)
        else:
            uc.reg_write(arm.UC_ARM_REG_MSP, frame)
        uc.reg_write(arm.UC_ARM_REG_CONTROL, control & ~6)  # FPCA=0; SPSEL=0 (handlers run on MSP)
        fpdscr = self.fpu.regs[0xF3C]
        if fpdscr and self.fpu.regs[0xF34] & (1 << 31):
            # unicorn would start the handler's FP context from its own FPDSCR (0), not the firmware's:
            # create the context now with the firmware's FPDSCR (nested frames are then FP frames).
            uc.reg_write(arm.UC_ARM_REG_CONTROL, (control & ~6) | 4)
            uc.reg_write(arm.UC_ARM_REG_FPSCR, fpdscr)
        uc.reg_write(arm.UC_ARM_REG_IPSR, exc)
        # ExceptionTaken clears EPSR.IT/ICI: else a handler entered inside an IT block runs its first
        # instructions conditionally (seen: the handler's PUSH skipped, its POP returning to garbage).
        uc.reg_write(arm.UC_ARM_REG_XPSR, (xpsr & ~_EPSR_IT_ICI & ~0x1FF) | exc)
        exc_return = 0xFFFF_FFE1 if fpca else 0xFFFF_FFF1
        if thread:
            exc_return |= 8 | (4 if use_psp else 0)
        uc.reg_write(arm.UC_ARM_REG_LR, exc_return)
        vector = self._read_word(self.scb.vtor + 4 * exc)
        self.nvic.activate(exc)
        self._pc = vector & ~1
        self._sleeping = False
        if self._trace is not None:
            self._trace(f"exception {exc} entry: return 0x{ret:08x}, frame 0x{frame:08x}"
                        f"{' (FP)' if fpca else ''}, handler {self.firmware.describe(self._pc)}")
        for observer in self.on_exception:
            observer("entry", exc)

    def _exception_return(self, pc: int) -> None:
        """Exception return (B1.5.8): pop the frame chosen by EXC_RETURN, restore mode, stack, FP state."""
        uc = self.uc
        exc_return = pc | 1  # unicorn reports the bx target with bit 0 cleared
        ipsr = uc.reg_read(arm.UC_ARM_REG_IPSR)
        where = self.hook.state.last_block
        if ipsr == 0 or exc_return not in EXC_RETURN_VALID or not self.nvic.active[ipsr]:
            why = ("in thread mode" if ipsr == 0 else
                   f"from exception {ipsr}" + ("" if self.nvic.active[ipsr] else " which is not active"))
            self._set_fault("bad-exc-return", where, f"branch to 0x{pc:08x} {why}, not a valid EXC_RETURN")
            raise _HaltError
        to_thread = bool(exc_return & 8)
        use_psp = bool(exc_return & 4)
        fp = not exc_return & 0x10
        sp = uc.reg_read(arm.UC_ARM_REG_PSP if use_psp else arm.UC_ARM_REG_MSP)
        size = 0x68 if fp else 0x20
        self._check_frame(sp, size, "exception return frame")
        data = self.read_memory(sp, size)
        r0, r1, r2, r3, r12, lr, ret, xpsr = struct.unpack_from("<8I", data)
        if to_thread != ((xpsr & 0x1FF) == 0) or (not to_thread and not self.nvic.active[xpsr & 0x1FF]):
            self._set_fault("bad-exc-return", where, f"EXC_RETURN 0x{exc_return:08x} does not match the "
                            f"stacked IPSR {xpsr & 0x1FF} (INVPC)")
            raise _HaltError
        self.nvic.deactivate(ipsr)
        new_sp = (sp + size + (4 if xpsr & (1 << 9) else 0)) & 0xFFFFFFFF
        if use_psp:
            uc.reg_write(arm.UC_ARM_REG_PSP, new_sp)
        else:
            uc.reg_write(arm.UC_ARM_REG_MSP, new_sp)
        for reg, value in zip(_FRAME_REGS, (r0, r1, r2, r3, r12, lr), strict=True):
            uc.reg_write(reg, value)
        uc.reg_write(arm.UC_ARM_REG_XPSR, xpsr & ~(1 << 9))
        uc.reg_write(arm.UC_ARM_REG_IPSR, xpsr & 0x1FF)
        control = uc.reg_read(arm.UC_ARM_REG_CONTROL) & ~6
        control |= (4 if fp else 0) | (2 if to_thread and use_psp else 0)
        uc.reg_write(arm.UC_ARM_REG_CONTROL, control)
        if fp:
            for i, reg in enumerate(_D_REGS):
                uc.reg_write(reg, struct.unpack_from("<Q", data, 0x20 + 8 * i)[0])
            uc.reg_write(arm.UC_ARM_REG_FPSCR, struct.unpack_from("<I", data, 0x60)[0])
        self._pc = ret & ~1
        if self._trace is not None:
            self._trace(f"exception {ipsr} return to {self.firmware.describe(self._pc)}")
        for observer in self.on_exception:
            observer("return", ipsr)
        if to_thread and self.scb.regs[0xD10] & 2 and self._takeable() is None:
            self._sleeping = True  # SCR.SLEEPONEXIT

    def _take_exceptions(self) -> None:
        for _ in range(N_EXC):  # each iteration activates one exception: bounded
            exc = self._takeable()
            if exc is None:
                return
            self._enter(exc)

    # semihosting and CPU exceptions ---------------------------------------------------------------------
    def _semihost(self, pc: int) -> None:
        uc = self.uc
        op, arg = uc.reg_read(arm.UC_ARM_REG_R0), uc.reg_read(arm.UC_ARM_REG_R1)
        result = 0
        if op == SYS_WRITEC:
            self.uart_output(self.read_memory(arg, 1))
        elif op == SYS_WRITE0:
            text = bytearray()
            while len(text) < 65536:
                byte = self.read_memory(arg + len(text), 1)
                if byte == b"\0":
                    break
                text += byte
            self.uart_output(bytes(text))
        elif op == SYS_EXIT:
            self._exit_status = 0 if arg == ADP_STOPPED_APPLICATION_EXIT else 1
        elif op == SYS_EXIT_EXTENDED:
            reason, code = struct.unpack("<II", self.read_memory(arg, 8))
            self._exit_status = (code if code < 0x8000_0000 else code - 2**32) \
                if reason == ADP_STOPPED_APPLICATION_EXIT else 1
        else:
            self.warn(f"semihosting operation 0x{op:x} not supported (returns -1)")
            result = 0xFFFF_FFFF
        uc.reg_write(arm.UC_ARM_REG_R0, result)
        self._pc = pc + 2

    def _handle_intr(self, intno: int, pc: int) -> None:
        if intno == _EXCP_BKPT:
            hw = struct.unpack("<H", self.read_memory(pc, 2))[0]
            if hw == 0xBEAB:
                self._semihost(pc)
            else:
                self._breakpoint = True
                self._pc = pc
        elif intno in (_EXCP_PREFETCH_ABORT, _EXCP_EXCEPTION_EXIT) and pc >= 0xFFFF_FF00:
            # a bx to EXC_RETURN arrives as 3; POP/LDR to PC in handler mode as 8 (QEMU's EXCEPTION_EXIT)
            self._exception_return(pc)
        elif intno == _EXCP_PREFETCH_ABORT:
            self._set_fault("unmapped-fetch", self.hook.state.last_block,
                            f"instruction fetch from 0x{pc:08x}, which is not executable memory", pc)
        elif intno == _EXCP_UDEF:
            self._set_fault("undefined-instruction", pc, f"undefined instruction 0x{self._insn_bytes(pc)}")
        elif intno == _EXCP_SWI:
            self._pc = pc
            self.nvic.pending[SVCALL] = True
            if self._takeable() != SVCALL:
                self._set_fault("cpu-exception", pc, "SVC with SVCall masked or of too low priority "
                                "(HardFault escalation)")
                return
            self._enter(SVCALL)
        else:
            name = _EXCP_NAMES.get(intno, f"CPU exception {intno}")
            self._set_fault("cpu-exception", pc, name)

    # the run loop ---------------------------------------------------------------------------------------
    def run(self, until: str | None = None, max_cycles: int | None = None) -> RunResult:
        """Run until the firmware exits (semihosting), a UART line matches ``until``, a fault, or
        ``max_cycles`` more cycles have passed."""
        self._until = re.compile(until) if until else None
        self._line_start = len(self._uart)
        self._until_hit = False
        self._debug_stop = None
        self._stepping = False
        limit = self.cycles + max_cycles if max_cycles is not None else NEVER
        start_instructions, t0 = self.instructions, time.perf_counter()
        reason = self._loop(limit)
        return RunResult(reason, self._exit_status, self.cycles, self.instructions, self.uart_text,
                         time.perf_counter() - t0, self.simulated_seconds, self._fault,
                         self.instructions - start_instructions, list(self.warnings))

    def _loop(self, limit: int, step: bool = False) -> str:
        uc, st = self.uc, self.hook.state
        stepped = False
        while True:
            if self._exit_status is not None:
                return "exit"
            if self._fault is not None:
                return "fault"
            if self._until_hit:
                self._until_hit = False
                return "until"
            if self._breakpoint:
                self._breakpoint = False
                return "breakpoint"
            if self._debug_stop is not None:
                return "watchpoint" if self._debug_stop[0] != "breakpoint" else "breakpoint"
            if self._reset_requested:
                self._system_reset()
            if self._div_hooks_wanted:
                self._install_div_hooks()
            self.scheduler.fire_due(self.cycles)
            try:
                self._take_exceptions()
            except _HaltError:
                continue
            if stepped:  # after due events and exception entry: a step may end on a handler's first insn
                return "step"
            if self.cycles >= limit:
                return "max-cycles"
            if self._sleeping:
                if self._takeable(ignore_primask=True) is not None:
                    self._sleeping = False
                else:
                    wake = self.scheduler.next_time
                    if wake == NEVER:
                        return "idle"
                    st.cycles = min(wake, limit)  # WFI: skip virtual time to the next event
                    continue
            if self._watch_wanted:
                self._sync_watches()  # after events and exception entry: before the CPU runs again
            st.stop_at = min(self.scheduler.next_time, limit)
            st.stopped = 0
            pending_masked = self.nvic.any_pending()
            st.watch_mask = int(pending_masked)
            if pending_masked:
                for i, value in enumerate(self._masks()):
                    st.mask_values[i] = value
            self._stop_flag = False
            self._intr = None
            self._mem_fault = None
            self._running = True
            try:
                uc.emu_start(self._pc | 1, _UNTIL, count=1 if step else 0)
            except UcError as err:
                self._running = False
                self._fault_from_uc_error(err)
                continue
            finally:
                self._running = False
            for source in (self.hook, self.bus):
                if source.error is not None:
                    error, source.error = source.error, None
                    raise error
            if st.stopped == STOP_ERROR:
                raise M7Error("the simulator's block hook failed (out of memory)")
            self._pc = uc.reg_read(arm.UC_ARM_REG_PC)
            if (step or self._debug_stop) and not st.stopped:
                stepped = step
                if self._fault is None and self._intr is None:
                    self._uncount_rest_of_block()
            if self._fault is not None:
                continue
            if self._intr is not None:
                intno, pc = self._intr
                self._intr = None
                with contextlib.suppress(_HaltError):
                    self._handle_intr(intno, pc)
                continue
            if not st.stopped and not self._stop_flag and self._after_wfi(self._pc):
                self._sleeping = True

    def _after_wfi(self, pc: int) -> bool:
        """Did emu_start return because the instruction before ``pc`` was WFI/WFE (unicorn's behaviour)?"""
        try:
            prev16 = struct.unpack("<H", self.read_memory(pc - 2, 2))[0]
            prev32 = struct.unpack("<HH", self.read_memory(pc - 4, 4))
        except M7Error:
            return False
        return prev16 in (0xBF30, 0xBF20) or prev32 in ((0xF3AF, 0x8003), (0xF3AF, 0x8002))

    # reports ----------------------------------------------------------------------------------------
    def profile(self, top: int = 20) -> list[tuple[str, int, int, float]]:
        """Top functions by modelled cycles: (function, cycles, instructions, share of all cycles)."""
        per: dict[str, list[int]] = {}
        for address, insns, cycles, count, stall in self.hook.entries():
            name = self.firmware.function_at(address) or f"0x{address:08x}"
            acc = per.setdefault(name, [0, 0])
            acc[0] += cycles * count + stall  # memory-model stalls are charged to the block that waited
            acc[1] += insns * count
        total = sum(v[0] for v in per.values()) or 1
        rows = sorted(((k, v[0], v[1], v[0] / total) for k, v in per.items()), key=lambda r: (-r[1], r[0]))
        return rows[:top]

    # debugging (m7amp/sim/gdb.py) ---------------------------------------------------------------------
    @property
    def resume_pc(self) -> int:
        """Where execution resumes (the run loop's PC: an exception entry sets it before the CPU's PC)."""
        return self._pc

    @resume_pc.setter
    def resume_pc(self, value: int) -> None:
        if value & ~1 != self._pc:
            self.hook.state.resume_count = 0  # the debugger moved PC: cut blocks will not resume
        self._pc = value & ~1
        self.uc.reg_write(arm.UC_ARM_REG_PC, self._pc)

    @property
    def debug_stop(self) -> tuple[str, int] | None:
        """Why the last run stopped on a debugger breakpoint or watchpoint: (kind, address)."""
        return self._debug_stop

    def step(self) -> RunResult:
        """Execute one instruction (due events and pending exceptions first, as ``run`` does).
        Breakpoints and watchpoints are ignored for that instruction (a debugger steps over them)."""
        self._debug_stop = None
        self._debug_suspended = True
        if not self._stepping:
            # unicorn adds its instruction-count hook for emu_start(count=...) without flushing: blocks
            # translated before would never call it (a tight loop would run forever). It flushes itself
            # when a run without count removes the hook again.
            self._stepping = True
            self.uc.ctl_flush_tb()
        start_instructions, t0 = self.instructions, time.perf_counter()
        try:
            reason = self._loop(NEVER, step=True)
        finally:
            self._debug_suspended = False
        return RunResult(reason, self._exit_status, self.cycles, self.instructions, self.uart_text,
                         time.perf_counter() - t0, self.simulated_seconds, self._fault,
                         self.instructions - start_instructions, list(self.warnings))

    def system_reset(self) -> None:
        """A debugger's reset: as AIRCR.SYSRESETREQ (memory kept), halted at the reset vector."""
        self._system_reset()

    def has_breakpoint(self, address: int) -> bool:
        return address & ~1 in self._breakpoints

    def add_breakpoint(self, address: int) -> None:
        """Stop before the instruction at ``address`` executes (a code hook on that address only)."""
        address &= ~1
        if address not in self._breakpoints:
            self._breakpoints[address] = self.uc.hook_add(UC_HOOK_CODE, self._on_breakpoint, None,
                                                          address, address)
            self.uc.ctl_flush_tb()

    def remove_breakpoint(self, address: int) -> bool:
        hook = self._breakpoints.pop(address & ~1, None)
        if hook is None:
            return False
        self.uc.hook_del(hook)
        self.uc.ctl_flush_tb()
        return True

    def add_watchpoint(self, address: int, length: int, kind: str) -> None:
        """Stop at the instruction that accesses [address, address+length) of RAM: kind "watch" (write),
        "rwatch" (read) or "awatch" (either). The access has happened (a load is repeated when execution
        resumes, as if the instruction had not run). Memory hooks exist only while a watchpoint does."""
        key = (address, length, kind)
        if key not in self._watchpoints:
            types = {"watch": UC_HOOK_MEM_WRITE, "rwatch": UC_HOOK_MEM_READ,
                     "awatch": UC_HOOK_MEM_READ | UC_HOOK_MEM_WRITE}[kind]
            self._watchpoints[key] = self.uc.hook_add(
                types, lambda uc, access, addr, size, value, _, _kind=kind: self._on_watch(uc, _kind, addr),
                None, address, address + length - 1)
            self.uc.ctl_flush_tb()

    def remove_watchpoint(self, address: int, length: int, kind: str) -> bool:
        hook = self._watchpoints.pop((address, length, kind), None)
        if hook is None:
            return False
        self.uc.hook_del(hook)
        self.uc.ctl_flush_tb()
        return True

    def _on_breakpoint(self, uc: Uc, address: int, size: int, _: object) -> None:
        if self._debug_suspended or self.hook.state.stopped or self._debug_stop is not None:
            return
        self._debug_stop = ("breakpoint", address)
        self._stop_flag = True  # not a WFI return
        uc.emu_stop()

    def _on_watch(self, uc: Uc, kind: str, address: int) -> None:
        if self._debug_suspended or self._debug_stop is not None:
            return
        self._debug_stop = (kind, address)
        self._stop_flag = True
        uc.emu_stop()

    def _uncount_rest_of_block(self) -> None:
        """The block hook counts a whole block when it starts, but a debugger stop (single step,
        breakpoint, watchpoint) leaves PC inside the last block counted (at its start when the step ended
        on a branch: the hook has already counted the target block): take off the instructions from PC
        to the block's end. They are counted again as the block unicorn translates from PC when execution
        resumes, so the totals equal those of an undisturbed run. The memory model's waits stay: they were
        charged for the whole block at its entry, and the block that resumes at PC charges none."""
        st = self.hook.state
        end, pc = st.last_block + st.last_size, self._pc
        if st.last_block <= pc < end:
            instructions, cycles = self._cost_block(pc, end - pc)
            st.instructions -= instructions
            st.cycles -= cycles
            self.hook.cut(pc)
