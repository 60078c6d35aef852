"""deploy/status/verify/destroy/sweep: parsing, platform choice, output and exit codes, on a fake platform."""

from __future__ import annotations

import argparse
import json
from typing import Any

import pytest

from humangov_deploy.cli import main
from humangov_deploy.commands import deploy as deploy_command
from humangov_deploy.commands.sweep import parse_duration
from humangov_deploy.errors import DeploymentFailed
from humangov_deploy.platforms.base import StackStatus, TaskInfo


class FakePlatform:
    name = "fake"

    def __init__(self, **options: Any) -> None:
        self.options = options
        self.calls: list[tuple[str, Any]] = []
        self.exists = True
        self.fail_deploy: Exception | None = None

    def _status(self, state: str) -> StackStatus:
        if not self.exists:
            return StackStatus(state, "fake")
        return StackStatus(
            state,
            "fake",
            url="http://lb",
            tasks=[TaskInfo("t1", "zone-a", "RUNNING", True)],
            table="humangov-texas-dynamodb",
            bucket="humangov-texas-s3-abcd",
            resources={"service": {"desired": 2}},
        )

    def deploy(self, state: str, *, timeout: float, progress: Any) -> StackStatus:
        self.calls.append(("deploy", (state, timeout)))
        progress("deploying")
        if self.fail_deploy:
            raise self.fail_deploy
        return self._status(state)

    def status(self, state: str) -> StackStatus:
        self.calls.append(("status", state))
        return self._status(state)

    def destroy(self, state: str, *, timeout: float, progress: Any) -> None:
        self.calls.append(("destroy", (state, timeout)))

    def data_clients(self, state: str) -> Any:
        raise AssertionError("not used")


class SweepingPlatform(FakePlatform):
    def sweep(self, **kwargs: Any) -> Any:
        self.calls.append(("sweep", kwargs))

        class Report:
            def to_json(self) -> dict[str, Any]:
                return {"removed_states": ["texas"]}

            def lines(self) -> list[str]:
                return ["removed state texas"]

        return Report()


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, FakePlatform]]:
    """Every platform the commands open, by name; `sweeping` platforms support sweep."""
    made: list[tuple[str, FakePlatform]] = []

    def fake_get_platform(name: str, **options: Any) -> FakePlatform:
        platform = SweepingPlatform(**options) if name == "aws" else FakePlatform(**options)
        made.append((name, platform))
        return platform

    monkeypatch.setattr(deploy_command, "get_platform", fake_get_platform)
    return made


def test_deploy_defaults_to_the_local_platform(opened: list[Any], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["deploy", "--state", "Texas"]) == 0
    (name, platform) = opened[0]
    assert name == "local"
    assert platform.calls == [("deploy", ("texas", deploy_command.DEPLOY_TIMEOUT))]
    out = capsys.readouterr().out
    assert "deploying" in out and "url:      http://lb" in out and "zone-a" in out


def test_deploy_passes_platform_options_through(
    opened: list[Any], capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["deploy", "--state", "texas", "--platform", "aws", "--data", "boto3", "--desired-count", "3"]
    argv += ["--app-image", "a:1", "--nginx-image", "n:1", "--wait", "stable", "--timeout", "60"]
    argv += ["--endpoint-url", "http://127.0.0.1:5000", "--region", "eu-west-1", "--run-id", "r1"]
    assert main(argv) == 0
    (name, platform) = opened[0]
    assert name == "aws"
    expected = {
        "data": "boto3",
        "desired_count": 3,
        "app_image": "a:1",
        "nginx_image": "n:1",
        "wait": "stable",
    }
    expected |= {
        "endpoint_url": "http://127.0.0.1:5000",
        "region": "eu-west-1",
        "run_id": "r1",
        "state": "texas",
    }
    assert expected.items() <= platform.options.items()
    assert platform.calls == [("deploy", ("texas", 60.0))]


def test_deploy_json_prints_only_the_status(opened: list[Any], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["deploy", "--state", "texas", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document == {
        "state": "texas",
        "platform": "fake",
        "url": "http://lb",
        "tasks": [{"id": "t1", "az": "zone-a", "status": "RUNNING", "healthy": True}],
        "table": "humangov-texas-dynamodb",
        "bucket": "humangov-texas-s3-abcd",
        "ca_bundle": None,
        "listeners": [],
        "warnings": [],
    }


def test_a_failed_deploy_exits_1_with_the_reason(
    opened: list[Any], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    original = FakePlatform.deploy

    def failing(self: FakePlatform, state: str, **kwargs: Any) -> StackStatus:
        self.fail_deploy = DeploymentFailed("task t-1 stopped: CannotPullContainerError")
        return original(self, state, **kwargs)

    monkeypatch.setattr(FakePlatform, "deploy", failing)
    assert main(["deploy", "--state", "texas"]) == 1
    assert "CannotPullContainerError" in capsys.readouterr().err


def test_unknown_state_is_an_error(opened: list[Any], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["deploy", "--state", "atlantis"]) == 1
    assert "unknown state" in capsys.readouterr().err
    assert opened == []


def test_status_exit_codes(
    opened: list[Any], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["status", "--state", "texas", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["url"] == "http://lb"
    original_init = FakePlatform.__init__

    def absent(self: FakePlatform, **options: Any) -> None:
        original_init(self, **options)
        self.exists = False

    monkeypatch.setattr(FakePlatform, "__init__", absent)
    assert main(["status", "--state", "texas"]) == 3
    assert "url:      -" in capsys.readouterr().out


def test_destroy_passes_its_timeout(opened: list[Any], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["destroy", "--state", "texas", "--platform", "aws", "--keep-data", "--timeout", "30"]) == 0
    (_name, platform) = opened[0]
    assert platform.calls == [("destroy", ("texas", 30.0))]
    assert platform.options["keep_data"] is True
    assert "texas: destroyed on aws" in capsys.readouterr().out


def test_verify_exit_code_follows_the_report(
    opened: list[Any], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from humangov_deploy.commands import verify as verify_command
    from humangov_deploy.verify import CheckResult, Report

    outcome = {"status": "pass"}

    def fake_verify(platform: Any, state: str, **_: Any) -> Report:
        return Report(
            state, platform.name, "http://lb", [CheckResult("tasks", outcome["status"], "2 RUNNING")]
        )

    monkeypatch.setattr(verify_command, "verify", fake_verify)
    assert main(["verify", "--state", "texas"]) == 0
    assert "PASS tasks" in capsys.readouterr().out
    outcome["status"] = "fail"
    assert main(["verify", "--state", "texas", "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["ok"] is False


def test_sweep_runs_on_aws_by_default(opened: list[Any], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sweep", "--older-than", "90m", "--dry-run", "--run-id", "r9", "--state", "utah"]) == 0
    (name, platform) = opened[0]
    assert name == "aws"
    (call,) = platform.calls
    assert call[0] == "sweep"
    assert {k: call[1][k] for k in ("older_than", "dry_run", "run_id", "states")} == {
        "older_than": 5400.0,
        "dry_run": True,
        "run_id": "r9",
        "states": ["utah"],
    }
    assert "removed state texas" in capsys.readouterr().out


def test_sweep_on_a_platform_without_sweep_is_an_error(
    opened: list[Any], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["sweep", "--platform", "local"]) == 1
    assert "has no sweep" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("text", "seconds"), [("90", 90), ("90s", 90), ("15m", 900), ("2h", 7200), ("1d", 86400)]
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


def test_bad_duration() -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        parse_duration("two hours")
