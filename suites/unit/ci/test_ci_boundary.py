"""The nightly role cannot mint a role stronger than a HumanGov task: its deploy policy, evaluated.

moto enforces no IAM policy, so the deploy policy of terraform/bootstrap (filled in for a GovCloud account)
is evaluated here by a small evaluator of IAM's logic (suites/unit/iam_eval.py) on the requests the
library makes and on the ones an attacker holding the role would try. iam:PermissionsBoundary is the
boundary a CreateRole or PutRolePermissionsBoundary sets, and the role's own boundary for PutRolePolicy
(https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsidentityandaccessmanagementiam.html).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from iam_eval import Decision, Request, evaluate

from humangov_deploy import iam_actions as ia
from humangov_deploy.naming import IAM_PATH, names_for
from humangov_deploy.platforms.aws import spec

ACCOUNT = spec.Account("123456789012", "aws-us-gov", "us-gov-west-1")
BOUNDARY = spec.permissions_boundary_arn(ACCOUNT)
OTHER_BOUNDARY = ACCOUNT.arn("iam", "policy/AdministratorAccess", regional=False)
ROLE = ACCOUNT.arn("iam", f"role{IAM_PATH}{names_for('texas').task_role}", regional=False)
FOREIGN_ROLE = ACCOUNT.arn("iam", "role/admin", regional=False)
NIGHTLY_ROLE = ACCOUNT.arn("iam", "role/github-nightly-acceptance-humangov", regional=False)
SLR = ACCOUNT.arn("iam", "role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS", regional=False)


def _deploy_policy() -> dict[str, Any]:
    text = ia.LIBRARY_POLICY.read_text(encoding="utf-8")
    return dict(
        json.loads(ia.instantiate(text, partition=ACCOUNT.partition, permissions_boundary_arn=BOUNDARY))
    )


POLICY = _deploy_policy()


def _with(boundary: str | None) -> dict[str, str]:
    return {} if boundary is None else {"iam:PermissionsBoundary": boundary}


@pytest.mark.parametrize(
    ("request_", "decision"),
    [
        # What the library does: create its roles with the boundary, then write their inline policies.
        (Request("iam:CreateRole", ROLE, _with(BOUNDARY)), "allow"),
        (Request("iam:PutRolePolicy", ROLE, _with(BOUNDARY)), "allow"),
        (Request("iam:PutRolePermissionsBoundary", ROLE, _with(BOUNDARY)), "allow"),
        # A role without the boundary, or with another, is neither made nor re-policied.
        (Request("iam:CreateRole", ROLE), "explicit-deny"),
        (Request("iam:CreateRole", ROLE, _with(OTHER_BOUNDARY)), "explicit-deny"),
        (Request("iam:PutRolePolicy", ROLE), "explicit-deny"),
        (Request("iam:PutRolePolicy", ROLE, _with(OTHER_BOUNDARY)), "explicit-deny"),
        (Request("iam:AttachRolePolicy", ROLE), "explicit-deny"),
        (Request("iam:PutRolePermissionsBoundary", ROLE, _with(OTHER_BOUNDARY)), "explicit-deny"),
        # The nightly role itself has no boundary: it cannot add to its own policies.
        (Request("iam:PutRolePolicy", NIGHTLY_ROLE), "explicit-deny"),
        # Outside humangov-* nothing is allowed, with the boundary or not.
        (Request("iam:CreateRole", FOREIGN_ROLE, _with(BOUNDARY)), "implicit-deny"),
        # A boundary is never removed, and the boundary policy is never edited.
        (Request("iam:DeleteRolePermissionsBoundary", ROLE, _with(BOUNDARY)), "explicit-deny"),
        (Request("iam:CreatePolicyVersion", BOUNDARY), "explicit-deny"),
        (Request("iam:SetDefaultPolicyVersion", BOUNDARY), "explicit-deny"),
        (Request("iam:DeletePolicy", BOUNDARY), "explicit-deny"),
        # Roles are passed only to ECS tasks.
        (Request("iam:PassRole", ROLE, {"iam:PassedToService": "ecs-tasks.amazonaws.com"}), "allow"),
        (Request("iam:PassRole", ROLE, {"iam:PassedToService": "lambda.amazonaws.com"}), "implicit-deny"),
        # The first CreateCluster may create ECS's service-linked role, and no other service's.
        (Request("iam:CreateServiceLinkedRole", SLR, {"iam:AWSServiceName": "ecs.amazonaws.com"}), "allow"),
        (
            Request("iam:CreateServiceLinkedRole", SLR, {"iam:AWSServiceName": "rds.amazonaws.com"}),
            "implicit-deny",
        ),
    ],
    ids=lambda v: (
        v
        if isinstance(v, str)
        else f"{v.action}({v.resource.rsplit(':', 1)[-1]},{sorted(v.context.values())})"
    ),
)
def test_the_deploy_policy_decides(request_: Request, decision: Decision) -> None:
    assert evaluate(POLICY, request_) == decision
