"""Flash/RAM report of a firmware ELF against the STM32F767's memories, and the refusal of a model that
does not fit.

The regions (name, address, size) come from the board description ``renode/stm32f767.repl``, the same
file the simulator reads, so the report cannot drift from the board. Each allocated section counts in
the region of its run address; an initialised section that runs from RAM (``.data``, ``.itcm``,
``.dtcm``) also counts in the region it is loaded from (flash). The engine's part is found by symbol:

- weights: the exported model's objects, ``<name>_<precision>`` (the descriptor) and ``<name>_<precision>_*``
  (its arrays), as written by ``m7amp export``;
- state and scratch: the engine app's buffers named ``engine_state`` and ``engine_scratch`` (the
  convention of the engine apps in firmware/app).

API: :func:`memory_report` (an ELF -> :class:`MemoryReport`), :func:`format_report`,
:func:`check_package_fits` (pre-check from a package's metadata before building) and
:func:`region_overflow_error` (a linker "region overflowed" message -> one clear line).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from m7amp.errors import M7Error

# The memories of renode/stm32f767.repl that firmware is linked into (the linker script's MEMORY names).
REGIONS = ("itcm", "flash", "dtcm", "sram1", "sram2")
RAM_REGIONS = ("dtcm", "sram1", "sram2")
_MODEL_ARRAY = re.compile(r"^(?P<model>\w+_(?:f32|q15))_op\d+_")
_ENGINE_BUFFERS = ("engine_state", "engine_scratch")
_OVERFLOW = re.compile(r"region [`'](?P<region>\w+)' overflowed by (?P<bytes>\d+) bytes")


@dataclass(frozen=True)
class Region:
    name: str
    start: int
    size: int
    aliases: tuple[int, ...] = ()  # other bus addresses of the same memory (flash's ITCM-bus alias)

    def holds(self, address: int) -> bool:
        return any(base <= address < base + self.size for base in (self.start, *self.aliases))


@dataclass
class RegionUse:
    region: Region
    used: int = 0
    sections: dict[str, int] = field(default_factory=dict)  # section name -> bytes in this region

    @property
    def free(self) -> int:
        return self.region.size - self.used


@dataclass
class MemoryReport:
    """What one ELF uses of each memory, and the engine's share (bytes)."""

    elf: Path
    regions: dict[str, RegionUse]
    model: str | None  # e.g. "nano_f32", None when the ELF holds no exported model
    weights: int  # bytes of the model's descriptor and arrays
    weights_region: str | None
    state: int
    state_region: str | None
    scratch: int
    scratch_region: str | None

    @property
    def flash_bytes(self) -> int:
        return self.regions["flash"].used

    @property
    def ram_bytes(self) -> int:
        """DTCM + SRAM1 + SRAM2 used (ITCM code copied from flash is not counted as RAM)."""
        return sum(self.regions[r].used for r in RAM_REGIONS)

    def as_dict(self) -> dict:
        return {
            "regions": {n: {"start": u.region.start, "size": u.region.size, "used": u.used}
                        for n, u in self.regions.items()},
            "model": self.model, "weights_bytes": self.weights, "weights_region": self.weights_region,
            "state_bytes": self.state, "state_region": self.state_region,
            "scratch_bytes": self.scratch, "scratch_region": self.scratch_region,
            "flash_bytes": self.flash_bytes, "ram_bytes": self.ram_bytes,
        }


def board_regions() -> dict[str, Region]:
    """The F767's memories from renode/stm32f767.repl (name -> Region)."""
    from m7amp.sim import load_repl

    entries = load_repl()
    regions = {}
    for name in REGIONS:
        entry = entries.get(name)
        if entry is None or entry.size is None or not entry.addresses:
            raise M7Error(f"renode/stm32f767.repl has no memory {name!r} with an address and a size")
        regions[name] = Region(name, entry.addresses[0], entry.size, tuple(entry.addresses[1:]))
    return regions


def _region_of(regions: dict[str, Region], address: int) -> str | None:
    return next((n for n, r in regions.items() if r.holds(address)), None)


