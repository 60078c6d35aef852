"""The shared cluster on moto: the account's first CreateCluster (ECS's service-linked role not yet usable)
is retried, bounded and under the deploy's deadline; every cluster the platform makes, recreated or not,
carries every tag, so sweep finds it. moto never refuses CreateCluster: a botocore hook does, as AWS would.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from aws_testkit import NOW, FakeClock, moto_platform

from humangov_deploy.aws import ecs as ecs_api
from humangov_deploy.aws.call import AwsError
from humangov_deploy.clients import AwsClients
from humangov_deploy.errors import DeployTimeout
from humangov_deploy.naming import (
    CLUSTER,
    SHARED_STATE,
    TAG_CREATED_AT,
    TAG_MANAGED_BY,
    TAG_RUN_ID,
    TAG_STATE,
    format_time,
)
from humangov_deploy.platforms.aws.teardown import find_leftovers

RUN_ID = "20261126T120000Z-abcdef"
# AWS's answer while the service-linked role that this very call made is not yet usable
# (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateCluster.html).
SLR_MESSAGE = (
    "Unable to assume the service linked role. Please verify that the ECS service linked role exists."
)


class RefuseCreateCluster:
    """A `before-call` hook: ECS refuses the next `times` CreateCluster calls, then lets them through."""

    def __init__(self, clients: AwsClients, times: int) -> None:
        self.left, self.calls = times, 0
        clients.ecs.meta.events.register("before-call.ecs.CreateCluster", self)

    def __call__(self, **_: Any) -> tuple[Any, dict[str, Any]] | None:
        self.calls += 1
        if self.left <= 0:
            return None  # on to moto
        self.left -= 1
        error = {"Error": {"Code": "InvalidParameterException", "Message": SLR_MESSAGE}}
        return SimpleNamespace(status_code=400, headers={}), error


def cluster_tags(clients: AwsClients) -> dict[str, str]:
    cluster = ecs_api.find_cluster(clients, CLUSTER)
    assert cluster is not None
    return cluster.tags


def assert_every_tag(tags: dict[str, str]) -> None:
    assert tags[TAG_STATE] == SHARED_STATE
    assert tags[TAG_MANAGED_BY] == "humangov"
    assert tags[TAG_RUN_ID] == RUN_ID
    assert tags[TAG_CREATED_AT] == format_time(NOW)


def test_the_first_cluster_of_an_account_is_retried_until_ecs_can_use_its_role(
    moto_clients: AwsClients,
) -> None:
    refuse = RefuseCreateCluster(moto_clients, times=2)
    clock = FakeClock()
    lines: list[str] = []
    moto_platform(moto_clients, clock=clock, run_id=RUN_ID).deploy(
        "texas", timeout=300, progress=lines.append
    )
    assert refuse.calls == 3
    assert clock.sleeps[:2] == [2.0, 4.0]
    retries = [line for line in lines if "service-linked role not yet usable" in line]
    assert len(retries) == 2 and "first cluster" in retries[0]
    assert_every_tag(cluster_tags(moto_clients))


def test_the_service_linked_role_retry_is_bounded(moto_clients: AwsClients) -> None:
    refuse = RefuseCreateCluster(moto_clients, times=100)
    clock = FakeClock()
    with pytest.raises(AwsError, match="service linked role") as failure:
        moto_platform(moto_clients, clock=clock).deploy("texas", timeout=3600, progress=lambda _m: None)
    assert failure.value.code == "InvalidParameterException"
    assert refuse.calls == 6 and len(clock.sleeps) == 5
    assert ecs_api.find_cluster(moto_clients, CLUSTER) is None


def test_the_service_linked_role_retry_stops_at_the_deadline(moto_clients: AwsClients) -> None:
    # Nothing before CreateCluster sleeps on the fake clock, so the whole deadline is left for it.
    refuse = RefuseCreateCluster(moto_clients, times=100)
    clock = FakeClock()
    with pytest.raises(DeployTimeout, match="service-linked role"):
        moto_platform(moto_clients, clock=clock).deploy("texas", timeout=5, progress=lambda _m: None)
    assert refuse.calls == 2 and clock.sleeps == [2.0]


def test_a_cluster_made_by_deploy_carries_every_tag(moto_clients: AwsClients) -> None:
    moto_platform(moto_clients, run_id=RUN_ID).deploy("texas", timeout=300, progress=lambda _m: None)
    assert_every_tag(cluster_tags(moto_clients))


def gone_once(
    monkeypatch: pytest.MonkeyPatch, *, slow_recreate: bool
) -> tuple[list[int], list[RefuseCreateCluster]]:
    """CreateService finds the cluster deleted by a concurrent destroy of the last other state, once."""
    real_create = ecs_api.create_service
    attempts: list[int] = []
    refusals: list[RefuseCreateCluster] = []

    def cluster_gone_once(clients: AwsClients, spec: dict[str, Any]) -> Any:
        attempts.append(1)
        if len(attempts) == 1:
            ecs_api.delete_cluster(clients, CLUSTER)
            if slow_recreate:
                refusals.append(RefuseCreateCluster(clients, times=1))
            raise AwsError("ecs", "CreateService", "ClusterNotFoundException", "Cluster not found.")
        return real_create(clients, spec)

    monkeypatch.setattr(ecs_api, "create_service", cluster_gone_once)
    return attempts, refusals


def test_a_recreated_cluster_carries_every_tag(
    moto_clients: AwsClients, monkeypatch: pytest.MonkeyPatch
) -> None:
    attempts, _ = gone_once(monkeypatch, slow_recreate=False)
    lines: list[str] = []
    platform = moto_platform(moto_clients, run_id=RUN_ID)
    platform.deploy("texas", timeout=300, progress=lines.append)
    assert len(attempts) == 2 and any("recreating it" in line for line in lines)
    assert_every_tag(cluster_tags(moto_clients))
    # What the tags are for: sweep finds the cluster by `humangov:managed-by`, and dates it.
    (cluster,) = [f for f in find_leftovers(platform) if f.kind == "ecs:cluster"]
    assert cluster.id.endswith(f":cluster/{CLUSTER}") and cluster.state == SHARED_STATE
    assert cluster.created == NOW and cluster.run_id == RUN_ID


def test_recreating_the_cluster_gets_the_same_retry(
    moto_clients: AwsClients, monkeypatch: pytest.MonkeyPatch
) -> None:
    attempts, refusals = gone_once(monkeypatch, slow_recreate=True)
    clock = FakeClock()
    lines: list[str] = []
    platform = moto_platform(moto_clients, clock=clock, run_id=RUN_ID)
    platform.deploy("texas", timeout=300, progress=lines.append)
    assert len(attempts) == 2 and refusals[0].calls == 2
    assert any("service-linked role not yet usable" in line for line in lines)
    assert ecs_api.find_service(moto_clients, CLUSTER, "humangov-texas-service") is not None
