"""Route 53: the alias record that names a state's load balancer by the state's own domain.

An alias A record points at the ALB's DNS name in the ALB's own (canonical) hosted zone; UPSERT makes or
corrects it in one call, and DELETE must repeat the record exactly, so it is read first
(https://docs.aws.amazon.com/Route53/latest/APIReference/API_ChangeResourceRecordSets.html;
alias targets: https://docs.aws.amazon.com/Route53/latest/APIReference/API_AliasTarget.html).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from humangov_deploy.aws.call import aws_call
from humangov_deploy.clients import AwsClients


@dataclass(frozen=True)
class AliasTarget:
    dns_name: str  # the load balancer's DNS name
    hosted_zone_id: str  # the load balancer's canonical hosted zone (not the domain's)


def _fqdn(name: str) -> str:
    return name.lower().rstrip(".") + "."


def zone_id(value: str) -> str:
    """A hosted zone id as the API takes it (`/hostedzone/Z123` and `Z123` alike)."""
    return value.rsplit("/", 1)[-1]


def upsert_alias(clients: AwsClients, zone: str, name: str, target: AliasTarget) -> None:
    record = _record(name, target)
    route53 = clients.route53
    with aws_call("route53", "ChangeResourceRecordSets"):
        route53.change_resource_record_sets(
            HostedZoneId=zone_id(zone),
            ChangeBatch={
                "Comment": f"HumanGov: {name} -> its load balancer",
                "Changes": [{"Action": "UPSERT", "ResourceRecordSet": record}],
            },
        )


def find_alias(clients: AwsClients, zone: str, name: str) -> AliasTarget | None:
    """The alias A record `name` of the zone, if there is one."""
    route53 = clients.route53
    with aws_call("route53", "ListResourceRecordSets"):
        found = route53.list_resource_record_sets(
            HostedZoneId=zone_id(zone), StartRecordName=_fqdn(name), StartRecordType="A", MaxItems="1"
        ).get("ResourceRecordSets", [])
    for record in found:
        alias = record.get("AliasTarget")
        if _fqdn(record.get("Name", "")) == _fqdn(name) and record.get("Type") == "A" and alias:
            return AliasTarget(str(alias["DNSName"]), str(alias["HostedZoneId"]))
    return None


def delete_alias(clients: AwsClients, zone: str, name: str, target: AliasTarget) -> bool:
    """Delete the alias record `name` when it still points at `target`; False when it does not (gone, or
    someone pointed the name elsewhere: that record is theirs now)."""
    current = find_alias(clients, zone, name)
    if current is None or not same_target(current, target):
        return False
    route53 = clients.route53
    with aws_call("route53", "ChangeResourceRecordSets", ignore=("InvalidChangeBatch",)):
        route53.change_resource_record_sets(
            HostedZoneId=zone_id(zone),
            ChangeBatch={"Changes": [{"Action": "DELETE", "ResourceRecordSet": _record(name, current)}]},
        )
    return True


def same_target(a: AliasTarget, b: AliasTarget) -> bool:
    # Route 53 may answer with a trailing dot, another case, or the "dualstack." form of the name.
    def norm(name: str) -> str:
        return name.lower().rstrip(".").removeprefix("dualstack.")

    return norm(a.dns_name) == norm(b.dns_name)


def _record(name: str, target: AliasTarget) -> dict[str, Any]:
    return {
        "Name": _fqdn(name),
        "Type": "A",
        "AliasTarget": {
            "HostedZoneId": target.hosted_zone_id,
            "DNSName": target.dns_name,
            "EvaluateTargetHealth": False,
        },
    }
