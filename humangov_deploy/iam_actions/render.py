"""Rendering the policy documents of terraform/bootstrap/ (Terraform templates) from the derived actions."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from humangov_deploy.iam_actions.paths import BOUNDARY_POLICY, LIBRARY_POLICY, TERRAFORM_POLICY
from humangov_deploy.iam_actions.scan import library_actions, terraform_actions
from humangov_deploy.platforms.aws.spec import permissions_boundary_policy

# -- rendering the policy documents of terraform/bootstrap/ ---------------------------------------------
# Template variables of the rendered files, filled in by templatefile() in terraform/bootstrap/main.tf:
# the partition from `data "aws_partition"` (aws, aws-cn, aws-us-gov: an ARN's second field,
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html), the boundary's ARN from its resource.
TEMPLATE_VARIABLES = ("partition", "permissions_boundary_arn")
PARTITION = "${partition}"
BOUNDARY_ARN = "${permissions_boundary_arn}"
# Resource scopes by IAM prefix (humangov_deploy/naming.py): names start with `humangov-`, roles live under
# the path /humangov/, parameters under /humangov/, log groups are /ecs/humangov-<state>. Services whose
# actions mostly take no resource (RegisterTaskDefinition, CreateSecurityGroup, Describe*) or whose shared
# resources have no HumanGov prefix (ECR, the cluster's ELB and EC2 parts) get "*": the actions limit them.
ROLE_ARNS = [f"arn:{PARTITION}:iam::*:role/humangov/*", f"arn:{PARTITION}:iam::*:role/humangov-*"]
SCOPES: dict[str, list[str]] = {
    "s3": [f"arn:{PARTITION}:s3:::humangov-*", f"arn:{PARTITION}:s3:::humangov-*/*"],
    # `*` also covers table/NAME/index/INDEX
    "dynamodb": [f"arn:{PARTITION}:dynamodb:*:*:table/humangov-*"],
    "iam": [
        *ROLE_ARNS,
        f"arn:{PARTITION}:iam::*:policy/humangov/*",
        f"arn:{PARTITION}:iam::*:policy/humangov-*",
    ],
    "ssm": [f"arn:{PARTITION}:ssm:*:*:parameter/humangov/*"],
    "logs": [
        f"arn:{PARTITION}:logs:*:*:log-group:/ecs/humangov-*",
        f"arn:{PARTITION}:logs:*:*:log-group:/ecs/humangov-*:*",
    ],
}
# Actions that take no resource (or list every resource): they need "*".
UNSCOPED = frozenset({
    "s3:ListAllMyBuckets", "dynamodb:ListTables", "dynamodb:DescribeLimits", "dynamodb:DescribeEndpoints",
    "iam:ListRoles", "iam:ListPolicies", "iam:GetAccountSummary", "ssm:DescribeParameters",
    "logs:DescribeLogGroups", "ecs:ListClusters", "servicequotas:GetServiceQuota",
    "servicequotas:GetAWSDefaultServiceQuota",
})  # fmt: skip
# Conditions by IAM prefix (none needed today; kept as the place for them). The AWS managed keys that
# encrypt the tables (aws/dynamodb) and the secret (aws/ssm) authorize callers in their key policies.
CONDITIONS: dict[str, dict[str, Any]] = {}
SPECIAL: dict[str, dict[str, Any]] = {
    # Tasks get their execution and task roles; the role can hand ECS only HumanGov's roles.
    "iam:PassRole": {
        "Sid": "PassHumangovRolesToEcsTasks",
        "Resource": ROLE_ARNS,
        "Condition": {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}},
    },
    # The first ECS cluster or service, or load balancer, of an account creates the service's linked role;
    # iam:AWSServiceName limits it to those two services
    # (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create-service-linked-role.html).
    "iam:CreateServiceLinkedRole": {
        "Sid": "CreateEcsAndElbServiceLinkedRoles",
        "Resource": f"arn:{PARTITION}:iam::*:role/aws-service-role/*",
        "Condition": {
            "StringEquals": {
                "iam:AWSServiceName": ["ecs.amazonaws.com", "elasticloadbalancing.amazonaws.com"]
            }
        },
    },
}
# Actions that create a role or widen what its policies may grant: allowed only with HumanGov's permissions
# boundary, so the CI role cannot mint a role that does more than a HumanGov task. iam:PermissionsBoundary is
# the boundary a request sets (CreateRole, PutRolePermissionsBoundary) or the role's own (PutRolePolicy,
# AttachRolePolicy): https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsidentityandaccessmanagementiam.html
BOUNDED = frozenset(
    {"iam:CreateRole", "iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:PutRolePermissionsBoundary"}
)
BOUNDED_SID = "HumangovRolesOnlyWithTheBoundary"
BOUNDARY_CONDITION: dict[str, Any] = {"StringEquals": {"iam:PermissionsBoundary": BOUNDARY_ARN}}
# Explicit denies, which no other policy of the role can override (AWS's delegation example in
# https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html does the same): no role
# made or re-policied without the boundary, no boundary removed or swapped, the boundary itself never edited.
GUARDS: list[dict[str, Any]] = [
    {
        "Sid": "DenyRolesWithoutTheBoundary",
        "Effect": "Deny",
        "Action": sorted(BOUNDED),
        "Resource": "*",
        # A negated operator also matches when the request has no boundary at all.
        "Condition": {"StringNotEquals": {"iam:PermissionsBoundary": BOUNDARY_ARN}},
    },
    {
        "Sid": "DenyRemovingAPermissionsBoundary",
        "Effect": "Deny",
        "Action": ["iam:DeleteRolePermissionsBoundary"],
        "Resource": "*",
    },
    {
        "Sid": "DenyEditingThePermissionsBoundary",
        "Effect": "Deny",
        "Action": [
            "iam:CreatePolicyVersion",
            "iam:DeletePolicy",
            "iam:DeletePolicyVersion",
            "iam:SetDefaultPolicyVersion",
        ],
        "Resource": BOUNDARY_ARN,
    },
]
# Terraform's refresh of optional bucket and table settings, on HumanGov's resources only.
TERRAFORM_READS = (
    "s3:GetBucket*",
    "s3:Get*Configuration",
    "dynamodb:Describe*",
    "dynamodb:ListTagsOfResource",
)


def _sid(*words: str) -> str:
    return "".join(w[:1].upper() + w[1:] for word in words for w in re.split(r"[^A-Za-z0-9]+", word) if w)


def policy_statements(actions: Iterable[str], label: str) -> list[dict[str, Any]]:
    """Allow statements for `actions`, one per IAM prefix, scoped by `SCOPES`, `UNSCOPED` and `SPECIAL`."""
    statements: list[dict[str, Any]] = []
    by_prefix: dict[str, set[str]] = {}
    unscoped: set[str] = set()
    bounded: set[str] = set()
    for action in actions:
        if action in BOUNDED:
            bounded.add(action)
        elif action in SPECIAL:
            statements.append({"Sid": SPECIAL[action]["Sid"], "Effect": "Allow", "Action": [action],
                               **{k: v for k, v in SPECIAL[action].items() if k != "Sid"}})  # fmt: skip
        elif action in UNSCOPED or action.split(":")[0] not in SCOPES:
            (unscoped if action in UNSCOPED else by_prefix.setdefault(action.split(":")[0], set())).add(
                action
            )
        else:
            by_prefix.setdefault(action.split(":")[0], set()).add(action)
    for prefix, group in sorted(by_prefix.items()):
        statement: dict[str, Any] = {
            "Sid": _sid(label, prefix),
            "Effect": "Allow",
            "Action": sorted(group),
            "Resource": SCOPES.get(prefix, "*"),
        }
        if prefix in CONDITIONS:
            statement["Condition"] = CONDITIONS[prefix]
        statements.append(statement)
    if unscoped:
        statements.append({"Sid": _sid(label, "list all"), "Effect": "Allow", "Action": sorted(unscoped),
                           "Resource": "*"})  # fmt: skip
    if bounded:
        statements.append({"Sid": BOUNDED_SID, "Effect": "Allow", "Action": sorted(bounded),
                           "Resource": ROLE_ARNS, "Condition": BOUNDARY_CONDITION})  # fmt: skip
    return sorted(statements, key=lambda st: st["Sid"])


def boundary_policy() -> dict[str, Any]:
    """The permissions boundary of the library's roles, as the bootstrap creates it (partition templated)."""
    return permissions_boundary_policy(PARTITION)


