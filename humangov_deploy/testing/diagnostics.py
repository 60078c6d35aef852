"""What a failing test's report shows of its stack ("humangov diagnostics"): status, the service's last
events and stop reasons, target health, and the last lines each task logged.

Diagnostics run after a failure: they never raise (a part that cannot be read says so and the rest
still comes), and they only read.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from humangov_deploy.platforms.base import Platform

LOG_LINES = 50
EVENTS = 10


def diagnostics(platform: Platform, platform_name: str, state: str) -> str:
    return "\n".join(_sections(platform, platform_name, state))


def _sections(platform: Platform, platform_name: str, state: str) -> Iterator[str]:
    yield from _part("status --json", lambda: [json.dumps(platform.status(state).to_json(), indent=2)])
    if platform_name == "local":
        yield from _part("task containers (last lines each)", lambda: _local_logs(state))
    elif platform_name == "aws":
        clients = getattr(platform, "clients", None)
        if clients is not None:
            yield from _part("service events and stopped tasks", lambda: _aws_events(clients, state))
            yield from _part("target health", lambda: _aws_targets(clients, state))
            yield from _part("task logs (last lines each)", lambda: _aws_logs(clients, state))


def _part(title: str, read: Callable[[], list[str]]) -> Iterator[str]:
    yield f"--- {title}"
    try:
        yield from read()
    except Exception as exc:  # a diagnostic must never hide the failure it explains
        yield f"(could not read: {type(exc).__name__}: {exc})"


def _local_logs(state: str) -> list[str]:
    import docker

    from humangov_deploy.platforms.local import spec

    client = docker.from_env(timeout=10)
    lines: list[str] = []
    for container in client.containers.list(all=True, filters={"label": [f"{spec.LABEL_STATE}={state}"]}):
        labels = container.labels
        role = labels.get(spec.LABEL_ROLE, "?")
        lines.append(f"[{container.name}] role={role} status={container.status}")
        text = container.logs(tail=LOG_LINES, timestamps=False).decode("utf-8", "replace")
        lines += [f"  {line}" for line in text.splitlines()[-LOG_LINES:]]
    return lines


def _aws_events(clients: Any, state: str) -> list[str]:
    from humangov_deploy.naming import names_for

    names = names_for(state)
    found = clients.ecs.describe_services(cluster=names.cluster, services=[names.service])["services"]
    lines = [f"{e['createdAt']} {e['message']}" for s in found for e in s.get("events", [])[:EVENTS]]
    arns = clients.ecs.list_tasks(cluster=names.cluster, serviceName=names.service, desiredStatus="STOPPED")
    if arns.get("taskArns"):
        stopped = clients.ecs.describe_tasks(cluster=names.cluster, tasks=arns["taskArns"][:EVENTS])["tasks"]
        lines += [f"stopped {t['taskArn'].rsplit('/', 1)[-1]}: {t.get('stoppedReason', '')}" for t in stopped]
    return lines


def _aws_targets(clients: Any, state: str) -> list[str]:
    from humangov_deploy.naming import names_for

    names = names_for(state)
    groups = clients.elbv2.describe_target_groups(Names=[names.target_group])["TargetGroups"]
    health = clients.elbv2.describe_target_health(TargetGroupArn=groups[0]["TargetGroupArn"])
    return [
        f"{d['Target']['Id']}:{d['Target'].get('Port')} {d['TargetHealth']['State']} "
        f"{d['TargetHealth'].get('Reason', '')} {d['TargetHealth'].get('Description', '')}".rstrip()
        for d in health["TargetHealthDescriptions"]
    ]


def _aws_logs(clients: Any, state: str) -> list[str]:
    from humangov_deploy.naming import names_for

    group = names_for(state).log_group
    streams = clients.logs.describe_log_streams(
        logGroupName=group, orderBy="LastEventTime", descending=True, limit=4
    )["logStreams"]
    lines: list[str] = []
    for stream in streams:
        events = clients.logs.get_log_events(
            logGroupName=group, logStreamName=stream["logStreamName"], limit=LOG_LINES, startFromHead=False
        )["events"]
        lines.append(f"[{stream['logStreamName']}]")
        lines += [f"  {e['message']}" for e in events]
    return lines
