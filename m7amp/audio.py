"""Play audio through an audio firmware on the simulated board, and the WAV files around it.

``play(elf, samples, sample_rate)`` boots the ELF in the simulator (m7amp.sim), waits for the firmware
to start SAI1's frame clock, feeds ``samples`` to the SAI receiver (left slot) frame by frame in virtual
time and collects what the transmitter sends (left slot), until every input sample has come out.
It returns a :class:`m7amp.playback.PlayResult` whose ``output`` is aligned to the input with the latency
*measured in the run* (which RX half each TX half was written from; see docs/audio.md), whose
``deadline_misses`` are the simulator's (TX half not rewritten in time) and whose ``block_cycles`` are the
firmware's own per-block DWT cycles, sampled from its ``m7_audio_stats`` struct at every half event.
"""

from __future__ import annotations

import struct
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np

from m7amp.errors import M7Error
from m7amp.playback import CORE_HZ, PlayResult

RATE_TOLERANCE = 0.005  # a frame rate this close to a standard rate is that rate (PLL plans are not exact)
STANDARD_RATES = (8000, 11025, 16000, 22050, 24000, 32000, 44100, 48000, 88200, 96000, 176400, 192000)
BOOT_SECONDS = 5.0  # virtual time allowed for the firmware to start the SAI frame clock
SLICE_SECONDS = 0.05  # virtual time per run slice (progress granularity)
STATS_SYMBOL = "m7_audio_stats"
STATS_MAGIC, STATS_VERSION = 0x5541_374D, 1  # docs/audio.md (firmware part): layout version 1
STATS_FIELDS = {"block": 0x14, "latency": 0x18, "blocks": 0x2C, "overruns": 0x30, "cycles_last": 0x34}
CAB_SYMBOL, CAB_MAGIC = "m7_audio_cab", 0x4241_434D  # the cabinet IR stage's counters (docs/cabinet-ir.md)


# ---- WAV files -------------------------------------------------------------------------------------
def read_wav(path: str | Path, notice: Callable[[str], None] | None = None) -> tuple[np.ndarray, int]:
    """Mono float32 samples and the rate of an audio file (WAV 16/24/32-bit int, float, ...).

    Multichannel files give their left (first) channel, with one notice line. Read and checked by
    :func:`m7amp.data.load_audio`: unreadable files and NaN/Inf samples are one M7Error line, samples
    beyond full scale are clipped with one notice line."""
    import soundfile as sf

    from m7amp.data import load_audio

    x, rate = load_audio(path, channel=0, notice=notice)
    channels = sf.info(str(path)).channels
    if channels > 1 and notice is not None:
        notice(f"{Path(path).name} has {channels} channels: using the left channel")
    return x, rate


def write_wav(path: str | Path, samples: np.ndarray, sample_rate: int, subtype: str = "PCM_24") -> None:
    """Write mono samples in [-1, 1] as a PCM WAV (24-bit unless ``subtype`` says otherwise), whatever the
    path's extension."""
    import soundfile as sf

    try:
        sf.write(str(path), np.clip(np.asarray(samples, np.float32), -1.0, 1.0), int(sample_rate),
                 subtype=subtype, format="WAV")
    except (sf.LibsndfileError, RuntimeError, OSError) as exc:
        raise M7Error(f"cannot write {path}: {str(exc).splitlines()[0]}") from None


def conform_rate(samples: np.ndarray, rate: int, wanted: int, what: str,
                 notice: Callable[[str], None] | None = None) -> np.ndarray:
    """``samples`` at ``wanted`` Hz: resampled (with one notice line) when ``rate`` differs."""
    if rate == wanted:
        return samples
    from m7amp.data import resample

    if notice is not None:
        notice(f"{what} is {rate} Hz, not {wanted} Hz: resampled to {wanted} Hz")
    return resample(samples, rate, wanted)


# ---- playing through the simulator -------------------------------------------------------------------
class _Stats:
    """The firmware's m7_audio_stats, read by ELF symbol (absent: no per-block cycles)."""

    def __init__(self, sim) -> None:
        self.sim = sim
        self.address = sim.firmware.symbols.get(STATS_SYMBOL)
        self.blocks_seen = 0
        self.cycles: list[int] = []
        self.unsampled = 0  # blocks that finished between two samples (their cycles are not known)

    def field(self, name: str) -> int:
        assert self.address is not None
        return struct.unpack("<I", self.sim.read_memory(self.address + STATS_FIELDS[name], 4))[0]

    @property
    def valid(self) -> bool:
        if self.address is None:
            return False
        magic, version = struct.unpack("<II", self.sim.read_memory(self.address, 8))
        return magic == STATS_MAGIC and version == STATS_VERSION

    def sample(self, _frame: int) -> None:
        if self.address is None:
            return
        blocks = self.field("blocks")
        if blocks > self.blocks_seen:
            self.cycles.append(self.field("cycles_last"))
            self.unsampled += blocks - self.blocks_seen - 1
            self.blocks_seen = blocks


