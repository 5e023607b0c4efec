"""Calibration tests of the Cortex-M7 cycle model: each pins one documented row or rule of
docs/cycle-model.md, so a change to the table has to be deliberate (change the doc and the test)."""

from __future__ import annotations

import random
import re
import subprocess

import pytest

from m7amp.sim.cycles import CLASSES, BlockCost, CycleModel
from tests._skips import REPO, requires_arm_gcc

ADDR = 0x0000_1000  # an ITCM address; the model is position independent


def _hw(text: str) -> bytes:
    """Bytes of Thumb code written as objdump halfwords, e.g. ``"eea0 0a81 3001"``."""
    return b"".join(int(h, 16).to_bytes(2, "little") for h in text.split())


VFMA_S0 = "eea0 0a81"  # vfma.f32 s0, s1, s2
VFMA_S3 = "eee0 1a81"  # vfma.f32 s3, s1, s2
VFMA_S4 = "eea0 2a81"  # vfma.f32 s4, s1, s2
VFMA_S5 = "eee0 2a81"  # vfma.f32 s5, s1, s2
SMLAD = "fb21 0002"  # smlad r0, r1, r2, r0


@pytest.fixture(scope="module")
def model() -> CycleModel:
    return CycleModel()


@pytest.fixture(scope="module")
def asm(tmp_path_factory: pytest.TempPathFactory):
    """Assemble a Thumb-2 snippet for the F767 (Cortex-M7, FPv5-D16) into raw bytes."""
    work = tmp_path_factory.mktemp("asm")
    count = iter(range(1_000_000))

    def build(source: str) -> bytes:
        n = next(count)
        src, obj, binary = work / f"{n}.s", work / f"{n}.o", work / f"{n}.bin"
        src.write_text(".syntax unified\n.thumb\n.cpu cortex-m7\n.fpu fpv5-d16\n" + source + "\n")
        subprocess.run(["arm-none-eabi-as", "-o", str(obj), str(src)], check=True)
        subprocess.run(
            ["arm-none-eabi-objcopy", "-O", "binary", "-j", ".text", str(obj), str(binary)], check=True
        )
        return binary.read_bytes()

    return build


# --- known encodings (run without the ARM toolchain) ---------------------------------------------------


def test_dependent_vfma_chain_costs_three_cycles_each(model: CycleModel) -> None:
    cost = model.cost(ADDR, _hw(" ".join([VFMA_S0] * 8)))
    # latency 5 with the accumulator read 2 cycles late: a new link every 3 cycles, +1 for the last issue
    assert cost == BlockCost(instructions=8, cycles=3 * 7 + 1)


def test_independent_vfma_accumulators_cost_one_cycle_each(model: CycleModel) -> None:
    cost = model.cost(ADDR, _hw(" ".join([VFMA_S0, VFMA_S3, VFMA_S4, VFMA_S5] * 2)))
    assert cost == BlockCost(instructions=8, cycles=8)  # one FP pipe: one per cycle, never two


def test_smlad_accumulator_chain_issues_one_per_cycle(model: CycleModel) -> None:
    assert model.cost(ADDR, _hw(" ".join([SMLAD] * 8))) == BlockCost(8, 8)


def test_undecodable_bytes_cost_one_cycle_per_halfword(model: CycleModel) -> None:
    assert model.cost(ADDR, bytes.fromhex("fffffff7")) == BlockCost(1, 2)  # a 32-bit prefix, no instruction
    assert model.cost(ADDR, _hw("3001") + b"\x01") == BlockCost(2, 2)  # adds + a stray byte
    assert model.cost(ADDR, b"") == BlockCost(0, 0)
    assert model.classify(ADDR, bytes.fromhex("fffffff7")) == [("(undecodable)", "undecodable")]


def test_random_bytes_never_raise(model: CycleModel) -> None:
    rng = random.Random(1234)
    for _ in range(300):
        code = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 40)))
        cost = model.cost(ADDR, code)
        assert cost.cycles >= 1 and cost.instructions >= 1


def test_cost_is_cached_and_identical_across_models(model: CycleModel) -> None:
    code = _hw(f"{VFMA_S0} {SMLAD} 3001 3101")
    first = model.cost(ADDR, code)
    assert model.cost(ADDR, code) is first
    assert CycleModel().cost(ADDR, code) == first


def test_doc_table_matches_the_model() -> None:
    """Every class in docs/cycle-model.md has the issue cost and latency the code uses, and vice versa."""
    text = (REPO / "docs" / "cycle-model.md").read_text()
    rows = re.findall(r"^\| `(\w+)` \| (\d+|n/2) \| (\d+) \|", text, flags=re.MULTILINE)
    documented = {name: (issue, int(latency)) for name, issue, latency in rows}
    assert set(documented) == set(CLASSES)
    for name, cls in CLASSES.items():
        issue, latency = documented[name]
        assert latency == cls.latency, name
        if issue != "n/2":
            assert int(issue) == cls.issue, name


