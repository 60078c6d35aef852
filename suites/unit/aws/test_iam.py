"""IAM wrapper on moto: roles under /humangov/, inline policies written only when they change."""

from __future__ import annotations

import json
from typing import Any

import pytest
from moto import mock_aws

from humangov_deploy.aws import iam
from humangov_deploy.clients import AwsClients
from humangov_deploy.naming import PERMISSIONS_BOUNDARY
from humangov_deploy.platforms.aws import spec

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
    assert created and role.path == "/humangov/" and role.trust == TRUST
    assert role.tags == {}, "ensure_role reads no tags (one ListRoleTags fewer per role and deploy)"
    tagged = iam.get_role(clients, "r1")
    assert tagged is not None and tagged.tags == {"k": "v"}
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


# -- permissions boundary: every role the library makes carries HumanGov's ------------------------------
def _boundary(clients: AwsClients, partition: str = "aws") -> str:
    """The boundary policy, made as terraform/bootstrap makes it; its ARN, as the library names it."""
    account = spec.Account(clients.sts.get_caller_identity()["Account"], partition, clients.region)
    document = spec.permissions_boundary_policy(partition)
    made = clients.iam.create_policy(PolicyName=PERMISSIONS_BOUNDARY, PolicyDocument=json.dumps(document))
    assert made["Policy"]["Arn"] == spec.permissions_boundary_arn(account)
    return spec.permissions_boundary_arn(account)


def _boundary_in_aws(clients: AwsClients, name: str) -> str | None:
    role = clients.iam.get_role(RoleName=name)["Role"]
    return role.get("PermissionsBoundary", {}).get("PermissionsBoundaryArn")


def _record_iam_calls(clients: AwsClients) -> list[tuple[str, dict[str, Any]]]:
    calls: list[tuple[str, dict[str, Any]]] = []

    def record(params: dict[str, Any], model: Any, **_: Any) -> None:
        calls.append((model.name, dict(params)))

    clients.iam.meta.events.register("before-parameter-build.iam", record)
    return calls


def test_a_created_role_carries_the_boundary_from_its_create_call(clients: AwsClients) -> None:
    boundary = _boundary(clients)
    calls = _record_iam_calls(clients)
    role, created = iam.ensure_role(
        clients, "r1", trust=TRUST, description="d", path="/humangov/", tags={}, permissions_boundary=boundary
    )
    assert created and role.permissions_boundary == boundary
    assert _boundary_in_aws(clients, "r1") == boundary
    # The CI role may not create a role without it, nor set it afterwards: it must be in CreateRole.
    (create,) = [params for name, params in calls if name == "CreateRole"]
    assert create["PermissionsBoundary"] == boundary
    assert [name for name, _ in calls if name != "CreateRole" and not name.startswith(("Get", "List"))] == []


def test_a_role_found_without_the_boundary_or_with_another_gets_it(clients: AwsClients) -> None:
    boundary = _boundary(clients)
    other = clients.iam.create_policy(PolicyName="other", PolicyDocument=json.dumps(POLICY))["Policy"]["Arn"]
    clients.iam.create_role(RoleName="old", Path="/humangov/", AssumeRolePolicyDocument=json.dumps(TRUST))
    clients.iam.create_role(
        RoleName="swapped",
        Path="/humangov/",
        AssumeRolePolicyDocument=json.dumps(TRUST),
        PermissionsBoundary=other,
    )
    for name in ("old", "swapped"):
        role, created = iam.ensure_role(
            clients,
            name,
            trust=TRUST,
            description="d",
            path="/humangov/",
            tags={},
            permissions_boundary=boundary,
        )
        assert not created and role.permissions_boundary == boundary
        assert _boundary_in_aws(clients, name) == boundary
    # Without a boundary to set, ensure_role never removes one (the CI role is denied that).
    role, _ = iam.ensure_role(clients, "old", trust=TRUST, description="d", path="/humangov/", tags={})
    assert role.permissions_boundary == boundary and _boundary_in_aws(clients, "old") == boundary


def test_a_role_with_the_boundary_already_is_left_alone(
    clients: AwsClients, monkeypatch: pytest.MonkeyPatch
) -> None:
    boundary = _boundary(clients)
    iam.ensure_role(
        clients, "r1", trust=TRUST, description="d", path="/", tags={}, permissions_boundary=boundary
    )

    def refuse(**_: Any) -> None:
        raise AssertionError("PutRolePermissionsBoundary on a role that has the boundary")

    monkeypatch.setattr(clients.iam, "put_role_permissions_boundary", refuse)
    role, created = iam.ensure_role(
        clients, "r1", trust=TRUST, description="d", path="/", tags={}, permissions_boundary=boundary
    )
    assert not created and role.permissions_boundary == boundary


def test_in_govcloud_the_boundary_and_the_trust_take_the_callers_partition() -> None:
    with mock_aws():
        clients = AwsClients(region="us-gov-west-1")
        identity = clients.sts.get_caller_identity()
        partition = identity["Arn"].split(":")[1]
        account = spec.Account(identity["Account"], partition, clients.region)
        trust = spec.ecs_tasks_trust(account)
        role, _ = iam.ensure_role(
            clients,
            "humangov-texas-task-role",
            trust=trust,
            description="d",
            path="/humangov/",
            tags={},
            permissions_boundary=spec.permissions_boundary_arn(account),
        )
        # moto's IAM names its own ARNs in the aws partition whatever the region; the caller's ARNs count.
        assert _boundary_in_aws(clients, role.name) == role.permissions_boundary
        assert (
            role.permissions_boundary
            == f"arn:aws-us-gov:iam::{identity['Account']}:policy/{PERMISSIONS_BOUNDARY}"
        )
        assert role.trust["Statement"][0]["Condition"]["ArnLike"] == {
            "aws:SourceArn": f"arn:aws-us-gov:ecs:us-gov-west-1:{identity['Account']}:*"
        }
