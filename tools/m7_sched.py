"""List-schedule straight-line Cortex-M7 code for the simulator's cycle model; print f32 kernel listings.

The inline assembly in firmware/engines/cmsis/src/m7_wavenet_f32.c (the 4-channel conv's 4-frame pass,
the 2-channel conv's 2- and 4-frame passes, the 4-channel residual 1x1's 4-frame pass) was produced by
this scheduler, and m7_act_f32.c's 8-value tanh pass by the same kind of greedy list
scheduling (with the stages prioritised by hand, two groups of four values). The instructions of one pass
are written in a correct sequential order; dependencies (RAW with the model's latencies and early/late
operand reads, WAR, WAW, and stores against loads of the same address or of possibly aliased bases) are
derived from the operands; the order is then re-chosen greedily by critical path, two instructions per
cycle under the model's unit rules (one FP operation, one store, one shifted operand per cycle, two loads).
Check a listing with m7amp.sim.cycles.CycleModel.

Usage: .venv/bin/python tools/m7_sched.py conv4|conv2_224|conv2_444|conv2x4_224|conv2x4_244|conv2x4_444|res4
(prints the listing, asm operand names)
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable

LAT = {"vldr": 2, "ldr": 2, "vfma": 5, "vmul": 3, "vadd": 3, "vminnm": 3, "vmaxnm": 3, "vmov": 3, "add": 1,
       "sub": 1, "lsr": 1, "vstr": 1, "str": 1, "adds": 1}
FP = {"vfma", "vmul", "vadd", "vminnm", "vmaxnm"}

def parse(line: str):
    m = re.match(r"\s*([a-z.0-9]+)\s+(.*)", line)
    op = m.group(1).split(".")[0]
    args = m.group(2)
    regs = re.findall(r"(%\[\w+\]|\b[rs]\d+\b|\bip\b|\blr\b|\bsp\b)", args)
    if op in ("vstr", "str"):
        dst, src = [], regs
    elif op == "vfma":
        dst, src = [regs[0]], regs  # accumulator read too
    else:
        dst, src = regs[:1], regs[1:]
    mem, off = None, 0
    mm = re.search(r"\[([^,\]]+)(?:,\s*#(-?\w+))?", args)
    if mm:
        mem = mm.group(1)
        off = int(mm.group(2), 0) if mm.group(2) else 0
    return op, dst, src, mem, off

ALIAS: dict[str, set[str]] = {}


def schedule(lines: list[str], by_order: bool = False) -> list[str]:
    ins = [parse(line) for line in lines]
    n = len(ins)
    preds = [dict() for _ in range(n)]  # j -> min distance
    last_w, reads = {}, {}
    stores: list[int] = []
    loads: list[int] = []
    def conflict(j: int, i: int) -> bool:
        """Whether memory accesses j and i may overlap: same base and offset, or aliased bases."""
        mj, oj, mi, oi = ins[j][3], ins[j][4], ins[i][3], ins[i][4]
        if mj == mi:
            return oj == oi
        return not ALIAS or mj in ALIAS.get(mi, {mi})

    for i, (op, dst, src, mem, _off) in enumerate(ins):
        for r in src:
            if r in last_w:
                j = last_w[r]
                lat = LAT.get(ins[j][0], 1)
                if op == "vfma" and r == dst[0]:
                    lat = max(lat - 2, 1)  # accumulator read late
                if op in ("vstr", "str") and r == src[0]:
                    lat = max(lat - 2, 0)  # store data read late
                if mem and r == mem:
                    lat += 1  # address read early
                if op in ("lsr", "add") and "lsl" in lines[i] and r == src[-1]:
                    lat += 1  # shifted operand read early
                preds[i][j] = max(preds[i].get(j, 0), lat)
        for r in dst:
            for j in reads.get(r, []):
                preds[i][j] = max(preds[i].get(j, 0), 0)
            if r in last_w:
                preds[i][last_w[r]] = max(preds[i].get(last_w[r], 0), 1)
        if op in ("vstr", "str"):
            for j in loads + stores:
                if conflict(j, i):
                    preds[i][j] = max(preds[i].get(j, 0), 0)
            stores.append(i)
        elif op in ("vldr", "ldr"):
            for j in stores:
                if conflict(j, i):
                    preds[i][j] = max(preds[i].get(j, 0), 1)
            loads.append(i)
        for r in src:
            reads.setdefault(r, []).append(i)
        for r in dst:
            last_w[r] = i
            reads[r] = []
    succ = [[] for _ in range(n)]
    for i in range(n):
        for j, d in preds[i].items():
            succ[j].append((i, d))
    prio = [0] * n
    for i in range(n - 1, -1, -1):
        prio[i] = max([d + prio[k] for k, d in succ[i]] + [LAT.get(ins[i][0], 1)])
    issued = {}
    out = []
    t = 0
    remaining = set(range(n))
    while remaining:
        used, cnt, nl = set(), 0, 0
        ready = sorted((i for i in remaining
                        if all(j in issued and issued[j] + d <= t for j, d in preds[i].items())),
                       key=lambda i: (i,) if by_order else (-prio[i], i))
        for i in ready:
            if cnt == 2:
                break
            op = ins[i][0]
            shifted = "lsl" in lines[i] or op == "lsr"
            unit = "F" if op in FP else "St" if op in ("vstr", "str") else "S" if shifted else None
            isl = op in ("vldr", "ldr")
            if (unit and unit in used) or (isl and nl == 2):
                continue
            # same-cycle dependency not allowed
            if any(j in issued and issued[j] == t for j in preds[i]):
                continue
            issued[i] = t
            out.append(lines[i])
            remaining.discard(i)
            cnt += 1
            if unit:
                used.add(unit)
            if isl:
                nl += 1
        t += 1
    return out


def mixer4(n: dict[str, str], bias: str, outs: int, acc: Callable[[int, int], str]) -> list[str]:
    """The start of a 4-frame conv pass with the mixer fused: the mixer weights into s4.., the four frames'
    conditioning into s0-s3 (read through tmp, byte stride cs), each accumulator = bias + mixer·cond."""
    lines = [f"vldr s{4 + u}, [{n['mp']}, #{4 * u}]" for u in range(outs)]
    lines += [f"vldr s0, [{n['cc']}]", f"add {n['tmp']}, {n['cc']}, {n['cs']}", f"vldr s1, [{n['tmp']}]",
              f"add {n['tmp']}, {n['tmp']}, {n['cs']}", f"vldr s2, [{n['tmp']}]",
              f"add {n['tmp']}, {n['tmp']}, {n['cs']}", f"vldr s3, [{n['tmp']}]"]
    lines += [f"vldr {acc(f, u)}, [{bias}, #{4 * u}]" for f in range(4) for u in range(outs)]
    lines += [f"vfma.f32 {acc(f, u)}, s{4 + u}, s{f}" for f in range(4) for u in range(outs)]
    return lines


def conv4() -> list[str]:
    """The 4-channel, 4-output conv pass over 4 dense frames, mixer fused (conv3_block, M7_CONV_ASM)."""
    n = {k: f"%[{k}]" for k in ("p0", "p1", "p2", "wp", "bp", "mp", "cc", "cs", "ar", "tmp")}
    lines = []

    def acc(f: int, u: int) -> str:
        return f"s{16 + f * 4 + u}"

    lines += mixer4(n, n['bp'], 4, acc)
    step = 0
    for j in range(3):
        for c in range(4):
            xb, wb = (8, 12) if step % 2 == 0 else (0, 4)
            step += 1
            lines += [f"vldr s{xb + f}, [{n[f'p{j}']}, #{f * 16 + c * 4}]" for f in range(4)]
            lines += [f"vldr s{wb + u}, [{n['wp']}, #{(u * 12 + j * 4 + c) * 4}]" for u in range(4)]
            lines += [f"vfma.f32 {acc(f, u)}, s{wb + u}, s{xb + f}" for f in range(4) for u in range(4)]
    lines += [f"vstr {acc(f, u)}, [{n['ar']}, #{f * 16 + u * 4}]" for f in range(4) for u in range(4)]
    return schedule(lines)


def conv2(s0: int, s1: int, s2: int) -> list[str]:
    """The 2-channel, 2-output conv pass over 2 frames whose taps have the strides s0, s1, s2 (floats):
    frame 1 of tap j at offset 4 * s_j. The mixer weights and the two frames' conditioning are in s12-s15."""
    n = {k: f"%[{k}]" for k in ("p0", "p1", "p2", "w", "b", "a")}
    st = (s0, s1, s2)
    lines = []

    def acc(f: int, u: int) -> str:
        return f"s{16 + f * 2 + u}"

    lines += [f"vldr {acc(f, u)}, [{n['b']}, #{4 * u}]" for f in range(2) for u in range(2)]
    lines += [f"vfma.f32 {acc(f, u)}, s{12 + u}, s{14 + f}" for f in range(2) for u in range(2)]
    k = 0
    for j in range(3):
        for c in range(2):
            lines += [f"vldr s{k + f}, [{n[f'p{j}']}, #{4 * (f * st[j] + c)}]" for f in range(2)]
            w = 20 + 2 * (j * 2 + c)
            lines += [f"vldr s{w + u}, [{n['w']}, #{(u * 6 + j * 2 + c) * 4}]" for u in range(2)]
            lines += [f"vfma.f32 {acc(f, u)}, s{w + u}, s{k + f}" for f in range(2) for u in range(2)]
            k += 2
    lines += [f"vstr {acc(f, u)}, [{n['a']}, #{(f * 2 + u) * 4}]" for f in range(2) for u in range(2)]
    ALIAS.clear()
    ALIAS[n["a"]] = {n["a"]}
    out = schedule(lines)
    ALIAS.clear()
    return out


