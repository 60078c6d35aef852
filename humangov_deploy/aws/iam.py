"""IAM roles with inline policies only: no AWS-managed or FullAccess policies anywhere.

Roles live under the path `/humangov/`, so `sweep` can list them (the tagging API does not cover IAM).
Documents are compared as parsed JSON before any write, so a redeploy with the same policy writes nothing.
A role can carry a permissions boundary (the most its policies may grant): the CI role may create and
re-policy roles only with HumanGov's boundary set, so `ensure_role` sets it before any policy is written.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from urllib.parse import unquote

from humangov_deploy.aws.call import AwsError, aws_call
from humangov_deploy.aws.tagging import from_list, key_value
from humangov_deploy.clients import AwsClients

PolicyDocument = dict[str, Any]


@dataclass(frozen=True)
class Role:
    name: str
    arn: str
    path: str
    created: datetime | None
    tags: dict[str, str] = field(default_factory=dict)
    trust: PolicyDocument = field(default_factory=dict)
    permissions_boundary: str | None = None


def _document(value: Any) -> PolicyDocument:
    # boto3 decodes policy documents to dicts; some endpoints return them URL-encoded JSON strings.
    if isinstance(value, str):
        return dict(json.loads(unquote(value)))
    return dict(value or {})


def get_role(clients: AwsClients, name: str, *, with_tags: bool = True) -> Role | None:
    """The role, or None; `with_tags=False` leaves `tags` empty and saves the ListRoleTags call."""
    iam = clients.iam
    response = None
    with aws_call("iam", "GetRole", ignore=("NoSuchEntity",)):
        response = iam.get_role(RoleName=name)
    if response is None:
        return None
    tags = []
    if with_tags:
        with aws_call("iam", "ListRoleTags"):
            tags = iam.list_role_tags(RoleName=name).get("Tags", [])
    return _role(response["Role"], from_list(tags))


def _role(role: dict[str, Any], tags: dict[str, str]) -> Role:
    return Role(
        name=role["RoleName"],
        arn=role["Arn"],
        path=role.get("Path", "/"),
        created=role.get("CreateDate"),
        tags=tags,
        trust=_document(role.get("AssumeRolePolicyDocument")),
        permissions_boundary=(role.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn"),
    )


def ensure_role(
    clients: AwsClients,
    name: str,
    *,
    trust: PolicyDocument,
    description: str,
    path: str,
    tags: dict[str, str],
    permissions_boundary: str | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[Role, bool]:
    """The role, created if missing, its trust policy and permissions boundary converged.

    With `permissions_boundary` (a managed policy's ARN) the role is created with it, and a role found
    with another boundary or none (made before boundaries, or by someone else) gets it; a boundary is
    never removed. Returns (role, created); the role's `tags` are not read (empty).
    """
    iam = clients.iam
    role = get_role(clients, name, with_tags=False)
    created = role is None
    if role is None:
        request: dict[str, Any] = {
            "RoleName": name,
            "Path": path,
            "AssumeRolePolicyDocument": json.dumps(trust),
            "Description": description,
            "Tags": key_value(tags),
        }
        if permissions_boundary is not None:
            request["PermissionsBoundary"] = permissions_boundary
        # A parallel deploy may create it first; the checks below converge whatever it made.
        response = None
        with aws_call("iam", "CreateRole", ignore=("EntityAlreadyExists",)):
            response = iam.create_role(**request)
        # The role CreateRole returns, not GetRole's: IAM is eventually consistent and GetRole can answer
        # NoSuchEntity for a moment (https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_general.html).
        role = _role(response["Role"], {}) if response else _found_later(clients, name, sleep)
    if permissions_boundary is not None and role.permissions_boundary != permissions_boundary:
        with aws_call("iam", "PutRolePermissionsBoundary"):
            iam.put_role_permissions_boundary(RoleName=name, PermissionsBoundary=permissions_boundary)
        role = replace(role, permissions_boundary=permissions_boundary)
    if role.trust != trust:
        with aws_call("iam", "UpdateAssumeRolePolicy"):
            iam.update_assume_role_policy(RoleName=name, PolicyDocument=json.dumps(trust))
        role = replace(role, trust=trust)
    return role, created


def _found_later(clients: AwsClients, name: str, sleep: Callable[[float], None]) -> Role:
    """A role that exists (CreateRole said so) but that GetRole may not show for a few seconds."""
    for delay in (1.0, 2.0, 4.0, 8.0):
        role = get_role(clients, name, with_tags=False)
        if role is not None:
            return role
        sleep(delay)
    role = get_role(clients, name, with_tags=False)
    if role is None:
        raise AwsError("iam", "GetRole", "NoSuchEntity", f"role {name} exists but IAM does not show it")
    return role


def get_inline_policy(clients: AwsClients, role: str, policy: str) -> PolicyDocument | None:
    iam = clients.iam
    response = None
    with aws_call("iam", "GetRolePolicy", ignore=("NoSuchEntity",)):
        response = iam.get_role_policy(RoleName=role, PolicyName=policy)
    return None if response is None else _document(response["PolicyDocument"])


def ensure_inline_policy(clients: AwsClients, role: str, policy: str, document: PolicyDocument) -> bool:
    """Write the inline policy if it differs. Returns whether it wrote."""
    iam = clients.iam
    if get_inline_policy(clients, role, policy) == document:
        return False
    with aws_call("iam", "PutRolePolicy"):
        iam.put_role_policy(RoleName=role, PolicyName=policy, PolicyDocument=json.dumps(document))
    return True


def list_roles(clients: AwsClients, path: str) -> list[Role]:
    """Roles under `path`, with their tags (one ListRoleTags each)."""
    iam = clients.iam
    names: list[str] = []
    with aws_call("iam", "ListRoles"):
        for page in iam.get_paginator("list_roles").paginate(PathPrefix=path):
            names.extend(r["RoleName"] for r in page.get("Roles", []))
    roles = [get_role(clients, name) for name in names]
    return [r for r in roles if r is not None]


def delete_role(clients: AwsClients, name: str) -> bool:
    """Delete the role after what blocks it (inline and attached policies). Tolerates a missing role."""
    iam = clients.iam
    if get_role(clients, name, with_tags=False) is None:
        return False
    with aws_call("iam", "ListRolePolicies", ignore=("NoSuchEntity",)):
        for policy in iam.list_role_policies(RoleName=name).get("PolicyNames", []):
            with aws_call("iam", "DeleteRolePolicy", ignore=("NoSuchEntity",)):
                iam.delete_role_policy(RoleName=name, PolicyName=policy)
    with aws_call("iam", "ListAttachedRolePolicies", ignore=("NoSuchEntity",)):
        attached = iam.list_attached_role_policies(RoleName=name).get("AttachedPolicies", [])
        for policy in attached:
            with aws_call("iam", "DetachRolePolicy", ignore=("NoSuchEntity",)):
                iam.detach_role_policy(RoleName=name, PolicyArn=policy["PolicyArn"])
    with aws_call("iam", "DeleteRole", ignore=("NoSuchEntity",)):
        iam.delete_role(RoleName=name)
    return True
