"""EC2 wrapper on moto: default VPC and subnets, security groups and their rules."""

from __future__ import annotations

import pytest

from humangov_deploy.aws import ec2
from humangov_deploy.clients import AwsClients
from humangov_deploy.errors import ConfigError


def test_one_default_subnet_per_az(clients: AwsClients) -> None:
    vpc = ec2.default_vpc(clients)
    extra = clients.ec2.create_subnet(VpcId=vpc, CidrBlock="172.31.200.0/24", AvailabilityZone="us-east-1a")
    subnets = ec2.default_subnets(clients, vpc)
    azs = [s.az for s in subnets]
    assert azs == sorted(set(azs)) and len(azs) >= 2
    assert extra["Subnet"]["SubnetId"] not in [s.id for s in subnets]  # not default-for-az


def test_too_few_azs_is_a_config_error(clients: AwsClients) -> None:
    vpc = ec2.default_vpc(clients)
    subnets = ec2.default_subnets(clients, vpc)
    for subnet in subnets[1:]:
        clients.ec2.delete_subnet(SubnetId=subnet.id)
    with pytest.raises(ConfigError, match="at least 2"):
        ec2.default_subnets(clients, vpc)


def test_rules_are_added_once(clients: AwsClients) -> None:
    vpc = ec2.default_vpc(clients)
    lb = ec2.ensure_security_group(
        clients, "lb", vpc_id=vpc, description="lb", tags={"humangov:state": "texas"}
    )
    tasks = ec2.ensure_security_group(clients, "tasks", vpc_id=vpc, description="t", tags={})
    assert ec2.ensure_security_group(clients, "lb", vpc_id=vpc, description="lb", tags={}).id == lb.id
    assert lb.tags == {"Name": "lb", "humangov:state": "texas"}
    rule = ec2.tcp_from_group(80, lb.id, "from lb")
    assert ec2.allow_ingress(clients, tasks, rule) is True
    tasks = ec2.find_security_group(clients, "tasks", vpc)  # type: ignore[assignment]
    assert tasks is not None and ec2.allow_ingress(clients, tasks, rule) is False
    assert ec2.revoke_open_egress(clients, lb) is True
    lb = ec2.find_security_group(clients, "lb", vpc)  # type: ignore[assignment]
    assert lb is not None and lb.egress == () and ec2.revoke_open_egress(clients, lb) is False


def test_has_permission_needs_every_source() -> None:
    rules = (ec2.tcp_from_cidr(80, "0.0.0.0/0", "x"),)
    assert ec2.has_permission(rules, ec2.tcp_from_cidr(80, "0.0.0.0/0", "other description"))
    assert not ec2.has_permission(rules, ec2.tcp_from_cidr(443, "0.0.0.0/0", "x"))
    assert not ec2.has_permission(rules, ec2.tcp_from_group(80, "sg-1", "x"))


def test_delete_tolerates_a_missing_group(clients: AwsClients) -> None:
    vpc = ec2.default_vpc(clients)
    group = ec2.ensure_security_group(clients, "gone", vpc_id=vpc, description="g", tags={})
    ec2.delete_security_group(clients, group.id)
    ec2.delete_security_group(clients, group.id)
    assert ec2.find_security_group(clients, "gone") is None
