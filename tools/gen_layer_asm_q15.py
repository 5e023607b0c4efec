"""Print the hand-scheduled fused NAM layer of 4 channels (m7_conv3_act_res_c4_q15 in
firmware/engines/cmsis/src/m7_layer_q15.c): per frame the mixer, the kernel-3 conv, the four table tanh
with their head sums and the residual 1x1, the accumulators in registers from the bias to the tanh.
The C file holds the output; rerun this after changing the scheme and paste the function over the old one.

    python3 tools/gen_layer_asm_q15.py

Registers in the frame loop: r4-r7 the four accumulators (then the tanh's inputs), r8/r9 the taps p0/p1
(then the tanh's multiplier and table middle, then the residual's 2^k and multiplier), r10 the tap p2 (the
frame's own x, which the residual reads again), r11 the packed weights (see W_* below), r0-r3, r12, lr
temporaries. The run's other pointers and the constants live in the function's stack frame (SP_*).
"""

from __future__ import annotations

import re

from thumb_asm import asm_function, best_schedule, tanh4_lookup

C = 4
FS = 2 * C  # frame stride of x and of the output in bytes (compact X)
# the packed weight block (m7_layer_c4_q15_t.w, filled by the C driver once per layer call), byte offsets
W_B, W_MIX, W_CONV, W_RB, W_RW = 0, 16, 24, 120, 136
# the stack frame (the first 12 words of the argument struct, copied by the prologue)
SP_P0, SP_P1, SP_COND, SP_HEAD, SP_OUT, SP_END, SP_MA, SP_MR, SP_K, SP_CS, SP_HS, SP_MID = range(0, 48, 4)


def conv() -> list[str]:
    """acc[o] += sum_j sum_c w[o][j][c] x_j[c]: per group (tap j, channel pair c) one input word and four
    weight words; each weight load beside the SMLAD that last read its register, the input word of the
    group after next loaded alone at the end of a group (5 cycles per 4 SMLADs)."""
    taps = ["r8", "r9", "r10"]
    groups = [(j, c) for j in range(3) for c in range(0, C, 2)]
    ureg = ["r0", "r1"]
    wreg = ["r2", "r3", "r12", "lr"]

    def u(g: int) -> str:
        j, c = groups[g]
        return f"ldr {ureg[g % 2]}, [{taps[j]}, #{2 * c}]"

    def w(g: int, o: int) -> str:
        j, c = groups[g]
        return f"ldr {wreg[o]}, [r11, #{W_CONV + 2 * (o * 3 * C + j * C + c)}]"

    out = [u(0), u(1)] + [w(0, o) for o in range(4)]
    n = len(groups)
    for g in range(n):
        for o in range(4):
            out.append(f"smlad r{4 + o}, {ureg[g % 2]}, {wreg[o]}, r{4 + o}")
            if g + 1 < n:
                out.append(w(g + 1, o))
            elif o == 0:  # the frame's input x (r0, r1) into tap 0's slot, which no later frame reads
                out += ["str r0, [r8]", "str r1, [r8, #4]"]
            elif o == 1:  # the taps p0, p1 are free: advance and park them; load the tanh's multiplier, table
                out += [f"add r8, r8, #{FS}", f"add r9, r9, #{FS}"]
            elif o == 2:
                out += [f"str r8, [sp, #{SP_P0}]", f"str r9, [sp, #{SP_P1}]"]
            else:
                out += [f"ldr r8, [sp, #{SP_MA}]", f"ldr r9, [sp, #{SP_MID}]"]
        if g + 2 < n:
            out.append(u(g + 2))
    return out


def mix() -> list[str]:
    """acc[o] = b[o] + mix[o]·cond (one conditioning channel); the taps p0, p1 reloaded beside."""
    return [
        f"ldr r0, [sp, #{SP_COND}]",
        f"ldrd r4, r5, [r11, #{W_B}]",
        "ldrsh r1, [r0]",
        f"ldrd r6, r7, [r11, #{W_B + 8}]",
        f"ldr r2, [r11, #{W_MIX}]",
        f"ldr r3, [r11, #{W_MIX + 4}]",
        f"ldr r12, [sp, #{SP_CS}]",
        "smlabb r4, r2, r1, r4",
        f"ldr r8, [sp, #{SP_P0}]",
        "smlatb r5, r2, r1, r5",
        f"ldr r9, [sp, #{SP_P1}]",
        "add r0, r0, r12",
        "smlabb r6, r3, r1, r6",
        f"str r0, [sp, #{SP_COND}]",
        "smlatb r7, r3, r1, r7",
    ]


