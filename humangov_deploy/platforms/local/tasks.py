"""A state's tasks on Docker: what a task is, how it starts, how it stops, how one that died is replaced.

A task is three containers sharing one network namespace, as on Fargate (whose agent adds its own
"pause" container the same way): the task container holds the namespace (on its zone's network, and the
data network) and forwards the AWS endpoint; the app and nginx join it with `network_mode=container:`.
The holder never restarts on its own, so app and nginx can: Docker's restart policy brings back a crashed
app or nginx inside the same namespace. A task whose holder stopped, or that was stopped on purpose, is
replaced by a new task in the same slot (and zone) by `replace_stopped`, as ECS's service scheduler does.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from humangov_deploy.build import images
from humangov_deploy.platforms.base import TaskInfo
from humangov_deploy.platforms.local import engine as dock
from humangov_deploy.platforms.local import spec

Progress = Callable[[str], None]
SIDECAR_CONFIG_PATH = "/usr/local/etc/haproxy/sidecar.cfg"
RESTART = {"Name": "unless-stopped"}
# As ECS's stopTimeout in the task definition: the stop signal, then SIGKILL after this long; gunicorn's
# graceful timeout and nginx's SIGQUIT finish in-flight requests within it.
STOP_TIMEOUT = images.STOP_TIMEOUT_SECONDS
MEMBERS = ("app", "nginx")


@dataclass(frozen=True)
class Images:
    app: str
    nginx: str
    lb: str
    emulator: str


@dataclass(frozen=True)
class TaskDefinition:
    """What every task of a state runs: the images and the app's environment (like an ECS revision)."""

    images: Images
    environment: dict[str, str]
    emulator_port: int
    emulator_host: str

    @property
    def fingerprint(self) -> str:
        return spec.fingerprint(self.images, self.environment, self.emulator_port, self.emulator_host)


@dataclass
class Task:
    """One task's containers as found on the engine (any may be missing after a crash or a hand edit)."""

    id: str
    slot: int
    az: str
    spec: str
    holder: Any = None
    members: dict[str, Any] = field(default_factory=dict)

    @property
    def containers(self) -> list[Any]:
        return [c for c in (self.holder, *self.members.values()) if c is not None]

    @property
    def status(self) -> str:
        """ECS's lastStatus vocabulary: RUNNING only when all three containers run in one namespace."""
        states = [self.holder.status if self.holder else "missing"]
        states += [self.members[m].status if m in self.members else "missing" for m in MEMBERS]
        if all(s == "running" for s in states) and not self.stale:
            return "RUNNING"
        if any(s in ("removing",) for s in states):
            return "DEPROVISIONING"
        if "missing" in states or any(s in ("exited", "dead") for s in states) or self.stale:
            return "STOPPED"
        return "PENDING"  # created, restarting, paused

    @property
    def stale(self) -> bool:
        """App or nginx still live in a namespace the holder no longer has (the holder was restarted)."""
        if self.holder is None or self.holder.status != "running":
            return False
        holder_started = _started_at(self.holder)
        return any(
            _started_at(member) < holder_started
            for member in self.members.values()
            if member.status == "running"
        )

    def info(self, healthy: dict[str, bool]) -> TaskInfo:
        status = self.status
        ok = status == "RUNNING" and healthy.get(spec.slot_alias(self.slot), False)
        return TaskInfo(id=self.id, az=self.az, status=status, healthy=ok)


def _started_at(container: Any) -> str:
    # RFC 3339 with nanoseconds, all in UTC from one daemon: string order is time order.
    return str(((container.attrs or {}).get("State") or {}).get("StartedAt") or "")


def find_tasks(client: Any, state: str) -> list[Task]:
    """Every task of the state, sorted by slot, from the labels of its containers."""
    tasks: dict[str, Task] = {}
    for container in dock.list_containers(client, state):
        labels = dock.labels_of(container)
        role, task_id = labels.get(spec.LABEL_ROLE), labels.get(spec.LABEL_TASK)
        if not task_id or role not in ("task", *MEMBERS):
            continue
        task = tasks.setdefault(
            task_id,
            Task(
                id=task_id,
                slot=int(labels.get(spec.LABEL_SLOT) or 0),
                az=labels.get(spec.LABEL_AZ, ""),
                spec=labels.get(spec.LABEL_SPEC, ""),
            ),
        )
        if role == "task":
            task.holder = container
        else:
            task.members[role] = container
    return sorted(tasks.values(), key=lambda t: (t.slot, t.id))


