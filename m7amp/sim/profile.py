"""Cycles per call path from the cycle model, written as collapsed stacks or speedscope JSON.

Call stacks come from tracking control flow at block granularity (no frame walking: the firmware is
built without frame pointers, and unwinding from the stack would need the DWARF CFI). A Python block
hook sees every executed block; the last instruction of the previous block says how we got here:

- ``bl``/``blx``: a call, push the function of the new block;
- ``bx lr``, ``pop {..., pc}``, ``ldr pc, [sp], #4``, ``ldm sp!, {..., pc}``: a return, pop one frame;
- anything else that lands in another function: a tail call when it lands on a function's first
  instruction (replace the top frame), else a return to a caller further down (pop to it);
- exception entry pushes the handler as a frame marked ``[exception N]`` (entry and return come from the
  simulator's exception observers, so a return that is an exception return pops the handler only).

Each block's modelled cycles go to the call path current after that block's transition. The totals
equal the flat profile's (``Simulator.profile``): cycles skipped asleep in WFI are in neither.
The hook is a raw ctypes callback with a fast path for blocks that stay in the same function, but it
is one Python call per executed block: profiling runs at a few simulated MIPS (``m7amp bench debug``).
"""

from __future__ import annotations

import ctypes
import json
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from capstone import CS_ARCH_ARM, CS_MODE_MCLASS, CS_MODE_THUMB, Cs
from unicorn import UC_HOOK_BLOCK, UcError
from unicorn.unicorn_py3.unicorn import HOOK_CODE_CFUNC, uc_hook_h, uclib

from m7amp.errors import M7Error
from m7amp.sim.trace import exception_name, exception_names

if TYPE_CHECKING:
    from m7amp.sim._simulator import Simulator

CALL, RETURN, OTHER = "call", "return", "other"


def _ending(md: Cs, code: bytes, address: int) -> str:
    """How a block's last instruction leaves it: CALL, RETURN or OTHER."""
    insns = list(md.disasm(code, address))
    if not insns:
        return OTHER
    last = insns[-1]
    mnemonic, ops = last.mnemonic.split(".")[0], last.op_str.replace(" ", "")
    if mnemonic in ("bl", "blx"):
        return CALL
    if mnemonic == "bx" and ops == "lr":
        return RETURN
    if mnemonic == "pop" and "pc" in ops:
        return RETURN
    if mnemonic == "ldr" and ops.startswith("pc,[sp]"):
        return RETURN
    if mnemonic in ("ldm", "ldmia", "ldmfd") and ops.startswith("sp!") and "pc" in ops:
        return RETURN
    return OTHER


