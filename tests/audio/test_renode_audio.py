"""The audio firmware in a real Renode, through m7amp's SAI1/DMA2 models (renode/STM32F7_SAI.cs,
renode/STM32F7_DMA.cs): output vs the reference model, deadline misses, the same bits as the simulator,
q15's bits, a slowed build, repeatability, and the cabinet IR stage.

Skipped with the reason when no Renode is found (``$RENODE``, or ``renode`` on PATH) or no ARM compiler.
Each play starts a fresh Renode (about 15 s of start-up here, then ~15 host seconds per audio second),
so the clips are short."""

from __future__ import annotations

import os
from fractions import Fraction

import numpy as np
import pytest

from m7amp.audio import play as sim_play
from m7amp.metrics import esr, format_esr
from m7amp.package import ENGINE_ESR_BOUND, load_package
from m7amp.playback import PlayResult
from m7amp.targets import get_target
from m7amp.targets.renode import RenodeTarget
from tests._skips import requires_arm_gcc
from tests.audio.conftest import guitar

RENODE = os.environ.get("RENODE")
_reason = RenodeTarget.unavailable_reason(renode=RENODE)
pytestmark = [requires_arm_gcc, pytest.mark.skipif(_reason is not None, reason=f"Renode: {_reason}")]

CLIP = guitar(0.1, seed=3)


def renode_play(elf, x: np.ndarray) -> PlayResult:
    with get_target("renode", renode=RENODE) as target:
        target.load(elf)
        return target.play(x, 48000)


@pytest.fixture(scope="module")
def f32(audio_elf) -> PlayResult:
    return renode_play(audio_elf(), CLIP)


def test_f32_matches_the_reference_and_keeps_up(f32: PlayResult):
    value = esr(load_package().reference_output(CLIP, f32.io_bits), f32.output)
    assert value < ENGINE_ESR_BOUND["f32"], f"ESR vs reference {format_esr(value)}"
    assert f32.deadline_misses == 0
    assert f32.extra["firmware_overruns"] == 0
    assert f32.sample_rate == 48000 and f32.block_size == 32 and f32.latency_samples == 64
    assert f32.extra["frame_rate_hz"] == float(Fraction(671875, 14))  # PLLSAI N=172 Q=7, MCKDIV=2
    assert len(f32.block_cycles) >= 100 and f32.peak_load < 1.0
    assert "M7AMP AUDIO START model=nano precision=f32" in f32.uart


def test_f32_gives_the_simulators_bits(audio_elf, f32: PlayResult):
    sim = sim_play(audio_elf(), CLIP, 48000)
    assert np.array_equal(sim.output, f32.output)


def test_q15_gives_the_simulators_bits_with_no_misses(audio_elf):
    # nano q15 costs about 2,500 cycles/sample in the simulator (56 % of the 48 kHz budget): no misses in
    # either simulator, the same output bits, the reference model's output within the q15 bound
    elf = audio_elf(precision="q15")
    result = renode_play(elf, CLIP)
    sim = sim_play(elf, CLIP, 48000)
    assert "precision=q15" in result.uart
    assert (result.deadline_misses, sim.deadline_misses) == (0, 0)
    value = esr(load_package().reference_output(CLIP, result.io_bits), result.output)
    assert value < ENGINE_ESR_BOUND["q15"], f"ESR vs reference {format_esr(value)}"
    assert np.array_equal(sim.output, result.output)


def test_slowed_build_misses_deadlines(audio_elf):
    # 200 000 extra cycles before each half is written: more than a block's 144 000-cycle budget at 48 kHz
    result = renode_play(audio_elf(slow=200_000), guitar(0.05, seed=5))
    assert result.deadline_misses > 0
    assert result.extra["firmware_overruns"] > 0
    assert result.peak_load > 1.0


def test_deadline_follows_the_sai_fifo_thresholds(audio_elf):
    # The SAI model asserts FREQ per CR2.FTH (the firmware's FTH = 1/4): the TX FIFO holds up to 3
    # items (1.5 frames) ahead and the RX FIFO keeps 1 item back (the half event a frame late): a block must
    # end by ~29.5 of its 32 frames (92 %). At 91 % load nothing is late (a model that kept the TX FIFO full,
    # 4 frames ahead, made the firmware count every half late from ~88 %); at 96 % every half is (a model
    # without FIFOs would give the whole period). Loads set with the slowed build on top of the q15 ISR's
    # own DWT cycles at 324 MIPS, measured first.
    budget = 144_000  # DWT cycles per 32-sample block at 48 kHz (PlayResult.cpu_load's budget)
    x = guitar(0.05, seed=7)
    isr = round(renode_play(audio_elf(precision="q15"), x).cpu_load * budget)
    for load, late in ((0.91, False), (0.96, True)):
        result = renode_play(audio_elf(precision="q15", slow=int(load * budget) - isr), x)
        assert abs(result.cpu_load - load) < 0.01, result.cpu_load
        assert (result.deadline_misses > 0, result.extra["firmware_overruns"] > 0) == (late, late), load


def test_two_runs_give_identical_bits_and_cycles(audio_elf):
    x = guitar(0.05, seed=6)
    a, b = renode_play(audio_elf(), x), renode_play(audio_elf(), x)
    assert np.array_equal(a.output, b.output)
    assert np.array_equal(a.block_cycles, b.block_cycles)
    assert a.deadline_misses == b.deadline_misses == 0


def test_cabinet_ir_in_renode_matches_fftconvolve_and_the_simulator():
    # the IR stage is part of the audio app: in Renode it gives the simulator's bits, so the sim test's
    # bound against scipy's fftconvolve of the reference model's output holds (tests/audio/test_cab_fw.py)
    from m7amp.cab import prepare
    from m7amp.playback import quantize
    from m7amp.targets import build_firmware
    from tests.audio.test_cab_fw import F32_ESR_BOUND, LSB, _reference

    cab = prepare("synthetic", 48_000, 32)
    elf = build_firmware("audio", cab=cab)
    x = guitar(0.1, seed=3)
    result = renode_play(elf, x)
    assert result.deadline_misses == 0 and result.extra["firmware_overruns"] == 0
    assert "M7AMP AUDIO CAB taps=1024 method=fft" in result.uart
    ref = _reference(load_package().reference_output(quantize(x, 16), 0), cab.taps)
    assert np.max(np.abs(ref - result.output)) <= LSB
    assert esr(ref, result.output) <= F32_ESR_BOUND
    assert np.array_equal(sim_play(elf, x, 48000).output, result.output)
