"""The baseline stack on a fake Docker engine whose app containers log the worker gunicorn would pick.

The state is deployed by the local platform itself (fake engine, moto for its data); the baseline must
copy its task definition with only gunicorn's settings changed, live beside it without touching it,
prove its workers are sync before any load, and go away leaving the state as it was.
"""

from __future__ import annotations

import itertools
import shlex
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import pytest
from fake_clock import FakeClock
from moto import mock_aws

from humangov_deploy.bench import baseline
from humangov_deploy.clients import AwsClients
from humangov_deploy.errors import DeployTimeout
from humangov_deploy.platforms.local import spec
from humangov_deploy.platforms.local.platform import LocalPlatform
from humangov_deploy.platforms.local.tasks import Images, find_tasks
from humangov_deploy.waits import Deadline
from suites.unit.platforms.local.test_local_fakedocker import (
    FakeContainer,
    FakeDocker,
    FakeHttp,
    FakeResponse,
)

IMAGES = Images(app="app:1", nginx="nginx:1", lb="lb:1", emulator="emulator:1")
STATE = "nevada"


def gunicorn_worker(environment: dict[str, str]) -> str:
    """The worker class gunicorn runs: containers/app/gunicorn.conf.py (gthread, 4 threads), overridden
    by GUNICORN_CMD_ARGS; a sync worker with more than one thread becomes gthread (gunicorn's docs,
    settings "threads")."""
    worker, threads = "gthread", 4
    args = shlex.split(environment.get("GUNICORN_CMD_ARGS", ""))
    for flag, value in itertools.pairwise(args):
        if flag in ("-k", "--worker-class"):
            worker = value
        elif flag == "--threads":
            threads = int(value)
    return "gthread" if worker == "sync" and threads > 1 else worker


class GunicornEngine(FakeDocker):
    """A started app container logs `Using worker: <class>`, as gunicorn's arbiter does."""

    def __init__(self) -> None:
        super().__init__()
        create = self.containers.create

        def create_and_log(image: str, name: str, labels: dict[str, str], **options: Any) -> FakeContainer:
            container = create(image, name, labels, **options)
            if labels.get(spec.LABEL_ROLE) == "app":
                worker = gunicorn_worker(options.get("environment") or {})
                container.log_text = f"[INFO] Using worker: {worker}\n".encode()
            return container

        self.containers.create = create_and_log  # type: ignore[method-assign]


class PerLbHttp(FakeHttp):
    """Each load balancer's stats page reports its own state's tasks (the base fake knows one LB)."""

    def get(self, url: str, timeout: float = 0) -> FakeResponse:
        if not url.endswith(f"{spec.STATS_PATH};csv"):
            return super().get(url, timeout)
        self.requests.append(url)
        port = urlsplit(url).port
        running = {c.name: c for c in self.engine.by_name.values() if c.status == "running"}
        lb = next(c for c in running.values() if port in c.ports.values())
        state = lb.labels[spec.LABEL_STATE]
        return FakeResponse(
            200, self.stats_csv({n: c for n, c in running.items() if c.labels[spec.LABEL_STATE] == state})
        )


@pytest.fixture
def engine() -> Iterator[GunicornEngine]:
    with mock_aws():
        yield GunicornEngine()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(start=0.0)


@pytest.fixture
def platform(engine: GunicornEngine, clock: FakeClock) -> LocalPlatform:
    platform = LocalPlatform(
        docker=engine,
        images=IMAGES,
        http=PerLbHttp(engine),  # type: ignore[arg-type]
        clock=clock,
        sleep=clock.sleep,
        run_id="run-1",
        now=lambda: datetime(2026, 11, 26, 17, 0, tzinfo=UTC),
        clients_factory=lambda endpoint: AwsClients(region="us-east-1"),
    )
    platform.deploy(STATE, timeout=60, progress=lambda _m: None)
    return platform


