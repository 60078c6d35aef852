"""The baseline: the state's own task definition, served as the seed served it (one sync gunicorn worker).

Fair by construction: the same images, environment, emulator (so the same table and bucket), the same
number of tasks, each task the same holder + app + nginx shape, behind the same HAProxy configuration
as the state's load balancer; only gunicorn's settings differ. gunicorn gives GUNICORN_CMD_ARGS
precedence over its config file (https://gunicorn.org/configure, "Configuration Overview"), so the
image's gunicorn.conf.py is overridden, not edited. `--threads 1` matters: gunicorn turns a sync worker
with threads > 1 into gthread, and the config file sets 4 threads.

The baseline lives beside the state as a stack of its own, built with the local platform's public
pieces (start_task, ensure_lb, destroy_state): Docker objects named `humangov-<state>-baseline-...`,
labelled with the pseudo-state `<state>-baseline` (so the state's own status, scheduler and destroy never
see it) and with the state's run id (so `humangov sweep` and the live suite's leftover check do). Its
tasks join the state's data network to reach the state's emulator; nothing of the state is changed.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import requests

from humangov_deploy.errors import ConfigError, DeploymentFailed
from humangov_deploy.naming import format_time
from humangov_deploy.platforms.local import engine as dock
from humangov_deploy.platforms.local import spec
from humangov_deploy.platforms.local import tasks as tasks_mod
from humangov_deploy.platforms.local.lb import ensure_lb, find_lb, lb_health
from humangov_deploy.platforms.local.teardown import destroy_state
from humangov_deploy.waits import Clock, Deadline, Poll, Sleep, poll_until

Progress = Callable[[str], None]
# The seed's configuration: one process, one request at a time.
BASELINE_GUNICORN_ARGS = "--workers 1 --worker-class sync --threads 1"
BASELINE_CONFIG = "gunicorn 1 sync worker (the seed's)"
OURS_CONFIG = "gunicorn as configured in the image (containers/app/gunicorn.conf.py)"
# gunicorn's arbiter logs the worker class it uses at start: proof the override took.
SYNC_WORKER_LOG = "Using worker: sync"
SUFFIX = "baseline"


def baseline_state(state: str) -> str:
    """The pseudo-state labelling the baseline's objects: never a US state slug, so never a real state."""
    return f"{state}-{SUFFIX}"


@dataclass(frozen=True)
class BaselineNames(spec.LocalNames):
    """The baseline's Docker names: its own zone networks and LB, the state's data network."""

    of: str = ""

    @property
    def data_network(self) -> str:
        return spec.LocalNames(self.of).data_network


def names_for(state: str) -> BaselineNames:
    return BaselineNames(baseline_state(state), of=state)


@dataclass(frozen=True)
class Baseline:
    state: str
    url: str
    tasks: int


def _stack_run_id(client: Any, state: str) -> str:
    for network in dock.list_networks(client, state):
        if network.name == spec.LocalNames(state).data_network:
            return dock.labels_of(network).get(spec.LABEL_RUN_ID, "")
    raise ConfigError(f"{state} has no data network on the local platform; deploy it first")


def baseline_definition(client: Any, state: str) -> tuple[tasks_mod.TaskDefinition, int]:
    """The state's running task definition with the seed's gunicorn settings, and its task count."""
    found = tasks_mod.find_tasks(client, state)
    running = [t for t in found if t.status == "RUNNING"]
    emulators = dock.list_containers(client, state, **{spec.LABEL_ROLE: "emulator"})
    emulator = str((emulators[0].attrs.get("Config") or {}).get("Image") or "") if emulators else ""
    definition = next((d for d in (tasks_mod.definition_of(t, emulator) for t in running) if d), None)
    if definition is None:
        raise ConfigError(f"{state} has no running task to copy the baseline's definition from")
    environment = {**definition.environment, "GUNICORN_CMD_ARGS": BASELINE_GUNICORN_ARGS}
    return dataclasses.replace(definition, environment=environment), len(running)


def start(
    client: Any,
    http: requests.Session,
    state: str,
    *,
    deadline: Deadline,
    progress: Progress,
    poll_interval: float = 0.5,
    clock: Clock = time.monotonic,
    sleep: Sleep = time.sleep,
) -> Baseline:
    """Start the baseline stack and wait until each task is healthy and runs a sync worker."""
    names = names_for(state)
    if dock.list_containers(client, names.state) or dock.list_networks(client, names.state):
        progress(f"removing a baseline left by an earlier run ({names.prefix}-...)")
        remove(client, state, deadline=deadline, progress=progress)
    definition, count = baseline_definition(client, state)
    labels = spec.base_labels(
        names.state, _stack_run_id(client, state), format_time(datetime.now(UTC)), role="baseline"
    )
    progress(f"starting the baseline: {count} task(s), {BASELINE_CONFIG}, behind its own load balancer")
    for zone in spec.ZONES:
        dock.ensure_network(
            client, names.zone_network(zone), {**labels, spec.LABEL_ROLE: "network", spec.LABEL_AZ: zone}
        )
    ensure_lb(client, names, definition.images.lb, labels, count, lambda _m: None)
    for slot in range(1, count + 1):
        tasks_mod.start_task(client, names=names, slot=slot, definition=definition, labels=labels)
    poll_until(
        lambda: _ready(client, http, names.state, count),
        timeout=deadline,
        interval=poll_interval,
        what="the baseline's tasks to turn healthy with a sync worker",
        hint=f"see `docker logs` of the {names.prefix}-task-* containers",
        clock=clock,
        sleep=sleep,
    )
    lb = find_lb(client, names.state)
    port = dock.host_port(lb, spec.LB_PORT) if lb is not None else None
    if port is None:
        raise DeploymentFailed(f"the baseline's load balancer {names.lb} has no published port")
    return Baseline(state=names.state, url=f"http://127.0.0.1:{port}", tasks=count)


def _ready(client: Any, http: requests.Session, pseudo: str, count: int) -> Poll[str]:
    found = tasks_mod.find_tasks(client, pseudo)
    health = lb_health(client, http, pseudo)
    infos = [t.info(health) for t in found]
    sync = [_runs_sync_worker(t) for t in found]
    summary = ", ".join(
        f"{i.id}:{i.status}{'/healthy' if i.healthy else ''}{'/sync' if s else ''}"
        for i, s in zip(infos, sync, strict=True)
    )
    done = len(infos) == count and all(i.healthy for i in infos) and all(sync)
    return Poll(done, summary or "no tasks", tasks_mod.fatal_reason(found))


def _runs_sync_worker(task: tasks_mod.Task) -> bool:
    app = task.members.get("app")
    if app is None:
        return False
    try:
        return SYNC_WORKER_LOG in app.logs().decode(errors="replace")
    except Exception:  # a container still starting has no logs yet: not ready
        return False


def remove(client: Any, state: str, *, deadline: Deadline, progress: Progress) -> None:
    """Remove every object of the state's baseline (and only those): its tasks, LB and zone networks."""
    destroy_state(client, baseline_state(state), deadline=deadline, progress=progress)
