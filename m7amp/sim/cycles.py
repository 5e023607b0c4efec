"""Cortex-M7 cycle-cost model for the simulator: one cost per unicorn translation block.

Each block is decoded once with capstone, every instruction is put in a class (table ``CLASSES``), and the
block is scheduled on an in-order dual-issue pipeline with a register scoreboard: an instruction issues
when its operands are ready and, if possible, in the same cycle as the one before it.  The table, the
pairing rules and every simplification are documented, with sources, in docs/cycle-model.md; the tests in
tests/sim/test_cycles.py pin them.  The model never raises: undecodable bytes cost 1 cycle per halfword.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import capstone as _cs

# --- penalties at the end of a block (see docs/cycle-model.md, "Branches") -----------------------------
BRANCH_PENALTY = 0  # direct branch ending a block: predicted (BTAC); calibrated on CoreMark/Dhrystone (docs)
INDIRECT_PENALTY = 1  # BX/BLX reg, POP {pc}, LDR pc, TBB/TBH: target from a register, predicted less well
LOOP_PENALTY = 0  # a block that branches to its own start: the loop branch is predicted taken


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Execution-unit bits: one of each per cycle.  Loads have two units and are counted separately.
_SHIFT, _MAC, _FP, _STORE, _BRANCH = 1, 2, 4, 8, 16
_BASE = 0x1000  # address handed to capstone


@dataclass(frozen=True, slots=True)
class BlockCost:
    """Modelled cost of one translation block."""

    instructions: int
    cycles: int


@dataclass(frozen=True, slots=True)
class InsnClass:
    """Timing of one instruction class (all cycle counts are core clocks)."""

    name: str
    issue: int  # cycles the instruction occupies the issue stage (>1 means nothing issues alongside)
    latency: int  # cycles from issue until a dependent instruction can issue
    unit: int = 0  # execution-unit bits it needs in its issue cycle
    loads: int = 0  # load-unit uses in its issue cycle (two load units)
    single: bool = False  # issues alone (nothing pairs with it)
    slot0: bool = False  # may only be the older instruction of a dual-issued pair
    fp_busy: int = 0  # cycles the FP pipe stays busy (iterative / double-precision operations)
    acc_advance: int = 0  # the accumulator operand is read this many cycles after issue (MAC forwarding)
    data_advance: int = 0  # store data is read this many cycles after issue
    early_address: bool = False  # base/index registers are needed one cycle before issue (EX1 AGU)


# The table.  Sources per row are in docs/cycle-model.md.
CLASSES: dict[str, InsnClass] = {
    c.name: c
    for c in (
        InsnClass("alu", 1, 1),
        InsnClass("alu_shift", 1, 1, unit=_SHIFT),
        InsnClass("bitfield", 1, 1, unit=_SHIFT, slot0=True),
        InsnClass("simd", 1, 1, slot0=True),
        InsnClass("simd_sat", 1, 2, slot0=True),
        InsnClass("mul", 1, 2, unit=_MAC),
        InsnClass("mac", 1, 2, unit=_MAC, acc_advance=1),
        InsnClass("div", 7, 7, single=True),
        InsnClass("load", 1, 2, loads=1, early_address=True),
        InsnClass("load_narrow", 1, 3, loads=1, early_address=True),
        InsnClass("store", 1, 1, unit=_STORE, early_address=True, data_advance=1),
        InsnClass("load_dual", 1, 2, loads=2, single=True, early_address=True),
        InsnClass("store_dual", 1, 1, unit=_STORE, single=True, early_address=True, data_advance=1),
        InsnClass("load_multiple", 1, 2, loads=2, single=True, early_address=True),  # issue = ceil(n/2)
        InsnClass("store_multiple", 1, 1, unit=_STORE, single=True, early_address=True),  # issue = ceil(n/2)
        InsnClass("branch", 1, 1, unit=_BRANCH),
        InsnClass("branch_indirect", 1, 1, unit=_BRANCH),
        InsnClass("table_branch", 2, 1, loads=1, single=True, early_address=True),
        InsnClass("system", 1, 3, single=True),
        InsnClass("barrier", 4, 1, single=True),
        InsnClass("fp_alu", 1, 3, unit=_FP),
        InsnClass("fp_mul", 1, 3, unit=_FP),
        InsnClass("fp_cmp", 1, 1, unit=_FP),
        InsnClass("fp_mac", 1, 5, unit=_FP, acc_advance=2),
        InsnClass("fp_div", 1, 16, unit=_FP, fp_busy=5),
        InsnClass("fp64_alu", 1, 4, unit=_FP, slot0=True),
        InsnClass("fp64_mul", 1, 7, unit=_FP, slot0=True, fp_busy=3),
        InsnClass("fp64_mac", 1, 11, unit=_FP, slot0=True, fp_busy=4, acc_advance=3),
        InsnClass("fp64_div", 1, 30, unit=_FP, slot0=True, fp_busy=4),
        InsnClass("fp_mov", 1, 3),
        InsnClass("fp_mov2", 1, 3, single=True),
        InsnClass("fp_status", 1, 1, single=True),
        InsnClass("fp_load", 1, 2, loads=1, early_address=True),
        InsnClass("fp_load64", 1, 3, loads=2, single=True, early_address=True),
        InsnClass("fp_store", 1, 1, unit=_STORE, early_address=True, data_advance=2),
        InsnClass("fp_store64", 1, 1, unit=_STORE, single=True, early_address=True, data_advance=2),
        InsnClass("fp_load_multiple", 1, 2, loads=2, single=True, early_address=True),  # ceil(words/2)
        InsnClass("fp_store_multiple", 1, 1, unit=_STORE, single=True, early_address=True),
        InsnClass("other", 1, 1, single=True),
        InsnClass("undecodable", 1, 1, single=True),  # issue = number of halfwords
    )
}

# --- instruction name (mnemonic without condition, S and width suffixes) -> class ---------------------
_NAMES: dict[str, str] = {}
for _cls, _names in {
    "alu": "adc add addw adr and bic cmn cmp eor mov movt movw mvn neg nop orn orr rsb sbc sub subw teq tst"
    " it clz yield",
    "alu_shift": "asr lsl lsr ror rrx",
    "bitfield": "bfc bfi sbfx ubfx",
    "simd": "sxtb sxth uxtb uxth sxtb16 uxtb16 sxtab sxtah uxtab uxtah sxtab16 uxtab16 rev rev16 revsh rbit"
    " pkhbt pkhtb sel",
    "simd_sat": "ssat usat ssat16 usat16 usad8 usada8",
    "mul": "mul smull umull smulbb smulbt smultb smultt smulwb smulwt smuad smuadx smusd smusdx smmul smmulr",
    "mac": "mla mls smlabb smlabt smlatb smlatt smlawb smlawt smlad smladx smlsd smlsdx smlal umlal smlalbb"
    " smlalbt smlaltb smlaltt smlald smlaldx smlsld smlsldx smmla smmlar smmls smmlsr umaal",
    "div": "sdiv udiv",
    "load": "ldr ldrt ldrex pld pli",
    "load_narrow": "ldrb ldrh ldrsb ldrsh ldrbt ldrht ldrsbt ldrsht ldrexb ldrexh",
    "store": "str strb strh strt strbt strht strex strexb strexh",
    "load_dual": "ldrd",
    "store_dual": "strd",
    "load_multiple": "ldm ldmdb pop",
    "store_multiple": "stm stmdb push",
    "branch": "b bl cbz cbnz",
    "branch_indirect": "bx blx",
    "table_branch": "tbb tbh",
    "system": "mrs msr cps cpsid cpsie svc bkpt wfi wfe sev clrex udf hint",
    "barrier": "dmb dsb isb",
    "fp_mul": "vmul vnmul",
    "fp_alu": "vadd vsub vabs vneg vcvt vcvta vcvtn vcvtp vcvtm vcvtr vcvtb vcvtt vrinta vrintn"
    " vrintp vrintm vrintr vrintx vrintz vmaxnm vminnm vseleq vselge vselgt vselvs vmov",
    "fp_cmp": "vcmp vcmpe",
    "fp_mac": "vfma vfms vfnma vfnms vmla vmls vnmla vnmls",
    "fp_div": "vdiv vsqrt",
    "fp_status": "vmrs vmsr",
    "fp_load": "vldr",
    "fp_store": "vstr",
    "fp_load_multiple": "vldmia vldmdb vpop",
    "fp_store_multiple": "vstmia vstmdb vpush",
}.items():
    for _n in _names.split():
        _NAMES[_n] = _cls
_CONDITIONS = _words("eq ne cs hs cc lo mi pl vs vc hi ls ge lt gt le al")
_ALIASES = {
    "ldmia": "ldm",
    "ldmfd": "ldm",
    "stmia": "stm",
    "stmea": "stm",
    "stmfd": "stmdb",
    "ldmea": "ldmdb",
    "vldmfd": "vldmia",
    "vstmfd": "vstmdb",
}
_PARALLEL = re.compile(r"^(s|u|sh|uh)(add|sub|asx|sax)(8|16)$")
_PARALLEL_SAT = re.compile(r"^u?q(d)?(add|sub|asx|sax)(8|16)?$")
_DOUBLE = {
    "fp_alu": "fp64_alu",
    "fp_mul": "fp64_mul",
    "fp_mac": "fp64_mac",
    "fp_div": "fp64_div",
    "fp_load": "fp_load64",
    "fp_store": "fp_store64",
}

# --- register keys of the scoreboard ---------------------------------------------------------------------
_FLAGS, _FPFLAGS, _NKEYS = 16, 17, 18 + 32  # r0..r15 = 0..15, s0..s31 = 18..49 (d<n> = s<2n>, s<2n+1>)
_PC = 15


def _reg_keys(name: str) -> tuple[int, ...]:
    """Scoreboard keys for a capstone register name (no keys for registers the model ignores)."""
    if name in _CORE:
        return (_CORE[name],)
    if name[0] == "s" and name[1:].isdigit():
        return (18 + int(name[1:]),)
    if name[0] == "d" and name[1:].isdigit():
        n = int(name[1:])
        return (18 + 2 * n, 19 + 2 * n) if n < 16 else ()
    if name in ("cpsr", "apsr", "apsr_nzcv"):
        return (_FLAGS,)
    if name == "fpscr_nzcv":
        return (_FPFLAGS,)
    return ()


_CORE = {f"r{i}": i for i in range(13)} | {"sb": 9, "sl": 10, "fp": 11, "ip": 12, "sp": 13, "lr": 14}
_CORE["pc"] = 15


_MULTIPLE = {"load_multiple", "store_multiple", "fp_load_multiple", "fp_store_multiple"}
_STACK = {"push", "pop", "vpush", "vpop"}
_MAC64 = _words("smlal umlal smlald smlaldx smlsld smlsldx umaal smlalbb smlalbt smlaltb smlaltt")


@dataclass(frozen=True, slots=True)
class _Insn:
    """One decoded instruction, independent of its address (cached by its bytes and IT context)."""

    name: str  # condition- and suffix-free instruction name ("add" for "addseq.w")
    mnemonic: str  # as disassembled (with condition and width suffixes)
    size: int  # bytes
    cls: InsnClass
    issue: int  # issue cycles (class value, or per register count for multiple transfers)
    srcs: tuple[tuple[int, int], ...]  # (key, cycles the read may lag behind issue; -1 = needed early)
    dsts: tuple[tuple[int, int], ...]  # (key, cycles after issue the value is ready)
    branch: int  # 0 not a branch, 1 direct, 2 indirect (target from a register or memory)
    offset: int | None  # direct branch: target minus the instruction's address


def _undecodable(halfwords: int) -> _Insn:
    return _Insn("", "(undecodable)", 2 * halfwords, CLASSES["undecodable"], halfwords, (), (), 0, None)


class CycleModel:
    """Cortex-M7 block cost model: ``cost()`` once per new translation block; results are cached."""

    def __init__(self) -> None:
        # disasm_lite (mnemonic + operand text) instead of capstone's detail mode: the Python binding
        # spends ~50 us per instruction building detail objects; the operand text carries all we need.
        self._md = _cs.Cs(_cs.CS_ARCH_ARM, _cs.CS_MODE_THUMB | _cs.CS_MODE_MCLASS)
        self._insns: dict[tuple[bytes, bytes], _Insn | None] = {}
        self._blocks: dict[tuple[int, bytes], BlockCost] = {}

    def cost(self, address: int, code: bytes, following: bytes = b"") -> BlockCost:
        """Instructions and modelled cycles of the Thumb-2 block ``code`` starting at ``address``.

        ``following``: the bytes after the block. A block that does not end in a branch (unicorn splits
        straight-line code at 1 KB page boundaries) continues into them, so it is charged up to the issue
        of the next instruction in a schedule that runs on into the following code: stalls that the
        next block's first instruction waits for are counted, as if the block had not been split."""
        key = (address, bytes(code), bytes(following))
        hit = self._blocks.get(key)
        if hit is None:
            insns = self._decode(key[1])
            cycles = _block_cycles(insns)
            if insns and following and not insns[-1].branch and insns[-1].cls.name != "undecodable":
                cont = self._continuation(key[2])
                if cont:
                    times: list[int] = []
                    _Schedule().run(insns + cont, times)
                    cycles = max(0, times[len(insns)])
            hit = self._blocks[key] = BlockCost(len(insns), cycles)
        return hit

    def _continuation(self, following: bytes) -> list[_Insn]:
        """The instructions of ``following`` up to and including the first branch (at most 8)."""
        out = []
        for insn in self._decode(following):
            if insn.cls.name == "undecodable":
                break
            out.append(insn)
            if insn.branch or len(out) == 8:
                break
        return out

    def issue_cycles(self, address: int, code: bytes, following: bytes = b"") -> list[tuple[int, int]]:
        """(byte offset, cycles from the block's start until it issues) of each instruction, for DWT CYCCNT
        reads inside a block. Consistent with ``cost()``: every value is at most the block's cycles."""
        insns = self._decode(bytes(code))
        total = self.cost(address, code, following).cycles
        times = _issue_times(insns)
        out, offset = [], 0
        for insn, t in zip(insns, times, strict=True):
            out.append((offset, min(max(t, 0), total)))
            offset += insn.size
        return out

    def classify(self, address: int, code: bytes) -> list[tuple[str, str]]:
        """(mnemonic, class name) of each instruction in the block, for docs, tests and profiles."""
        return [(i.mnemonic, i.cls.name) for i in self._decode(bytes(code))]

    def _decode(self, code: bytes) -> list[_Insn]:
        """Split the block into instructions and describe each (cached per encoding and IT context)."""
        out: list[_Insn] = []
        pos, end = 0, len(code)
        context, it_left = b"", 0
        whole: dict[int, tuple[int, int, str, str]] | None = None  # one capstone pass, on the first miss
        while pos < end:
            if end - pos < 2:
                out.append(_undecodable(1))
                break
            size = 4 if (code[pos + 1] >> 3) in (0x1D, 0x1E, 0x1F) else 2  # 32-bit Thumb-2 prefixes
            if pos + size > end:
                out.append(_undecodable(1))
                break
            raw = code[pos : pos + size]
            ctx = context if it_left else b""
            insn = self._insns.get((raw, ctx), False)
            if insn is False:
                if whole is None:
                    whole = self._disassemble(code)
                found = whole.get(pos)
                if found is not None and found[1] == size:
                    insn = _describe_safely(*found, bool(ctx))
                else:
                    insn = self._decode_one(raw, ctx)
                self._insns[(raw, ctx)] = insn
            out.append(insn if insn is not None else _undecodable(size // 2))
            if it_left:
                it_left -= 1
                context += raw
            if insn is not None and insn.name == "it":
                context, it_left = raw, len(insn.mnemonic) - 1  # "itte" -> three instructions
            pos += size
        return out

    def _disassemble(self, code: bytes) -> dict[int, tuple[int, int, str, str]]:
        """Offset -> (address, size, mnemonic, operands) for the block, up to the first undecodable bytes.
        Any base address will do: only branch offsets are kept."""
        try:
            return {i[0] - _BASE: i for i in self._md.disasm_lite(code, _BASE)}
        except Exception:  # never let a decoder surprise stop the simulator
            return {}

    def _decode_one(self, raw: bytes, context: bytes) -> _Insn | None:
        """Decode one instruction after ``context``: its IT instruction and the IT-block instructions before
        it, so that conditions and flag setting inside IT blocks come out right."""
        found = list(self._disassemble(context + raw).values())
        if not found or sum(i[1] for i in found) != len(context) + len(raw):
            return None
        return _describe_safely(*found[-1], bool(context))


def _describe_safely(address: int, size: int, mnemonic: str, op_str: str, in_it: bool) -> _Insn | None:
    try:
        return _describe(mnemonic, op_str, size, address, in_it)
    except Exception:  # an operand text the parser does not expect: cost it as undecodable, never raise
        return None


def _block_cycles(insns: list[_Insn]) -> int:
    """Cycles of one block; a block that branches back to its own start is costed as a steady-state
    loop iteration (its loop-carried dependencies, e.g. an accumulator chain, are then counted)."""
    if not insns:
        return 0
    last = insns[-1]
    last_at = sum(i.size for i in insns) - last.size  # the last instruction's offset in the block
    if last.branch == 1 and last.offset is not None and last_at + last.offset == 0:
        state = _Schedule()
        first = state.run(insns)
        state.used = 2  # the taken branch ends the issue cycle
        return max(1, state.run(insns) - first + LOOP_PENALTY)
    cycles = _Schedule().run(insns)
    if last.branch:
        cycles += BRANCH_PENALTY if last.branch == 1 else INDIRECT_PENALTY
    return cycles


def _issue_times(insns: list[_Insn]) -> list[int]:
    """Issue cycle of each instruction in the schedule ``_block_cycles`` charges (for a one-block loop: the
    steady-state pass, counted from the end of the previous iteration)."""
    if not insns:
        return []
    state = _Schedule()
    times: list[int] = []
    last = insns[-1]
    last_at = sum(i.size for i in insns) - last.size
    if last.branch == 1 and last.offset is not None and last_at + last.offset == 0:
        first = state.run(insns)
        state.used = 2
        state.run(insns, times)
        return [t - first for t in times]
    state.run(insns, times)
    return times


class _Schedule:
    """In-order dual-issue scoreboard over one block (fresh state: nothing carries over between blocks)."""

    __slots__ = ("cur", "fp_free", "loads", "ready", "units", "used")

    def __init__(self) -> None:
        self.ready = [-8] * _NKEYS  # cycle from which each register can be read (long ago at block entry)
        self.cur = -1  # cycle of the latest issue
        self.used = 2  # instructions issued in that cycle (2 = full: the next one starts a new cycle)
        self.units = 0  # unit bits taken in that cycle
        self.loads = 0  # load units taken in that cycle
        self.fp_free = 0  # first cycle the FP pipe accepts a new operation

    def run(self, insns: list[_Insn], times: list[int] | None = None) -> int:
        """Schedule the instructions; return the cycle count so far (last issue cycle + 1). ``times``, if
        given, receives each instruction's issue cycle."""
        ready = self.ready
        for insn in insns:
            cls = insn.cls
            t = self.cur if self.used < 2 else self.cur + 1
            for key, lag in insn.srcs:
                r = ready[key] - lag
                if r > t:
                    t = r
            if cls.unit & _FP and self.fp_free > t:
                t = self.fp_free
            if t == self.cur and not (
                self.used == 1
                and not cls.single
                and not cls.slot0
                and insn.issue == 1
                and not (cls.unit & self.units)
                and self.loads + cls.loads <= 2
            ):
                t += 1  # cannot pair with the instruction issued in this cycle
            if t > self.cur:
                self.used, self.units, self.loads = 0, 0, 0
            if cls.single or insn.issue > 1:
                self.cur, self.used = t + insn.issue - 1, 2
            else:
                self.cur, self.used = t, self.used + 1
                self.units |= cls.unit
                self.loads += cls.loads
            if times is not None:
                times.append(t)
            if cls.fp_busy:
                self.fp_free = t + cls.fp_busy
            for key, lat in insn.dsts:
                ready[key] = t + lat
        return self.cur + 1


_SHIFTS = ("lsl", "lsr", "asr", "ror", "rrx")
_NO_DEST = _words("cmp cmn tst teq vcmp vcmpe cbz cbnz bx b msr vmsr pld pli")
_DEST_READ = {"movt", "bfi", "bfc"}  # the destination keeps some of its old bits
_MUL64 = {"smull", "umull"}
_RDN_FORMS = _words(
    "add adc sub sbc rsb and orr eor bic orn lsl lsr asr ror mul"
)  # have an "op Rdn, Rm" form


def _base_name(mnemonic: str) -> tuple[str, bool, bool]:
    """(condition-free instruction name, sets flags, conditional) from a UAL mnemonic such as ``addseq.w``."""
    word = mnemonic.split(".", 1)[0]
    if word.startswith("it") and all(c in "te" for c in word[2:]):
        return "it", False, False
    cond = word[-2:] in _CONDITIONS and len(word) > 2
    candidates = [(word, False, False)]
    if cond:
        candidates.append((word[:-2], False, True))
        if word[-3] == "s":
            candidates.append((word[:-3], True, True))
    candidates.append((word[:-1], word[-1] == "s", False))
    for name, flags, conditional in candidates:
        name = _ALIASES.get(name, name)
        if name in _NAMES or _PARALLEL.match(name) or _PARALLEL_SAT.match(name):
            return name, flags, conditional
    return word, False, False


def _split_operands(op_str: str) -> list[str]:
    """Top-level comma-separated operands (commas inside [..] and {..} kept)."""
    out, depth, start = [], 0, 0
    for i, ch in enumerate(op_str):
        if ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        elif ch == "," and depth == 0:
            out.append(op_str[start:i].strip())
            start = i + 1
    tail = op_str[start:].strip()
    if tail:
        out.append(tail)
    return out


_REG = re.compile(r"\b(r1[0-5]|r[0-9]|sb|sl|fp|ip|sp|lr|pc|s[0-9]+|d[0-9]+|apsr_nzcv)\b")


def _class_name(name: str, regs: list[str], double: bool, shifted: bool) -> str:
    """The table row for one instruction."""
    cls = _NAMES.get(name)
    if cls is None:
        if _PARALLEL.match(name):
            return "simd"
        return "simd_sat" if _PARALLEL_SAT.match(name) else "other"
    if cls == "alu" and shifted:
        return "alu_shift"  # data processing with a shifted register operand uses the shifter
    if name == "vmov":
        core = sum(1 for r in regs if r in _CORE)
        if core == 1:
            return "fp_mov"  # core <-> one S register
        if core == 2:
            return "fp_mov2"  # two core registers <-> a D register or two S registers
    if cls in _DOUBLE and double:
        return _DOUBLE[cls]
    return cls


def _describe(mnemonic: str, op_str: str, size: int, address: int, in_it: bool) -> _Insn:
    """Turn one disassembled instruction into the model's address-independent description."""
    name, sets_flags, conditional = _base_name(mnemonic)
    conditional = conditional or (in_it and name != "it")
    ops = _split_operands(op_str)
    regs: list[str] = []  # plain register operands, in order
    listed: list[str] = []  # register-list operands {..}
    address_regs: list[str] = []
    shifted: list[str] = []
    writeback = False
    imm: int | None = None
    for k, op in enumerate(ops):
        if op.startswith("["):
            address_regs += _REG.findall(op)
            writeback = writeback or op.endswith("!") or k + 1 < len(ops)  # pre-index "!" or post-index
        elif op.startswith("{"):
            listed += _REG.findall(op)
        elif op.startswith("#"):
            try:
                imm = int(op[1:], 0)
            except ValueError:
                imm = None
        elif op.split(" ", 1)[0] in _SHIFTS:
            if regs:
                shifted.append(regs[-1])  # the shifted operand goes through the EX1 shifter
            shifted += _REG.findall(op)
        else:
            found = _REG.findall(op)
            if op.endswith("!") and found:
                writeback = True
                address_regs.append(found[0])
            elif found:
                regs += found
            elif op in ("apsr_nzcv",):
                regs.append(op)
    double = ".f64" in mnemonic or any(r[0] == "d" and r[1:].isdigit() for r in regs + listed)
    cname = _class_name(name, regs + listed, double, bool(shifted))
    cls = CLASSES[cname]
    issue = cls.issue

    # Which registers are read and written, by instruction shape.
    ready_at: dict[str, int] = {}  # per-register result latency where it differs from the class latency
    acc: list[str] = []
    if cname in _MULTIPLE:
        base = "sp" if name in _STACK else (address_regs or regs or ["sp"])[0]  # "r0!" or plain "r0"
        address_regs = [base]
        writeback = writeback or name in _STACK
        words = 0
        for r in listed:
            ready_at[r] = cls.latency + words // 2  # two 32-bit words per cycle (64-bit data path)
            words += 2 if r[0] == "d" else 1
        issue = max(1, (words + 1) // 2)
        if cname.startswith("fp") and words == 1:  # one S register (GCC's `*p++`): costed as VLDR/VSTR
            cname = "fp_load" if "load" in cname else "fp_store"
            cls = CLASSES[cname]
        dests, reads = (listed, [base]) if "load" in cname else ([], [*listed, base])
    elif cls.loads or cls.unit & _STORE:  # single and dual loads/stores, table branches
        if "store" in cname and name.startswith("strex"):
            dests, reads = regs[:1], regs[1:] + address_regs
        elif "store" in cname:
            dests, reads = [], regs + address_regs
        else:
            dests, reads = regs, list(address_regs)
    elif name in _NO_DEST or (cname in ("barrier", "system") and name != "mrs"):
        dests, reads = [], regs + shifted
    elif name == "vmov" and cname == "fp_mov2":
        n = 2 if all(r in _CORE for r in regs[:2]) or len(regs) == 4 else 1
        dests, reads = regs[:n], regs[n:]
    elif name in _MUL64 or name in _MAC64:
        dests, reads = regs[:2], regs[2:] + (regs[:2] if name in _MAC64 else [])
        acc = regs[:2] if name in _MAC64 else []
    elif name in ("bl", "blx"):
        dests, reads = ["lr"], regs
    elif name == "vmrs":
        dests, reads = regs[:1], ["fpscr_nzcv"]  # APSR_nzcv (the flags) or a core register
    else:
        dests, reads = regs[:1], regs[1:] + shifted
        two_operand = sum(1 for o in ops if o.split(" ", 1)[0] not in _SHIFTS) == 2
        if name in _DEST_READ or cname in ("fp_mac", "fp64_mac") or (name in _RDN_FORMS and two_operand):
            reads += regs[:1]  # Rd is also an input (e.g. 16-bit "adds r0, #1", "bics r2, r3")
        if cname == "mac" and len(regs) == 4:
            acc = regs[3:]
        elif cname in ("fp_mac", "fp64_mac"):
            acc = regs[:1]  # Sd is also the accumulator input
    if writeback:
        for r in address_regs[:1]:
            if r not in dests:
                dests = [*dests, r]
                ready_at.setdefault(r, 1)  # base-register writeback is forwarded from the address stage

    srcs: dict[int, int] = {}
    for r in reads:
        if (r in address_regs and cls.early_address) or r in shifted:
            lag = -1  # address generation and the shifter are in EX1, a cycle before the ALUs
        elif r in acc:
            lag = cls.acc_advance  # the accumulator is read late (MAC forwarding)
        elif cls.data_advance and r not in address_regs:
            lag = cls.data_advance  # store data is read late
        else:
            lag = 0
        for key in _reg_keys(r):
            srcs[key] = min(srcs.get(key, lag), lag)
    if conditional or name in ("adc", "sbc", "rrx"):
        lag = 1 if cls.unit & _BRANCH else 0  # branches resolve late, so CMP + Bcc can pair
        srcs[_FLAGS] = min(srcs.get(_FLAGS, lag), lag)
    srcs.pop(_PC, None)

    dsts: dict[int, int] = {}
    for r in dests:
        lat = issue if cname == "div" else ready_at.get(r, cls.latency)
        for key in _reg_keys(r):
            dsts[key] = max(dsts.get(key, 0), lat)
    if sets_flags or name in ("cmp", "cmn", "tst", "teq"):
        dsts[_FLAGS] = min(cls.latency, 2)
    if name in ("vcmp", "vcmpe"):
        dsts[_FPFLAGS] = cls.latency
    writes_pc = _PC in dsts
    dsts.pop(_PC, None)

    branch, offset = 0, None
    if name in ("b", "bl", "cbz", "cbnz"):
        branch = 1
        offset = imm - address if imm is not None else None
    elif cname in ("branch_indirect", "table_branch") or writes_pc:
        branch = 2
    return _Insn(name, mnemonic, size, cls, issue, tuple(srcs.items()), tuple(dsts.items()), branch, offset)
