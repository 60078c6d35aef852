"""`sweep` judges a state by its NEWEST resource: a stack that a running job just redeployed is kept.

A redeploy adds young resources (a new task definition revision) to old ones; judging by the oldest
would destroy a stack in use. Leftovers are scripted here (exact ages, no AWS), and once on moto.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from aws_testkit import APP_IMAGE, NOW, moto_platform

from humangov_deploy.clients import AwsClients
from humangov_deploy.platforms.aws import teardown as aws_teardown
from humangov_deploy.platforms.base import Leftover, SweepReport

HOUR = 3600.0


def leftover(state: str, age: float | None, kind: str = "ecs:task-definition") -> Leftover:
    created = None if age is None else NOW - timedelta(seconds=age)
    return Leftover(state, kind, f"arn:aws:{kind}/{state}/{age}", created, "run-1")


def sweep_of(
    monkeypatch: pytest.MonkeyPatch, found: list[Leftover], *, older_than: float = 2 * HOUR
) -> tuple[SweepReport, list[str]]:
    destroyed: list[str] = []

    def destroy_stack(_platform: Any, names: Any, **_: Any) -> list[str]:
        destroyed.append(names.state)
        return []

    monkeypatch.setattr(aws_teardown, "find_leftovers", lambda _platform: found)
    monkeypatch.setattr(aws_teardown, "destroy_stack", destroy_stack)
    report = aws_teardown.sweep(
        moto_platform(AwsClients(region="us-east-1")),  # the platform's clock says NOW
        older_than=older_than,
        dry_run=False,
        timeout=60,
        progress=lambda _m: None,
    )
    return report, destroyed


def test_a_state_with_one_young_resource_among_old_ones_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    found = [
        leftover("texas", 5 * HOUR, "ecs:service"),
        leftover("texas", 10 * 60),  # the revision a running job registered ten minutes ago
        leftover("texas", 3 * HOUR, "iam:role"),
        leftover("utah", 3 * HOUR),
        leftover("utah", 5 * HOUR, "ecs:service"),
    ]
    report, destroyed = sweep_of(monkeypatch, found)
    assert destroyed == ["utah"] and report.removed_states == ["utah"]
    assert report.skipped == {"texas": "its newest resource is only 600s old"}


def test_the_threshold_is_inclusive_of_exactly_old_enough(monkeypatch: pytest.MonkeyPatch) -> None:
    found = [leftover("texas", 2 * HOUR), leftover("utah", 2 * HOUR - 1), leftover("utah", 9 * HOUR)]
    report, destroyed = sweep_of(monkeypatch, found)
    assert destroyed == ["texas"]
    assert report.skipped == {"utah": "its newest resource is only 7199s old"}


def test_resources_without_a_creation_time_neither_keep_nor_condemn_a_state(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    found = [
        leftover("texas", None),
        leftover("texas", 3 * HOUR),
        leftover("utah", None),
        leftover("utah", None, "iam:role"),
    ]
    report, destroyed = sweep_of(monkeypatch, found)
    assert destroyed == ["texas"]
    assert report.skipped == {"utah": "no creation time on any of its resources"}


def test_a_stack_redeployed_minutes_ago_survives_a_sweep_on_moto(moto_clients: AwsClients) -> None:
    moto_platform(moto_clients, now=NOW - timedelta(hours=3), run_id="first-run").deploy(
        "texas", timeout=300, progress=lambda _m: None
    )
    moto_platform(
        moto_clients,
        now=NOW - timedelta(minutes=10),
        run_id="fix-run",
        app_image=APP_IMAGE.replace("a" * 64, "c" * 64),  # a new image: a new task definition revision
    ).deploy("texas", timeout=300, progress=lambda _m: None)
    report = moto_platform(moto_clients).sweep(
        older_than=2 * HOUR, dry_run=True, timeout=300, progress=lambda _m: None
    )
    ages = sorted(
        {(NOW - f.created).total_seconds() for f in report.found if f.state == "texas" and f.created}
    )
    assert ages == [600.0, 3 * HOUR]  # the premise: old and young resources side by side
    assert report.removed_states == []
    assert report.skipped["texas"] == "its newest resource is only 600s old"
