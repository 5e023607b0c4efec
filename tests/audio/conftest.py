"""Shared fixtures for the audio tests: the SAI/DMA loopback fixture and the audio firmware builds."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

FIXTURES = Path(__file__).with_name("fixtures")


@pytest.fixture(scope="session")
def loopback_elf(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Path]:
    """Build tests/audio/fixtures/loopback.c with the given defines (one directory per configuration)."""
    from m7amp.sim import build_workload

    def build(**defines: object) -> Path:
        tag = "_".join(f"{k}{v}" for k, v in sorted(defines.items())) or "default"
        out = tmp_path_factory.getbasetemp() / f"loopback_{tag}"
        out.mkdir(exist_ok=True)
        return build_workload([FIXTURES / "loopback.c"], out, defines={k: str(v) for k, v in defines.items()})

    return build


@pytest.fixture(scope="session")
def audio_elf() -> Callable[..., Path]:
    """firmware/app/audio for the default package (cached per configuration under build/audio/)."""
    from m7amp.targets import build_firmware

    def build(precision: str = "f32", rate: int = 48000, block: int = 32, slow: int = 0) -> Path:
        return build_firmware("audio", precision=precision, sample_rate=rate, block=block, slow=slow)

    return build


def guitar(seconds: float, rate: int = 48000, seed: int = 0) -> np.ndarray:
    """A short synthetic guitar phrase (m7amp.data's synthesiser), peak 0.5."""
    from m7amp.data import synth_guitar

    return np.asarray(synth_guitar(seconds, rate, seed=seed, peak=0.5), np.float32)
