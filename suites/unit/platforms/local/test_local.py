"""The local platform's orchestration on a fake Docker engine, with the state's data on moto.

No Docker, no sleeping: the engine and HTTP are fakes (test_local_fakedocker), the waits get a fake clock.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from fake_clock import FakeClock
from moto import mock_aws
from test_local_fakedocker import FakeDocker, FakeHttp

from humangov_deploy import appsrc
from humangov_deploy.clients import AwsClients
from humangov_deploy.errors import ConfigError, DeploymentFailed, DeployTimeout
from humangov_deploy.platforms import get_platform
from humangov_deploy.platforms.aws.spec import DataRefs, task_definition_spec
from humangov_deploy.platforms.local import from_options, spec
from humangov_deploy.platforms.local.platform import LocalPlatform
from humangov_deploy.platforms.local.tasks import Images, find_tasks

IMAGES = Images(app="app:1", nginx="nginx:1", lb="lb:1", emulator="emulator:1")


@pytest.fixture
def aws() -> Iterator[None]:
    with mock_aws():
        yield


@pytest.fixture
def engine() -> FakeDocker:
    return FakeDocker()


def make_platform(engine: FakeDocker, http: FakeHttp | None = None, **kwargs: object) -> LocalPlatform:
    clock = FakeClock(start=0.0)
    options: dict[str, object] = {
        "docker": engine,
        "images": IMAGES,
        "http": http or FakeHttp(engine),
        "clock": clock,
        "sleep": clock.sleep,
        "run_id": "run-1",
        "now": lambda: datetime(2026, 11, 26, 17, 0, tzinfo=UTC),
        # moto intercepts clients without an endpoint; the emulator's URL is checked separately.
        "clients_factory": lambda endpoint: AwsClients(region="us-east-1"),
    }
    options.update(kwargs)
    return LocalPlatform(**options)  # type: ignore[arg-type]


def quiet(_: str) -> None:
    pass


def objects_of(engine: FakeDocker, state: str) -> list[str]:
    names = [c.name for c in engine.by_name.values() if c.labels.get(spec.LABEL_STATE) == state]
    names += [n.name for n in engine.nets.values() if n.attrs["Labels"].get(spec.LABEL_STATE) == state]
    return sorted(names)


def test_deploy_builds_the_whole_stack_and_waits_until_healthy(aws: None, engine: FakeDocker) -> None:
    platform = make_platform(engine)
    status = platform.deploy("california", timeout=60, progress=quiet)

    names = spec.LocalNames("california")
    assert set(engine.nets) == set(names.networks)
    assert [t.status for t in status.tasks] == ["RUNNING", "RUNNING"]
    assert all(t.healthy for t in status.tasks)
    assert sorted(t.az for t in status.tasks) == ["zone-a", "zone-b"]
    lb = engine.by_name[names.lb]
    assert status.url == f"https://127.0.0.1:{lb.ports[f'{spec.LB_HTTPS_PORT}/tcp']}"
    for port in (spec.LB_PORT, spec.LB_HTTPS_PORT, spec.LB_STATS_PORT):
        assert lb.options["ports"][f"{port}/tcp"][0] == "127.0.0.1"  # loopback only
    assert set(lb.networks) == {names.zone_network(z) for z in spec.ZONES}
    assert status.table == appsrc.schema().table_name("california")
    assert status.bucket and status.bucket.startswith(appsrc.schema().bucket_prefix("california"))
    emulator = engine.by_name[names.emulator]
    assert set(emulator.networks) == {names.data_network}


def test_every_object_carries_state_run_id_and_managed_by(aws: None, engine: FakeDocker) -> None:
    make_platform(engine).deploy("texas", timeout=60, progress=quiet)
    labelled = [c.labels for c in engine.by_name.values()] + [n.attrs["Labels"] for n in engine.nets.values()]
    assert len(labelled) == 3 + 2 + 2 * 3  # networks, emulator + lb, two tasks of three containers
    for labels in labelled:
        assert labels[spec.LABEL_STATE] == "texas"
        assert labels[spec.LABEL_RUN_ID] == "run-1"
        assert labels[spec.LABEL_MANAGED_BY] == "humangov"


def test_a_task_is_app_and_nginx_in_the_holders_namespace_in_its_zone(aws: None, engine: FakeDocker) -> None:
    make_platform(engine).deploy("california", timeout=60, progress=quiet)
    names = spec.LocalNames("california")
    tasks = find_tasks(engine, "california")
    assert [t.slot for t in tasks] == [1, 2]
    for task in tasks:
        holder = task.holder
        assert holder.networks[names.zone_network(task.az)] == [spec.slot_alias(task.slot)]
        assert names.data_network in holder.networks
        for role in ("app", "nginx"):
            member = task.members[role]
            assert member.options["network_mode"] == f"container:{holder.id}"
            assert member.options["restart_policy"]["Name"] in ("unless-stopped", "always")
            assert member.labels[spec.LABEL_AZ] == task.az
        # The holder forwards the emulator's host port inside the task: one endpoint URL everywhere.
        endpoint = task.members["app"].options["environment"]["AWS_ENDPOINT_URL"]
        port = endpoint.rsplit(":", 1)[1]
        config = holder.files["/usr/local/etc/haproxy/sidecar.cfg"]
        assert f"bind 127.0.0.1:{port}" in config
        assert f"server emulator {names.emulator}:{spec.EMULATOR_PORT}" in config
        emulator_port = engine.by_name[names.emulator].ports[f"{spec.EMULATOR_PORT}/tcp"]
        assert endpoint == f"http://127.0.0.1:{emulator_port}"


def test_the_app_gets_the_aws_task_definitions_environment(aws: None, engine: FakeDocker) -> None:
    status = make_platform(engine).deploy("california", timeout=60, progress=quiet)
    from humangov_deploy.naming import names_for

    aws_task = task_definition_spec(
        names=names_for("california"),
        region="us-east-1",
        app_image="app",
        nginx_image="nginx",
        data=DataRefs(table=status.table or "", bucket=status.bucket or "", table_arn="t", bucket_arn="b"),
        task_role_arn="r",
        execution_role_arn="e",
        secret_arn="s",
    )
    task = find_tasks(engine, "california")[0]
    for container in aws_task["containerDefinitions"]:
        expected = {e["name"]: e["value"] for e in container.get("environment", [])}
        env = task.members[container["name"]].options["environment"]
        assert {k: env.get(k) for k in expected} == expected, container["name"]
        assert {s["name"] for s in container.get("secrets", [])} <= set(env)


def test_both_tasks_share_one_secret_key_that_survives_a_redeploy(aws: None, engine: FakeDocker) -> None:
    platform = make_platform(engine)
    platform.deploy("california", timeout=60, progress=quiet)
    keys = {t.members["app"].options["environment"]["SECRET_KEY"] for t in find_tasks(engine, "california")}
    assert len(keys) == 1 and len(next(iter(keys))) >= 32
    platform.deploy("texas", timeout=60, progress=quiet)
    other = find_tasks(engine, "texas")[0].members["app"].options["environment"]["SECRET_KEY"]
    assert other not in keys  # a silo: one state's sessions are worthless in another's

    # A new image replaces the tasks; the key stays.
    changed = make_platform(
        engine, images=Images(app="app:2", nginx="nginx:1", lb="lb:1", emulator="emulator:1")
    )
    engine.image_tags.add("app:2")
    changed.deploy("california", timeout=60, progress=quiet)
    after = {t.members["app"].options["environment"]["SECRET_KEY"] for t in find_tasks(engine, "california")}
    assert after == keys


def test_redeploy_without_change_changes_nothing(aws: None, engine: FakeDocker) -> None:
    platform = make_platform(engine)
    platform.deploy("california", timeout=60, progress=quiet)
    before = {name: c.id for name, c in engine.by_name.items()}
    calls = len(engine.calls)
    status = platform.deploy("california", timeout=60, progress=quiet)
    assert {name: c.id for name, c in engine.by_name.items()} == before
    assert [c for c in engine.calls[calls:] if c[0] in ("create", "remove", "stop", "create-network")] == []
    assert all(t.healthy for t in status.tasks)


def test_a_new_image_rolls_out_one_slot_at_a_time_and_keeps_the_url(aws: None, engine: FakeDocker) -> None:
    make_platform(engine).deploy("california", timeout=60, progress=quiet)
    old = {t.id for t in find_tasks(engine, "california")}
    url = make_platform(engine).status("california").url
    engine.image_tags.add("app:2")
    platform = make_platform(
        engine, images=Images(app="app:2", nginx="nginx:1", lb="lb:1", emulator="emulator:1")
    )
    status = platform.deploy("california", timeout=60, progress=quiet)
    new = find_tasks(engine, "california")
    assert {t.id for t in new}.isdisjoint(old)
    assert {t.members["app"].image for t in new} == {"app:2"}
    assert status.url == url
    # Slot 1's old task goes before slot 2's: the second slot serves while the first is replaced.
    removed = [c[1] for c in engine.calls if c[0] == "remove" and c[1].endswith("-app")]
    started = [c[1] for c in engine.calls if c[0] == "start" and c[1].endswith("-app")]
    assert len(removed) == 2 and len(started) == 4
    assert engine.calls.index(("start", started[2])) < engine.calls.index(("remove", removed[1]))


def test_status_replaces_a_stopped_task_in_its_zone(aws: None, engine: FakeDocker) -> None:
    platform = make_platform(engine)
    status = platform.deploy("california", timeout=60, progress=quiet)
    victim = status.tasks[0]
    platform.stop_task("california", victim.id)
    assert len(find_tasks(engine, "california")) == 1

    after = platform.status("california")
    assert len(after.tasks) == 2
    assert victim.id not in {t.id for t in after.tasks}
    assert sorted(t.az for t in after.tasks) == ["zone-a", "zone-b"]
    assert all(t.status == "RUNNING" and t.healthy for t in after.tasks)


def test_a_task_whose_holder_died_is_replaced_in_its_slot_and_zone(aws: None, engine: FakeDocker) -> None:
    platform = make_platform(engine)
    platform.deploy("california", timeout=60, progress=quiet)
    survivor, dead = find_tasks(engine, "california")
    dead.holder.status = "exited"  # the namespace is gone: app and nginx cannot serve any more
    assert dead.status == "STOPPED"
    after = platform.status("california")  # one status call: ECS's scheduler does not wait either
    tasks = find_tasks(engine, "california")
    assert [t.slot for t in tasks] == [1, 2]
    new = tasks[1]
    assert tasks[0].id == survivor.id and new.id != dead.id  # the live task is left alone
    assert (new.az, new.spec) == (dead.az, dead.spec) == ("zone-b", survivor.spec)
    assert {role: c.image for role, c in new.members.items()} == {"app": "app:1", "nginx": "nginx:1"}
    assert all(c.status == "running" for c in new.containers) and len(new.containers) == 3
    assert [c.name for c in dead.containers if c.name in engine.by_name] == []  # the dead one is removed
    assert {t.id: (t.az, t.status, t.healthy) for t in after.tasks} == {
        survivor.id: ("zone-a", "RUNNING", True),
        new.id: ("zone-b", "RUNNING", True),
    }


def test_a_redeploy_without_change_keeps_a_replacement_task(aws: None, engine: FakeDocker) -> None:
    # The replacement carries the deploy's definition (its fingerprint), so the next deploy sees no change.
    platform = make_platform(engine)
    platform.deploy("california", timeout=60, progress=quiet)
    find_tasks(engine, "california")[1].holder.status = "exited"
    replaced = [t.id for t in platform.status("california").tasks]
    calls = len(engine.calls)
    status = platform.deploy("california", timeout=60, progress=quiet)
    assert [t.id for t in status.tasks] == replaced
    assert [c for c in engine.calls[calls:] if c[0] in ("create", "remove", "stop")] == []


def test_when_every_task_died_each_is_replaced_with_its_own_definition(aws: None, engine: FakeDocker) -> None:
    platform = make_platform(engine)
    platform.deploy("california", timeout=60, progress=quiet)
    dead = find_tasks(engine, "california")
    for task in dead:
        task.holder.status = "exited"
    after = platform.status("california")
    tasks = find_tasks(engine, "california")
    assert [(t.slot, t.az) for t in tasks] == [(1, "zone-a"), (2, "zone-b")]
    assert {t.id for t in tasks}.isdisjoint({t.id for t in dead})
    assert {t.spec for t in tasks} == {dead[0].spec}
    assert [(t.status, t.healthy) for t in after.tasks] == [("RUNNING", True), ("RUNNING", True)]


def test_a_restarting_member_is_left_to_dockers_restart_policy(aws: None, engine: FakeDocker) -> None:
    platform = make_platform(engine)
    platform.deploy("california", timeout=60, progress=quiet)
    before = find_tasks(engine, "california")
    before[0].members["app"].status = "restarting"  # the app crashed once; Docker brings it back
    assert before[0].status == "PENDING"
    after = platform.status("california")
    assert [t.id for t in after.tasks] == [t.id for t in before]
    assert [t.status for t in after.tasks] == ["PENDING", "RUNNING"]
    assert [c for c in engine.calls if c[0] in ("create", "remove", "stop")][-1][0] == "create"  # no new one


@dataclass
class LoggedHttp(FakeHttp):
    """The fake LB, and what each read of its stats page showed: (len(engine.calls) then, slot statuses)."""

    seen: list[tuple[int, dict[str, str]]] = field(default_factory=list)

    def stats_csv(self, running: dict[str, Any]) -> str:
        text = super().stats_csv(running)
        rows = [row.split(",") for row in text.splitlines() if row.startswith("tasks,task-")]
        self.seen.append((len(self.engine.calls), {row[1]: row[2] for row in rows}))
        return text


def test_a_rolling_redeploy_waits_for_each_new_task_to_be_healthy(aws: None, engine: FakeDocker) -> None:
    http = LoggedHttp(engine)
    make_platform(engine, http=http).deploy("california", timeout=60, progress=quiet)
    old = find_tasks(engine, "california")
    engine.image_tags.add("app:2")
    platform = make_platform(
        engine, http=http, images=Images(app="app:2", nginx="nginx:1", lb="lb:1", emulator="emulator:1")
    )
    # The new task of slot 1 boots slowly: its health checks fail until the fourth poll of the deploy.
    http.failing_slots = {1}
    turned_healthy: list[int] = []
    seen: list[str] = []
    sleep = platform.sleep

    def slow_boot(seconds: float) -> None:
        if len(platform.clock.sleeps) == 3:  # type: ignore[attr-defined]
            http.failing_slots.clear()
            turned_healthy.append(len(engine.calls))
            # Until then, slot 2's old task still serves: it was not touched.
            seen.extend(c.status for c in old[1].containers if c.name in engine.by_name)
        sleep(seconds)

    platform.sleep = slow_boot
    http.seen.clear()
    platform.deploy("california", timeout=60, progress=quiet)
    calls = engine.calls
    removed_old_1 = calls.index(("remove", old[0].members["app"].name))
    removed_old_2 = calls.index(("remove", old[1].members["app"].name))
    started_new_1 = next(i for i, c in enumerate(calls) if i > removed_old_1 and c[0] == "start")
    # The LB kept saying UP for slot 1 a moment after its old task went (its last check was good): the
    # deploy waited until it said otherwise before starting the new task, so no later UP is stale.
    assert http.seen[0][1]["task-1"] == "UP" and removed_old_1 <= http.seen[0][0] <= started_new_1
    assert any(removed_old_1 <= at <= started_new_1 and s["task-1"] != "UP" for at, s in http.seen)
    # Slot 2's old task went only once slot 1's new task passed its checks.
    assert seen == ["running"] * 3
    assert turned_healthy and started_new_1 < turned_healthy[0] < removed_old_2
    assert any(turned_healthy[0] <= at <= removed_old_2 and s["task-1"] == "UP" for at, s in http.seen)
    assert {t.members["app"].image for t in find_tasks(engine, "california")} == {"app:2"}


def test_a_member_in_an_old_namespace_makes_the_task_stopped(aws: None, engine: FakeDocker) -> None:
    make_platform(engine).deploy("california", timeout=60, progress=quiet)
    task = find_tasks(engine, "california")[0]
    task.holder.started_at = engine.tick()  # the holder restarted after its members joined it
    assert task.stale and task.status == "STOPPED"


def test_a_crashing_app_fails_the_deploy_at_once_with_its_output(aws: None, engine: FakeDocker) -> None:
    http = FakeHttp(engine, failing_slots={1, 2})
    platform = make_platform(engine, http=http)

    def crash_apps() -> None:
        for container in engine.by_name.values():
            if container.labels.get(spec.LABEL_ROLE) == "app":
                container.restart_count = 3
                container.status = "restarting"
                container.log_text = b"SettingsError: AWS_BUCKET: missing"

    clock = platform.clock
    sleeps = platform.sleep

    def sleep(seconds: float) -> None:
        crash_apps()
        sleeps(seconds)

    platform.sleep = sleep
    with pytest.raises(DeploymentFailed, match="AWS_BUCKET: missing"):
        platform.deploy("california", timeout=60, progress=quiet)
    assert clock() < 60  # failed fast, not at the deadline


def test_targets_that_never_turn_healthy_time_out_with_what_was_seen(aws: None, engine: FakeDocker) -> None:
    platform = make_platform(engine, http=FakeHttp(engine, failing_slots={2}))
    with pytest.raises(DeployTimeout) as failure:
        platform.deploy("california", timeout=30, progress=quiet)
    assert "RUNNING/healthy" in str(failure.value.last_state)  # slot 1 healthy, slot 2 not
    assert platform.clock() >= 30


def test_destroy_removes_exactly_that_states_objects(aws: None, engine: FakeDocker) -> None:
    make_platform(engine).deploy("california", timeout=60, progress=quiet)
    make_platform(engine).deploy("texas", timeout=60, progress=quiet)
    foreign = engine.containers.create("app:1", name="someone-elses", labels={"humangov.state": "california"})
    texas = objects_of(engine, "texas")

    make_platform(engine).destroy("california", timeout=60, progress=quiet)
    assert [n for n in objects_of(engine, "california") if n != "someone-elses"] == []
    assert "someone-elses" in engine.by_name and foreign.status == "created"  # not managed by humangov
    assert objects_of(engine, "texas") == texas
    status = make_platform(engine).status("california")
    assert not status.tasks and status.url is None and not status.table

    make_platform(engine).destroy("california", timeout=60, progress=quiet)  # idempotent


def test_destroy_after_a_half_finished_deploy(aws: None, engine: FakeDocker) -> None:
    engine.image_tags.discard("nginx:1")  # the deploy breaks after the first app container starts
    with pytest.raises(DeploymentFailed):
        make_platform(engine).deploy("california", timeout=60, progress=quiet)
    assert objects_of(engine, "california")
    make_platform(engine).destroy("california", timeout=60, progress=quiet)
    assert objects_of(engine, "california") == []


def test_data_clients_reach_the_emulators_published_port(aws: None, engine: FakeDocker) -> None:
    seen: list[str] = []
    platform = make_platform(engine, clients_factory=lambda url: seen.append(url) or AwsClients())
    with pytest.raises(ConfigError, match="deploy it first"):
        platform.data_clients("california")
    platform.deploy("california", timeout=60, progress=quiet)
    port = engine.by_name[spec.LocalNames("california").emulator].ports[f"{spec.EMULATOR_PORT}/tcp"]
    platform.data_clients("california")
    assert seen[-1] == f"http://127.0.0.1:{port}"


def test_real_clients_for_the_emulator_carry_local_credentials(engine: FakeDocker) -> None:
    platform = LocalPlatform(docker=engine)
    clients = platform._emulator_clients("http://127.0.0.1:1")
    assert clients.endpoint_url == "http://127.0.0.1:1"
    assert clients.session.get_credentials().access_key == spec.EMULATOR_ACCESS_KEY


def test_from_options_ignores_other_platforms_options(engine: FakeDocker) -> None:
    platform = get_platform(
        "local", docker=engine, region="us-west-2", data="terraform", wait="stable", state="texas", json=True
    )
    assert isinstance(platform, LocalPlatform)
    assert platform.region == "us-west-2" and platform.desired_count == 2
    with pytest.raises(ConfigError, match="both"):
        from_options(docker=engine, app_image="a:1")
    with pytest.raises(ConfigError, match="at least 1"):
        from_options(docker=engine, desired_count=0)


def test_an_unknown_state_is_refused_before_touching_docker(engine: FakeDocker) -> None:
    with pytest.raises(ConfigError, match="unknown state"):
        make_platform(engine).deploy("atlantis", timeout=5, progress=quiet)
    assert engine.calls == []


def test_sweep_removes_only_states_older_than_the_threshold(aws: None, engine: FakeDocker) -> None:
    make_platform(engine, now=lambda: datetime(2026, 11, 26, 12, 0, tzinfo=UTC), run_id="old").deploy(
        "california", timeout=60, progress=quiet
    )
    make_platform(engine, run_id="new").deploy("texas", timeout=60, progress=quiet)  # created 17:00
    texas = objects_of(engine, "texas")
    later = make_platform(engine, now=lambda: datetime(2026, 11, 26, 17, 30, tzinfo=UTC))

    dry = later.sweep(older_than=2 * 3600, dry_run=True, timeout=60, progress=quiet)
    assert dry.removed_states == ["california"] and "texas" in dry.skipped
    assert objects_of(engine, "california")  # a dry run removes nothing
    assert {f.state for f in dry.found} == {"california", "texas"}

    done = later.sweep(older_than=2 * 3600, dry_run=False, timeout=60, progress=quiet)
    assert done.removed_states == ["california"]
    assert objects_of(engine, "california") == [] and objects_of(engine, "texas") == texas
    assert "removed state california" in done.lines()
    by_run = later.sweep(older_than=0, dry_run=True, timeout=60, run_id="new", progress=quiet)
    assert by_run.removed_states == ["texas"]


def test_a_load_balancer_that_keeps_exiting_fails_the_deploy(aws: None, engine: FakeDocker) -> None:
    platform = make_platform(engine, http=FakeHttp(engine, failing_slots={1, 2}))
    sleeps = platform.sleep

    def sleep(seconds: float) -> None:
        lb = engine.by_name[spec.LocalNames("california").lb]
        lb.restart_count, lb.status, lb.log_text = 2, "restarting", b"[ALERT] config: parsing error"
        sleeps(seconds)

    platform.sleep = sleep
    with pytest.raises(DeploymentFailed, match=r"(?s)load balancer keeps exiting.*parsing error"):
        platform.deploy("california", timeout=60, progress=quiet)
