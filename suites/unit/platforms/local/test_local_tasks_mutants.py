"""A local task's life, pinned where `tox -e mutants` found it loose: its status from its three
containers, how it starts (each container's exact settings), stops, is read back and replaced, and when a
crash loop fails a deploy. Fake containers and a recording Docker boundary (local_docker); no engine."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from humangov_deploy.platforms.base import TaskInfo
from humangov_deploy.platforms.local import engine as dock
from humangov_deploy.platforms.local import spec
from humangov_deploy.platforms.local import tasks as lt


@dataclass
class Container:
    status: str = "running"
    started: str = "2026-11-26T17:00:00.000000001Z"
    labels: dict[str, str] = field(default_factory=dict)
    image: str = ""
    env: list[str] = field(default_factory=list)
    restarts: int = 0
    output: bytes | Exception = b""
    id: str = "c0"
    log_calls: list[dict[str, Any]] = field(default_factory=list)

    @property
    def attrs(self) -> dict[str, Any]:
        return {
            "State": {"StartedAt": self.started},
            "Labels": self.labels,
            "Config": {"Image": self.image, "Env": self.env},
            "RestartCount": self.restarts,
        }

    def logs(self, **kwargs: Any) -> bytes:
        self.log_calls.append(kwargs)
        if isinstance(self.output, Exception):
            raise self.output
        return self.output


EARLY, LATE = "2026-11-26T17:00:00.000000001Z", "2026-11-26T17:00:05.000000001Z"


def task(holder: Container | None = None, **members: Container | None) -> lt.Task:
    found = lt.Task(id="t1", slot=2, az="zone-b", spec="fp", holder=holder)
    found.members = {k: v for k, v in members.items() if v is not None}
    return found


def running() -> lt.Task:
    return task(Container(), app=Container(), nginx=Container())


# -- status ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("holder", "app", "nginx", "status"),
    [
        ("running", "running", "running", "RUNNING"),
        (None, "running", "running", "STOPPED"),
        ("running", None, "running", "STOPPED"),
        ("running", "running", None, "STOPPED"),
        ("exited", "running", "running", "STOPPED"),
        ("running", "dead", "running", "STOPPED"),
        ("running", "removing", "exited", "DEPROVISIONING"),
        ("running", "restarting", "running", "PENDING"),
        ("created", "created", "created", "PENDING"),
        ("running", "paused", "running", "PENDING"),
    ],
)
def test_a_task_is_running_only_when_its_three_containers_run(
    holder: str | None, app: str | None, nginx: str | None, status: str
) -> None:
    def make(state: str | None) -> Container | None:
        return Container(status=state) if state else None

    assert task(make(holder), app=make(app), nginx=make(nginx)).status == status


def test_members_left_in_a_restarted_holders_old_namespace_make_the_task_stopped() -> None:
    stale = task(Container(started=LATE), app=Container(started=EARLY), nginx=Container(started=LATE))
    assert stale.stale and stale.status == "STOPPED"
    # A member not running does not count; nor does a holder that is not running.
    assert not task(Container(started=LATE), app=Container(status="exited", started=EARLY)).stale
    assert not task(Container(status="exited", started=LATE), app=Container(started=EARLY)).stale
    assert not task(None, app=Container(started=EARLY)).stale
    assert not task(
        Container(started=EARLY), app=Container(started=LATE), nginx=Container(started=EARLY)
    ).stale


def test_a_container_without_a_start_time_counts_as_started_first() -> None:
    holder = Container(started=EARLY)
    member = Container()
    member.started = ""
    assert task(holder, app=member).stale
    assert lt._started_at(type("NoAttrs", (), {"attrs": None})()) == ""
    assert lt._started_at(type("NoState", (), {"attrs": {"State": None}})()) == ""


def test_containers_holder_first_and_only_those_that_exist() -> None:
    holder, nginx = Container(id="h"), Container(id="n")
    assert task(holder, nginx=nginx).containers == [holder, nginx]
    assert task(None).containers == []


def test_a_task_is_healthy_when_it_runs_and_its_slot_is_healthy_behind_the_lb() -> None:
    alias = spec.slot_alias(2)
    assert running().info({alias: True}) == TaskInfo("t1", "zone-b", "RUNNING", True)
    assert running().info({alias: False}).healthy is False
    assert running().info({spec.slot_alias(1): True}).healthy is False
    stopped = task(None, app=Container(), nginx=Container())
    assert stopped.info({alias: True}) == TaskInfo("t1", "zone-b", "STOPPED", False)


# -- finding tasks -----------------------------------------------------------------------------------------
def labelled(
    role: str, task_id: str | None, slot: str | None = "1", az: str = "zone-a", fp: str = "f"
) -> Container:
    labels = {spec.LABEL_ROLE: role, spec.LABEL_AZ: az, spec.LABEL_SPEC: fp}
    if task_id is not None:
        labels[spec.LABEL_TASK] = task_id
    if slot is not None:
        labels[spec.LABEL_SLOT] = slot
    return Container(labels=labels, id=f"{role}-{task_id}")


def test_tasks_are_grouped_from_their_containers_labels_in_slot_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    containers = [
        labelled("app", "b", slot="2", az="zone-b", fp="f2"),
        labelled("task", "b", slot="2", az="zone-b", fp="f2"),
        labelled("nginx", "a", slot="1"),
        labelled("lb", "x"),  # another role of the state: not a task's
        labelled("app", None),  # no task id
        labelled("task", "c", slot=None, az="zone-a"),
        labelled("task", "a2", slot="1"),
    ]
    asked: list[tuple[Any, str]] = []
    monkeypatch.setattr(
        dock, "list_containers", lambda client, state: asked.append((client, state)) or containers
    )

    found = lt.find_tasks("engine", "texas")

    assert asked == [("engine", "texas")]
    assert [(t.id, t.slot, t.az, t.spec) for t in found] == [
        ("c", 0, "zone-a", "f"),
        ("a", 1, "zone-a", "f"),
        ("a2", 1, "zone-a", "f"),
        ("b", 2, "zone-b", "f2"),
    ]
    b = found[-1]
    assert b.holder is containers[1] and b.members == {"app": containers[0]}
    assert found[1].holder is None and found[1].members == {"nginx": containers[2]}


def test_a_task_without_az_or_spec_labels_gets_empty_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    bare = Container(labels={spec.LABEL_ROLE: "task", spec.LABEL_TASK: "t"})
    monkeypatch.setattr(dock, "list_containers", lambda _client, _state: [bare])
    (found,) = lt.find_tasks(None, "texas")
    assert (found.slot, found.az, found.spec, found.holder) == (0, "", "", bare)


# -- starting and stopping ---------------------------------------------------------------------------------
DEFINITION = lt.TaskDefinition(
    images=lt.Images(app="app:1", nginx="nginx:1", lb="lb:1", emulator="emu:1"),
    environment={"US_STATE": "texas"},
    emulator_port=5123,
    emulator_host="humangov-texas-emulator",
)


def test_a_task_starts_holder_then_app_then_nginx_each_as_fargate_would(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    runs: list[dict[str, Any]] = []

    def run_container(client: Any, **kwargs: Any) -> Container:
        runs.append(kwargs)
        return Container(id=f"id-{len(runs)}")

    monkeypatch.setattr(dock, "run_container", run_container)
    monkeypatch.setattr(lt.secrets, "token_hex", lambda n: f"hex{n}")
    names = spec.LocalNames("texas")

    started = lt.start_task("engine", names=names, slot=2, definition=DEFINITION, labels={"base": "1"})

    zone = spec.zone_of_slot(2)
    labels = {
        "base": "1",
        spec.LABEL_TASK: "hex6",
        spec.LABEL_SLOT: "2",
        spec.LABEL_AZ: zone,
        spec.LABEL_SPEC: DEFINITION.fingerprint,
    }
    assert runs[0] == {
        "name": names.task("hex6"),
        "image": "lb:1",
        "labels": {**labels, spec.LABEL_ROLE: "task"},
        "network": names.zone_network(zone),
        "aliases": ["task-2"],
        "extra_networks": [names.data_network],
        "files": {lt.SIDECAR_CONFIG_PATH: spec.sidecar_config(5123, "humangov-texas-emulator")},
        "command": ["-W", "-db", "-f", lt.SIDECAR_CONFIG_PATH],
        "hostname": "task-hex6",
    }
    shared = {"network_mode": "container:id-1", "restart_policy": {"Name": "unless-stopped"}}
    assert runs[1] == {
        "name": names.task_container("hex6", "app"),
        "image": "app:1",
        "labels": {**labels, spec.LABEL_ROLE: "app"},
        "environment": {"US_STATE": "texas"},
        **shared,
    }
    assert runs[2] == {
        "name": names.task_container("hex6", "nginx"),
        "image": "nginx:1",
        "labels": {**labels, spec.LABEL_ROLE: "nginx"},
        "environment": spec.nginx_environment(),
        **shared,
    }
    assert (started.id, started.slot, started.az, started.spec) == ("hex6", 2, zone, DEFINITION.fingerprint)
    assert started.holder.id == "id-1"
    assert {k: v.id for k, v in started.members.items()} == {"app": "id-2", "nginx": "id-3"}


def test_a_task_stops_nginx_first_then_app_then_its_holder(monkeypatch: pytest.MonkeyPatch) -> None:
    removed: list[tuple[str, int]] = []
    monkeypatch.setattr(dock, "remove_container", lambda c, timeout: removed.append((c.id, timeout)))
    whole = task(Container(id="h"), app=Container(id="a"), nginx=Container(id="n"))

    lt.stop_task(whole)
    lt.stop_task(task(Container(id="h2"), app=Container(id="a2")), timeout=2)

    assert removed == [("n", 30), ("a", 30), ("h", 30), ("a2", 2), ("h2", 2)]


# -- reading a definition back -----------------------------------------------------------------------------
def app_env(endpoint: str = "http://127.0.0.1:5123") -> list[str]:
    env = spec.app_environment(
        state="texas", region="us-east-1", table="t", bucket="b", endpoint_url=endpoint, secret_key="s"
    )
    return [f"{k}={v}" for k, v in env.items()] + ["PATH=/usr/bin", "NOEQUALS", "GUNICORN_CMD_ARGS=x=y"]


def test_a_definition_is_read_back_from_the_tasks_containers() -> None:
    found = task(
        Container(image="lb:1"), app=Container(image="app:1", env=app_env()), nginx=Container(image="nginx:1")
    )

    definition = lt.definition_of(found, "emu:1")

    expected_env = dict(item.split("=", 1) for item in app_env()[:-3])
    assert definition == lt.TaskDefinition(
        lt.Images(app="app:1", nginx="nginx:1", lb="lb:1", emulator="emu:1"),
        expected_env,
        5123,
        "humangov-texas-emulator",
    )
    assert lt.definition_of(found) is not None and lt.definition_of(found).images.emulator == ""  # type: ignore[union-attr]


def test_an_endpoint_without_a_port_reads_as_port_zero() -> None:
    found = task(Container(), app=Container(env=app_env("http://emulator")), nginx=Container())
    assert lt.definition_of(found).emulator_port == 0  # type: ignore[union-attr]


@pytest.mark.parametrize("missing", ["holder", "app", "nginx"])
def test_no_definition_without_all_three_containers(missing: str) -> None:
    parts: dict[str, Any] = {"holder": Container(), "app": Container(env=app_env()), "nginx": Container()}
    parts[missing] = None
    holder = parts.pop("holder")
    assert lt.definition_of(task(holder, **parts)) is None


# -- replacing stopped tasks -------------------------------------------------------------------------------
class Engine:
    """The state's containers as find_tasks and replace_stopped see them, with starts and stops recorded."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, tasks: list[lt.Task], emulator: str | None = "emu:1"):
        self.started: list[tuple[int, lt.TaskDefinition, dict[str, str]]] = []
        self.stopped: list[tuple[str, int]] = []
        emulators = [Container(image=emulator)] if emulator is not None else []
        monkeypatch.setattr(lt, "find_tasks", lambda _client, _state: tasks)
        monkeypatch.setattr(
            dock,
            "list_containers",
            lambda _c, _s, **labels: emulators if labels == {spec.LABEL_ROLE: "emulator"} else [],
        )

        def start(_client: Any, *, names: Any, slot: int, definition: Any, labels: Any) -> lt.Task:
            assert names == spec.LocalNames("texas")
            self.started.append((slot, definition, labels))
            return lt.Task(id=f"new-{slot}", slot=slot, az="", spec="")

        monkeypatch.setattr(lt, "start_task", start)
        monkeypatch.setattr(lt, "stop_task", lambda t, timeout: self.stopped.append((t.id, timeout)))


