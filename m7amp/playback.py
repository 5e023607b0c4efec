"""The result of playing audio through firmware on a target (simulator, Renode or a board).

One type for every backend, so that ``m7amp run``, the pytest ``target`` fixture, the Robot keywords and
``m7amp report`` read the same fields.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

CORE_HZ = 216_000_000  # the F767's core clock as the firmware programs it (docs/firmware.md)


@dataclass
class PlayResult:
    """What came back from one WAV played through the firmware.

    ``output`` holds one float32 sample per input sample (mono, in [-1, 1]), already aligned so that
    ``output[i]`` answers ``input[i]``; ``latency_samples`` says how many samples the firmware's
    buffering delayed it by before that alignment. ``block_cycles`` are the DWT cycles the firmware
    spent on each processed block, in order.
    """

    output: np.ndarray
    sample_rate: int
    block_size: int
    block_cycles: np.ndarray
    deadline_misses: int = 0
    latency_samples: int = 0
    uart: str = ""
    target: str = "sim"
    io_bits: int = 0
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def cycles_per_sample(self) -> float:
        """Mean DWT cycles per sample over all processed blocks."""
        if len(self.block_cycles) == 0:
            return float("nan")
        return float(np.mean(self.block_cycles)) / self.block_size

    @property
    def cpu_load(self) -> float:
        """Mean fraction of the per-sample budget (core clock / sample rate) spent in the engine."""
        return self.cycles_per_sample / (CORE_HZ / self.sample_rate)

    @property
    def peak_load(self) -> float:
        """The worst block's fraction of its time budget."""
        if len(self.block_cycles) == 0:
            return float("nan")
        return float(np.max(self.block_cycles)) / (self.block_size * CORE_HZ / self.sample_rate)


def quantize(x: np.ndarray, bits: int) -> np.ndarray:
    """``x`` as ``bits``-bit signed integer samples hear it (round to nearest, saturate), back as float32
    in [-1, 1); ``bits = 0`` returns float32 ``x`` unchanged."""
    x = np.asarray(x, dtype=np.float32)
    if bits == 0:
        return x
    full = float(1 << (bits - 1))
    return (np.clip(np.round(x.astype(np.float64) * full), -full, full - 1) / full).astype(np.float32)
