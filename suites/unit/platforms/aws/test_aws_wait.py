"""The rollout wait on scripted ECS/ELBv2 fakes: success, rollback, stopped tasks, unhealthy targets,
throttling, a deadline that runs out; and the bounded retry for IAM propagation. No test sleeps."""

from __future__ import annotations

from typing import Any

import pytest
from aws_testkit import (
    FakeClock,
    Frame,
    Script,
    deployment,
    fake_clients,
    service,
    stopped_task,
    target,
    throttled,
)
from botocore.exceptions import ClientError

from humangov_deploy.aws.call import AwsError
from humangov_deploy.errors import DeploymentFailed, DeployTimeout
from humangov_deploy.naming import names_for
from humangov_deploy.platforms.aws.wait import RolloutView, WaitMode, retry_iam_propagation, wait_for_rollout
from humangov_deploy.waits import Deadline

TD1 = "arn:aws:ecs:us-east-1:123456789012:task-definition/humangov-texas-fullstack:1"
TD2 = "arn:aws:ecs:us-east-1:123456789012:task-definition/humangov-texas-fullstack:2"
OURS = "ecs-svc/2222"
OLD = "ecs-svc/1111"
TG = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/humangov-texas-tg/abc"


def run_wait(
    frames: list[Frame], *, timeout: float = 120, mode: WaitMode = "healthy"
) -> tuple[RolloutView | None, FakeClock, list[str], Script]:
    script = Script(frames)
    clock = FakeClock()
    lines: list[str] = []
    view = wait_for_rollout(
        fake_clients(script),
        names_for("texas"),
        deployment_id=OURS,
        task_definition_arn=TD2,
        target_group_arn=TG,
        mode=mode,
        deadline=Deadline(timeout, clock),
        interval=5,
        sleep=clock.sleep,
        progress=lines.append,
    )
    return view, clock, lines, script


def rolling(running: int, *, old_running: int = 2) -> dict[str, Any]:
    return service(
        [
            deployment(OURS, TD2, running=running, pending=2 - running),
            deployment(OLD, TD1, status="ACTIVE", running=old_running, rollout="COMPLETED"),
        ]
    )


def done_service() -> dict[str, Any]:
    return service([deployment(OURS, TD2, running=2, rollout="COMPLETED")])


HEALTHY = [target("10.0.1.10", "healthy"), target("10.0.2.10", "healthy")]


def test_rollout_success_waits_for_stability_and_healthy_targets() -> None:
    frames = [
        Frame(rolling(0), targets=[target("10.0.1.9", "healthy"), target("10.0.2.9", "healthy")]),
        Frame(rolling(1), targets=[target("10.0.1.10", "initial", "Elb.RegistrationInProgress")]),
        Frame(rolling(2, old_running=0), targets=HEALTHY),  # two deployments still: not stable
        Frame(done_service(), targets=[target("10.0.1.10", "healthy"), target("10.0.2.10", "initial")]),
        Frame(done_service(), targets=[*HEALTHY, target("10.0.1.9", "draining")]),
    ]
    view, clock, lines, script = run_wait(frames)
    assert view is not None and view.running == 2 and view.rollout == "COMPLETED"
    assert script.index == 4
    assert clock.sleeps == [5, 5, 5, 5]
    assert "Elb.RegistrationInProgress" in lines[1]
    assert lines[-1].startswith("humangov-texas-service: 2/2 running")
    assert len(lines) == len(set(lines))  # a progress line only when something changed


def test_stable_mode_does_not_look_at_targets() -> None:
    view, _clock, _lines, script = run_wait([Frame(done_service(), targets=[])], mode="stable")
    assert view is not None and view.rollout == "COMPLETED"
    assert "DescribeTargetHealth" not in script.calls


def test_none_mode_does_not_poll() -> None:
    view, _clock, lines, script = run_wait([Frame(error=AssertionError("must not be called"))], mode="none")
    assert view is None and script.calls == []
    assert "not waiting" in lines[0]