def full(task_id: str, slot: int, image: str = "app:1", status: str = "running") -> lt.Task:
    found = lt.Task(id=task_id, slot=slot, az=f"zone-{slot}", spec="")
    found.holder = Container(status=status, image="lb:1")
    found.members = {
        "app": Container(status=status, image=image, env=app_env()),
        "nginx": Container(image="ngx"),
    }
    return found


def test_a_stopped_task_is_replaced_in_its_slot_like_the_running_ones(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    alive, dead = full("alive", 1), full("dead", 2, image="app:old", status="exited")
    pending = full("pending", 3, status="restarting")
    engine = Engine(monkeypatch, [alive, dead, pending])
    lines: list[str] = []

    new = lt.replace_stopped("engine", "texas", labels={"l": "1"}, progress=lines.append)

    assert new == ["new-2"]
    assert engine.stopped == [("dead", 2)]
    assert engine.started == [(2, lt.definition_of(alive, "emu:1"), {"l": "1"})]
    assert lines == ["task dead in zone-2 stopped: replacing it"]


def test_with_no_running_task_a_stopped_one_is_restarted_as_it_was(monkeypatch: pytest.MonkeyPatch) -> None:
    dead = full("dead", 1, status="exited")
    engine = Engine(monkeypatch, [dead], emulator=None)

    assert lt.replace_stopped(None, "texas", labels={}, progress=lambda _m: None) == ["new-1"]
    assert engine.started[0][1] == lt.definition_of(dead, "")


def test_a_stopped_task_that_cannot_be_read_back_is_only_removed(monkeypatch: pytest.MonkeyPatch) -> None:
    broken = lt.Task(id="broken", slot=1, az="zone-1", spec="", holder=Container(status="exited"))
    engine = Engine(monkeypatch, [broken])
    assert lt.replace_stopped(None, "texas", labels={}, progress=lambda _m: None) == []
    assert engine.stopped == [("broken", 2)] and engine.started == []


def test_empty_slots_up_to_the_desired_count_get_a_task(monkeypatch: pytest.MonkeyPatch) -> None:
    engine = Engine(monkeypatch, [full("alive", 2)])
    lines: list[str] = []

    new = lt.replace_stopped(None, "texas", labels={}, progress=lines.append, desired=3)

    assert new == ["new-1", "new-3"] and [s for s, _, _ in engine.started] == [1, 3]
    assert lines == ["slot 1 has no task: starting one", "slot 3 has no task: starting one"]
    assert lt.replace_stopped(None, "texas", labels={}, progress=lines.append) == []


# -- crash loops -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("status", "restarts", "crashing"),
    [
        ("running", 0, False),
        ("running", 1, False),
        ("exited", 0, False),
        ("exited", 1, True),
        ("running", 2, True),
    ],
)
def test_a_container_crash_loops_after_two_restarts_or_an_exit_after_one(
    status: str, restarts: int, crashing: bool
) -> None:
    container = Container(status=status, restarts=restarts, output=b"  Traceback\nboom \xff \n")
    reason = lt.crashing("the app of task t1", container)
    if crashing:
        last_words = "Traceback\nboom \ufffd"  # stripped, undecodable bytes replaced
        assert (
            reason
            == f"the app of task t1 keeps exiting ({restarts} restarts); its last output:\n{last_words}"
        )
        assert container.log_calls == [{"tail": 15}]
    else:
        assert reason is None


