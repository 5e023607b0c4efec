"""SAI1 + DMA2 models with the loopback fixture (tests/audio/fixtures/loopback.c): frame clock from the
programmed RCC/SAI dividers, circular and double-buffer DMA, latency measured from the run, deadline
misses, determinism."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from m7amp.audio import play
from tests._skips import requires_arm_gcc
from tests.audio.conftest import guitar

pytestmark = requires_arm_gcc

# The fixture's default clock: 2 MHz VCO input x 172 / 7 = 49.142857 MHz, / (256 x 2 x 2).
PLLSAI_48K = {"PLLSAIN": 172}
FS_48K = Fraction(2_000_000 * 172, 7 * 1024)


def _sim_run(elf, x: np.ndarray, seconds: float):
    from m7amp.sim import Simulator

    sim = Simulator(elf)
    sai = sim.peripherals["sai1"]
    sai.link.input = x
    result = sim.run(max_cycles=int(216e6 * seconds))
    return sim, sai, result


def test_loopback_plays_input_times_gain_after_two_blocks(loopback_elf):
    x = guitar(0.1)
    result = play(loopback_elf(**PLLSAI_48K), x, 48000)
    assert result.deadline_misses == 0
    assert result.latency_samples == 64  # RX half n is written to TX half n: sent one buffer later
    assert result.block_size == 32
    # 24-bit items: x/2 exactly up to the 24-bit rounding of the input
    assert np.max(np.abs(result.output - x / 2)) < 2.0**-23
    assert len(result.block_cycles) > 100 and np.all(result.block_cycles > 0)
    assert result.extra["firmware_overruns"] == 0
    assert result.extra["frame_rate_hz"] == pytest.approx(float(FS_48K), abs=1e-6)


@pytest.mark.parametrize(("defines", "rate"), [
    (PLLSAI_48K, FS_48K),
    # PLLSAI 2 MHz x 192 / 2 = 192 MHz, PLLSAIDIVQ /16 = 12 MHz, MCKDIV 0 -> / 256
    ({"PLLSAIN": 192, "PLLSAIQ": 2, "DIVQ": 15, "MCKDIV": 0}, Fraction(12_000_000, 256)),
])
def test_frame_rate_follows_rcc_and_sai_dividers(loopback_elf, defines, rate):
    sim, sai, result = _sim_run(loopback_elf(**defines), np.zeros(4096, np.float32), 0.02)
    assert result.stop_reason == "max-cycles" and not result.warnings
    assert Fraction(sai.link.sample_rate) == pytest.approx(rate)
    # frames done = virtual time since the clock started x the frame rate (after a catch-up, as any
    # SAI or DMA register access does)
    sai.advance()
    elapsed = (sim.cycles - sai.t0) / 216e6
    assert abs(sai.link.frames - elapsed * float(rate)) <= 1


def test_pllsai_vco_out_of_range_is_reported(loopback_elf):
    _, _, result = _sim_run(loopback_elf(PLLSAIN=344), np.zeros(512, np.float32), 0.005)
    assert any("PLLSAI VCO" in w and "688 MHz" in w for w in result.warnings)


def test_double_buffer_mode_and_16_bit_items(loopback_elf):
    x = guitar(0.05, seed=1)
    dbm = play(loopback_elf(DBM=1, **PLLSAI_48K), x, 48000)
    assert dbm.deadline_misses == 0 and dbm.latency_samples == 64
    assert np.max(np.abs(dbm.output - x / 2)) < 2.0**-23
    half = play(loopback_elf(DS=4, ITEM=2, **PLLSAI_48K), x, 48000)
    assert half.deadline_misses == 0 and half.latency_samples == 64
    assert np.max(np.abs(half.output - x / 2)) < 2.0**-15


def test_slow_block_processing_counts_deadline_misses(loopback_elf):
    x = guitar(0.05, seed=2)
    fast = play(loopback_elf(SLOW=10000, **PLLSAI_48K), x, 48000)
    assert fast.deadline_misses == 0
    # 40000 loop iterations take longer than a block period (32 frames = 144 000 cycles)
    slow = play(loopback_elf(SLOW=40000, **PLLSAI_48K), x, 48000)
    assert slow.deadline_misses > 0
    assert slow.extra["firmware_overruns"] is not None
    assert slow.peak_load > 1.0


def test_two_runs_are_identical(loopback_elf):
    x = guitar(0.03, seed=3)
    elf = loopback_elf(**PLLSAI_48K)
    a, b = play(elf, x, 48000), play(elf, x, 48000)
    assert a.output.tobytes() == b.output.tobytes()
    assert a.block_cycles.tolist() == b.block_cycles.tolist()
    assert a.extra["instructions"] == b.extra["instructions"]


def test_dma_registers_seen_by_the_firmware(loopback_elf):
    """NDTR counts down per frame between sync points; HT/TC flags and the IRQ line behave as RM0410."""
    from m7amp.sim.periph.dma import stream_base

    sim, sai, _ = _sim_run(loopback_elf(**PLLSAI_48K), np.zeros(4096, np.float32), 0.01)
    dma = sim.peripherals["dma2"]
    # 128 items per buffer, 2 per frame: NDTR = 128 - 2 x (frames into the buffer), offset by the SAI
    # FIFOs at the fixture's FTH = 1/4: the TX stream (S1, block A) has read 3 items ahead, the RX stream
    # (S5, block B) has left the frame's last item in B's FIFO
    sai.advance()  # catch up first, as the register reads below do
    frames = sai.link.frames
    assert dma.read(stream_base(1) + 4) == 128 - (2 * frames + 3) % 128
    assert dma.read(stream_base(5) + 4) == 128 - (2 * frames - 1) % 128
    assert dma.read(stream_base(5)) & 1  # circular: still enabled
