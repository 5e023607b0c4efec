"""The D-cache model's block decoder (m7amp/sim/_dside.py): addresses over the block's entry registers."""

from __future__ import annotations

from pathlib import Path

from m7amp.sim._dside import Access, data_accesses
from tests._skips import requires_arm_gcc
from tests.sim.conftest import assemble

SOURCE = """
ldr r0, [r1, #8]
ldr r2, [r1], #4
ldr r3, [r1]
ldrb r4, [r5, r6, lsl #2]
str r0, [sp, #4]
add r7, r5, #16
ldrh r0, [r7, #2]
ldr r8, [pc, #8]
ldmia r2!, {r0, r3}
vldr d0, [r9, #-8]
mul r10, r10, r3
ldr r0, [r10]
push {r4, lr}
vldmia r11!, {s0-s3}
add r12, r11, r5, lsl #3
str r0, [r12]
"""


@requires_arm_gcc
def test_addresses_follow_writeback_and_arithmetic(tmp_path: Path) -> None:
    code, _ = assemble(SOURCE, tmp_path, "dside", address=0x0800_0100)
    found, untracked = data_accesses(code, 0x0800_0100)
    r1, r5, r6, r9, r11 = ((1, 0),), ((5, 0),), ((6, 2),), ((9, 0),), ((11, 0),)
    literal = next(a for a in found if not a.terms)
    assert found == [
        Access(r1, 8, False, 4),
        Access(r1, 0, False, 4),  # post-index: the address is the old base ...
        Access(r1, 4, False, 4),  # ... and the base moved by 4
        Access(r5 + r6, 0, False, 1),  # base + index << 2
        Access(r5, 18, False, 2),  # r7 = r5 + 16, then #2
        literal,
        Access(r9, -8, False, 8),  # a D register: 8 bytes
        Access(r11, 0, False, 16),  # four S registers
        Access((*r11, (5, 3)), 16, True, 4),  # r11 advanced by the writeback, plus r5 << 3
    ]
    # the literal is PC-relative: ((pc + 4) & ~3) + 8 for the LDR at offset 20
    assert literal.disp == ((0x0800_0100 + 20 + 4) & ~3) + 8
    # SP-based accesses (str [sp], push) are the stack in DTCM and left out; r2 was loaded (the LDM) and
    # r10 multiplied: those two are untracked
    assert untracked == 2
