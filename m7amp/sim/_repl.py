"""A parser for the subset of Renode's platform description format (``.repl``) that m7amp uses.

The board is described once, in ``renode/stm32f767.repl``; Renode loads it unchanged and the simulator
reads its memory map, peripheral addresses and IRQ lines through this module. Supported subset::

    // comment                       (also after a value)
    name: Type.Name @ sysbus 0x40004800
    name: Type.Name @ sysbus <0x40020C00, +0x400>
    name: Type.Name @ { sysbus 0x08000000; sysbus 0x00200000 }
    name: Type.Name @ sysbus         (registered without an address, e.g. the CPU)
        key: value                   (indented property: number, "string", true/false or a name)
        -> nvic@39                   (default IRQ line to a controller input)
        IRQ -> cpu@0                 (named IRQ line)
        3 -> nvic@59                 (numbered IRQ line, e.g. a DMA stream)

Anything else (``using``, ``init:`` blocks, multi-line strings) is rejected with the line number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from m7amp.errors import M7Error

DEFAULT_REPL = Path(__file__).resolve().parents[2] / "renode" / "stm32f767.repl"

_HEADER = re.compile(r"^(?P<name>[A-Za-z_]\w*)\s*:\s*(?P<type>[A-Za-z_][\w.]*)\s*@\s*(?P<where>.+)$")
_SYSBUS = re.compile(r"^sysbus(?:\s+(?P<addr>.+))?$")
_RANGE = re.compile(r"^<\s*(?P<start>\w+)\s*,\s*\+\s*(?P<size>\w+)\s*>$")
_PROP = re.compile(r"^(?P<key>[A-Za-z_]\w*)\s*:\s*(?P<value>.+)$")
_IRQ = re.compile(r"^(?:(?P<line>[A-Za-z_]\w*|\d+)\s+)?->\s*(?P<target>[A-Za-z_]\w*)\s*@\s*(?P<num>\w+)$")


@dataclass
class ReplEntry:
    """One peripheral or memory of the platform."""

    name: str
    type: str
    addresses: list[int]  # every sysbus registration (empty for the CPU)
    size: int | None = None  # from a ``<start, +size>`` range or a ``size:`` property
    properties: dict[str, object] = field(default_factory=dict)
    irqs: dict[str, tuple[str, int]] = field(default_factory=dict)  # line ("" = default) -> (target, n)
    line: int = 0

    @property
    def address(self) -> int | None:
        return self.addresses[0] if self.addresses else None

    @property
    def irq(self) -> int | None:
        """The NVIC input of the default IRQ line (unnamed, or named ``IRQ`` as Renode's models with more
        than one GPIO output need), if connected to the NVIC."""
        target = self.irqs.get("") or self.irqs.get("IRQ")
        return target[1] if target and target[0] == "nvic" else None


class ReplError(M7Error):
    """A .repl file outside the supported subset (message names file and line)."""


def _number(text: str, where: str) -> int:
    try:
        return int(text, 0)
    except ValueError:
        raise ReplError(f"{where}: expected a number, got {text!r}") from None


def _value(text: str, where: str) -> object:
    if text.startswith('"'):
        if len(text) < 2 or not text.endswith('"'):
            raise ReplError(f"{where}: unterminated string {text!r}")
        return text[1:-1]
    if text in ("true", "false"):
        return text == "true"
    if re.fullmatch(r"[+-]?(0x[0-9A-Fa-f]+|\d+)", text):
        return int(text, 0)
    if re.fullmatch(r"[+-]?\d+\.\d*", text):
        return float(text)
    if re.fullmatch(r"[A-Za-z_][\w.]*", text):
        return text  # a reference to another entry
    raise ReplError(f"{where}: unsupported value {text!r}")


def _strip_comment(line: str) -> str:
    out, quoted = [], False
    for i, ch in enumerate(line):
        if ch == '"':
            quoted = not quoted
        if not quoted and line.startswith("//", i):
            break
        out.append(ch)
    return "".join(out).rstrip()


def _registrations(text: str, where: str) -> tuple[list[int], int | None]:
    text = text.strip()
    parts = [p.strip() for p in text[1:-1].split(";") if p.strip()] if text.startswith("{") else [text]
    if text.startswith("{") and not text.endswith("}"):
        raise ReplError(f"{where}: unterminated registration list {text!r}")
    addresses: list[int] = []
    size = None
    for part in parts:
        m = _SYSBUS.match(part)
        if not m:
            raise ReplError(f"{where}: only 'sysbus' registrations are supported, got {part!r}")
        addr = m.group("addr")
        if addr is None:
            continue
        r = _RANGE.match(addr.strip())
        if r:
            addresses.append(_number(r.group("start"), where))
            size = _number(r.group("size"), where)
        else:
            addresses.append(_number(addr.strip(), where))
    return addresses, size


def parse_repl(text: str, filename: str = "<repl>") -> dict[str, ReplEntry]:
    """Parse .repl text into entries keyed by name (in file order); raise ReplError on anything else."""
    entries: dict[str, ReplEntry] = {}
    current: ReplEntry | None = None
    for lineno, raw in enumerate(text.splitlines(), 1):
        where = f"{filename}:{lineno}"
        line = _strip_comment(raw)
        if not line.strip():
            continue
        if "\t" in line[: len(line) - len(line.lstrip())]:
            raise ReplError(f"{where}: indent with spaces, not tabs")
        indented = line[0] == " "
        body = line.strip()
        if not indented:
            if body.startswith("using "):
                raise ReplError(
                    f"{where}: 'using' is not supported (the platform file must be self-contained)")
            m = _HEADER.match(body)
            if not m:
                raise ReplError(f"{where}: expected 'name: Type @ sysbus ADDRESS', got {body!r}")
            name = m.group("name")
            if name in entries:
                raise ReplError(f"{where}: '{name}' is defined twice")
            addresses, size = _registrations(m.group("where"), where)
            current = ReplEntry(name, m.group("type"), addresses, size, line=lineno)
            entries[name] = current
            continue
        if current is None:
            raise ReplError(f"{where}: indented line outside an entry")
        irq = _IRQ.match(body)
        if irq:
            current.irqs[irq.group("line") or ""] = (irq.group("target"), _number(irq.group("num"), where))
            continue
        prop = _PROP.match(body)
        if not prop:
            raise ReplError(f"{where}: expected 'key: value' or an IRQ connection, got {body!r}")
        key, value = prop.group("key"), prop.group("value").strip()
        if key == "init":
            raise ReplError(f"{where}: 'init' blocks are not supported")
        current.properties[key] = _value(value, where)
        if key == "size":
            if not isinstance(current.properties[key], int):
                raise ReplError(f"{where}: size must be a number")
            current.size = int(current.properties[key])  # type: ignore[arg-type]
    for entry in entries.values():
        for target, _ in entry.irqs.values():
            if target not in entries:
                raise ReplError(f"{filename}:{entry.line}: '{entry.name}' connects to unknown '{target}'")
    return entries


def load_repl(path: Path = DEFAULT_REPL) -> dict[str, ReplEntry]:
    """Read and parse a .repl file."""
    try:
        text = Path(path).read_text()
    except OSError as exc:
        raise ReplError(f"cannot read platform file {path}: {exc.strerror}") from None
    return parse_repl(text, str(path))