def test_a_crash_loop_without_logs_still_fails_with_its_reason() -> None:
    container = Container(restarts=3, output=RuntimeError("gone"))
    assert lt.crashing("x", container) == "x keeps exiting (3 restarts); its last output:\n(no logs)"
    assert lt.crashing("x", None) is None
    silent = Container(restarts=3, output=b"  \n")
    assert lt.crashing("x", silent) == "x keeps exiting (3 restarts); its last output:\n(it printed nothing)"
    assert lt.crashing("x", type("NoAttrs", (), {"attrs": None, "status": "running"})()) is None


def test_the_first_crashing_member_fails_the_deploy() -> None:
    calm = task(Container(), app=Container(), nginx=Container())
    loud = task(Container(), app=Container(), nginx=Container(restarts=5, output=b"bad config"))
    loud.id = "t2"
    assert lt.fatal_reason([calm]) is None
    assert (
        lt.fatal_reason([calm, loud])
        == "the nginx of task t2 keeps exiting (5 restarts); its last output:\nbad config"
    )


def test_a_value_with_equals_signs_is_read_back_whole() -> None:
    env = [item for item in app_env() if not item.startswith("SECRET_KEY=")] + ["SECRET_KEY=c2VjcmV0=="]
    found = task(Container(), app=Container(env=env), nginx=Container())
    assert lt.definition_of(found).environment["SECRET_KEY"] == "c2VjcmV0=="  # type: ignore[union-attr]


def test_an_app_without_endpoint_or_state_reads_back_as_port_zero_and_no_state() -> None:
    env = [i for i in app_env() if not i.startswith(("AWS_ENDPOINT_URL=", "US_STATE="))]
    found = task(Container(), app=Container(env=env), nginx=Container())
    definition = lt.definition_of(found)
    assert definition is not None
    assert (definition.emulator_port, definition.emulator_host) == (0, "humangov--emulator")
    assert "AWS_ENDPOINT_URL" not in definition.environment


def test_an_emulator_without_an_image_name_gives_an_empty_one(monkeypatch: pytest.MonkeyPatch) -> None:
    engine = Engine(monkeypatch, [full("dead", 1, status="exited")], emulator=None)
    monkeypatch.setattr(
        dock,
        "list_containers",
        lambda _c, _s, **labels: [type("Bare", (), {"attrs": {"Config": None}})()] if labels else [],
    )
    lt.replace_stopped(None, "texas", labels={}, progress=lambda _m: None)
    assert engine.started[0][1].images.emulator == ""
