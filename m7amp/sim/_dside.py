"""Data-side accesses of a translation block, for the D-cache model in ``_blockhook.c``.

The simulator does not hook every load and store (a unicorn memory hook costs it 3–8× in speed, see
docs/cycle-model.md "Memory"). Instead each block is decoded once, when it is first costed, into the list
of its loads and stores with each address written as a sum of the block's ENTRY register values
(``base + index << shift + displacement``). The C hook reads those registers at every execution of the
block and so gets the addresses without running the block. Register changes inside the block are
followed symbolically: base writeback (``[r0], #4``, ``[r0, #4]!``, LDM/STM ``!``), ``mov``, ``add``/``sub``
of an immediate or of a register (with an optional left shift). An address that depends on anything
else (a loaded value, a multiply) is *untracked* and costed as a hit. Stack accesses (SP-based) are left
out: the stack is in DTCM by the firmware contract (zero wait, never cached). PC-relative literal loads
have a constant address.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from m7amp.sim.cycles import _base_name, _split_operands

# register index used by the C hook (its table of unicorn register ids follows this order)
REG_INDEX = {f"r{i}": i for i in range(13)} | {"sb": 9, "sl": 10, "fp": 11, "ip": 12, "sp": 13, "lr": 14}
SP = 13
NO_REG = 255

_LOADS = {"ldr", "ldrb", "ldrh", "ldrsb", "ldrsh", "ldrd", "ldrex", "ldrexb", "ldrexh", "ldrt", "ldrbt",
          "ldrht", "ldrsbt", "ldrsht", "vldr", "lda", "ldab", "ldah"}
_STORES = {"str", "strb", "strh", "strd", "strex", "strexb", "strexh", "strt", "strbt", "strht", "vstr",
           "stl", "stlb", "stlh"}
_SIZE = {"b": 1, "h": 2, "sb": 1, "sh": 2, "d": 8, "exb": 1, "exh": 2, "bt": 1, "ht": 2, "sbt": 1, "sht": 2,
         "ab": 1, "ah": 2, "lb": 1, "lh": 2}
_MULTI_LOAD = {"ldm", "ldmia", "ldmfd", "ldmdb", "ldmea", "pop", "vldmia", "vldmdb", "vldm", "vpop"}
_MULTI_STORE = {"stm", "stmia", "stmea", "stmdb", "stmfd", "push", "vstmia", "vstmdb", "vstm", "vpush"}
# instructions whose first operand is not a destination register
_NO_DEST = {"cmp", "cmn", "tst", "teq", "b", "bl", "bx", "blx", "cbz", "cbnz", "it", "nop", "dmb",
            "dsb", "isb", "msr", "vcmp", "vcmpe", "vmsr", "svc", "bkpt", "wfi", "wfe", "sev", "cpsid",
            "cpsie", "tbb", "tbh", "pld", "pli", "udf", "yield", "clrex"}
# instructions that write their first two operands
_TWO_DEST = {"umull", "smull", "umlal", "smlal", "smlald", "smlsld", "umaal", "smlalbb", "smlalbt", "smlaltb",
             "smlaltt", "ldrd", "ldrexd"}
_md = None  # the capstone disassembler, made on first use
_IMM = re.compile(r"#(-?(?:0x[0-9a-f]+|\d+))$")


class Access(NamedTuple):
    """One data access: address = Σ reg[r] << s over ``terms`` + ``disp``; no terms: a constant address."""

    terms: tuple[tuple[int, int], ...]  # (register index, left shift), at most two
    disp: int
    store: bool
    nbytes: int


Expr = tuple[tuple[tuple[int, int], ...], int] | None  # (terms, constant) or None: untracked


def _imm(text: str) -> int | None:
    m = _IMM.match(text.strip())
    return int(m[1], 0) if m else None


def _add(a: Expr, b: Expr, sign: int = 1) -> Expr:
    if a is None or b is None or (sign < 0 and b[0]):
        return None
    terms = a[0] + b[0]
    return (terms, a[1] + sign * b[1]) if len(terms) <= 2 else None


def _reg_list_size(text: str) -> int:
    """Bytes moved by a register list ``{r4, r5, lr}`` / ``{s0, s1}`` / ``{d8, d9}`` / ``{s0-s7}``."""
    total = 0
    for item in text.strip("{} ").split(","):
        item = item.strip()
        if "-" in item:
            lo, hi = item.split("-")
            n = int(hi.strip()[1:]) - int(lo.strip()[1:]) + 1
        else:
            n = 1
        total += n * (8 if item.startswith("d") else 4)
    return total


def data_accesses(code: bytes, address: int) -> tuple[list[Access], int]:
    """The tracked data accesses of the block at ``address`` and how many were untracked."""
    global _md
    if _md is None:
        import capstone as cs

        _md = cs.Cs(cs.CS_ARCH_ARM, cs.CS_MODE_THUMB | cs.CS_MODE_MCLASS)
    md = _md
    regs: dict[int, Expr] = {i: (((i, 0),), 0) for i in range(15)}
    out: list[Access] = []
    untracked = 0

    def value(name: str) -> Expr:
        i = REG_INDEX.get(name)
        return None if i is None else regs[i]

    def write(name: str, expr: Expr = None) -> None:
        i = REG_INDEX.get(name.rstrip("!"))
        if i is not None:
            regs[i] = expr

    def emit(expr: Expr, store: bool, nbytes: int) -> None:
        nonlocal untracked
        if expr is None:
            untracked += 1
        elif expr[0] and all(r == SP for r, _ in expr[0]):
            return  # the stack: DTCM
        else:
            out.append(Access(expr[0], expr[1], store, nbytes))

    try:
        for pc, _size, mnemonic, op_str in md.disasm_lite(code, address):
            name = _base_name(mnemonic)[0]
            ops = _split_operands(op_str)
            if name in _LOADS or name in _STORES:
                store = name in _STORES
                stem = name[3:] if not name.startswith("v") else ""
                nbytes = _SIZE.get(stem, 4)
                if name.startswith("v") and ops[0].startswith("d"):
                    nbytes = 8
                mem = next((k for k, o in enumerate(ops) if o.startswith("[")), None)
                if mem is None:
                    untracked += 1
                    continue
                inner = [p.strip() for p in ops[mem].strip("[]!").split(",")]
                base = inner[0]
                if base == "pc":
                    disp = _imm(inner[1]) if len(inner) > 1 else 0
                    emit(((), ((pc + 4) & ~3) + (disp or 0)), store, nbytes)
                else:
                    expr = value(base)
                    if len(inner) > 1:
                        imm = _imm(inner[1])
                        if imm is not None:
                            expr = _add(expr, ((), imm))
                        else:
                            shift = 0
                            if len(inner) > 2 and inner[2].startswith("lsl"):
                                shift = _imm(inner[2].split()[-1]) or 0
                            idx = value(inner[1])
                            if idx is not None and len(idx[0]) == 1 and idx[1] == 0:
                                idx = (((idx[0][0][0], idx[0][0][1] + shift),), 0)
                            elif idx is not None and shift:
                                idx = None
                            expr = _add(expr, idx)
                    emit(expr, store, nbytes)
                    # writeback: pre-index "!" or post-index ", #imm"
                    if ops[mem].endswith("!"):
                        write(base, expr)
                    elif mem + 1 < len(ops):
                        post = _imm(ops[mem + 1])
                        write(base, _add(value(base), ((), post)) if post is not None else None)
                if not store:
                    write(ops[0])
                    if name in _TWO_DEST:
                        write(ops[1])
                continue
            if name in _MULTI_LOAD or name in _MULTI_STORE:
                store = name in _MULTI_STORE
                if name in ("push", "pop", "vpush", "vpop"):
                    base, wb, reglist = "sp", True, ops[0]
                else:
                    base, wb, reglist = ops[0].rstrip("!"), ops[0].endswith("!"), ops[1]
                nbytes = _reg_list_size(reglist)
                down = name.endswith("db") or name.endswith("ea") or name in ("push", "vpush")
                start = _add(value(base), ((), -nbytes if down else 0))
                emit(start, store, nbytes)
                if wb:
                    write(base, _add(value(base), ((), -nbytes if down else nbytes)))
                if not store:
                    for item in reglist.strip("{} ").split(","):
                        write(item.strip())
                continue
            if name in _NO_DEST or not ops:
                continue
            dest = ops[0]
            if name == "mov" and len(ops) == 2:
                imm = _imm(ops[1])
                write(dest, ((), imm) if imm is not None else value(ops[1]))
            elif name in ("add", "sub") and len(ops) in (2, 3):
                a, b = (ops[0], ops[1]) if len(ops) == 2 else (ops[1], ops[2])
                imm = _imm(b)
                sign = -1 if name == "sub" else 1
                if imm is not None:
                    write(dest, _add(value(a), ((), sign * imm)))
                else:
                    write(dest, _add(value(a), value(b), sign))
            elif name == "add" and len(ops) == 4 and ops[3].startswith("lsl"):
                idx, shift = value(ops[2]), _imm(ops[3].split()[-1]) or 0
                if idx is not None and len(idx[0]) == 1 and idx[1] == 0:
                    write(dest, _add(value(ops[1]), (((idx[0][0][0], idx[0][0][1] + shift),), 0)))
                else:
                    write(dest)
            else:
                write(dest)
                if name in _TWO_DEST and len(ops) > 1:
                    write(ops[1])
    except Exception:  # an odd encoding: keep what was found (a missed access only costs as a hit)
        pass
    return out, untracked
