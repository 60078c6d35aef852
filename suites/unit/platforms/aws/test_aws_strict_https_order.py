"""Redeploys that add or remove HTTPS never leave a moment where the load balancer redirects to a port its
security group has closed (issue 19, item 10): listeners change first, then the group's 443 rule."""

from __future__ import annotations

import pytest
from aws_testkit import moto_platform
from strict_aws import StrictAws

from humangov_deploy.naming import names_for

QUIET = lambda _m: None  # noqa: E731
NAMES = names_for("utah")


@pytest.fixture(autouse=True)
def _bootstrapped(strict_aws: StrictAws) -> None:
    strict_aws.apply_bootstrap_boundary()


def open_ports(strict: StrictAws) -> set[int]:
    group = strict.clients.ec2.describe_security_groups(
        Filters=[{"Name": "group-name", "Values": [NAMES.lb_security_group]}]
    )["SecurityGroups"][0]
    return {rule["FromPort"] for rule in group["IpPermissions"] if rule.get("IpRanges")}


def listener_ports(strict: StrictAws) -> dict[int, str]:
    elbv2 = strict.clients.elbv2
    lb = elbv2.describe_load_balancers(Names=[NAMES.load_balancer])["LoadBalancers"][0]["LoadBalancerArn"]
    found = elbv2.describe_listeners(LoadBalancerArn=lb)["Listeners"]
    return {x["Port"]: x["DefaultActions"][0]["Type"] for x in found}


def test_https_to_http_and_back_never_redirects_to_a_closed_port(strict_aws: StrictAws) -> None:
    clients, clock = strict_aws.clients, strict_aws.clock
    certificate = str(clients.acm.request_certificate(DomainName="utah.example.gov")["CertificateArn"])
    moto_platform(clients, clock=clock, certificate_arn=certificate).deploy(
        "utah", timeout=600, progress=QUIET
    )
    assert open_ports(strict_aws) == {80, 443} and listener_ports(strict_aws) == {
        80: "redirect",
        443: "forward",
    }

    moto_platform(clients, clock=clock).deploy("utah", timeout=600, progress=QUIET)  # HTTPS -> HTTP
    assert open_ports(strict_aws) == {80} and listener_ports(strict_aws) == {80: "forward"}
    assert strict_aws.hazards == []

    moto_platform(clients, clock=clock, certificate_arn=certificate).deploy(
        "utah", timeout=600, progress=QUIET
    )
    assert open_ports(strict_aws) == {80, 443} and strict_aws.hazards == []
