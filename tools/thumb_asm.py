"""Pieces shared by the q15 asm generators (tools/gen_conv3_asm_q15.py, gen_layer_asm_q15.py,
gen_res_asm_q15.py), which import it from their own folder: the top-level asm block of an AAPCS function,
the start of the table tanh of four accumulators that every tanh pass begins with, and a greedy list scheduler
of one loop pass against the simulator's cycle model (m7amp.sim.cycles: run with the repository on
PYTHONPATH to use it)."""

from __future__ import annotations

import copy
import random
import re


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


def _insn(line: str):
    from m7amp.sim.cycles import _describe

    op, _, rest = line.partition(" ")
    return _describe(op, rest, 4, 0, False)


_MEM = re.compile(r"\[(\w+)(?:, #(-?\d+))?\]")
_SIZE = {"ldrd": 8, "strd": 8, "ldrh": 2, "ldrsh": 2, "strh": 2, "ldrb": 1, "strb": 1}


def _overlap(a: tuple[str, str], b: tuple[str, str]) -> bool:
    """Whether two tagged memory accesses may touch the same bytes: the same tag (or "x" and "y", an
    in-place op's input and output) through different base registers always may; through the same base
    register, when their [base, #offset] byte ranges overlap."""
    (la, ta), (lb, tb) = a, b
    if not ta or not tb or not (ta == tb or {ta, tb} == {"x", "y"}):
        return False
    ma, mb = _MEM.search(la), _MEM.search(lb)
    if not ma or not mb or ma.group(1) != mb.group(1) or "], #" in la or "], #" in lb:
        return True
    oa, ob = int(ma.group(2) or 0), int(mb.group(2) or 0)
    sa, sb = _SIZE.get(la.split()[0], 4), _SIZE.get(lb.split()[0], 4)
    return oa < ob + sb and ob < oa + sa


def _deps(body: list[tuple[str, str]], ins: list, store_order: bool = False) -> list[set[int]]:
    """Each instruction's predecessors in `body` (a correct order): register RAW, WAR and WAW, and stores
    against possibly overlapping accesses (_overlap); store_order: stores also keep their order."""
    n = len(ins)
    preds: list[set[int]] = [set() for _ in range(n)]
    for i in range(n):
        ri = {k for k, _ in ins[i].srcs}
        wi = {k for k, _ in ins[i].dsts}
        for j in range(i):
            rj = {k for k, _ in ins[j].srcs}
            wj = {k for k, _ in ins[j].dsts}
            if wj & ri or rj & wi or wj & wi:
                preds[i].add(j)
            if ("store" in ins[i].cls.name or "store" in ins[j].cls.name) and _overlap(body[j], body[i]):
                preds[i].add(j)
            if store_order and "store" in ins[i].cls.name and "store" in ins[j].cls.name:
                preds[i].add(j)
    return preds


def schedule(body: list[tuple[str, str]], by_order: bool = False, store_order: bool = False,
             seed: int = 0) -> list[str]:
    """Greedy list schedule of one loop pass: (line, memory tag) in a correct order; tags that may alias
    ("x" and "y", in-place ops) keep their load/store order. Each step issues, of the instructions whose
    predecessors are placed, the one the model can issue first (ties: longest path to the end, then order;
    seed > 0 adds a deterministic random term of up to 3 cycles to each path length)."""
    ins = [_insn(line) for line, _ in body]
    n = len(ins)
    preds = _deps(body, ins, store_order)
    lat: list[int] = [max([d for _, d in x.dsts] + [1]) for x in ins]
    prio = [0] * n
    for i in range(n - 1, -1, -1):
        prio[i] = lat[i] + max([prio[k] for k in range(i + 1, n) if i in preds[k]] + [0])
    if seed:
        rnd = random.Random(seed)
        prio = [p + 3 * rnd.random() for p in prio]
    from m7amp.sim.cycles import _Schedule

    state = _Schedule()
    done: set[int] = set()
    out: list[str] = []
    while len(done) < n:
        best = None
        for i in range(n):
            if i in done or not preds[i] <= done:
                continue
            trial = copy.copy(state)
            trial.ready = list(state.ready)
            times: list[int] = []
            trial.run([ins[i]], times)
            key = (times[0], i, 0) if by_order else (times[0], -prio[i], i)
            if best is None or key < best[0]:
                best = (key, i)
        i = best[1]
        state.run([ins[i]])
        done.add(i)
        out.append(body[i][0])
    return out


def tag_by_base(lines: list[str], tags: dict[str, str]) -> list[tuple[str, str]]:
    """``(line, tag)`` for the scheduler: a memory access is tagged by its base register (``tags``; untagged
    accesses keep their order against the stores), other lines get ""."""
    return [(ln, tags.get(m.group(1), "") if (m := re.search(r"\[(\w+)", ln)) else "") for ln in lines]


def best_schedule(body: list[tuple[str, str]], seeds: int = 24) -> list[str]:
    """The fastest loop (the first found, in a fixed order) of the greedy schedules: tie-break by path length
    or by order, stores free or kept in order, and `seeds` randomised path lengths."""
    tries = [schedule(body, o, k) for o in (False, True) for k in (False, True)]
    tries += [schedule(body, False, k, seed) for seed in range(1, seeds + 1) for k in (False, True)]
    return min(tries, key=loop_cycles)


def loop_cycles(lines: list[str]) -> int:
    """Cycles of one steady-state pass of the loop `lines` (+ the branch), as the model costs a self-loop."""
    from m7amp.sim.cycles import _Schedule

    ins = [_insn(line) for line in lines] + [_insn("bne 1b")]
    state = _Schedule()
    first = state.run(ins)
    state.used = 2
    return state.run(ins) - first


def improved_schedule(body: list[tuple[str, str]], seeds: int = 24, moves: int = 4000,
                      seed: int = 1) -> list[str]:
    """best_schedule, then a local search on the loop's cycles (as loop_cycles): a deterministic random walk
    that moves one instruction to another place between its predecessors and successors (_deps of `body`'s
    order) and keeps the move unless the pass gets slower; returns the fastest order seen."""
    from m7amp.sim.cycles import _Schedule

    ins = [_insn(line) for line, _ in body]
    branch = _insn("bne 1b")
    preds = _deps(body, ins)
    succs: list[set[int]] = [set() for _ in body]
    for i, ps in enumerate(preds):
        for j in ps:
            succs[j].add(i)
    # the greedy schedule as body indices (equal lines keep their order: they depend on each other)
    where: dict[str, list[int]] = {}
    for k, (line, _) in enumerate(body):
        where.setdefault(line, []).append(k)
    order = [where[line].pop(0) for line in best_schedule(body, seeds)]

    def cycles(o: list[int]) -> int:
        seq = [ins[k] for k in o] + [branch]
        state = _Schedule()
        first = state.run(seq)
        state.used = 2
        return state.run(seq) - first

    rnd = random.Random(seed)
    best = cur = cycles(order)
    best_order = list(order)
    n = len(order)
    for _ in range(moves):
        k = order[rnd.randrange(n)]
        rest = [x for x in order if x != k]
        pos = {x: q for q, x in enumerate(rest)}
        lo = max([pos[j] + 1 for j in preds[k]] + [0])
        hi = min([pos[j] for j in succs[k]] + [n - 1])
        if hi <= lo:
            continue
        trial = list(rest)
        trial.insert(rnd.randint(lo, hi), k)
        c = cycles(trial)
        if c <= cur:
            order, cur = trial, c
            if c < best:
                best, best_order = c, list(trial)
    return [body[k][0] for k in best_order]
