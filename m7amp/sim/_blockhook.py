"""Build (once, cached by source hash) and drive the C block hook in ``_blockhook.c``.

The shared library is compiled with the host ``cc`` into ``$M7AMP_CACHE`` (default
``~/.cache/m7amp``) as ``blockhook-<sha1>.so`` and loaded with ctypes; its ``bh_hook`` address is
registered with unicorn's C API directly, so unicorn calls C, not Python, for every block.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

from unicorn import UC_HOOK_BLOCK, Uc, UcError
from unicorn.unicorn_py3.unicorn import uc_hook_h, uclib

from m7amp.errors import M7Error

_SOURCE = Path(__file__).with_name("_blockhook.c")

# int new_block(uint64_t address, uint32_t size, uint32_t *instructions, uint32_t *cycles,
#               uint32_t *acc_first, uint32_t *acc_count)
NEW_BLOCK_FN = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.c_uint64, ctypes.c_uint32, ctypes.POINTER(ctypes.c_uint32),
    ctypes.POINTER(ctypes.c_uint32), ctypes.POINTER(ctypes.c_uint32), ctypes.POINTER(ctypes.c_uint32),
)


class BhAccess(ctypes.Structure):
    """Mirror of ``bh_access``: one data access of a block (m7amp/sim/_dside.py)."""

    _fields_ = [
        ("reg", ctypes.c_uint8 * 2),
        ("shift", ctypes.c_uint8 * 2),
        ("disp", ctypes.c_int32),
        ("store", ctypes.c_uint8),
        ("pad", ctypes.c_uint8),
        ("nbytes", ctypes.c_uint16),
    ]

STOP_TIME, STOP_MASK, STOP_ERROR = 1, 2, 3


class BhState(ctypes.Structure):
    """Mirror of ``bh_state`` in _blockhook.c (keep in the same order)."""

    _fields_ = [
        ("cycles", ctypes.c_uint64),
        ("instructions", ctypes.c_uint64),
        ("stop_at", ctypes.c_uint64),
        ("last_block", ctypes.c_uint64),
        ("last_size", ctypes.c_uint64),
        ("stopped", ctypes.c_uint32),
        ("watch_mask", ctypes.c_uint32),
        ("mask_regs", ctypes.c_uint32 * 3),
        ("mask_values", ctypes.c_uint32 * 3),
        ("uc", ctypes.c_void_p),
        ("emu_stop", ctypes.c_void_p),
        ("reg_read", ctypes.c_void_p),
        ("new_block", NEW_BLOCK_FN),
        ("fetch_on", ctypes.c_uint32),
        ("icache_on", ctypes.c_uint32),
        ("art_on", ctypes.c_uint32),
        ("prefetch_on", ctypes.c_uint32),
        ("flash_ws", ctypes.c_uint32),
        ("axi_extra", ctypes.c_uint32),
        ("sram_wait", ctypes.c_uint32),
        ("last_line", ctypes.c_uint32),
        ("fetch_cycles", ctypes.c_uint64),
        ("icache_misses", ctypes.c_uint64),
        ("art_misses", ctypes.c_uint64),
        ("icache_tags", ctypes.c_uint32 * 512),
        ("icache_lru", ctypes.c_uint8 * 256),
        ("art_tags", ctypes.c_uint32 * 64),
        ("art_next", ctypes.c_uint32),
        ("dcache_on", ctypes.c_uint32),
        ("sram_read", ctypes.c_uint32),
        ("core_regs", ctypes.c_uint32 * 16),
        ("data_cycles", ctypes.c_uint64),
        ("dcache_misses", ctypes.c_uint64),
        ("data_accesses", ctypes.c_uint64),
        ("dcache_tags", ctypes.c_uint32 * 512),
        ("dcache_dirty", ctypes.c_uint8 * 512),
        ("dcache_age", ctypes.c_uint8 * 512),
        ("last_stall", ctypes.c_uint64),
        ("resume_count", ctypes.c_uint32),
        ("resume_addr", ctypes.c_uint32 * 8),
        ("table", ctypes.c_void_p),
        ("capacity", ctypes.c_uint64),
        ("used", ctypes.c_uint64),
        ("accesses", ctypes.c_void_p),
        ("acc_used", ctypes.c_uint64),
        ("acc_capacity", ctypes.c_uint64),
    ]


def cache_dir() -> Path:
    env = os.environ.get("M7AMP_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "m7amp"


_lib: ctypes.CDLL | None = None


def load_library() -> ctypes.CDLL:
    """Compile the hook if its cached build is missing, then load it (once per process)."""
    global _lib
    if _lib is not None:
        return _lib
    source = _SOURCE.read_bytes()
    digest = hashlib.sha1(source).hexdigest()[:16]
    target = cache_dir() / f"blockhook-{digest}.so"
    if not target.exists():
        cc = shutil.which("cc") or shutil.which("gcc")
        if cc is None:
            raise M7Error("the simulator needs a host C compiler (cc) to build its block hook")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
        except OSError:  # read-only home (some CI runners): build in the temp directory instead
            target = Path(tempfile.gettempdir()) / "m7amp-cache" / target.name
            target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
            out = Path(tmp) / target.name
            proc = subprocess.run(
                [cc, "-O2", "-std=c11", "-shared", "-fPIC", "-Wall", "-Wextra", "-Werror", "-o", str(out),
                 str(_SOURCE)],
                capture_output=True, text=True,
            )
            if proc.returncode != 0:
                raise M7Error(f"building the block hook failed: {proc.stderr.strip().splitlines()[-1:]}")
            os.replace(out, target)  # atomic: parallel processes never load a half-written file
    lib = ctypes.CDLL(str(target))
    lib.bh_init.argtypes = [ctypes.POINTER(BhState)]
    lib.bh_init.restype = ctypes.c_int
    lib.bh_free.argtypes = [ctypes.POINTER(BhState)]
    lib.bh_clear.argtypes = [ctypes.POINTER(BhState)]
    lib.bh_icache_invalidate.argtypes = [ctypes.POINTER(BhState)]
    lib.bh_art_invalidate.argtypes = [ctypes.POINTER(BhState)]
    lib.bh_dcache_invalidate.argtypes = [ctypes.POINTER(BhState)]
    lib.bh_cut.argtypes = [ctypes.POINTER(BhState), ctypes.c_uint32]
    lib.bh_dcache_op.argtypes = [ctypes.POINTER(BhState), ctypes.c_uint32, ctypes.c_uint32, ctypes.c_uint32]
    lib.bh_add_accesses.argtypes = [ctypes.POINTER(BhState), ctypes.POINTER(BhAccess), ctypes.c_uint32]
    lib.bh_add_accesses.restype = ctypes.c_int64
    lib.bh_used.argtypes = [ctypes.POINTER(BhState)]
    lib.bh_used.restype = ctypes.c_uint64
    u64p, u32p = ctypes.POINTER(ctypes.c_uint64), ctypes.POINTER(ctypes.c_uint32)
    lib.bh_entries.argtypes = [ctypes.POINTER(BhState), u64p, u32p, u32p, u64p, u64p, ctypes.c_uint64]
    lib.bh_entries.restype = ctypes.c_uint64
    _lib = lib
    return lib


class BlockHook:
    """The C block hook attached to one unicorn instance: counters, stop time and the block table."""

    def __init__(self, uc: Uc, cost: Callable[[int, int], tuple[int, int]], mask_regs: tuple[int, int, int],
                 accesses: Callable[[int, int], list] | None = None):
        """``cost(address, size)``: (instructions, cycles) of a new block; ``accesses(address, size)``: its
        data accesses (``_dside.Access``) for the D-cache model, or None for no data-side model."""
        self._lib = load_library()
        self.state = BhState()
        self.error: BaseException | None = None
        self._cost = cost
        self._accesses = accesses

        def new_block(address: int, size: int, insns: ctypes._Pointer, cycles: ctypes._Pointer,
                      acc_first: ctypes._Pointer, acc_count: ctypes._Pointer) -> int:
            try:
                n, c = self._cost(address, size)
                insns[0], cycles[0] = n, c
                acc_first[0] = acc_count[0] = 0
                found = self._accesses(address, size) if self._accesses is not None else []
                if found:
                    acc_first[0], acc_count[0] = self._add_accesses(found), len(found)
                return 0
            except BaseException as exc:  # reported by the run loop; never unwind through C
                self.error = exc
                return 1

        self._new_block = NEW_BLOCK_FN(new_block)  # keep a reference: C holds the pointer
        st = self.state
        st.uc = uc._uch.value
        st.emu_stop = ctypes.cast(uclib.uc_emu_stop, ctypes.c_void_p).value
        st.reg_read = ctypes.cast(uclib.uc_reg_read, ctypes.c_void_p).value
        st.new_block = self._new_block
        st.stop_at = 2**64 - 1
        for i, reg in enumerate(mask_regs):
            st.mask_regs[i] = reg
        if self._lib.bh_init(ctypes.byref(st)) != 0:
            raise MemoryError("block hook table")
        handle = uc_hook_h()
        fn = ctypes.cast(self._lib.bh_hook, ctypes.c_void_p)
        status = uclib.uc_hook_add(
            uc._uch, ctypes.byref(handle), UC_HOOK_BLOCK, fn, ctypes.cast(ctypes.byref(st), ctypes.c_void_p),
            ctypes.c_uint64(1), ctypes.c_uint64(0),
        )
        if status != 0:
            raise UcError(status)
        self.handle = handle.value

    def entries(self) -> list[tuple[int, int, int, int, int]]:
        """(address, instructions, cycles, executions, memory-model stall cycles over all executions) of
        every block seen."""
        n = self._lib.bh_used(ctypes.byref(self.state))
        addrs, counts, stalls = (ctypes.c_uint64 * n)(), (ctypes.c_uint64 * n)(), (ctypes.c_uint64 * n)()
        insns, cycles = (ctypes.c_uint32 * n)(), (ctypes.c_uint32 * n)()
        got = self._lib.bh_entries(ctypes.byref(self.state), addrs, insns, cycles, counts, stalls, n)
        return [(addrs[i], insns[i], cycles[i], counts[i], stalls[i]) for i in range(got)]

    def clear(self) -> None:
        self._lib.bh_clear(ctypes.byref(self.state))

    def invalidate_icache(self) -> None:
        self._lib.bh_icache_invalidate(ctypes.byref(self.state))

    def invalidate_art(self) -> None:
        self._lib.bh_art_invalidate(ctypes.byref(self.state))

    def cut(self, address: int) -> None:
        """A debugger stop cut the block executing now at ``address``: the block resuming there charges
        no memory waits (they were charged for the whole block at its entry)."""
        self._lib.bh_cut(ctypes.byref(self.state), address)

    def invalidate_dcache(self) -> None:
        self._lib.bh_dcache_invalidate(ctypes.byref(self.state))

    def dcache_op(self, op: int, by_set_way: bool, value: int) -> None:
        """D-cache maintenance: op 0 invalidate, 1 clean, 2 clean and invalidate."""
        self._lib.bh_dcache_op(ctypes.byref(self.state), op, int(by_set_way), value & 0xFFFFFFFF)

    def _add_accesses(self, found: list) -> int:
        records = (BhAccess * len(found))()
        for rec, acc in zip(records, found, strict=True):
            terms = list(acc.terms) + [(255, 0)] * (2 - len(acc.terms))
            rec.reg[0], rec.shift[0] = terms[0]
            rec.reg[1], rec.shift[1] = terms[1]
            rec.disp = ((acc.disp + 2**31) % 2**32) - 2**31
            rec.store, rec.nbytes = int(acc.store), min(acc.nbytes, 0xFFFF)
        first = self._lib.bh_add_accesses(ctypes.byref(self.state), records, len(found))
        if first < 0:
            raise MemoryError("block hook access table")
        return first

    def __del__(self) -> None:
        lib = getattr(self, "_lib", None)
        if lib is not None and getattr(self, "state", None) is not None:
            lib.bh_free(ctypes.byref(self.state))
