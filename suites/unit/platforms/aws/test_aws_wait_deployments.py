"""The rollout wait judges only the new deployment's tasks, and ends only when `desired` targets are healthy.

ECS keeps listing stopped tasks for at least an hour
(https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeTasks.html), so the tasks of a
crash-looping revision are still there when its fix is deployed: they must not fail the fix.
"""

from __future__ import annotations

from typing import Any

import pytest
from aws_testkit import FakeClock, Frame, Script, deployment, fake_clients, service, stopped_task, target

from humangov_deploy.errors import DeploymentFailed, DeployTimeout
from humangov_deploy.naming import names_for
from humangov_deploy.platforms.aws.wait import RolloutView, wait_for_rollout
from humangov_deploy.waits import Deadline

TD1 = "arn:aws:ecs:us-east-1:123456789012:task-definition/humangov-texas-fullstack:1"
TD2 = "arn:aws:ecs:us-east-1:123456789012:task-definition/humangov-texas-fullstack:2"
OURS = "ecs-svc/2222"
OLD = "ecs-svc/1111"
TG = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/humangov-texas-tg/abc"
HEALTHY = [target("10.0.1.10", "healthy"), target("10.0.2.10", "healthy")]


def run_wait(frames: list[Frame], *, timeout: float = 120) -> tuple[RolloutView | None, FakeClock, Script]:
    script = Script(frames)
    clock = FakeClock()
    view = wait_for_rollout(
        fake_clients(script),
        names_for("texas"),
        deployment_id=OURS,
        task_definition_arn=TD2,
        target_group_arn=TG,
        mode="healthy",
        deadline=Deadline(timeout, clock),
        interval=5,
        sleep=clock.sleep,
        progress=lambda _m: None,
    )
    return view, clock, script


def crashed(task_id: str, task_definition: str, started_by: str) -> dict[str, Any]:
    """A task its essential container killed: fatal when it is the new deployment's."""
    return stopped_task(
        task_id,
        task_definition,
        started_by,
        stop_code="EssentialContainerExited",
        reason="Essential container in task exited",
        container_reason="app: exit 3",
    )


def fixing(running: int, *, old_definition: str = TD1, rollout: str = "IN_PROGRESS") -> dict[str, Any]:
    """Our deployment replacing a crash-looping one (that has nothing running and failed tasks)."""
    return service(
        [
            deployment(OURS, TD2, running=running, pending=2 - running, rollout=rollout),
            deployment(OLD, old_definition, status="ACTIVE", running=0, failed=6),
        ]
    )


def done() -> dict[str, Any]:
    return service([deployment(OURS, TD2, running=2, rollout="COMPLETED")])


@pytest.mark.parametrize(
    "old_definition",
    [TD1, TD2],
    ids=["older-revision", "same-revision-forced-again"],
)
def test_stopped_tasks_of_an_older_deployment_do_not_fail_its_fix(old_definition: str) -> None:
    old_tasks = [crashed(f"t-old-{n}", old_definition, OLD) for n in range(3)]
    frames = [
        Frame(fixing(0, old_definition=old_definition), stopped=old_tasks),
        Frame(fixing(1, old_definition=old_definition), stopped=old_tasks, targets=HEALTHY[:1]),
        Frame(done(), stopped=old_tasks, targets=HEALTHY),
    ]
    view, clock, script = run_wait(frames)
    assert view is not None and view.rollout == "COMPLETED" and view.running == 2
    assert script.index == 2 and clock.sleeps == [5, 5]


def test_the_same_crash_in_the_new_deployment_is_still_fatal() -> None:
    # The counterpart of the test above: what spares the old deployment's tasks is who started them.
    frames = [
        Frame(fixing(0), stopped=[crashed("t-old", TD1, OLD)]),
        Frame(fixing(0), stopped=[crashed("t-old", TD1, OLD), crashed("t-new", TD2, OURS)]),
    ]
    with pytest.raises(DeploymentFailed, match="task t-new stopped") as failure:
        run_wait(frames)
    assert "EssentialContainerExited" in str(failure.value) and "t-old" not in str(failure.value)


def test_the_wait_goes_on_until_the_desired_count_of_targets_is_healthy() -> None:
    frames = [
        Frame(done(), targets=HEALTHY[:1]),  # one registered and healthy, the other not yet registered
        Frame(done(), targets=[*HEALTHY[:1], target("10.0.2.9", "draining")]),  # an old one going away
        Frame(done(), targets=HEALTHY),
    ]
    view, clock, script = run_wait(frames)
    assert view is not None and [t.state for t in view.targets] == ["healthy", "healthy"]
    assert script.index == 2 and clock.sleeps == [5, 5]


def test_one_healthy_target_of_two_desired_times_out_saying_so() -> None:
    with pytest.raises(DeployTimeout) as timeout:
        run_wait([Frame(done(), targets=HEALTHY[:1])], timeout=30)
    assert "2/2 running" in str(timeout.value) and "targets: 1 healthy" in str(timeout.value)


def test_the_desired_count_is_the_services() -> None:
    three = service([deployment(OURS, TD2, desired=3, running=3, rollout="COMPLETED")], desired=3)
    frames = [
        Frame(three, targets=HEALTHY),
        Frame(three, targets=[*HEALTHY, target("10.0.3.10", "healthy")]),
    ]
    view, _clock, script = run_wait(frames)
    assert view is not None and len(view.targets) == 3 and script.index == 1
