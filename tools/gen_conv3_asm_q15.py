"""Print the hand-scheduled step loops of the q15 kernel-3 conv (conv3_steps_c4 / _c8 in
firmware/engines/cmsis/src/m7_conv3_q15.c): per channel pair and tap one SMLAD beside one load every
cycle, the four operands rotating through four registers. The C file holds the output (with the M7_ARG
parameter markers); rerun this after changing the scheme and paste the functions over the old ones.

    python3 tools/gen_conv3_asm_q15.py
"""

from __future__ import annotations

import re

from thumb_asm import asm_function, best_schedule


def steps(C: int, store: bool = False) -> list[str]:
    """The asm of m7_conv3_steps_c4_q15 (C = 4), m7_conv3_run_c8_q15 (C = 8) or, C = 8 with store,
    m7_conv3_run_c8s_q15: as the latter, and the last output pair's pass also stores each frame's tap-2
    input pairs (the frame x[i]) over its tap-0 frame once it has been read (the ring update when every
    tap 0 of the run reads the ring)."""
    fs = 2 * C          # frame stride in bytes (int16)
    wo1 = 6 * C         # output o+1's weights: 3C int16 further
    ys = 4 * C          # frame stride of y (C int32)
    groups = [(j, c) for j in range(3) for c in range(0, C, 2)]
    P = ["r2", "r3", "r4"]
    L = []
    def ins(s: str) -> None:
        L.append(s)
    def addr_u(g: int, f: int) -> str:
        j, c = groups[g]
        return f"[{P[j]}, #{2 * c + f * fs}]"
    def addr_v(g: int, o: int) -> str:
        j, c = groups[g]
        return f"[r5, #{2 * (j * C + c) + o * wo1}]"
    # C = 8: the pointer adds issue beside the last group's SMLADs (which have no load beside them), so
    # the epilogue is the two STRDs (single-issue) and CMP + BNE; C = 4 keeps its first schedule
    early = C == 8
    def body(label: str, st: bool) -> None:
        start = len(L) + 1
        body_(label, st)
        if early:  # list-scheduled on the cycle model (issue 13, q15-feather3: 56 -> 55, store 61 -> 59);
            # the taps' loads and stores keep their order (tag "p": the ring and x may alias)
            def tag(ln: str) -> str:
                m = re.search(r"\[(\w+)", ln)
                return "" if not m else "p" if m.group(1) in P else {"r0": "y", "r5": "w"}.get(m.group(1), "")
            L[start:-1] = best_schedule([(ln, tag(ln)) for ln in L[start:-1]])
    def body_(label: str, st: bool) -> None:
        # registers: r0 y, r1 end, r2-r4 taps, r5 w, r6 a00 r7 a01 r8 a10 r9 a11, temps r10 r11 r12 lr
        U0, V0, U1, V1 = "r10", "r11", "r12", "lr"
        ins(f"{label}:")
        ins(f"ldr {U0}, {addr_u(0, 0)}")
        ins(f"ldr {V0}, {addr_v(0, 0)}")
        ins("ldrd r6, r7, [r0]")
        ins(f"ldr {U1}, {addr_u(0, 1)}")
        ins(f"ldrd r8, r9, [r0, #{ys}]")
        n = len(groups)
        for g in range(n):
            last = g == n - 1
            # the tap-2 pair of frame f over the tap-0 frame (r2 already advanced in the last group)
            def put(reg: str, f: int, g: int = g, last: bool = last) -> None:
                if st and groups[g][0] == 2:
                    ins(f"str {reg}, [r2, #{2 * groups[g][1] + f * fs - (2 * fs if last and early else 0)}]")
            ins(f"smlad r6, {U0}, {V0}, r6")
            ins(f"ldr {V1}, {addr_v(g, 1)}")
            ins(f"smlad r8, {U1}, {V0}, r8")
            if not last:
                ins(f"ldr {V0}, {addr_u(g + 1, 0)}")      # next u0 into V0's register
            elif early:
                ins(f"add r2, r2, #{2 * fs}")
            ins(f"smlad r7, {U0}, {V1}, r7")
            put(U0, 0)
            if not last:
                ins(f"ldr {U0}, {addr_v(g + 1, 0)}")      # next v0 into U0's register
            elif early:
                ins(f"add r3, r3, #{2 * fs}")
            ins(f"smlad r9, {U1}, {V1}, r9")
            put(U1, 1)
            if not last:
                ins(f"ldr {U1}, {addr_u(g + 1, 1)}")
                U0, V0 = V0, U0
            elif early:
                ins(f"add r4, r4, #{2 * fs}")
        if early:  # r1 = end - one step (set at entry): compare before the add, so CMP and ADD pair
            ins("strd r6, r7, [r0]")
            ins(f"strd r8, r9, [r0, #{ys}]")
            ins("cmp r0, r1")
            ins(f"add r0, r0, #{2 * ys}")
        else:
            ins(f"add r2, r2, #{2 * fs}")
            ins(f"add r3, r3, #{2 * fs}")
            ins("strd r6, r7, [r0]")
            ins(f"add r4, r4, #{2 * fs}")
            ins(f"strd r8, r9, [r0, #{ys}]")
            ins(f"add r0, r0, #{2 * ys}")
        if not early:
            ins("cmp r0, r1")
        ins(f"bne {label}b")
    ins("push {r4-r11, lr}")
    ins("ldr r4, [sp, #36]")
    ins("ldr r5, [sp, #40]")
    if early:  # C = 8: every output pair of the run in one call; y, end - 1 step, p0-p2, w end on the stack
        ins(f"sub r1, r1, #{2 * ys}")
        # the loop over output pairs ends at the last pair (store: its pass is the second loop) or after it
        ins(f"add r6, r5, #{(C // 2 - (1 if store else 0)) * 2 * wo1}")
        ins("push {r0-r4, r6}")
    body("1", False)
    if early:  # the next output pair: y and end 2 outputs on, the taps back at the run's start
        ins("ldrd r0, r1, [sp]")
        ins(f"add r5, r5, #{2 * wo1}")
        ins("ldrd r2, r3, [sp, #8]")
        ins("add r0, r0, #8")
        ins("add r1, r1, #8")
        ins("ldrd r4, r6, [sp, #16]")
        ins("strd r0, r1, [sp]")
        ins("cmp r5, r6")
        ins("bne 1b")
        if store:
            body("2", True)
        ins("add sp, sp, #24")
    ins("pop {r4-r11, pc}")
    # every step reloads group 0 into r10-r12 at its start: the roles swapped inside a step do not carry
    return L


def function(C: int, store: bool = False) -> str:
    """The top-level asm block defining m7_conv3_steps_c4_q15 / m7_conv3_run_c8_q15 / m7_conv3_run_c8s_q15."""
    name = f"m7_conv3_steps_c{C}_q15" if C == 4 else f"m7_conv3_run_c{C}{'s' if store else ''}_q15"
    return asm_function(name, steps(C, store))


if __name__ == "__main__":
    print(function(4) + function(8) + function(8, store=True), end="")
