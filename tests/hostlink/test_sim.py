"""The ``hostlink`` firmware ELF on the simulated F767, driven by ``HostLinkClient`` through the
simulator's USART3 (``SimUartStream``): the same replies as the host build of the protocol and engine,
DWT cycles from the real engine call, bad frames rejected by the firmware, deterministic runs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from m7amp.hostlink import PROCESS, HostLinkClient, HostLinkError, encode_frame, to_wire
from m7amp.sim import Simulator
from m7amp.sim.uart_stream import SimUartStream
from tests._skips import requires_arm_gcc, requires_host_cc
from tests.hostlink.conftest import META, MODEL, PACKAGE

pytestmark = requires_arm_gcc

RNG = np.random.default_rng(11)
SIGNAL = (0.5 * np.sin(np.arange(384) * 0.021) + 0.05 * RNG.standard_normal(384)).astype(np.float32)
BLOCKS = [SIGNAL[:256], SIGNAL[256:320], SIGNAL[320:]]  # a full, a typical and a short block


@pytest.fixture(scope="module")
def hostlink_elf() -> Callable[[str], Path]:
    from m7amp.firmware import build_engine_app

    built: dict[str, Path] = {}

    def get(precision: str) -> Path:
        if precision not in built:
            built[precision] = build_engine_app("hostlink", PACKAGE / "c", MODEL, precision)
        return built[precision]

    return get


def sim_client(elf: Path) -> tuple[Simulator, HostLinkClient]:
    sim = Simulator(elf)
    return sim, HostLinkClient(SimUartStream(sim), timeout=1.0)  # 1 s of virtual time


def run_blocks(client: HostLinkClient) -> tuple[np.ndarray, list[int]]:
    client.info()
    client.reset()
    outs, cycles = zip(*(client.process(b) for b in BLOCKS), strict=True)
    return np.concatenate(outs), list(cycles)


@requires_host_cc
@pytest.mark.parametrize("precision", ["f32", "q15"])
def test_firmware_replies_like_the_host_build(hostlink_elf, pty_server, precision: str) -> None:
    sim, client = sim_client(hostlink_elf(precision))
    info = client.info()
    assert (info.model, info.precision, info.max_block) == (MODEL, precision, 256)
    assert (info.sample_rate, info.core_hz, info.timeout_ms) == (META["sample_rate"], 216_000_000, 100)
    banner = client.skipped_text
    assert banner.startswith("m7amp hostlink ") and f"precision={precision}" in banner
    out, cycles = run_blocks(client)
    want, _ = run_blocks(pty_server(precision).client)
    # Bit-exact for both: q15 is integer arithmetic, and both f32 builds are -std=c11 (no FMA contraction).
    assert np.array_equal(out, want), np.max(np.abs(out - want))
    # DWT cycles of each engine call: positive and growing with the block (same work per sample).
    assert all(c > 0 for c in cycles)
    per_sample = [c / len(b) for c, b in zip(cycles, BLOCKS, strict=True)]
    print(f"\nhostlink {precision} in the simulator: cycles per sample {per_sample}")
    assert max(per_sample) < 2 * min(per_sample)
    assert not [w for w in sim.warnings if "baud" not in w]


def test_firmware_rejects_bad_frames_and_runs_are_deterministic(hostlink_elf) -> None:
    # Run A: clean. Run B: a corrupted, a truncated and an out-of-order frame before each block.
    # B must give A's output bits and A's cycle counts: rejected frames never reach the engine.
    elf = hostlink_elf("f32")
    blocks = [SIGNAL[:64], SIGNAL[64:128]]
    _, clean = sim_client(elf)
    clean.info()
    want = [clean.process(b) for b in blocks]
    sim, client = sim_client(elf)
    client.info()
    stream = client.stream
    for block, (want_out, want_cycles) in zip(blocks, want, strict=True):
        frame = bytearray(encode_frame(PROCESS, client.seq, to_wire(block, "f32")))
        frame[-1] ^= 0x80  # the payload CRC
        stream.write(bytes(frame))
        with pytest.raises(HostLinkError, match="bad-crc"):
            client.receive()
        before = sim.cycles
        stream.write(bytes(frame[:40]))
        with pytest.raises(HostLinkError, match="timeout") as err:
            client.receive()
        assert err.value.seq == client.seq
        # the firmware's 100 ms, in virtual time; counted in cycles (the same span in float seconds can
        # round to 0.09999999999999998)
        assert sim.cycles - before >= sim.rcc.hclk_hz() // 10
        with pytest.raises(HostLinkError, match="out-of-order"):
            client.request(PROCESS, to_wire(block, "f32"), seq=client.seq + 2)
        out, cycles = client.process(block)
        assert np.array_equal(out, want_out) and cycles == want_cycles


@pytest.mark.parametrize("precision", ["f32", "q15"])
def test_firmware_links_no_heap_or_stdio_and_keeps_the_engine_in_dtcm(hostlink_elf, precision: str) -> None:
    from elftools.elf.elffile import ELFFile

    from tests.firmware.test_build import FORBIDDEN

    with open(hostlink_elf(precision), "rb") as f:
        symbols = {s.name: s for s in ELFFile(f).get_section_by_name(".symtab").iter_symbols() if s.name}
    assert not FORBIDDEN & set(symbols)
    for name in ("engine_state", "engine_scratch"):  # DTCM (0x20000000, 128 KB) when they fit
        assert 0x2000_0000 <= symbols[name]["st_value"] < 0x2002_0000, name
    assert symbols["USART3_IRQHandler"]["st_size"] > 0
