"""Print the scheduled asm of the q15 WaveNet's own 1x1 ops (rechannel, head) on the M7
(m7_1x1_small_q15.c, between the "generated" markers): one loop per shape and format.

y[i][o] = sat(round((b[o] + sum_c w[o][c]·x[i][c]) · 2^-shift)), the integers of m7_1x1_q15 (the sum fits
int32: export). An int32 input (HEAD) is first rounded and saturated to int16, sat16(round(v · 2^-x_shift)),
and packed in pairs for SMLAD. Both roundings are one SMMULR by m = 2^(32 - s):
(v·2^(32-s) + 2^31) >> 32 = floor(v/2^s + 1/2), the reference's round half up, for 2 <= s <= 31. A 1 -> C op
(rechannel of the audio) multiplies its one input by each weight (SMULBB/SMULBT on the weight pairs, kept in
registers). One frame's instructions are written in a correct order and list-scheduled greedily against
the simulator's cycle model (m7amp.sim.cycles: issue classes, latencies, pairing rules).

Each function takes one argument, a pointer to m7_1x1_asm_q15_t {x, y, y_end, w, b, mx, my, xs}: x the
first frame's input, y its output, y_end y after the last frame (the loop runs while y != y_end, frames are
`fpi` at a time), w [out][in] int16, b [out] int32 (only the bias variants read it), mx the input's
rounding multiplier (int32 input), my the output's, xs the input stride in bytes (1 -> C only; otherwise
the strides are the generator's constants, checked by the C caller).

    PYTHONPATH=. python3 tools/gen_1x1_asm_q15.py            # print the C text
    PYTHONPATH=. python3 tools/gen_1x1_asm_q15.py --cycles   # cycles per loop pass as the model costs it
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

from thumb_asm import asm_function, best_schedule, loop_cycles

NACC = 2  # accumulators in rotation (in > 1)
NREG = 0  # 1 -> C: weights held in registers (the rest loaded each frame)
ARGS = {"x": 0, "y": 4, "y_end": 8, "w": 12, "b": 16, "mx": 20, "my": 24, "xs": 28}  # offsets in the struct


@dataclass(frozen=True)
class Shape:
    """One generated loop: in -> out channels, int32 input/output, a bias, strides in elements."""

    i: int
    o: int
    x32: bool
    y32: bool
    bias: bool
    xs: int  # input frame stride (elements; 0: in a register, bytes, 1 -> C only)
    ys: int  # output frame stride (elements)
    fpi: int  # frames per loop pass

    @property
    def inplace(self) -> bool:
        """y == x (the caller checks): one pointer for both."""
        return self.i > 1 and self.x32 == self.y32 and self.xs == self.ys

    @property
    def name(self) -> str:
        io = ("x32" if self.x32 else "x16") + ("y32" if self.y32 else "y16")
        ip = "_ip" if self.inplace else f"_ys{self.ys}"
        return f"m7_1x1_{self.i}x{self.o}_{io}{'_b' if self.bias else ''}{ip}_q15"


def frame(s: Shape, f: int, t: list[str], X: list[str], W: list[str]) -> list[tuple[str, str]]:
    """One frame's instructions (frame f of the pass): temporaries t rotate, X holds the input pairs
    (x32/x16) or the input value (1 -> C), W the weight pairs (1 -> C)."""
    L: list[tuple[str, str]] = []
    k = [0, 0]
    na = NACC if s.i > 1 else 0  # accumulators rotate through t[:na], operands through the rest

    def tmp(acc: bool = False) -> str:
        pool = t[:na] if acc else t[na:]
        r = pool[k[acc] % len(pool)]
        k[acc] += 1
        return r

    y = "r0" if s.inplace else "r1"
    xe = 4 if s.x32 else 2
    ye = 4 if s.y32 else 2
    xoff = f * s.xs * xe
    yoff = f * s.ys * ye
    def store(a: str, base: str, o: int) -> None:  # output o of this frame: int32, or saturated to int16
        if s.y32:
            L.append((f"str {a}, [{base}, #{yoff + 4 * o}]", "y"))
        else:
            L.append((f"ssat {a}, #16, {a}", ""))
            L.append((f"strh {a}, [{base}, #{yoff + 2 * o}]", "y"))

    if s.i == 1:  # W holds w[o] << (16 - shift): SMMULR(x << 16, W[o]) = floor(x·w/2^shift + 1/2)
        xv = X[f]
        L.append((f"ldrh {xv}, [r0], #{2 * s.xs}", "x"))
        L.append((f"lsl {xv}, {xv}, #16", ""))
        for o in range(s.o):
            a = tmp()
            w = W[o]
            if w.startswith("["):
                L.append((f"ldr {a}, {w}", "w"))
                w = a
            L.append((f"smmulr {a}, {xv}, {w}", ""))
            store(a, "r1", o)
        return L
    for c in range(0, s.i, 2):
        xp = X[c // 2]
        if s.x32:
            hi = tmp()
            L.append((f"ldr {xp}, [r0, #{xoff + 4 * c}]", "x"))
            L.append((f"ldr {hi}, [r0, #{xoff + 4 * c + 4}]", "x"))
            L.append((f"smmulr {xp}, {xp}, r3", ""))
            L.append((f"smmulr {hi}, {hi}, r3", ""))
            L.append((f"ssat {xp}, #16, {xp}", ""))
            L.append((f"ssat {hi}, #16, {hi}", ""))
            L.append((f"pkhbt {xp}, {xp}, {hi}, lsl #16", ""))
        else:
            L.append((f"ldr {xp}, [r0, #{xoff + 2 * c}]", "x"))
    for o in range(s.o):
        a = tmp(True)
        for c in range(0, s.i, 2):
            w = tmp()
            L.append((f"ldr {w}, [r2, #{2 * (o * s.i + c)}]", "w"))
            if c == 0 and not s.bias:
                L.append((f"smuad {a}, {X[0]}, {w}", ""))
            else:
                if c == 0:
                    L.append((f"ldr {a}, [r5, #{4 * o}]", "b"))
                L.append((f"smlad {a}, {X[c // 2]}, {w}, {a}", ""))
        L.append((f"smmulr {a}, {a}, r4", ""))
        store(a, y, o)
    return L


def kernel(s: Shape) -> tuple[str, int]:
    """The asm function for shape s and its modelled cycles per loop pass."""
    # fixed: r0 x, r1 y, r2 w, r3 mx, r4 my, r5 b, r6 y_end; r8 xs (1 -> C)
    free = ["r7", "r8", "r9", "r10", "r11", "r12", "lr"]
    if not s.x32:
        free.insert(0, "r3")
    if not s.bias:
        free.insert(0, "r5")
    if s.inplace:
        free.insert(0, "r1")
    pro = ["push {r4-r11, lr}"]
    pro += [f"ldr r{r}, [r0, #{ARGS[a]}]" for r, a in ((1, "y"), (2, "w"), (4, "my"), (6, "y_end"))
            if not (r == 1 and s.inplace)]
    if s.x32:
        pro.append(f"ldr r3, [r0, #{ARGS['mx']}]")
    if s.bias:
        pro.append(f"ldr r5, [r0, #{ARGS['b']}]")
    if s.i == 1:  # no bias, no x32: r2 holds the argument block (W beyond the registers at +32)
        free = ["r3", "r4", "r5", "r7", "r8", "r9", "r10", "r11", "r12", "lr"]
        W = [free.pop(0) for _ in range(min(s.o, NREG))]
        W += [f"[r2, #{32 + 4 * g}]" for g in range(len(W), s.o)]
        pro = [*pro[:2], f"ldr r6, [r0, #{ARGS['y_end']}]", "mov r2, r0"]
        pro += [f"ldr {W[g]}, [r2, #{32 + 4 * g}]" for g in range(min(s.o, NREG))]
        X = [free.pop(0) for _ in range(s.fpi)]
    else:
        W = []
        X = [free.pop(0) for _ in range(s.i // 2)]
    pro.append(f"ldr r0, [r0, #{ARGS['x']}]")
    body: list[tuple[str, str]] = []
    for f in range(s.fpi):
        body += frame(s, f, free, X, W)
    if s.i != 1:
        body.append((f"add r0, r0, #{s.fpi * s.xs * (4 if s.x32 else 2)}", ""))
    if not s.inplace:
        body.append((f"add r1, r1, #{s.fpi * s.ys * (4 if s.y32 else 2)}", ""))
    body.append((f"cmp {'r0' if s.inplace else 'r1'}, r6", ""))
    lines = best_schedule(body)
    cyc = loop_cycles(lines)
    return asm_function(s.name, [*pro, "1:", *lines, "bne 1b", "pop {r4-r11, pc}"]), cyc


# the shapes the presets run (feather: rechannel 1 -> 8, head 8 -> 4 on HEAD, rechannel 8 -> 4 on X,
# head 4 -> 1
# on HEAD of stride 8; nano: 1 -> 4, 4 -> 2 on HEAD, 4 -> 2 on X, 2 -> 1 on HEAD of stride 4)
SHAPES = [
    Shape(1, 8, False, False, False, 1, 8, 1),
    Shape(8, 4, True, True, False, 8, 8, 1),
    Shape(8, 4, False, False, False, 8, 4, 1),
    Shape(4, 1, True, True, True, 8, 1, 1),
    Shape(1, 4, False, False, False, 1, 4, 1),
    Shape(4, 2, True, True, False, 4, 4, 1),
    Shape(4, 2, False, False, False, 4, 2, 1),
    Shape(2, 1, True, True, True, 4, 1, 1),
]


def main() -> None:
    """Print the C text (or, with --cycles, the modelled cycles of each loop pass)."""
    for s in SHAPES:
        text, cyc = kernel(s)
        if "--cycles" in sys.argv:
            print(f"{s.name}: {cyc} cycles per pass of {s.fpi} frame(s)")
        else:
            print(text, end="")  # each block then its prototype (tests/engines/test_layer_asm_q15.py)
            print(f"/* {s.name}: {cyc} cycles per pass of {s.fpi} frame(s) (cycle model) */")
            print(f"void {s.name}(const asm_args_t *a);")


if __name__ == "__main__":
    main()
