"""`humangov rollout` and `humangov status --all` through the CLI's main, on the fake platform."""

from __future__ import annotations

import json

import pytest
from rollout_testkit import NEW, OLD, FakePlatform

from humangov_deploy.cli import main
from humangov_deploy.commands import rollout as rollout_cmd
from humangov_deploy.commands import status as status_cmd
from humangov_deploy.rollout.record import Records

pytestmark = pytest.mark.unit


@pytest.fixture
def platform(monkeypatch: pytest.MonkeyPatch) -> FakePlatform:
    fake = FakePlatform(versions={"vermont": OLD, "maine": OLD, "ohio": OLD, "texas": None})
    monkeypatch.setattr(rollout_cmd, "open_platform", lambda args: fake)
    monkeypatch.setattr(status_cmd, "open_platform", lambda args: fake)
    return fake


def test_dry_run_prints_the_plan_and_changes_nothing(
    platform: FakePlatform, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["rollout", "--states", "vermont,maine,ohio,texas", "--wave-size", "1", "--dry-run"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "canary   vermont" in out and "wave 1   maine" in out and "wave 2   ohio" in out
    assert "skipped  texas: not deployed" in out
    # Only reads: no image built, no deploy, no record written.
    assert {kind for kind, _ in platform.calls} == {"current"}
    assert platform.store.puts == 0
    assert platform.versions == {"vermont": OLD, "maine": OLD, "ohio": OLD, "texas": None}


def test_rollout_json_and_exit_status(platform: FakePlatform, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["rollout", "--states", "vermont,maine,ohio", "--gate", "deploy", "--json"])
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    assert code == 0 and data["ok"] and data["status"] == "done"
    assert [s["result"] for s in data["states"]] == ["done"] * 3
    assert data["states"][0]["from"]["app"] == OLD.app and data["version"]["app"] == NEW.app
    assert "vermont: deploying" in captured.err  # the transitions, on stderr with --json
    assert Records(platform.store).load(data["run_id"]) is not None


def test_a_skipped_state_is_not_on_the_new_version_so_the_exit_is_1(
    platform: FakePlatform, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["rollout", "--states", "vermont,texas", "--gate", "deploy"])
    out = capsys.readouterr().out
    assert code == 1
    assert "texas" in out and "skipped" in out and platform.calls_of("deploy") == ["vermont"]


def test_a_halted_rollout_resumes_by_run_id(
    platform: FakePlatform, capsys: pytest.CaptureFixture[str]
) -> None:
    platform.fail.add("ohio")
    args = ["rollout", "--states", "vermont,maine,ohio", "--wave-size", "1", "--gate", "deploy", "--json"]
    assert main(args) == 1
    run_id = json.loads(capsys.readouterr().out)["run_id"]
    platform.fail.clear()
    platform.calls.clear()
    assert main(["rollout", "--resume", run_id]) == 0
    out = capsys.readouterr().out
    assert platform.calls_of("deploy") == ["ohio"]
    assert f"rollout {run_id} on fake: done" in out
    assert main(["rollout", "--resume", "rollout-nope"]) == 1
    assert "no rollout rollout-nope" in capsys.readouterr().err


def test_status_all_lists_versions_and_last_rollout(
    platform: FakePlatform, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["rollout", "--states", "vermont", "--gate", "deploy", "--json"]) == 0
    run_id = json.loads(capsys.readouterr().out)["run_id"]
    assert main(["status", "--all", "--json"]) == 0
    rows = {r["state"]: r for r in json.loads(capsys.readouterr().out)}
    assert set(rows) == {"vermont", "maine", "ohio"}
    assert rows["vermont"]["version"] == "v2" and rows["maine"]["version"] == "v1"
    assert rows["vermont"]["last_rollout"]["run_id"] == run_id and rows["maine"]["last_rollout"] is None
    assert rows["vermont"]["tasks_running"] == 1 and rows["vermont"]["url"] == "http://vermont"
    assert main(["status", "--all"]) == 0
    assert f"{run_id} (done)" in capsys.readouterr().out
    assert main(["status"]) == 1  # neither --state nor --all


def test_rollout_abandon_ends_a_dead_runners_rollout(
    platform: FakePlatform, capsys: pytest.CaptureFixture[str]
) -> None:
    from datetime import UTC, datetime, timedelta

    from humangov_deploy.rollout import record as rec
    from humangov_deploy.rollout.plan import make_plan
    from humangov_deploy.rollout.runner import new_record

    current = {s: platform.versions.get(s) for s in ("vermont", "maine")}
    record = new_record("run-9", platform.name, NEW, make_plan(list(current), current), current,
                        gate="deploy", rollback="wave")  # fmt: skip
    long_ago = datetime.now(UTC) - timedelta(seconds=rec.LEASE_SECONDS + 5)
    Records(platform.store, now=lambda: long_ago).claim(record, "host-b pid 3")

    assert main(["rollout", "abandon", "run-9", "--platform", "local", "--json"]) == 0
    ended = json.loads(capsys.readouterr().out)
    assert ended["status"] == "abandoned" and {s["result"] for s in ended["states"]} == {"abandoned"}
    assert platform.calls_of("deploy") == []
    assert main(["rollout", "abandon", "run-9", "--platform", "local"]) == 1  # not running any more
    assert "only a running one can be abandoned" in capsys.readouterr().err


def test_rollout_without_states_or_resume_says_what_to_pass(
    platform: FakePlatform, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["rollout", "--platform", "local"]) == 1
    assert "pass --states LIST or --resume RUN_ID" in capsys.readouterr().err
