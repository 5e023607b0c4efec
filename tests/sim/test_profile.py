"""Call-path profiles (m7amp/sim/profile.py, ``m7amp sim --profile-out``) of tests/sim/fixtures/debug.c,
whose calls are known: main calls tick() 5 times, tick() calls square() once, IRQ0 runs 3 times."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from m7amp import cli
from m7amp.sim import Simulator
from m7amp.sim.profile import CallProfiler
from tests._skips import requires_arm_gcc, requires_host_cc

pytestmark = [requires_arm_gcc, requires_host_cc]
MAX = 10_000_000


@pytest.fixture(scope="module")
def profiled(fixture_elf: Callable[..., Path]) -> tuple[CallProfiler, Simulator]:
    sim = Simulator(fixture_elf("debug"))
    profiler = CallProfiler(sim)
    assert sim.run(max_cycles=MAX).status == 55
    profiler.close()
    return profiler, sim


def test_call_counts_and_paths(profiled: tuple[CallProfiler, Simulator]) -> None:
    profiler, _ = profiled
    assert profiler.calls["tick"] == 5 and profiler.calls["square"] == 5 and profiler.calls["main"] == 1
    assert profiler.calls["scale"] == 1 and profiler.calls["IRQ0_Handler"] == 3
    paths = set(profiler.weights)
    assert ("Reset_Handler", "main", "tick", "square") in paths
    assert ("Reset_Handler", "main", "[exception 16 IRQ0]", "IRQ0_Handler") in paths
    assert all(path[0] == "Reset_Handler" for path in paths)
    assert not any("square" in path[:-1] for path in paths)  # a leaf: nothing below it


def test_totals_match_the_flat_profile(profiled: tuple[CallProfiler, Simulator]) -> None:
    profiler, sim = profiled
    flat = {name: cycles for name, cycles, _, _ in sim.profile(top=1000)}
    assert profiler.total_cycles() == sum(flat.values()) == sim.cycles
    per_leaf: dict[str, int] = {}
    for path, cycles in profiler.weights.items():
        per_leaf[path[-1]] = per_leaf.get(path[-1], 0) + cycles
    assert {k: v for k, v in per_leaf.items() if v} == {k: v for k, v in flat.items() if v}
    assert sum(profiler.instructions.values()) == sim.instructions


def test_inclusive_cycles(profiled: tuple[CallProfiler, Simulator]) -> None:
    profiler, _ = profiled
    inclusive, w = profiler.inclusive(), profiler.weights
    tick = ("Reset_Handler", "main", "tick")
    assert inclusive["tick"] == w[tick] + w[(*tick, "square")]
    assert inclusive["Reset_Handler"] == profiler.total_cycles()
    assert inclusive["square"] == w[("Reset_Handler", "main", "tick", "square")]


def test_folded_and_speedscope(profiled: tuple[CallProfiler, Simulator]) -> None:
    profiler, _ = profiled
    folded = profiler.folded().splitlines()
    parsed = {line.rsplit(" ", 1)[0]: int(line.rsplit(" ", 1)[1]) for line in folded}
    assert parsed["Reset_Handler;main;tick;square"] == profiler.weights[("Reset_Handler", "main", "tick",
                                                                         "square")]
    doc = profiler.speedscope("debug")
    prof = doc["profiles"][0]  # type: ignore[index]
    frames = [f["name"] for f in doc["shared"]["frames"]]  # type: ignore[index]
    assert prof["type"] == "sampled" and len(prof["samples"]) == len(prof["weights"]) == len(folded)
    assert sum(prof["weights"]) == prof["endValue"] == profiler.total_cycles()
    stacks = {";".join(frames[i] for i in sample): w for sample, w in zip(prof["samples"], prof["weights"],
                                                                         strict=True)}
    assert stacks == parsed


def test_cli_profile_out(fixture_elf: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                         capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(cli, "COMMANDS", {"sim": "m7amp.commands.sim"})
    elf = fixture_elf("debug")
    folded, speedscope = tmp_path / "p.folded", tmp_path / "p.speedscope.json"
    assert cli.main(["sim", str(elf), "--profile-out", str(folded), "--profile", "--top", "10"]) == 55
    assert cli.main(["sim", str(elf), "--profile-out", str(speedscope)]) == 55
    assert any(line.startswith("Reset_Handler;main;tick;square ") for line in folded.read_text().splitlines())
    assert json.loads(speedscope.read_text())["profiles"][0]["type"] == "sampled"
    err = capsys.readouterr().err
    assert "call path" in err and "Reset_Handler;main;board_puts" in err
    assert re.search(r"\ntick +\d+ +5 ", err)  # inclusive cycles and 5 calls


def test_cli_profile_of_a_bounded_run(fixture_elf: Callable[..., Path], tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "COMMANDS", {"sim": "m7amp.commands.sim"})
    folded = tmp_path / "spin.folded"
    # the firmware never exits: --max-cycles ends the run (an error), the profile is still written
    assert cli.main(["sim", str(fixture_elf("debug", SPIN=1)), "--max-cycles", "20000",
                     "--profile-out", str(folded)]) == 2
    cycles = {line.rsplit(" ", 1)[0]: int(line.rsplit(" ", 1)[1]) for line in folded.read_text().splitlines()}
    assert cycles["Reset_Handler;main"] > 15_000 and sum(cycles.values()) >= 20_000
