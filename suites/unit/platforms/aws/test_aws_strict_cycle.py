"""The whole aws cycle on moto held to AWS (the strict layer, every rule on), for two states at once:
deploy both, status, redeploy one, destroy one while the other keeps the shared cluster, sweep the
young (kept) and the old (removed), deploy again on the now INACTIVE cluster, and nothing left."""

from __future__ import annotations

from datetime import timedelta

import pytest
from aws_testkit import APP_IMAGE, NOW, inventory, moto_platform
from strict_aws import RULES, TAGGING_LAG, StrictAws

from humangov_deploy.naming import CLUSTER

HOUR = 3600.0
QUIET = lambda _m: None  # noqa: E731


@pytest.fixture(autouse=True)
def _bootstrapped(strict_aws: StrictAws) -> None:
    strict_aws.apply_bootstrap_boundary()  # what terraform/bootstrap makes once per account


def cluster_status(strict: StrictAws) -> str | None:
    clusters = strict.clients.ecs.describe_clusters(clusters=[CLUSTER])["clusters"]
    return clusters[0]["status"] if clusters else None


def groups_left(strict: StrictAws) -> list[str]:
    groups = strict.clients.ec2.describe_security_groups()["SecurityGroups"]
    return sorted(g["GroupName"] for g in groups if g["GroupName"].startswith("humangov-"))


def test_two_states_deploy_redeploy_destroy_and_sweep_on_strict_moto(strict_aws: StrictAws) -> None:
    assert strict_aws.enabled == set(RULES)
    clients, clock = strict_aws.clients, strict_aws.clock

    def platform(hours_later: float = 0, **options: object):  # type: ignore[no-untyped-def]
        # Polls every 15 s of the strict clock: the same waits with fewer moto calls.
        settings = {"poll_interval": 15.0, **options}
        return moto_platform(clients, clock=clock, now=NOW + timedelta(hours=hours_later), **settings)

    for state in ("texas", "california"):
        status = platform().deploy(state, timeout=600, progress=QUIET)
        assert status.exists, state
    assert {r.split(":")[0] for r in strict_aws.refusals} >= {
        "ecs-first-cluster-service-linked-role",  # the first deploy met the fresh account
        "ecs-new-role-propagation",  # and its roles were too new for ECS at first
        "dynamodb-pitr-after-create",  # PITR refused right after the table turned ACTIVE
        "s3-bucket-settings-after-create",  # a setting refused right after CreateBucket
    }
    for state in ("texas", "california"):
        assert platform().status(state).exists

    new_image = APP_IMAGE.replace("a" * 64, "c" * 64)
    platform(app_image=new_image).deploy("texas", timeout=600, progress=QUIET)
    tds = clients.ecs.list_task_definitions(familyPrefix="humangov-texas-fullstack")["taskDefinitionArns"]
    assert len(tds) == 2

    # Destroy one state: its two security groups name each other, its load balancer's and tasks'
    # interfaces linger; the other state keeps the shared cluster.
    platform().destroy("texas", timeout=900, progress=QUIET)
    assert inventory(clients, "texas") == []
    assert cluster_status(strict_aws) == "ACTIVE"
    assert groups_left(strict_aws) == ["humangov-california-lb-sg", "humangov-california-tasks-sg"]

    clock.sleep(TAGGING_LAG)  # let the tagging API catch up, as an hour of a nightly run would
    young = platform(1).sweep(older_than=2 * HOUR, dry_run=False, timeout=900, progress=QUIET)
    assert young.removed_states == [] and "california" in young.skipped
    assert inventory(clients, "california") != []

    old = platform(3).sweep(older_than=2 * HOUR, dry_run=False, timeout=900, progress=QUIET)
    assert old.removed_states == ["california"]
    assert inventory(clients, "california") == []
    assert groups_left(strict_aws) == []
    assert cluster_status(strict_aws) == "INACTIVE"  # deleted clusters stay visible as INACTIVE

    # A deploy after the cluster went: the INACTIVE cluster cannot take a service, a new one is made.
    assert platform(4).deploy("texas", timeout=600, progress=QUIET).exists
    assert cluster_status(strict_aws) == "ACTIVE"
    platform(4).destroy("texas", timeout=900, progress=QUIET)
    assert inventory(clients, "texas") == [] and groups_left(strict_aws) == []
    assert cluster_status(strict_aws) == "INACTIVE"