def play(elf: str | Path, samples: np.ndarray, sample_rate: int, *,
         progress: Callable[[int, int], None] | None = None, notice: Callable[[str], None] | None = None,
         cycle_model: bool = True, memory_model: bool = True, gdb_port: int | None = None) -> PlayResult:
    """Play ``samples`` (mono float, ``sample_rate`` Hz) through the audio firmware ``elf``.

    ``progress(done, total)`` is called after each slice of virtual time (samples out so far);
    ``notice`` receives one-line messages (resampling). The output is at ``result.sample_rate``, the
    firmware's nominal rate (``nominal_rate`` of the SAI frame rate); an input at another rate is
    resampled to it first (one notice line). The exact frame rate is ``result.extra["frame_rate_hz"]``.

    ``gdb_port``: halt at reset and serve gdb on 127.0.0.1 (docs/debugging.md); the run goes on when
    gdb detaches. Virtual time stands still while gdb holds the core, so it causes no deadline misses."""
    from m7amp.sim import Simulator
    from m7amp.sim.periph import Sai

    x = np.asarray(samples, np.float32)
    if x.ndim != 1 or len(x) == 0:
        raise M7Error("play() needs a non-empty mono signal")
    sim = Simulator(elf, cycle_model=cycle_model, memory_model=memory_model)
    sai = next((p for p in sim.peripherals.values() if isinstance(p, Sai)), None)
    if sai is None:
        raise M7Error("the board description has no SAI model (renode/stm32f767.repl: sai1)")
    link, stats = sai.link, _Stats(sim)
    state: dict[str, object] = {"rate": sample_rate, "input": x}

    def on_start(frame_rate: float) -> None:
        rate = nominal_rate(frame_rate)
        if rate != sample_rate:
            state["input"] = conform_rate(x, sample_rate, rate, "the input", notice)
        state["rate"] = rate
        link.input = state["input"]  # type: ignore[assignment]

    link.on_start = on_start
    link.on_block = stats.sample
    if gdb_port is not None:
        from m7amp.sim.gdb import print_listening, serve_gdb

        session = serve_gdb(sim, gdb_port, on_listening=print_listening, audio_position=lambda: (
            f"{link.frames} frames, {len(link.output)}/{len(link.input)} samples out, "
            f"{sim.simulated_seconds:.6f} s"))
        if session.killed or session.exit_status is not None:
            raise M7Error("gdb ended the session before the audio was played")
    slice_cycles = int(CORE_HZ * SLICE_SECONDS)
    t0 = time.perf_counter()
    while True:
        result = sim.run(max_cycles=slice_cycles)
        if result.stop_reason == "fault":
            raise M7Error(f"{Path(elf).name}: {result.fault}")
        if result.stop_reason in ("exit", "idle", "breakpoint"):
            last = result.uart.strip().splitlines()[-1:] or ["no UART output"]
            raise M7Error(f"{Path(elf).name} stopped ({result.stop_reason}) after {link.frames} frames: "
                          f"{last[0]}")
        if link.sample_rate == 0.0:
            if sim.simulated_seconds > BOOT_SECONDS:
                raise M7Error(f"{Path(elf).name} did not start SAI1's frame clock within {BOOT_SECONDS:g} s "
                              "of virtual time (not an audio firmware?)")
            continue
        n = len(link.input)
        latency = _latency(link.latencies)
        if latency is None and link.misses and stats.valid:
            # every TX half so far was late (read before it was written): no half measures the latency,
            # so take the firmware's own (its START line's, as the Renode target does)
            latency = stats.field("latency") or None
        if progress is not None:
            progress(min(n, max(0, len(link.output) - (latency or 0))), n)
        if latency is not None and len(link.output) >= n + latency:
            break
        if latency is None and link.frames > n + 65536:
            raise M7Error(f"{Path(elf).name}: no TX half was written from a received half in "
                          f"{link.frames} frames: cannot measure the latency (does it process audio?)")
    assert latency is not None
    out = np.asarray(link.output[latency:latency + n], np.float32)
    overruns = stats.field("overruns") if stats.valid else None
    block = stats.field("block") if stats.valid else 0
    extra: dict[str, object] = {
        "frame_rate_hz": link.sample_rate, "frames": link.frames, "firmware_overruns": overruns,
        "latency_values": sorted(set(link.latencies)), "unsampled_blocks": stats.unsampled,
        "simulated_seconds": result.simulated_seconds, "host_seconds": time.perf_counter() - t0,
        "instructions": result.instructions, "warnings": list(result.warnings),
        "firmware_latency": stats.field("latency") if stats.valid else None,
    }
    cab = _cab_stats(sim)
    if cab is not None:
        extra["cab"] = cab
    # the firmware's sample format as it programmed the transmitter (SAI_xCR1.DS)
    io_bits = max((b.data_bits for b in sai.blocks.values() if b.transmitter), default=0)
    return PlayResult(output=out, sample_rate=int(state["rate"]),  # type: ignore[arg-type]
                      block_size=block, block_cycles=np.asarray(stats.cycles, np.int64),
                      deadline_misses=link.misses, latency_samples=latency, uart=result.uart, target="sim",
                      io_bits=io_bits, extra=extra)


def _cab_stats(sim) -> dict | None:
    """The cabinet IR stage's m7_audio_cab (taps, method, blocks, cycles), or None without one."""
    address = sim.firmware.symbols.get(CAB_SYMBOL)
    if address is None:
        return None
    magic, taps, fft, blocks, cycles = struct.unpack("<IIIIQ", sim.read_memory(address, 24))
    if magic != CAB_MAGIC:
        return None
    return {"taps": taps, "method": "fft" if fft else "fir", "blocks": blocks, "cycles_sum": cycles}


def nominal_rate(frame_rate: float) -> int:
    """The standard rate within 0.5 % of the SAI's exact frame rate (else the rate rounded to 1 Hz)."""
    for rate in STANDARD_RATES:
        if abs(frame_rate / rate - 1.0) <= RATE_TOLERANCE:
            return rate
    return round(frame_rate)


def _latency(values: list[int]) -> int | None:
    """The measured latency: the most common value (blocks written late measure differently)."""
    if not values:
        return None
    return Counter(values).most_common(1)[0][0]
