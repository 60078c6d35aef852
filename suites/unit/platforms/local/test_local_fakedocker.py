"""A small in-memory Docker engine for the local platform's unit tests, and the tests of the fake itself.

It models what the platform relies on: label filters, names, networks with aliases, `container:` network
modes, published ports, put_archive, start/stop/remove, restart counts; and an HTTP fake that answers the
emulator's probe and HAProxy's stats CSV from the engine's state (a slot is UP when its task runs).
"""

from __future__ import annotations

import io
import itertools
import tarfile
from dataclasses import dataclass, field
from typing import Any

import pytest
from docker.errors import APIError, ImageNotFound, NotFound

from humangov_deploy.platforms.local import spec


class FakeContainer:
    def __init__(self, engine: FakeDocker, name: str, image: str, labels: dict[str, str], **options: Any):
        self.engine = engine
        self.id = f"{next(engine.ids):064x}"
        self.name = name
        self.image = image
        self.labels = labels
        self.options = options
        self.status = "created"
        self.networks: dict[str, list[str]] = {}
        self.files: dict[str, str] = {}
        self.ports: dict[str, int] = {}
        self.restart_count = 0
        self.started_at = ""
        self.log_text = b""

    @property
    def attrs(self) -> dict[str, Any]:
        env = [f"{k}={v}" for k, v in (self.options.get("environment") or {}).items()]
        return {
            "Config": {"Labels": dict(self.labels), "Image": self.image, "Env": env},
            "State": {"StartedAt": self.started_at},
            "RestartCount": self.restart_count,
            "NetworkSettings": {
                "Ports": {
                    port: [{"HostIp": "127.0.0.1", "HostPort": str(hp)}] for port, hp in self.ports.items()
                }
            },
        }

    def reload(self) -> None:
        if self.name not in self.engine.by_name:
            raise NotFound(f"no container {self.name}")

    def start(self) -> None:
        self.engine.calls.append(("start", self.name))
        mode = self.options.get("network_mode") or ""
        if mode.startswith("container:"):
            owner = self.engine.by_id(mode.removeprefix("container:"))
            if owner is None or owner.status != "running":
                raise APIError("cannot join the network namespace of a container that is not running")
        self.status = "running"
        self.started_at = self.engine.tick()
        for port, binding in (self.options.get("ports") or {}).items():
            self.ports[port] = binding[1] or next(self.engine.host_ports)

    def stop(self, timeout: int = 10) -> None:
        self.engine.calls.append(("stop", self.name, timeout))
        self.status = "exited"

    def remove(self, force: bool = False, v: bool = False) -> None:
        self.engine.calls.append(("remove", self.name))
        if self.engine.by_name.pop(self.name, None) is None:
            raise NotFound(f"no container {self.name}")

    def put_archive(self, path: str, data: bytes) -> bool:
        with tarfile.open(fileobj=io.BytesIO(data)) as archive:
            for member in archive.getmembers():
                extracted = archive.extractfile(member)
                assert extracted is not None
                self.files["/" + member.name.lstrip("/")] = extracted.read().decode()
        return True

    def logs(self, tail: int = 10) -> bytes:
        return self.log_text


class FakeNetwork:
    def __init__(self, engine: FakeDocker, name: str, labels: dict[str, str]):
        self.engine, self.name = engine, name
        self.id = f"net-{name}"
        self.attrs = {"Name": name, "Labels": dict(labels)}

    def connect(self, container: FakeContainer | str, aliases: list[str] | None = None) -> None:
        target = container if isinstance(container, FakeContainer) else self.engine.by_name[container]
        target.networks[self.name] = list(aliases or [])

    def remove(self) -> None:
        if any(self.name in c.networks for c in self.engine.by_name.values()):
            raise APIError(f"network {self.name} has active endpoints")
        self.engine.calls.append(("remove-network", self.name))
        if self.engine.nets.pop(self.name, None) is None:
            raise NotFound(self.name)


def _matches(labels: dict[str, str], filters: dict[str, list[str]] | None) -> bool:
    for wanted in (filters or {}).get("label", []):
        key, equals, value = wanted.partition("=")
        # Docker's `label=key` asks only that the label exists; `label=key=value`, that it has the value.
        if (labels.get(key) != value) if equals else (key not in labels):
            return False
    return True


