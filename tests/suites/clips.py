"""The guitar clips the WAV-driven suites play: the built-in synthetic DI guitar (always there) and a
few real DI recordings from ../shared/data (read in place, when present), each at the model's rate."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from m7amp.data import load_audio, resample, synth_guitar
from tests._skips import shared_data_dir

BUILTIN_SECONDS = 2.0  # "a few seconds", kept short: every second is ~48 k simulated engine calls
REAL_SECONDS = 1.0


@dataclass(frozen=True)
class Clip:
    name: str
    path: str | None  # relative to the shared data folder; None for the built-in guitar
    start_seconds: float = 0.0

    def samples(self, sample_rate: int) -> np.ndarray:
        """The clip as mono float32 at ``sample_rate``."""
        if self.path is None:
            return synth_guitar(BUILTIN_SECONDS, sample_rate=sample_rate, seed=7)
        root = shared_data_dir()
        assert root is not None, "the shared data folder vanished"
        x, rate = load_audio(Path(root) / self.path)
        first = int(self.start_seconds * rate)
        x = x[first : first + int(REAL_SECONDS * rate)]
        return resample(x, rate, sample_rate)


BUILTIN = Clip("builtin-guitar", None)
REAL = [
    # Marshall JVM 410H DI input, 44.1 kHz 16-bit stereo (dual mono): resampled to the model's rate
    Clip("jvm-di-file1", "marshall-jvm410h-greybox/B0_M0_T10/B0_M0_T10_G5_file_1_input.wav", 1.0),
    # dry guitar chords, MP3 at 48 kHz
    Clip("morphdrive-dry-chords", "morphdrive-overdrive-demo/dry/guitar-chords.mp3", 2.0),
]
