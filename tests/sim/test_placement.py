"""`m7amp bench placement`: what ITCM/DTCM are worth to the engine with the memory model."""

from __future__ import annotations

import pytest

from m7amp.bench import bench_placement_rows, format_placement_table
from m7amp.package import DEFAULT_PACKAGE
from tests._skips import requires_arm_gcc, requires_host_cc


def test_table_prints_the_flash_over_tcm_ratio() -> None:
    row = {"preset": "nano", "precision": "q15", "memory_off": 90.0}
    rows = [row | {"placement": "tcm", "memory_on": 100.0}, row | {"placement": "flash", "memory_on": 110.0}]
    table = format_placement_table(rows)
    ratio = next(line for line in table.splitlines() if " ratio " in line).split()
    assert ratio[-2:] == ["1.100", "1.000"]


@requires_arm_gcc
@requires_host_cc
def test_tcm_placement_is_faster_only_with_the_memory_model() -> None:
    # nano q15, 4 blocks: the flash build (kernels in flash, state and scratch in SRAM1) must be slower
    # with the memory model (D-cache misses on the state) and within code-alignment noise without it.
    tcm, flash = bench_placement_rows(DEFAULT_PACKAGE, ["q15"], 32, 4)
    assert (tcm["placement"], flash["placement"]) == ("tcm", "flash")
    assert tcm["engine_ram"] == "dtcm" and flash["engine_ram"] == "sram1"
    assert 1.01 < flash["memory_on"] / tcm["memory_on"] < 1.5
    assert flash["memory_off"] / tcm["memory_off"] == pytest.approx(1.0, abs=0.02)
