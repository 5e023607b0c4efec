"""Print the hand-scheduled asm of the q15 NAM layer's tanh + residual at 8 channels on the M7
(m7_act_tanh8_q15 and m7_act_res2_c8_q15 in firmware/engines/cmsis/src/m7_act_res_q15.c), two passes:

- m7_act_tanh8_q15: tanh4_head's instructions (the table tanh, docs/engine.md "q15 path"; same table
  constants) twice per step over dense values, head += t, the z pairs stored for the second pass;
- m7_act_res2_c8_q15: the residual 1x1 for two frames A, B at once, outputs two at a time: per channel pair
  one SMLAD beside one load every cycle (each weight pair feeds both frames, each z pair both outputs; the
  four operands rotate through four registers as in tools/gen_conv3_asm_q15.py). The sums start as
  b + x·2^k (MLA: 2^k may exceed 16 bits) and are rounded by SMMULR with m = 2^(32-s):
  (r·2^(32-s) + 2^31) >> 32 = floor(r/2^s + 1/2), the reference's round half up, for 2 <= s <= 31.

The C file holds the output; rerun this after changing the scheme and paste it over the old functions.

    python3 tools/gen_res_asm_q15.py
"""

from __future__ import annotations

from thumb_asm import asm_function, best_schedule, tag_by_base, tanh4_lookup


def body(C: int) -> list[str]:
    """m7_act_res2_c<C>_q15(x, z, w, b, end, k, m): r0 x (frame A; B at +2C bytes), r1 z (dense int16 pairs,
    frame A then B), r2 w [C][C], r3 b [C]; on the stack after the push: end (x after the last frame
    pair), k, m."""
    fb = 2 * C  # frame stride in bytes (x and z: C int16)
    L: list[str] = []
    ins = L.append
    # r4 aA0, r5 aA1, r6 aB0, r7 aB1 (frame A/B, output o/o+1); r8-r11 operands; r12 k; lr m
    ins("push {r4-r11, lr}")
    ins("ldr r12, [sp, #40]")
    ins("ldr lr, [sp, #44]")
    ins("1:")
    # at the start of each output pair the four x values (A o, A o+1, B o, B o+1) are loaded: the first
    # pair's here, the others' in the previous pair's last group and tail
    XA0, XA1, XB0, XB1 = "r8", "r9", "r10", "r11"
    ins(f"ldrsh {XB0}, [r0, #{fb}]")
    ins(f"ldrsh {XB1}, [r0, #{fb + 2}]")
    ins(f"ldrsh {XA0}, [r0, #0]")
    ins(f"ldrsh {XA1}, [r0, #2]")
    groups = C // 2
    for o in range(0, C, 2):
        last = o + 2 >= C

        def addr_u(g: int, f: int) -> str:
            return f"[r1, #{4 * g + f * fb}]"

        def addr_v(g: int, d: int, o: int = o) -> str:
            return f"[r2, #{2 * (o + d) * C + 4 * g}]"

        if o == 0:
            ins("ldrd r4, r5, [r3]")
        ins(f"mla r6, {XB0}, r12, r4")
        ins(f"ldr {XB0}, {addr_u(0, 0)}")
        ins(f"mla r7, {XB1}, r12, r5")
        ins(f"ldr {XB1}, {addr_v(0, 0)}")
        ins(f"mla r4, {XA0}, r12, r4")
        ins(f"ldr {XA0}, {addr_u(0, 1)}")
        ins(f"mla r5, {XA1}, r12, r5")
        U0, V0, U1, V1 = XB0, XB1, XA0, XA1
        for g in range(groups):
            lastg = g == groups - 1
            ins(f"smlad r4, {U0}, {V0}, r4")
            ins(f"ldr {V1}, {addr_v(g, 1)}")
            ins(f"smlad r6, {U1}, {V0}, r6")
            if not lastg:
                ins(f"ldr {V0}, {addr_u(g + 1, 0)}")
            elif not last:
                ins(f"ldrsh {V0}, [r0, #{2 * (o + 2)}]")  # the next pair's x: A o+2
            ins(f"smlad r5, {U0}, {V1}, r5")
            if not lastg:
                ins(f"ldr {U0}, {addr_v(g + 1, 0)}")
            elif not last:
                ins(f"ldrsh {U0}, [r0, #{2 * (o + 3)}]")  # A o+3
            ins(f"smlad r7, {U1}, {V1}, r7")
            if not lastg:
                ins(f"ldr {U1}, {addr_u(g + 1, 1)}")
                U0, V0 = V0, U0
        # the tail: each SSAT (slot 0 only) the older of a pair, SMMULR r7 beside SSAT r4
        ins("smmulr r4, r4, lr")
        if not last:
            ins(f"ldrsh {U1}, [r0, #{fb + 2 * (o + 2)}]")  # B o+2
        ins("smmulr r5, r5, lr")
        if not last:
            ins(f"ldrsh {V1}, [r0, #{fb + 2 * (o + 3)}]")  # B o+3
        ins("smmulr r6, r6, lr")
        ins("ssat r4, #16, r4")
        ins("smmulr r7, r7, lr")
        ins("ssat r5, #16, r5")
        ins("ssat r6, #16, r6")
        ins("ssat r7, #16, r7")
        ins("pkhbt r4, r4, r5, lsl #16")
        ins(f"str r4, [r0, #{2 * o}]")
        if not last:
            ins(f"ldrd r4, r5, [r3, #{4 * (o + 2)}]")  # the next pair's biases
        ins("pkhbt r6, r6, r7, lsl #16")
        ins(f"str r6, [r0, #{fb + 2 * o}]")
        XA0, XA1, XB0, XB1 = V0, U0, U1, V1
    ins(f"add r0, r0, #{2 * fb}")
    ins(f"add r1, r1, #{2 * fb}")
    ins("ldr r8, [sp, #36]")
    ins("cmp r0, r8")
    # list-scheduled on the cycle model (issue 13, q15-feather3: 127 -> 125 cycles per frame pair)
    tags = {"r0": "x", "r1": "z", "r2": "w", "r3": "b", "sp": "sp"}
    start = L.index("1:") + 1
    L[start:] = best_schedule(tag_by_base(L[start:], tags))
    ins("bne 1b")
    ins("pop {r4-r11, pc}")
    return L


