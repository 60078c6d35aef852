"""The rollout wait and the IAM retry, pinned where `tox -e mutants` found them loose: the exact calls the
wait makes, every fatal reason word for word (with the last view shown), the progress line, the window's
boundary, the backoff's cap. Scripted fakes and a fake clock, as in test_aws_wait.py; nothing sleeps."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from aws_testkit import (
    ACCOUNT,
    CLUSTER,
    REGION,
    FakeClock,
    FakeEcs,
    FakeElbv2,
    Frame,
    Script,
    deployment,
    service,
    stopped_task,
    target,
)

from humangov_deploy.aws.call import AwsError
from humangov_deploy.aws.elbv2 import TargetHealth
from humangov_deploy.clients import AwsClients
from humangov_deploy.errors import DeploymentFailed, DeployTimeout
from humangov_deploy.naming import names_for
from humangov_deploy.platforms.aws.wait import (
    PropagationGrace,
    RolloutView,
    WaitMode,
    retry_iam_propagation,
    wait_for_rollout,
)
from humangov_deploy.waits import Deadline

TD1 = "arn:aws:ecs:us-east-1:123456789012:task-definition/humangov-texas-fullstack:1"
TD2 = "arn:aws:ecs:us-east-1:123456789012:task-definition/humangov-texas-fullstack:2"
OURS = "ecs-svc/2222"
OLD = "ecs-svc/1111"
TG = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/humangov-texas-tg/abc"
SERVICE = "humangov-texas-service"
WHAT = f"the rollout of {SERVICE}"
DENIED = "ECS was unable to assume the role 'arn:aws:iam::123456789012:role/humangov/x' for this task"
WHY = f"TaskFailedToStart; {DENIED}"  # what a stopped task's why_stopped() says: its stop code, its reason


class StrictEcs(FakeEcs):
    """The scripted ECS, answering ListTasks by desiredStatus and recording what each call asked for."""

    def __init__(self, script: Script, running: list[dict[str, Any]]) -> None:
        super().__init__(script)
        self.running = running
        self.asked: list[tuple[str, dict[str, Any]]] = []

    def describe_services(self, **kwargs: Any) -> dict[str, Any]:
        self.asked.append(("DescribeServices", kwargs))
        return super().describe_services(**kwargs)

    def get_paginator(self, name: str) -> Any:
        assert name == "list_tasks"
        ecs = self

        class Pages:
            def paginate(self, **kwargs: Any) -> Iterator[dict[str, Any]]:
                ecs.asked.append(("ListTasks", kwargs))
                tasks = {"STOPPED": ecs.script.frame.stopped, "RUNNING": ecs.running}.get(
                    kwargs["desiredStatus"]
                )
                yield {"taskArns": [t["taskArn"] for t in tasks or []]}

        return Pages()

    def describe_tasks(self, **kwargs: Any) -> dict[str, Any]:
        self.asked.append(("DescribeTasks", {"cluster": kwargs["cluster"]}))
        return {
            "tasks": [
                t for t in [*self.script.frame.stopped, *self.running] if t["taskArn"] in kwargs["tasks"]
            ]
        }


class StrictElbv2(FakeElbv2):
    def __init__(self, script: Script) -> None:
        super().__init__(script)
        self.asked: list[str] = []

    def describe_target_health(self, **kwargs: Any) -> dict[str, Any]:
        self.asked.append(kwargs["TargetGroupArn"])
        return super().describe_target_health(**kwargs)


class Run:
    def __init__(
        self, frames: list[Frame], running: list[dict[str, Any]] | None = None, **clients: Any
    ) -> None:
        self.script = Script(frames)
        self.clock = FakeClock()
        self.lines: list[str] = []
        self.clients = AwsClients(region=REGION, **clients)
        self.ecs = StrictEcs(self.script, running or [])
        self.elbv2 = StrictElbv2(self.script)
        self.clients._cache["ecs"] = self.ecs
        self.clients._cache["elbv2"] = self.elbv2

    def wait(self, *, timeout: float = 120, mode: WaitMode = "healthy", **kwargs: Any) -> RolloutView | None:
        return wait_for_rollout(
            self.clients,
            names_for("texas"),
            deployment_id=OURS,
            task_definition_arn=TD2,
            target_group_arn=TG,
            mode=mode,
            deadline=Deadline(timeout, self.clock),
            interval=5,
            sleep=self.clock.sleep,
            progress=self.lines.append,
            **kwargs,
        )

    def fails(self, **kwargs: Any) -> str:
        with pytest.raises(DeploymentFailed) as failure:
            self.wait(**kwargs)
        # The last view is shown as progress before the failure (never a bare "None").
        assert self.lines and self.lines[-1].startswith(f"{SERVICE}: "), self.lines
        message = str(failure.value)
        assert message.startswith(f"{WHAT}: "), message
        return message.removeprefix(f"{WHAT}: ")


def running_task(task_id: str) -> dict[str, Any]:
    return {
        "taskArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:task/{CLUSTER}/{task_id}",
        "taskDefinitionArn": TD2,
        "lastStatus": "RUNNING",
        "desiredStatus": "RUNNING",
        "startedBy": OURS,
    }


def done() -> dict[str, Any]:
    return service([deployment(OURS, TD2, running=2, rollout="COMPLETED")])


def rolling() -> dict[str, Any]:
    return service(
        [
            deployment(OURS, TD2, running=0, pending=2),
            deployment(OLD, TD1, status="ACTIVE", running=2, rollout="COMPLETED"),
        ]
    )


HEALTHY = [target("10.0.1.10", "healthy"), target("10.0.2.10", "healthy")]


# -- what the wait asks AWS for ----------------------------------------------------------------------------
def test_each_poll_asks_for_this_service_its_stopped_tasks_and_this_target_group() -> None:
    run = Run([Frame(rolling()), Frame(done(), targets=HEALTHY)])

    view = run.wait()

    assert view is not None and view.deployment_id == OURS and view.last_event == ""
    described = ("DescribeServices", {"cluster": CLUSTER, "services": [SERVICE], "include": ["TAGS"]})
    stopped = ("ListTasks", {"cluster": CLUSTER, "serviceName": SERVICE, "desiredStatus": "STOPPED"})
    assert run.ecs.asked == [described, stopped, described, stopped]
    assert run.elbv2.asked == [TG, TG]


def test_a_stable_service_without_targets_but_with_running_tasks_keeps_waiting_for_them() -> None:
    run = Run([Frame(done(), targets=[])], running=[running_task("t-1"), running_task("t-2")])

    with pytest.raises(DeployTimeout) as timeout:
        run.wait(timeout=10)

    assert timeout.value.what == WHAT
    running = ("ListTasks", {"cluster": CLUSTER, "serviceName": SERVICE, "desiredStatus": "RUNNING"})
    assert running in run.ecs.asked and ("DescribeTasks", {"cluster": CLUSTER}) in run.ecs.asked


def test_a_blocking_target_keeps_the_wait_going_even_with_enough_healthy_ones() -> None:
    run = Run(
        [
            Frame(done(), targets=[*HEALTHY, target("10.0.3.10", "initial")]),
            Frame(done(), targets=[*HEALTHY, target("10.0.3.10", "unhealthy")]),
            Frame(done(), targets=HEALTHY),
        ]
    )

    run.wait()

    assert run.script.index == 2 and run.clock.sleeps == [5, 5]


def test_a_completed_rollout_state_alone_is_not_stable() -> None:
    # Stable means: ours is the only deployment, PRIMARY, with every desired task running.
    half = service([deployment(OURS, TD2, running=1, pending=1, rollout="COMPLETED")])
    two = service(
        [
            deployment(OURS, TD2, running=2, rollout=None),
            deployment(OLD, TD1, status="ACTIVE", running=1, rollout="COMPLETED"),
        ]
    )
    run = Run([Frame(half), Frame(two), Frame(done())])

    view = run.wait(mode="stable")

    assert view is not None and run.script.index == 2 and run.clock.sleeps == [5, 5]


def test_a_progress_line_is_printed_once_while_nothing_changes() -> None:
    run = Run([Frame(rolling()), Frame(rolling()), Frame(rolling()), Frame(done(), targets=HEALTHY)])

    run.wait()

    assert run.lines == [
        f"{SERVICE}: 0/2 running, 2 pending, rollout IN_PROGRESS, 2 deployment(s); targets: none registered",
        f"{SERVICE}: 2/2 running, 0 pending, rollout COMPLETED, 1 deployment(s); targets: 2 healthy",
    ]


def test_none_mode_says_it_does_not_wait() -> None:
    run = Run([Frame(rolling())])
    assert run.wait(mode="none") is None
    assert run.lines == ["not waiting for the rollout (--wait none)"] and run.ecs.asked == []


# -- each fatal reason, word for word ----------------------------------------------------------------------
def test_a_vanished_service() -> None:
    assert Run([Frame(service=None)]).fails() == f"service {SERVICE} no longer exists"


def test_a_replaced_deployment_names_what_runs_now_and_the_last_event() -> None:
    replaced = service([deployment(OLD, TD1, running=2, rollout="COMPLETED")])
    assert Run([Frame(replaced)]).fails() == (
        f"deployment {OURS} was replaced (circuit breaker rollback?); the service now runs {TD1}. "
        "Last event: none"
    )
    # No PRIMARY deployment at all (the service is being replaced as we look).
    orphan = dict(replaced, deployments=[deployment(OLD, TD1, status="ACTIVE", running=2)])
    assert Run([Frame(orphan)]).fails() == (
        f"deployment {OURS} was replaced (circuit breaker rollback?); the service now runs nothing. "
        "Last event: none"
    )


def test_a_failed_deployment_without_a_rollback_or_a_reason() -> None:
    failed = service([deployment(OURS, TD2, rollout="FAILED")])
    assert Run([Frame(failed)]).fails() == f"deployment {OURS} failed: no reason given"
    with_event = service([deployment(OURS, TD2, rollout="FAILED")], events=("tasks failed to start",))
    assert Run([Frame(with_event)]).fails() == f"deployment {OURS} failed: tasks failed to start"


def test_a_failed_deployment_that_was_rolled_back_says_so() -> None:
    failed = service(
        [
            deployment(OLD, TD1, running=2, rollout="IN_PROGRESS"),
            deployment(OURS, TD2, status="ACTIVE", rollout="FAILED", reason="circuit breaker"),
        ]
    )
    assert Run([Frame(failed)]).fails() == (
        f"deployment {OURS} failed and was rolled back to the previous task definition: circuit breaker"
    )


def test_a_task_that_stopped_for_good() -> None:
    stopped = stopped_task("t-1", TD2, OURS, stop_code="EssentialContainerExited", reason="Essential exited")
    assert Run([Frame(rolling(), stopped=[stopped])]).fails() == (
        "task t-1 stopped: EssentialContainerExited; Essential exited"
    )


def test_an_iam_stop_after_the_window_is_fatal_with_how_far_into_the_wait() -> None:
    late = stopped_task("t-late", TD2, OURS, stop_code="TaskFailedToStart", reason=DENIED)
    run = Run([Frame(rolling()), Frame(rolling()), Frame(rolling(), stopped=[late])])

    assert run.fails(propagation_window=5) == (
        f"task t-late stopped: {WHY} (still 10s into the wait, past the 5s IAM propagation window: "
        "check the task and execution roles' policies)"
    )


def test_an_iam_stop_right_at_the_end_of_the_window_is_still_forgiven() -> None:
    edge = stopped_task("t-edge", TD2, OURS, stop_code="TaskFailedToStart", reason=DENIED)
    run = Run(
        [Frame(rolling()), Frame(rolling()), Frame(rolling(), stopped=[edge]), Frame(done(), targets=HEALTHY)]
    )

    view = run.wait(propagation_window=10)

    assert view is not None
    assert view.note == f"1 task stop(s) put down to IAM propagation (last: {WHY})"


def test_iam_stops_are_forgiven_only_as_many_times_as_allowed() -> None:
    first = stopped_task("t-1", TD2, OURS, stop_code="TaskFailedToStart", reason=DENIED)
    second = stopped_task("t-2", TD2, OURS, stop_code="TaskFailedToStart", reason=DENIED)
    run = Run([Frame(rolling(), stopped=[first]), Frame(rolling(), stopped=[first, second])])

    message = run.fails(propagation_stops=1)

    assert message == (
        f"task t-2 stopped: {WHY} (still after 1 such stops: check the task and execution roles' policies)"
    )
    assert run.lines[0].endswith(f"; 1 task stop(s) put down to IAM propagation (last: {WHY})")


def test_a_stable_service_with_no_task_and_no_target() -> None:
    assert Run([Frame(done(), targets=[])]).fails(timeout=600) == (
        "the service reports 2 running task(s) but none exists and no target is registered: an emulator "
        "that runs no ECS tasks (such as moto)? use --wait stable"
    )


# -- the timeout's hint ------------------------------------------------------------------------------------
def test_the_timeout_hint_mentions_moto_only_on_an_emulator() -> None:
    names = names_for("texas")
    hint = (
        f"see `humangov status --state texas --platform aws` and the log group {names.log_group}; "
        "raise --timeout if the tasks are only slow to start"
    )
    with pytest.raises(DeployTimeout) as on_aws:
        Run([Frame(rolling())]).wait(timeout=10)
    assert on_aws.value.hint == hint
    with pytest.raises(DeployTimeout) as on_moto:
        Run([Frame(rolling())], endpoint_url="http://127.0.0.1:5000").wait(timeout=10)
    assert on_moto.value.hint == (
        hint
        + "; on moto's server, service tasks run only if MOTO_ECS_SERVICE_RUNNING is set in its environment"
    )


# -- the view's line ---------------------------------------------------------------------------------------
def health(state: str, reason: str = "") -> TargetHealth:
    return TargetHealth(id="10.0.1.10", port=80, az=None, state=state, reason=reason, description=reason)


def test_the_view_line_without_targets_checked() -> None:
    view = RolloutView(SERVICE, OURS, desired=2, running=1, pending=1, deployments=2)
    assert str(view) == f"{SERVICE}: 1/2 running, 1 pending, rollout unknown, 2 deployment(s)"
    view.note = "throttled"
    assert str(view) == f"{SERVICE}: 1/2 running, 1 pending, rollout unknown, 2 deployment(s); throttled"
    view.targets = []
    view.running = 2
    assert "no targets registered" not in str(view)  # not looked at, so not missing


def test_the_view_line_with_targets() -> None:
    view = RolloutView(SERVICE, OURS, desired=2, running=2, rollout="IN_PROGRESS", deployments=1)
    view.checked_targets = True
    view.targets = [
        health("healthy", "kept quiet"),
        health("unhealthy", "Target.FailedHealthChecks"),
        health("initial", "Elb.RegistrationInProgress"),
        health("unhealthy", "Target.Timeout"),
        health("draining"),
    ]
    assert str(view) == (
        f"{SERVICE}: 2/2 running, 0 pending, rollout IN_PROGRESS, 1 deployment(s); targets: 1 draining, "
        "1 healthy, 1 initial, 2 unhealthy "
        "(Elb.RegistrationInProgress, Target.FailedHealthChecks, Target.Timeout)"
    )
    view.targets = [health("healthy")]
    assert str(view).endswith("; targets: 1 healthy")


def test_the_view_line_when_tasks_run_but_no_target_is_registered() -> None:
    view = RolloutView(SERVICE, OURS, desired=2, running=2, deployments=1, checked_targets=True, note="n")
    assert str(view) == (
        f"{SERVICE}: 2/2 running, 0 pending, rollout unknown, 1 deployment(s); targets: none registered; n; "
        "no targets registered: an emulator that runs no ECS tasks (moto) needs --wait stable"
    )
    view.running = 0
    assert str(view).endswith("; targets: none registered; n")


def test_grace_note_is_empty_until_a_stop_is_forgiven() -> None:
    grace = PropagationGrace(started=100.0)
    assert grace.note() == ""
    assert grace.refusal(290.0) == "190s into the wait, past the 180s IAM propagation window"


# -- the IAM retry -----------------------------------------------------------------------------------------
def not_ready(code: str = "InvalidParameterException", message: str = "Unable to assume role x") -> AwsError:
    return AwsError("ecs", "CreateService", code, message)


def retry(
    errors: list[AwsError], *, timeout: float = 3600, **kwargs: Any
) -> tuple[Any, FakeClock, list[str]]:
    clock = FakeClock()
    lines: list[str] = []
    pending = list(errors)

    def call() -> str:
        if pending:
            raise pending.pop(0)
        return "done"

    result = retry_iam_propagation(
        call, deadline=Deadline(timeout, clock), sleep=clock.sleep, progress=lines.append, **kwargs
    )
    return result, clock, lines


def test_the_backoff_doubles_up_to_15_seconds() -> None:
    result, clock, lines = retry([not_ready()] * 5)
    assert result == "done"
    assert clock.sleeps == [2.0, 4.0, 8.0, 15.0, 15.0]
    assert lines[0] == "IAM role not yet usable by ECS (InvalidParameterException); retrying in 2s"


def test_a_client_exception_that_cannot_assume_the_role_is_retried() -> None:
    result, clock, lines = retry([not_ready("ClientException", "ECS was unable to assume the role")])
    assert result == "done" and clock.sleeps == [2.0]
    assert lines == ["IAM role not yet usable by ECS (ClientException); retrying in 2s"]


def test_the_service_linked_role_has_its_own_words() -> None:
    error = not_ready(message="Unable to assume the service linked role. Please verify that it exists")
    result, _clock, lines = retry([error])
    assert result == "done"
    assert lines == [
        "ECS's service-linked role not yet usable (the account's first cluster, InvalidParameterException); "
        "retrying in 2s"
    ]
    with pytest.raises(DeployTimeout) as timeout:
        retry([error], timeout=1)
    assert timeout.value.what == "ECS's new service-linked role to become usable"


def test_no_time_left_for_the_next_attempt_is_a_timeout_that_says_what_to_do() -> None:
    error = not_ready()
    # Exactly as much time left as the next delay: no attempt could follow it.
    with pytest.raises(DeployTimeout) as timeout:
        retry([error], timeout=2.0)
    assert (timeout.value.what, timeout.value.last_state, timeout.value.hint) == (
        "a new IAM role to become usable by ECS",
        str(error),
        "retry in a minute",
    )
    assert timeout.value.__cause__ is error
