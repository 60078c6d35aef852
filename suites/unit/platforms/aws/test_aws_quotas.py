"""`preflight` on the aws platform (platforms/aws/quotas.py): quotas from Service Quotas (Stubber for its
answers), else AWS's default, else the documented one, said so; usage counted on moto; what the states need
and the estimated monthly cost."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from aws_testkit import moto_platform
from botocore.stub import Stubber

from humangov_deploy.clients import AwsClients
from humangov_deploy.platforms.aws import pricing, quotas
from humangov_deploy.platforms.aws.quotas import QUOTAS, preflight, read_quota

ALB = next(q for q in QUOTAS if q.key == "alb")
VCPU = next(q for q in QUOTAS if q.key == "fargate_vcpu")


@pytest.fixture
def stubbed(moto_clients: AwsClients, monkeypatch: pytest.MonkeyPatch) -> Iterator[Stubber]:
    """Service Quotas answers scripted by a Stubber; every other service stays on moto."""
    client = moto_clients.client("service-quotas")
    monkeypatch.setattr(quotas.sq, "best_effort", lambda clients: clients)
    with Stubber(client) as stubber:
        yield stubber


def answer(stubber: Stubber, quota: Any, applied: float | None, default: float | None = None) -> None:
    params = {"ServiceCode": quota.service_code, "QuotaCode": quota.quota_code}
    if applied is not None:
        stubber.add_response("get_service_quota", {"Quota": {"Value": applied}}, params)
        return
    stubber.add_client_error("get_service_quota", "NoSuchResourceException", expected_params=params)
    if default is not None:
        stubber.add_response("get_aws_default_service_quota", {"Quota": {"Value": default}}, params)
    else:
        stubber.add_client_error(
            "get_aws_default_service_quota", "AccessDeniedException", expected_params=params
        )


def test_each_source_is_said(moto_clients: AwsClients, stubbed: Stubber) -> None:
    answer(stubbed, ALB, 80)
    assert read_quota(moto_clients, ALB) == (80, "applied")
    answer(stubbed, ALB, None, 50)
    assert read_quota(moto_clients, ALB) == (50, "aws-default")
    answer(stubbed, VCPU, None)
    value, source = read_quota(moto_clients, VCPU)
    assert value == 6 and source.startswith("documented-default")
    assert "NoSuchResourceException" in source and "AccessDeniedException" in source
    assert "https://docs.aws.amazon.com/general/latest/gr/ecs-service.html" in source


def test_on_moto_elb_and_fargate_fall_back_and_say_so(moto_clients: AwsClients) -> None:
    report = preflight(moto_clients, ["utah", "texas"], [], desired_count=2)
    by_key = {c.quota.key: c for c in report.checks}
    assert by_key["alb"].limit == 50 and by_key["alb"].source.startswith("documented-default")
    assert by_key["fargate_vcpu"].source.startswith("documented-default")
    assert by_key["security_groups"].source == "applied"  # moto answers the VPC quota
    assert (by_key["alb"].needed, by_key["target_groups"].needed, by_key["security_groups"].needed) == (
        2,
        2,
        4,
    )
    assert (by_key["fargate_vcpu"].needed, by_key["fargate_vcpu"].peak) == (4, 8)
    assert by_key["security_groups"].in_use >= 1  # the default VPC's default group
    assert report.ok and report.new_states == ["utah", "texas"]
    assert any("--max-parallel" in note for note in report.notes)  # peak 8 > 6 left: a note, not a refusal


def test_usage_counts_what_exists(moto_clients: AwsClients) -> None:
    moto_platform(moto_clients).deploy("utah", timeout=300, progress=lambda _m: None)
    report = preflight(moto_clients, ["utah", "texas"], ["utah"], desired_count=2)
    by_key = {c.quota.key: c for c in report.checks}
    assert (by_key["alb"].in_use, by_key["target_groups"].in_use) == (1, 1)
    assert by_key["alb"].needed == 1 and report.new_states == ["texas"]  # utah has its own already


def test_a_quota_that_would_be_exceeded_is_named_with_how_to_raise_it(
    moto_clients: AwsClients, stubbed: Stubber
) -> None:
    answer(stubbed, ALB, 0)
    for quota in QUOTAS[1:]:
        answer(stubbed, quota, 1000)
    report = preflight(moto_clients, ["utah"], [], desired_count=2)
    assert not report.ok
    message = report.refusal()
    assert "Application Load Balancers per Region (L-53DA6B97)" in message and "utah" in message
    assert (
        "request-service-quota-increase --service-code elasticloadbalancing --quota-code L-53DA6B97"
        in message
    )
    assert "Fargate" not in message  # only the quota that is short


def test_fargate_vcpus_needed_come_from_the_task_size(moto_clients: AwsClients, stubbed: Stubber) -> None:
    for quota in QUOTAS:
        answer(stubbed, quota, 6 if quota is VCPU else 1000)
    report = preflight(moto_clients, ["utah", "texas", "ohio", "maine"], [], desired_count=2)
    vcpu = next(c for c in report.checks if c.quota is VCPU)
    assert vcpu.needed == 4 * 2 * quotas.task_vcpu() == 8 and not report.ok
    assert "L-3032A538" in report.refusal()


def test_a_documented_default_on_an_emulator_is_shown_not_enforced(moto_clients: AwsClients) -> None:
    # The same moto, seen as an emulator behind --endpoint-url (Service Quotas there answers nothing).
    emulator = AwsClients(region="us-east-1", endpoint_url="http://127.0.0.1:1", session=moto_clients.session)
    emulator._cache = {name: moto_clients.client(name) for name in ("ec2", "elbv2", "ecs")}
    report = preflight(emulator, ["utah", "texas", "ohio", "maine"], [], desired_count=2)
    vcpu = next(c for c in report.checks if c.quota is VCPU)
    assert vcpu.source.startswith("documented-default") and "EndpointConnectionError" in vcpu.source
    assert vcpu.needed > vcpu.left and not vcpu.enforced and report.ok
    assert any("emulator" in note for note in report.notes)
    assert "over Fargate On-Demand vCPU resource count" in "\n".join(report.lines())


def test_the_estimate_uses_the_price_table() -> None:
    estimate = pricing.monthly_estimate(
        states=2, tasks_per_state=2, task_vcpu=1, task_gb=3, alb_azs=3, region="us-east-1"
    )
    hours, prices = 730 * 2, pricing.PRICES
    assert estimate.lines["fargate_vcpu_hour"] == pytest.approx(hours * 2 * prices["fargate_vcpu_hour"].usd)
    assert estimate.lines["fargate_gb_hour"] == pytest.approx(hours * 2 * 3 * prices["fargate_gb_hour"].usd)
    assert estimate.lines["public_ipv4_hour"] == pytest.approx(hours * 5 * prices["public_ipv4_hour"].usd)
    assert estimate.lines["alb_hour"] == pytest.approx(hours * prices["alb_hour"].usd)
    assert estimate.lines["alb_lcu_hour"] == pytest.approx(hours * prices["alb_lcu_hour"].usd)
    assert estimate.total == round(sum(estimate.lines.values()), 2)
    document = estimate.to_json()
    assert all(p["source"].startswith("https://aws.amazon.com/") for p in document["prices"].values())
    assert document["prices_checked"] == pricing.PRICES_CHECKED