class _Containers:
    def __init__(self, engine: FakeDocker):
        self.engine = engine

    def list(self, all: bool = False, filters: dict[str, list[str]] | None = None) -> list[FakeContainer]:
        found = [c for c in self.engine.by_name.values() if _matches(c.labels, filters)]
        return [c for c in found if all or c.status == "running"]

    def create(
        self, image: str, name: str, labels: dict[str, str], network: str | None = None, **options: Any
    ):
        if name in self.engine.by_name:
            raise APIError(f"Conflict: the container name {name} is already in use")
        self.engine.images.get(image)
        container = FakeContainer(self.engine, name, image, labels, **options)
        if network:
            aliases = (options.get("networking_config") or {}).get(network, {}).get("Aliases", [])
            self.engine.nets[network].connect(container, aliases=aliases)
        self.engine.by_name[name] = container
        self.engine.calls.append(("create", name))
        return container

    def get(self, name: str) -> FakeContainer:
        if name not in self.engine.by_name:
            raise NotFound(name)
        return self.engine.by_name[name]


class _Networks:
    def __init__(self, engine: FakeDocker):
        self.engine = engine

    def list(self, names: list[str] | None = None, filters: dict[str, list[str]] | None = None):
        return [
            n
            for n in self.engine.nets.values()
            if (names is None or n.name in names) and _matches(n.attrs["Labels"], filters)
        ]

    def create(self, name: str, driver: str = "bridge", labels: dict[str, str] | None = None, **_: Any):
        if name in self.engine.nets:
            raise APIError(f"network with name {name} already exists")
        network = FakeNetwork(self.engine, name, labels or {})
        self.engine.nets[name] = network
        self.engine.calls.append(("create-network", name))
        return network

    def get(self, name: str) -> FakeNetwork:
        if name not in self.engine.nets:
            raise NotFound(name)
        return self.engine.nets[name]


class _Images:
    def __init__(self, engine: FakeDocker):
        self.engine = engine

    def get(self, tag: str) -> Any:
        if tag not in self.engine.image_tags:
            raise ImageNotFound(tag)
        return type("Image", (), {"id": f"sha256:{abs(hash(tag)):x}", "tags": [tag]})()


class _Volumes:
    def __init__(self, engine: FakeDocker):
        self.engine = engine

    def list(self, filters: dict[str, list[str]] | None = None) -> list[Any]:
        return [v for v in self.engine.volume_list if _matches(v.attrs["Labels"], filters)]

    def create(self, name: str, labels: dict[str, str] | None = None, **_: Any) -> FakeVolume:
        # Like Docker, creating a volume whose name exists returns the existing one, unchanged.
        existing = next((v for v in self.engine.volume_list if v.name == name), None)
        if existing is not None:
            return existing
        volume = FakeVolume(self.engine, name, {"Name": name, "Labels": dict(labels or {})})
        self.engine.volume_list.append(volume)
        self.engine.calls.append(("create-volume", name))
        return volume


@dataclass(eq=False)
class FakeVolume:
    engine: FakeDocker
    name: str
    attrs: dict[str, Any]

    def remove(self, force: bool = False) -> None:
        if self not in self.engine.volume_list:
            raise NotFound(self.name)
        self.engine.volume_list.remove(self)
        self.engine.calls.append(("remove-volume", self.name))


class _Api:
    def create_endpoint_config(self, aliases: list[str] | None = None) -> dict[str, Any]:
        return {"Aliases": list(aliases or [])}


class FakeDocker:
    def __init__(self, images: tuple[str, ...] = ("app:1", "nginx:1", "lb:1", "emulator:1")):
        self.ids = itertools.count(1)
        self.host_ports = itertools.count(40000)
        self.clock = itertools.count(1)
        self.by_name: dict[str, FakeContainer] = {}
        self.nets: dict[str, FakeNetwork] = {}
        self.volume_list: list[Any] = []
        self.image_tags = set(images)
        self.calls: list[tuple[Any, ...]] = []
        # The SDK's collections, by the names the platform uses.
        self.containers = _Containers(self)
        self.networks = _Networks(self)
        self.images = _Images(self)
        self.volumes = _Volumes(self)
        self.api = _Api()

    def tick(self) -> str:
        return f"2026-11-26T17:00:{next(self.clock):02d}.000000000Z"

    def by_id(self, ident: str) -> FakeContainer | None:
        return next((c for c in self.by_name.values() if c.id == ident or c.name == ident), None)


@dataclass
class FakeResponse:
    status_code: int
    text: str = ""


FALL = 2  # local_spec's `fall 2`; `rise 1`: one good check brings a server back


def after_check(status: str, failed: int, passing: bool) -> tuple[str, int]:
    """A server's (status, consecutive failed checks) after one more check, as HAProxy counts them.

    "A server will be considered as dead after <fall> consecutive unsuccessful health checks", and back
    after <rise> good ones (HAProxy's configuration manual, server options `fall` and `rise`); meanwhile
    the stats page shows it as "UP 1/2" (going down).
    """
    if passing:
        return "UP", 0
    failed += 1
    if status.startswith("UP") and failed < FALL:
        return f"UP {failed}/{FALL}", failed
    return "DOWN", failed