def memory_report(elf: Path | str) -> MemoryReport:
    """Read an ELF's sections and symbols (pyelftools) into a :class:`MemoryReport`."""
    from elftools.elf.constants import SH_FLAGS
    from elftools.elf.elffile import ELFFile

    elf = Path(elf)
    if not elf.is_file():
        raise M7Error(f"{elf}: no such ELF")
    regions = board_regions()
    use = {n: RegionUse(r) for n, r in regions.items()}
    with open(elf, "rb") as f:
        ef = ELFFile(f)
        segments = [s for s in ef.iter_segments() if s["p_type"] == "PT_LOAD"]
        for sec in ef.iter_sections():
            if not sec["sh_flags"] & SH_FLAGS.SHF_ALLOC or sec["sh_size"] == 0:
                continue
            size, vma = sec["sh_size"], sec["sh_addr"]
            places = {_region_of(regions, vma)}
            if sec["sh_type"] != "SHT_NOBITS":  # also stored where it is loaded from
                for seg in segments:
                    if seg["p_vaddr"] <= vma < seg["p_vaddr"] + max(seg["p_memsz"], 1):
                        places.add(_region_of(regions, seg["p_paddr"] + vma - seg["p_vaddr"]))
                        break
            for place in places - {None}:
                use[place].used += size
                use[place].sections[sec.name] = size
        symtab = ef.get_section_by_name(".symtab")
        symbols = [(s.name, s["st_value"], s["st_size"]) for s in symtab.iter_symbols()
                   if s["st_info"]["type"] == "STT_OBJECT" and s["st_size"] > 0]

    model = next((m.group("model") for name, _, _ in symbols if (m := _MODEL_ARRAY.match(name))), None)
    weights = [(a, n) for name, a, n in symbols
               if model and (name == model or name.startswith(model + "_"))]
    buffers = {name: (a, n) for name, a, n in symbols if name in _ENGINE_BUFFERS}

    def where(items: list[tuple[int, int]]) -> str | None:
        names = sorted({_region_of(regions, a) or "?" for a, _ in items})
        return "+".join(names) if names else None

    state = buffers.get("engine_state")
    scratch = buffers.get("engine_scratch")
    return MemoryReport(
        elf, use, model, sum(n for _, n in weights), where(weights),
        state[1] if state else 0, where([state]) if state else None,
        scratch[1] if scratch else 0, where([scratch]) if scratch else None)


def format_report(report: MemoryReport) -> str:
    """The report as a small table (one line per region, then the engine's part)."""
    lines = [f"{'region':7s} {'start':>10s} {'size':>9s} {'used':>9s} {'free':>9s} {'use':>6s}"]
    for name, u in report.regions.items():
        lines.append(f"{name:7s} 0x{u.region.start:08x} {u.region.size:9d} {u.used:9d} {u.free:9d} "
                     f"{u.used / u.region.size:6.1%}")
    if report.model:
        lines.append(f"engine: model {report.model}: weights {report.weights} B in {report.weights_region}, "
                     f"state {report.state} B in {report.state_region}, "
                     f"scratch {report.scratch} B in {report.scratch_region}")
    return "\n".join(lines)


def check_package_fits(meta: dict, precision: str) -> None:
    """Refuse, before building, a model whose weights cannot fit in flash or whose state alone cannot fit
    in the largest RAM region (one clear M7Error line). What passes may still overflow at link time
    with the app's other buffers: :func:`region_overflow_error` reports that."""
    regions = board_regions()
    memory = meta.get("memory", {})
    name = meta.get("name", "?")
    weights = int(memory.get(f"weight_bytes_{precision}", 0))
    state = int(memory.get(f"state_bytes_{precision}", 0))
    what = f"model {name} ({precision})"
    flash = regions["flash"]
    if weights > flash.size:
        raise DoesNotFitError(f"{what}: weights", "FLASH", weights, flash.size)
    biggest = max((regions[r] for r in RAM_REGIONS), key=lambda r: r.size)
    if state > biggest.size:  # the state is one buffer: it must fit in one region
        raise DoesNotFitError(f"{what}: state", biggest.name.upper(), state, biggest.size)


class DoesNotFitError(M7Error):
    """A build that does not fit in one memory region: ``region``, ``need`` and ``size`` in bytes."""

    def __init__(self, what: str, region: str, need: int, size: int):
        self.region, self.need, self.size = region, need, size
        super().__init__(f"{what} does not fit: region {region} needs {need} bytes, has {size} "
                         f"(over by {need - size})")


def region_overflow_error(linker_output: str, what: str) -> DoesNotFitError | None:
    """The one-line error for the first linker "region `X' overflowed by N bytes" message, else None."""
    match = _OVERFLOW.search(linker_output)
    if match is None:
        return None
    region = match.group("region")
    over = int(match.group("bytes"))
    known = board_regions().get(region.lower())
    size = known.size if known else 0
    return DoesNotFitError(what, region, size + over, size)