def table_loop(body: list[str]) -> list[str]:
    """A scheduled loop body in the frame of the tanh passes: r12 at the table's middle, lr = 2^8."""
    return ["push {r4-r11, lr}", "movw r12, #:lower16:m7_tanh_table_q15+4096",
            "movt r12, #:upper16:m7_tanh_table_q15+4096", "mov lr, #256", "1:", *body, "bne 1b",
            "pop {r4-r11, pc}"]


def tanh_body(store: bool = False) -> list[str]:
    """m7_act_tanh8_q15(a, head, z, m, end): for the values from a to end (8 per iteration, int32) t = the
    table tanh of u = floor(v / 2^act_shift + 1/2) (tanh4_lookup's SMMULR variant, m = 2^(32 - act_shift),
    same table constants), head += t (int32, dense), z = t (int16, dense). r0 a, r1 head, r2 z, r3 m; r4-r7
    values, r8-r11 indices and table words, r12 the table's middle, lr 2^8; end on the stack. With store
    (m7_act_tanh8s_q15): head = t (the first layer writing a HEAD that was not zeroed)."""
    L: list[str] = []
    for q in range(2):
        ab, hb, zb = 16 * q, 16 * q, 8 * q
        L += [f"ldr r4, [r0, #{ab}]", f"ldr r5, [r0, #{ab + 4}]", f"ldr r6, [r0, #{ab + 8}]",
              f"ldr r7, [r0, #{ab + 12}]",
              *tanh4_lookup(["r4", "r5", "r6", "r7"], ["r8", "r9", "r10", "r11"], "r3", "r12", "lr",
                            mul=True)]
        if store:
            L += ["sxth r11, r11", "add r9, r9, r5, asr #9", f"str r8, [r1, #{hb}]",
                  "add r10, r10, r6, asr #9", f"str r9, [r1, #{hb + 4}]", "add r11, r11, r7, asr #9",
                  f"str r10, [r1, #{hb + 8}]",
                  "pkhbt r8, r8, r9, lsl #16", f"str r11, [r1, #{hb + 12}]", "pkhbt r10, r10, r11, lsl #16",
                  f"str r8, [r2, #{zb}]", f"str r10, [r2, #{zb + 4}]"]
            continue
        L += [f"ldr r4, [r1, #{hb}]",
              "sxth r11, r11", "add r9, r9, r5, asr #9", f"ldr r5, [r1, #{hb + 4}]",
              "add r10, r10, r6, asr #9", f"ldr r6, [r1, #{hb + 8}]", "add r11, r11, r7, asr #9",
              f"ldr r7, [r1, #{hb + 12}]", "add r4, r4, r8", "add r5, r5, r9", f"str r4, [r1, #{hb}]",
              "add r6, r6, r10", f"str r5, [r1, #{hb + 4}]", "pkhbt r8, r8, r9, lsl #16", "add r7, r7, r11",
              f"str r6, [r1, #{hb + 8}]", "pkhbt r10, r10, r11, lsl #16", f"str r7, [r1, #{hb + 12}]",
              f"str r8, [r2, #{zb}]", f"str r10, [r2, #{zb + 4}]"]
    L += ["adds r0, r0, #32", "adds r1, r1, #32", "adds r2, r2, #16", "ldr r4, [sp, #36]", "cmp r0, r4"]
    # the two groups of four written one after the other, then list-scheduled on the cycle model (issue 13,
    # q15-feather3: 61 -> 55 cycles per pass, 53 -> 48 with store)
    tags = {"r0": "a", "r1": "h", "r2": "z", "r12": "t", "sp": "sp"}
    return table_loop(best_schedule(tag_by_base(L, tags)))