def tanh_head() -> list[str]:
    """tanh4_head of m7_act_res_q15.c on r4-r7 (i0-i3 = r0-r3, 2^(32 - act_shift) r8, table middle r9, 2^8
    r12, head lr), then head += hs. z01 ends in r0, z23 in r2."""
    v = ["r4", "r5", "r6", "r7"]
    i = ["r0", "r1", "r2", "r3"]
    s, m, k, h = "r8", "r9", "r12", "lr"
    lookup = "\n".join(tanh4_lookup(v, i, s, m, k, mul=True))
    body = f"""ldr {h}, [sp, #{SP_HEAD}]
mov {k}, #256
{lookup}
ldr {v[0]}, [{h}]
sxth {i[3]}, {i[3]}
add {i[1]}, {i[1]}, {v[1]}, asr #9
ldr {v[1]}, [{h}, #4]
add {i[2]}, {i[2]}, {v[2]}, asr #9
ldr {v[2]}, [{h}, #8]
add {i[3]}, {i[3]}, {v[3]}, asr #9
ldr {v[3]}, [{h}, #12]
add {v[0]}, {v[0]}, {i[0]}
ldr r8, [sp, #{SP_HS}]
add {v[1]}, {v[1]}, {i[1]}
str {v[0]}, [{h}]
add {v[2]}, {v[2]}, {i[2]}
str {v[1]}, [{h}, #4]
pkhbt {i[0]}, {i[0]}, {i[1]}, lsl #16
add {v[3]}, {v[3]}, {i[3]}
str {v[2]}, [{h}, #8]
pkhbt {i[2]}, {i[2]}, {i[3]}, lsl #16
str {v[3]}, [{h}, #12]
add {h}, {h}, r8
str {h}, [sp, #{SP_HEAD}]"""
    return body.splitlines()


def residual() -> list[str]:
    """res_c4 of m7_act_res_q15.c: out[o] = sat16(round((rb[o] + x[o]·2^k + rw[o]·z) · 2^-s)), two outputs
    at a time (z01 r0, z23 r2; chains r4/r5, operands r6/r7, 2^k r8, 2^(32 - shift) r9, out r12), x from the
    tap p2 (r10), which then advances; the loop test on the output pointer."""
    out = [f"ldr r8, [sp, #{SP_K}]", f"ldr r9, [sp, #{SP_MR}]", f"ldr r12, [sp, #{SP_OUT}]"]
    for half in range(2):
        o = 2 * half
        out += [
            f"ldrsh r6, [r10, #{2 * o}]",
            f"ldrsh r7, [r10, #{2 * o + 2}]",
            f"ldr r4, [r11, #{W_RB + 4 * o}]",
            f"ldr r5, [r11, #{W_RB + 4 * o + 4}]",
            "mla r4, r6, r8, r4",
            f"ldr r6, [r11, #{W_RW + 2 * C * o}]",
            "mla r5, r7, r8, r5",
            f"ldr r7, [r11, #{W_RW + 2 * C * (o + 1)}]",
            "smlad r4, r0, r6, r4",
            f"ldr r6, [r11, #{W_RW + 2 * C * o + 4}]",
            "smlad r5, r0, r7, r5",
            f"ldr r7, [r11, #{W_RW + 2 * C * (o + 1) + 4}]",
            "smlad r4, r2, r6, r4",
            "smlad r5, r2, r7, r5",
            "smmulr r4, r4, r9",
            "smmulr r5, r5, r9",
            "ssat r4, #16, r4",
            "ssat r5, #16, r5",
            "pkhbt r4, r4, r5, lsl #16",
            f"str r4, [r12, #{2 * o}]",
        ]
    out += [
        f"ldr lr, [sp, #{SP_END}]",
        f"add r12, r12, #{FS}",
        f"add r10, r10, #{FS}",
        f"str r12, [sp, #{SP_OUT}]",
        "cmp r12, lr",
        "bne 1b",
    ]
    return out


# C = 2: the packed weights b[2] | mix[2] | conv[2][3][2] | rb[2] | rw[2][2], byte offsets
W2_B, W2_MIX, W2_CONV, W2_RB, W2_RW = 0, 8, 12, 36, 44


# C = 2: what each pass's tail loads for the next pass's mixer (and the prologue for the first); dense: the
# conditioning channel contiguous (cs = 2 bytes), one word holds both frames' values (no cs)
def next_c2(dense: bool = False) -> list[str]:
    return [f"ldr r0, [sp, #{SP_COND}]", *([] if dense else [f"ldr r1, [sp, #{SP_CS}]"]),
            f"ldr r3, [r11, #{W2_MIX}]", f"ldr r8, [sp, #{SP_P0}]", f"ldr r9, [sp, #{SP_P1}]"]


NEXT_C2 = next_c2()


