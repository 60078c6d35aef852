"""ELBv2: the state's Application Load Balancer, its IP target group and its listeners (HTTP, HTTPS)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from humangov_deploy.aws.call import aws_call
from humangov_deploy.aws.tagging import from_list, key_value
from humangov_deploy.clients import AwsClients


def _tags(tags: dict[str, str]) -> dict[str, Any]:
    # ELBv2 rejects an empty Tags list.
    return {"Tags": key_value(tags)} if tags else {}


@dataclass(frozen=True)
class LoadBalancer:
    arn: str
    name: str
    dns_name: str
    state: str
    security_groups: tuple[str, ...]
    azs: tuple[str, ...]
    created: datetime | None = None


@dataclass(frozen=True)
class TargetGroup:
    arn: str
    name: str
    load_balancer_arns: tuple[str, ...]
    health_check: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TargetHealth:
    id: str
    port: int | None
    az: str | None
    state: str  # initial, healthy, unhealthy, unused, draining, unavailable
    reason: str = ""
    description: str = ""

    def __str__(self) -> str:
        extra = f" ({self.reason}: {self.description})" if self.reason else ""
        return f"{self.id}:{self.port} {self.state}{extra}"


def find_load_balancer(clients: AwsClients, name: str) -> LoadBalancer | None:
    elbv2 = clients.elbv2
    response = None
    with aws_call("elbv2", "DescribeLoadBalancers", ignore=("LoadBalancerNotFound",)):
        response = elbv2.describe_load_balancers(Names=[name])
    if not response or not response.get("LoadBalancers"):
        return None
    return _load_balancer(response["LoadBalancers"][0])


def _load_balancer(raw: dict[str, Any]) -> LoadBalancer:
    return LoadBalancer(
        arn=raw["LoadBalancerArn"],
        name=raw["LoadBalancerName"],
        dns_name=raw.get("DNSName", ""),
        state=raw.get("State", {}).get("Code", "unknown"),
        security_groups=tuple(raw.get("SecurityGroups", [])),
        azs=tuple(sorted(z["ZoneName"] for z in raw.get("AvailabilityZones", []))),
        created=raw.get("CreatedTime"),
    )


def create_load_balancer(
    clients: AwsClients, name: str, *, subnets: list[str], security_groups: list[str], tags: dict[str, str]
) -> LoadBalancer:
    elbv2 = clients.elbv2
    with aws_call("elbv2", "CreateLoadBalancer"):
        response = elbv2.create_load_balancer(
            Name=name,
            Subnets=subnets,
            SecurityGroups=security_groups,
            Scheme="internet-facing",
            Type="application",
            IpAddressType="ipv4",
            **_tags(tags),
        )
    # What CreateLoadBalancer returned: a describe by name can miss it for a moment.
    return _load_balancer(response["LoadBalancers"][0])


def set_load_balancer_attributes(clients: AwsClients, arn: str, attributes: dict[str, str]) -> None:
    elbv2 = clients.elbv2
    with aws_call("elbv2", "ModifyLoadBalancerAttributes"):
        elbv2.modify_load_balancer_attributes(
            LoadBalancerArn=arn, Attributes=[{"Key": k, "Value": v} for k, v in attributes.items()]
        )


def set_security_groups(clients: AwsClients, arn: str, security_groups: list[str]) -> None:
    elbv2 = clients.elbv2
    with aws_call("elbv2", "SetSecurityGroups"):
        elbv2.set_security_groups(LoadBalancerArn=arn, SecurityGroups=security_groups)


def find_target_group(clients: AwsClients, name: str) -> TargetGroup | None:
    elbv2 = clients.elbv2
    response = None
    with aws_call("elbv2", "DescribeTargetGroups", ignore=("TargetGroupNotFound",)):
        response = elbv2.describe_target_groups(Names=[name])
    if not response or not response.get("TargetGroups"):
        return None
    return _target_group(response["TargetGroups"][0])


def _target_group(raw: dict[str, Any]) -> TargetGroup:
    keys = (
        "HealthCheckProtocol",
        "HealthCheckPort",
        "HealthCheckPath",
        "HealthCheckIntervalSeconds",
        "HealthCheckTimeoutSeconds",
        "HealthyThresholdCount",
        "UnhealthyThresholdCount",
        "Matcher",
    )
    return TargetGroup(
        arn=raw["TargetGroupArn"],
        name=raw["TargetGroupName"],
        load_balancer_arns=tuple(raw.get("LoadBalancerArns", [])),
        health_check={k: raw[k] for k in keys if k in raw},
    )


def create_target_group(
    clients: AwsClients,
    name: str,
    *,
    vpc_id: str,
    port: int,
    health_check: dict[str, Any],
    tags: dict[str, str],
) -> TargetGroup:
    elbv2 = clients.elbv2
    with aws_call("elbv2", "CreateTargetGroup"):
        response = elbv2.create_target_group(
            Name=name,
            Protocol="HTTP",
            ProtocolVersion="HTTP1",
            Port=port,
            VpcId=vpc_id,
            TargetType="ip",
            HealthCheckEnabled=True,
            **_tags(tags),
            **health_check,
        )
    # What CreateTargetGroup returned: a describe by name can miss it for a moment.
    return _target_group(response["TargetGroups"][0])


def modify_health_check(clients: AwsClients, arn: str, health_check: dict[str, Any]) -> None:
    elbv2 = clients.elbv2
    with aws_call("elbv2", "ModifyTargetGroup"):
        elbv2.modify_target_group(TargetGroupArn=arn, **health_check)


def target_group_attributes(clients: AwsClients, arn: str) -> dict[str, str]:
    elbv2 = clients.elbv2
    with aws_call("elbv2", "DescribeTargetGroupAttributes"):
        attributes = elbv2.describe_target_group_attributes(TargetGroupArn=arn).get("Attributes", [])
    return {a["Key"]: a["Value"] for a in attributes}


def set_target_group_attributes(clients: AwsClients, arn: str, attributes: dict[str, str]) -> None:
    elbv2 = clients.elbv2
    with aws_call("elbv2", "ModifyTargetGroupAttributes"):
        elbv2.modify_target_group_attributes(
            TargetGroupArn=arn, Attributes=[{"Key": k, "Value": v} for k, v in attributes.items()]
        )


@dataclass(frozen=True)
class Listener:
    arn: str
    port: int
    protocol: str
    target_group_arns: tuple[str, ...]
    ssl_policy: str | None = None  # HTTPS only (AWS reports a policy on HTTP listeners too: dropped)
    certificates: tuple[str, ...] = ()
    redirect: dict[str, str] | None = None  # the default action's RedirectConfig, when it redirects


def listeners(clients: AwsClients, load_balancer_arn: str) -> list[Listener]:
    elbv2 = clients.elbv2
    with aws_call("elbv2", "DescribeListeners"):
        raw = elbv2.describe_listeners(LoadBalancerArn=load_balancer_arn).get("Listeners", [])
    result = []
    for item in raw:
        actions = item.get("DefaultActions", [])
        arns = tuple(a["TargetGroupArn"] for a in actions if a.get("TargetGroupArn"))
        redirect = next((dict(a["RedirectConfig"]) for a in actions if a.get("Type") == "redirect"), None)
        https = item.get("Protocol") == "HTTPS"
        certificates = tuple(c["CertificateArn"] for c in item.get("Certificates", [])) if https else ()
        result.append(
            Listener(
                item["ListenerArn"],
                int(item["Port"]),
                item.get("Protocol", ""),
                arns,
                ssl_policy=item.get("SslPolicy") if https else None,
                certificates=certificates,
                redirect=redirect,
            )
        )
    return result


def put_listener(
    clients: AwsClients,
    load_balancer_arn: str,
    current: Listener | None,
    *,
    port: int,
    protocol: str,
    actions: list[dict[str, Any]],
    tls: dict[str, Any] | None = None,
    tags: dict[str, str],
) -> str:
    """Create the listener on `port`, or modify the existing one to exactly these settings; its ARN.

    `tls` is `{"SslPolicy": ..., "Certificates": [...]}` for HTTPS. A certificate ARN that does not
    exist is refused by AWS with CertificateNotFound (moto does the same).
    """
    elbv2 = clients.elbv2
    settings: dict[str, Any] = {"Protocol": protocol, "Port": port, "DefaultActions": actions, **(tls or {})}
    if current is not None:
        with aws_call("elbv2", "ModifyListener"):
            elbv2.modify_listener(ListenerArn=current.arn, **settings)
        return current.arn
    with aws_call("elbv2", "CreateListener"):
        created = elbv2.create_listener(LoadBalancerArn=load_balancer_arn, **settings, **_tags(tags))
    return str(created["Listeners"][0]["ListenerArn"])


def delete_listener(clients: AwsClients, arn: str) -> None:
    elbv2 = clients.elbv2
    with aws_call("elbv2", "DeleteListener", ignore=("ListenerNotFound",)):
        elbv2.delete_listener(ListenerArn=arn)


def ensure_http_listener(
    clients: AwsClients, load_balancer_arn: str, target_group_arn: str, *, port: int, tags: dict[str, str]
) -> Listener:
    """HTTP listener on `port` forwarding to the target group; repointed if it forwards elsewhere."""
    elbv2 = clients.elbv2
    forward = [{"Type": "forward", "TargetGroupArn": target_group_arn}]
    for listener in listeners(clients, load_balancer_arn):
        if listener.port != port:
            continue
        if listener.target_group_arns != (target_group_arn,) or listener.protocol != "HTTP":
            with aws_call("elbv2", "ModifyListener"):
                elbv2.modify_listener(ListenerArn=listener.arn, Protocol="HTTP", DefaultActions=forward)
        return Listener(listener.arn, port, "HTTP", (target_group_arn,))
    with aws_call("elbv2", "CreateListener"):
        created = elbv2.create_listener(
            LoadBalancerArn=load_balancer_arn,
            Protocol="HTTP",
            Port=port,
            DefaultActions=forward,
            **_tags(tags),
        )["Listeners"][0]
    return Listener(created["ListenerArn"], port, "HTTP", (target_group_arn,))


def target_health(clients: AwsClients, target_group_arn: str) -> list[TargetHealth]:
    elbv2 = clients.elbv2
    with aws_call("elbv2", "DescribeTargetHealth"):
        raw = elbv2.describe_target_health(TargetGroupArn=target_group_arn).get(
            "TargetHealthDescriptions", []
        )
    result = []
    for item in raw:
        target, health = item.get("Target", {}), item.get("TargetHealth", {})
        result.append(
            TargetHealth(
                id=str(target.get("Id", "")),
                port=target.get("Port"),
                az=target.get("AvailabilityZone"),
                state=str(health.get("State", "unknown")),
                reason=str(health.get("Reason", "")),
                description=str(health.get("Description", "")),
            )
        )
    return result


def tags_of(clients: AwsClients, arns: list[str]) -> dict[str, dict[str, str]]:
    elbv2 = clients.elbv2
    if not arns:
        return {}
    with aws_call("elbv2", "DescribeTags"):
        raw = elbv2.describe_tags(ResourceArns=arns).get("TagDescriptions", [])
    return {item["ResourceArn"]: from_list(item.get("Tags")) for item in raw}


def delete_load_balancer(clients: AwsClients, arn: str) -> None:
    elbv2 = clients.elbv2
    with aws_call("elbv2", "DeleteLoadBalancer", ignore=("LoadBalancerNotFound",)):
        elbv2.delete_load_balancer(LoadBalancerArn=arn)


def delete_target_group(clients: AwsClients, arn: str) -> None:
    """Delete; ResourceInUse (its load balancer is still going away) surfaces for the caller's wait."""
    elbv2 = clients.elbv2
    with aws_call("elbv2", "DeleteTargetGroup", ignore=("TargetGroupNotFound",)):
        elbv2.delete_target_group(TargetGroupArn=arn)
