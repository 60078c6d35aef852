"""A rollout outlives its runner: the record is a lease with a heartbeat; a dead runner's rollout can be
taken over (--resume) or abandoned once the lease has run out, never while a live runner holds it."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from rollout_testkit import NEW, OLD, FakePlatform, deploy_gate_runner

from humangov_deploy.errors import ConfigError
from humangov_deploy.platforms.base import Platform
from humangov_deploy.rollout import record as rec
from humangov_deploy.rollout.plan import make_plan
from humangov_deploy.rollout.record import Records, RolloutRefused
from humangov_deploy.rollout.runner import deploy_gate, new_record

T0 = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)
STATES = ["vermont", "maine", "ohio"]


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def record_for(
    platform: FakePlatform, run_id: str = "run-1", states: list[str] = STATES
) -> rec.RolloutRecord:
    current = {s: platform.versions.get(s) for s in states}
    plan = make_plan(states, current, wave_size=1)
    return new_record(run_id, platform.name, NEW, plan, current, gate="deploy", rollback="wave")


def dead_runner(platform: FakePlatform, clock: Clock) -> rec.RolloutRecord:
    """A runner claimed run-1, deployed the canary, was deploying maine, and then died (no more beats)."""
    record = record_for(platform)
    Records(platform.store, now=clock).claim(record, "host-a pid 7")
    record.outcomes["vermont"].result = rec.DONE
    record.outcomes["maine"].result = rec.DEPLOYING
    Records(platform.store, now=clock).save(record)
    platform.versions["vermont"] = NEW
    return record


def test_the_lease_holds_for_its_length_after_the_last_heartbeat() -> None:
    record = record_for(FakePlatform(versions=dict.fromkeys(STATES, OLD)))
    record.status, record.heartbeat = rec.RUNNING, T0.isoformat()
    assert record.held(T0 + timedelta(seconds=rec.LEASE_SECONDS - 1))
    assert not record.held(T0 + timedelta(seconds=rec.LEASE_SECONDS))
    assert rec.RolloutRecord.from_text(record.to_text()).heartbeat == record.heartbeat
    record.heartbeat = ""
    assert not record.held(T0)  # an old record without a heartbeat is held by no one


def test_a_live_runners_rollout_can_be_neither_resumed_nor_abandoned() -> None:
    platform, clock = FakePlatform(versions=dict.fromkeys(STATES, OLD)), Clock()
    dead_runner(platform, clock)
    clock.now += timedelta(seconds=60)  # the runner is silent for one minute only
    stored = Records(platform.store, now=clock).load("run-1")
    assert stored is not None
    runner, _ = deploy_gate_runner(platform)
    runner.records = Records(platform.store, now=clock)
    with pytest.raises(
        RolloutRefused, match=r"held by host-a pid 7 .* lease runs out at 2026-12-05T09:05:00"
    ):
        runner.run(stored)
    with pytest.raises(RolloutRefused, match="held by a live runner"):
        Records(platform.store, now=clock).abandon("run-1", platform.current_version, "ops")
    assert platform.calls_of("deploy") == []


def test_after_the_lease_resume_takes_the_rollout_over_and_finishes_it() -> None:
    platform, clock = FakePlatform(versions=dict.fromkeys(STATES, OLD)), Clock()
    dead_runner(platform, clock)
    clock.now += timedelta(seconds=rec.LEASE_SECONDS + 1)
    records = Records(platform.store, now=clock)
    runner, _ = deploy_gate_runner(platform)
    runner.records = records
    finished = runner.run(records.load("run-1"))  # type: ignore[arg-type]
    assert finished.ok and finished.owner != "host-a pid 7"
    assert sorted(platform.calls_of("deploy")) == ["maine", "ohio"]


def test_a_dead_runners_rollout_still_blocks_a_new_one_and_says_how_to_end_it() -> None:
    platform, clock = FakePlatform(versions=dict.fromkeys(STATES, OLD)), Clock()
    dead_runner(platform, clock)
    clock.now += timedelta(hours=1)
    runner, _ = deploy_gate_runner(platform)
    runner.records = Records(platform.store, now=clock)
    with pytest.raises(
        RolloutRefused,
        match=r"silent since .* --resume run-1, or end it with `humangov rollout abandon run-1`",
    ):
        runner.run(record_for(platform, "run-2", ["ohio"]))


def test_abandon_ends_it_touching_no_state_and_says_where_each_was_left() -> None:
    platform, clock = FakePlatform(versions=dict.fromkeys(STATES, OLD)), Clock()
    dead_runner(platform, clock)
    clock.now += timedelta(seconds=rec.LEASE_SECONDS + 1)
    records = Records(platform.store, now=clock)
    ended = records.abandon("run-1", platform.current_version, "cli:ops")
    assert ended.status == rec.ABANDONED
    assert {s: o.result for s, o in ended.outcomes.items()} == {
        "vermont": rec.DONE, "maine": rec.ABANDONED, "ohio": rec.ABANDONED,
    }  # fmt: skip
    assert ended.outcomes["maine"].reason == f"abandoned by cli:ops: left on {OLD.tag}"
    assert platform.calls_of("deploy") == [] and platform.calls_of("rollback") == []
    # It holds nothing now: another rollout over the same states runs.
    runner, _ = deploy_gate_runner(platform)
    runner.records = records
    assert runner.run(record_for(platform, "run-2", ["maine"])).ok
    with pytest.raises(ConfigError, match="is abandoned: only a running one"):
        records.abandon("run-1", platform.current_version, "cli:ops")


def test_the_runner_renews_its_lease_while_it_runs() -> None:
    """The heartbeat waits a third of the lease between beats; here its first wait returns at once."""
    platform, clock = FakePlatform(versions=dict.fromkeys(STATES, OLD)), Clock()
    beaten = threading.Event()

    class Beating(Records):
        def beat(self, record: rec.RolloutRecord) -> None:
            clock.now += timedelta(seconds=100)
            super().beat(record)
            beaten.set()

    waits: list[float] = []

    def wait(over: threading.Event, seconds: float) -> bool:
        waits.append(seconds)
        return False if len(waits) == 1 else over.wait()  # one beat now, then until the run is over

    def gate(p: Platform, state: str) -> tuple[bool, str]:
        assert beaten.wait(10), "no heartbeat while the canary deployed"
        return deploy_gate(p, state)

    runner, _ = deploy_gate_runner(platform, wait=wait, gate=gate)
    runner.records = Beating(platform.store, now=clock)
    finished = runner.run(record_for(platform))
    assert finished.ok and waits[0] == rec.LEASE_SECONDS / 3
    assert finished.heartbeat == (T0 + timedelta(seconds=100)).isoformat(timespec="microseconds")
