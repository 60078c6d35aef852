"""A deploy on the strict layer where a resource just made is missing from reads for a moment (EC2, IAM,
ELB, Logs, SSM: issue 19, item 6): the deploy uses what each create returned, retries the rule writes a
new group refuses, and what it built from the answers is what AWS later describes."""

from __future__ import annotations

import pytest
from aws_testkit import moto_platform
from strict_aws import READ_LAG, StrictAws

from humangov_deploy.aws import ec2 as ec2_api
from humangov_deploy.naming import names_for

NAMES = names_for("texas")


@pytest.fixture(autouse=True)
def _bootstrapped(strict_aws: StrictAws) -> None:
    strict_aws.apply_bootstrap_boundary()


def test_a_first_deploy_does_not_read_back_what_it_has_just_made(strict_aws: StrictAws) -> None:
    clients, clock = strict_aws.clients, strict_aws.clock
    lines: list[str] = []
    status = moto_platform(clients, clock=clock).deploy("texas", timeout=600, progress=lines.append)
    assert status.exists and status.url
    assert any(r.startswith("ec2-read-after-create: InvalidGroup.NotFound") for r in strict_aws.refusals)

    clock.sleep(READ_LAG)  # now AWS shows everything: what the deploy built from the answers is AWS's own
    log_group = clients.logs.describe_log_groups(logGroupNamePrefix=NAMES.log_group)["logGroups"][0]
    secret = clients.ssm.get_parameter(Name=NAMES.secret_parameter)["Parameter"]
    policy = clients.iam.get_role_policy(RoleName=NAMES.execution_role, PolicyName=NAMES.execution_policy)
    resources = str(policy["PolicyDocument"])
    assert log_group["arn"].removesuffix(":*") in resources
    assert secret["ARN"] in resources
    lb_sg = ec2_api.find_security_group(clients, NAMES.lb_security_group)
    task_sg = ec2_api.find_security_group(clients, NAMES.task_security_group)
    assert lb_sg is not None and task_sg is not None
    # The allow-all egress AWS gives a new group was removed though the group was never described.
    assert [(p["IpProtocol"], p.get("FromPort")) for p in lb_sg.egress] == [("tcp", 8080)]
    assert [(p["IpProtocol"], p.get("FromPort")) for p in task_sg.ingress] == [("tcp", 8080)]
    assert lb_sg.tags.get("Name") == NAMES.lb_security_group
