"""EC2 networking: the default VPC, one default subnet per Availability Zone, security groups."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from humangov_deploy.aws.call import aws_call
from humangov_deploy.aws.tagging import ec2_tag_specifications, from_list
from humangov_deploy.clients import AwsClients
from humangov_deploy.errors import ConfigError

ALL_EGRESS: dict[str, Any] = {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}


@dataclass(frozen=True)
class Subnet:
    id: str
    az: str


@dataclass(frozen=True)
class SecurityGroup:
    id: str
    name: str
    vpc_id: str
    tags: dict[str, str] = field(default_factory=dict)
    ingress: tuple[dict[str, Any], ...] = ()
    egress: tuple[dict[str, Any], ...] = ()


def default_vpc(clients: AwsClients) -> str:
    ec2 = clients.ec2
    with aws_call("ec2", "DescribeVpcs"):
        vpcs = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}]).get("Vpcs", [])
    if not vpcs:
        raise ConfigError(
            f"no default VPC in {clients.region}: create one with `aws ec2 create-default-vpc` "
            "(HumanGov runs its tasks in the default VPC's public subnets)"
        )
    return str(vpcs[0]["VpcId"])


def default_subnets(clients: AwsClients, vpc_id: str, *, min_azs: int = 2) -> list[Subnet]:
    """One default subnet per AZ, sorted by AZ; a ConfigError if fewer than `min_azs` AZs have one."""
    ec2 = clients.ec2
    with aws_call("ec2", "DescribeSubnets"):
        subnets = ec2.describe_subnets(
            Filters=[
                {"Name": "vpc-id", "Values": [vpc_id]},
                {"Name": "default-for-az", "Values": ["true"]},
            ]
        ).get("Subnets", [])
    by_az: dict[str, str] = {}
    for subnet in sorted(subnets, key=lambda s: (s["AvailabilityZone"], s["SubnetId"])):
        by_az.setdefault(subnet["AvailabilityZone"], subnet["SubnetId"])
    if len(by_az) < min_azs:
        raise ConfigError(
            f"the default VPC {vpc_id} has default subnets in {len(by_az)} Availability Zone(s); "
            f"HumanGov needs at least {min_azs} to spread its tasks"
        )
    return [Subnet(id=subnet_id, az=az) for az, subnet_id in sorted(by_az.items())]


def _group(raw: dict[str, Any]) -> SecurityGroup:
    return SecurityGroup(
        id=raw["GroupId"],
        name=raw["GroupName"],
        vpc_id=raw.get("VpcId", ""),
        tags=from_list(raw.get("Tags")),
        ingress=tuple(raw.get("IpPermissions", [])),
        egress=tuple(raw.get("IpPermissionsEgress", [])),
    )


def find_security_group(clients: AwsClients, name: str, vpc_id: str | None = None) -> SecurityGroup | None:
    ec2 = clients.ec2
    filters = [{"Name": "group-name", "Values": [name]}]
    if vpc_id:
        filters.append({"Name": "vpc-id", "Values": [vpc_id]})
    with aws_call("ec2", "DescribeSecurityGroups"):
        groups = ec2.describe_security_groups(Filters=filters).get("SecurityGroups", [])
    return _group(groups[0]) if groups else None


def find_security_groups(clients: AwsClients, names: list[str], vpc_id: str) -> dict[str, SecurityGroup]:
    """The groups of these names in the VPC, by name, in one DescribeSecurityGroups (missing: absent)."""
    ec2 = clients.ec2
    filters = [{"Name": "group-name", "Values": names}, {"Name": "vpc-id", "Values": [vpc_id]}]
    with aws_call("ec2", "DescribeSecurityGroups"):
        groups = ec2.describe_security_groups(Filters=filters).get("SecurityGroups", [])
    return {group.name: group for group in map(_group, groups) if group.name in names}


def list_security_groups(clients: AwsClients, tags: dict[str, str]) -> list[SecurityGroup]:
    ec2 = clients.ec2
    filters = [{"Name": f"tag:{k}", "Values": [v]} for k, v in tags.items()]
    with aws_call("ec2", "DescribeSecurityGroups"):
        groups = ec2.describe_security_groups(Filters=filters).get("SecurityGroups", [])
    return [_group(g) for g in groups]


def ensure_security_group(
    clients: AwsClients, name: str, *, vpc_id: str, description: str, tags: dict[str, str]
) -> SecurityGroup:
    ec2 = clients.ec2
    existing = find_security_group(clients, name, vpc_id)
    if existing is not None:
        return existing
    with aws_call("ec2", "CreateSecurityGroup"):
        created = ec2.create_security_group(
            GroupName=name,
            Description=description,
            VpcId=vpc_id,
            TagSpecifications=ec2_tag_specifications("security-group", tags, name),
        )
    # Not described again: a new group can be missing from DescribeSecurityGroups for a while (eventual
    # consistency). It has no ingress and the one egress rule AWS gives every new group (allow all:
    # https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html).
    return SecurityGroup(
        id=str(created["GroupId"]),
        name=name,
        vpc_id=vpc_id,
        tags={"Name": name, **tags},
        egress=(dict(ALL_EGRESS),),
    )


def tcp_from_cidr(port: int, cidr: str, description: str) -> dict[str, Any]:
    return {
        "IpProtocol": "tcp",
        "FromPort": port,
        "ToPort": port,
        "IpRanges": [{"CidrIp": cidr, "Description": description}],
    }


def tcp_from_group(port: int, group_id: str, description: str) -> dict[str, Any]:
    return {
        "IpProtocol": "tcp",
        "FromPort": port,
        "ToPort": port,
        "UserIdGroupPairs": [{"GroupId": group_id, "Description": description}],
    }


def _sources(permission: dict[str, Any]) -> set[str]:
    return {r["CidrIp"] for r in permission.get("IpRanges", [])} | {
        p["GroupId"] for p in permission.get("UserIdGroupPairs", [])
    }


def has_permission(rules: tuple[dict[str, Any], ...], permission: dict[str, Any]) -> bool:
    """Whether `rules` already allow `permission` (same protocol and ports, every source present)."""
    key = (permission.get("IpProtocol"), permission.get("FromPort"), permission.get("ToPort"))
    present: set[str] = set()
    for rule in rules:
        if (rule.get("IpProtocol"), rule.get("FromPort"), rule.get("ToPort")) == key:
            present |= _sources(rule)
    return _sources(permission) <= present


def allow_ingress(clients: AwsClients, group: SecurityGroup, permission: dict[str, Any]) -> bool:
    """Add the rule unless the group has it. Returns whether it wrote."""
    ec2 = clients.ec2
    if has_permission(group.ingress, permission):
        return False
    with aws_call("ec2", "AuthorizeSecurityGroupIngress", ignore=("InvalidPermission.Duplicate",)):
        ec2.authorize_security_group_ingress(GroupId=group.id, IpPermissions=[permission])
    return True


def revoke_ingress(clients: AwsClients, group: SecurityGroup, permission: dict[str, Any]) -> bool:
    """Remove the rule if the group has it. Returns whether it wrote."""
    ec2 = clients.ec2
    if not has_permission(group.ingress, permission):
        return False
    with aws_call("ec2", "RevokeSecurityGroupIngress", ignore=("InvalidPermission.NotFound",)):
        ec2.revoke_security_group_ingress(GroupId=group.id, IpPermissions=[permission])
    return True


def allow_egress(clients: AwsClients, group: SecurityGroup, permission: dict[str, Any]) -> bool:
    ec2 = clients.ec2
    if has_permission(group.egress, permission):
        return False
    with aws_call("ec2", "AuthorizeSecurityGroupEgress", ignore=("InvalidPermission.Duplicate",)):
        ec2.authorize_security_group_egress(GroupId=group.id, IpPermissions=[permission])
    return True


def revoke_open_egress(clients: AwsClients, group: SecurityGroup) -> bool:
    """Remove the allow-all egress rule AWS adds to every new group. Returns whether it was there."""
    ec2 = clients.ec2
    has_open = any(
        p.get("IpProtocol") == "-1" and any(r.get("CidrIp") == "0.0.0.0/0" for r in p.get("IpRanges", []))
        for p in group.egress
    )
    if not has_open:
        return False
    with aws_call("ec2", "RevokeSecurityGroupEgress", ignore=("InvalidPermission.NotFound",)):
        ec2.revoke_security_group_egress(GroupId=group.id, IpPermissions=[ALL_EGRESS])
    return True


def delete_security_group(clients: AwsClients, group_id: str) -> None:
    """Delete; a DependencyViolation (ENIs still attached) surfaces as AwsError for the caller's wait."""
    ec2 = clients.ec2
    with aws_call("ec2", "DeleteSecurityGroup", ignore=("InvalidGroup.NotFound",)):
        ec2.delete_security_group(GroupId=group_id)