def start_task(
    client: Any,
    *,
    names: spec.LocalNames,
    slot: int,
    definition: TaskDefinition,
    labels: dict[str, str],
) -> Task:
    """Start a new task in `slot`: holder first (namespace, networks, AWS forwarder), then app and nginx."""
    task_id = secrets.token_hex(6)
    zone = spec.zone_of_slot(slot)
    task_labels = {
        **labels,
        spec.LABEL_TASK: task_id,
        spec.LABEL_SLOT: str(slot),
        spec.LABEL_AZ: zone,
        spec.LABEL_SPEC: definition.fingerprint,
    }
    holder = dock.run_container(
        client,
        name=names.task(task_id),
        image=definition.images.lb,
        labels={**task_labels, spec.LABEL_ROLE: "task"},
        network=names.zone_network(zone),
        aliases=[spec.slot_alias(slot)],
        extra_networks=[names.data_network],
        files={SIDECAR_CONFIG_PATH: spec.sidecar_config(definition.emulator_port, definition.emulator_host)},
        command=["-W", "-db", "-f", SIDECAR_CONFIG_PATH],
        hostname=f"task-{task_id}",
        # No restart policy: if the namespace goes, the task goes, and a new task replaces it.
    )
    task = Task(id=task_id, slot=slot, az=zone, spec=definition.fingerprint, holder=holder)
    shared: dict[str, Any] = {"network_mode": f"container:{holder.id}", "restart_policy": RESTART}
    task.members["app"] = dock.run_container(
        client,
        name=names.task_container(task_id, "app"),
        image=definition.images.app,
        labels={**task_labels, spec.LABEL_ROLE: "app"},
        environment=definition.environment,
        **shared,
    )
    task.members["nginx"] = dock.run_container(
        client,
        name=names.task_container(task_id, "nginx"),
        image=definition.images.nginx,
        labels={**task_labels, spec.LABEL_ROLE: "nginx"},
        environment=spec.nginx_environment(),
        **shared,
    )
    return task


def stop_task(task: Task, *, timeout: int = STOP_TIMEOUT) -> None:
    """Stop and remove the task: nginx first (the LB sees connection refused and retries elsewhere)."""
    for container in (task.members.get("nginx"), task.members.get("app"), task.holder):
        if container is not None:
            dock.remove_container(container, timeout=timeout)


def definition_of(task: Task, emulator_image: str = "") -> TaskDefinition | None:
    """The definition a running task was started with, read back from its containers (for a replacement).

    No task container runs the emulator's image, yet it is part of the definition's fingerprint (which a
    deploy compares): the caller passes it, read from the state's emulator.
    """
    app, nginx, holder = task.members.get("app"), task.members.get("nginx"), task.holder
    if app is None or nginx is None or holder is None:
        return None
    environment = dict(
        item.split("=", 1) for item in (app.attrs.get("Config") or {}).get("Env") or [] if "=" in item
    )
    keep = set(spec.app_environment(state="", region="", table="", bucket="", endpoint_url="", secret_key=""))
    environment = {k: v for k, v in environment.items() if k in keep}
    endpoint = environment.get("AWS_ENDPOINT_URL", "")
    port = int(endpoint.rsplit(":", 1)[-1]) if endpoint.rsplit(":", 1)[-1].isdigit() else 0
    emulator_host = spec.LocalNames(environment.get("US_STATE", "")).emulator
    images = Images(
        app=str((app.attrs.get("Config") or {}).get("Image")),
        nginx=str((nginx.attrs.get("Config") or {}).get("Image")),
        lb=str((holder.attrs.get("Config") or {}).get("Image")),
        emulator=emulator_image,
    )
    return TaskDefinition(images, environment, port, emulator_host)


def replace_stopped(
    client: Any, state: str, *, labels: dict[str, str], progress: Progress, desired: int | None = None
) -> list[str]:
    """Replace every STOPPED task by a new one in its slot, with the same definition (the scheduler's job).

    A task that is PENDING (restarting under the restart policy, or being created) is left alone. Slots
    with no task at all (up to `desired`) get one too, defined like a surviving task. Returns new task ids.
    """
    tasks = find_tasks(client, state)
    emulators = dock.list_containers(client, state, **{spec.LABEL_ROLE: "emulator"})
    # Without it the replacement's fingerprint differs, and the next deploy replaces the task again.
    emulator = str((emulators[0].attrs.get("Config") or {}).get("Image") or "") if emulators else ""
    running = (definition_of(t, emulator) for t in tasks if t.status == "RUNNING")
    definition = next((d for d in running if d), None)
    names = spec.LocalNames(state)
    started: list[str] = []
    for task in tasks:
        if task.status != "STOPPED":
            continue
        task_definition = definition or definition_of(task, emulator)
        progress(f"task {task.id} in {task.az} stopped: replacing it")
        stop_task(task, timeout=2)
        if task_definition is not None:
            started.append(
                start_task(client, names=names, slot=task.slot, definition=task_definition, labels=labels).id
            )
    if desired and definition is not None:
        used = {t.slot for t in tasks}
        for slot in range(1, desired + 1):
            if slot not in used:
                progress(f"slot {slot} has no task: starting one")
                started.append(
                    start_task(client, names=names, slot=slot, definition=definition, labels=labels).id
                )
    return started


def fatal_reason(found: list[Task]) -> str | None:
    """A task whose app or nginx keeps crashing fails the deploy at once, with the container's last words."""
    for task in found:
        for role, container in task.members.items():
            reason = crashing(f"the {role} of task {task.id}", container)
            if reason:
                return reason
    return None


def crashing(what: str, container: Any | None) -> str | None:
    if container is None:
        return None
    restarts = int((container.attrs or {}).get("RestartCount") or 0)
    if restarts < 2 and not (container.status == "exited" and restarts >= 1):
        return None
    try:
        tail = container.logs(tail=15).decode(errors="replace").strip()
    except Exception:  # logs are a courtesy: the reason stands without them
        tail = "(no logs)"
    tail = tail or "(it printed nothing)"
    return f"{what} keeps exiting ({restarts} restarts); its last output:\n{tail}"