def head4_body() -> list[str]:
    """m7_act_head4x2_q15(a, ha, hb, m, end, step): a layer without residual at C = 4 (z not stored), two
    frames per pass: t = the table tanh of the dense int32 values from a to end (tanh4_lookup's SMMULR
    variant, m = 2^(32 - act_shift)), head += t for frame A at ha and frame B at hb (both advanced by `step`
    bytes per pass; end and step on the stack). r0 a, r1 ha, r2 hb, r3 m; r4-r7 values, r8-r11 indices and
    table words, r12 the table's middle, lr 2^8."""
    L: list[str] = []
    for q, h in enumerate(("r1", "r2")):
        L += [f"ldr r4, [r0, #{16 * q}]", f"ldr r5, [r0, #{16 * q + 4}]", f"ldr r6, [r0, #{16 * q + 8}]",
              f"ldr r7, [r0, #{16 * q + 12}]",
              *tanh4_lookup(["r4", "r5", "r6", "r7"], ["r8", "r9", "r10", "r11"], "r3", "r12", "lr",
                            mul=True),
              f"ldr r4, [{h}]", "sxth r11, r11", "add r9, r9, r5, asr #9", f"ldr r5, [{h}, #4]",
              "add r10, r10, r6, asr #9", f"ldr r6, [{h}, #8]", "add r11, r11, r7, asr #9",
              f"ldr r7, [{h}, #12]",
              "add r4, r4, r8", "add r5, r5, r9", f"str r4, [{h}]", "add r6, r6, r10", f"str r5, [{h}, #4]",
              "add r7, r7, r11", f"str r6, [{h}, #8]", f"str r7, [{h}, #12]"]
    L += ["ldr r4, [sp, #40]", "adds r0, r0, #32", "add r1, r1, r4", "add r2, r2, r4", "ldr r4, [sp, #36]",
          "cmp r0, r4"]
    tags = {"r0": "a", "r1": "ha", "r2": "hb", "r12": "t", "sp": "sp"}
    return table_loop(best_schedule(tag_by_base(L, tags)))


def mix_body(C: int) -> list[str]:
    """m7_mix4_c<C>_q15(y, end, cond, w, b): y[i][o] = b[o] + w[o]·cond[i] (dense y, C int32 per frame; cond
    int16 with stride 1) four frames per step, SMLA<x><y> picking the weight and audio halves; each result
    stored the cycle after its MAC, beside the next MAC. r0 y, r1 end (y after the last 4 frames), r2 cond,
    r3 w then b (on the stack); weight pairs in registers (and the biases, for C = 4)."""
    wregs = ["r4", "r5", "r6", "r7"][: C // 2]
    L = ["push {r4-r11, lr}", *[f"ldr {r}, [r3, #{4 * k}]" for k, r in enumerate(wregs)], "ldr r3, [sp, #36]"]
    bregs = ["r6", "r7", "r10", "r11"] if C == 4 else []
    if C == 4:
        L += ["ldrd r6, r7, [r3]", "ldrd r10, r11, [r3, #8]"]
    L.append("1:")
    L += ["ldr r8, [r2]", "ldr r9, [r2, #4]"]
    temps = ["r12", "lr"]
    t = 0
    body: list[str] = []
    for k in range(C // 2):
        if C == 4:
            b0, b1 = bregs[2 * k], bregs[2 * k + 1]
        else:
            b0, b1 = "r10", "r11"
            body += [f"ldr r10, [r3, #{8 * k}]", f"ldr r11, [r3, #{8 * k + 4}]"]
        for f in range(4):
            cw, yh = ("r8" if f < 2 else "r9"), ("b" if f % 2 == 0 else "t")
            for h, bb in (("b", b0), ("t", b1)):
                o = 2 * k + (0 if h == "b" else 1)
                tr = temps[t % 2]
                t += 1
                body.append(f"smla{h}{yh} {tr}, {wregs[k]}, {cw}, {bb}")
                body.append(f"str {tr}, [r0, #{4 * (f * C + o)}]")
    # each STR after the next MAC (pairs MAC + STR), the loop tail beside the last ones
    out: list[str] = []
    pending = None
    for ins_ in body:
        if ins_.startswith("str"):
            pending = ins_
            continue
        out.append(ins_)
        if pending and ins_.startswith("smla"):
            out.append(pending)
            pending = None
    if pending:
        out.append(pending)
    L += out
    L += ["adds r2, r2, #8", f"add r0, r0, #{16 * C}", "cmp r0, r1", "bne 1b", "pop {r4-r11, pc}"]
    return L


if __name__ == "__main__":
    print(asm_function("m7_act_tanh8_q15", tanh_body()) + asm_function("m7_act_res2_c8_q15", body(8)), end="")
    print(asm_function("m7_act_tanh8s_q15", tanh_body(store=True)), end="")
    print(asm_function("m7_act_head4x2_q15", head4_body()), end="")
    print(asm_function("m7_mix4_c4_q15", mix_body(4)) + asm_function("m7_mix4_c8_q15", mix_body(8)), end="")
