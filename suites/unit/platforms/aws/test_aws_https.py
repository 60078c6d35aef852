"""HTTPS on the aws platform, on moto: listeners, the redirect, the load balancer's group and the warning.

A deploy with `--certificate-arn` adds HTTPS:443 (TLS 1.2+ policy, the certificate, forwarding to the
target group), turns HTTP:80 into a 301 to HTTPS and opens 443; a redeploy converges when the certificate
is added, changed or removed; a state without one serves HTTP and says so in one line.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
from aws_testkit import moto_platform
from test_aws import deployed

from humangov_deploy.cli import main
from humangov_deploy.clients import AwsClients
from humangov_deploy.errors import ConfigError
from humangov_deploy.naming import names_for
from humangov_deploy.platforms import get_platform
from humangov_deploy.platforms.aws import https as aws_https
from humangov_deploy.platforms.aws.options import AwsOptions
from humangov_deploy.verify import verify

NAMES = names_for("utah")


def certificate(clients: AwsClients, domain: str = "utah.example.gov") -> str:
    return str(clients.acm.request_certificate(DomainName=domain)["CertificateArn"])


def listeners(clients: AwsClients) -> dict[int, dict[str, Any]]:
    elbv2 = clients.elbv2
    lb = elbv2.describe_load_balancers(Names=[NAMES.load_balancer])["LoadBalancers"][0]["LoadBalancerArn"]
    return {x["Port"]: x for x in elbv2.describe_listeners(LoadBalancerArn=lb)["Listeners"]}


def target_group_arn(clients: AwsClients) -> str:
    groups = clients.elbv2.describe_target_groups(Names=[NAMES.target_group])["TargetGroups"]
    return str(groups[0]["TargetGroupArn"])


def open_ports(clients: AwsClients) -> set[int]:
    group = clients.ec2.describe_security_groups(
        Filters=[{"Name": "group-name", "Values": [NAMES.lb_security_group]}]
    )["SecurityGroups"][0]
    return {
        rule["FromPort"]
        for rule in group["IpPermissions"]
        if any(r.get("CidrIp") == "0.0.0.0/0" for r in rule.get("IpRanges", []))
    }


def assert_https(clients: AwsClients, cert: str) -> None:
    found = listeners(clients)
    assert set(found) == {80, 443}
    https = found[443]
    assert https["Protocol"] == "HTTPS"
    assert https["SslPolicy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    assert [c["CertificateArn"] for c in https["Certificates"]] == [cert]
    assert https["DefaultActions"] == [{"Type": "forward", "TargetGroupArn": target_group_arn(clients)}]
    http = found[80]
    assert http["Protocol"] == "HTTP"
    assert http["DefaultActions"] == [
        {
            "Type": "redirect",
            "RedirectConfig": {
                "Protocol": "HTTPS",
                "Port": "443",
                "Host": "#{host}",
                "Path": "/#{path}",
                "Query": "#{query}",
                "StatusCode": "HTTP_301",
            },
        }
    ]
    assert open_ports(clients) == {80, 443}  # 80 stays open for the redirect


def assert_plain_http(clients: AwsClients) -> None:
    found = listeners(clients)
    assert set(found) == {80}
    assert found[80]["Protocol"] == "HTTP"
    assert found[80]["DefaultActions"] == [{"Type": "forward", "TargetGroupArn": target_group_arn(clients)}]
    assert open_ports(clients) == {80}


def test_a_certificate_adds_https_redirects_http_and_opens_443(moto_clients: AwsClients) -> None:
    cert = certificate(moto_clients)
    platform = deployed(moto_clients, "utah", certificate_arn=cert)
    assert_https(moto_clients, cert)
    status = platform.status("utah")
    assert status.url is not None and status.url.startswith("https://humangov-utah-lb")
    assert not status.warnings
    assert [(x.protocol, x.port, x.action, x.tls_policy, x.certificate) for x in status.listeners] == [
        ("HTTPS", 443, "forward", aws_https.TLS_POLICY, cert),
        ("HTTP", 80, "redirect", None, None),
    ]


def test_without_a_certificate_the_state_serves_http_and_says_so(moto_clients: AwsClients) -> None:
    platform = deployed(moto_clients, "utah")
    assert_plain_http(moto_clients)
    status = platform.status("utah")
    assert status.url is not None and status.url.startswith("http://humangov-utah-lb")
    assert status.warnings == [aws_https.plain_http_warning("utah")]
    assert len(status.warnings[0].splitlines()) == 1 and "--certificate-arn" in status.warnings[0]


def test_redeploys_converge_adding_changing_and_removing_the_certificate(moto_clients: AwsClients) -> None:
    deployed(moto_clients, "utah")
    first, second = certificate(moto_clients), certificate(moto_clients, "hr.utah.example.gov")
    deployed(moto_clients, "utah", certificate_arn=first)
    assert_https(moto_clients, first)
    arns = {port: x["ListenerArn"] for port, x in listeners(moto_clients).items()}
    deployed(moto_clients, "utah", certificate_arn=second)
    assert_https(moto_clients, second)
    assert {port: x["ListenerArn"] for port, x in listeners(moto_clients).items()} == arns  # modified
    deployed(moto_clients, "utah")
    assert_plain_http(moto_clients)


def test_a_redeploy_with_the_same_certificate_writes_nothing(moto_clients: AwsClients) -> None:
    cert = certificate(moto_clients)
    platform = deployed(moto_clients, "utah", certificate_arn=cert)
    messages: list[str] = []
    platform.deploy("utah", timeout=300, progress=messages.append)
    assert not [m for m in messages if "HTTPS" in m or "301" in m], messages


def test_a_certificate_that_does_not_exist_is_a_clear_error(moto_clients: AwsClients) -> None:
    missing = "arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-0000-0000-000000000000"
    platform = moto_platform(moto_clients, certificate_arn=missing)
    with pytest.raises(ConfigError, match=r"does not exist in us-east-1.*--certificate-arn"):
        platform.deploy("utah", timeout=300, progress=lambda _m: None)


def test_a_certificate_arn_must_be_an_arn() -> None:
    with pytest.raises(ConfigError, match="--certificate-arn takes a certificate's ARN"):
        AwsOptions(certificate_arn="utah.example.gov")


def test_deploy_takes_the_certificate_from_the_command_line(monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[dict[str, Any]] = []

    def opening(name: str, **options: Any) -> Any:
        made.append(options)
        raise ConfigError("stop here")

    monkeypatch.setattr("humangov_deploy.commands.deploy.get_platform", opening)
    arn = "arn:aws:acm:us-east-1:123456789012:certificate/abc"
    main(["deploy", "--state", "utah", "--platform", "aws", "--certificate-arn", arn])
    assert made[0]["certificate_arn"] == arn
    platform = get_platform("aws", region="us-east-1", certificate_arn=arn, data="boto3")
    assert platform.options.certificate_arn == arn  # type: ignore[attr-defined]


def test_status_prints_the_warning_in_one_line(
    moto_clients: AwsClients, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    platform = deployed(moto_clients, "utah")
    monkeypatch.setattr("humangov_deploy.commands.deploy.open_platform", lambda _args: platform)
    monkeypatch.setattr("humangov_deploy.commands.status.open_platform", lambda _args: platform)
    assert main(["status", "--state", "utah", "--platform", "aws"]) == 0
    out = capsys.readouterr().out
    assert [line for line in out.splitlines() if "warning" in line] == [
        f"warning: {aws_https.plain_http_warning('utah')}"
    ]
    assert main(["status", "--state", "utah", "--platform", "aws", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["warnings"] == [aws_https.plain_http_warning("utah")]
    assert document["listeners"] == [
        {"protocol": "HTTP", "port": 80, "action": "forward", "tls_policy": None, "certificate": None}
    ]


class NoNetwork:
    """verify's HTTP, refused at once: the unit suite reaches no load balancer."""

    def get(self, *_args: Any, **_kwargs: Any) -> Any:
        raise requests.ConnectionError("no network in the unit suite")

    post = delete = get


def test_verify_reports_the_warning_without_failing_for_it(moto_clients: AwsClients) -> None:
    platform = deployed(moto_clients, "utah")
    messages: list[str] = []
    report = verify(platform, "utah", http=NoNetwork(), progress=messages.append)  # type: ignore[arg-type]
    warning = aws_https.plain_http_warning("utah")
    assert report.warnings == [warning] and report.to_json()["warnings"] == [warning]
    assert str(report).splitlines()[-1] == f"warning: {warning}"
    assert f"warning: {warning}" in messages
    assert all(c.name != "warning" for c in report.checks)  # a warning, not a failed check