def heads_h16(t4: list[str], m: str, s: str, off: int, hs: int = 16) -> list[str]:
    """tanh4_ic_heads' lines for a head stride known at generation (hs bytes: the head of frame B at
    [m, #hs + off], no LDR of hs nor ADD of the second pointer s)."""
    out = []
    for line in t4:
        if line == f"ldr {s}, [sp, #{SP_HS}]" or line == f"add {s}, {m}, {s}":
            continue
        out.append(re.sub(rf"\[{s}, #(\d+)\]", lambda k: f"[{m}, #{hs + int(k.group(1))}]", line))
    return out


def body_c2(res_on: bool = True, dense: bool = False) -> list[str]:
    """Two frames (A, B) of a 2-channel layer per pass: r4 r5 = acc[A][0..1], r6 r7 = acc[B][0..1]; the conv's
    twelve SMLADs each beside a load (every operand loaded two cycles or more before its reader, into a
    register whose last reader issued beside or before the load); tanh4_head2 of m7_act_res_q15.c on the
    four sums; the four residual outputs as four chains (res_on False: a layer without residual, whose z
    goes only to the head; nothing is stored to out). The taps p0 p1 advance by their first loads
    (post-index); dense (cs = 2 bytes and hs = 16, nano's layout): the two frames' conditioning values are one
    word (SMLAxT for B), the head of frame B is at [head, #16] (no hs)."""
    # mixer: the cond pointer r0, cs r1, the mixer weights r3 and the taps r8 r9 were loaded by the previous
    # pass's tail (or the prologue); the conv's first input loads go beside the mixer's MACs
    if dense:
        mix = [
            "ldr r12, [r0], #4",
            f"ldrd r4, r5, [r11, #{W2_B}]",
            f"str r0, [sp, #{SP_COND}]",
            "smlabt r6, r3, r12, r4",
            "ldr r0, [r8], #8",
            "smlatt r7, r3, r12, r5",
            "ldr r1, [r8, #-4]",
            "smlabb r4, r3, r12, r4",
            "smlatb r5, r3, r12, r5",
        ]
    else:
        mix = [
            "ldrsh r12, [r0]",
            "ldrsh r2, [r0, r1]",
            f"ldrd r4, r5, [r11, #{W2_B}]",
            "add r0, r0, r1, lsl #1",
            f"str r0, [sp, #{SP_COND}]",
            "smlabb r6, r3, r2, r4",
            "ldr r0, [r8], #8",
            "smlatb r7, r3, r2, r5",
            "ldr r1, [r8, #-4]",
            "smlabb r4, r3, r12, r4",
            "smlatb r5, r3, r12, r5",
        ]
    w = W2_CONV
    conv = [
        f"ldr r2, [r11, #{w}]",
        f"ldr r3, [r11, #{w + 12}]",
        "ldr r12, [r9], #8",
        "smlad r4, r0, r2, r4",
        f"ldr lr, [r11, #{w + 4}]",
        "smlad r6, r1, r2, r6",
        "ldr r2, [r9, #-4]",
        "smlad r5, r0, r3, r5",
        f"ldr r0, [r11, #{w + 16}]",
        "smlad r7, r1, r3, r7",
        "ldr r1, [r10]",
        "smlad r4, r12, lr, r4",
        f"ldr r3, [r11, #{w + 8}]",
        "smlad r6, r2, lr, r6",
        "ldr lr, [r10, #4]",
        "smlad r5, r12, r0, r5",
        f"ldr r12, [r11, #{w + 20}]",
        "smlad r7, r2, r0, r7",
        "str r1, [r8, #-8]",  # the frames' input x into tap 0's slots, which no later frame reads
        "smlad r4, r1, r3, r4",
        "str lr, [r8, #-4]",
        "smlad r6, lr, r3, r6",
        f"ldr r0, [sp, #{SP_MA}]",  # the tanh's multiplier and table, into registers the conv has done with
        "smlad r5, r1, r12, r5",
        f"ldr r2, [sp, #{SP_MID}]",
        "smlad r7, lr, r12, r7",
    ]
    # tanh: v r4-r7, i r1 r3 r12 lr (z: A r1, B r12), 2^(32 - act_shift) r0, table middle r2, temporaries r8
    # r9; the advanced taps are parked beside its first instructions; the heads end in r2 (A), r0 (B)
    park = [f"str r8, [sp, #{SP_P0}]", f"str r9, [sp, #{SP_P1}]"]
    t4 = tanh4_ic_heads(["r4", "r5", "r6", "r7"], ["r1", "r3", "r12", "lr"], "r0", "r2", "r8", "r9", 0)
    if dense:
        t4 = heads_h16(t4, "r2", "r0", 0)
    assert not any(r in x for x in t4[:2] for r in ("r8", "r9"))
    tanh = [x for k in range(2) for x in (t4[k], park[k])]
    tanh += t4[2:]
    step = ["sub r2, r0, r2", "add r0, r0, r2", f"str r0, [sp, #{SP_HEAD}]"]  # head += 2 hs
    if dense:
        step = ["add r0, r2, #32", "", f"str r0, [sp, #{SP_HEAD}]"]  # head += 2 hs (hs = 16)
    # residual: zA r1, zB r12; chains r4 (A0) r5 (A1) r6 (B0) r7 (B1), which first hold the frames' x; 2^k r8,
    # res_b r3 (o = 0) r9 (o = 1), then the res_w pairs r3 r9; 2^(32 - shift) lr, end r2; stored over x (out =
    # p2: the driver passes them equal), so the loop test is on p2. Its first loads go into the tanh's tail,
    # each right after the last instruction naming its register (x·2^k as MLA: 2^k may be 2^15, no int16)
    first = ["ldrsh r4, [r10]", "ldrsh r6, [r10, #4]", f"ldr r8, [sp, #{SP_K}]", f"ldr r3, [r11, #{W2_RB}]",
             "ldrsh r5, [r10, #2]", "ldrsh r7, [r10, #6]", f"ldr lr, [sp, #{SP_MR}]",
             f"ldr r9, [r11, #{W2_RB + 4}]"]
    nxt = next_c2(dense)
    res = [
        "mla r4, r4, r8, r3",
        step[0],
        "mla r6, r6, r8, r3",
        f"ldr r3, [r11, #{W2_RW}]",
        "mla r5, r5, r8, r9",
        step[1],
        "mla r7, r7, r8, r9",
        f"ldr r9, [r11, #{W2_RW + 4}]",
        step[2],
        f"ldr r2, [sp, #{SP_END}]",
        "smlad r4, r1, r3, r4",
        "smlad r6, r12, r3, r6",
        "add r10, r10, #8",
        "smlad r5, r1, r9, r5",
        "smlad r7, r12, r9, r7",
        "smmulr r4, r4, lr",
        *nxt[:-3],
        "smmulr r6, r6, lr",
        *nxt[-3:-1],
        "smmulr r5, r5, lr",
        "smmulr r7, r7, lr",
        nxt[-1],
        "ssat r4, #16, r4",
        "ssat r6, #16, r6",
        "strh r4, [r10, #-8]",
        "ssat r5, #16, r5",
        "strh r6, [r10, #-4]",
        "ssat r7, #16, r7",
        "strh r5, [r10, #-6]",
        "strh r7, [r10, #-2]",
        "cmp r10, r2",
        "bne 1b",
    ]
    if res_on:
        tanh = hoist(tanh, first)
    res = [x for x in res if x]
    if not res_on:
        res = [
            *(x for x in step if x),
            *nxt,
            f"ldr r12, [sp, #{SP_OUT}]",
            f"ldr lr, [sp, #{SP_END}]",
            "add r10, r10, #8",
            "add r12, r12, #8",
            f"str r12, [sp, #{SP_OUT}]",
            "cmp r12, lr",
            "bne 1b",
        ]
    return mix + conv + tanh + res