def test_circuit_breaker_rollback_fails_fast_with_the_reason() -> None:
    reason = "ECS deployment circuit breaker: tasks failed to start."
    frames = [
        Frame(rolling(0)),
        Frame(
            service(
                [
                    deployment(OLD, TD1, running=2, rollout="IN_PROGRESS"),  # the rollback, now PRIMARY
                    deployment(OURS, TD2, status="ACTIVE", rollout="FAILED", reason=reason, failed=3),
                ]
            )
        ),
    ]
    with pytest.raises(DeploymentFailed) as failure:
        run_wait(frames, timeout=600)
    assert reason in str(failure.value)
    assert "rolled back" in str(failure.value)


def test_a_deployment_replaced_by_another_is_fatal() -> None:
    frames = [
        Frame(service([deployment(OLD, TD1, running=2, rollout="COMPLETED")], events=("rolling back",)))
    ]
    with pytest.raises(DeploymentFailed, match="was replaced") as failure:
        run_wait(frames)
    assert TD1 in str(failure.value) and "rolling back" in str(failure.value)


def start_failure(task_id: str, why: str) -> dict[str, Any]:
    return stopped_task(
        task_id, TD2, OURS, stop_code="TaskFailedToStart", reason="Task failed to start", container_reason=why
    )


PULL_ERROR = "CannotPullContainerError: pull image manifest has been retried 5 time(s)"
INIT_ERROR = "ResourceInitializationError: failed to configure ENI: timed out"


def test_tasks_that_fail_to_start_are_counted_while_ecs_retries_them() -> None:
    # ECS starts another task after a start failure; the first such stop is not the deploy's end.
    frames = [
        Frame(rolling(0), stopped=[start_failure("t-1", INIT_ERROR)]),
        Frame(rolling(1), stopped=[start_failure("t-1", INIT_ERROR)]),
        Frame(done_service(), targets=HEALTHY, stopped=[start_failure("t-1", INIT_ERROR)]),
    ]
    view, _clock, lines, _script = run_wait(frames)
    assert view is not None and view.rollout == "COMPLETED"
    assert any("1 task(s) failed to start, ECS retries them" in line and INIT_ERROR in line for line in lines)


def test_tasks_that_stop_at_start_fail_the_wait_when_the_circuit_breaker_fails_the_deployment() -> None:
    failed = service(
        [
            deployment(OLD, TD1, running=2, rollout="IN_PROGRESS"),
            deployment(OURS, TD2, status="ACTIVE", rollout="FAILED", reason="circuit breaker", failed=3),
        ]
    )
    frames = [
        Frame(rolling(0)),
        Frame(
            rolling(0),
            stopped=[
                stopped_task(
                    "t-old", TD1, OLD, stop_code="ServiceSchedulerInitiated", reason="Scaling activity"
                ),
                start_failure("t-new", PULL_ERROR),
            ],
        ),
        Frame(failed),
    ]
    with pytest.raises(DeploymentFailed) as failure:
        run_wait(frames)
    message = str(failure.value)
    assert "circuit breaker" in message and PULL_ERROR in message and "TaskFailedToStart" in message


def test_start_failures_past_the_limit_fail_the_wait_without_a_circuit_breaker() -> None:
    from humangov_deploy.platforms.aws.wait import START_FAILURE_LIMIT

    stops = [start_failure(f"t-{n}", PULL_ERROR) for n in range(START_FAILURE_LIMIT)]
    frames = [Frame(rolling(0), stopped=stops[: START_FAILURE_LIMIT - 1]), Frame(rolling(0), stopped=stops)]
    with pytest.raises(DeploymentFailed, match=f"{START_FAILURE_LIMIT} tasks failed to start") as failure:
        run_wait(frames)
    assert f"t-{START_FAILURE_LIMIT - 1}" in str(failure.value)


