"""How many AWS calls one state's redeploy makes, pinned: a fleet rollout's time is mostly these calls
(issue 14, scripts/bench_fleet.py), so a describe put back where a deploy already knows the answer fails
here. The budgets are the measured counts on moto; lower them when a change saves calls."""

from __future__ import annotations

from collections import Counter

from aws_testkit import APP_IMAGE, OWN_SERVICES, moto_platform, record_calls

from humangov_deploy.clients import AwsClients

EVERY_SERVICE = (*OWN_SERVICES, "s3", "dynamodb", "sts")
# An unchanged redeploy of a deployed state: every step's find, the data's recorded-settings check,
# the policies' reads, the wait's poll and the final status's live reads; no write.
UNCHANGED_BUDGET = 30  # 64 before the data's recorded settings and the status's reuse
# A new image: the same, plus RegisterTaskDefinition, UpdateService, TagResource.
NEW_IMAGE_BUDGET = 33


def _redeploy_calls(moto_clients: AwsClients, app_image: str = APP_IMAGE) -> Counter[tuple[str, str]]:
    moto_platform(moto_clients).deploy("texas", timeout=300, progress=lambda _m: None)
    calls = record_calls(moto_clients, EVERY_SERVICE)
    moto_platform(moto_clients, app_image=app_image).deploy("texas", timeout=300, progress=lambda _m: None)
    return Counter((service, operation) for service, operation, _params in calls)


def test_an_unchanged_redeploy_stays_within_its_call_budget(moto_clients: AwsClients) -> None:
    counts = _redeploy_calls(moto_clients)
    assert sum(counts.values()) <= UNCHANGED_BUDGET, sorted(counts.items())


def test_a_new_image_stays_within_its_call_budget(moto_clients: AwsClients) -> None:
    counts = _redeploy_calls(moto_clients, APP_IMAGE.replace("a" * 64, "c" * 64))
    assert sum(counts.values()) <= NEW_IMAGE_BUDGET, sorted(counts.items())
