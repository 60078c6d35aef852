"""The rollout wait on the strict layer (issue 19, item 9): a task that fails to start is retried by ECS,
not the end of the deploy; the account's Fargate vCPU quota, met, ends the wait at once with its reason."""

from __future__ import annotations

import pytest
from aws_testkit import moto_platform
from strict_aws import StrictAws

from humangov_deploy.errors import DeploymentFailed

QUIET = lambda _m: None  # noqa: E731


@pytest.fixture(autouse=True)
def _bootstrapped(strict_aws: StrictAws) -> None:
    strict_aws.apply_bootstrap_boundary()


def test_a_task_that_fails_to_start_does_not_fail_the_deploy(strict_aws: StrictAws) -> None:
    lines: list[str] = []
    status = moto_platform(strict_aws.clients, clock=strict_aws.clock).deploy(
        "texas", timeout=600, progress=lines.append
    )
    assert status.exists
    assert any(r.startswith("ecs-task-start-retried") for r in strict_aws.refusals)
    assert any("1 task(s) failed to start, ECS retries them" in line for line in lines)


def test_the_fargate_vcpu_quota_ends_the_wait_at_once(strict_aws: StrictAws) -> None:
    strict_aws.vcpu_quota = 2.0  # one state's two 1-vCPU tasks fit, a second state's do not
    strict_aws.off("ecs-task-start-retried")  # this behaviour alone
    platform = moto_platform(strict_aws.clients, clock=strict_aws.clock, poll_interval=15.0)
    platform.deploy("texas", timeout=600, progress=QUIET)
    started = strict_aws.clock()
    with pytest.raises(DeploymentFailed) as failure:
        platform.deploy("california", timeout=1800, progress=QUIET)
    message = str(failure.value)
    assert "reached the limit on the number of vCPUs" in message and "Fargate On-Demand vCPU" in message
    assert strict_aws.clock() - started < 300  # not the deadline