def scheduled(body: list[str], seeds: int = 8) -> list[str]:
    """A loop body (ending in `bne 1b`) list-scheduled on the simulator's cycle model (best_schedule,
    issue 13, q15-nano4: c2 67 -> 63 cycles per frame pair, c2 without residual 51 -> 50, c4x2 160 -> 154,
    the one-frame c4 106 -> 97 per frame).
    Memory tags: the stack frame by offset; the packed weights (loads through r11) free; every other access
    (taps, x/out, heads, cond, table) keeps its order against the stores."""
    assert body[-1] == "bne 1b"

    def tag(line: str) -> str:
        m = re.search(r"\[(\w+)", line)
        if not m:
            return ""
        if m.group(1) == "sp":
            return "sp"
        return "" if m.group(1) == "r11" and line.startswith("ldr") else "m"

    return [*best_schedule([(ln, tag(ln)) for ln in body[:-1]], seeds), "bne 1b"]


def function(c: int = C, res_on: bool = True, dense: bool = False) -> str:
    """The one-frame C = 4 layer, or the two-frame C = 2 layer (res_on: with residual; dense: the conditioning
    channel contiguous and the head stride 16 bytes, names ending in _cd)."""
    name = (f"m7_conv3_act_res_c{c}" if res_on else f"m7_conv3_act_c{c}") + ("_cd_q15" if dense else "_q15")
    prologue = [
        "push {r4-r11, lr}",
        "sub sp, sp, #48",
        "ldm r0!, {r1-r7, r12}",
        "stm sp, {r1-r7, r12}",
        "ldm r0, {r1-r3, r10-r12}",  # kmul, cs, hs, p2, w, mid
        f"add lr, sp, #{SP_K}",
        "stm lr, {r1-r3, r12}",
        *(next_c2(dense) if c == 2 else []),
        "1:",
    ]
    epilogue = ["add sp, sp, #48", "pop {r4-r11, pc}"]
    loop = mix() + conv() + tanh_head() + residual() if c == 4 else body_c2(res_on, dense)
    body = prologue + scheduled(loop) + epilogue
    return asm_function(name, body)


