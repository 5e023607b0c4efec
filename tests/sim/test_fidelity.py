"""`m7amp bench fidelity`: the calibration workloads run, are measured by DWT CYCCNT inside the simulated
program, and the table reports ratios and errors; third-party programs skip with a reason when absent."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from m7amp.errors import M7Error
from m7amp.sim import fidelity
from tests._skips import requires_arm_gcc


@requires_arm_gcc
def test_micro_workloads_measure_cycles_per_copy(build_dir: Path) -> None:
    micro = fidelity.run_micro(build_dir)
    names = {w.name for w in fidelity.WORKLOADS if w.kind == "micro"}
    assert set(micro) == names
    # The 4/14-copy difference removes call and timing overhead: the chain costs its latency per copy,
    # and the one-cycle-per-instruction model gives exactly the instruction count.
    assert micro["alu_chain"] == 2.0
    assert micro["fma_chain"] == 3.0
    assert micro["alu_pairs"] == 1.0
    unit = fidelity.run_micro(build_dir, cycle_model=False)
    assert unit["fma_chain"] == 1.0 and unit["alu_pairs"] == 2.0 and unit["fma_independent"] == 4.0


def test_programs_skip_with_the_reason(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(fidelity.COREMARK_ENV, raising=False)
    path, why = fidelity._third_party(None, fidelity.COREMARK_ENV, fidelity.COREMARK_FILES)
    assert path is None and fidelity.COREMARK_ENV in why
    path, why = fidelity._third_party(tmp_path, fidelity.COREMARK_ENV, fidelity.COREMARK_FILES)
    assert path is None and "core_main.c" in why
    for f in fidelity.COREMARK_FILES:
        (tmp_path / f).write_text("")
    monkeypatch.setenv(fidelity.COREMARK_ENV, str(tmp_path))
    assert fidelity._third_party(None, fidelity.COREMARK_ENV, fidelity.COREMARK_FILES) == (tmp_path, "")


def test_table_reports_ratio_and_errors() -> None:
    by_name = {w.name: w for w in fidelity.WORKLOADS}
    rows = [fidelity.Row(by_name["alu_chain"], 2.2), fidelity.Row(by_name["fma_chain"], 2.85),
            fidelity.Row(by_name["coremark"], None, "skipped: set M7AMP_COREMARK_DIR")]
    mean, worst, n = fidelity.summary(rows)
    assert n == 2 and worst == pytest.approx(0.10) and mean == pytest.approx(0.075)
    table = fidelity.format_table(rows)
    assert "+10.0%" in table and "-5.0%" in table and "skipped: set M7AMP_COREMARK_DIR" in table
    assert "mean |error| 7.5 %, worst |error| 10.0 % over 2 workloads (0 whole programs)" in table
    assert "whole programs only" not in table
    rows[2] = fidelity.Row(by_name["coremark"], by_name["coremark"].published * 0.97)
    assert "whole programs only: mean |error| 3.0 %, worst 3.0 %" in fidelity.format_table(rows)


def test_every_workload_names_its_source() -> None:
    assert len(fidelity.WORKLOADS) >= 6
    assert sum(w.kind == "program" for w in fidelity.WORKLOADS) >= 2
    assert all(w.source and w.published > 0 for w in fidelity.WORKLOADS)


@requires_arm_gcc
@pytest.mark.skipif(not os.environ.get(fidelity.COREMARK_ENV), reason="M7AMP_COREMARK_DIR not set")
def test_coremark_validates_and_is_timed(build_dir: Path) -> None:
    cycles = fidelity.run_coremark(Path(os.environ[fidelity.COREMARK_ENV]), build_dir)
    unit = fidelity.run_coremark(Path(os.environ[fidelity.COREMARK_ENV]), build_dir, cycle_model=False)
    # published 199 601 cycles per iteration; the model dual-issues, so it counts fewer cycles than
    # instructions on this -O3 build (IPC about 1.17)
    assert 150_000 < cycles < 300_000 and cycles < unit


@requires_arm_gcc
@pytest.mark.skipif(not os.environ.get(fidelity.DHRYSTONE_ENV), reason="M7AMP_DHRYSTONE_DIR not set")
def test_dhrystone_validates_and_is_timed(build_dir: Path) -> None:
    cycles = fidelity.run_dhrystone(Path(os.environ[fidelity.DHRYSTONE_ENV]), build_dir)
    assert 150 < cycles < 1000


@requires_arm_gcc
@pytest.mark.skipif(not os.environ.get(fidelity.DHRYSTONE_ENV), reason="M7AMP_DHRYSTONE_DIR not set")
def test_caches_off_cost_dhrystone_a_sane_factor(build_dir: Path) -> None:
    # Direction and size of the L1-cache effect on code in AXIM flash at 7 wait states: published 5.0x
    # (Stratify Labs, STM32F723); the model must give more than 3x and less than 8x, and nothing
    # without the memory model.
    path = Path(os.environ[fidelity.DHRYSTONE_ENV])
    on, off = fidelity.run_dhrystone(path, build_dir), fidelity.run_dhrystone(path, build_dir, icache=False)
    assert 3.0 < off / on < 8.0
    plain = [fidelity.run_dhrystone(path, build_dir, memory_model=False, icache=i) for i in (True, False)]
    assert plain[0] == plain[1]


@requires_arm_gcc
@pytest.mark.skipif(not os.environ.get(fidelity.COREMARK_ENV), reason="M7AMP_COREMARK_DIR not set")
def test_coremark_from_itcm_bus_flash_and_from_cached_axim_flash_cost_about_the_same(build_dir: Path) -> None:
    # AN4667: 1082 CoreMark either way (ART on the ITCM bus, L1 cache on AXIM); the two differ in the
    # model (different miss costs) but by less than 5 %, and not at all without the memory model.
    path = Path(os.environ[fidelity.COREMARK_ENV])
    axi, itcm = (fidelity.run_coremark(path, build_dir, flash=f) for f in (0x0800_0000, 0x0020_0000))
    assert axi != itcm and abs(axi / itcm - 1) < 0.05
    plain = [fidelity.run_coremark(path, build_dir, memory_model=False, flash=f)
             for f in (0x0800_0000, 0x0020_0000)]
    assert plain[0] == plain[1]


@requires_arm_gcc
def test_a_broken_program_is_an_error(tmp_path: Path) -> None:
    for f in fidelity.DHRYSTONE_FILES:
        (tmp_path / f).write_text("int Int_Glob; char Ch_1_Glob, Ch_2_Glob; int Arr_2_Glob[50][50];\n"
                                  "int main(void) { return 0; }\n" if f == "dhry_1.c" else "")
    with pytest.raises(M7Error, match="Dhrystone did not validate"):
        fidelity.run_dhrystone(tmp_path, tmp_path / "out")


@requires_arm_gcc
def test_memory_row_needs_the_memory_model(build_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(fidelity.COREMARK_ENV, raising=False)
    monkeypatch.delenv(fidelity.DHRYSTONE_ENV, raising=False)
    rows = {r.workload.name: r for r in fidelity.measure(build_dir, memory_model=False)}
    assert rows["dhrystone_nocache"].note == "skipped: --no-memory-model"
    assert rows["coremark_axi_itcm"].note == "skipped: --no-memory-model"
    rows = {r.workload.name: r for r in fidelity.measure(build_dir)}  # the memory model is on by default
    assert fidelity.DHRYSTONE_ENV in rows["dhrystone_nocache"].note
    assert fidelity.COREMARK_ENV in rows["coremark_axi_itcm"].note
    # warm I-cache: the micro-workloads cost the same with the memory model
    assert rows["fma_chain"].simulated == 3.0 and rows["alu_pairs"].simulated == 1.0
