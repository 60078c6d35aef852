"""The rollout runner on a fake platform: halt, rollback of exactly the failed wave, resume, refusal."""

from __future__ import annotations

import threading

import pytest
from rollout_testkit import NEW, OLD, FakePlatform, deploy_gate_runner

from humangov_deploy.platforms.base import Version
from humangov_deploy.rollout import record as rec
from humangov_deploy.rollout.plan import make_plan
from humangov_deploy.rollout.record import Records, RolloutRefused
from humangov_deploy.rollout.runner import new_record

pytestmark = pytest.mark.unit

STATES = ["vermont", "maine", "ohio", "texas", "utah", "iowa", "idaho"]


def fleet(states: list[str] = STATES) -> FakePlatform:
    return FakePlatform(versions=dict.fromkeys(states, OLD))


def record_for(
    platform: FakePlatform,
    states: list[str] = STATES,
    *,
    wave_size: int = 3,
    rollback: str = "wave",
    run_id: str = "run-1",
) -> rec.RolloutRecord:
    current = {s: platform.versions.get(s) for s in states}
    plan = make_plan(states, current, wave_size=wave_size)
    return new_record(run_id, platform.name, NEW, plan, current, gate="deploy", rollback=rollback)


def results(record: rec.RolloutRecord) -> dict[str, str]:
    return {s: o.result for s, o in record.outcomes.items()}


def test_every_state_gets_the_new_version_canary_first() -> None:
    platform = fleet()
    runner, lines = deploy_gate_runner(platform, max_parallel=3)
    record = runner.run(record_for(platform))
    assert record.ok and record.status == rec.DONE
    assert platform.calls_of("deploy")[0] == "vermont"
    assert set(platform.calls_of("deploy")) == set(STATES) and len(platform.calls_of("deploy")) == 7
    assert all(v == NEW for v in platform.versions.values())
    assert not platform.calls_of("rollback")
    # One line per transition, each with the elapsed time.
    assert sum("vermont: deploying" in line for line in lines) == 1
    assert all(line.startswith("[") and "s] " in line for line in lines)
    # The stored record says the same as the returned one.
    assert Records(platform.store).load("run-1") == record


def test_a_failure_mid_wave_halts_and_rolls_back_exactly_its_wave() -> None:
    """Waves: [vermont] [maine, ohio, texas] [utah, iowa, idaho]; ohio fails with 2 deploys at once.

    maine is deploying when ohio fails and finishes; texas is queued and never starts; maine and ohio go
    back to the old version; vermont (the canary, an earlier wave) keeps the new one; wave 2 is untouched.
    """
    platform = fleet()
    ohio_failed = threading.Event()
    # maine finishes only after ohio has failed: it was "already deploying" when the halt came.
    platform.hooks["maine"] = lambda: ohio_failed.wait(timeout=10) or None
    platform.hooks["ohio"] = ohio_failed.set
    platform.fail.add("ohio")
    runner, lines = deploy_gate_runner(platform, max_parallel=2)
    record = runner.run(record_for(platform))

    assert record.status == rec.HALTED and not record.ok
    assert results(record) == {
        "vermont": rec.DONE,
        "maine": rec.ROLLED_BACK,
        "ohio": rec.ROLLED_BACK,
        "texas": rec.CANCELLED,
        "utah": rec.PENDING,
        "iowa": rec.PENDING,
        "idaho": rec.PENDING,
    }
    assert sorted(platform.calls_of("rollback")) == ["maine", "ohio"]
    assert set(platform.calls_of("deploy")) == {"vermont", "maine", "ohio"}
    assert platform.versions == {"vermont": NEW, "maine": OLD, "ohio": OLD} | {
        s: OLD for s in ("texas", "utah", "iowa", "idaho")
    }
    assert "the app keeps exiting" in record.outcomes["ohio"].reason
    assert any("ohio: failed" in line for line in lines)


def test_a_failing_canary_stops_everything_and_is_rolled_back() -> None:
    platform = fleet()
    platform.fail.add("vermont")
    runner, _ = deploy_gate_runner(platform, max_parallel=4)
    record = runner.run(record_for(platform))
    assert platform.calls_of("deploy") == ["vermont"]
    assert platform.calls_of("rollback") == ["vermont"]
    assert results(record)["vermont"] == rec.ROLLED_BACK
    assert all(results(record)[s] == rec.PENDING for s in STATES[1:])


def test_rollback_all_returns_earlier_waves_too() -> None:
    platform = fleet()
    platform.fail.add("utah")
    runner, _ = deploy_gate_runner(platform)
    record = runner.run(record_for(platform, rollback="all"))
    # utah failed in wave 2 (one at a time: iowa and idaho never started); waves 0 and 1 go back too.
    assert sorted(platform.calls_of("rollback")) == sorted(["vermont", "maine", "ohio", "texas", "utah"])
    assert all(v == OLD for v in platform.versions.values())
    assert results(record)["iowa"] == rec.CANCELLED