def conv2x4(s0: int, s1: int, s2: int) -> list[str]:
    """The 2-channel, 2-output conv pass over 4 frames whose taps have the strides s0, s1, s2 (floats), mixer
    fused (conv3_block, M7_CONV2_QUADS): frame f of tap j at byte offset 4 * (f * s_j + c). Accumulators
    s16-s23 (start: the bias, then the mixer VFMA with the mixer weights in s4-s5 and the four frames'
    conditioning in s0-s3, read through tmp with the byte stride cs); inputs of step (j, c) in s8-s11 or
    s12-s15, its two weights in s24-s25 or s26-s27, alternately. Ends with the pointer updates."""
    n = {k: f"%[{k}]" for k in ("p0", "p1", "p2", "w", "b", "mp", "cc", "cs", "a", "tmp")}
    st = (s0, s1, s2)
    lines = []

    def acc(f: int, u: int) -> str:
        return f"s{16 + f * 2 + u}"

    lines += mixer4(n, n['b'], 2, acc)
    k = 0
    for j in range(3):
        for c in range(2):
            xb, wb = (8, 24) if k % 2 == 0 else (12, 26)
            k += 1
            lines += [f"vldr s{xb + f}, [{n[f'p{j}']}, #{4 * (f * st[j] + c)}]" for f in range(4)]
            lines += [f"vldr s{wb + u}, [{n['w']}, #{(u * 6 + j * 2 + c) * 4}]" for u in range(2)]
            lines += [f"vfma.f32 {acc(f, u)}, s{wb + u}, s{xb + f}" for f in range(4) for u in range(2)]
    lines += [f"vstr {acc(f, u)}, [{n['a']}, #{(f * 2 + u) * 4}]" for f in range(4) for u in range(2)]
    lines += [f"add {n[f'p{j}']}, {n[f'p{j}']}, #{16 * st[j]}" for j in range(3)]
    lines += [f"add {n['a']}, {n['a']}, #32", f"add {n['cc']}, {n['cc']}, {n['cs']}, lsl #2"]
    ALIAS.clear()
    ALIAS[n["a"]] = {n["a"]}
    out = schedule(lines)
    ALIAS.clear()
    return out


