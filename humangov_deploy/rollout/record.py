"""A rollout's record: its plan, its target version and each state's outcome, kept in the platform's store.

The record is what makes a rollout resumable from any runner (`--resume RUN_ID`) and what refuses a second
rollout over the same states while one is in progress. A running record is held as a lease: its runner
writes a heartbeat every third of `lease` seconds; once the heartbeat is older than the lease, the runner
is taken for dead, `--resume` takes the record over and `humangov rollout abandon` ends it. It is stored
as compressed JSON text, so a 50-state record fits the few kilobytes an SSM parameter holds.
"""

from __future__ import annotations

import base64
import json
import secrets
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from humangov_deploy.errors import ConfigError, HumangovError
from humangov_deploy.platforms.base import RecordStore, Version

# A record's status: new (not yet claimed), running (a runner owns it, or died owning it), done, halted
# (a state failed), refused (another rollout over the same states was in progress).
NEW, RUNNING, HALTED, REFUSED, ABANDONED = "new", "running", "halted", "refused", "abandoned"
# A state's result (DONE is also a finished record's status). Only DONE means "on the new version"; a
# resume runs every state that is not DONE again.
DONE, PENDING, DEPLOYING, FAILED, CANCELLED = "done", "pending", "deploying", "failed", "cancelled"
ROLLED_BACK, ROLLBACK_FAILED, KEPT = "rolled-back", "rollback-failed", "kept"
SKIPPED = "skipped"
LEASE_SECONDS = 300.0  # a runner silent this long is taken for dead (it beats every third of it)
TEXT_PREFIX = "z1:"  # zlib + base64 of compact JSON; the prefix names the encoding


class RolloutRefused(HumangovError):
    """Another rollout over some of the same states is in progress."""


