"""Destroy and the two security groups that name each other; the shared cluster and who still uses it."""

from __future__ import annotations

import pytest
from aws_testkit import ACCOUNT, inventory, moto_platform
from strict_aws import READ_LAG, StrictAws

from humangov_deploy.aws import ec2 as ec2_api
from humangov_deploy.aws import ssm as ssm_api
from humangov_deploy.errors import ConfigError, DeploymentFailed
from humangov_deploy.naming import CLUSTER, names_for

QUIET = lambda _m: None  # noqa: E731


@pytest.fixture(autouse=True)
def _bootstrapped(strict_aws: StrictAws) -> None:
    strict_aws.apply_bootstrap_boundary()  # what terraform/bootstrap makes once per account


def cluster_status(strict: StrictAws) -> str:
    return str(strict.clients.ecs.describe_clusters(clusters=[CLUSTER])["clusters"][0]["status"])


def test_destroy_revokes_the_rules_that_name_the_other_group_then_deletes_both(strict_aws: StrictAws) -> None:
    platform = moto_platform(strict_aws.clients, clock=strict_aws.clock, poll_interval=15.0)
    platform.deploy("texas", timeout=600, progress=QUIET)
    names = names_for("texas")
    lb_sg = ec2_api.find_security_group(strict_aws.clients, names.lb_security_group)
    task_sg = ec2_api.find_security_group(strict_aws.clients, names.task_security_group)
    assert lb_sg and task_sg
    # The cycle the deploy makes: tasks accept from the LB's group, the LB's group sends to the tasks'.
    assert any(p["GroupId"] == lb_sg.id for r in task_sg.ingress for p in r.get("UserIdGroupPairs", []))
    assert any(p["GroupId"] == task_sg.id for r in lb_sg.egress for p in r.get("UserIdGroupPairs", []))
    lines: list[str] = []
    platform.destroy("texas", timeout=600, progress=lines.append)
    assert ec2_api.find_security_group(strict_aws.clients, names.lb_security_group) is None
    assert ec2_api.find_security_group(strict_aws.clients, names.task_security_group) is None
    assert any("revoked the rules" in line for line in lines)
    assert inventory(strict_aws.clients, "texas") == []


def test_a_foreign_rule_naming_a_group_fails_destroy_at_once_with_its_name(strict_aws: StrictAws) -> None:
    clients = strict_aws.clients
    platform = moto_platform(clients, clock=strict_aws.clock, poll_interval=15.0)
    platform.deploy("texas", timeout=600, progress=QUIET)
    lb_sg = ec2_api.find_security_group(clients, names_for("texas").lb_security_group)
    assert lb_sg
    vpc = lb_sg.vpc_id
    other = clients.ec2.create_security_group(GroupName="someone-else", Description="x", VpcId=vpc)["GroupId"]
    strict_aws.clock.sleep(READ_LAG)  # the new group refuses rule changes for a moment
    clients.ec2.authorize_security_group_ingress(
        GroupId=other,
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "UserIdGroupPairs": [{"GroupId": lb_sg.id}]}
        ],
    )
    started = strict_aws.clock()
    with pytest.raises(DeploymentFailed, match="someone-else"):
        platform.destroy("texas", timeout=3600, progress=QUIET)
    # No waiting for the deadline (AWS never clears such a rule), and everything else is gone.
    assert strict_aws.clock() - started < 600
    left = inventory(clients, "texas")
    assert left == [f"security-group {lb_sg.name}"] or all("security-group" in item for item in left)


def test_destroy_keeps_the_cluster_while_another_state_is_being_deployed(strict_aws: StrictAws) -> None:
    clients = strict_aws.clients
    platform = moto_platform(clients, clock=strict_aws.clock, poll_interval=15.0)
    platform.deploy("texas", timeout=600, progress=QUIET)
    # California's deploy has begun (its secret is its first write) but has no service yet.
    ssm_api.ensure_secret(
        clients, names_for("california").secret_parameter, tags={}, description="x", account=ACCOUNT
    )
    lines: list[str] = []
    platform.destroy("texas", timeout=600, progress=lines.append)
    assert cluster_status(strict_aws) == "ACTIVE"
    assert any("still used by state california" in line for line in lines)
    clients.ssm.delete_parameter(Name=names_for("california").secret_parameter)
    platform.destroy("texas", timeout=600, progress=QUIET)
    assert cluster_status(strict_aws) == "INACTIVE"


def test_sweep_keeps_shared_resources_while_a_state_is_being_deployed(strict_aws: StrictAws) -> None:
    from datetime import timedelta

    from aws_testkit import NOW

    clients = strict_aws.clients
    moto_platform(clients, clock=strict_aws.clock, poll_interval=15.0).deploy(
        "texas", timeout=600, progress=QUIET
    )
    ssm_api.ensure_secret(
        clients, names_for("california").secret_parameter, tags={}, description="x", account=ACCOUNT
    )
    strict_aws.clock.sleep(3600)
    later = moto_platform(clients, clock=strict_aws.clock, poll_interval=15.0, now=NOW + timedelta(hours=3))
    report = later.sweep(older_than=7200, dry_run=False, timeout=900, progress=QUIET)
    assert report.removed_states == ["texas"]
    assert report.removed_shared == []
    assert any("state california" in why for why in report.skipped.values())
    assert cluster_status(strict_aws) == "ACTIVE"


def test_a_deploy_to_an_account_without_the_bootstrap_says_so(strict_aws: StrictAws) -> None:
    boundary = "arn:aws:iam::123456789012:policy/humangov-permissions-boundary"
    strict_aws.clients.iam.delete_policy(PolicyArn=boundary)
    platform = moto_platform(strict_aws.clients, clock=strict_aws.clock, poll_interval=15.0)
    with pytest.raises(ConfigError, match="apply terraform/bootstrap"):
        platform.deploy("texas", timeout=600, progress=QUIET)