def vcpu_event(at: Any) -> dict[str, Any]:
    return {
        "id": "e1",
        "createdAt": at,
        "message": "(service humangov-texas-service) was unable to place a task. Reason: You've reached the "
        "limit on the number of vCPUs you can run concurrently.",
    }


def test_a_vcpu_quota_event_ends_the_wait_at_once_with_its_reason() -> None:
    from datetime import UTC, datetime, timedelta

    started = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    fresh = rolling(0)
    fresh["deployments"][0]["createdAt"] = started
    fresh["events"] = [vcpu_event(started + timedelta(seconds=30))]
    with pytest.raises(DeploymentFailed, match="vCPU quota") as failure:
        run_wait([Frame(fresh)], timeout=600)
    assert "reached the limit on the number of vCPUs" in str(failure.value)
    # An older deployment's event is history, not this rollout's fate.
    old = rolling(0)
    old["deployments"][0]["createdAt"] = started
    old["events"] = [vcpu_event(started - timedelta(hours=1))]
    done = done_service()
    done["events"] = old["events"]
    view, *_ = run_wait([Frame(old), Frame(done, targets=HEALTHY)])
    assert view is not None and view.rollout == "COMPLETED"


def test_tasks_killed_by_failed_health_checks_are_fatal() -> None:
    reason = "Task failed ELB health checks in (target-group arn:...:targetgroup/humangov-texas-tg/abc)"
    frames = [
        Frame(
            rolling(1),
            stopped=[stopped_task("t-sick", TD2, OURS, stop_code="ServiceSchedulerInitiated", reason=reason)],
        )
    ]
    with pytest.raises(DeploymentFailed, match="failed ELB health checks"):
        run_wait(frames)


def test_scaled_in_old_tasks_are_not_failures() -> None:
    frames = [
        Frame(
            done_service(),
            stopped=[
                stopped_task(
                    "t-old", TD1, OLD, stop_code="ServiceSchedulerInitiated", reason="Scaling activity"
                ),
                stopped_task(
                    "t-mine", TD2, OURS, stop_code="UserInitiated", reason="Scaling activity initiated"
                ),
            ],
            targets=HEALTHY,
        )
    ]
    view, *_ = run_wait(frames)
    assert view is not None and view.rollout == "COMPLETED"


def test_targets_that_never_turn_healthy_time_out_with_what_was_seen() -> None:
    sick = [target("10.0.1.10", "unhealthy", "Target.FailedHealthChecks")] * 2
    with pytest.raises(DeployTimeout) as timeout:
        run_wait([Frame(done_service(), targets=sick)], timeout=60)
    message = str(timeout.value)
    assert "Target.FailedHealthChecks" in message and "2 unhealthy" in message
    assert "raise --timeout" in message  # a hint on what to try


def test_throttled_polls_back_off_and_go_on() -> None:
    frames = [
        Frame(error=throttled("DescribeServices")),
        Frame(error=throttled("DescribeServices")),
        Frame(done_service(), targets=HEALTHY),
    ]
    view, clock, lines, _script = run_wait(frames)
    assert view is not None and view.rollout == "COMPLETED"
    assert clock.sleeps == [5, 5]
    assert "throttled by ecs.DescribeServices" in lines[0]


def test_other_errors_are_not_retried() -> None:
    denied = ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "DescribeServices")
    with pytest.raises(AwsError, match="AccessDeniedException"):
        run_wait([Frame(error=denied), Frame(done_service(), targets=HEALTHY)])


def test_the_deadline_runs_out_on_a_rollout_that_never_ends() -> None:
    with pytest.raises(DeployTimeout) as timeout:
        run_wait([Frame(rolling(1), targets=HEALTHY)], timeout=30)
    assert "1/2 running" in str(timeout.value) and "2 deployment(s)" in str(timeout.value)


