"""Every wait in the library goes through `poll_until` (or a botocore waiter built from `Deadline`).

Clock and sleep are injected, so unit tests run waits without ever sleeping on the wall clock.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from humangov_deploy.errors import DeploymentFailed, DeployTimeout

T = TypeVar("T")

Clock = Callable[[], float]
Sleep = Callable[[float], None]


@dataclass
class Deadline:
    """One deadline shared by every step of an operation (`--timeout`)."""

    seconds: float
    clock: Clock = time.monotonic

    def __post_init__(self) -> None:
        self.expires_at = self.clock() + self.seconds

    def remaining(self) -> float:
        return max(0.0, self.expires_at - self.clock())

    def expired(self) -> bool:
        return self.remaining() <= 0

    def waiter_config(self, delay: float) -> dict[str, int]:
        """WaiterConfig for a botocore waiter that gives up when this deadline does."""
        delay = max(1, int(delay))
        return {"Delay": delay, "MaxAttempts": max(1, int(self.remaining() // delay))}


@dataclass
class Poll(Generic[T]):
    """What one check saw: `done` ends the wait, `fatal` (a reason) fails it at once."""

    done: bool
    state: T
    fatal: str | None = None


def poll_until(
    check: Callable[[], Poll[T]],
    *,
    timeout: float | Deadline,
    interval: float,
    what: str,
    clock: Clock = time.monotonic,
    sleep: Sleep = time.sleep,
    on_progress: Callable[[T], None] | None = None,
    hint: str = "",
) -> T:
    """Call `check` until it is done, fails fatally, or the deadline runs out.

    Fails fast: a fatal state raises DeploymentFailed with its reason instead of running out the clock.
    """
    deadline = timeout if isinstance(timeout, Deadline) else Deadline(timeout, clock)
    last: T | None = None
    while True:
        result = check()
        last = result.state
        if on_progress is not None:
            on_progress(result.state)
        if result.fatal:
            raise DeploymentFailed(f"{what}: {result.fatal}")
        if result.done:
            return result.state
        remaining = deadline.remaining()
        if remaining <= 0:
            raise DeployTimeout(what, last, hint)
        sleep(min(interval, remaining))
