"""``m7amp sim`` and ``m7amp bench sim`` through the real CLI entry point."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from m7amp import cli
from tests._skips import requires_arm_gcc, requires_host_cc
from tests.sim.conftest import assemble

pytestmark = [requires_arm_gcc, requires_host_cc]


@pytest.fixture
def main(monkeypatch: pytest.MonkeyPatch) -> Callable[[list[str]], int]:
    # Only the commands under test, so other areas' modules need not import here.
    monkeypatch.setattr(cli, "COMMANDS", {"sim": "m7amp.commands.sim", "bench": "m7amp.commands.bench"})
    return cli.main


def _one_line_error(capsys: pytest.CaptureFixture[str], rc: int, text: str) -> None:
    err = capsys.readouterr().err
    assert rc == 2
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("m7amp sim: error: ") and text in err


def test_missing_elf(main, capsys, tmp_path: Path) -> None:
    _one_line_error(capsys, main(["sim", str(tmp_path / "nope.elf")]), "firmware not found")


def test_not_an_elf(main, capsys, tmp_path: Path) -> None:
    bad = tmp_path / "text.elf"
    bad.write_text("hello\n")
    _one_line_error(capsys, main(["sim", str(bad)]), "not a valid ELF")


def test_elf_for_another_machine(main, capsys) -> None:
    host = Path(sys.executable).resolve()
    _one_line_error(capsys, main(["sim", str(host)]), "not a 32-bit little-endian ARM ELF")


def test_elf_outside_the_memory_map(main, capsys, tmp_path: Path) -> None:
    _, elf = assemble("b .", tmp_path, "far", address=0x3000_0000)
    _one_line_error(capsys, main(["sim", str(elf)]), "outside the board's memory map")


def test_streams_uart_and_exits_with_firmware_status(main, capsys, fixture_elf) -> None:
    rc = main(["sim", str(fixture_elf("hello", EXIT_STATUS=5)), "--profile"])
    out, err = capsys.readouterr()
    assert rc == 5
    assert out == "hello from the simulated F767\r\n"
    assert "m7amp sim: exit:" in err and "cycles" in err and "MIPS" in err
    assert "board_puts" in err  # the profile table


def test_until_and_uart_input(main, capsys, fixture_elf) -> None:
    rc = main(["sim", str(fixture_elf("irq")), "--uart-input", "ok", "--until", "IRQ (PASS|FAIL)"])
    out, _ = capsys.readouterr()
    assert rc == 0 and "IRQ PASS" in out


def test_fault_exit_code_and_report(main, capsys, fixture_elf) -> None:
    rc = main(["sim", str(fixture_elf("faults")), "--uart-input", "u"])
    err = capsys.readouterr().err
    assert rc == 3
    assert "unmapped-write" in err and "fault_unmapped()" in err


def test_max_cycles_is_a_clear_error(main, capsys, fixture_elf) -> None:
    rc = main(["sim", str(fixture_elf("faults")), "--max-cycles", "100000"])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2
    assert "still running after --max-cycles 100000" in err[-1]


def test_bench_sim_prints_a_table(main, capsys) -> None:
    assert main(["bench", "sim", "--repeats", "1", "--iterations", "2"]) == 0
    out = capsys.readouterr().out
    assert "MIPS" in out
    rows = [line for line in out.splitlines() if line.startswith(("M7", "off "))]
    assert len(rows) == 3
    memory, m7, off = (line.split() for line in rows)
    assert memory[-6] == m7[-6] == off[-6]  # the same instruction count in every configuration
    # the compute workload runs from AXIM flash with the caches off: the memory model adds cycles
    assert int(memory[-5]) > int(m7[-5])


def test_sim_memory_model_flag_changes_cycles(main, capsys, fixture_elf) -> None:
    elf = str(fixture_elf("fetch_placement"))
    assert main(["sim", elf, "--no-memory-model"]) == 0
    plain = capsys.readouterr().out.split()
    assert main(["sim", elf]) == 0  # the memory model is on by default
    with_memory = capsys.readouterr().out.split()
    assert plain[3] == with_memory[3]  # ITCM RAM: no wait either way
    assert int(with_memory[0]) > 2 * int(plain[0])  # flash through AXIM with the I-cache off


def test_bench_fidelity_prints_the_table(main, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("M7AMP_COREMARK_DIR", raising=False)
    monkeypatch.delenv("M7AMP_DHRYSTONE_DIR", raising=False)
    assert main(["bench", "fidelity"]) == 0
    out = capsys.readouterr().out
    assert "fma_chain" in out and "skipped: set M7AMP_COREMARK_DIR" in out and "mean |error|" in out