@dataclass
class FakeHttp:
    """Answers the emulator's probe and the LB's stats page from the fake engine's state.

    The stats page lags the engine as HAProxy's does: it shows what the servers' last checks found, and
    a change on the engine (a task stopped, a new one up) shows only after the next check. Here every
    read of the page is followed by one check of each server (the platform polls about once per `inter`).
    So a task just stopped still reads UP once, then "UP 1/2", then DOWN.
    """

    engine: FakeDocker
    # Slots whose health check fails although their task runs (a broken app).
    failing_slots: set[int] = field(default_factory=set)
    requests: list[str] = field(default_factory=list)
    # (LB container id, server) -> (status, consecutive failed checks): a new LB starts with its servers
    # DOWN until a first good check.
    servers: dict[tuple[str, str], tuple[str, int]] = field(default_factory=dict)

    def get(self, url: str, timeout: float = 0) -> FakeResponse:
        self.requests.append(url)
        running = {c.name: c for c in self.engine.by_name.values() if c.status == "running"}
        if url.endswith("/moto-api/"):
            emulator = next(
                (c for c in running.values() if c.labels.get(spec.LABEL_ROLE) == "emulator"), None
            )
            return FakeResponse(200 if emulator else 503)
        if url.endswith(f"{spec.STATS_PATH};csv"):
            return FakeResponse(200, self.stats_csv(running))
        raise AssertionError(f"unexpected GET {url}")

    def stats_csv(self, running: dict[str, FakeContainer]) -> str:
        rows = ["# pxname,svname,status,check_status"]
        lb = next((c for c in running.values() if c.labels.get(spec.LABEL_ROLE) == "lb"), None)
        config = lb.files.get(spec.LB_CONFIG_PATH, "") if lb else ""
        for line in config.splitlines():
            words = line.split()
            if words[:1] != ["server"]:
                continue
            alias = words[1]
            slot = int(alias.removeprefix("task-"))
            holders = [
                c
                for c in running.values()
                if c.labels.get(spec.LABEL_ROLE) == "task"
                # An alias is per network: another state's task-1 is not on this LB's networks.
                and any(alias in aliases for net, aliases in c.networks.items() if lb and net in lb.networks)
            ]
            passing = False
            for holder in holders:
                task = holder.labels[spec.LABEL_TASK]
                members = [c for c in running.values() if c.labels.get(spec.LABEL_TASK) == task]
                passing = passing or (len(members) == 3 and slot not in self.failing_slots)
            key = (lb.id if lb else "", alias)
            status, failed = self.servers.get(key, ("DOWN", FALL))
            rows.append(f"tasks,{alias},{status},{'L4CON' if failed else 'L7OK'}")
            self.servers[key] = after_check(status, failed, passing)  # seen at the next read
        rows.append("tasks,BACKEND,UP,")
        return "\n".join(rows) + "\n"


# --- tests of the fake: the platform's tests are only as good as it is ---------------------------------


def test_label_filters_select_only_matching_objects() -> None:
    engine = FakeDocker()
    engine.nets["n"] = FakeNetwork(engine, "n", {})
    a = engine.containers.create("app:1", name="a", labels={"x": "1", "y": "2"})
    engine.containers.create("app:1", name="b", labels={"x": "1", "y": "3"})
    assert engine.containers.list(all=True, filters={"label": ["x=1", "y=2"]}) == [a]
    assert engine.containers.list(filters={"label": ["x=1"]}) == []  # none running
    assert engine.containers.list(all=True, filters={"label": ["y"]}) == engine.containers.list(all=True)
    assert engine.containers.list(all=True, filters={"label": ["z"]}) == []


def test_joining_a_namespace_needs_its_owner_running() -> None:
    engine = FakeDocker()
    owner = engine.containers.create("lb:1", name="owner", labels={})
    member = engine.containers.create("app:1", name="member", labels={}, network_mode=f"container:{owner.id}")
    with pytest.raises(APIError):
        member.start()
    owner.start()
    member.start()
    assert member.status == "running"


def test_missing_image_and_duplicate_name_fail_like_docker() -> None:
    engine = FakeDocker()
    with pytest.raises(ImageNotFound):
        engine.containers.create("nope:1", name="x", labels={})
    engine.containers.create("app:1", name="x", labels={})
    with pytest.raises(APIError):
        engine.containers.create("app:1", name="x", labels={})


def test_the_fake_lb_takes_a_server_out_after_two_failed_checks_and_back_after_one_good_one() -> None:
    status, failed = "UP", 0
    seen = []
    for passing in (False, False, False, True, False):
        status, failed = after_check(status, failed, passing)
        seen.append(status)
    assert seen == ["UP 1/2", "DOWN", "DOWN", "UP", "UP 1/2"]
    assert spec.parse_stats_csv("# pxname,svname,status\ntasks,task-1,UP 1/2\n")["task-1"].healthy is False