C2_FUNCTIONS = [(2, True, False), (2, False, False), (2, True, True), (2, False, True)]


# C = 4, two frames per pass (m7_conv3_act_res_c4x2_q15): the stack frame has three more words
SP_P2, SP_W, SP_CAB = 48, 52, 56
SP_RES = 64  # res_b[C] | res_w[C][C] (3C words), copied from the packed weights by the prologue
FRAME2 = SP_RES + 4 * 3 * C


def tanh4_two_heads(v: list[str], i: list[str], s: str, m: str, h: str, g: str, off: int) -> list[str]:
    """tanh4_head2 of m7_act_res_q15.c on v (registers set): i[0..3] = tanh(v), head h[off..] += i[0..1],
    g[off..] += i[2..3]; s (the multiplier 2^(32 - act_shift)) becomes 2^8 after its last use; z pairs in i[0]
    and i[2]."""
    lookup = "\n".join(tanh4_lookup(v, i, s, m, mul=True))
    return f"""{lookup}
ldr {v[0]}, [{h}, #{off}]
sxth {i[3]}, {i[3]}
add {i[1]}, {i[1]}, {v[1]}, asr #9
ldr {v[1]}, [{h}, #{off + 4}]
add {i[2]}, {i[2]}, {v[2]}, asr #9
ldr {v[2]}, [{g}, #{off}]
add {i[3]}, {i[3]}, {v[3]}, asr #9
ldr {v[3]}, [{g}, #{off + 4}]
add {v[0]}, {v[0]}, {i[0]}
add {v[1]}, {v[1]}, {i[1]}
str {v[0]}, [{h}, #{off}]
add {v[2]}, {v[2]}, {i[2]}
str {v[1]}, [{h}, #{off + 4}]
pkhbt {i[0]}, {i[0]}, {i[1]}, lsl #16
add {v[3]}, {v[3]}, {i[3]}
str {v[2]}, [{g}, #{off}]
pkhbt {i[2]}, {i[2]}, {i[3]}, lsl #16
str {v[3]}, [{g}, #{off + 4}]""".splitlines()


def tanh4_ic_heads(v: list[str], i: list[str], s: str, m: str, h: str, g: str, off: int) -> list[str]:
    """The table tanh of the fused layers (m7_tanh_ic_q15, pairs T'' | dT 8 bytes apart from the middle m) on
    v (accumulators): u = SMMULR(v, s) (s = 2^(32 - act_shift): the rounded Q16 input), index sat11(u >> 9),
    tanh = (T'' + dT·u) >> 9 (one MLA: no fraction, no SXTH; the same integers as tanh4_lookup). h and g are
    temporaries; m and s end as the head pointers (from the stack frame: m = head, s = head + hs):
    m[off..] += tanh(v[0..1]), s[off..] += tanh(v[2..3]); z pairs in i[0] (v0 | v1) and i[2] (v2 | v3). Each
    SSAT (slot 0 only; its shifted operand is read a cycle early) is the older of a pair."""
    return [
        f"smmulr {v[0]}, {v[0]}, {s}",
        f"smmulr {v[1]}, {v[1]}, {s}",
        f"smmulr {v[2]}, {v[2]}, {s}",
        f"ssat {i[0]}, #11, {v[0]}, asr #9",
        f"smmulr {v[3]}, {v[3]}, {s}",
        f"ssat {i[1]}, #11, {v[1]}, asr #9",
        f"add {s}, {m}, #4",
        f"ssat {i[2]}, #11, {v[2]}, asr #9",
        f"ldr {h}, [{m}, {i[0]}, lsl #3]",
        f"ssat {i[3]}, #11, {v[3]}, asr #9",
        f"ldr {i[0]}, [{s}, {i[0]}, lsl #3]",
        f"ldr {g}, [{m}, {i[1]}, lsl #3]",
        f"ldr {i[1]}, [{s}, {i[1]}, lsl #3]",
        f"mla {v[0]}, {i[0]}, {v[0]}, {h}",
        f"ldr {h}, [{m}, {i[2]}, lsl #3]",
        f"mla {v[1]}, {i[1]}, {v[1]}, {g}",
        f"ldr {i[2]}, [{s}, {i[2]}, lsl #3]",
        f"ldr {g}, [{m}, {i[3]}, lsl #3]",
        f"ldr {i[3]}, [{s}, {i[3]}, lsl #3]",
        f"ldr {m}, [sp, #{SP_HEAD}]",
        f"mla {v[2]}, {i[2]}, {v[2]}, {h}",
        f"ldr {s}, [sp, #{SP_HS}]",
        f"mla {v[3]}, {i[3]}, {v[3]}, {g}",
        f"asr {i[0]}, {v[0]}, #9",
        f"ldr {h}, [{m}, #{off}]",
        f"add {s}, {m}, {s}",
        f"ldr {g}, [{m}, #{off + 4}]",
        f"asr {i[2]}, {v[2]}, #9",
        f"ldr {i[1]}, [{s}, #{off}]",
        f"add {h}, {h}, {i[0]}",
        f"ldr {i[3]}, [{s}, #{off + 4}]",
        f"add {g}, {g}, {v[1]}, asr #9",
        f"str {h}, [{m}, #{off}]",
        f"add {i[1]}, {i[1]}, {i[2]}",
        f"str {g}, [{m}, #{off + 4}]",
        f"add {i[3]}, {i[3]}, {v[3]}, asr #9",
        f"str {i[1]}, [{s}, #{off}]",
        f"pkhbt {i[0]}, {i[0]}, {v[1]}, lsl #7",
        f"str {i[3]}, [{s}, #{off + 4}]",
        f"pkhbt {i[2]}, {i[2]}, {v[3]}, lsl #7",
    ]


