"""Run a rollout: the canary, then each wave with at most P deploys at once; halt and roll back.

Halt: the first state whose deploy or gate fails stops the rollout; no new state starts, and the states
already deploying finish. Rollback: every state of the failed wave that moved returns to the version it
ran before and passes the gate again; earlier waves keep the new version unless `rollback="all"`.
The runner drives only the Platform interface; every transition is one progress line and a record save.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime

from humangov_deploy.platforms.base import Platform, Version
from humangov_deploy.rollout import record as rec
from humangov_deploy.rollout.plan import Plan
from humangov_deploy.rollout.record import Records, RolloutRecord, StateOutcome

GATES = ("verify", "deploy")
ROLLBACK_SCOPES = ("wave", "all")
Gate = Callable[[Platform, str], tuple[bool, str]]
Say = Callable[[str], None]


def verify_gate(platform: Platform, state: str) -> tuple[bool, str]:
    """The `verify` gate: the state's end-to-end check through its load balancer must pass."""
    from humangov_deploy.verify import verify  # the HTTP checks; the `deploy` gate never needs them

    report = verify(platform, state, progress=lambda _m: None)
    failed = [f"{c.name}: {c.detail}" for c in report.checks if not c.ok]
    return report.ok, "verify passed" if report.ok else "verify failed: " + "; ".join(failed[:3])


def deploy_gate(platform: Platform, state: str) -> tuple[bool, str]:
    """The `deploy` gate: the deploy's own wait passed (for emulators such as moto, where verify cannot)."""
    return True, "deploy's wait passed"


def new_record(
    run_id: str,
    platform: str,
    version: Version,
    plan: Plan,
    current: dict[str, Version | None],
    *,
    gate: str,
    rollback: str,
    now: datetime | None = None,
) -> RolloutRecord:
    outcomes: dict[str, StateOutcome] = {}
    for index, wave in enumerate(plan.waves):
        for state in wave:
            outcomes[state] = StateOutcome(state, index, current.get(state))
    for state, why in plan.skipped.items():
        outcomes[state] = StateOutcome(state, -1, current.get(state), rec.SKIPPED, why)
    return RolloutRecord(
        run_id=run_id,
        platform=platform,
        version=version,
        waves=[list(w) for w in plan.waves],
        started=(now or datetime.now(UTC)).isoformat(timespec="microseconds"),
        gate=gate,
        rollback=rollback,
        outcomes=outcomes,
    )


def runner_identity() -> str:
    return f"{socket.gethostname()} pid {os.getpid()}"


