"""`humangov logs`: the tasks' log lines merged by time, --since, --request-id across nginx and the app
(on AWS also from tasks that are gone), --follow; on moto (CloudWatch Logs) and a fake engine."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from moto import mock_aws

from humangov_deploy.clients import AwsClients
from humangov_deploy.commands import logs as logs_command
from humangov_deploy.commands.logs import merged, parse_since
from humangov_deploy.errors import ConfigError
from humangov_deploy.platforms.aws.task_logs import task_log_lines as aws_lines
from humangov_deploy.platforms.base import LogLine
from humangov_deploy.platforms.local import spec
from humangov_deploy.platforms.local.task_logs import task_log_lines as local_lines

NOW = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)
RID = "0f3c9a7be51d4c2e8a6b1d2e3f405162"


def at(seconds: float) -> datetime:
    return NOW + timedelta(seconds=seconds)


# -- what both platforms share ----------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "back"), [("30s", 30), ("10m", 600), ("2h", 7200), ("1d", 86400)])
def test_since_is_a_duration_back_from_now(text: str, back: int) -> None:
    assert parse_since(text, NOW) == NOW - timedelta(seconds=back)


@pytest.mark.parametrize("text", ["10", "ten minutes", "-5m", "31d", "5w"])
def test_a_bad_since_is_named(text: str) -> None:
    with pytest.raises(ConfigError, match="--since"):
        parse_since(text, NOW)


def test_lines_are_merged_by_time_and_filtered_by_request_id() -> None:
    lines = [
        LogLine(at(2), "task-2", "app", f"GET /records rid={RID}"),
        LogLine(at(1), "task-1", "nginx", f'"GET /records" 200 rid={RID}'),
        LogLine(at(0), "task-1", "app", "booted"),
    ]
    assert [line.time for line in merged(lines)] == [at(0), at(1), at(2)]
    assert [(line.task, line.container) for line in merged(lines, RID)] == [
        ("task-1", "nginx"),
        ("task-2", "app"),
    ]
    with pytest.raises(ConfigError, match="--request-id"):
        merged(lines, "x y")


# -- the local platform: the engine's logs of each task's app and nginx ----------------------------------


class FakeContainer:
    def __init__(self, role: str, task: str, text: str) -> None:
        self.name = f"humangov-texas-{task}-{role}"
        self.labels = {spec.LABEL_ROLE: role, spec.LABEL_TASK: task, spec.LABEL_STATE: "texas"}
        self.text = text
        self.asked: dict[str, Any] = {}

    def logs(self, **options: Any) -> bytes:
        self.asked = options
        return self.text.encode()


class FakeEngine:
    def __init__(self, containers: list[FakeContainer]) -> None:
        self.containers = self
        self.all = containers

    def list(self, all: bool, filters: dict[str, list[str]]) -> list[FakeContainer]:
        wanted = dict(f.split("=", 1) for f in filters["label"])
        return [c for c in self.all if all and all_match(c.labels, wanted)]


def all_match(labels: dict[str, str], wanted: dict[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in wanted.items() if k != spec.LABEL_MANAGED_BY)


def test_local_lines_come_from_each_tasks_app_and_nginx_with_the_engines_time() -> None:
    app = FakeContainer("app", "task-1", f"2026-12-05T09:00:01.123456789Z GET /records rid={RID}\n")
    nginx = FakeContainer("nginx", "task-2", f'2026-12-05T09:00:00.5Z "GET /records" 200 rid={RID}\n')
    holder = FakeContainer("task", "task-1", "2026-12-05T09:00:00Z holder line\n")
    lines = merged(local_lines(FakeEngine([app, nginx, holder]), "texas", NOW))
    assert [str(line) for line in lines] == [
        f'2026-12-05T09:00:00.500Z task-2 nginx "GET /records" 200 rid={RID}',
        f"2026-12-05T09:00:01.123Z task-1 app   GET /records rid={RID}",
    ]
    assert app.asked["since"] == NOW and app.asked["timestamps"] is True


# -- AWS: the state's log group in CloudWatch Logs, gone tasks included ------------------------------------


@pytest.fixture
def cloudwatch(monkeypatch: pytest.MonkeyPatch) -> Any:
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(key, "testing")
    with mock_aws():
        clients = AwsClients(region="us-east-1")
        group = "/ecs/humangov-texas"
        clients.logs.create_log_group(logGroupName=group)
        events = {
            "app/app/gone1": [(at(-300), f"GET /records rid={RID}"), (at(-290), "an older line")],
            "nginx/nginx/gone1": [(at(-301), f'"GET /records" 200 rid={RID}')],
            "app/app/live2": [(at(-10), "GET /healthz")],
        }
        for stream, items in events.items():
            clients.logs.create_log_stream(logGroupName=group, logStreamName=stream)
            clients.logs.put_log_events(
                logGroupName=group,
                logStreamName=stream,
                logEvents=[{"timestamp": int(t.timestamp() * 1000), "message": m} for t, m in items],
            )
        yield clients


def test_aws_lines_span_every_stream_since_the_start(cloudwatch: AwsClients) -> None:
    lines = merged(aws_lines(cloudwatch, "texas", at(-295)))
    assert [(line.task, line.container, line.message) for line in lines] == [
        ("gone1", "app", "an older line"),
        ("live2", "app", "GET /healthz"),
    ]


def test_a_request_is_found_in_nginx_and_the_app_of_a_task_that_is_gone(cloudwatch: AwsClients) -> None:
    lines = merged(aws_lines(cloudwatch, "texas", at(-600), RID), RID)
    assert [(line.task, line.container) for line in lines] == [("gone1", "nginx"), ("gone1", "app")]


def test_a_state_without_a_log_group_has_no_lines(cloudwatch: AwsClients) -> None:
    assert aws_lines(cloudwatch, "ohio", at(-600)) == []


# -- the command --------------------------------------------------------------------------------------------


class Platform:
    name = "local"

    def __init__(self, reads: list[list[LogLine]]) -> None:
        self.reads = reads


def test_follow_prints_only_the_new_lines_of_each_read(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    first = [LogLine(at(-5), "task-1", "app", "one")]
    second = [*first, LogLine(at(1), "task-1", "nginx", "two")]
    reads = iter([first, second])
    monkeypatch.setattr(logs_command, "open_platform", lambda args: Platform([]))
    monkeypatch.setattr(logs_command, "read_lines", lambda *a: next(reads))
    slept: list[float] = []
    args = argparse.Namespace(state="texas", since="10m", request_id=None, follow=True, json=True)
    assert logs_command.run(args, now=lambda: NOW, sleep=slept.append, polls=1) == 0
    printed = [json.loads(line)["message"] for line in capsys.readouterr().out.splitlines()]
    assert printed == ["one", "two"] and slept == [logs_command.FOLLOW_INTERVAL]