def test_a_failed_rollback_is_reported_and_the_others_still_roll_back() -> None:
    platform = fleet()
    platform.fail.add("ohio")
    platform.fail_rollback.add("ohio")
    runner, _ = deploy_gate_runner(platform)
    record = runner.run(record_for(platform))
    assert results(record)["ohio"] == rec.ROLLBACK_FAILED
    assert results(record)["maine"] == rec.ROLLED_BACK
    assert "does not start either" in record.outcomes["ohio"].reason


def test_a_gate_failure_halts_like_a_deploy_failure() -> None:
    platform = fleet(["vermont", "maine"])
    gated: list[tuple[str, Version | None]] = []

    def gate(fake: FakePlatform, state: str) -> tuple[bool, str]:
        # The new version answers 502; the old one passes: the rollback is gated again, and passes.
        gated.append((state, fake.versions[state]))
        return fake.versions[state] != NEW, "verify failed: http: GET / -> 502"

    runner, _ = deploy_gate_runner(platform, gate=gate)
    record = runner.run(record_for(platform, ["vermont", "maine"]))
    assert results(record) == {"vermont": rec.ROLLED_BACK, "maine": rec.PENDING}
    assert "502" in record.outcomes["vermont"].reason
    assert gated == [("vermont", NEW), ("vermont", OLD)]


def test_resume_skips_the_states_already_done() -> None:
    platform = fleet()
    platform.fail.add("iowa")
    runner, _ = deploy_gate_runner(platform)
    first = runner.run(record_for(platform))
    assert first.status == rec.HALTED
    done_before = [s for s, r in results(first).items() if r == rec.DONE]
    assert done_before == ["vermont", "maine", "ohio", "texas"]

    platform.fail.clear()  # the cause is fixed; resume from any runner, through the store
    platform.calls.clear()
    stored = Records(platform.store).load("run-1")
    assert stored is not None
    runner, _ = deploy_gate_runner(platform)
    second = runner.run(stored)
    assert second.ok and second.status == rec.DONE
    assert sorted(platform.calls_of("deploy")) == ["idaho", "iowa", "utah"]


def test_a_rollout_over_states_another_running_rollout_holds_is_refused() -> None:
    platform = fleet()
    earlier = record_for(platform, ["texas", "utah"], run_id="run-0")
    Records(platform.store).claim(earlier, "another host pid 1")  # running, never finished (or still going)

    runner, _ = deploy_gate_runner(platform)
    mine = record_for(platform, run_id="run-1")
    with pytest.raises(RolloutRefused, match=r"run-0 .* in progress over texas, utah; .*--resume run-0"):
        runner.run(mine)
    assert platform.calls_of("deploy") == [] and platform.calls_of("rollback") == []
    assert Records(platform.store).load("run-1").status == rec.REFUSED  # type: ignore[union-attr]
    # A rollout over other states is not held up.
    runner, _ = deploy_gate_runner(platform)
    assert runner.run(record_for(platform, ["vermont", "maine"], run_id="run-2")).ok


def test_of_two_rollouts_claiming_at_once_only_the_earlier_runs() -> None:
    """Both records are written before either looks: the later one yields, whatever order they look in."""
    platform = fleet()
    records = Records(platform.store)
    first = record_for(platform, ["ohio"], run_id="run-a")
    second = record_for(platform, ["ohio", "utah"], run_id="run-b")
    second.started = first.started.replace(first.started[-6:], "999999")
    first.status = second.status = rec.RUNNING
    records.save(first)
    records.save(second)
    assert records.blocking(first) == []
    assert [r.run_id for r in records.blocking(second)] == ["run-a"]


def test_a_finished_rollout_holds_nothing() -> None:
    platform = fleet()
    runner, _ = deploy_gate_runner(platform)
    runner.run(record_for(platform, ["ohio"], run_id="run-0"))
    runner, _ = deploy_gate_runner(platform)
    assert runner.run(record_for(platform, ["ohio"], run_id="run-1")).ok


def test_a_state_created_by_the_rollout_is_kept_not_rolled_back() -> None:
    platform = FakePlatform(versions={"vermont": None})
    platform.fail.add("vermont")
    current: dict[str, Version | None] = {"vermont": None}
    plan = make_plan(["vermont"], current, create_missing=True)
    record = new_record("run-1", "fake", NEW, plan, current, gate="deploy", rollback="wave")
    runner, _ = deploy_gate_runner(platform)
    runner.run(record)
    assert results(record) == {"vermont": rec.KEPT}
    assert platform.calls_of("rollback") == []
