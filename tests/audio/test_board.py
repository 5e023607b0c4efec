"""The board description's audio entries and the DMA2 model's register rules, driven directly."""

from __future__ import annotations

import pytest

from m7amp.sim._repl import load_repl
from m7amp.sim.periph.dma import CR_CIRC, CR_EN, CR_HTIE, CR_MINC, CR_TCIE, LIFCR, LISR, M2P, stream_base
from tests._skips import requires_arm_gcc

ALL = 0xFFFF_FFFF


def test_repl_declares_dma2_streams_and_sai1_for_renode():
    board = load_repl()
    dma2, sai1 = board["dma2"], board["sai1"]
    assert dma2.type == "DMA.STM32F7_DMA" and dma2.address == 0x4002_6400  # renode/STM32F7_DMA.cs
    assert {int(k): n for k, (_, n) in dma2.irqs.items()} == {0: 56, 1: 57, 2: 58, 3: 59, 4: 60, 5: 68,
                                                               6: 69, 7: 70}
    assert sai1.type == "Sound.STM32F7_SAI" and sai1.address == 0x4001_5800  # renode/STM32F7_SAI.cs
    assert sai1.irq == 87 and sai1.properties == {"rcc": "rcc", "dma": "dma2"}
    assert board["gpioPortE"].address == 0x4002_1000


@pytest.fixture
def sim(loopback_elf):
    from m7amp.sim import Simulator

    return Simulator(loopback_elf(PLLSAIN=172))


def _setup_m2p(dma, n: int, items: int, cr: int, channel: int = 0, par: int = 0x4001_5820) -> None:
    base = stream_base(n)
    dma.write(base + 8, par, ALL)             # PAR: SAI1_ADR
    dma.write(base + 12, 0x2002_0000, ALL)    # M0AR
    dma.write(base + 4, items, ALL)           # NDTR
    dma.write(base, cr | (channel << 25) | (M2P << 6) | (2 << 11) | (2 << 13) | CR_MINC, ALL)
    dma.write(base, dma.regs[base] | CR_EN, ALL)


@requires_arm_gcc
def test_stream_irq_flags_and_clear(sim):
    dma = sim.peripherals["dma2"]
    _setup_m2p(dma, 1, 8, CR_CIRC | CR_HTIE | CR_TCIE)
    stream = dma.stream_for(0x4001_5820, "SAI1_A")
    assert stream is not None and stream.active
    stream.move(4, None, lambda i: 0)
    assert dma.read(LISR) >> 6 & 0x30 == 0x10 and dma.read(stream_base(1) + 4) == 4  # HTIF1, NDTR 4
    assert sim.nvic.level[57]
    stream.move(4, None, lambda i: 0)
    assert dma.read(LISR) >> 6 & 0x30 == 0x30 and dma.read(stream_base(1) + 4) == 8  # TCIF1, reloaded
    dma.write(LIFCR, 0x30 << 6, ALL)
    assert dma.read(LISR) == 0 and not sim.nvic.level[57]


@requires_arm_gcc
def test_normal_mode_stops_at_transfer_complete(sim):
    dma = sim.peripherals["dma2"]
    _setup_m2p(dma, 3, 4, 0)
    stream = dma.streams[3]
    moved = stream.move(6, None, lambda i: 0)
    assert len(moved.items) == 4 and not stream.active
    assert dma.read(stream_base(3)) & CR_EN == 0 and dma.read(stream_base(3) + 4) == 0


@requires_arm_gcc
def test_protected_writes_and_request_mapping_are_warned(sim):
    dma = sim.peripherals["dma2"]
    _setup_m2p(dma, 1, 8, CR_CIRC)
    dma.write(stream_base(1) + 4, 99, ALL)      # NDTR while EN = 1
    dma.write(stream_base(1) + 12, 0x2002_1000, ALL)  # M0AR while EN = 1
    assert dma.regs[stream_base(1) + 4] == 8 and dma.regs[stream_base(1) + 12] == 0x2002_0000
    _setup_m2p(dma, 2, 8, CR_CIRC, channel=0)   # stream 2 does not carry SAI1_A
    assert dma.stream_for(0x4001_5820, "SAI1_A") is dma.streams[1]
    text = "\n".join(sim.warnings)
    assert "S1NDTR written while S1 is enabled" in text and "S1M0AR written while S1 is enabled" in text
    assert "stream 2 channel 0 does not carry the SAI1_A request" in text


def test_resc_compiles_the_audio_models_before_loading_the_platform():
    from m7amp.sim._repl import DEFAULT_REPL

    lines = [ln.strip() for ln in (DEFAULT_REPL.parent / "m7amp.resc").read_text().splitlines()]
    load = lines.index("machine LoadPlatformDescription $ORIGIN/stm32f767.repl")
    for model in ("STM32F7_DMA.cs", "STM32F7_SAI.cs"):
        assert (DEFAULT_REPL.parent / model).is_file()
        assert lines.index(f"include $ORIGIN/{model}") < load
