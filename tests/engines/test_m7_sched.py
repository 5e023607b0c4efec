"""tools/m7_sched.py prints the f32 engine's scheduled asm passes: each listing it prints is the one in
m7_wavenet_f32.c (so a change to the scheduler or to the listing shows up here), and each is a valid
reordering of the same instructions (the scheduler only reorders)."""

from __future__ import annotations

import importlib.util
import re

import pytest

from tests.engines._engine import ENGINE_DIR, REPO

SOURCE = ENGINE_DIR / "src" / "m7_wavenet_f32.c"
_spec = importlib.util.spec_from_file_location("m7_sched", REPO / "tools" / "m7_sched.py")
assert _spec and _spec.loader
m7_sched = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(m7_sched)
LISTINGS = {"res4": m7_sched.res4, "conv2x4_224": lambda: m7_sched.conv2x4(2, 2, 4),
            "conv2x4_244": lambda: m7_sched.conv2x4(2, 4, 4),
            "conv2x4_444": lambda: m7_sched.conv2x4(4, 4, 4)}


def asm_strings() -> list[str]:
    """Every asm string literal line of the source, in order ("vldr s0, [%[p0], #0]")."""
    return re.findall(r'"([^"\n]*)\\n"', SOURCE.read_text())


@pytest.mark.parametrize("name", sorted(LISTINGS))
def test_listing_is_in_the_source(name: str) -> None:
    listing = LISTINGS[name]()
    lines = asm_strings()
    starts = [i for i in range(len(lines)) if lines[i:i + len(listing)] == listing]
    assert len(starts) == 1, f"{name}: the scheduler's listing is not (once) in {SOURCE.name}"


@pytest.mark.parametrize("name", sorted(LISTINGS))
def test_listing_reorders_without_loss(name: str) -> None:
    """Scheduling keeps every instruction: the listing is a permutation of the program order."""
    captured: list[list[str]] = []
    original = m7_sched.schedule

    def keep(lines: list[str], by_order: bool = False) -> list[str]:
        captured.append(list(lines))
        return original(lines, by_order)

    m7_sched.schedule = keep
    try:
        listing = LISTINGS[name]()
    finally:
        m7_sched.schedule = original
    assert sorted(listing) == sorted(captured[0]) and listing != []
