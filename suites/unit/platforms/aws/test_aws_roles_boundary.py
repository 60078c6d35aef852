"""Every role the aws platform makes carries the bootstrap's permissions boundary (the CI role may create
and re-policy roles only with it), on a first deploy and on a role an older deploy made without it."""

from __future__ import annotations

from aws_testkit import moto_platform

from humangov_deploy.clients import AwsClients
from humangov_deploy.naming import PERMISSIONS_BOUNDARY, names_for
from humangov_deploy.platforms.aws import spec


def boundaries(clients: AwsClients, state: str) -> dict[str, str | None]:
    names = names_for(state)
    found: dict[str, str | None] = {}
    for role in (names.task_role, names.execution_role):
        raw = clients.iam.get_role(RoleName=role)["Role"]
        found[role] = (raw.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
    return found


def test_both_roles_of_a_state_carry_the_boundary(moto_clients: AwsClients) -> None:
    platform = moto_platform(moto_clients)
    platform.deploy("texas", timeout=300, progress=lambda _m: None)
    boundary = spec.permissions_boundary_arn(platform.account())
    assert boundary.endswith(f":policy/{PERMISSIONS_BOUNDARY}")
    assert set(boundaries(moto_clients, "texas").values()) == {boundary}


def test_roles_made_without_the_boundary_get_it_on_the_next_deploy(moto_clients: AwsClients) -> None:
    platform = moto_platform(moto_clients)
    platform.deploy("texas", timeout=300, progress=lambda _m: None)
    for role in boundaries(moto_clients, "texas"):
        moto_clients.iam.delete_role_permissions_boundary(RoleName=role)  # as a deploy before the boundary
    assert set(boundaries(moto_clients, "texas").values()) == {None}
    platform.deploy("texas", timeout=300, progress=lambda _m: None)
    assert set(boundaries(moto_clients, "texas").values()) == {
        spec.permissions_boundary_arn(platform.account())
    }