# --- assembled snippets ----------------------------------------------------------------------------------


def _cycles(model: CycleModel, asm, source: str) -> int:
    return model.cost(ADDR, asm(source)).cycles


@requires_arm_gcc
def test_load_use_stalls_one_cycle(model: CycleModel, asm) -> None:
    assert _cycles(model, asm, "ldr r0, [r1]\nadds r2, r0, #1") == 3  # dependent: issues 2 cycles later
    assert _cycles(model, asm, "ldr r0, [r1]\nadds r2, r3, #1") == 1  # independent: dual-issued


@requires_arm_gcc
def test_address_needed_one_cycle_early(model: CycleModel, asm) -> None:
    assert _cycles(model, asm, "adds r1, #4\nldr r0, [r1]") == 3  # ALU result used as an address: +1
    assert _cycles(model, asm, "adds r2, #4\nldr r0, [r1]") == 1


@requires_arm_gcc
def test_integer_alu_pairs_dual_issue(model: CycleModel, asm) -> None:
    assert _cycles(model, asm, "add r0, r0, #1\nadd r1, r1, #1\n" * 4) == 4
    assert _cycles(model, asm, "add r0, r0, #1\n" * 4) == 4  # a dependent chain cannot pair


@requires_arm_gcc
def test_shifted_operand_rules(model: CycleModel, asm) -> None:
    two_shifts = "add.w r0, r1, r2, lsl #3\nadd.w r3, r4, r5, lsl #2"
    assert _cycles(model, asm, two_shifts) == 2  # one shifter: no pair
    assert _cycles(model, asm, "adds r1, #1\nadd.w r0, r0, r1, lsl #2") == 3  # shifted input needed early
    assert _cycles(model, asm, "adds r1, #1\nadd.w r0, r0, r1") == 2


@requires_arm_gcc
def test_two_loads_pair_but_not_two_stores(model: CycleModel, asm) -> None:
    assert _cycles(model, asm, "ldr r0, [r2]\nldr r1, [r3]") == 1
    assert _cycles(model, asm, "str r0, [r2]\nstr r1, [r3]") == 2
    assert _cycles(model, asm, "vldr s0, [r2]\nvfma.f32 s1, s2, s3") == 1  # load + FP op pair


@requires_arm_gcc
def test_dsp_simd_only_pairs_as_the_older_instruction(model: CycleModel, asm) -> None:
    assert _cycles(model, asm, "qadd16 r0, r1, r2\nadds r3, #1") == 1
    assert _cycles(model, asm, "adds r3, #1\nqadd16 r0, r1, r2") == 2


@requires_arm_gcc
def test_divides(model: CycleModel, asm) -> None:
    assert _cycles(model, asm, "udiv r0, r1, r2\nadds r0, #1") == 8  # 7 stalled cycles, then the add
    assert _cycles(model, asm, "vdiv.f32 s0, s1, s2\nvadd.f32 s3, s0, s0") == 17  # latency 16
    assert _cycles(model, asm, "vdiv.f32 s0, s1, s2\nvadd.f32 s3, s4, s4") == 6  # FP pipe busy 5
    assert _cycles(model, asm, "vsqrt.f32 s0, s1\nvadd.f32 s3, s0, s0") == 17


@requires_arm_gcc
def test_double_precision(model: CycleModel, asm) -> None:
    assert _cycles(model, asm, "vfma.f64 d0, d1, d2\nvfma.f64 d0, d1, d2") == 9  # chain: 11 - 3
    assert _cycles(model, asm, "vmul.f64 d0, d1, d2\nvmul.f64 d3, d4, d5") == 4  # FP pipe busy 3
    assert _cycles(model, asm, "vldr d0, [r0]\nvadd.f64 d1, d0, d0") == 4
    assert _cycles(model, asm, "vdiv.f64 d0, d1, d2\nvadd.f64 d3, d0, d0") == 31


@requires_arm_gcc
def test_multiple_transfers_move_two_registers_per_cycle(model: CycleModel, asm) -> None:
    assert _cycles(model, asm, "push {r4-r7, lr}") == 3
    assert _cycles(model, asm, "vpush {d8-d15}") == 8
    assert _cycles(model, asm, "ldm r0!, {r1-r4}\nadds r5, r4, r1") == 4  # r4 arrives in the 2nd beat
    assert _cycles(model, asm, "ldrd r0, r1, [r2]\nadds r3, #1") == 2  # LDRD issues alone


