"""IAM wrapper on moto: roles under /humangov/, inline policies written only when they change."""

from __future__ import annotations

from typing import Any

from humangov_deploy.aws import iam
from humangov_deploy.clients import AwsClients

TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}
POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::b/*"]}],
}


def make(
    clients: AwsClients, name: str = "humangov-texas-task-role", trust: dict[str, Any] = TRUST
) -> iam.Role:
    role, _created = iam.ensure_role(
        clients, name, trust=trust, description="test", path="/humangov/", tags={"humangov:state": "texas"}
    )
    return role


def test_ensure_role_creates_once_and_converges_the_trust(clients: AwsClients) -> None:
    role, created = iam.ensure_role(
        clients, "r1", trust=TRUST, description="d", path="/humangov/", tags={"k": "v"}
    )
    assert created and role.path == "/humangov/" and role.tags == {"k": "v"} and role.trust == TRUST
    again, created_again = iam.ensure_role(
        clients, "r1", trust=TRUST, description="d", path="/humangov/", tags={}
    )
    assert not created_again and again.arn == role.arn
    other_trust = {
        **TRUST,
        "Statement": [{**TRUST["Statement"][0], "Principal": {"Service": "ecs.amazonaws.com"}}],
    }
    iam.ensure_role(clients, "r1", trust=other_trust, description="d", path="/humangov/", tags={})
    got = iam.get_role(clients, "r1")
    assert got is not None and got.trust == other_trust


def test_inline_policy_is_written_only_when_it_differs(clients: AwsClients) -> None:
    make(clients)
    assert iam.ensure_inline_policy(clients, "humangov-texas-task-role", "data", POLICY) is True
    assert iam.ensure_inline_policy(clients, "humangov-texas-task-role", "data", POLICY) is False
    assert iam.get_inline_policy(clients, "humangov-texas-task-role", "data") == POLICY
    assert iam.get_inline_policy(clients, "humangov-texas-task-role", "other") is None


def test_delete_role_removes_what_blocks_it(clients: AwsClients) -> None:
    make(clients)
    iam.ensure_inline_policy(clients, "humangov-texas-task-role", "data", POLICY)
    arn = clients.iam.create_policy(PolicyName="extra", PolicyDocument=__import__("json").dumps(POLICY))[
        "Policy"
    ]["Arn"]
    clients.iam.attach_role_policy(RoleName="humangov-texas-task-role", PolicyArn=arn)
    assert iam.delete_role(clients, "humangov-texas-task-role") is True
    assert iam.get_role(clients, "humangov-texas-task-role") is None
    assert iam.delete_role(clients, "humangov-texas-task-role") is False


def test_list_roles_by_path_with_tags(clients: AwsClients) -> None:
    make(clients)
    clients.iam.create_role(RoleName="someone-else", AssumeRolePolicyDocument=__import__("json").dumps(TRUST))
    roles = iam.list_roles(clients, "/humangov/")
    assert [(r.name, r.tags) for r in roles] == [("humangov-texas-task-role", {"humangov:state": "texas"})]
