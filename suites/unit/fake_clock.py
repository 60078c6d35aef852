"""The unit suite's one fake clock: waits under test advance it instead of sleeping on the wall clock."""

from __future__ import annotations


class FakeClock:
    """monotonic() and sleep() in one: sleeping advances the clock and is recorded, nothing waits."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