def instantiate(text: str, **values: str) -> str:
    """A rendered file with its template variables filled in, as Terraform's templatefile() does (which
    also refuses a variable it was given no value for)."""

    def value(match: re.Match[str]) -> str:
        if match.group(1) not in values:
            raise ValueError(f"unknown template variable ${{{match.group(1)}}}")
        return values[match.group(1)]

    return re.sub(r"\$\{([^}]*)\}", value, text)


def render_policies() -> dict[Path, dict[str, Any]]:
    """The two managed policies of the nightly role (the library's calls, Terraform's data module) and the
    permissions boundary the library's roles get."""
    library_statements = policy_statements(library_actions(), "library")
    if any(st["Sid"] == BOUNDED_SID for st in library_statements):
        library_statements += GUARDS
    library = {"Version": "2012-10-17", "Statement": library_statements}
    tf_actions, _unknown = terraform_actions()
    tf_statements = policy_statements(tf_actions, "terraform")
    tf_statements.append({
        "Sid": "TerraformRefreshHumangovData",
        "Effect": "Allow",
        "Action": list(TERRAFORM_READS),
        "Resource": SCOPES["s3"] + SCOPES["dynamodb"],
    })  # fmt: skip
    return {
        LIBRARY_POLICY: library,
        TERRAFORM_POLICY: {"Version": "2012-10-17", "Statement": tf_statements},
        BOUNDARY_POLICY: boundary_policy(),
    }
