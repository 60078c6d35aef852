"""A deploy on the strict layer meets what AWS answers while its new parts propagate (issue 19, items 4
and 5): roles ECS does not accept yet, a listener ECS does not see yet. Each is retried, bounded."""

from __future__ import annotations

import pytest
from aws_testkit import moto_platform
from strict_aws import StrictAws

from humangov_deploy.aws.call import AwsError

QUIET = lambda _m: None  # noqa: E731


@pytest.fixture(autouse=True)
def _bootstrapped(strict_aws: StrictAws) -> None:
    strict_aws.apply_bootstrap_boundary()


def refused(strict: StrictAws, rule: str) -> list[str]:
    return [r for r in strict.refusals if r.startswith(f"{rule}:")]


def test_a_task_definition_naming_new_roles_is_retried_past_passrole_and_role_is_not_valid(
    strict_aws: StrictAws,
) -> None:
    lines: list[str] = []
    status = moto_platform(strict_aws.clients, clock=strict_aws.clock).deploy(
        "texas", timeout=600, progress=lines.append
    )
    assert status.exists
    answers = refused(strict_aws, "ecs-new-role-propagation")
    assert any("AccessDeniedException" in a and "iam:PassRole" in a for a in answers)
    assert any("ClientException: Role is not valid" in a for a in answers)
    assert any("IAM role not yet usable by ECS" in line for line in lines)


def test_a_role_that_never_becomes_valid_fails_after_a_bounded_retry(
    strict_aws: StrictAws, monkeypatch: pytest.MonkeyPatch
) -> None:
    import strict_aws as strict_module

    monkeypatch.setattr(strict_module, "IAM_PROPAGATION", 10_000.0)  # never clears: the retry gives up
    with pytest.raises(AwsError) as caught:
        moto_platform(strict_aws.clients, clock=strict_aws.clock).deploy("texas", timeout=600, progress=QUIET)
    assert caught.value.operation == "RegisterTaskDefinition"
    assert 2 <= len(refused(strict_aws, "ecs-new-role-propagation")) <= 6


def test_a_service_made_right_after_its_listener_is_retried(strict_aws: StrictAws) -> None:
    # Without the role rule nothing sleeps between CreateListener and CreateService: ECS's view of the
    # new listener lags, as terraform-provider-aws meets it.
    strict_aws.off("ecs-new-role-propagation", "ecs-first-cluster-service-linked-role")
    lines: list[str] = []
    status = moto_platform(strict_aws.clients, clock=strict_aws.clock).deploy(
        "texas", timeout=600, progress=lines.append
    )
    assert status.exists
    assert refused(strict_aws, "ecs-listener-propagation")
    assert any("new listener is not yet seen by ECS" in line for line in lines)
