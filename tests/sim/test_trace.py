"""Traces (m7amp/sim/trace.py, ``m7amp sim --trace FILE``) of tests/sim/fixtures/debug.c, whose peripheral
accesses and exceptions are known exactly."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from m7amp import cli
from m7amp.errors import M7Error
from m7amp.sim import Simulator
from m7amp.sim.trace import Tracer, parse_window
from tests._skips import requires_arm_gcc, requires_host_cc

pytestmark = [requires_arm_gcc, requires_host_cc]
MAX = 10_000_000


@pytest.fixture(scope="module")
def debug_elf(fixture_elf: Callable[..., Path]) -> Path:
    return fixture_elf("debug")


def _records(elf: Path, **kwargs: object) -> tuple[list[dict], Simulator]:
    sim = Simulator(elf)
    out = io.StringIO()
    tracer = Tracer(sim, out, json_lines=True, **kwargs)  # type: ignore[arg-type]
    result = sim.run(max_cycles=MAX)
    tracer.close()
    assert result.status == 55
    return [json.loads(line) for line in out.getvalue().splitlines()], sim


def test_peripheral_accesses_are_exact(debug_elf: Path) -> None:
    records, sim = _records(debug_elf)
    odr = [r for r in records if r["type"] == "access" and r["register"] == "gpioPortD.ODR"]
    assert [(r["access"], r["value"]) for r in odr] == [("W", i) for i in range(1, 6)]
    assert {r["where"].split("+")[0] for r in odr} == {"tick"}
    stir = [r for r in records if r["type"] == "access" and r["register"] == "nvic.STIR"]
    assert len(stir) == 3 and all(r["access"] == "W" and r["value"] == 0 for r in stir)
    tdr = [r for r in records if r["type"] == "access" and r["register"] == "usart3.TDR"]
    assert "".join(chr(r["value"]) for r in tdr) == "debug ok\r\n"
    cycles = [r["cycle"] for r in records]
    assert cycles == sorted(cycles) and cycles[-1] <= sim.cycles


def test_exceptions_are_traced_with_names(debug_elf: Path) -> None:
    records, sim = _records(debug_elf)
    exceptions = [(r["event"], r["number"], r["name"]) for r in records if r["type"] == "exception"]
    assert exceptions == [("entry", 16, "IRQ0"), ("return", 16, "IRQ0")] * 3
    entry = next(r for r in records if r["type"] == "exception")
    assert entry["pc"] == sim.symbol("IRQ0_Handler") and entry["where"] == "IRQ0_Handler+0x0"


def test_instruction_window(debug_elf: Path) -> None:
    records, sim = _records(debug_elf, instructions=(100, 25))
    insns = [r for r in records if r["type"] == "instruction"]
    assert [r["index"] for r in insns] == list(range(25))
    assert insns[0]["cycle"] >= 100 and all(r["asm"] and r["where"] for r in insns)
    for r in insns:  # the bytes are the code at pc and the disassembly names the right instruction
        assert sim.read_memory(r["pc"], len(r["bytes"]) // 2).hex() == r["bytes"]
    assert any(r["asm"].startswith("bl ") for r in insns) or any(r["asm"].startswith("pop") for r in insns)


def test_tracing_changes_no_cycle_count(debug_elf: Path) -> None:
    plain = Simulator(debug_elf).run(max_cycles=MAX)
    _, traced = _records(debug_elf, instructions=(0, 1000))
    assert (traced.cycles, traced.instructions) == (plain.cycles, plain.instructions)


def test_parse_window() -> None:
    assert parse_window("1000:50") == (1000, 50)
    assert parse_window("0x10:2") == (16, 2)
    for bad in ("10", "a:b", "5:0", "-1:3"):
        with pytest.raises(M7Error):
            parse_window(bad)


def test_cli_trace_files(debug_elf: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                         capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(cli, "COMMANDS", {"sim": "m7amp.commands.sim"})
    text, jsonl = tmp_path / "run.trace", tmp_path / "run.trace.jsonl"
    assert cli.main(["sim", str(debug_elf), "--trace", str(text), "--trace-instructions", "0:10"]) == 55
    assert cli.main(["sim", str(debug_elf), "--trace", str(jsonl)]) == 55
    lines = text.read_text().splitlines()
    assert sum(" W gpioPortD.ODR = " in line for line in lines) == 5
    assert sum("exception entry 16 (IRQ0)" in line for line in lines) == 3
    assert sum(" insn " in line for line in lines) == 10
    assert sum(json.loads(line)["register"] == "gpioPortD.ODR" for line in jsonl.read_text().splitlines()
               if '"access"' in line) == 5
    assert "trace records written to" in capsys.readouterr().err
    assert cli.main(["sim", str(debug_elf), "--trace-instructions", "0:10"]) == 2  # needs --trace FILE
