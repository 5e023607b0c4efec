"""The project's own test firmwares (firmware/app/*) on the simulator: the contract in action."""

from __future__ import annotations

from pathlib import Path

import pytest

from m7amp.errors import M7Error
from m7amp.sim import Simulator
from tests._skips import requires_arm_gcc, requires_host_cc

pytestmark = [requires_arm_gcc, requires_host_cc]
MAX = 2_000_000_000


def _firmware(app: str) -> Path:
    try:
        from m7amp import firmware
    except ImportError:
        pytest.skip("m7amp.firmware is not there yet")
    if app not in firmware.apps():
        pytest.skip(f"firmware app {app!r} is not there yet")
    try:
        return firmware.build(app)
    except M7Error as exc:
        pytest.fail(f"building {app} failed: {exc}")


@pytest.fixture(scope="module")
def selftest() -> tuple[Simulator, object]:
    sim = Simulator(_firmware("selftest"))
    return sim, sim.run(max_cycles=MAX)


def test_selftest_passes(selftest) -> None:
    sim, result = selftest
    assert "M7AMP SELFTEST PASS" in result.uart, result.uart[-2000:]
    assert "STM32F767 @ 216 MHz" in result.uart
    assert result.stop_reason == "exit" and result.status == 0
    assert sim.core_hz == 216_000_000


def test_selftest_runs_are_identical(selftest) -> None:
    _, first = selftest
    again = Simulator(_firmware("selftest")).run(max_cycles=MAX)
    assert (again.uart, again.cycles, again.instructions) == (first.uart, first.cycles, first.instructions)


def test_irqtest_passes() -> None:
    result = Simulator(_firmware("irqtest")).run(max_cycles=MAX)
    assert "M7AMP IRQTEST PASS" in result.uart, result.uart[-2000:]
    assert result.status == 0


@pytest.mark.parametrize(("key", "kind"), [
    ("u", "unmapped-write"), ("i", "undefined-instruction"), ("s", "stack-overflow"),
    ("z", "divide-by-zero"), ("x", "bad-exc-return"),
])
def test_faulttest_report_names_fault_function(key: str, kind: str) -> None:
    sim = Simulator(_firmware("faulttest"))
    sim.uart_input(key.encode())
    result = sim.run(max_cycles=MAX)
    assert result.stop_reason == "fault", result.uart[-500:]
    assert result.fault is not None and result.fault.kind == kind
    assert (result.fault.function or "").startswith("fault_"), str(result.fault)