@requires_arm_gcc
def test_block_final_branch_penalties(model: CycleModel, asm) -> None:
    assert _cycles(model, asm, "adds r0, #1\nb 1f\nnop\n1:") == 1 + 1  # pair, + the NOP (block runs to 1:)
    # indirect: + INDIRECT_PENALTY (1 since the CoreMark/Dhrystone calibration, docs/cycle-model.md)
    assert _cycles(model, asm, "bx lr") == 1 + 1
    assert _cycles(model, asm, "pop {r4, pc}") == 1 + 1
    assert _cycles(model, asm, "adds r0, #1\nb 1f\n1:") == 1  # a predicted direct branch: its issue slot
    assert _cycles(model, asm, "cmp r0, #1\nbne 1f\nnop\n1:") == 1 + 1  # CMP + Bcc pair, + the NOP


@requires_arm_gcc
def test_self_loop_is_costed_as_a_steady_state_iteration(model: CycleModel, asm) -> None:
    # the loop-carried s0 chain (3 cycles) bounds the loop, not the 2 issue cycles of one pass
    assert _cycles(model, asm, "1:\nvfma.f32 s0, s1, s2\nsubs r0, #1\nbne 1b") == 3
    assert _cycles(model, asm, "1:\nsubs r0, #1\nbne 1b") == 1  # predicted loop branch pairs with SUBS
    # gcc -O2 dot product (one accumulator, `*p++` as single-register VLDM): issue-bound, 4 per MAC
    dot = "1:\nadds r3, #1\nvldmia r0!, {s14}\nvldmia r1!, {s15}\ncmp r2, r3\nvfma.f32 s0, s14, s15\nbne 1b"
    assert _cycles(model, asm, dot) == 4


@requires_arm_gcc
def test_it_block_instructions_are_conditional(model: CycleModel, asm) -> None:
    code = asm("cmp r0, #1\nite eq\naddeq r1, #1\naddne r2, #2")
    names = model.classify(ADDR, code)
    assert names == [("cmp", "alu"), ("ite", "alu"), ("addeq", "alu"), ("addne", "alu")]
    assert model.cost(ADDR, code).cycles == 2  # the conditional adds wait for the flags, then pair


ALL_CLASSES = """
add r0, r1, r2
lsl r0, r1, #2
ubfx r0, r1, #2, #3
sxth r0, r1
ssat r0, #8, r1
mul r0, r1, r2
mla r0, r1, r2, r3
sdiv r0, r1, r2
ldr r0, [r1]
ldrb r0, [r1]
str r0, [r1]
ldrd r0, r1, [r2]
strd r0, r1, [r2]
ldm r0, {r1, r2}
stm r0, {r1, r2}
b 1f
1:
bx lr
tbh [pc, r0, lsl #1]
mrs r0, primask
dmb sy
vadd.f32 s0, s1, s2
vmul.f32 s0, s1, s2
vcmp.f32 s0, s1
vfma.f32 s0, s1, s2
vdiv.f32 s0, s1, s2
vadd.f64 d0, d1, d2
vmul.f64 d0, d1, d2
vfma.f64 d0, d1, d2
vsqrt.f64 d0, d1
vmov r0, s0
vmov r0, r1, d0
vmrs APSR_nzcv, fpscr
vldr s0, [r0]
vldr d0, [r0]
vstr s0, [r0]
vstr d0, [r0]
vldmia r0!, {s0-s3}
vstmia r0!, {s0-s3}
"""


@requires_arm_gcc
def test_every_class_is_reachable(model: CycleModel, asm) -> None:
    found = {cls for _, cls in model.classify(ADDR, asm(ALL_CLASSES))}
    assert found == set(CLASSES) - {"other", "undecodable"}


@requires_arm_gcc
def test_a_block_split_without_a_branch_is_charged_as_if_whole(model: CycleModel, asm) -> None:
    # unicorn splits straight-line code at 1 KB pages; CoreMark's list search (ldr; ldrsh; cmp; bne) was
    # split after the LDRSH, hiding the load-use stall of the CMP (5 cycles instead of 7).
    code = asm("ldr r4, [r5, #4]\nldrsh.w r4, [r4, #2]\ncmp r4, r7\nbne 1f\n1:")
    head, tail = code[:6], code[6:]
    whole = model.cost(ADDR, code).cycles
    assert model.cost(ADDR, head).cycles + model.cost(ADDR + 6, tail).cycles < whole  # no look-ahead
    assert model.cost(ADDR, head, tail).cycles + model.cost(ADDR + 6, tail).cycles == whole == 7
    # a continuation that pairs with the head's last instruction is not charged twice
    pair = asm("adds r0, #1\nadds r1, #1\nb 1f\n1:")
    assert model.cost(ADDR, pair[:2], pair[2:]).cycles + model.cost(ADDR + 2, pair[2:]).cycles == 1
