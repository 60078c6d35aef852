"""The rollout wait and IAM propagation: a task that stops because its roles or their policies, written
moments ago, are not yet in effect is forgiven, but only within a window and a count; after that the same
stop is fatal with its reason. Scripted ECS/ELBv2 fakes on a fake clock (5 s a poll); no test sleeps."""

from __future__ import annotations

from typing import Any

import pytest
from aws_testkit import FakeClock, Frame, Script, deployment, fake_clients, service, stopped_task, target

from humangov_deploy.errors import DeploymentFailed
from humangov_deploy.naming import names_for
from humangov_deploy.platforms.aws.wait import RolloutView, wait_for_rollout
from humangov_deploy.waits import Deadline

TD = "arn:aws:ecs:us-east-1:123456789012:task-definition/humangov-texas-fullstack:2"
OURS = "ecs-svc/2222"
TG = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/humangov-texas-tg/abc"
INTERVAL = 5
WINDOW = 180  # the wait's default propagation window, in seconds

# Stopped-task texts as ECS writes them
# (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/stopped-task-error-codes.html).
PULL_DENIED = (
    "CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref "
    "123456789012.dkr.ecr.us-east-1.amazonaws.com/humangov-app@sha256:aaaa: AccessDeniedException: "
    "User: arn:aws:sts::123456789012:assumed-role/humangov-texas-execution/x is not authorized to "
    "perform: ecr:BatchGetImage"
)
SECRET_DENIED = (
    "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval "
    "failed: unable to retrieve secrets from ssm: service call has been retried 1 time(s): "
    "AccessDeniedException: User: arn:aws:sts::123456789012:assumed-role/humangov-texas-execution/x is "
    "not authorized to perform: ssm:GetParameters"
)
PULL_FORBIDDEN = (
    "CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref "
    "123456789012.dkr.ecr.us-east-1.amazonaws.com/humangov-app@sha256:aaaa: unexpected status from HEAD "
    "request to https://123456789012.dkr.ecr.us-east-1.amazonaws.com/v2/humangov-app/manifests/sha256:aaaa: "
    "403 Forbidden"
)
ROLE_NOT_ASSUMABLE = "ECS was unable to assume the role 'arn:aws:iam::123456789012:role/humangov/x'"
HEALTHY = [target("10.0.1.10", "healthy"), target("10.0.2.10", "healthy")]


def rolling() -> dict[str, Any]:
    return service([deployment(OURS, TD, running=0, pending=2)])


def done() -> dict[str, Any]:
    return service([deployment(OURS, TD, running=2, rollout="COMPLETED")])


def denied(task_id: str, reason: str = PULL_DENIED, *, in_stopped_reason: bool = False) -> dict[str, Any]:
    """A task of our deployment that failed to start for `reason` (container reason or stoppedReason)."""
    if in_stopped_reason:
        return stopped_task(task_id, TD, OURS, stop_code="TaskFailedToStart", reason=reason)
    return stopped_task(
        task_id,
        TD,
        OURS,
        stop_code="TaskFailedToStart",
        reason="Task failed to start",
        container_reason=reason,
    )


def polls_until(seconds: float) -> int:
    """How many polls happen before the fake clock passes `seconds` (one poll every INTERVAL)."""
    return int(seconds // INTERVAL) + 1


def run_wait(frames: list[Frame], *, timeout: float = 1800) -> tuple[RolloutView | None, list[str]]:
    clock = FakeClock()
    lines: list[str] = []
    view = wait_for_rollout(
        fake_clients(Script(frames)),
        names_for("texas"),
        deployment_id=OURS,
        task_definition_arn=TD,
        target_group_arn=TG,
        mode="healthy",
        deadline=Deadline(timeout, clock),
        interval=INTERVAL,
        sleep=clock.sleep,
        progress=lines.append,
    )
    return view, lines


@pytest.mark.parametrize(
    ("reason", "in_stopped_reason"),
    [
        (PULL_DENIED, False),
        (PULL_FORBIDDEN, False),
        (SECRET_DENIED, False),
        (SECRET_DENIED, True),
        (ROLE_NOT_ASSUMABLE, True),
    ],
    ids=[
        "pull-denied",
        "pull-forbidden",
        "secret-denied",
        "secret-denied-as-stopped-reason",
        "role-not-assumable",
    ],
)
def test_an_early_stop_that_iam_propagation_explains_is_not_fatal(
    reason: str, in_stopped_reason: bool
) -> None:
    stop = denied("t-1", reason, in_stopped_reason=in_stopped_reason)
    frames = [
        Frame(rolling(), stopped=[stop]),
        Frame(rolling(), stopped=[stop]),
        Frame(done(), stopped=[stop], targets=HEALTHY),
    ]
    view, lines = run_wait(frames)
    assert view is not None and view.rollout == "COMPLETED"
    assert "1 task stop(s) put down to IAM propagation" in lines[0] and reason in lines[0]


def test_a_forgiven_stop_is_not_judged_again_after_the_window() -> None:
    # ECS lists stopped tasks for an hour: the early stop is still there when the window has passed.
    stop = denied("t-early")
    frames = [Frame(rolling(), stopped=[stop])] * polls_until(WINDOW + 60)
    frames.append(Frame(done(), stopped=[stop], targets=HEALTHY))
    view, _lines = run_wait(frames)
    assert view is not None and view.rollout == "COMPLETED"


def test_the_same_stop_after_the_window_is_fatal_with_its_reason() -> None:
    early = denied("t-early")
    frames = [Frame(rolling(), stopped=[early])] * polls_until(WINDOW)
    frames.append(Frame(rolling(), stopped=[early, denied("t-late")]))
    with pytest.raises(DeploymentFailed) as failure:
        run_wait(frames)
    message = str(failure.value)
    assert "task t-late stopped" in message and PULL_DENIED in message
    assert f"past the {WINDOW}s IAM propagation window" in message


def test_too_many_such_stops_within_the_window_are_fatal() -> None:
    stops: list[dict[str, Any]] = []
    frames = []
    for n in range(11):  # a new denied task every poll, all well inside the window
        stops = [*stops, denied(f"t-{n}", SECRET_DENIED)]
        frames.append(Frame(rolling(), stopped=stops))
    with pytest.raises(DeploymentFailed) as failure:
        run_wait(frames)
    message = str(failure.value)
    assert "task t-10 stopped" in message and "after 10 such stops" in message and SECRET_DENIED in message


def test_a_role_that_never_becomes_assumable_is_fatal_after_the_window() -> None:
    frames = [Frame(rolling())] * polls_until(WINDOW)
    frames.append(Frame(rolling(), stopped=[denied("t-late", ROLE_NOT_ASSUMABLE, in_stopped_reason=True)]))
    with pytest.raises(DeploymentFailed, match="unable to assume the role"):
        run_wait(frames)


def test_a_pull_that_fails_for_another_reason_fails_when_the_circuit_breaker_says_so() -> None:
    # Not forgiven as IAM propagation, but ECS retries a task that failed to start: the deployment's
    # FAILED (its circuit breaker) ends the wait, with the stop's reason.
    missing = (
        "CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref "
        "123456789012.dkr.ecr.us-east-1.amazonaws.com/humangov-app:nope: not found"
    )
    failed = service([deployment(OURS, TD, running=0, pending=0, rollout="FAILED", reason="circuit breaker")])
    with pytest.raises(DeploymentFailed, match="not found") as failure:
        run_wait([Frame(rolling(), stopped=[denied("t-1", missing)]), Frame(failed)])
    assert "circuit breaker" in str(failure.value)
