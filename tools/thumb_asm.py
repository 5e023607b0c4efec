"""Pieces shared by the q15 asm generators (tools/gen_conv3_asm_q15.py, gen_layer_asm_q15.py,
gen_res_asm_q15.py), which import it from their own folder: the top-level asm block of an AAPCS function,
and the start of the table tanh of four accumulators that every tanh pass begins with."""

from __future__ import annotations


def asm_function(name: str, lines: list[str]) -> str:
    """A top-level asm block defining the AAPCS function `name` with the instructions `lines` (GCC sees only
    its prototype, so it assumes every caller-saved register clobbered, which a naked C function did not)."""
    lines = [".text", ".p2align 2", ".thumb", ".thumb_func", f".global {name}", f".hidden {name}",
             f".type {name}, %function", f"{name}:", *lines, f".size {name}, . - {name}"]
    text = "\n        ".join(f'"{t}\\n"' for t in lines)
    return f"__asm__({text});\n"


def tanh4_lookup(v: list[str], i: list[str], s: str, m: str, k: str | None = None,
                 mul: bool = False) -> list[str]:
    """The start of the table tanh (docs/engine.md "q15 path") of four accumulators v: shift s, table middle
    m, the constant 2^8 in k; without k, s becomes 2^8 after its last use. It ends with i[0] = tanh(v[0])
    done, i[1], i[2] sign-extended and i[3]'s SMLATB issued: the callers interleave the rest with their
    head sums. mul: s holds 2^(32 - act_shift) instead of act_shift - 1, and one SMMULR per value gives the
    rounded Q16 input u = floor(acc / 2^act_shift + 1/2) (index sat11(u >> 9), fraction u & 511: the same
    integers as (acc >> (act_shift - 1)) + 1 then >> 10 and >> 1, one instruction less per value)."""
    mov = [] if k is not None else [f"mov {s}, #256"]
    k = s if k is None else k
    if mul:
        return [f"smmulr {v[0]}, {v[0]}, {s}", f"smmulr {v[1]}, {v[1]}, {s}", f"smmulr {v[2]}, {v[2]}, {s}",
                f"ssat {i[0]}, #11, {v[0]}, asr #9", f"smmulr {v[3]}, {v[3]}, {s}",
                f"ssat {i[1]}, #11, {v[1]}, asr #9", *mov, f"ubfx {v[0]}, {v[0]}, #0, #9",
                f"ssat {i[2]}, #11, {v[2]}, asr #9", f"ldr {i[0]}, [{m}, {i[0]}, lsl #2]",
                f"ssat {i[3]}, #11, {v[3]}, asr #9", f"ldr {i[1]}, [{m}, {i[1]}, lsl #2]",
                f"ubfx {v[1]}, {v[1]}, #0, #9", f"ldr {i[2]}, [{m}, {i[2]}, lsl #2]",
                f"ubfx {v[2]}, {v[2]}, #0, #9",
                f"smlatb {v[0]}, {i[0]}, {v[0]}, {k}", f"ubfx {v[3]}, {v[3]}, #0, #9",
                f"ldr {i[3]}, [{m}, {i[3]}, lsl #2]", f"sxth {i[0]}, {i[0]}",
                f"smlatb {v[1]}, {i[1]}, {v[1]}, {k}", f"sxth {i[1]}, {i[1]}",
                f"smlatb {v[2]}, {i[2]}, {v[2]}, {k}", f"sxth {i[2]}, {i[2]}",
                f"add {i[0]}, {i[0]}, {v[0]}, asr #9", f"smlatb {v[3]}, {i[3]}, {v[3]}, {k}"]
    return [f"asr {v[0]}, {v[0]}, {s}", f"asr {v[1]}, {v[1]}, {s}", f"add {v[0]}, {v[0]}, #1",
            f"asr {v[2]}, {v[2]}, {s}", f"add {v[1]}, {v[1]}, #1", f"ssat {i[0]}, #11, {v[0]}, asr #10",
            f"asr {v[3]}, {v[3]}, {s}", f"ssat {i[1]}, #11, {v[1]}, asr #10", f"add {v[2]}, {v[2]}, #1",
            *mov, f"ubfx {v[0]}, {v[0]}, #1, #9", f"add {v[3]}, {v[3]}, #1",
            f"ssat {i[2]}, #11, {v[2]}, asr #10", f"ldr {i[0]}, [{m}, {i[0]}, lsl #2]",
            f"ssat {i[3]}, #11, {v[3]}, asr #10", f"ldr {i[1]}, [{m}, {i[1]}, lsl #2]",
            f"ubfx {v[1]}, {v[1]}, #1, #9", f"ldr {i[2]}, [{m}, {i[2]}, lsl #2]",
            f"ubfx {v[2]}, {v[2]}, #1, #9",
            f"smlatb {v[0]}, {i[0]}, {v[0]}, {k}", f"ubfx {v[3]}, {v[3]}, #1, #9",
            f"ldr {i[3]}, [{m}, {i[3]}, lsl #2]", f"sxth {i[0]}, {i[0]}",
            f"smlatb {v[1]}, {i[1]}, {v[1]}, {k}", f"sxth {i[1]}, {i[1]}",
            f"smlatb {v[2]}, {i[2]}, {v[2]}, {k}", f"sxth {i[2]}, {i[2]}",
            f"add {i[0]}, {i[0]}, {v[0]}, asr #9", f"smlatb {v[3]}, {i[3]}, {v[3]}, {k}"]
