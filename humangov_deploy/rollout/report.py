"""What a rollout prints at the end: a table (state, from, to, result, time) or the same as JSON."""

from __future__ import annotations

from typing import Any

from humangov_deploy.rollout.plan import Plan
from humangov_deploy.rollout.record import SKIPPED, RolloutRecord, StateOutcome

HEADERS = ("state", "from", "to", "result", "time")


def rows(record: RolloutRecord) -> list[tuple[str, str, str, str, str]]:
    def row(o: StateOutcome) -> tuple[str, str, str, str, str]:
        before = o.from_version.tag if o.from_version else "-"
        return (o.state, before, record.version.tag, o.result, f"{o.seconds:.1f}s")

    return [row(o) for o in record.outcomes.values()]


def table(lines: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(str(r[i])) for r in lines) for i in range(len(lines[0]))]
    return ["  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in lines]


def summary_lines(record: RolloutRecord) -> list[str]:
    head = f"rollout {record.run_id} on {record.platform}: {record.status}, version {record.version.tag}"
    body = table([HEADERS, *rows(record)]) if record.outcomes else ["(no states)"]
    failed = [o for o in record.outcomes.values() if o.result != "done" and o.reason]
    return [head, *body, *(f"  {o.state}: {o.reason}" for o in failed)]


def plan_lines(record: RolloutRecord) -> list[str]:
    """`--dry-run`: the plan, each state's version now and what it would get; nothing is changed."""
    skipped = {o.state: o.reason for o in record.outcomes.values() if o.result == SKIPPED}
    plan = Plan(waves=tuple(tuple(w) for w in record.waves), skipped=skipped)
    out = [f"dry run: rollout of {record.version.tag} ({record.version.app}) on {record.platform}"]
    out += plan.lines()
    out += table([HEADERS[:3], *((r[0], r[1], r[2]) for r in rows(record))])
    return out


def to_json(record: RolloutRecord, *, dry_run: bool = False) -> dict[str, Any]:
    data = record.to_json()
    data["dry_run"] = dry_run
    return data
