"""The task role a deploy makes trusts only ECS tasks of its own account (the confused-deputy guard).

AWS asks task roles to condition their trust on aws:SourceAccount and aws:SourceArn, so that ECS acting for
another account cannot hand out this role's credentials
(https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-iam-roles.html, "Create the task IAM
role"). spec.ecs_tasks_trust() has the guard only when given the account; this test reads the role a
real deploy made on moto and evaluates its trust with suites/unit/iam_eval.py, so a deploy that passed no
account (or a trust that lost a key) fails here. moto assumes any role for anyone: nothing else would.
"""

from __future__ import annotations

from typing import Any

from aws_testkit import ACCOUNT, REGION, moto_platform
from iam_eval import Request, evaluate

from humangov_deploy.clients import AwsClients
from humangov_deploy.naming import names_for

OWN_CLUSTER = f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/humangov-cluster"


def _trust(clients: AwsClients, role: str) -> dict[str, Any]:
    document = clients.iam.get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"]
    # A trust policy names a principal instead of a resource; evaluate it for the ECS tasks principal.
    statements = []
    for st in document["Statement"]:
        assert st["Principal"] == {"Service": "ecs-tasks.amazonaws.com"}, st
        statements.append({k: v for k, v in st.items() if k != "Principal"} | {"Resource": "*"})
    return {"Version": document["Version"], "Statement": statements}


def _assume(trust: dict[str, Any], account: str, source_arn: str) -> str:
    context = {"aws:SourceAccount": account, "aws:SourceArn": source_arn}
    return evaluate(trust, Request("sts:AssumeRole", "*", context))


def test_the_task_role_trusts_only_its_own_accounts_ecs(moto_clients: AwsClients) -> None:
    moto_platform(moto_clients).deploy("vermont", timeout=300, progress=lambda _m: None)
    trust = _trust(moto_clients, names_for("vermont").task_role)

    assert _assume(trust, ACCOUNT, OWN_CLUSTER) == "allow"
    # ECS working for another account (the confused deputy), by account or by the resource it acts for.
    assert _assume(trust, "210987654321", "arn:aws:ecs:us-east-1:210987654321:cluster/x") == "implicit-deny"
    assert _assume(trust, ACCOUNT, "arn:aws:ecs:us-east-1:210987654321:cluster/x") == "implicit-deny"
    assert _assume(trust, "210987654321", OWN_CLUSTER) == "implicit-deny"


def test_the_execution_role_is_assumed_by_ecs_tasks_only(moto_clients: AwsClients) -> None:
    """The execution role keeps the plain trust AWS documents for it (the ECS agent assumes it)."""
    moto_platform(moto_clients).deploy("vermont", timeout=300, progress=lambda _m: None)
    document = moto_clients.iam.get_role(RoleName=names_for("vermont").execution_role)["Role"]
    (statement,) = document["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": "ecs-tasks.amazonaws.com"}
    assert statement["Action"] == "sts:AssumeRole" and statement["Effect"] == "Allow"
