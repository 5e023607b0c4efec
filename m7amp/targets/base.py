"""The target interface: what every backend (simulator, Renode, a real board) offers to the tests,
the Robot keywords, ``m7amp run`` and the reports. See docs/targets.md.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path

import numpy as np

from m7amp.errors import M7Error
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


class FreshRunTarget(Target):
    """A backend that starts a fresh board for every ``play()`` (the simulator, Renode): ``load`` only
    records the ELF, ``reset`` has nothing left to do, and the UART log collects each run's output."""

    def __init__(self) -> None:
        self._elf: Path | None = None
        self._log = ""

    def load(self, elf: Path) -> None:
        elf = Path(elf)
        if not elf.is_file():
            raise M7Error(f"firmware not found: {elf}")
        self._elf = elf
        self._log = ""

    def loaded_elf(self) -> Path:
        """The ELF given to load(); M7Error before that."""
        if self._elf is None:
            raise M7Error("no firmware loaded: call load(elf) first")
        return self._elf

    def uart_log(self) -> str:
        return self._log

    def reset(self) -> None:
        self.loaded_elf()