class CallProfiler:
    """Attach to a simulator before running it; ``folded()``/``speedscope()`` afterwards."""

    def __init__(self, sim: Simulator):
        self.sim = sim
        self.weights: Counter[tuple[str, ...]] = Counter()  # call path -> cycles
        self.instructions: Counter[tuple[str, ...]] = Counter()
        self.calls: Counter[str] = Counter()  # function -> times entered by a call or tail call
        self._md = Cs(CS_ARCH_ARM, CS_MODE_THUMB | CS_MODE_MCLASS)
        self._blocks: dict[tuple[int, int], tuple[int, int, str, str]] = {}  # cost, function, ending
        self._names = exception_names(sim)
        root = sim.firmware.function_at(sim.resume_pc) or f"0x{sim.resume_pc:08x}"
        self._stack: list[tuple[str, bool]] = [(root, False)]  # (frame name, is an exception frame)
        self._events: list[tuple[str, int]] = []  # exception entries/returns since the last block
        self._previous = OTHER
        self._path = (root,)
        self._state = sim.hook.state
        self.error: BaseException | None = None
        sim.on_exception.append(self._exception)

        def hook(_uc: int, address: int, size: int, _ud: int) -> None:
            try:
                self._block(address, size)
            except BaseException as exc:  # never unwind through C; reported by close()
                if self.error is None:
                    self.error = exc

        # a raw callback: the binding's per-call wrapper would double the cost of every block
        self._callback = HOOK_CODE_CFUNC(hook)
        handle = uc_hook_h()
        status = uclib.uc_hook_add(sim.uc._uch, ctypes.byref(handle), UC_HOOK_BLOCK, self._callback, None,
                                   ctypes.c_uint64(1), ctypes.c_uint64(0))
        if status != 0:
            raise UcError(status)
        self._hook: int | None = handle.value

    def close(self) -> None:
        """Detach from the simulator; raises what went wrong inside the hook, if anything."""
        if self._hook is not None:
            uclib.uc_hook_del(self.sim.uc._uch, uc_hook_h(self._hook))
            self._hook = None
        if self._exception in self.sim.on_exception:
            self.sim.on_exception.remove(self._exception)
        if self.error is not None:
            raise M7Error(f"the call-path profiler failed: {self.error!r}")

    def _exception(self, event: str, number: int) -> None:
        self._events.append((event, number))

    def _info(self, address: int, size: int) -> tuple[int, int, str, str]:
        key = (address, size)
        info = self._blocks.get(key)
        if info is None:
            instructions, cycles = self.sim._cost_block(address, size)
            name = self.sim.firmware.function_at(address) or f"0x{address:08x}"
            code = bytes(self.sim.uc.mem_read(address, size))
            info = self._blocks[key] = (instructions, cycles, name, _ending(self._md, code, address))
        return info

    def _block(self, address: int, size: int) -> None:
        if self._state.stopped:
            return  # the C hook stopped before this block: it runs (and is seen) later
        info = self._blocks.get((address, size)) or self._info(address, size)
        instructions, cycles, function, ending = info
        cycles += self._state.last_stall  # the memory model's waits at this block (the C hook ran first)
        how = self._previous
        if how is OTHER and not self._events and function == self._path[-1]:  # fast path: same function
            self._previous = ending
            self.weights[self._path] += cycles
            self.instructions[self._path] += instructions
            return
        stack = self._stack
        for event, number in self._events:
            if event == "entry":
                stack.append((f"[exception {number} {exception_name(self._names, number)}]", True))
                how = CALL
            else:  # pop the handler's frames and its marker
                while len(stack) > 1 and not stack.pop()[1]:
                    pass
                how = OTHER
        self._events.clear()
        if how == CALL:
            stack.append((function, False))
            self.calls[function] += 1
        else:
            if how == RETURN and len(stack) > 1 and not stack[-1][1] and stack[-1][0] != function:
                stack.pop()
            self._unwind_to(function, address)
        self._previous = ending
        path = self._path = tuple(name for name, _ in stack)
        self.weights[path] += cycles
        self.instructions[path] += instructions

    def _unwind_to(self, function: str, address: int) -> None:
        """Landed in ``function`` without a call: a return further down, or a tail call / jump."""
        stack = self._stack
        if stack[-1][0] == function:
            return
        start = self.sim.firmware.symbols.get(function)
        if start != address:
            for depth in range(len(stack) - 1, 0, -1):
                if stack[depth][1]:
                    break  # never unwind through an exception frame without an exception return
                if stack[depth - 1][0] == function:
                    del stack[depth:]
                    return
        if stack[-1][1]:
            stack.append((function, False))  # the handler's code below its exception marker
        else:
            stack[-1] = (function, False)  # tail call (b to a function start) or an untracked jump
        self.calls[function] += 1

    # outputs ---------------------------------------------------------------------------------------------
    def total_cycles(self) -> int:
        return sum(self.weights.values())

    def folded(self) -> str:
        """Collapsed stacks (flamegraph.pl, speedscope, inferno): ``a;b;c CYCLES`` per call path."""
        return "".join(f"{';'.join(path)} {cycles}\n" for path, cycles in sorted(self.weights.items())
                       if cycles)

    def speedscope(self, name: str) -> dict[str, object]:
        """A speedscope "sampled" profile: one sample per call path, weighted by its cycles."""
        frames: dict[str, int] = {}
        samples, weights = [], []
        for path, cycles in sorted(self.weights.items()):
            if cycles:
                samples.append([frames.setdefault(f, len(frames)) for f in path])
                weights.append(cycles)
        total = sum(weights)
        return {"$schema": "https://www.speedscope.app/file-format-schema.json",
                "shared": {"frames": [{"name": f} for f in frames]},
                "profiles": [{"type": "sampled", "name": f"{name} (modelled core cycles)", "unit": "none",
                              "startValue": 0, "endValue": total, "samples": samples, "weights": weights}],
                "name": name, "exporter": "m7amp sim"}

    def write(self, path: Path) -> None:
        """``*.speedscope.json`` / ``*.json``: speedscope JSON; anything else: collapsed stacks."""
        try:
            if path.name.endswith(".json"):
                path.write_text(json.dumps(self.speedscope(self.sim.firmware.path.name)) + "\n")
            else:
                path.write_text(self.folded())
        except OSError as exc:
            raise M7Error(f"cannot write the profile {path}: {exc.strerror}") from None

    def inclusive(self) -> dict[str, int]:
        """Cycles per function including its callees (a recursive function's paths are counted once)."""
        totals: Counter[str] = Counter()
        for path, cycles in self.weights.items():
            for name in set(path):
                totals[name] += cycles
        return dict(totals)

    def top_paths(self, top: int) -> list[tuple[str, int, float]]:
        """(call path, cycles, share) of the ``top`` most expensive paths."""
        total = self.total_cycles() or 1
        rows = sorted(self.weights.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
        return [(";".join(path), cycles, cycles / total) for path, cycles in rows]
