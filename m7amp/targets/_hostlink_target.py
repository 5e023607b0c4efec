"""What the Renode and board backends share: the ``hostlink`` firmware app spoken to over a byte stream
(docs/hostlink.md). A subclass starts the firmware in ``load`` and opens the stream in ``_open``."""

from __future__ import annotations

from abc import abstractmethod
from pathlib import Path

import numpy as np

from m7amp.errors import M7Error
from m7amp.hostlink import HostLinkClient, Stream, play_blocks
from m7amp.playback import PlayResult
from m7amp.targets.base import Progress, Target

DEFAULT_BLOCK = 64  # samples per PROCESS frame (the firmware takes up to 256)
HELLO_ATTEMPTS, HELLO_TIMEOUT = 5, 2.0  # first contact after load(): up to 5 HELLOs, 2 s each


class HostLinkTarget(Target):
    """A Target whose firmware is the ``hostlink`` app: blocks of samples in, output and DWT cycles out."""

    app = "hostlink"

    def __init__(self, *, block_size: int = DEFAULT_BLOCK, timeout: float = 10.0):
        # int()/float(): options may come as text (pytest --target-option KEY=VALUE, Robot variables)
        self.block_size = int(block_size)
        self.timeout = float(timeout)  # seconds per reply (host time)
        self.elf: Path | None = None
        self._stream: Stream | None = None
        self._client: HostLinkClient | None = None
        self._log = ""

    @abstractmethod
    def _open(self) -> Stream:
        """Open the byte stream to the running firmware's USART3."""

    def _close_stream(self) -> None:
        close = getattr(self._stream, "close", None)
        if close is not None:
            close()
        if self._client is not None:
            self._log += self._client.skipped_text
        self._stream = self._client = None

    def client(self) -> HostLinkClient:
        """The protocol client on the open stream (opened on first use after load())."""
        if self.elf is None:
            raise M7Error(f"{self.name}: load() a firmware ELF first")
        if self._client is None:
            self._stream = self._open()
            self._client = HostLinkClient(self._stream, timeout=self.timeout)
            # the firmware may still be starting: a few short HELLOs before the first long wait
            self._client.info(attempts=HELLO_ATTEMPTS, timeout=min(self.timeout, HELLO_TIMEOUT))
        return self._client

    def play(self, samples: np.ndarray, sample_rate: int, *, progress: Progress | None = None) -> PlayResult:
        result = play_blocks(self.client(), samples, sample_rate, self.block_size, target=self.name,
                             progress=progress)
        result.uart = self.uart_log()
        return result

    def uart_log(self) -> str:
        """Text the firmware printed (its banner; the host-link frames themselves are not included)."""
        return self._log + (self._client.skipped_text if self._client is not None else "")

    def close(self) -> None:
        self._close_stream()


class SimHostLinkTarget(HostLinkTarget):
    """The ``hostlink`` firmware on the in-process simulator: the board backend's code path (framing,
    cycles from DWT) without hardware, in virtual time. Deterministic: same ELF and input, same bits and
    cycles. ``timeout`` is in virtual seconds."""

    name = "sim-hostlink"

    def __init__(self, *, block_size: int = DEFAULT_BLOCK, timeout: float = 1.0, cycle_model: bool = True,
                 memory_model: bool = True):
        super().__init__(block_size=block_size, timeout=timeout)
        self.cycle_model = cycle_model not in (False, "0", "false", "False", "no")
        self.memory_model = memory_model not in (False, "0", "false", "False", "no")

    def load(self, elf: Path) -> None:
        elf = Path(elf)
        if not elf.is_file():
            raise M7Error(f"{elf}: no such firmware ELF")
        self._close_stream()
        self.elf = elf

    def reset(self) -> None:
        self._close_stream()  # the next client() starts a new simulator from reset

    def _open(self) -> Stream:
        from m7amp.sim import Simulator
        from m7amp.sim.uart_stream import SimUartStream

        assert self.elf is not None
        return SimUartStream(Simulator(self.elf, cycle_model=self.cycle_model,
                                        memory_model=self.memory_model))