def conv_2x2(o: int, ops: list[str], store_x: bool = False, tail: tuple[str, str] = ("", "")) -> list[str]:
    """outputs o, o+1 of frames A, B (r4 = A o, r5 = A o+1, r6 = B o, r7 = B o+1) += the conv: per tap and
    channel pair one input pair per frame and one weight pair per output, four SMLADs; the operands rotate
    through four registers as in tools/gen_conv3_asm_q15.py (each load beside the SMLAD that last reads
    its register, two cycles before its own first reader). store_x: each input pair of tap 2 (the frames'
    own x) is also stored into tap 0's frame (r8) once read, after every read of tap 0 and tap 1 of the
    pass (the ring update, as in the one-frame kernel). tail: two instructions for after the last group's
    second SMLAD (ops[0] is then free) and third (ops[1] free)."""
    taps = ["r8", "r9", "r10"]
    groups = [(j, c) for j in range(3) for c in range(0, C, 2)]
    U0, V0, U1, V1 = ops

    def au(g: int, f: int) -> str:
        j, c = groups[g]
        return f"[{taps[j]}, #{2 * c + f * FS}]"

    def av(g: int, k: int) -> str:
        j, c = groups[g]
        return f"[r11, #{W_CONV + 2 * ((o + k) * 3 * C + j * C + c)}]"

    out = [f"ldr {U0}, {au(0, 0)}", f"ldr {V0}, {av(0, 0)}", f"ldr {U1}, {au(0, 1)}"]
    n = len(groups)
    for g in range(n):
        last = g == n - 1
        j, c = groups[g]
        out.append(f"smlad r4, {U0}, {V0}, r4")
        if store_x and j == 2:
            out.append(f"str {U0}, [r8, #{2 * c}]")
        out.append(f"ldr {V1}, {av(g, 1)}")
        out.append(f"smlad r6, {U1}, {V0}, r6")
        if store_x and j == 2:
            out.append(f"str {U1}, [r8, #{2 * c + FS}]")
        out.append(f"ldr {V0}, {au(g + 1, 0)}" if not last else tail[0])
        out.append(f"smlad r5, {U0}, {V1}, r5")
        out.append(f"ldr {U0}, {av(g + 1, 0)}" if not last else tail[1])
        out.append(f"smlad r7, {U1}, {V1}, r7")
        if not last:
            out.append(f"ldr {U1}, {au(g + 1, 1)}")
            U0, V0 = V0, U0
    assert ops[:2] == [V0, U0]  # the registers tail may load
    return [x for x in out if x]


def hoist(lines: list[str], loads: list[str]) -> list[str]:
    """lines with each load inserted right after the last line that names its destination or base register
    (and after the loads before it): each issues as soon as its register is free."""
    out = list(lines)
    at = 0
    for ld in loads:
        regs = re.findall(r"\b(r\d+|lr)\b", ld)
        for k, line in enumerate(out):
            if any(re.search(rf"\b{r}\b", line) for r in regs):
                at = max(at, k + 1)
        out.insert(at, ld)
        at += 1
    return out


