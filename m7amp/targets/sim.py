"""The ``sim`` target: the firmware's audio app on the in-process F767 simulator.

Audio goes through the simulated SAI1 + DMA2 in virtual time (:func:`m7amp.audio.play`), so cycle
counts and deadline misses are the firmware's own. Each ``play()`` runs a fresh simulator from reset:
that is how the interface's "every play starts from a reset model state" holds here, and why
``reset()`` has nothing left to do.
"""

from __future__ import annotations

import importlib.util

import numpy as np

from m7amp.playback import PlayResult
from m7amp.targets.base import FreshRunTarget, Progress


class SimTarget(FreshRunTarget):
    name = "sim"
    app = "audio"

    @classmethod
    def unavailable_reason(cls, **options: object) -> str | None:
        if importlib.util.find_spec("m7amp.audio") is None:
            return "the simulated audio path (m7amp.audio) is not part of this build"
        return None

    def play(self, samples: np.ndarray, sample_rate: int, *, progress: Progress | None = None) -> PlayResult:
        elf = self.loaded_elf()
        from m7amp.audio import play

        result = play(elf, np.asarray(samples, dtype=np.float32), sample_rate, progress=progress)
        result.target = self.name
        self._log += result.uart
        return result
