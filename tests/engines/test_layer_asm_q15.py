"""The q15 asm on the M7 is the output of its generators: the fused 2- and 4-channel layers
(firmware/engines/cmsis/src/m7_layer_q15.c) of tools/gen_layer_asm_q15.py, the conv3 steps of
tools/gen_conv3_asm_q15.py, the 8-channel tanh/residual passes and the 4-frame mixers of
tools/gen_res_asm_q15.py, the 1x1 ops of tools/gen_1x1_asm_q15.py (which share tools/thumb_asm.py, and its
list scheduler): the committed asm equals what each generator
prints, and the fused layers' packed weight offsets equal the C driver's layout (b | mix | conv | res_b |
res_w, M7_LAYER_WORDS words). Their bits are checked in the simulator against the host build by
tests/engines/test_bench_firmware.py."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import re
import runpy
from types import ModuleType

import pytest

from tests.engines._engine import ENGINE_DIR, REPO

LAYER_C = ENGINE_DIR / "src" / "m7_layer_q15.c"
TOOLS = REPO / "tools"


@pytest.fixture(autouse=True)
def _tools_on_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """The generators import tools/thumb_asm.py from their own folder, as when they run as scripts."""
    monkeypatch.syspath_prepend(str(TOOLS))


def _generator() -> ModuleType:
    path = TOOLS / "gen_layer_asm_q15.py"
    spec = importlib.util.spec_from_file_location("gen_layer_asm_q15", path)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_committed_asm_is_the_generators_output() -> None:
    gen = _generator()
    text = LAYER_C.read_text()
    blocks = [gen.function(4), gen.function_c4x2(), *(gen.function(*f) for f in gen.C2_FUNCTIONS)]
    for block in blocks:
        name = re.search(r"\.global (\w+)", block)
        assert name and block in text, f"{name.group(1) if name else block[:40]} differs from the generator"
    assert text.count("__asm__(") == len(blocks)


@pytest.mark.parametrize(("tool", "sources"), [
    ("gen_conv3_asm_q15.py", ["m7_conv3_q15.c"]),
    ("gen_layer_asm_q15.py", ["m7_layer_q15.c"]),
    ("gen_res_asm_q15.py", ["m7_act_res_q15.c", "m7_kernels_q15.c"]),
    ("gen_1x1_asm_q15.py", ["m7_1x1_small_q15.c"]),
])
def test_every_printed_function_is_committed(tool: str, sources: list[str]) -> None:
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        runpy.run_path(str(TOOLS / tool), run_name="__main__")
    blocks = [b for b in re.split(r"(?=__asm__\()", printed.getvalue()) if b.strip()]
    text = "".join((ENGINE_DIR / "src" / name).read_text() for name in sources)
    assert blocks
    for block in blocks:
        name = re.search(r"\.global (\w+)", block)
        assert name and block.strip() in text, f"{name.group(1) if name else block[:40]} differs from {tool}"


def test_packed_weight_offsets() -> None:
    gen = _generator()
    for c, (b, mix, conv, rb, rw) in ((4, (gen.W_B, gen.W_MIX, gen.W_CONV, gen.W_RB, gen.W_RW)),
                                      (2, (gen.W2_B, gen.W2_MIX, gen.W2_CONV, gen.W2_RB, gen.W2_RW))):
        assert (b, mix, conv) == (0, 4 * c, 4 * c + 2 * c)
        assert rb == conv + 2 * 3 * c * c and rw == rb + 4 * c
        words = c + c // 2 + 3 * c * c // 2 + c + c * c // 2  # M7_LAYER_WORDS(C) in m7_engine_q15_internal.h
        assert rw + 2 * c * c == 4 * words
    header = (ENGINE_DIR / "src" / "m7_engine_q15_internal.h").read_text()
    assert "#define M7_LAYER_WORDS(C) ((C) + (C) / 2u + 3u * (C) * (C) / 2u + (C) + (C) * (C) / 2u)" in header


def test_list_schedule_keeps_dependencies() -> None:
    """thumb_asm.schedule may reorder only what is independent: register dependencies, and memory accesses
    of one tag whose byte ranges overlap (a store and a later load of the same word stay in order)."""
    import thumb_asm

    body = [("ldr r4, [r0]", "x"), ("ldr r6, [r1, #4]", "w"), ("add r4, r4, #1", ""), ("str r4, [r0]", "x"),
            ("ldr r5, [r0]", "x"), ("ldr r7, [r0, #8]", "x"), ("mul r6, r6, r6", "")]
    for order in (False, True):
        out = thumb_asm.schedule(body, by_order=order)
        assert sorted(out) == sorted(line for line, _ in body)
        pos = {line: k for k, line in enumerate(out)}
        assert pos["ldr r4, [r0]"] < pos["add r4, r4, #1"] < pos["str r4, [r0]"] < pos["ldr r5, [r0]"]
        assert pos["ldr r6, [r1, #4]"] < pos["mul r6, r6, r6"]
    # the independent load of another word may move above the store: the greedy schedule issues it early
    out = thumb_asm.best_schedule(body)
    assert out.index("ldr r7, [r0, #8]") < out.index("str r4, [r0]")
    assert thumb_asm.loop_cycles(out) <= thumb_asm.loop_cycles([line for line, _ in body])
