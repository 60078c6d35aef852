"""The schedule explorer: whole cycles on the strict layer with AWS's transient behaviours drawn from a seed
(timings per resource, throttling; strict_aws.Schedule), each of which must converge: deploys end up,
redeploy and rollback land, destroy and sweep leave nothing.

A failure names its seed; `HUMANGOV_AWS_SEED=N pytest suites/unit/platforms/aws/test_aws_schedule_explorer.py`
replays it (that seed only), and `HUMANGOV_AWS_SEEDS=200` runs seeds 0..199 (the nightly job's scale).
"""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from aws_testkit import APP_IMAGE, NOW, inventory, moto_platform
from strict_aws import TAGGING_LAG, StrictAws

from humangov_deploy.naming import CLUSTER

QUIET = lambda _m: None  # noqa: E731
HOUR = 3600.0
UNIT_SEEDS = (1, 2, 3)


def seeds() -> list[int]:
    if os.environ.get("HUMANGOV_AWS_SEED"):
        return [int(os.environ["HUMANGOV_AWS_SEED"])]
    if os.environ.get("HUMANGOV_AWS_SEEDS"):
        return list(range(int(os.environ["HUMANGOV_AWS_SEEDS"])))
    return list(UNIT_SEEDS)


def cycle(strict: StrictAws) -> None:
    clients, clock = strict.clients, strict.clock

    def platform(hours_later: float = 0, **options: object):  # type: ignore[no-untyped-def]
        settings = {"poll_interval": 15.0, **options}
        return moto_platform(clients, clock=clock, now=NOW + timedelta(hours=hours_later), **settings)

    for state in ("texas", "california"):
        assert platform().deploy(state, timeout=900, progress=QUIET).exists, state
        assert platform().status(state).exists, state
    before = platform().current_version("texas")
    assert before is not None
    platform(app_image=APP_IMAGE.replace("a" * 64, "c" * 64)).deploy("texas", timeout=900, progress=QUIET)
    assert platform().current_version("texas") != before
    platform().rollback("texas", before, timeout=900, progress=QUIET)
    assert platform().current_version("texas") == before

    platform().destroy("texas", timeout=1800, progress=QUIET)
    assert inventory(clients, "texas") == []
    clock.sleep(3 * TAGGING_LAG)  # the tagging API's lag, drawn up to 2.5 times its figure
    report = platform(3).sweep(older_than=2 * HOUR, dry_run=False, timeout=1800, progress=QUIET)
    assert report.removed_states == ["california"]
    assert inventory(clients, "california") == []
    described = clients.ecs.describe_clusters(clusters=[CLUSTER])["clusters"]
    assert [c["status"] for c in described] == ["INACTIVE"]


@pytest.mark.slow
@pytest.mark.parametrize("seed", seeds())
def test_a_whole_cycle_converges_under_a_drawn_schedule(strict_aws: StrictAws, seed: int) -> None:
    strict_aws.apply_bootstrap_boundary()
    schedule = strict_aws.explore(seed)
    try:
        cycle(strict_aws)
    except Exception as exc:
        raise AssertionError(
            f"schedule seed {seed} did not converge ({len(schedule.throttled)} throttled calls, "
            f"{len(strict_aws.refusals)} refusals; last: {strict_aws.refusals[-1:]}): {exc!r}. Replay it: "
            f"HUMANGOV_AWS_SEED={seed} .venv/bin/pytest -m unit {__file__}"
        ) from exc
    assert schedule.throttled, "the schedule drew no throttling: raise the rate or the cycle's length"


def test_a_seed_replays_the_same_draws() -> None:
    from strict_aws import Schedule

    first, again, other = Schedule(7), Schedule(7), Schedule(8)
    draws = [(first.span(10.0, f"r{n}"), first.throttles("ecs", f"op{n}")) for n in range(200)]
    assert draws == [(again.span(10.0, f"r{n}"), again.throttles("ecs", f"op{n}")) for n in range(200)]
    assert draws != [(other.span(10.0, f"r{n}"), other.throttles("ecs", f"op{n}")) for n in range(200)]
    assert first.span(10.0, "r0") == draws[0][0]  # drawn once per resource
