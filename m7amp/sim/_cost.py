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
    def cost(self, address: int, code: bytes) -> Cost: ...


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

    def cost(self, address: int, code: bytes) -> Cost:
        n = thumb_instruction_count(code)
        return Cost(n, n)


def make_cycle_model(enabled: bool) -> BlockCoster:
    """The Cortex-M7 cycle model when enabled and available, else one cycle per instruction."""
    if enabled:
        try:
            from m7amp.sim.cycles import CycleModel
        except ImportError:
            return UnitCycleModel()
        return CycleModel()  # type: ignore[return-value]
    return UnitCycleModel()
