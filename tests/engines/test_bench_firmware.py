"""The bench firmware (firmware/app/bench) and ``m7amp bench engine``: builds for f32 and q15, runs PASS
in the simulator, is deterministic, and reports sane rows. No timing assertions (DESIGN: performance is
measured by the benchmark table, not by tests)."""

from __future__ import annotations

import json

import pytest

from m7amp.bench import DEFAULT_PACKAGE, JSON_KEYS, bench_engine_row, parse_bench_line
from m7amp.cli import main
from m7amp.errors import M7Error
from m7amp.firmware import build_bench
from m7amp.sim import Simulator
from tests._skips import requires_arm_gcc

META = json.loads((DEFAULT_PACKAGE / "metadata.json").read_text())
BLOCK, BLOCKS = 32, 8  # short runs: the numbers are per sample, so 8 blocks are enough to check them


@pytest.fixture(scope="module", params=["f32", "q15"])
def row(request: pytest.FixtureRequest) -> dict:
    return bench_engine_row(DEFAULT_PACKAGE, request.param, BLOCK, BLOCKS)


@requires_arm_gcc
def test_row_is_sane(row: dict) -> None:
    prec = row["precision"]
    assert row["engine"] == "cmsis" and row["preset"] == META["name"]
    assert row["macs_per_sample"] == META["macs_per_sample"] > 0
    assert 0 < row["cycles_min"] <= row["cycles_per_sample"] * BLOCK <= row["cycles_max"]
    assert row["cycles_per_mac"] == pytest.approx(row["cycles_per_sample"] / row["macs_per_sample"], rel=1e-2)
    assert row["load_48k"] == pytest.approx(row["cycles_per_sample"] / 4500, rel=1e-3)
    assert row["load_44k1"] < row["load_48k"]
    # The ELF holds the weights in flash and the state (+ the 16 KB stack) in RAM.
    assert row["flash_bytes"] > META["memory"][f"weight_bytes_{prec}"]
    assert row["ram_bytes"] >= META["memory"][f"state_bytes_{prec}"] + 16 * 1024
    assert row["checksum"].startswith("0x") and len(row["checksum"]) == 10


@requires_arm_gcc
@pytest.mark.parametrize("precision", ["f32", "q15"])
def test_two_runs_identical(precision: str) -> None:
    elf = build_bench(DEFAULT_PACKAGE / "c", META["name"], precision, block=BLOCK, blocks=BLOCKS)
    first, second = (Simulator(elf).run(max_cycles=2_000_000_000) for _ in range(2))
    for result in (first, second):
        assert result.stop_reason == "exit" and result.status == 0, result.uart
        assert "M7AMP BENCH PASS" in result.uart
    assert first.uart == second.uart  # cycles and output checksum
    assert first.cycles == second.cycles
    fields = parse_bench_line(first.uart)
    assert fields["model"] == META["name"] and fields["precision"] == precision
    assert (fields["block"], fields["blocks"]) == (str(BLOCK), str(BLOCKS))
    assert fields["ram"] == "dtcm"  # nano's state and scratch fit in DTCM


def test_parse_rejects_failure() -> None:
    with pytest.raises(M7Error, match="did not pass"):
        parse_bench_line("M7AMP BENCH FAIL init -5\r\n")
    assert parse_bench_line("x\r\nM7AMP BENCH model=a cycles_total=7\r\nM7AMP BENCH PASS\r\n") == {
        "model": "a", "cycles_total": "7"}


@requires_arm_gcc
def test_cli_json_keys(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "engine", "--precision", "q15", "--block", str(BLOCK), "--blocks", str(BLOCKS),
                 "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 1
    assert list(rows[0]) == list(JSON_KEYS)
    assert rows[0]["precision"] == "q15" and rows[0]["cycles_per_sample"] > 0


def test_cli_unknown_preset(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "engine", "--preset", "feather"]) == 2
    assert "--package DIR" in capsys.readouterr().err
