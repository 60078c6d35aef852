"""The log lines of a state's tasks on the local platform: the engine's logs of each app and nginx container
(stdout and stderr, with the engine's timestamps)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from humangov_deploy.platforms.base import LogLine
from humangov_deploy.platforms.local import engine as dock
from humangov_deploy.platforms.local import spec

MEMBERS = ("app", "nginx")


def task_log_lines(client: Any, state: str, since: datetime) -> list[LogLine]:
    lines: list[LogLine] = []
    for role in MEMBERS:
        for container in dock.list_containers(client, state, **{spec.LABEL_ROLE: role}):
            task = container.labels.get(spec.LABEL_TASK, container.name)
            raw = container.logs(timestamps=True, since=since, stdout=True, stderr=True)
            for text in raw.decode("utf-8", "replace").splitlines():
                stamp, _, message = text.partition(" ")
                lines.append(LogLine(_parse(stamp), task, role, message))
    return lines


def _parse(stamp: str) -> datetime:
    # The engine writes RFC 3339 with nanoseconds (2026-12-05T09:00:00.123456789Z): keep microseconds.
    head, _, fraction = stamp.rstrip("Z").partition(".")
    return datetime.fromisoformat(f"{head}.{(fraction + '000000')[:6]}+00:00")
