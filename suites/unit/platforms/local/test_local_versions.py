"""The local platform's part of a rollout, on the fake engine: versions are the tasks' images, a rollback
is a rolling redeploy of the earlier images, and rollout records live in labelled volumes."""

from __future__ import annotations

import pytest
from test_local import IMAGES, aws, make_platform, quiet  # noqa: F401  (aws: the fixture, moto)
from test_local_fakedocker import FakeDocker

from humangov_deploy.platforms.base import Version
from humangov_deploy.platforms.local.records import LABEL_RUN, DockerRecordStore
from humangov_deploy.platforms.local.tasks import find_tasks

pytestmark = pytest.mark.unit

V1 = Version(app="app:1", nginx="nginx:1")
V2 = Version(app="app:2", nginx="nginx:2")


@pytest.mark.usefixtures("aws")
def test_versions_of_states_and_a_rollback_to_the_earlier_images() -> None:
    engine = FakeDocker(images=("app:1", "nginx:1", "lb:1", "emulator:1", "app:2", "nginx:2"))
    platform = make_platform(engine)
    assert platform.current_version("vermont") is None and platform.deployed_states() == []
    platform.deploy("vermont", timeout=60, progress=quiet)
    platform.deploy("maine", timeout=60, progress=quiet)
    assert platform.deployed_states() == ["maine", "vermont"]
    assert platform.current_version("vermont") == V1
    assert platform.prepare_version(quiet) == V1  # the platform's own images: built once, shared

    maine_before = {c.id for c in engine.by_name.values() if c.labels.get("humangov.state") == "maine"}
    platform.deploy_version("vermont", V2, timeout=60, progress=quiet)
    tasks = find_tasks(engine, "vermont")
    assert {t.members["app"].image for t in tasks} == {"app:2"} and len(tasks) == 2
    assert {t.holder.image for t in tasks} == {IMAGES.lb}  # the platform's own lb image, not the version's
    assert platform.current_version("vermont") == V2

    platform.rollback("vermont", V1, timeout=60, progress=quiet)
    assert platform.current_version("vermont") == V1
    assert {t.members["nginx"].image for t in find_tasks(engine, "vermont")} == {"nginx:1"}
    maine_after = {c.id for c in engine.by_name.values() if c.labels.get("humangov.state") == "maine"}
    assert maine_after == maine_before  # another state is never touched


def test_docker_record_store_keeps_the_newest_record_per_run() -> None:
    engine = FakeDocker()
    store = DockerRecordStore(engine)
    assert store.get("run-1") is None and store.all() == {}
    store.put("run-1", "z1:first")
    store.put("run-1", "z1:second")
    store.put("run-2", "z1:other")
    assert store.get("run-1") == "z1:second"
    assert store.all() == {"run-1": "z1:second", "run-2": "z1:other"}
    # One volume per run (older ones removed), without the labels destroy and sweep look for.
    assert len(engine.volume_list) == 2
    for volume in engine.volume_list:
        assert set(volume.attrs["Labels"]) == {LABEL_RUN, "humangov.rollout.seq", "humangov.rollout.record"}
    # A save of another runner whose older volume is not removed yet: the newest still wins.
    stale = {LABEL_RUN: "run-1", "humangov.rollout.seq": "1", "humangov.rollout.record": "z1:stale"}
    engine.volumes.create(name="humangov-rollout-run-1-1", labels=stale)
    assert store.get("run-1") == "z1:second" and store.all()["run-1"] == "z1:second"