@dataclass
class StateOutcome:
    state: str
    wave: int  # 0 = the canary; -1 = skipped (not in any wave)
    from_version: Version | None = None
    result: str = PENDING
    reason: str = ""
    seconds: float = 0.0

    @property
    def moved(self) -> bool:
        """The state was given the new version in this rollout (deployed, or its deploy began and failed)."""
        return self.result in (DONE, FAILED)

    def to_json(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "wave": self.wave,
            "from": self.from_version.to_json() if self.from_version else None,
            "result": self.result,
            "reason": self.reason,
            "seconds": round(self.seconds, 1),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> StateOutcome:
        return cls(
            state=str(data["state"]),
            wave=int(data["wave"]),
            from_version=Version.from_json(data["from"]) if data.get("from") else None,
            result=str(data["result"]),
            reason=str(data.get("reason") or ""),
            seconds=float(data.get("seconds") or 0.0),
        )


@dataclass
class RolloutRecord:
    run_id: str
    platform: str
    version: Version
    waves: list[list[str]]
    started: str  # ISO 8601 UTC: with the run id, the order in which overlapping rollouts yield
    status: str = NEW
    owner: str = ""  # host and process of the runner that last claimed it (for the refusal message)
    gate: str = "verify"
    rollback: str = "wave"
    outcomes: dict[str, StateOutcome] = field(default_factory=dict)
    heartbeat: str = ""  # ISO 8601 UTC: the holding runner's last sign of life
    lease: float = LEASE_SECONDS

    def lease_ends(self) -> datetime | None:
        return (
            datetime.fromisoformat(self.heartbeat) + timedelta(seconds=self.lease) if self.heartbeat else None
        )

    def held(self, now: datetime) -> bool:
        """Running, and its runner beat within the lease (a record without a heartbeat is held by no one)."""
        ends = self.lease_ends()
        return self.status == RUNNING and ends is not None and now < ends

    @property
    def states(self) -> list[str]:
        return list(self.outcomes)

    @property
    def planned(self) -> list[str]:
        return [s for wave in self.waves for s in wave]

    @property
    def ok(self) -> bool:
        """Every state ended on the new version (a skipped state did not)."""
        return bool(self.outcomes) and all(o.result == DONE for o in self.outcomes.values())

    def to_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "platform": self.platform,
            "status": self.status,
            "started": self.started,
            "owner": self.owner,
            "gate": self.gate,
            "rollback": self.rollback,
            "version": self.version.to_json(),
            "waves": self.waves,
            "states": [o.to_json() for o in self.outcomes.values()],
            "ok": self.ok,
            "heartbeat": self.heartbeat,
            "lease": self.lease,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RolloutRecord:
        outcomes = [StateOutcome.from_json(o) for o in data.get("states", [])]
        return cls(
            run_id=str(data["run_id"]),
            platform=str(data["platform"]),
            version=Version.from_json(data["version"]),
            waves=[list(w) for w in data.get("waves", [])],
            started=str(data["started"]),
            status=str(data.get("status") or RUNNING),
            owner=str(data.get("owner") or ""),
            gate=str(data.get("gate") or "verify"),
            rollback=str(data.get("rollback") or "wave"),
            outcomes={o.state: o for o in outcomes},
            heartbeat=str(data.get("heartbeat") or ""),
            lease=float(data.get("lease") or LEASE_SECONDS),
        )

    def to_text(self) -> str:
        raw = json.dumps(self.to_json(), separators=(",", ":"), sort_keys=True).encode()
        return TEXT_PREFIX + base64.b64encode(zlib.compress(raw, 9)).decode()

    @classmethod
    def from_text(cls, text: str) -> RolloutRecord:
        if not text.startswith(TEXT_PREFIX):
            raise ConfigError(f"not a rollout record (unknown encoding {text[:8]!r})")
        return cls.from_json(json.loads(zlib.decompress(base64.b64decode(text[len(TEXT_PREFIX) :]))))

    def precedes(self, other: RolloutRecord) -> bool:
        return (self.started, self.run_id) < (other.started, other.run_id)


def new_rollout_id(now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    return f"rollout-{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


class Records:
    """The rollout's view of a platform's store: typed records, and the claim that refuses overlaps."""

    def __init__(self, store: RecordStore, now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.store = store
        self.now = now

    def load(self, run_id: str) -> RolloutRecord | None:
        text = self.store.get(run_id)
        return RolloutRecord.from_text(text) if text else None

    def save(self, record: RolloutRecord) -> None:
        self.store.put(record.run_id, record.to_text())

    def every(self) -> list[RolloutRecord]:
        found = []
        for text in self.store.all().values():
            try:
                found.append(RolloutRecord.from_text(text))
            except (ConfigError, ValueError, KeyError, zlib.error):
                continue  # a record this version cannot read is no rollout it can resume or yield to
        return sorted(found, key=lambda r: (r.started, r.run_id))

    def blocking(self, record: RolloutRecord) -> list[RolloutRecord]:
        """Running rollouts over any of `record`'s states that came first (they win; `record` yields)."""
        mine = set(record.planned)
        return [
            other
            for other in self.every()
            if other.run_id != record.run_id
            and other.status == RUNNING
            and mine & set(other.planned)
            and other.precedes(record)
        ]

    def claim(self, record: RolloutRecord, owner: str) -> None:
        """Write the record as running, then look: of overlapping running rollouts, the earliest runs.

        Write-then-read makes two rollouts that start at the same moment see each other: each one's
        record is stored before either looks, and both agree on which came first, so exactly one runs.
        """
        stored = self.load(record.run_id)
        if stored is not None and stored.held(self.now()) and stored.owner != owner:
            raise RolloutRefused(
                f"rollout {record.run_id} is held by {stored.owner or 'another runner'} (its last heartbeat "
                f"{stored.heartbeat}); its lease runs out at {_when(stored.lease_ends())}: resume it then"
            )
        previous = record.status
        record.status, record.owner = RUNNING, owner
        record.heartbeat = self.now().isoformat(timespec="microseconds")
        self.save(record)
        ahead = self.blocking(record)
        if ahead:
            record.status = REFUSED if previous == NEW else previous
            self.save(record)
            first = ahead[0]
            shared = sorted(set(first.planned) & set(record.planned))
            if first.held(self.now()):
                then = f"wait for it, or resume it with --resume {first.run_id}"
            else:
                then = (
                    f"its runner has been silent since {first.heartbeat or 'it started'} (lease run out): "
                    f"take it over with --resume {first.run_id}, or end it with "
                    f"`humangov rollout abandon {first.run_id}`"
                )
            raise RolloutRefused(
                f"rollout {first.run_id} (started {first.started} by {first.owner or 'unknown'}) is in "
                f"progress over {', '.join(shared)}; {then}"
            )

    def beat(self, record: RolloutRecord) -> None:
        """The holding runner's sign of life (the caller serialises it with its other saves)."""
        record.heartbeat = self.now().isoformat(timespec="microseconds")
        self.save(record)

    def abandon(self, run_id: str, current: Callable[[str], Version | None], by: str) -> RolloutRecord:
        """End a rollout whose runner died: no state is touched; the record says which version each of its
        unfinished states was left on. Refused while a live runner holds it."""
        record = self.load(run_id)
        if record is None:
            raise ConfigError(f"no rollout {run_id}")
        if record.status != RUNNING:
            raise ConfigError(f"rollout {run_id} is {record.status}: only a running one can be abandoned")
        if record.held(self.now()):
            raise RolloutRefused(
                f"rollout {run_id} is held by a live runner ({record.owner or 'unknown'}, last heartbeat "
                f"{record.heartbeat}); its lease runs out at {_when(record.lease_ends())}"
            )
        for outcome in record.outcomes.values():
            if outcome.result in (PENDING, DEPLOYING):
                version = current(outcome.state)
                outcome.result = ABANDONED
                outcome.reason = f"abandoned by {by}: left on {version.tag if version else 'no version'}"
        record.status = ABANDONED
        self.save(record)
        return record

    def last_for(self, state: str) -> RolloutRecord | None:
        """The newest rollout that had `state` in its plan (for `status --all`)."""
        found = [r for r in self.every() if state in r.outcomes]
        return found[-1] if found else None


def _when(moment: datetime | None) -> str:
    return moment.isoformat(timespec="seconds") if moment else "?"
