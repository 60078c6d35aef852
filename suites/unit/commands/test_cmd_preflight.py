"""`humangov preflight`, and the check `deploy` (of a new state) and `rollout --create-missing` run first.

On moto in process with Service Quotas scripted by a Stubber (a quota too low refuses before anything is
made), on moto's server through the CLI (the emulator answers no ELB or Fargate quota: the documented
defaults, said so and not enforced), and on the local platform's fake Docker engine.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.stub import Stubber
from moto import mock_aws

from humangov_deploy.cli import main
from humangov_deploy.clients import AwsClients
from humangov_deploy.platforms.aws import quotas
from humangov_deploy.platforms.aws.quotas import QUOTAS
from suites.unit.platforms.aws.aws_testkit import APP_IMAGE, NGINX_IMAGE, moto_platform

IMAGES = ["--app-image", APP_IMAGE, "--nginx-image", NGINX_IMAGE]


@pytest.fixture
def moto_clients(monkeypatch: pytest.MonkeyPatch) -> Iterator[AwsClients]:
    monkeypatch.setenv("MOTO_ECS_SERVICE_RUNNING", "2")
    with mock_aws():
        clients = AwsClients(region="us-east-1")
        monkeypatch.setattr("humangov_deploy.platforms.aws.from_options", lambda **_: moto_platform(clients))
        yield clients


@pytest.fixture
def no_albs_left(moto_clients: AwsClients, monkeypatch: pytest.MonkeyPatch) -> Iterator[Stubber]:
    """Service Quotas says: 0 ALBs per Region for this account; everything else plenty."""
    client = moto_clients.client("service-quotas")
    monkeypatch.setattr(quotas.sq, "best_effort", lambda clients: clients)
    with Stubber(client) as stubber:
        for quota in QUOTAS:
            params = {"ServiceCode": quota.service_code, "QuotaCode": quota.quota_code}
            value = 0 if quota.key == "alb" else 1000
            stubber.add_response("get_service_quota", {"Quota": {"Value": value}}, params)
        yield stubber


def made_anything(clients: AwsClients) -> bool:
    albs = clients.elbv2.describe_load_balancers()["LoadBalancers"]
    params = clients.ssm.describe_parameters()["Parameters"]
    tables = clients.dynamodb.list_tables()["TableNames"]
    return bool(albs or params or tables)


def test_deploy_of_a_new_state_refuses_before_making_anything(
    moto_clients: AwsClients, no_albs_left: Stubber, capsys: Any
) -> None:
    code = main(["deploy", "--state", "utah", "--platform", "aws", "--data", "boto3", *IMAGES])
    err = capsys.readouterr().err
    assert code == 1
    assert (
        "Application Load Balancers per Region (L-53DA6B97)" in err
        and "request-service-quota-increase" in err
    )
    assert "--skip-preflight" in err and not made_anything(moto_clients)


def test_skip_preflight_deploys_anyway(moto_clients: AwsClients, capsys: Any) -> None:
    code = main(
        ["deploy", "--state", "utah", "--platform", "aws", "--data", "boto3", *IMAGES, "--skip-preflight"]
    )
    assert code == 0, capsys.readouterr().err


def test_a_redeploy_reads_no_quota(
    moto_clients: AwsClients, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    moto_platform(moto_clients).deploy("utah", timeout=300, progress=lambda _m: None)

    def no_quota_read(*_: Any) -> Any:
        raise AssertionError("a redeploy must not read quotas")

    monkeypatch.setattr(quotas, "read_quota", no_quota_read)
    assert main(["deploy", "--state", "utah", "--platform", "aws", "--data", "boto3", *IMAGES]) == 0


def test_rollout_create_missing_refuses_before_any_image_or_state(
    moto_clients: AwsClients, no_albs_left: Stubber, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    prepared: list[str] = []
    monkeypatch.setattr(
        "humangov_deploy.platforms.aws.platform.AwsPlatform.prepare_version",
        lambda self, progress=None: prepared.append("images") or None,
    )
    argv = ["rollout", "--states", "utah,texas", "--platform", "aws", "--create-missing", "--gate", "deploy"]
    assert main([*argv, *IMAGES, "--data", "boto3"]) == 1
    err = capsys.readouterr().err
    assert "utah, texas would exceed the quota Application Load Balancers per Region" in err
    assert prepared == [] and not made_anything(moto_clients)


def test_rollout_domain_without_state_placeholder_is_refused_for_many_states(
    moto_clients: AwsClients, capsys: Any
) -> None:
    argv = ["rollout", "--states", "utah,texas", "--platform", "aws", "--gate", "deploy", "--create-missing"]
    extra = [
        "--certificate-arn",
        "arn:aws:acm:us-east-1:123456789012:certificate/x",
        "--domain",
        "hr.example.gov",
    ]
    assert main([*argv, *IMAGES, *extra]) == 1
    assert "would name 2 states alike: put {state} in it" in capsys.readouterr().err
    assert not made_anything(moto_clients)


def test_preflight_on_moto_server_says_where_each_figure_came_from(moto_server: str, capsys: Any) -> None:
    argv = ["preflight", "--states", "all", "--platform", "aws", "--endpoint-url", moto_server, "--json"]
    assert main(argv) == 0
    document = json.loads(capsys.readouterr().out)
    by_code = {q["quota_code"]: q for q in document["quotas"]}
    assert set(by_code) == {"L-53DA6B97", "L-B22855CB", "L-3032A538", "L-E79EC296"}
    assert (
        by_code["L-53DA6B97"]["source"].startswith("documented-default")
        and by_code["L-53DA6B97"]["limit"] == 50
    )
    assert by_code["L-53DA6B97"]["needed"] == 50 and by_code["L-53DA6B97"]["ok"]
    vcpu = by_code["L-3032A538"]
    assert (vcpu["needed"], vcpu["peak"], vcpu["enforced"]) == (100, 200, False)
    assert len(document["new_states"]) == 50 and document["estimate"]["total_usd_per_month"] > 0
    assert any("emulator" in note for note in document["notes"])


def test_preflight_text_lists_quotas_and_the_estimate(moto_server: str, capsys: Any) -> None:
    argv = ["preflight", "--states", "utah", "--platform", "aws", "--endpoint-url", moto_server]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "preflight 1 state(s) on aws in us-east-1: OK (1 not deployed yet)" in out
    assert "Application Load Balancers per Region" in out and "documented-default" in out
    assert "estimated cost of 1 state(s)" in out and "https://aws.amazon.com/fargate/pricing/" in out
