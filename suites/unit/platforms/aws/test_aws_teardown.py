"""Teardown details and `sweep` on moto: leftovers found by tag, old ones removed, young ones kept."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from aws_testkit import NOW, FakeClock, inventory, moto_platform

from humangov_deploy.aws import ec2 as ec2_api
from humangov_deploy.aws import elbv2 as elbv2_api
from humangov_deploy.aws.call import AwsError
from humangov_deploy.clients import AwsClients
from humangov_deploy.errors import DeployTimeout
from humangov_deploy.naming import CLUSTER
from humangov_deploy.platforms.aws.teardown import find_leftovers

HOUR = 3600.0


def deploy_at(clients: AwsClients, state: str, hours_ago: float, run_id: str) -> None:
    platform = moto_platform(clients, now=NOW - timedelta(hours=hours_ago), run_id=run_id)
    platform.deploy(state, timeout=300, progress=lambda _m: None)


def cluster_active(clients: AwsClients) -> bool:
    return any(c["status"] == "ACTIVE" for c in clients.ecs.describe_clusters(clusters=[CLUSTER])["clusters"])


def test_leftovers_are_found_by_tag_and_per_service(moto_clients: AwsClients) -> None:
    deploy_at(moto_clients, "texas", 3, "old-run")
    moto_clients.ecr.create_repository(
        repositoryName="humangov-app", tags=[{"Key": "humangov:managed-by", "Value": "humangov"}]
    )
    found = find_leftovers(moto_platform(moto_clients))
    kinds = {(f.state, f.kind) for f in found}
    assert ("texas", "iam:role") in kinds  # not in the tagging API: listed under the IAM path
    assert ("shared", "ecr:repository") in kinds  # missed by moto's tagging API: listed directly
    assert ("shared", "ecs:cluster") in kinds
    assert {("texas", "ecs:service"), ("texas", "elasticloadbalancing:loadbalancer")} <= kinds
    assert {("texas", "s3:bucket"), ("texas", "dynamodb:table"), ("texas", "logs:log-group")} <= kinds
    # Every resource of the state, its table and bucket included, carries the platform clock's creation time.
    ours = [f for f in found if f.state == "texas"]
    assert all(f.created == NOW - timedelta(hours=3) for f in ours)
    assert {f.run_id for f in found if f.state == "texas"} == {"old-run"}


def test_sweep_dry_run_removes_nothing(moto_clients: AwsClients) -> None:
    deploy_at(moto_clients, "texas", 3, "old-run")
    before = inventory(moto_clients, "texas")
    report = moto_platform(moto_clients).sweep(
        older_than=2 * HOUR, dry_run=True, timeout=300, progress=lambda _m: None
    )
    assert report.removed_states == ["texas"]
    assert inventory(moto_clients, "texas") == before
    assert "would remove state texas" in report.lines()


def test_sweep_removes_old_states_keeps_young_ones_and_the_cluster_they_use(moto_clients: AwsClients) -> None:
    deploy_at(moto_clients, "texas", 3, "old-run")
    deploy_at(moto_clients, "california", 0.5, "young-run")
    report = moto_platform(moto_clients).sweep(
        older_than=2 * HOUR, dry_run=False, timeout=300, progress=lambda _m: None
    )
    assert report.removed_states == ["texas"]
    assert "california" in report.skipped and "newest resource" in report.skipped["california"]
    assert inventory(moto_clients, "texas") == []
    assert len(inventory(moto_clients, "california")) >= 12
    assert cluster_active(moto_clients)
    assert report.to_json()["removed_states"] == ["texas"]


def test_sweep_removes_the_shared_cluster_and_repositories_once_no_state_is_left(
    moto_clients: AwsClients,
) -> None:
    deploy_at(moto_clients, "texas", 3, "old-run")
    moto_clients.ecr.create_repository(
        repositoryName="humangov-nginx",
        tags=[
            {"Key": "humangov:managed-by", "Value": "humangov"},
            {"Key": "humangov:state", "Value": "shared"},
            {"Key": "humangov:created-at", "Value": "2026-11-26T06:00:00Z"},
        ],
    )
    platform = moto_platform(moto_clients, keep_shared=True)  # destroy keeps the cluster: sweep's job here
    report = platform.sweep(older_than=2 * HOUR, dry_run=False, timeout=300, progress=lambda _m: None)
    assert report.removed_states == ["texas"]
    assert any(arn.endswith(":repository/humangov-nginx") for arn in report.removed_shared)
    assert any(arn.endswith(f":cluster/{CLUSTER}") for arn in report.removed_shared)
    assert moto_clients.ecr.describe_repositories()["repositories"] == []
    assert not cluster_active(moto_clients)


def test_sweep_filters_by_run_id_and_state(moto_clients: AwsClients) -> None:
    deploy_at(moto_clients, "texas", 3, "run-a")
    deploy_at(moto_clients, "utah", 3, "run-b")
    platform = moto_platform(moto_clients)
    by_run = platform.sweep(
        older_than=HOUR, dry_run=True, timeout=300, run_id="run-b", progress=lambda _m: None
    )
    assert by_run.removed_states == ["utah"]
    by_state = platform.sweep(
        older_than=HOUR, dry_run=True, timeout=300, states=["texas"], progress=lambda _m: None
    )
    assert by_state.removed_states == ["texas"]
    assert by_state.removed_shared == []  # shared resources are never touched by a filtered sweep


def test_sweep_of_a_clean_account_finds_nothing(moto_clients: AwsClients) -> None:
    report = moto_platform(moto_clients).sweep(
        older_than=0, dry_run=False, timeout=300, progress=lambda _m: None
    )
    assert (report.found, report.removed_states, report.removed_shared) == ([], [], [])


def test_security_group_still_in_use_is_polled_until_released(
    moto_clients: AwsClients, monkeypatch: pytest.MonkeyPatch
) -> None:
    deploy_at(moto_clients, "texas", 0, "run")
    real_delete = ec2_api.delete_security_group
    attempts: list[str] = []

    def busy_twice(clients: AwsClients, group_id: str) -> None:
        attempts.append(group_id)
        if len(attempts) <= 2:
            raise AwsError(
                "ec2", "DeleteSecurityGroup", "DependencyViolation", "resource has a dependent object"
            )
        real_delete(clients, group_id)

    monkeypatch.setattr(ec2_api, "delete_security_group", busy_twice)
    clock = FakeClock()
    moto_platform(moto_clients, clock=clock).destroy("texas", timeout=300, progress=lambda _m: None)
    assert inventory(moto_clients, "texas") == []
    assert len(attempts) == 4 and clock.sleeps == [1.0, 1.0]


def test_a_target_group_that_stays_in_use_times_out_with_the_reason(
    moto_clients: AwsClients, monkeypatch: pytest.MonkeyPatch
) -> None:
    deploy_at(moto_clients, "texas", 0, "run")

    def in_use(*_a: Any, **_k: Any) -> None:
        raise AwsError("elbv2", "DeleteTargetGroup", "ResourceInUse", "target group is in use by a listener")

    monkeypatch.setattr(elbv2_api, "delete_target_group", in_use)
    with pytest.raises(DeployTimeout, match="ResourceInUse"):
        moto_platform(moto_clients).destroy("texas", timeout=10, progress=lambda _m: None)


def test_unexpected_errors_in_teardown_are_not_swallowed(
    moto_clients: AwsClients, monkeypatch: pytest.MonkeyPatch
) -> None:
    deploy_at(moto_clients, "texas", 0, "run")

    def denied(*_a: Any, **_k: Any) -> None:
        raise AwsError("elbv2", "DeleteTargetGroup", "AccessDenied", "not allowed")

    monkeypatch.setattr(elbv2_api, "delete_target_group", denied)
    with pytest.raises(AwsError, match="AccessDenied"):
        moto_platform(moto_clients).destroy("texas", timeout=300, progress=lambda _m: None)
