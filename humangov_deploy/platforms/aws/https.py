"""HTTPS on the aws platform: the ALB's listeners and its security group's port 443, converged.

With a certificate (`deploy --certificate-arn ARN`, an ACM certificate for the state's domain) the ALB
terminates TLS on HTTPS:443 with a TLS 1.2+ policy and forwards to the target group; HTTP:80 answers a
301 to the same host, path and query over HTTPS. Without one, HTTP:80 forwards and no 443 is open: the
state serves plain HTTP, which `deploy`, `status` and `verify` print as a warning. A redeploy converges
either way: adding, changing or removing the certificate rewrites the listeners and the group's rules.
The ALB tells the tasks the client's scheme in X-Forwarded-Proto, replacing any client's own
(https://docs.aws.amazon.com/elasticloadbalancing/latest/application/x-forwarded-headers.html): nginx adds
HSTS and the app marks its session cookie Secure only when it says https.
"""

from __future__ import annotations

from typing import Any

from humangov_deploy.aws import ec2 as ec2_api
from humangov_deploy.aws import elbv2 as elbv2_api
from humangov_deploy.aws.call import AwsError
from humangov_deploy.clients import AwsClients
from humangov_deploy.errors import ConfigError
from humangov_deploy.platforms.aws.domain import converge_alias, domain_of, redirect_host
from humangov_deploy.platforms.base import ListenerInfo, Progress

HTTP_PORT = 80
HTTPS_PORT = 443
# TLS 1.3 and 1.2 only, forward-secret AEAD ciphers: what AWS recommends for HTTPS listeners
# (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/describe-ssl-policies.html).
TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
# The same URL over HTTPS: `#{host}`, `#{path}` (without its leading /) and `#{query}` are the request's
# (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_RedirectActionConfig.html);
# with a domain (`--domain NAME`, domain.py) the host is NAME, the one name the certificate is for.
REDIRECT_TO_HTTPS: dict[str, str] = {
    "Protocol": "HTTPS",
    "Port": str(HTTPS_PORT),
    "Host": "#{host}",
    "Path": "/#{path}",
    "Query": "#{query}",
    "StatusCode": "HTTP_301",
}


def redirect_to_https(domain: str | None = None) -> dict[str, str]:
    return {**REDIRECT_TO_HTTPS, "Host": redirect_host(domain)}


def plain_http_warning(state: str) -> str:
    """The one line `deploy`, `status` and `verify` print for a state without a certificate."""
    return (
        f"{state} is served over plain HTTP (no certificate): passwords and salaries cross the network "
        f"unencrypted; deploy again with --certificate-arn ARN (an ACM certificate for its domain)"
    )


def https_ingress() -> dict[str, Any]:
    return ec2_api.tcp_from_cidr(HTTPS_PORT, "0.0.0.0/0", "HTTPS")


def ensure_https_ingress(clients: AwsClients, lb_sg: ec2_api.SecurityGroup, https: bool) -> None:
    """443 open from anywhere exactly when the ALB listens there; 80 stays open (forward or redirect)."""
    if https:
        ec2_api.allow_ingress(clients, lb_sg, https_ingress())
    else:
        ec2_api.revoke_ingress(clients, lb_sg, https_ingress())


def ensure_listeners(
    clients: AwsClients,
    load_balancer_arn: str,
    target_group_arn: str,
    certificate_arn: str | None,
    *,
    tags: dict[str, str],
    progress: Progress,
    domain: str | None = None,
    hosted_zone_id: str | None = None,
) -> None:
    """HTTPS:443 forwarding and HTTP:80 redirecting (with a certificate), or HTTP:80 forwarding alone;
    then the state's Route 53 alias record (domain.py).

    The order keeps the state reachable throughout: HTTPS is in place before HTTP starts redirecting to
    it, and HTTP forwards again before HTTPS goes away.
    """
    found = elbv2_api.listeners(clients, load_balancer_arn)
    previous = domain_of(found)
    _listeners(clients, load_balancer_arn, target_group_arn, certificate_arn, found, tags, progress, domain)
    converge_alias(
        clients, load_balancer_arn, previous=previous, domain=domain, hosted_zone_id=hosted_zone_id,
        progress=progress,
    )  # fmt: skip


def _listeners(
    clients: AwsClients,
    load_balancer_arn: str,
    target_group_arn: str,
    certificate_arn: str | None,
    found: list[elbv2_api.Listener],
    tags: dict[str, str],
    progress: Progress,
    domain: str | None,
) -> None:
    by_port = {listener.port: listener for listener in found}
    forward = [{"Type": "forward", "TargetGroupArn": target_group_arn}]
    https, http = by_port.get(HTTPS_PORT), by_port.get(HTTP_PORT)
    if certificate_arn is None:
        elbv2_api.ensure_http_listener(
            clients, load_balancer_arn, target_group_arn, port=HTTP_PORT, tags=tags
        )
        if https is not None:
            progress(f"no certificate: removing the HTTPS:{HTTPS_PORT} listener, HTTP:{HTTP_PORT} forwards")
            elbv2_api.delete_listener(clients, https.arn)
        return
    wanted_https = (HTTPS_PORT, "HTTPS", (target_group_arn,), TLS_POLICY, (certificate_arn,))
    if https is None or _shape(https) != wanted_https:
        progress(f"HTTPS:{HTTPS_PORT} listener with {certificate_arn.rsplit('/', 1)[-1]} ({TLS_POLICY})")
        tls = {"SslPolicy": TLS_POLICY, "Certificates": [{"CertificateArn": certificate_arn}]}
        try:
            elbv2_api.put_listener(
                clients, load_balancer_arn, https, port=HTTPS_PORT, protocol="HTTPS", actions=forward,
                tls=tls, tags=tags,
            )  # fmt: skip
        except AwsError as exc:
            if exc.code in ("CertificateNotFound", "CertificateNotFoundException"):
                raise ConfigError(
                    f"the certificate {certificate_arn} does not exist in {clients.region} (an ALB needs an "
                    "ACM certificate of its own region): check --certificate-arn"
                ) from exc
            raise
    if http is None or http.protocol != "HTTP" or http.redirect != redirect_to_https(domain):
        progress(f"HTTP:{HTTP_PORT} answers 301 to https://{domain or 'the same host'}")
        redirect = [{"Type": "redirect", "RedirectConfig": redirect_to_https(domain)}]
        elbv2_api.put_listener(
            clients, load_balancer_arn, http, port=HTTP_PORT, protocol="HTTP", actions=redirect, tags=tags
        )


def _shape(listener: elbv2_api.Listener) -> tuple[Any, ...]:
    return (
        listener.port,
        listener.protocol,
        listener.target_group_arns,
        listener.ssl_policy,
        listener.certificates,
    )


def listener_infos(listeners: list[elbv2_api.Listener]) -> list[ListenerInfo]:
    """What `status` shows of the ALB's listeners, HTTPS first."""
    infos = [
        ListenerInfo(
            protocol=listener.protocol,
            port=listener.port,
            action="redirect" if listener.redirect else "forward",
            tls_policy=listener.ssl_policy,
            certificate=listener.certificates[0] if listener.certificates else None,
        )
        for listener in listeners
    ]
    return sorted(infos, key=lambda info: (info.protocol != "HTTPS", info.port))