def test_deadline_is_shared_and_sleeps_never_overshoot_it() -> None:
    script = Script([Frame(rolling(1))])
    clock = FakeClock()
    with pytest.raises(DeployTimeout):
        wait_for_rollout(
            fake_clients(script),
            names_for("texas"),
            deployment_id=OURS,
            task_definition_arn=TD2,
            target_group_arn=TG,
            mode="healthy",
            deadline=Deadline(12, clock),
            interval=5,
            sleep=clock.sleep,
            progress=lambda _m: None,
        )
    assert clock.sleeps == [5, 5, 2]


def test_a_vanished_service_is_fatal() -> None:
    with pytest.raises(DeploymentFailed, match="no longer exists"):
        run_wait([Frame(service=None)])


# --- IAM propagation -----------------------------------------------------------------------------------


def not_ready() -> AwsError:
    return AwsError(
        "ecs",
        "CreateService",
        "InvalidParameterException",
        "Unable to assume role and validate the specified targetGroupArn",
    )


def test_role_not_yet_assumable_is_retried_with_backoff() -> None:
    clock = FakeClock()
    results: list[Any] = [not_ready(), not_ready(), "created"]
    lines: list[str] = []

    def call() -> str:
        result = results.pop(0)
        if isinstance(result, Exception):
            raise result
        return str(result)

    got = retry_iam_propagation(call, deadline=Deadline(300, clock), sleep=clock.sleep, progress=lines.append)
    assert got == "created"
    assert clock.sleeps == [2.0, 4.0]
    assert all("IAM role not yet usable" in line for line in lines)


def test_iam_retry_is_bounded() -> None:
    clock = FakeClock()

    def call() -> str:
        raise not_ready()

    with pytest.raises(AwsError, match="Unable to assume role"):
        retry_iam_propagation(
            call, deadline=Deadline(3600, clock), sleep=clock.sleep, progress=lambda _m: None
        )
    assert len(clock.sleeps) == 5  # 6 attempts


def test_iam_retry_leaves_other_errors_alone() -> None:
    clock = FakeClock()
    calls: list[int] = []

    def call() -> str:
        calls.append(1)
        raise AwsError("ecs", "CreateService", "InvalidParameterException", "subnets can not be empty")

    with pytest.raises(AwsError, match="subnets"):
        retry_iam_propagation(
            call, deadline=Deadline(300, clock), sleep=clock.sleep, progress=lambda _m: None
        )
    assert calls == [1] and clock.sleeps == []


def test_iam_retry_respects_the_deadline() -> None:
    clock = FakeClock()

    def call() -> str:
        raise not_ready()

    with pytest.raises(DeployTimeout, match="IAM role"):
        retry_iam_propagation(call, deadline=Deadline(3, clock), sleep=clock.sleep, progress=lambda _m: None)


def test_a_task_stopped_because_its_new_role_is_not_yet_assumable_is_not_fatal() -> None:
    reason = "ECS was unable to assume the role 'arn:aws:iam::123456789012:role/humangov/x' for this task"
    frames = [
        Frame(
            rolling(0), stopped=[stopped_task("t-1", TD2, OURS, stop_code="TaskFailedToStart", reason=reason)]
        ),
        Frame(done_service(), targets=HEALTHY),
    ]
    view, *_ = run_wait(frames)
    assert view is not None and view.rollout == "COMPLETED"


def test_no_registered_targets_hints_at_the_stable_wait() -> None:
    with pytest.raises(DeployTimeout, match="needs --wait stable"):
        run_wait([Frame(rolling(2, old_running=0), targets=[])], timeout=10)


def test_a_completed_rollout_without_any_task_fails_fast() -> None:
    # What moto shows: counts from MOTO_ECS_SERVICE_RUNNING, no task, no target.
    with pytest.raises(DeploymentFailed, match="none exists") as failure:
        run_wait([Frame(done_service(), targets=[], stopped=[])], timeout=600)
    assert "--wait stable" in str(failure.value)
