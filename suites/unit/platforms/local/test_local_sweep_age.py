"""The local platform's `sweep` judges a state by its NEWEST labelled object, as the aws platform does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fake_clock import FakeClock
from test_local_fakedocker import FakeDocker, FakeNetwork

from humangov_deploy.naming import format_time
from humangov_deploy.platforms.local import spec
from humangov_deploy.platforms.local.teardown import sweep

NOW = datetime(2026, 11, 26, 17, 0, tzinfo=UTC)
HOUR = 3600.0


def labels(state: str, age: float | None, run_id: str = "run-1") -> dict[str, str]:
    created = "" if age is None else format_time(NOW - timedelta(seconds=age))
    return spec.base_labels(state, run_id, created, role="network")


def add_container(engine: FakeDocker, name: str, state: str, age: float | None) -> None:
    engine.containers.create("app:1", name=name, labels=labels(state, age))


def add_network(engine: FakeDocker, name: str, state: str, age: float | None) -> None:
    engine.nets[name] = FakeNetwork(engine, name, labels(state, age))


def run_sweep(engine: FakeDocker, **kwargs: object) -> tuple[list[str], dict[str, str]]:
    clock = FakeClock(start=0.0)
    options: dict[str, object] = {"older_than": 2 * HOUR, "dry_run": False}
    options.update(kwargs)
    report = sweep(
        engine,
        now=NOW,
        timeout=60,
        clock=clock,
        progress=lambda _m: None,
        **options,  # type: ignore[arg-type]
    )
    return report.removed_states, report.skipped


def test_a_state_with_one_young_object_among_old_ones_is_kept() -> None:
    engine = FakeDocker()
    add_network(engine, "humangov-texas-data", "texas", 5 * HOUR)
    add_container(engine, "humangov-texas-task-old", "texas", 3 * HOUR)
    add_container(engine, "humangov-texas-task-new", "texas", 10 * 60)  # started ten minutes ago
    add_network(engine, "humangov-utah-data", "utah", 3 * HOUR)
    add_container(engine, "humangov-utah-task", "utah", 4 * HOUR)
    removed, skipped = run_sweep(engine)
    assert removed == ["utah"]
    assert skipped == {"texas": "its newest object is only 600s old"}
    assert sorted(engine.by_name) == ["humangov-texas-task-new", "humangov-texas-task-old"]
    assert sorted(engine.nets) == ["humangov-texas-data"]


def test_the_threshold_is_inclusive_and_objects_without_a_time_are_ignored() -> None:
    engine = FakeDocker()
    add_container(engine, "humangov-texas-a", "texas", 2 * HOUR)
    add_container(engine, "humangov-texas-b", "texas", None)
    add_container(engine, "humangov-utah-a", "utah", 2 * HOUR - 1)
    add_container(engine, "humangov-ohio-a", "ohio", None)
    removed, skipped = run_sweep(engine, dry_run=True)
    assert removed == ["texas"]
    assert skipped == {
        "utah": "its newest object is only 7199s old",
        "ohio": "no creation time on any of its objects",
    }
    assert len(engine.by_name) == 4  # a dry run removes nothing


def test_a_redeploy_hours_later_makes_the_state_young_again() -> None:
    """A stack deployed 3 h ago and redeployed with a new image now is not swept as 3 h old."""
    from moto import mock_aws
    from test_local import IMAGES, make_platform, quiet

    from humangov_deploy.platforms.local.tasks import Images

    engine = FakeDocker()
    with mock_aws():
        first = NOW - timedelta(hours=3)
        make_platform(engine, now=lambda: first).deploy("texas", timeout=60, progress=quiet)
        engine.image_tags.add("app:2")
        images = Images(app="app:2", nginx=IMAGES.nginx, lb=IMAGES.lb, emulator=IMAGES.emulator)
        make_platform(engine, images=images, now=lambda: NOW).deploy("texas", timeout=60, progress=quiet)
        removed, skipped = run_sweep(engine)
    assert removed == []
    assert skipped["texas"].startswith("its newest object is only 0s old")