def _without_group_pairs(permission: dict[str, Any], group_ids: set[str]) -> dict[str, Any] | None:
    """The part of `permission` that names one of `group_ids` (as RevokeSecurityGroup* wants it), or None."""
    pairs = [p for p in permission.get("UserIdGroupPairs", []) if p.get("GroupId") in group_ids]
    if not pairs:
        return None
    revoke: dict[str, Any] = {"IpProtocol": permission["IpProtocol"]}
    for key in ("FromPort", "ToPort"):
        if key in permission:
            revoke[key] = permission[key]
    # The pairs as described (with UserId and Description): AWS matches on the group, moto on them all.
    revoke["UserIdGroupPairs"] = pairs
    return revoke


def revoke_group_references(clients: AwsClients, group: SecurityGroup, group_ids: set[str]) -> int:
    """Revoke every rule of `group` (ingress and egress) that names one of `group_ids`; returns how many.

    AWS refuses DeleteSecurityGroup with DependencyViolation, for good, while another group's rule names
    the group (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteSecurityGroup.html), so a
    pair of groups that name each other can only go once these rules are gone.
    """
    ec2 = clients.ec2
    revoked = 0
    for permission in group.ingress:
        revoke = _without_group_pairs(permission, group_ids)
        if revoke is not None:
            with aws_call("ec2", "RevokeSecurityGroupIngress", ignore=("InvalidPermission.NotFound",)):
                ec2.revoke_security_group_ingress(GroupId=group.id, IpPermissions=[revoke])
            revoked += 1
    for permission in group.egress:
        revoke = _without_group_pairs(permission, group_ids)
        if revoke is not None:
            with aws_call("ec2", "RevokeSecurityGroupEgress", ignore=("InvalidPermission.NotFound",)):
                ec2.revoke_security_group_egress(GroupId=group.id, IpPermissions=[revoke])
            revoked += 1
    return revoked


def groups_referencing(clients: AwsClients, group_id: str) -> list[SecurityGroup]:
    """Every other group with an ingress or egress rule that names `group_id`."""
    ec2 = clients.ec2
    found: dict[str, SecurityGroup] = {}
    for key in ("ip-permission.group-id", "egress.ip-permission.group-id"):
        with aws_call("ec2", "DescribeSecurityGroups"):
            groups = ec2.describe_security_groups(Filters=[{"Name": key, "Values": [group_id]}])
        for raw in groups.get("SecurityGroups", []):
            if raw["GroupId"] != group_id:
                found[raw["GroupId"]] = _group(raw)
    return sorted(found.values(), key=lambda g: g.id)