@dataclass
class Runner:
    platform: Platform
    records: Records
    max_parallel: int = 4
    timeout: float = 1200.0  # each state's deploy (and each rollback)
    gate: Gate = verify_gate
    say: Say = print
    clock: Callable[[], float] = time.monotonic
    # How the heartbeat waits between beats (an Event's wait: True once the run is over); tests script it.
    wait: Callable[[threading.Event, float], bool] = threading.Event.wait

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._halt = threading.Event()
        self._over = threading.Event()
        self._started = self.clock()

    # --- the run ---------------------------------------------------------------------------------------

    def run(self, record: RolloutRecord) -> RolloutRecord:
        """Claim the record (refused if another rollout over its states is in progress), then roll out."""
        self.records.claim(record, runner_identity())
        self._line(f"rollout {record.run_id}: {record.version.tag} to {len(record.planned)} state(s)")
        heart = threading.Thread(
            target=self._heartbeat, args=(record,), name="rollout-heartbeat", daemon=True
        )
        heart.start()
        try:
            for index, wave in enumerate(record.waves):
                todo = [s for s in wave if record.outcomes[s].result != rec.DONE]
                if not todo:
                    continue
                self._run_wave(record, index, todo)
                if self._halt.is_set():
                    self._roll_back(record, self._to_roll_back(record, index))
                    return self._finish(record, rec.HALTED)
            return self._finish(record, rec.DONE)
        finally:
            self._over.set()
            heart.join()

    def _heartbeat(self, record: rec.RolloutRecord) -> None:
        """Renew the lease every third of it while the rollout runs (a deploy can take many minutes)."""
        while not self.wait(self._over, record.lease / 3):
            with self._lock:
                if record.status == rec.RUNNING:
                    self.records.beat(record)

    def _run_wave(self, record: RolloutRecord, index: int, states: list[str]) -> None:
        with ThreadPoolExecutor(max_workers=max(1, min(self.max_parallel, len(states)))) as pool:
            # list(): wait for every submitted state; a state queued after the halt only records it.
            list(pool.map(lambda s: self._deploy_one(record, index, s), states))

    def _deploy_one(self, record: RolloutRecord, index: int, state: str) -> None:
        outcome = record.outcomes[state]
        if self._halt.is_set():
            self._set(record, outcome, rec.CANCELLED, "not started: the rollout halted")
            return
        started = self.clock()
        wave = "canary" if index == 0 else f"wave {index}"
        self._set(record, outcome, rec.DEPLOYING, f"{wave}, from {_tag(outcome.from_version)}")
        try:
            self.platform.deploy_version(
                state, record.version, timeout=self.timeout, progress=lambda _m: None
            )
            ok, detail = self.gate(self.platform, state)
        except Exception as exc:  # any failure of a state halts the rollout, whatever raised it
            ok, detail = False, f"deploy failed: {type(exc).__name__}: {exc}"
        outcome.seconds = self.clock() - started
        if not ok:
            self._halt.set()
        self._set(record, outcome, rec.DONE if ok else rec.FAILED, detail)

    # --- rollback --------------------------------------------------------------------------------------

    def _to_roll_back(self, record: RolloutRecord, failed_wave: int) -> list[StateOutcome]:
        waves = range(failed_wave + 1) if record.rollback == "all" else [failed_wave]
        return [record.outcomes[s] for w in waves for s in record.waves[w] if record.outcomes[s].moved]

    def _roll_back(self, record: RolloutRecord, outcomes: Iterable[StateOutcome]) -> None:
        todo = list(outcomes)
        if not todo:
            return
        with ThreadPoolExecutor(max_workers=max(1, min(self.max_parallel, len(todo)))) as pool:
            list(pool.map(lambda o: self._roll_back_one(record, o), todo))

    def _roll_back_one(self, record: RolloutRecord, outcome: StateOutcome) -> None:
        before = outcome.from_version
        if before is None:
            why = f"{outcome.reason}; kept: it ran no version before (--create-missing)"
            self._set(record, outcome, rec.KEPT, why)
            return
        self._line(f"{outcome.state}: rolling back to {before.tag}")
        try:
            self.platform.rollback(outcome.state, before, timeout=self.timeout, progress=lambda _m: None)
            ok, detail = self.gate(self.platform, outcome.state)
        except Exception as exc:  # reported per state; the other rollbacks go on
            ok, detail = False, f"{type(exc).__name__}: {exc}"
        result = rec.ROLLED_BACK if ok else rec.ROLLBACK_FAILED
        self._set(record, outcome, result, f"{outcome.reason}; rollback: {detail}")

    # --- record and progress ---------------------------------------------------------------------------

    def _set(self, record: RolloutRecord, outcome: StateOutcome, result: str, reason: str) -> None:
        with self._lock:
            outcome.result, outcome.reason = result, reason
            self._line(f"{outcome.state}: {result} ({reason})")
            self.records.save(record)

    def _finish(self, record: RolloutRecord, status: str) -> RolloutRecord:
        with self._lock:
            record.status = status
            self.records.save(record)
        self._line(f"rollout {record.run_id}: {status}")
        return record

    def _line(self, text: str) -> None:
        self.say(f"[{self.clock() - self._started:7.1f}s] {text}")


def _tag(version: Version | None) -> str:
    return version.tag if version else "nothing"
