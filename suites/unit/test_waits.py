from __future__ import annotations

import pytest
from fake_clock import FakeClock

from humangov_deploy.errors import DeploymentFailed, DeployTimeout
from humangov_deploy.waits import Deadline, Poll, poll_until


def test_poll_until_returns_the_state_that_ended_the_wait() -> None:
    clock = FakeClock()
    states = iter(["PENDING", "PENDING", "RUNNING"])

    def check() -> Poll[str]:
        state = next(states)
        return Poll(state == "RUNNING", state)

    seen: list[str] = []
    result = poll_until(
        check, timeout=60, interval=5, what="task", clock=clock, sleep=clock.sleep, on_progress=seen.append
    )
    assert result == "RUNNING"
    assert seen == ["PENDING", "PENDING", "RUNNING"]
    assert clock.sleeps == [5, 5]


def test_a_fatal_state_fails_at_once_with_its_reason() -> None:
    clock = FakeClock()
    with pytest.raises(DeploymentFailed, match="CannotPullContainerError"):
        poll_until(
            lambda: Poll(False, "STOPPED", fatal="task stopped: CannotPullContainerError"),
            timeout=600,
            interval=5,
            what="service",
            clock=clock,
            sleep=clock.sleep,
        )
    assert clock.sleeps == []


def test_timeout_reports_the_last_state_and_the_hint() -> None:
    clock = FakeClock()
    with pytest.raises(DeployTimeout) as raised:
        poll_until(
            lambda: Poll(False, {"healthy": 1, "wanted": 2}),
            timeout=12,
            interval=5,
            what="targets",
            clock=clock,
            sleep=clock.sleep,
            hint="check the health path",
        )
    assert raised.value.last_state == {"healthy": 1, "wanted": 2}
    assert "check the health path" in str(raised.value)
    # The last sleep is cut to what is left of the deadline, so the wait never overruns it.
    assert sum(clock.sleeps) == pytest.approx(12)


def test_a_shared_deadline_spans_several_waits() -> None:
    clock = FakeClock()
    deadline = Deadline(20, clock)
    poll_until(lambda: Poll(clock.now >= 1015, None), timeout=deadline, interval=5, what="a", clock=clock,
               sleep=clock.sleep)  # fmt: skip
    assert deadline.remaining() == pytest.approx(5)
    with pytest.raises(DeployTimeout):
        poll_until(
            lambda: Poll(False, None), timeout=deadline, interval=5, what="b", clock=clock, sleep=clock.sleep
        )


def test_waiter_config_never_outlives_the_deadline() -> None:
    clock = FakeClock()
    deadline = Deadline(61, clock)
    config = deadline.waiter_config(delay=15)
    assert config == {"Delay": 15, "MaxAttempts": 4}
    clock.now += 100
    assert deadline.waiter_config(delay=15)["MaxAttempts"] == 1
