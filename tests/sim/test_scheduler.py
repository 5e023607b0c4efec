"""The event scheduler: the simulator's one mechanism for time."""

from __future__ import annotations

from m7amp.sim._scheduler import NEVER, Scheduler


def test_events_fire_in_time_then_scheduling_order() -> None:
    fired: list[str] = []
    sched = Scheduler()
    sched.schedule(30, "c", lambda: fired.append("c"))
    sched.schedule(10, "a", lambda: fired.append("a"))
    sched.schedule(10, "b", lambda: fired.append("b"))
    assert sched.next_time == 10
    assert sched.fire_due(9) == 0
    assert sched.fire_due(10) == 2 and fired == ["a", "b"]
    assert sched.fire_due(100) == 1 and fired == ["a", "b", "c"]
    assert sched.next_time == NEVER


def test_cancelled_events_do_not_fire_and_callbacks_can_reschedule() -> None:
    fired: list[int] = []
    seen: list[int] = []
    sched = Scheduler(on_schedule=seen.append)
    gone = sched.schedule(5, "gone", lambda: fired.append(-1))
    sched.cancel(gone)

    def tick(n: int = 0) -> None:
        fired.append(n)
        if n < 2:
            sched.schedule(10 * (n + 2), "tick", lambda: tick(n + 1))

    sched.schedule(10, "tick", tick)
    sched.fire_due(1000)
    assert fired == [0, 1, 2]
    assert seen == [5, 10, 20, 30]
