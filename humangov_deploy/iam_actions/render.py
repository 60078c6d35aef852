"""Rendering the policy documents of terraform/bootstrap/ (Terraform templates) from the derived actions."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from humangov_deploy.iam_actions.paths import (
    BOUNDARY_POLICY,
    COMPUTE_POLICY,
    LIBRARY_POLICY,
    TERRAFORM_POLICY,
)
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
# the path /humangov/, parameters under /humangov/, log groups are /ecs/humangov-<state>, repositories are
# humangov-app and humangov-nginx. EC2, ECS and ELB resources have generated ids, so those services are
# governed by tag instead (TAG_GOVERNED below).
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
    "ecr": [f"arn:{PARTITION}:ecr:*:*:repository/humangov-*"],
    # A state's alias record (--hosted-zone-id): any hosted zone the operator names, never other resources.
    "route53": [f"arn:{PARTITION}:route53:::hostedzone/*"],
    "logs": [
        f"arn:{PARTITION}:logs:*:*:log-group:/ecs/humangov-*",
        f"arn:{PARTITION}:logs:*:*:log-group:/ecs/humangov-*:*",
    ],
}
# Actions that take no resource (or list every resource): they need "*".
UNSCOPED = frozenset({
    "s3:ListAllMyBuckets", "dynamodb:ListTables", "dynamodb:DescribeLimits", "dynamodb:DescribeEndpoints",
    "iam:ListRoles", "iam:ListPolicies", "iam:GetAccountSummary", "ssm:DescribeParameters",
    "logs:DescribeLogGroups", "ecr:GetAuthorizationToken",
    "servicequotas:GetServiceQuota", "servicequotas:GetAWSDefaultServiceQuota",
})  # fmt: skip
# EC2, ECS and Elastic Load Balancing: every resource the library makes carries humangov:managed-by
# (naming.py), so the role may change or delete only resources with that tag (aws:ResourceTag), create only
# resources it tags so in the same request (aws:RequestTag), tag only while creating (<service>:CreateAction)
# or what is already HumanGov's, and read anything (reads take no resource or need every one). An action
# that takes no resource at all cannot be conditioned on one (NO_RESOURCE; the Service Authorization
# Reference: https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html).
# suites/unit/ci/test_ci_policy_lint.py checks each choice against the reference's data (parliament's copy),
# and test_ci_recorded_calls.py evaluates the calls a deploy really makes, with their tags.
TAG_GOVERNED = ("ec2", "ecs", "elasticloadbalancing")
MANAGED_TAG = "humangov:managed-by"
MANAGED_VALUE = "humangov"
RESOURCE_TAGGED = {"StringEquals": {f"aws:ResourceTag/{MANAGED_TAG}": MANAGED_VALUE}}
REQUEST_TAGGED = {"StringEquals": {f"aws:RequestTag/{MANAGED_TAG}": MANAGED_VALUE}}
CREATES_WITH_TAGS = frozenset({
    "ec2:CreateSecurityGroup", "ecs:CreateCluster", "ecs:CreateService", "ecs:RegisterTaskDefinition",
    "elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:CreateTargetGroup",
    "elasticloadbalancing:CreateListener",
})  # fmt: skip
TAGGING = frozenset({"ec2:CreateTags", "ecs:TagResource", "elasticloadbalancing:AddTags"})
# Actions that take no resource (Resource "*" is the only form IAM accepts, and no tag can be checked).
NO_RESOURCE = frozenset({
    "ecs:DeregisterTaskDefinition", "ecs:DescribeTaskDefinition", "ecs:ListTaskDefinitions",
    "ecs:ListServices", "ecs:ListTasks", "ecs:ListClusters",
})  # fmt: skip
# The resources the rest act on, by ARN (names from naming.py; ids are generated, hence the wildcards).
# ListTasks is listed above: the reference names container instances, which Fargate tasks have none of.
GOVERNED_RESOURCES: dict[str, list[str]] = {
    "ec2": [f"arn:{PARTITION}:ec2:*:*:security-group/*", f"arn:{PARTITION}:ec2:*:*:vpc/*"],
    "ecs": [
        f"arn:{PARTITION}:ecs:*:*:cluster/{MANAGED_VALUE}-*",
        f"arn:{PARTITION}:ecs:*:*:service/{MANAGED_VALUE}-*/*",
        f"arn:{PARTITION}:ecs:*:*:task/{MANAGED_VALUE}-*/*",
        f"arn:{PARTITION}:ecs:*:*:task-definition/{MANAGED_VALUE}-*:*",
    ],
    "elasticloadbalancing": [
        f"arn:{PARTITION}:elasticloadbalancing:*:*:loadbalancer/app/{MANAGED_VALUE}-*/*",
        f"arn:{PARTITION}:elasticloadbalancing:*:*:listener/app/{MANAGED_VALUE}-*/*/*",
        f"arn:{PARTITION}:elasticloadbalancing:*:*:targetgroup/{MANAGED_VALUE}-*/*",
    ],
}
# Tasks carry no tags of their own (the service propagates none), so StopTask is limited by their cluster.
BY_CLUSTER = {
    "ecs:StopTask": {"ArnLike": {"ecs:cluster": f"arn:{PARTITION}:ecs:*:*:cluster/{MANAGED_VALUE}-*"}},
}
READ_VERBS = ("Describe", "List", "Get")

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
# iam:PermissionsBoundary is ARN-typed: the Arn operators, not the String ones (parliament MISMATCHED_TYPE).
BOUNDARY_CONDITION: dict[str, Any] = {"ArnEquals": {"iam:PermissionsBoundary": BOUNDARY_ARN}}
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
        "Condition": {"ArnNotEquals": {"iam:PermissionsBoundary": BOUNDARY_ARN}},
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
# `s3:GetBucket*` stays a wildcard (every match is a bucket-level read, and provider versions add more);
# the rest are named, because `s3:Get*Configuration` and `dynamodb:Describe*` also match actions on other
# resource types (Storage Lens, global tables, DescribeEndpoints on "*"): parliament's RESOURCE_MISMATCH.
TERRAFORM_READS = (
    "s3:GetBucket*",
    "s3:GetAccelerateConfiguration",
    "s3:GetAnalyticsConfiguration",
    "s3:GetEncryptionConfiguration",
    "s3:GetIntelligentTieringConfiguration",
    "s3:GetInventoryConfiguration",
    "s3:GetLifecycleConfiguration",
    "s3:GetMetricsConfiguration",
    "s3:GetReplicationConfiguration",
    "dynamodb:DescribeContinuousBackups",
    "dynamodb:DescribeContributorInsights",
    "dynamodb:DescribeKinesisStreamingDestination",
    "dynamodb:DescribeTable",
    "dynamodb:DescribeTableReplicaAutoScaling",
    "dynamodb:DescribeTimeToLive",
    "dynamodb:GetResourcePolicy",
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
    governed: dict[str, set[str]] = {}
    for action in actions:
        if action in BOUNDED:
            bounded.add(action)
        elif action in SPECIAL:
            statements.append({"Sid": SPECIAL[action]["Sid"], "Effect": "Allow", "Action": [action],
                               **{k: v for k, v in SPECIAL[action].items() if k != "Sid"}})  # fmt: skip
        elif action.split(":")[0] in TAG_GOVERNED:
            governed.setdefault(action.split(":")[0], set()).add(action)
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
    for prefix, group in sorted(governed.items()):
        statements += tag_governed_statements(prefix, group, label)
    if unscoped:
        statements.append({"Sid": _sid(label, "list all"), "Effect": "Allow", "Action": sorted(unscoped),
                           "Resource": "*"})  # fmt: skip
    if bounded:
        statements.append({"Sid": BOUNDED_SID, "Effect": "Allow", "Action": sorted(bounded),
                           "Resource": ROLE_ARNS, "Condition": BOUNDARY_CONDITION})  # fmt: skip
    return sorted(statements, key=lambda st: st["Sid"])


def tag_governed_statements(prefix: str, actions: set[str], label: str) -> list[dict[str, Any]]:
    """The statements of one TAG_GOVERNED service: reads, creates, tagging, changes (see TAG_GOVERNED)."""
    resourceless = actions & NO_RESOURCE
    reads = {a for a in actions - resourceless if a.split(":")[1].startswith(READ_VERBS)}
    # EC2's and ELB's Describe* take no resource either; ECS's Describe* take the cluster's parts.
    unscoped_reads = reads if prefix != "ecs" else set()
    creates = actions & CREATES_WITH_TAGS
    tagging = actions & TAGGING
    clustered = actions & set(BY_CLUSTER)
    changes = actions - resourceless - reads - creates - tagging - clustered
    out: list[dict[str, Any]] = []

    def add(words: str, group: set[str], condition: dict[str, Any] | None, scoped: bool = True) -> None:
        if group:
            resource = GOVERNED_RESOURCES[prefix] if scoped else "*"
            statement: dict[str, Any] = {"Sid": _sid(label, prefix, words), "Effect": "Allow",
                                         "Action": sorted(group), "Resource": resource}  # fmt: skip
            if condition:
                statement["Condition"] = condition
            out.append(statement)

    add("without resource", resourceless | unscoped_reads, None, scoped=False)
    add("read", reads - unscoped_reads, None)
    add("create tagged", creates, REQUEST_TAGGED)
    add("change tagged", changes | tagging, RESOURCE_TAGGED)  # tagging what is HumanGov's already, too
    for action in sorted(clustered):
        add(f"{action.split(':')[1]} in humangov clusters", {action}, BY_CLUSTER[action])
    if tagging:
        verbs = sorted(a.split(":")[1] for a in creates)
        on_create = {f"{prefix}:CreateAction": verbs, **REQUEST_TAGGED["StringEquals"]}
        add("tag on create", tagging, {"StringEquals": on_create})
    return out


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
    """The three managed policies of the nightly role (the library's calls, split in two: EC2/ECS/ELB apart;
    Terraform's data module) and the permissions boundary the library's roles get."""
    statements = policy_statements(library_actions(), "library")
    compute = [st for st in statements if st["Action"][0].split(":")[0] in TAG_GOVERNED]
    library_statements = [st for st in statements if st not in compute]
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
        COMPUTE_POLICY: {"Version": "2012-10-17", "Statement": compute},
        TERRAFORM_POLICY: {"Version": "2012-10-17", "Statement": tf_statements},
        BOUNDARY_POLICY: boundary_policy(),
    }