def res4() -> list[str]:
    """The 4-channel residual 1x1 with the NAM head over 4 frames (res_block, M7_RES_ASM): x, dst and
    head 4 wide, z dense. d[f][o] = (x[f][o] + b[o]) + sum_q w[o][q] z[f][q] (q in order), h[f][q] += z[f][q].
    Accumulators s16-s31; the biases (then the head values) in s4-s7; the weights of step q in s0-s3
    (o = 0..3); z of step q in s8-s11 (even q) or s12-s15 (odd q), so that the next step's loads need not
    wait for this step's last VFMA. Scheduled in program order (the critical-path order is 4 % slower
    here: it puts all the loads first). dst may be x (in place)."""
    n = {k: f"%[{k}]" for k in ("x", "d", "z", "h", "w", "b")}
    lines = []

    def acc(f: int, o: int) -> str:
        return f"s{16 + f * 4 + o}"

    def zr(q: int, f: int) -> str:
        return f"s{(8 if q % 2 == 0 else 12) + f}"

    for f in range(4):
        for o in range(4):
            if f == 0:
                lines.append(f"vldr s{4 + o}, [{n['b']}, #{4 * o}]")
            lines += [f"vldr {acc(f, o)}, [{n['x']}, #{(f * 4 + o) * 4}]",
                      f"vadd.f32 {acc(f, o)}, {acc(f, o)}, s{4 + o}"]
            if f == 3:
                lines += [f"vldr {zr(0, o)}, [{n['z']}, #{o * 16}]", f"vldr s{o}, [{n['w']}, #{o * 16}]"]
    for q in range(4):
        if q:
            lines += [f"vldr {zr(q, f)}, [{n['z']}, #{(f * 4 + q) * 4}]" for f in range(4)]
        for o in range(4):
            if q:
                lines.append(f"vldr s{o}, [{n['w']}, #{(o * 4 + q) * 4}]")
            lines += [f"vfma.f32 {acc(f, o)}, s{o}, {zr(q, f)}" for f in range(4)]
            f = o  # the head of frame f, step q, beside the VFMAs of output o
            hq = f"[{n['h']}, #{(f * 4 + q) * 4}]"
            hv = f"s{4 + f}"
            lines += [f"vldr {hv}, {hq}", f"vadd.f32 {hv}, {hv}, {zr(q, f)}", f"vstr {hv}, {hq}"]
            if q == 3:
                lines += [f"vstr {acc(f, o)}, [{n['d']}, #{(f * 4 + o) * 4}]" for f in range(4)]
    lines += [f"add {n[k]}, {n[k]}, #64" for k in ("x", "d", "z", "h")]
    ALIAS.clear()
    ALIAS.update({n["x"]: {n["x"], n["d"]}, n["d"]: {n["d"], n["x"]}, n["z"]: {n["z"]}, n["h"]: {n["h"]},
                  n["w"]: {n["w"]}, n["b"]: {n["b"]}})
    out = schedule(lines, by_order=True)
    ALIAS.clear()
    return out


def main() -> int:
    kernels = {"conv4": conv4, "conv2_224": lambda: conv2(2, 2, 4), "conv2_444": lambda: conv2(4, 4, 4),
               "res4": res4,
               "conv2x4_224": lambda: conv2x4(2, 2, 4), "conv2x4_244": lambda: conv2x4(2, 4, 4),
               "conv2x4_444": lambda: conv2x4(4, 4, 4)}
    if len(sys.argv) != 2 or sys.argv[1] not in kernels:
        print(f"usage: m7_sched.py {'|'.join(kernels)}", file=sys.stderr)
        return 2
    print("\n".join(kernels[sys.argv[1]]()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