def body_c4x2() -> list[str]:
    """Two frames (A, B) of a 4-channel layer per pass, in two halves (outputs 0-1, then 2-3) of four sums
    each: mixer, conv (each weight load feeds two SMLADs), tanh4 over the half's four sums with the heads of
    both frames. z of the first half (r12, lr) waits in registers through the second; then the residual
    of both frames, output by output (each weight and bias load feeds both frames)."""
    L = [
        # mixer, outputs 0-1: acc = b + mix·cond for both frames (cond pair cA | cB << 16 kept for half 2);
        # the cond pointer r0, cs r7, the frames' cond values r3 (A) r2 (B), the taps r8 r9 r10 and the biases
        # r12 lr were loaded by the previous pass's residual (or the prologue); the conv's first operand
        # loads go beside the mixer's MACs
        f"ldr r6, [r11, #{W_MIX}]",
        "add r0, r0, r7, lsl #1",
        "pkhbt r3, r3, r2, lsl #16",
        f"str r0, [sp, #{SP_COND}]",
    ]
    conv = conv_2x2(0, ["r0", "r1", "r2", "r3"], tail=(f"ldr r0, [sp, #{SP_MA}]", f"ldr r1, [sp, #{SP_MID}]"))
    L += ["smlabb r4, r6, r3, r12", conv[0], "smlatb r5, r6, r3, lr", conv[1], "smlatt r7, r6, r3, lr",
          conv[2], "smlabt r6, r6, r3, r12", f"str r3, [sp, #{SP_CAB}]"]
    L += conv[3:]
    # tanh, outputs 0-1: i = r12 r2 lr r3 (z: A r12, B lr), multiplier r0 and table r1 (loaded inside the
    # conv), temporaries r8 r9 (the taps p0, p1 are still those of the stack frame, which half 2 reloads)
    # mixer, outputs 2-3: its operands and the taps p0, p1 loaded right after the tanh's last use of their
    # registers
    L += hoist(tanh4_ic_heads(["r4", "r5", "r6", "r7"], ["r12", "r2", "lr", "r3"], "r0", "r1", "r8", "r9", 0),
               [f"ldr r8, [sp, #{SP_P0}]", f"ldr r9, [sp, #{SP_P1}]", f"ldr r2, [r11, #{W_MIX + 4}]",
                f"ldr r3, [sp, #{SP_CAB}]", f"ldr r0, [r11, #{W_B + 8}]", f"ldr r1, [r11, #{W_B + 12}]"])
    L += [
        "smlabb r4, r2, r3, r0",
        "smlabt r6, r2, r3, r0",
        "smlatb r5, r2, r3, r1",
        "smlatt r7, r2, r3, r1",
    ]
    L += conv_2x2(2, ["r0", "r1", "r2", "r3"], store_x=True,
                  tail=(f"ldr r0, [sp, #{SP_MA}]", f"ldr r1, [sp, #{SP_MID}]"))
    # tanh, outputs 2-3: i = r2 r3 r8 r9 (z: A r2, B r8), multiplier r0, table r1, temporaries r10 r11; the
    # taps advance and are parked beside its first instructions (x of both frames went into tap 0's frames
    # inside the conv); then head += 2 hs (the heads end in r1, r0)
    park = [f"add r10, r10, #{2 * FS}", f"add r9, r9, #{2 * FS}", f"str r10, [sp, #{SP_P2}]",
            f"add r8, r8, #{2 * FS}", f"str r9, [sp, #{SP_P1}]", f"str r8, [sp, #{SP_P0}]"]
    tanh = tanh4_ic_heads(["r4", "r5", "r6", "r7"], ["r2", "r3", "r8", "r9"], "r0", "r1", "r10", "r11", 8)
    assert not any(r in x for x in tanh[:6] for r in ("r8", "r9", "r10"))
    for k in range(6):
        L += [tanh[k], park[k]]
    tail = [*tanh[6:], "sub r4, r0, r1", "add r4, r4, r0", f"str r4, [sp, #{SP_HEAD}]"]
    # residual: out[f][o] = sat16(round((rb[o] + x[f][o]·2^k + rw[o]·z[f]) · 2^-s)) for f = A, B, stored over
    # x (out = p2: the driver passes them equal); z[A] = r12 | r2, z[B] = lr | r8; 2^k r9, 2^(32 - shift) r3,
    # x (p2 - 16) r10; res_b and res_w from the stack frame (SP_RES, copied by the prologue). Per output the
    # A chain (MLA, two SMLADs) then the B chain, then both SMMULRs: eight MAC-unit instructions back to back;
    # the A sum alternates between r4 and r1, so the next output's A chain starts while this output's SSAT
    # and STRH still read r4 (r1), and the B chain (r5) starts three cycles later, after its store. Operands:
    # x r6 (x[A], then x[B]), res_b r7, res_w pairs r11 r0, each reloaded after its last reader
    def rb(o: int) -> str:
        return f"[sp, #{SP_RES + 4 * o}]"

    def rw(o: int, k: int) -> str:
        return f"[sp, #{SP_RES + 4 * C + 2 * C * o + 4 * k}]"

    def xa(o: int) -> str:
        return f"[r10, #{-2 * FS + 2 * o}]"

    def xb(o: int) -> str:
        return f"[r10, #{-FS + 2 * o}]"

    # the residual's first operands, each loaded right after the tanh's last use of its register
    L += hoist(tail, [f"ldr r10, [sp, #{SP_P2}]", f"ldr r11, {rw(0, 0)}", f"ldr r9, [sp, #{SP_K}]",
                      f"ldr r3, [sp, #{SP_MR}]", f"ldr r7, {rb(0)}", f"ldrsh r6, {xa(0)}",
                      f"ldr r0, {rw(0, 1)}"])
    tail: list[str] = []  # the previous output's SSAT/STRH, issued beside this output's first MACs
    for o in range(C):
        last = o == C - 1
        acc = "r4" if o % 2 == 0 else "r1"
        t = tail or ["", "", "", ""]
        L += [t[0], f"mla {acc}, r6, r9, r7", t[1], f"ldrsh r6, {xb(o)}", f"smlad {acc}, r12, r11, {acc}",
              t[2], f"smlad {acc}, r2, r0, {acc}", t[3], "mla r5, r6, r9, r7"]
        if not last:
            L += [f"ldrsh r6, {xa(o + 1)}", "smlad r5, lr, r11, r5", f"ldr r7, {rb(o + 1)}",
                  "smlad r5, r8, r0, r5", f"ldr r11, {rw(o + 1, 0)}", f"smmulr {acc}, {acc}, r3",
                  f"ldr r0, {rw(o + 1, 1)}", "smmulr r5, r5, r3"]
        else:  # the next pass's first operands (see the mixer) and the loop test
            L += [f"ldr r6, [sp, #{SP_END}]", "smlad r5, lr, r11, r5", f"ldr r7, [sp, #{SP_CS}]",
                  "smlad r5, r8, r0, r5", f"ldr r11, [sp, #{SP_W}]", f"smmulr {acc}, {acc}, r3",
                  f"ldr r0, [sp, #{SP_COND}]", "smmulr r5, r5, r3", f"ldr r12, [r11, #{W_B}]",
                  f"ldr lr, [r11, #{W_B + 4}]", f"ssat {acc}, #16, {acc}", f"ldr r8, [sp, #{SP_P0}]",
                  "ssat r5, #16, r5", f"ldr r9, [sp, #{SP_P1}]", "ldrsh r2, [r0, r7]", "ldrsh r3, [r0]",
                  f"strh {acc}, {xa(o)}", f"strh r5, {xb(o)}"]  # after the last pass the two LDRSH read
                  # the next frames' slots of the cond buffer (in the scratch, which X follows), unused
        tail = [f"ssat {acc}, #16, {acc}", "ssat r5, #16, r5", f"strh {acc}, {xa(o)}", f"strh r5, {xb(o)}"]
    L = [x for x in L if x]
    L += ["cmp r10, r6", "bne 1b"]
    return L