def objects_of(engine: FakeDocker, state: str) -> list[str]:
    names = [c.name for c in engine.by_name.values() if c.labels.get(spec.LABEL_STATE) == state]
    names += [n.name for n in engine.nets.values() if n.attrs["Labels"].get(spec.LABEL_STATE) == state]
    return sorted(names)


def start(platform: LocalPlatform, clock: FakeClock) -> baseline.Baseline:
    return baseline.start(
        platform.docker,
        platform.http,
        STATE,
        deadline=Deadline(60, clock),
        progress=lambda _m: None,
        clock=clock,
        sleep=clock.sleep,
    )


def test_the_baseline_copies_the_states_definition_with_only_gunicorns_settings_changed(
    platform: LocalPlatform, engine: GunicornEngine
) -> None:
    definition, count = baseline.baseline_definition(engine, STATE)
    state_app = next(c for c in engine.by_name.values() if c.labels.get(spec.LABEL_ROLE) == "app")
    state_env = dict(item.split("=", 1) for item in state_app.attrs["Config"]["Env"])
    assert count == 2
    assert definition.images == IMAGES
    assert definition.environment == {
        **state_env,
        "GUNICORN_CMD_ARGS": "--workers 1 --worker-class sync --threads 1",
    }
    assert gunicorn_worker(definition.environment) == "sync"


def test_the_baseline_runs_beside_the_state_with_sync_workers_and_leaves_it_alone(
    platform: LocalPlatform, engine: GunicornEngine, clock: FakeClock
) -> None:
    before = objects_of(engine, STATE)
    state_url = platform.status(STATE).url
    base = start(platform, clock)

    pseudo = baseline.baseline_state(STATE)
    tasks = find_tasks(engine, pseudo)
    assert base.tasks == 2 and len(tasks) == 2
    assert all(t.status == "RUNNING" for t in tasks)
    assert base.url != state_url and base.url.startswith("http://127.0.0.1:")
    for task in tasks:
        assert task.members["app"].log_text == b"[INFO] Using worker: sync\n"
        # Its own zone network (its LB's), and the state's data network (the state's emulator).
        assert set(task.holder.networks) == {
            f"humangov-{pseudo}-{task.az}",
            spec.LocalNames(STATE).data_network,
        }
        assert (
            task.holder.labels[spec.LABEL_RUN_ID] == "run-1"
        )  # the state's: sweep and leftover checks see it
    lb = engine.by_name[f"humangov-{pseudo}-lb"]
    assert set(lb.networks) == {f"humangov-{pseudo}-zone-a", f"humangov-{pseudo}-zone-b"}
    # The state itself sees none of it.
    assert objects_of(engine, STATE) == before
    assert [t.healthy for t in platform.status(STATE).tasks] == [True, True]

    baseline.remove(engine, STATE, deadline=Deadline(60, clock), progress=lambda _m: None)
    assert objects_of(engine, pseudo) == []
    assert objects_of(engine, STATE) == before
    assert [t.healthy for t in platform.status(STATE).tasks] == [True, True]


def test_a_baseline_whose_workers_are_not_sync_is_never_measured(
    platform: LocalPlatform, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Without --threads 1, the config file's 4 threads turn the sync worker into gthread.
    monkeypatch.setattr(baseline, "BASELINE_GUNICORN_ARGS", "--workers 1 --worker-class sync")
    with pytest.raises(DeployTimeout, match="sync worker"):
        start(platform, clock)


def test_a_baseline_left_by_an_earlier_run_is_replaced(
    platform: LocalPlatform, engine: GunicornEngine, clock: FakeClock
) -> None:
    first = {t.id for t in find_tasks(engine, baseline.baseline_state(STATE))}
    start(platform, clock)
    old = {t.id for t in find_tasks(engine, baseline.baseline_state(STATE))}
    start(platform, clock)
    new = {t.id for t in find_tasks(engine, baseline.baseline_state(STATE))}
    assert first == set() and len(old) == len(new) == 2 and not old & new
