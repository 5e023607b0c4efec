"""The ``renode`` target: the ``audio`` ELF (the one the simulator and a board run) in Renode, with audio
through m7amp's Renode models of SAI1 and DMA2 (renode/STM32F7_SAI.cs, renode/STM32F7_DMA.cs).

Each ``play()`` starts a fresh Renode on ``renode/m7amp.resc`` (so every play starts from reset, as the
interface requires) through ``RenodeSession`` (m7amp/targets/renode.py: the version check, the private
folder and the one-line failures: a .repl/.resc error, Renode's ``[ERROR]`` lines or exit, a firmware fault
or failed start, a time limit with the tail of Renode's log), and:

1. sets the model's files: ``sai1 OutputFile`` (raw int16, the transmitter's left slot per frame),
   ``sai1 StartFile`` (the model writes the exact frame rate there when the firmware starts SAI1's frame
   clock, and holds virtual time until the input is given), ``dma2 TraceFile`` (one line per RX half/
   complete event: virtual time, deadline misses so far and the firmware's ``m7_audio_stats`` counters
   ``blocks``, ``overruns``, ``cycles_last``); USART3 goes to a file;
2. once the frame rate is known, resamples the input to the firmware's nominal rate if needed, writes it
   as raw int16 (rounded and saturated as the simulator's receiver does) and gives it to ``sai1 InputFile``;
3. waits until every input sample has come out (latency: the firmware's ``latency=`` in its START line),
   reads the executed instructions and quits.

Virtual time: ``cpu PerformanceInMips`` is set to ``mips`` (default :data:`AUDIO_MIPS`), and DWT.CYCCNT
counts virtual time at 216 MHz, so Renode's "cycles" are instructions x 216 / mips, not a cycle model
(docs/renode.md, "What Renode measures").
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import numpy as np

from m7amp.errors import M7Error
from m7amp.playback import PlayResult
from m7amp.targets.base import FreshRunTarget, Progress
from m7amp.targets.renode import RenodeSession, RenodeTarget, fault_dump

# Renode's CPU executes one instruction per tick of virtual time at PerformanceInMips. The Cortex-M7 issues
# up to two per cycle: the simulator's cycle model gives 1.47 instructions per cycle on the nano f32 audio
# ISR (143,300 instructions, 97,400 cycles per 32-sample block), so 216 MHz x 1.5 is the default for audio.
AUDIO_MIPS = 324
START_TIMEOUT = 240.0  # host seconds for Renode to start and the firmware to start SAI1's frame clock
STATS_SYMBOL = "m7_audio_stats"
STATS_BLOCKS = 0x2C  # blocks, overruns, cycles_last follow (docs/audio.md, layout version 1)
RX_STREAM = 5
POLL = 0.05


def _stats_address(elf: Path) -> int | None:
    from m7amp.sim._elf import Firmware

    return Firmware(elf).symbols.get(STATS_SYMBOL)


def audio_commands(folder: Path, mips: int, stats: int | None) -> list[str]:
    """The monitor commands of one audio run, after ``renode/m7amp.resc`` (``folder``: the session's
    private files)."""
    commands = [
        f"cpu PerformanceInMips {mips}",
        "logLevel 3 nvic",  # every cache clean/invalidate by address is an "unhandled write" warning
        f"sai1 OutputFile @{folder / 'output.raw'}", f"sai1 StartFile @{folder / 'start.txt'}",
        f"dma2 TraceFile @{folder / 'trace.txt'}",
    ]
    if stats is not None:
        commands += [f"dma2 TraceAddress {stats + STATS_BLOCKS:#x}", "dma2 TraceWords 3"]
    return commands


class RenodeAudioTarget(FreshRunTarget):
    """Renode running the ``audio`` firmware; audio through the SAI1/DMA2 models in virtual time.

    ``renode``: the executable (default: ``$RENODE``, else ``renode`` on PATH); ``mips``: PerformanceInMips
    for the run; ``timeout``: host seconds allowed for one play (startup included)."""

    name = "renode"
    app = "audio"

    def __init__(self, *, renode: str | None = None, mips: int = AUDIO_MIPS, timeout: float = 1800.0):
        super().__init__()
        self.renode = renode
        self.mips = int(mips)
        if self.mips <= 0:
            raise M7Error(f"renode: mips must be positive, got {mips}")
        self.timeout = float(timeout)

    @classmethod
    def unavailable_reason(cls, *, renode: str | None = None, **options: object) -> str | None:
        return RenodeTarget.unavailable_reason(renode=renode)

    def play(self, samples: np.ndarray, sample_rate: int, *, progress: Progress | None = None) -> PlayResult:
        elf = self.loaded_elf()
        x = np.asarray(samples, np.float32)
        if x.ndim != 1 or len(x) == 0:
            raise M7Error("play() needs a non-empty mono signal")
        with RenodeSession(self.renode, startup_timeout=START_TIMEOUT) as session:
            run = _AudioRun(session, elf, self.mips, self.timeout)
            try:
                return run.play(x, sample_rate, progress)
            finally:
                self._log += session.uart_text()


class _AudioRun:
    """One Renode session (m7amp.targets.renode.RenodeSession) playing one signal."""

    def __init__(self, session: RenodeSession, elf: Path, mips: int, timeout: float):
        self.session, self.elf, self.mips = session, elf, mips
        self.deadline = time.monotonic() + timeout
        stats = _stats_address(elf)
        self.has_stats = stats is not None
        self.t0 = time.perf_counter()
        session.start(elf, uart="file", commands=lambda folder: audio_commands(folder, mips, stats))
        self.folder = session.folder

    def uart(self) -> str:
        return self.session.uart_text()

    def _firmware_ok(self) -> None:
        """One line if the firmware reported a failed start, faulted or stopped."""
        lines = [line.strip() for line in self.uart().splitlines() if line.strip()]
        for i, line in enumerate(lines):
            if line.startswith(("M7AMP AUDIO FAIL", "M7AMP FAULT")):
                raise M7Error(f"{self.elf.name} in Renode: {' / '.join(lines[i:i + 3])}")
        if self.session.exit_status is not None:
            report = fault_dump(self.uart()) or (lines[-1] if lines else "no UART output")
            status = self.session.exit_status
            raise M7Error(f"{self.elf.name} stopped in Renode with m7_exit({status}): {report}")

    def _wait(self, done: Callable[[], bool], what: str, timeout: float | None = None) -> None:
        """``RenodeSession.wait_until`` (Renode's errors, its exit, a time limit with its log's tail), also
        watching the firmware's UART for a failure; ``timeout`` (host s) within the play's deadline."""
        left = self.deadline - time.monotonic()
        limit = left if timeout is None else min(left, timeout)

        def check() -> bool:
            self._firmware_ok()
            return done()

        self.session.wait_until(check, max(limit, 0.0), what)

    # ---- the run -----------------------------------------------------------------------------------------
    def play(self, x: np.ndarray, sample_rate: int, progress: Progress | None) -> PlayResult:
        from m7amp.audio import conform_rate, nominal_rate

        start = self.folder / "start.txt"
        self._wait(lambda: start.exists() and start.read_text().endswith("\n"),
                   "see the firmware start SAI1's frame clock (not an audio firmware?)", START_TIMEOUT)
        frame_rate = Fraction(start.read_text().strip())
        rate = nominal_rate(float(frame_rate))
        x = conform_rate(x, sample_rate, rate, "the input") if rate != sample_rate else x
        pcm = np.clip(np.round(x.astype(np.float64) * 32768.0), -32768, 32767).astype("<i2")
        pcm.tofile(self.folder / "input.raw")
        t_audio = time.perf_counter()
        latency = self._latency()  # printed before the firmware enables SAI1
        n = len(x)
        self.session.command(f"sai1 PauseAtFrame {n + latency}")
        self.session.command(f"sai1 InputFile @{self.folder / 'input.raw'}")  # the emulation goes on here
        out_path = self.folder / "output.raw"

        def played() -> bool:
            frames = out_path.stat().st_size // 2 if out_path.exists() else 0
            if progress is not None:
                progress(min(n, max(0, frames - latency)), n)
            return frames >= n + latency

        self._wait(played, f"play {n} samples")
        host_seconds = time.perf_counter() - t_audio
        instructions = self._instructions()
        output = np.fromfile(out_path, "<i2")[latency:latency + n].astype(np.float32) / 32768.0
        trace = self._trace()
        cycles = _block_cycles(trace)
        last = trace[-1] if trace else None
        misses = last[2] if last else 0
        m = re.search(r"M7AMP AUDIO START .*block=(\d+)", self.uart())
        block = int(m.group(1)) if m else 0
        extra: dict[str, object] = {
            "frame_rate_hz": float(frame_rate), "frames": n + latency,
            "firmware_overruns": last[4] if last and self.has_stats else None,
            "latency_values": [latency], "unsampled_blocks": 0,
            "simulated_seconds": last[1] / 1e9 if last else 0.0, "host_seconds": host_seconds,
            "startup_seconds": t_audio - self.t0, "instructions": instructions, "warnings": [],
            "firmware_latency": latency, "mips": self.mips,
        }
        return PlayResult(output=output, sample_rate=rate, block_size=block, block_cycles=cycles,
                          deadline_misses=misses, latency_samples=latency, uart=self.uart(), target="renode",
                          io_bits=16, extra=extra)

    def _latency(self) -> int:
        pattern = re.compile(r"M7AMP AUDIO START .*latency=(\d+)")
        self._wait(lambda: pattern.search(self.uart()) is not None, "see the firmware's START line on USART3")
        m = pattern.search(self.uart())
        assert m is not None
        return int(m.group(1))

    def _instructions(self) -> int | None:
        """``cpu ExecutedInstructions``, read from Renode's console output."""
        marker = "m7amp-instructions"
        self.session.command(f'echo "{marker}"')
        self.session.command("cpu ExecutedInstructions")
        self.session.command('echo "m7amp-end"')
        for _ in range(200):
            text = self.session.log_path.read_text(errors="replace")
            after = text.rpartition(marker)[2] if "m7amp-end" in text else ""
            m = re.search(r"^\s*(0x[0-9A-Fa-f]+|\d+)\s*$", after, re.M)
            if m:
                return int(m.group(1), 0)
            if self.session.proc is None or self.session.proc.poll() is not None:
                break
            time.sleep(POLL)
        return None

    def _trace(self) -> list[tuple[int, int, int, int, int, int]]:
        """(stream, time ns, misses, blocks, overruns, cycles_last) per RX half/complete event."""
        path = self.folder / "trace.txt"
        rows = []
        for line in path.read_text().splitlines() if path.exists() else ():
            f = line.split()
            if len(f) >= 7 and int(f[0]) == RX_STREAM:
                rows.append((int(f[0]), int(f[2]), int(f[3]), int(f[4]), int(f[5]), int(f[6])))
        return rows


def _block_cycles(trace: list[tuple[int, int, int, int, int, int]]) -> np.ndarray:
    """The firmware's per-block DWT cycles, sampled at every RX half event as the simulator does: when
    ``blocks`` has grown since the last event, ``cycles_last`` is the newest block's."""
    seen, cycles = 0, []
    for _, _, _, blocks, _, last in trace:
        if blocks > seen:
            cycles.append(last)
            seen = blocks
    return np.asarray(cycles, np.int64)


__all__ = ["AUDIO_MIPS", "RenodeAudioTarget", "audio_commands"]