def function_c4x2() -> str:
    name = "m7_conv3_act_res_c4x2_q15"
    prologue = [
        "push {r4-r11, lr}",
        f"sub sp, sp, #{FRAME2}",
        "ldm r0!, {r1-r7, r12}",
        "stm sp, {r1-r7, r12}",
        "ldm r0, {r1-r3, r10-r12}",  # kmul, cs, hs, p2, w, mid
        f"add lr, sp, #{SP_K}",
        "stm lr, {r1-r3, r12}",
        f"str r10, [sp, #{SP_P2}]",
        f"str r11, [sp, #{SP_W}]",
        f"add r0, r11, #{W_RB}",
        "ldm r0!, {r1-r6}",
        f"add lr, sp, #{SP_RES}",
        "stm lr!, {r1-r6}",
        "ldm r0, {r1-r6}",
        "stm lr, {r1-r6}",
        f"ldr r0, [sp, #{SP_COND}]",
        f"ldr r7, [sp, #{SP_CS}]",
        f"ldr r8, [sp, #{SP_P0}]",
        f"ldr r9, [sp, #{SP_P1}]",
        f"ldr r12, [r11, #{W_B}]",
        f"ldr lr, [r11, #{W_B + 4}]",
        "ldrsh r2, [r0, r7]",
        "ldrsh r3, [r0]",
        "1:",
    ]
    epilogue = [f"add sp, sp, #{FRAME2}", "pop {r4-r11, pc}"]
    body = prologue + scheduled(body_c4x2()) + epilogue
    return asm_function(name, body)


if __name__ == "__main__":
    print(function(4) + function_c4x2() + "".join(function(*f) for f in C2_FUNCTIONS), end="")
