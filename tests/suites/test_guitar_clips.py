"""Guitar WAVs through the firmware on the chosen target (``--target``, default sim): the output is
the reference model's within the engine's bound, the engine fits the real-time budget, and no block
misses its deadline. Issue #6."""

from __future__ import annotations

import pytest

from m7amp.metrics import esr, format_esr
from m7amp.package import ENGINE_ESR_BOUND, load_package
from m7amp.playback import CORE_HZ, PlayResult
from m7amp.targets import Target
from tests._skips import requires_shared_data
from tests.suites.clips import BUILTIN, REAL, Clip

CLIPS = [pytest.param(BUILTIN, id=BUILTIN.name)] + [
    pytest.param(c, id=c.name, marks=requires_shared_data) for c in REAL
]
_played: dict[str, tuple[PlayResult, float]] = {}


@pytest.fixture
def played(target: Target, clip: Clip) -> tuple[PlayResult, float]:
    """(result, ESR vs the reference model) for ``clip``, played once per session."""
    if clip.name not in _played:
        pkg = load_package()
        x = clip.samples(pkg.sample_rate)
        result = target.play(x, pkg.sample_rate)
        assert len(result.output) == len(x)
        _played[clip.name] = (result, esr(pkg.reference_output(x, result.io_bits), result.output))
    return _played[clip.name]


@pytest.mark.parametrize("clip", CLIPS)
def test_output_matches_the_reference_model(played: tuple[PlayResult, float], precision: str):
    _, value = played
    assert value <= ENGINE_ESR_BOUND[precision], f"ESR vs reference {format_esr(value)}"


@pytest.mark.parametrize("clip", CLIPS)
def test_cycles_per_sample_fit_the_budget(played: tuple[PlayResult, float]):
    result, _ = played
    budget = CORE_HZ / result.sample_rate  # 4500 at 48 kHz
    assert len(result.block_cycles) > 0
    assert result.cycles_per_sample <= budget, (
        f"{result.cycles_per_sample:,.0f} cycles/sample > {budget:,.0f} ({100 * result.cpu_load:.0f} % load)")


@pytest.mark.parametrize("clip", CLIPS)
def test_no_deadline_misses(played: tuple[PlayResult, float]):
    result, _ = played
    assert result.deadline_misses == 0
