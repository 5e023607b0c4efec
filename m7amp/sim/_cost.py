"""Block costing: the Cortex-M7 cycle model (``m7amp.sim.cycles``) or one cycle per instruction.

``cycle_model=False`` gives Renode's semantics (CYCCNT counts instructions), and is the fallback while
the cycle model module is absent.
"""

from __future__ import annotations

from typing import NamedTuple, Protocol


class Cost(NamedTuple):
    instructions: int
    cycles: int


class BlockCoster(Protocol):
    def cost(self, address: int, code: bytes, following: bytes = b"") -> Cost: ...

    def issue_cycles(self, address: int, code: bytes, following: bytes = b"") -> list[tuple[int, int]]: ...


def thumb_instruction_count(code: bytes) -> int:
    """Number of Thumb/Thumb-2 instructions in ``code`` (32-bit ones start with 0b11101/11110/11111)."""
    count, i, n = 0, 0, len(code) - 1
    while i < n:
        first = code[i + 1] >> 3  # top 5 bits of the halfword (little-endian)
        i += 4 if first >= 0x1D else 2
        count += 1
    return count


class UnitCycleModel:
    """One cycle per instruction (what Renode counts)."""

    name = "1 cycle/instruction"

    def cost(self, address: int, code: bytes, following: bytes = b"") -> Cost:
        n = thumb_instruction_count(code)
        return Cost(n, n)

    def issue_cycles(self, address: int, code: bytes, following: bytes = b"") -> list[tuple[int, int]]:
        """(byte offset, instructions before it) of each instruction."""
        out, i, n = [], 0, len(code) - 1
        while i < n:
            out.append((i, len(out)))
            i += 4 if code[i + 1] >> 3 >= 0x1D else 2
        return out


class MemoryOperand(NamedTuple):
    """One instruction of a block and its memory operand, if any (see ``memory_operands``)."""

    offset: int  # byte offset of the instruction in the block
    store: bool  # a store (else a load)
    base: str
    index: str | None
    disp: int  # signed displacement
    shift: int  # left shift of the index
    writes: frozenset[str]  # registers the instruction writes


def memory_operands(code: bytes, address: int) -> list[MemoryOperand]:
    """Every instruction of the block in order, with its register-based memory operand (``base`` is ""
    for none, and for PC-relative literal loads, which never address a peripheral) and the registers it
    writes: for finding which instruction made an MMIO access."""
    import capstone as cs

    md = cs.Cs(cs.CS_ARCH_ARM, cs.CS_MODE_THUMB | cs.CS_MODE_MCLASS)
    md.detail = True
    found: list[MemoryOperand] = []
    try:
        for insn in md.disasm(code, address):
            writes = frozenset(md.reg_name(r) for r in insn.regs_access()[1])
            mem = [op for op in insn.operands if op.type == cs.arm.ARM_OP_MEM]
            op = mem[0] if mem else None
            if op is None or not op.mem.base or md.reg_name(op.mem.base) == "pc":
                found.append(MemoryOperand(insn.address - address, False, "", None, 0, 0, writes))
                continue
            index = md.reg_name(op.mem.index) if op.mem.index else None
            disp = -op.mem.disp if op.subtracted and not index else op.mem.disp
            store = insn.mnemonic.startswith(("str", "stm", "push", "vstr", "vstm", "vpush"))
            found.append(MemoryOperand(insn.address - address, store, md.reg_name(op.mem.base), index, disp,
                                       op.shift.value if index else 0, writes))
    except Exception:  # an odd encoding: keep what was found; the caller falls back to the block's end
        pass
    return found


def make_cycle_model(enabled: bool) -> BlockCoster:
    """The Cortex-M7 cycle model when enabled and available, else one cycle per instruction."""
    if enabled:
        try:
            from m7amp.sim.cycles import CycleModel
        except ImportError:
            return UnitCycleModel()
        return CycleModel()  # type: ignore[return-value]
    return UnitCycleModel()
