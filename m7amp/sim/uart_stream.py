"""USART3 of a ``Simulator`` as a byte stream (``read``/``write``), so host-side protocol code (the
host-link client) talks to simulated firmware exactly as to a serial port.

``read(n)`` runs the simulator in slices of virtual time until ``n`` bytes have come out of USART3 or
``slice_cycles`` have passed without reaching ``n`` (then it returns what it has, maybe ``b""``).
``clock()`` is virtual time in seconds, so timeouts measured with it are deterministic.
"""

from __future__ import annotations

from m7amp.errors import M7Error
from m7amp.sim._simulator import Simulator


class SimUartStream:
    """Bytes in: ``Simulator.uart_input``; bytes out: collected from ``Simulator.on_uart``."""

    def __init__(self, sim: Simulator, *, slice_cycles: int = 216_000):
        self.sim = sim
        self.slice_cycles = slice_cycles  # 1 ms of virtual time at 216 MHz
        self.out = bytearray()
        self.log = bytearray()  # everything the firmware sent, for uart_log()
        sim.on_uart = self._collect

    def _collect(self, text: str) -> None:
        data = text.encode("latin-1")  # the simulator hands bytes over as latin-1 text
        self.out += data
        self.log += data

    def clock(self) -> float:
        return self.sim.simulated_seconds

    def write(self, data: bytes) -> int:
        self.sim.uart_input(bytes(data))
        return len(data)

    def read(self, n: int) -> bytes:
        if len(self.out) < n:
            result = self.sim.run(max_cycles=self.slice_cycles)
            if result.stop_reason in ("exit", "fault", "idle"):
                detail = result.fault or f"status {result.status}"
                if len(self.out) == 0:
                    raise M7Error(f"simulated firmware stopped ({result.stop_reason}: {detail}) while the "
                                  "host waited for bytes")
        data = bytes(self.out[:n])
        del self.out[:n]
        return data
