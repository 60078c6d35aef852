"""The log lines of a state's tasks on AWS: its CloudWatch log group, every stream (so a task that served a
request and is gone since still counts), from `since` on; with a request id, CloudWatch filters for it.

Streams are `<prefix>/<container>/<task id>` (the awslogs driver's naming with the stream prefix the task
definition sets: https://docs.aws.amazon.com/AmazonECS/latest/developerguide/using_awslogs.html).
"""

from __future__ import annotations

from datetime import UTC, datetime

from humangov_deploy.aws.call import aws_call
from humangov_deploy.clients import AwsClients
from humangov_deploy.naming import names_for
from humangov_deploy.platforms.base import LogLine


def task_log_lines(
    clients: AwsClients, state: str, since: datetime, request_id: str | None = None
) -> list[LogLine]:
    group = names_for(state).log_group
    arguments: dict[str, object] = {"logGroupName": group, "startTime": int(since.timestamp() * 1000)}
    if request_id:
        arguments["filterPattern"] = f'"{request_id}"'  # a quoted term: events that contain it
    lines: list[LogLine] = []
    with aws_call("logs", "FilterLogEvents", ignore=("ResourceNotFoundException",)):
        for page in clients.logs.get_paginator("filter_log_events").paginate(**arguments):
            for event in page.get("events", []):
                parts = str(event.get("logStreamName", "")).split("/")
                container = parts[1] if len(parts) == 3 else "?"
                task = parts[-1]
                when = datetime.fromtimestamp(int(event["timestamp"]) / 1000, UTC)
                lines.append(LogLine(when, task, container, str(event.get("message", "")).rstrip("\n")))
    return lines
