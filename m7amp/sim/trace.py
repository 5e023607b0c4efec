"""Traces of a simulated run written to a file: peripheral accesses, exceptions, and optionally a bounded
window of executed instructions with their disassembly (docs/debugging.md describes both formats).

    tracer = Tracer(sim, open("run.trace.jsonl", "w"), json_lines=True, instructions=(10_000, 500))
    sim.run(...)
    tracer.close()

Every record carries ``cycle``: the core-cycle counter when the record was made. The block hook adds a
block's cycles when the block starts, so within a block the counter already includes the whole block;
peripheral accesses report the PC of the block start (unicorn's MMIO callbacks see no finer PC).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, TextIO

from capstone import CS_ARCH_ARM, CS_MODE_MCLASS, CS_MODE_THUMB, Cs
from unicorn import UC_HOOK_CODE
from unicorn import arm_const as arm

from m7amp.errors import M7Error

if TYPE_CHECKING:
    from unicorn import Uc

    from m7amp.sim._simulator import Simulator
    from m7amp.sim.periph import Peripheral

SYSTEM_EXCEPTIONS = {1: "Reset", 2: "NMI", 3: "HardFault", 4: "MemManage", 5: "BusFault", 6: "UsageFault",
                     11: "SVCall", 12: "DebugMonitor", 14: "PendSV", 15: "SysTick"}


def exception_names(sim: Simulator) -> dict[int, str]:
    """Exception number -> name: system exceptions by ARM name, IRQs as IRQ<n> plus the peripheral the
    board description connects to that line (``IRQ39 usart3``)."""
    names = dict(SYSTEM_EXCEPTIONS)
    for entry in sim.platform.values():
        irq = entry.irq
        if irq is not None:
            names[16 + irq] = f"IRQ{irq} {entry.name}"
    return names


def exception_name(names: dict[int, str], number: int) -> str:
    return names.get(number, f"IRQ{number - 16}" if number >= 16 else f"exception {number}")


def parse_window(text: str) -> tuple[int, int]:
    """``START:COUNT`` (START a core cycle, COUNT instructions) for --trace-instructions."""
    try:
        start, count = (int(x, 0) for x in text.split(":"))
    except ValueError:
        raise M7Error(f"--trace-instructions wants START:COUNT (two integers), not '{text}'") from None
    if start < 0 or count <= 0:
        raise M7Error("--trace-instructions: START must be >= 0 and COUNT > 0")
    return start, count


class Tracer:
    """Writes one record per peripheral access and exception entry/return to ``out``: text lines, or
    JSON lines with ``json_lines``. ``instructions=(start_cycle, count)`` adds the first ``count``
    instructions executed from core cycle ``start_cycle`` on (a code hook exists only for that window)."""

    def __init__(self, sim: Simulator, out: TextIO, *, json_lines: bool = False,
                 instructions: tuple[int, int] | None = None):
        self.sim = sim
        self.out = out
        self.json_lines = json_lines
        self.names = exception_names(sim)
        self.records = 0
        self._window = instructions
        self._code_hook: int | None = None
        self._left = 0
        self._index = 0
        self._md = Cs(CS_ARCH_ARM, CS_MODE_THUMB | CS_MODE_MCLASS)
        sim.on_access.append(self._access)
        sim.on_exception.append(self._exception)
        if instructions is not None:
            sim.scheduler.schedule(instructions[0], "trace.instructions", self._start_window)

    def close(self) -> None:
        """Detach from the simulator and flush (the file stays open: the caller owns it)."""
        if self._access in self.sim.on_access:
            self.sim.on_access.remove(self._access)
        if self._exception in self.sim.on_exception:
            self.sim.on_exception.remove(self._exception)
        self._stop_window()
        self.out.flush()

    # records ------------------------------------------------------------------------------------------
    def _emit(self, record: dict[str, object], text: str) -> None:
        self.records += 1
        if self.json_lines:
            self.out.write(json.dumps(record, separators=(",", ":")) + "\n")
        else:
            self.out.write(f"{record['cycle']:>12} {text}\n")

    def _where(self, pc: int) -> str:
        firmware = self.sim.firmware
        name = firmware.function_at(pc)
        return f"{name}+0x{pc - firmware.symbols.get(name, pc):x}" if name else f"0x{pc:08x}"

    def _access(self, model: Peripheral, offset: int, access: str, value: int, mask: int) -> None:
        pc = self.sim.uc.reg_read(arm.UC_ARM_REG_PC)
        register = f"{model.name}.{model.register_name(offset)}"
        record: dict[str, object] = {"cycle": self.sim.cycles, "type": "access", "pc": pc,
                                     "where": self._where(pc), "register": register, "access": access,
                                     "value": value}
        partial = mask != 0xFFFFFFFF
        if partial:
            record["mask"] = mask
        self._emit(record, f"{access} {register} = 0x{value:08x}"
                   + (f" (mask 0x{mask:08x})" if partial else "") + f"  pc 0x{pc:08x} {record['where']}")

    def _exception(self, event: str, number: int) -> None:
        name = exception_name(self.names, number)
        pc = self.sim.resume_pc
        self._emit({"cycle": self.sim.cycles, "type": "exception", "event": event, "number": number,
                    "name": name, "pc": pc, "where": self._where(pc)},
                   f"exception {event} {number} ({name})  {'handler' if event == 'entry' else 'resume'} "
                   f"0x{pc:08x} {self._where(pc)}")

    # the instruction window ------------------------------------------------------------------------------
    def _start_window(self) -> None:
        assert self._window is not None
        self._left = self._window[1]
        self._code_hook = self.sim.uc.hook_add(UC_HOOK_CODE, self._instruction)
        self.sim.uc.ctl_flush_tb()  # blocks translated before the hook existed would not call it

    def _stop_window(self) -> None:
        if self._code_hook is not None:
            self.sim.uc.hook_del(self._code_hook)
            self._code_hook = None
            self.sim.uc.ctl_flush_tb()

    def _instruction(self, uc: Uc, address: int, size: int, _: object) -> None:
        if self._left <= 0 or self.sim.hook.state.stopped:
            return  # the block hook stopped before this block: it runs (and is traced) later
        code = bytes(uc.mem_read(address, size))
        insn = next(self._md.disasm(code, address), None)
        text = f"{insn.mnemonic} {insn.op_str}".strip() if insn is not None else f".inst 0x{code.hex()}"
        self._emit({"cycle": self.sim.cycles, "type": "instruction", "index": self._index, "pc": address,
                    "where": self._where(address), "bytes": code.hex(), "asm": text},
                   f"insn {self._index:>6} 0x{address:08x} {code.hex():8s} {text:32s} {self._where(address)}")
        self._index += 1
        self._left -= 1
        if self._left == 0:  # remove the hook between slices (never from inside a hook)
            self.sim.scheduler.schedule(self.sim.cycles, "trace.instructions.end", self._stop_window)
