"""A state served under its own domain (`deploy --domain NAME --certificate-arn ARN [--hosted-zone-id Z]`).

An ACM certificate names the state's domain, never the ALB's `*.elb.amazonaws.com` name, so an HTTPS
check against the ALB's name can never pass on AWS. With a domain, the state's URL is `https://NAME`,
and `StackStatus.address` is the ALB's DNS name: verify and the rollout gate connect there and send SNI
and Host for NAME (http_session.py), so the check runs before (or without) any DNS record.

Where the domain is remembered: in the ALB itself. Its HTTP:80 listener redirects to `https://NAME`
(instead of the request's own host), so `status` reads the domain from the listeners it reads anyway, with
no call more. With `--hosted-zone-id` a Route 53 alias record NAME -> the ALB is UPSERTed on every
deploy, and the ALB carries the tag `humangov:dns-alias` = `ZONE/NAME`, so a redeploy that changes or
drops the domain, and `destroy`, remove the record it made (only while it still points at this ALB).
"""

from __future__ import annotations

import re

from humangov_deploy.aws import elbv2 as elbv2_api
from humangov_deploy.aws import route53 as route53_api
from humangov_deploy.aws.call import aws_call
from humangov_deploy.clients import AwsClients
from humangov_deploy.errors import ConfigError
from humangov_deploy.naming import domain_name
from humangov_deploy.platforms.base import Progress, StackStatus

TAG_ALIAS = "humangov:dns-alias"
# The redirect's Host when the state has no domain of its own: the request's (ALB redirect syntax).
REQUEST_HOST = "#{host}"
_ZONE = re.compile(r"^(/hostedzone/)?[A-Z0-9]{1,32}$")


def check_options(domain: str | None, hosted_zone_id: str | None, certificate_arn: str | None) -> None:
    """Refuse, before any AWS call, what cannot work."""
    if domain is not None:
        domain_name(domain, "new-york")  # the syntax, `{state}` included
        if certificate_arn is None:
            raise ConfigError(
                f"--domain {domain} needs --certificate-arn (an ACM certificate for that name): the state "
                "is served as https://NAME"
            )
    if hosted_zone_id is not None:
        if domain is None:
            raise ConfigError("--hosted-zone-id needs --domain (the name of the alias record to make)")
        if not _ZONE.match(hosted_zone_id):
            raise ConfigError(
                "--hosted-zone-id takes a Route 53 hosted zone id such as Z0123456789ABC, "
                f"not {hosted_zone_id!r}"
            )


def redirect_host(domain: str | None) -> str:
    return domain or REQUEST_HOST


def domain_of(listeners: list[elbv2_api.Listener]) -> str | None:
    """The state's domain, as its HTTP:80 redirect records it (None: served under the ALB's own name)."""
    for listener in listeners:
        host = (listener.redirect or {}).get("Host")
        if listener.protocol == "HTTP" and host and host != REQUEST_HOST:
            return host
    return None


def set_url(result: StackStatus, listeners: list[elbv2_api.Listener], lb_dns_name: str) -> bool:
    """The state's URL (and the address to connect to, with a domain); True when it serves HTTPS."""
    https = any(listener.protocol == "HTTPS" for listener in listeners)
    domain = domain_of(listeners) if https else None
    result.url = f"{'https' if https else 'http'}://{domain or lb_dns_name}"
    result.address = lb_dns_name if domain else None
    return https


def converge_alias(
    clients: AwsClients,
    load_balancer_arn: str,
    *,
    previous: str | None,
    domain: str | None,
    hosted_zone_id: str | None,
    progress: Progress,
) -> None:
    """The alias record `domain` -> the ALB when a zone is given; the one made before goes when it differs.

    No call at all when the state had no domain and has none now (the redeploy budget is unchanged).
    """
    if previous is None and domain is None:
        return
    recorded = elbv2_api.tags_of(clients, [load_balancer_arn]).get(load_balancer_arn, {}).get(TAG_ALIAS)
    wanted = f"{route53_api.zone_id(hosted_zone_id)}/{domain}" if hosted_zone_id and domain else None
    if recorded is None and wanted is None:
        return
    target = alias_target(clients, load_balancer_arn)
    if recorded and recorded != wanted:
        _remove(clients, recorded, target, progress)
        if wanted is None:
            _untag(clients, load_balancer_arn)
    if wanted and domain and hosted_zone_id:
        progress(
            f"Route 53: {domain} -> {target.dns_name} (alias, zone {route53_api.zone_id(hosted_zone_id)})"
        )
        route53_api.upsert_alias(clients, hosted_zone_id, domain, target)
        if recorded != wanted:
            _tag(clients, load_balancer_arn, wanted)


def remove_alias(clients: AwsClients, load_balancer_arn: str, progress: Progress) -> None:
    """destroy: the alias record a deploy made for this ALB, if any (before the ALB goes)."""
    recorded = elbv2_api.tags_of(clients, [load_balancer_arn]).get(load_balancer_arn, {}).get(TAG_ALIAS)
    if recorded:
        _remove(clients, recorded, alias_target(clients, load_balancer_arn), progress)


def alias_target(clients: AwsClients, load_balancer_arn: str) -> route53_api.AliasTarget:
    elbv2 = clients.elbv2
    with aws_call("elbv2", "DescribeLoadBalancers"):
        raw = elbv2.describe_load_balancers(LoadBalancerArns=[load_balancer_arn])["LoadBalancers"][0]
    return route53_api.AliasTarget(str(raw["DNSName"]), str(raw["CanonicalHostedZoneId"]))


def _remove(clients: AwsClients, recorded: str, target: route53_api.AliasTarget, progress: Progress) -> None:
    zone, _, name = recorded.partition("/")
    if route53_api.delete_alias(clients, zone, name, target):
        progress(f"Route 53: removed the alias record {name} (zone {zone})")
    else:
        progress(f"Route 53: {name} (zone {zone}) no longer points at this load balancer: left alone")


def _tag(clients: AwsClients, arn: str, value: str) -> None:
    elbv2 = clients.elbv2
    with aws_call("elbv2", "AddTags"):
        elbv2.add_tags(ResourceArns=[arn], Tags=[{"Key": TAG_ALIAS, "Value": value}])


def _untag(clients: AwsClients, arn: str) -> None:
    elbv2 = clients.elbv2
    with aws_call("elbv2", "RemoveTags"):
        elbv2.remove_tags(ResourceArns=[arn], TagKeys=[TAG_ALIAS])
