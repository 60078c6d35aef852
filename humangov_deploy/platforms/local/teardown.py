"""Removing a state from the local platform, and sweeping leftovers of runs that never cleaned up.

Everything is found by label (`humangov.state`, `humangov.managed-by`), never by name pattern, so a
container that merely looks like ours is never touched, and another state's objects never are.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from humangov_deploy.errors import DeploymentFailed
from humangov_deploy.naming import parse_time
from humangov_deploy.platforms.base import Leftover, SweepReport
from humangov_deploy.platforms.local import engine as dock
from humangov_deploy.platforms.local import spec
from humangov_deploy.platforms.local.tasks import STOP_TIMEOUT
from humangov_deploy.waits import Deadline

Progress = Callable[[str], None]


def destroy_state(client: Any, state: str, *, deadline: Deadline, progress: Progress) -> None:
    """Remove every container, network and volume labelled with the state; nothing else."""
    containers = dock.list_containers(client, state)
    if containers:
        progress(f"removing {len(containers)} container(s) of {state}")
        stop = max(1, min(STOP_TIMEOUT, int(deadline.remaining() / 2)))
        # In parallel: each stop waits on its process's graceful shutdown, and they do not depend on
        # each other once nothing routes to the tasks (the LB goes in the same sweep).
        with ThreadPoolExecutor(max_workers=8) as pool:
            for future in [pool.submit(dock.remove_container, c, timeout=stop) for c in containers]:
                future.result()
    for network in dock.list_networks(client, state):
        progress(f"removing network {network.name}")
        dock.remove_network(network)
    for volume in dock.list_volumes(client, state):
        progress(f"removing volume {volume.name}")
        dock.remove_volume(volume)
    left = [c.name for c in dock.list_containers(client, state)]
    left += [n.name for n in dock.list_networks(client, state)]
    if left:
        raise DeploymentFailed(f"{state} still has {', '.join(left)} after destroy")
    progress(f"{state} removed from the local platform")


def find_leftovers(client: Any) -> list[Leftover]:
    """Every object humangov made on this engine, of any state."""
    managed = {"label": [f"{spec.LABEL_MANAGED_BY}={spec.MANAGED_BY}"]}
    found: list[Leftover] = []
    sources = (
        ("container", client.containers.list(all=True, filters=managed)),
        ("network", client.networks.list(filters=managed)),
        ("volume", client.volumes.list(filters=managed)),
    )
    for kind, objects in sources:
        for obj in objects:
            labels = dock.labels_of(obj)
            found.append(
                Leftover(
                    state=labels.get(spec.LABEL_STATE, "?"),
                    kind=kind,
                    id=str(obj.name),
                    created=parse_time(labels.get(spec.LABEL_CREATED_AT)),
                    run_id=labels.get(spec.LABEL_RUN_ID),
                )
            )
    return sorted(found, key=lambda f: (f.state, f.kind, f.id))


def sweep(
    client: Any,
    *,
    now: datetime,
    older_than: float,
    dry_run: bool,
    timeout: float,
    clock: Callable[[], float],
    run_id: str | None = None,
    states: list[str] | None = None,
    progress: Progress,
) -> SweepReport:
    """Destroy every state whose objects are all older than `older_than` seconds (or of `run_id`).

    A state with a younger object is kept (someone may be deploying it now), and so is one with no
    creation time on any object.
    """
    report = SweepReport(
        older_than=older_than, dry_run=dry_run, noun="labelled Docker object(s)", found=find_leftovers(client)
    )
    by_state: dict[str, list[Leftover]] = {}
    for leftover in report.found:
        by_state.setdefault(leftover.state, []).append(leftover)
    for state, leftovers in sorted(by_state.items()):
        if states is not None and state not in states:
            continue
        if run_id is not None and not any(f.run_id == run_id for f in leftovers):
            continue
        ages = [(now - f.created).total_seconds() for f in leftovers if f.created]
        if not ages:
            report.skipped[state] = "no creation time on any of its objects"
            continue
        if min(ages) < older_than:
            report.skipped[state] = f"its newest object is only {int(min(ages))}s old"
            continue
        report.removed_states.append(state)
        if not dry_run:
            progress(f"sweeping {state}")
            destroy_state(client, state, deadline=Deadline(timeout, clock), progress=progress)
    return report
