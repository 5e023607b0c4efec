"""The one mechanism for time: events at absolute virtual times (core cycles), fired in order.

Peripherals (SysTick, USART, RCC ready bits, later SAI/DMA) schedule callbacks; the run loop tells the
block hook to stop at the earliest one and fires every event that is due. Ties fire in scheduling order,
so runs are deterministic.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass, field

NEVER = 2**64 - 1


@dataclass(order=True)
class Event:
    time: int
    seq: int
    name: str = field(compare=False)
    callback: Callable[[], None] = field(compare=False)
    cancelled: bool = field(default=False, compare=False)


class Scheduler:
    """A heap of events keyed by (time, sequence number)."""

    def __init__(self, on_schedule: Callable[[int], None] | None = None) -> None:
        self._heap: list[Event] = []
        self._seq = 0
        self._on_schedule = on_schedule  # told each new event's time (the run loop moves its stop time)

    def schedule(self, time: int, name: str, callback: Callable[[], None]) -> Event:
        """Run ``callback`` when virtual time reaches ``time`` (core cycles)."""
        self._seq += 1
        event = Event(int(time), self._seq, name, callback)
        heapq.heappush(self._heap, event)
        if self._on_schedule is not None:
            self._on_schedule(event.time)
        return event

    @staticmethod
    def cancel(event: Event | None) -> None:
        if event is not None:
            event.cancelled = True

    @property
    def next_time(self) -> int:
        while self._heap and self._heap[0].cancelled:
            heapq.heappop(self._heap)
        return self._heap[0].time if self._heap else NEVER

    def fire_due(self, now: int) -> int:
        """Fire every event with time <= now; return how many fired."""
        fired = 0
        while self.next_time <= now:
            event = heapq.heappop(self._heap)
            event.callback()
            fired += 1
        return fired

    def clear(self) -> None:
        self._heap.clear()

    def pending(self) -> list[tuple[int, str]]:
        return sorted((e.time, e.name) for e in self._heap if not e.cancelled)
