"""The target interface: what every backend (simulator, Renode, a real board) offers to the tests,
the Robot keywords, ``m7amp run`` and the reports. See docs/targets.md.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path

import numpy as np

from m7amp.playback import PlayResult

# progress(done_samples, total_samples), called now and then during play()
Progress = Callable[[int, int], None]


class Target(ABC):
    """One board, simulated or real, running one firmware ELF.

    ``app`` names the firmware app the backend runs: ``audio`` (SAI + DMA, audio in virtual time:
    the simulator and Renode) or ``hostlink`` (blocks framed over USART3: a real board).

    Every ``play()`` starts from a reset model state (the backend resets or reloads the firmware
    first), so a result never depends on what was played before and compares directly with the
    reference model run from silence.
    """

    name: str = ""
    app: str = ""

    @classmethod
    def unavailable_reason(cls, **options: object) -> str | None:
        """Why this backend cannot run on this machine with these options (a missing binary, probe or
        port), as one line; None when it can. The pytest fixture and the Robot library skip with it."""
        return None

    @abstractmethod
    def load(self, elf: Path) -> None:
        """Load (flash, or map into the simulator) ``elf`` and start it from reset."""

    @abstractmethod
    def play(self, samples: np.ndarray, sample_rate: int, *, progress: Progress | None = None) -> PlayResult:
        """Feed mono float32 ``samples`` at ``sample_rate`` through the firmware; return what came back."""

    @abstractmethod
    def uart_log(self) -> str:
        """Everything the firmware printed on USART3 since load()."""

    @abstractmethod
    def reset(self) -> None:
        """Reset the board and restart the firmware (the model's state is lost)."""

    def close(self) -> None:  # noqa: B027 - optional for backends holding nothing
        """Release processes, ports and files."""

    def __enter__(self) -> Target:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
