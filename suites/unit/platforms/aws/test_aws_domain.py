"""`deploy --domain NAME --certificate-arn ARN [--hosted-zone-id Z]` on the aws platform, on moto.

The URL becomes https://NAME and `address` the ALB's DNS name (verify connects there, with SNI and Host
for NAME); HTTP:80 redirects to NAME, which is how the deployment remembers it; the Route 53 alias record
is UPSERTed, moved when the domain changes, and removed by a redeploy without a zone and by destroy.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_testkit import moto_platform

from humangov_deploy.cli import main
from humangov_deploy.clients import AwsClients
from humangov_deploy.errors import ConfigError
from humangov_deploy.http_session import _ConnectTo, session_for
from humangov_deploy.naming import names_for
from humangov_deploy.platforms.aws.domain import TAG_ALIAS
from humangov_deploy.platforms.aws.options import AwsOptions

NAMES = names_for("utah")
DOMAIN = "utah.hr.example.gov"


def certificate(clients: AwsClients, domain: str = DOMAIN) -> str:
    return str(clients.acm.request_certificate(DomainName=domain)["CertificateArn"])


def zone(clients: AwsClients, name: str = "hr.example.gov") -> str:
    made = clients.route53.create_hosted_zone(Name=name, CallerReference=name)
    return str(made["HostedZone"]["Id"]).rsplit("/", 1)[-1]


def load_balancer(clients: AwsClients) -> dict[str, Any]:
    found = clients.elbv2.describe_load_balancers(Names=[NAMES.load_balancer])["LoadBalancers"][0]
    return dict(found)


def aliases(clients: AwsClients, zone_id: str) -> dict[str, str]:
    records = clients.route53.list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]
    return {r["Name"]: r["AliasTarget"]["DNSName"] for r in records if r.get("AliasTarget")}


def deploy(clients: AwsClients, **options: Any) -> Any:
    return moto_platform(clients, **options).deploy("utah", timeout=300, progress=lambda _m: None)


def test_the_url_names_the_domain_and_the_address_is_the_alb(moto_clients: AwsClients) -> None:
    status = deploy(moto_clients, certificate_arn=certificate(moto_clients), domain=DOMAIN)
    dns_name = load_balancer(moto_clients)["DNSName"]
    assert status.url == f"https://{DOMAIN}" and status.address == dns_name
    http = {x["Port"]: x for x in moto_clients.elbv2.describe_listeners(
        LoadBalancerArn=load_balancer(moto_clients)["LoadBalancerArn"])["Listeners"]}[80]  # fmt: skip
    assert http["DefaultActions"][0]["RedirectConfig"]["Host"] == DOMAIN
    # Remembered by the deployment: a platform not told the domain (status, verify) still uses it.
    again = moto_platform(moto_clients).status("utah")
    assert again.url == f"https://{DOMAIN}" and again.address == dns_name
    # The harness's session connects to the ALB for that URL, and to nothing else.
    session = session_for(again)
    adapter = session.get_adapter(f"https://{DOMAIN}/")
    assert isinstance(adapter, _ConnectTo) and adapter.address == dns_name
    assert not isinstance(session.get_adapter(f"https://{DOMAIN}.evil.example/"), _ConnectTo)


def test_status_json_url_is_the_domain(
    moto_clients: AwsClients, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    deploy(moto_clients, certificate_arn=certificate(moto_clients), domain="{state}.hr.example.gov")
    monkeypatch.setattr("humangov_deploy.platforms.aws.from_options", lambda **_: moto_platform(moto_clients))
    assert main(["status", "--state", "utah", "--platform", "aws", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["url"] == f"https://{DOMAIN}" and document["address"].endswith(".elb.amazonaws.com")


def test_a_redeploy_without_domain_goes_back_to_the_albs_name(moto_clients: AwsClients) -> None:
    cert = certificate(moto_clients)
    deploy(moto_clients, certificate_arn=cert, domain=DOMAIN)
    status = deploy(moto_clients, certificate_arn=cert)
    assert status.url == f"https://{load_balancer(moto_clients)['DNSName']}" and status.address is None


def test_the_alias_record_follows_the_domain_and_destroy_removes_it(moto_clients: AwsClients) -> None:
    cert, zone_id = certificate(moto_clients), zone(moto_clients)
    deploy(moto_clients, certificate_arn=cert, domain=DOMAIN, hosted_zone_id=zone_id)
    lb = load_balancer(moto_clients)
    assert aliases(moto_clients, zone_id) == {f"{DOMAIN}.": lb["DNSName"]}
    tags = moto_clients.elbv2.describe_tags(ResourceArns=[lb["LoadBalancerArn"]])["TagDescriptions"][0][
        "Tags"
    ]
    assert {"Key": TAG_ALIAS, "Value": f"{zone_id}/{DOMAIN}"} in tags
    # Another name: the record made before goes, the new one comes.
    deploy(moto_clients, certificate_arn=cert, domain="www.hr.example.gov", hosted_zone_id=zone_id)
    assert aliases(moto_clients, zone_id) == {"www.hr.example.gov.": lb["DNSName"]}
    moto_platform(moto_clients).destroy("utah", timeout=300, progress=lambda _m: None)
    assert aliases(moto_clients, zone_id) == {}


def test_a_redeploy_without_zone_removes_the_record_it_made(moto_clients: AwsClients) -> None:
    cert, zone_id = certificate(moto_clients), zone(moto_clients)
    deploy(moto_clients, certificate_arn=cert, domain=DOMAIN, hosted_zone_id=zone_id)
    deploy(moto_clients, certificate_arn=cert, domain=DOMAIN)
    assert aliases(moto_clients, zone_id) == {}
    arn = load_balancer(moto_clients)["LoadBalancerArn"]
    tags = moto_clients.elbv2.describe_tags(ResourceArns=[arn])["TagDescriptions"][0]["Tags"]
    assert TAG_ALIAS not in {t["Key"] for t in tags}


def test_a_record_someone_pointed_elsewhere_is_left_alone(moto_clients: AwsClients) -> None:
    cert, zone_id = certificate(moto_clients), zone(moto_clients)
    deploy(moto_clients, certificate_arn=cert, domain=DOMAIN, hosted_zone_id=zone_id)
    moto_clients.route53.change_resource_record_sets(
        HostedZoneId=zone_id,
        ChangeBatch={"Changes": [{"Action": "UPSERT", "ResourceRecordSet": {
            "Name": DOMAIN, "Type": "A",
            "AliasTarget": {
                "HostedZoneId": "Z2P70J7EXAMPLE", "DNSName": "other.example.net",
                "EvaluateTargetHealth": False,
            },
        }}]},
    )  # fmt: skip
    moto_platform(moto_clients).destroy("utah", timeout=300, progress=lambda _m: None)
    assert aliases(moto_clients, zone_id) == {f"{DOMAIN}.": "other.example.net"}


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"domain": DOMAIN}, "--domain .* needs --certificate-arn"),
        ({"hosted_zone_id": "Z0123456789ABC"}, "--hosted-zone-id needs --domain"),
        ({"domain": "utah", "certificate_arn": "arn:aws:acm:x"}, "--domain takes a DNS name"),
        ({"domain": "utah..example.gov", "certificate_arn": "arn:aws:acm:x"}, "--domain takes a DNS name"),
        (
            {"domain": DOMAIN, "certificate_arn": "arn:aws:acm:x", "hosted_zone_id": "zone 1"},
            "hosted zone id",
        ),
    ],
)
def test_bad_domain_options_are_refused_before_any_call(options: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        AwsOptions(**options)  # type: ignore[arg-type]
