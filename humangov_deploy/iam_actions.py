"""Derive, from the library's own source, every AWS IAM action the deploy role needs.

The nightly job's role (terraform/bootstrap/) must allow exactly what the library calls. A list kept by
hand goes stale the day someone adds a call, so this module reads `humangov_deploy/**/*.py` with `ast` and
finds each AWS operation the way the house rules ask the code to make them:

- `<AwsClients expr>.<service>.<operation>` (called or only referenced, as in a table of bound methods),
  where the AwsClients expression is a name or attribute ending in `clients`, or a parameter annotated
  `AwsClients`; also `<AwsClients expr>.client("<service>").<operation>`;
- `<service>.<operation>` on a variable named exactly like the boto3 service (`ecs = clients.ecs`), and on
  any name or attribute assigned from a client expression (`tagging = clients.resourcegroupstaggingapi`);
- `<client>.get_paginator("op")`, `<client>.get_waiter("name")` (mapped to its operation with botocore's
  waiter model), S3's transfer helpers and presigned URLs (mapped to the operations they make).

snake_case names become API names through botocore's service model, and API names become IAM actions
with the service's IAM prefix (`elbv2` -> `elasticloadbalancing`) and the few S3 operations whose IAM
action has another name (`ListObjectsV2` -> `s3:ListBucket`). Actions AWS checks without the library
calling them (tag-on-create, `iam:PassRole`, the docker registry protocol behind an ECR login) are
added from `IMPLIED`, and what Terraform's AWS provider needs for the data module's resource types from
`TERRAFORM_RESOURCE_ACTIONS`. `python -m humangov_deploy.iam_actions --write` renders the policy files
of terraform/bootstrap/ from all of this, with the permissions boundary of the roles the library creates.
The files are Terraform templates: ARNs read `arn:${partition}:`, the boundary is
`${permissions_boundary_arn}`; `templatefile()` in bootstrap/main.tf fills them in (`instantiate`, here).
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import botocore.session
from botocore import xform_name

from humangov_deploy.platforms.aws_spec import permissions_boundary_policy

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_ROOT = PACKAGE_DIR.parent
TERRAFORM_DIR = REPO_ROOT / "terraform"
BOOTSTRAP_DIR = TERRAFORM_DIR / "bootstrap"
LIBRARY_POLICY = BOOTSTRAP_DIR / "deploy-policy.json"
TERRAFORM_POLICY = BOOTSTRAP_DIR / "terraform-policy.json"
BOUNDARY_POLICY = BOOTSTRAP_DIR / "boundary-policy.json"

# Client methods that are not AWS operations and need no permission of their own.
LOCAL_CLIENT_METHODS = frozenset({"close", "can_paginate", "meta", "exceptions", "waiter_names"})

# S3's client-side helpers, and the operations (snake_case) they make.
S3_TRANSFER = {
    "upload_file": ("put_object", "create_multipart_upload", "upload_part", "complete_multipart_upload",
                    "abort_multipart_upload"),
    "upload_fileobj": ("put_object", "create_multipart_upload", "upload_part", "complete_multipart_upload",
                       "abort_multipart_upload"),
    "download_file": ("head_object", "get_object"),
    "download_fileobj": ("head_object", "get_object"),
    "copy": ("head_object", "copy_object", "upload_part_copy", "create_multipart_upload",
             "complete_multipart_upload", "abort_multipart_upload"),
    "generate_presigned_post": ("put_object",),
}  # fmt: skip

# IAM prefixes that differ from botocore's signing name.
IAM_PREFIX = {"tagging": "tag"}

# S3 operations whose IAM actions are named differently (Service Authorization Reference, Amazon S3).
S3_ACTIONS: dict[str, tuple[str, ...]] = {
    "ListObjectsV2": ("s3:ListBucket",),
    "ListObjects": ("s3:ListBucket",),
    "HeadBucket": ("s3:ListBucket",),
    "ListObjectVersions": ("s3:ListBucketVersions",),
    "ListBuckets": ("s3:ListAllMyBuckets",),
    "HeadObject": ("s3:GetObject",),
    # Deleting a batch that names versions is authorized per version.
    "DeleteObjects": ("s3:DeleteObject", "s3:DeleteObjectVersion"),
    "CopyObject": ("s3:PutObject", "s3:GetObject"),
    "CreateMultipartUpload": ("s3:PutObject",),
    "UploadPart": ("s3:PutObject",),
    "UploadPartCopy": ("s3:PutObject", "s3:GetObject"),
    "CompleteMultipartUpload": ("s3:PutObject",),
    "PutPublicAccessBlock": ("s3:PutBucketPublicAccessBlock",),
    "GetPublicAccessBlock": ("s3:GetBucketPublicAccessBlock",),
    "DeletePublicAccessBlock": ("s3:PutBucketPublicAccessBlock",),
    "PutBucketEncryption": ("s3:PutEncryptionConfiguration",),
    "GetBucketEncryption": ("s3:GetEncryptionConfiguration",),
    "DeleteBucketEncryption": ("s3:PutEncryptionConfiguration",),
    "PutBucketLifecycleConfiguration": ("s3:PutLifecycleConfiguration",),
    "GetBucketLifecycleConfiguration": ("s3:GetLifecycleConfiguration",),
    "DeleteBucketLifecycle": ("s3:PutLifecycleConfiguration",),
    "DeleteBucketTagging": ("s3:PutBucketTagging",),
    "DeleteBucketOwnershipControls": ("s3:PutBucketOwnershipControls",),
}

# Actions AWS authorizes although the library never calls them by name.
IMPLIED: dict[str, tuple[str, ...]] = {
    # Creating a resource with tags is also authorized as tagging it (ECS, ELB, EC2, Logs, IAM, ECR, DDB).
    # The first CreateCluster of an account creates ECS's service-linked role as its caller
    # (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/using-service-linked-roles.html).
    "ecs:CreateCluster": ("ecs:TagResource", "iam:CreateServiceLinkedRole"),
    "ecs:CreateService": ("ecs:TagResource", "iam:CreateServiceLinkedRole"),
    "ecs:RegisterTaskDefinition": ("ecs:TagResource", "iam:PassRole"),  # task and execution roles
    "ecs:RunTask": ("ecs:TagResource", "iam:PassRole"),
    "elasticloadbalancing:CreateLoadBalancer": (
        "elasticloadbalancing:AddTags",
        "iam:CreateServiceLinkedRole",
    ),
    "elasticloadbalancing:CreateTargetGroup": ("elasticloadbalancing:AddTags",),
    "elasticloadbalancing:CreateListener": ("elasticloadbalancing:AddTags",),
    "ec2:CreateSecurityGroup": ("ec2:CreateTags",),
    "logs:CreateLogGroup": ("logs:TagResource",),
    "iam:CreateRole": ("iam:TagRole",),
    "iam:CreatePolicy": ("iam:TagPolicy",),
    "ecr:CreateRepository": ("ecr:TagResource",),
    "dynamodb:CreateTable": ("dynamodb:TagResource",),
    # `docker push` after an ECR login speaks the registry protocol, authorized as these ECR actions.
    "ecr:GetAuthorizationToken": (
        "ecr:BatchCheckLayerAvailability",
        "ecr:InitiateLayerUpload",
        "ecr:UploadLayerPart",
        "ecr:CompleteLayerUpload",
        "ecr:PutImage",
        "ecr:BatchGetImage",
        "ecr:GetDownloadUrlForLayer",
    ),
}

# What Terraform's AWS provider calls to create, read (refresh), update and destroy each resource type of
# terraform/ (the per-state data module). Reads beyond these are granted as `Get*`/`Describe*`/`List*`
# on the state's resources only, because provider versions add new reads of optional bucket settings.
TERRAFORM_RESOURCE_ACTIONS: dict[str, tuple[str, ...]] = {
    "aws_dynamodb_table": (
        "dynamodb:CreateTable", "dynamodb:DeleteTable", "dynamodb:UpdateTable", "dynamodb:DescribeTable",
        "dynamodb:DescribeContinuousBackups", "dynamodb:UpdateContinuousBackups",
        "dynamodb:DescribeTimeToLive", "dynamodb:UpdateTimeToLive", "dynamodb:ListTagsOfResource",
        "dynamodb:TagResource", "dynamodb:UntagResource",
    ),
    "aws_s3_bucket": (
        "s3:CreateBucket", "s3:DeleteBucket", "s3:ListBucket", "s3:PutBucketTagging",
        "s3:GetBucketTagging",
    ),
    "aws_s3_bucket_public_access_block": ("s3:PutBucketPublicAccessBlock", "s3:GetBucketPublicAccessBlock"),
    "aws_s3_bucket_ownership_controls": ("s3:PutBucketOwnershipControls", "s3:GetBucketOwnershipControls"),
    "aws_s3_bucket_server_side_encryption_configuration": (
        "s3:PutEncryptionConfiguration", "s3:GetEncryptionConfiguration",
    ),
    "aws_s3_bucket_versioning": ("s3:PutBucketVersioning", "s3:GetBucketVersioning"),
    "aws_s3_bucket_lifecycle_configuration": ("s3:PutLifecycleConfiguration", "s3:GetLifecycleConfiguration"),
    "aws_s3_bucket_policy": ("s3:PutBucketPolicy", "s3:GetBucketPolicy", "s3:DeleteBucketPolicy"),
    # force_destroy empties the bucket, every version, before deleting it.
    "aws_s3_object": ("s3:PutObject", "s3:GetObject", "s3:DeleteObject"),
}  # fmt: skip
TERRAFORM_ALWAYS = ("sts:GetCallerIdentity",)  # the provider checks its credentials first
TERRAFORM_FORCE_DESTROY = ("s3:ListBucketVersions", "s3:DeleteObject", "s3:DeleteObjectVersion")


@dataclass(frozen=True)
class CallSite:
    path: str
    line: int
    service: str
    method: str


@dataclass
class Derivation:
    sites: list[CallSite] = field(default_factory=list)
    actions: dict[str, list[CallSite]] = field(default_factory=dict)
    unresolved: list[CallSite] = field(default_factory=list)


@cache
def _session() -> Any:
    return botocore.session.get_session()


@cache
def boto3_services() -> frozenset[str]:
    return frozenset(_session().get_available_services())


@cache
def _operations(service: str) -> dict[str, str]:
    """snake_case -> API name for every operation of a service."""
    model = _session().get_service_model(service)
    return {xform_name(name): name for name in model.operation_names}


@cache
def _waiters(service: str) -> dict[str, str]:
    """snake_case waiter name -> the API operation it polls."""
    try:
        model = _session().get_waiter_model(service)
    except Exception:  # a service without waiters
        return {}
    return {xform_name(name): model.get_waiter(name).operation for name in model.waiter_names}


@cache
def iam_prefix(service: str) -> str:
    signing = _session().get_service_model(service).signing_name
    return IAM_PREFIX.get(signing, signing)


def iam_actions(service: str, operation: str) -> tuple[str, ...]:
    """`("elbv2", "CreateLoadBalancer")` -> `("elasticloadbalancing:CreateLoadBalancer",)`."""
    if service == "s3" and operation in S3_ACTIONS:
        return S3_ACTIONS[operation]
    return (f"{iam_prefix(service)}:{operation}",)


def _last_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _const_str(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


class _Scanner(ast.NodeVisitor):
    def __init__(self, path: str) -> None:
        self.path = path
        self.sites: list[CallSite] = []
        self.clients_names: set[str] = set()  # parameters annotated AwsClients
        self.aliases: dict[str, str] = {}  # unparsed expression -> service

    # -- what is an AwsClients expression, what is a service client ----------------------------
    def _is_clients(self, node: ast.expr) -> bool:
        name = _last_name(node)
        if name is None:
            return False
        return name.lower().lstrip("_").endswith("clients") or ast.unparse(node) in self.clients_names

    def service_of(self, node: ast.expr) -> str | None:
        """The boto3 service a client expression stands for, or None."""
        if isinstance(node, ast.Attribute) and node.attr in boto3_services() and self._is_clients(node.value):
            return node.attr
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "client"
            and self._is_clients(node.func.value)
            and node.args
        ):
            svc = _const_str(node.args[0])
            return svc if svc in boto3_services() else None
        if isinstance(node, ast.Name | ast.Attribute):
            text = ast.unparse(node)
            if text in self.aliases:
                return self.aliases[text]
        return None

    def bare_service(self, node: ast.expr) -> str | None:
        """A plain name spelled like a boto3 service (`ecs`); weaker evidence than `service_of`."""
        if isinstance(node, ast.Name) and node.id in boto3_services():
            return node.id
        return None

    # -- visitors ----------------------------------------------------------------------------------
    def visit_arg(self, node: ast.arg) -> None:
        if node.annotation is not None and "AwsClients" in ast.unparse(node.annotation):
            self.clients_names.add(node.arg)

    def visit_Assign(self, node: ast.Assign) -> None:
        svc = self.service_of(node.value)
        if svc is not None:
            for target in node.targets:
                if isinstance(target, ast.Name | ast.Attribute):
                    self.aliases[ast.unparse(target)] = svc
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            svc = self.service_of(node.value)
            if svc is not None and isinstance(node.target, ast.Name | ast.Attribute):
                self.aliases[ast.unparse(node.target)] = svc
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in {"get_paginator", "get_waiter",
                                                             "generate_presigned_url"}:  # fmt: skip
            svc = self.service_of(func.value) or self.bare_service(func.value)
            if svc is not None:
                arg = node.args[0] if node.args else None
                for kw in node.keywords:
                    if kw.arg in {"operation_name", "waiter_name", "ClientMethod"}:
                        arg = kw.value
                name = _const_str(arg)
                self.sites.append(CallSite(self.path, node.lineno, svc, f"{func.attr}:{name}"))
                # Do not visit func again as a plain attribute reference.
                for child in [*node.args, *(kw.value for kw in node.keywords)]:
                    self.visit(child)
                self.visit(func.value)
                return
        self.generic_visit(node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if node.attr not in LOCAL_CLIENT_METHODS and not node.attr.startswith("_"):
            svc = self.service_of(node.value)
            if svc is not None:
                self.sites.append(CallSite(self.path, node.lineno, svc, node.attr))
            else:
                # `logs.append(...)` on a list named logs is no AWS call: a bare name counts only
                # when the attribute really is an operation (or helper) of that service.
                svc = self.bare_service(node.value)
                site = CallSite(self.path, node.lineno, svc, node.attr) if svc else None
                if site is not None and _operations_of(site) is not None:
                    self.sites.append(site)
        self.generic_visit(node)


def _operations_of(site: CallSite) -> list[str] | None:
    """API operation names a call site needs, or None if the method is not understood."""
    ops = _operations(site.service)
    if ":" in site.method:
        kind, _, name = site.method.partition(":")
        if name in ("", "None"):
            return None
        if kind == "get_waiter":
            waiter = _waiters(site.service).get(name)
            return [waiter] if waiter else None
        return [ops[name]] if name in ops else None
    if site.method in ops:
        return [ops[site.method]]
    if site.service == "s3" and site.method in S3_TRANSFER:
        return [ops[name] for name in S3_TRANSFER[site.method]]
    return None


def _python_files(root: Path) -> Iterator[Path]:
    for path in sorted(root.rglob("*.py")):
        if "__pycache__" not in path.parts:
            yield path


def scan_source(source: str, path: str = "<string>") -> list[CallSite]:
    """Every AWS client call site of one module (two passes so aliases defined later still count)."""
    tree = ast.parse(source, filename=path)
    scanner = _Scanner(path)
    scanner.visit(tree)
    aliases, names = scanner.aliases, scanner.clients_names
    scanner = _Scanner(path)
    scanner.aliases, scanner.clients_names = aliases, names
    scanner.visit(tree)
    return scanner.sites


# App modules the library runs itself (humangov_deploy/users.py loads them by path): their calls are the
# library's too. They take a client named like its service (`dynamodb`), which the scanner follows.
APP_MODULES_RUN_BY_LIBRARY = ("accounts.py", "audit.py")


def library_files() -> list[Path]:
    app = REPO_ROOT / "containers" / "app" / "humangov"
    return [*_python_files(PACKAGE_DIR), *(app / name for name in APP_MODULES_RUN_BY_LIBRARY)]


def derive(files: Iterable[Path] | None = None) -> Derivation:
    """Scan the library (or the given files) and map each call site to IAM actions."""
    result = Derivation()
    for path in files if files is not None else library_files():
        if path.resolve() == Path(__file__).resolve():
            continue
        rel = str(path.relative_to(REPO_ROOT)) if path.is_relative_to(REPO_ROOT) else str(path)
        for site in scan_source(path.read_text(encoding="utf-8"), rel):
            result.sites.append(site)
            operations = _operations_of(site)
            if operations is None:
                result.unresolved.append(site)
                continue
            for op in operations:
                for action in iam_actions(site.service, op):
                    result.actions.setdefault(action, []).append(site)
    return result


def with_implied(actions: Iterable[str]) -> set[str]:
    out = set(actions)
    for action in list(out):
        out.update(IMPLIED.get(action, ()))
    return out


def library_actions() -> set[str]:
    """What the deploy library needs: its own calls plus what AWS checks alongside them."""
    return with_implied(derive().actions)


def terraform_resource_types(root: Path = TERRAFORM_DIR) -> set[str]:
    """Resource types declared in terraform/ (the bootstrap root module is not applied by the job)."""
    types: set[str] = set()
    for path in sorted(root.rglob("*.tf")):
        if BOOTSTRAP_DIR in path.parents or ".terraform" in path.parts:
            continue
        types.update(re.findall(r'^\s*resource\s+"([a-z0-9_]+)"', path.read_text(encoding="utf-8"), re.M))
    return types


def terraform_actions(types: Iterable[str] | None = None) -> tuple[set[str], set[str]]:
    """(actions Terraform's AWS provider needs for those resource types, types this table does not know)."""
    types = terraform_resource_types() if types is None else set(types)
    actions: set[str] = set(TERRAFORM_ALWAYS)
    unknown: set[str] = set()
    for rtype in types:
        if not rtype.startswith("aws_"):
            continue  # random_*, null_*, ... call no AWS API
        if rtype not in TERRAFORM_RESOURCE_ACTIONS:
            unknown.add(rtype)
            continue
        actions.update(TERRAFORM_RESOURCE_ACTIONS[rtype])
    if "aws_s3_bucket" in types:
        actions.update(TERRAFORM_FORCE_DESTROY)
    return actions, unknown


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
    "logs:DescribeLogGroups",
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m humangov_deploy.iam_actions", description=__doc__)
    parser.add_argument(
        "--sites", action="store_true", help="print each action with the call sites needing it"
    )
    parser.add_argument(
        "--write", action="store_true", help="render terraform/bootstrap/*-policy.json (Terraform templates)"
    )
    args = parser.parse_args(argv)
    found = derive()
    for site in found.unresolved:
        print(f"unresolved: {site.path}:{site.line} {site.service}.{site.method}", file=sys.stderr)
    if args.write:
        for path, document in render_policies().items():
            path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
            print(f"wrote {path.relative_to(REPO_ROOT)}")
        return 1 if found.unresolved else 0
    for action in sorted(with_implied(found.actions)):
        where = found.actions.get(action)
        if args.sites and where:
            print(action, " ".join(sorted({f"{s.path}:{s.line}" for s in where})))
        else:
            print(action)
    return 1 if found.unresolved else 0


if __name__ == "__main__":
    raise SystemExit(main())
