"""Firmware ELF loading: checks (ARM, 32-bit, little-endian), loadable segments and function symbols."""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from pathlib import Path

from elftools.common.exceptions import ELFError
from elftools.elf.elffile import ELFFile

from m7amp.errors import M7Error


@dataclass(frozen=True)
class Segment:
    address: int  # load (physical) address: where the flash programmer puts it
    data: bytes
    mem_size: int


class Firmware:
    """A parsed firmware image: its load segments, entry point and symbol table."""

    def __init__(self, path: Path):
        self.path = Path(path)
        if not self.path.is_file():
            raise M7Error(f"firmware not found: {self.path}")
        try:
            with self.path.open("rb") as fh:
                elf = ELFFile(fh)
                if elf["e_machine"] != "EM_ARM" or elf.elfclass != 32 or not elf.little_endian:
                    raise M7Error(
                        f"{self.path.name} is not a 32-bit little-endian ARM ELF (machine {elf['e_machine']})"
                    )
                self.entry = int(elf["e_entry"])
                self.segments = [
                    Segment(int(s["p_paddr"]), s.data(), int(s["p_memsz"]))
                    for s in elf.iter_segments()
                    if s["p_type"] == "PT_LOAD" and s["p_filesz"] > 0
                ]
                # executable sections at their run (virtual) addresses, for instruction scans
                self.code_sections = [
                    (int(sec["sh_addr"]), sec.data())
                    for sec in elf.iter_sections()
                    if sec["sh_flags"] & 0x4 and sec["sh_type"] == "SHT_PROGBITS" and sec["sh_size"] > 0
                ]
                self.symbols: dict[str, int] = {}
                funcs: list[tuple[int, int, str]] = []
                symtab = elf.get_section_by_name(".symtab")
                for sym in symtab.iter_symbols() if symtab is not None else ():
                    if not sym.name or sym.name.startswith("$") or sym["st_shndx"] == "SHN_UNDEF":
                        continue
                    value = int(sym["st_value"])
                    kind = sym["st_info"]["type"]
                    if kind == "STT_FUNC":
                        value &= ~1  # Thumb bit
                        funcs.append((value, int(sym["st_size"]), sym.name))
                    if kind in ("STT_FUNC", "STT_OBJECT", "STT_NOTYPE"):
                        self.symbols.setdefault(sym.name, value)
        except ELFError as exc:
            raise M7Error(f"{self.path.name} is not a valid ELF file ({exc})") from None
        except OSError as exc:
            raise M7Error(f"cannot read {self.path}: {exc.strerror}") from None
        if not self.segments:
            raise M7Error(f"{self.path.name} has no loadable segments")
        funcs.sort()
        self._func_starts = [f[0] for f in funcs]
        self._funcs = funcs

    def function_at(self, address: int) -> str | None:
        """Name of the function containing ``address`` (nearest preceding symbol if sizes are 0)."""
        address &= ~1
        i = bisect.bisect_right(self._func_starts, address) - 1
        if i < 0:
            return None
        start, size, name = self._funcs[i]
        return name if size == 0 or address < start + size else None

    def describe(self, address: int) -> str:
        """``0x08000123 (main+0x12)`` style text for a code address."""
        name = self.function_at(address)
        if name is None:
            return f"0x{address:08x}"
        return f"0x{address:08x} ({name}+0x{(address & ~1) - self.symbols.get(name, address & ~1):x})"
