"""From locust's CSV files to per-mix figures, and from two runs (ours, baseline) to their ratios.

Pure: files in, dataclasses and JSON out, so every figure in bench.json is checked by unit tests on
canned CSV. Latencies are in milliseconds, as locust writes them; throughput is requests per second.
"""

from __future__ import annotations

import csv
import io
from dataclasses import asdict, dataclass, field
from typing import Any

from humangov_deploy.bench.mixes import MIX_NAMES
from humangov_deploy.errors import HumangovError

PERCENTILES = ("p50", "p95", "p99")
# Locust's column for each percentile we report.
_PERCENTILE_COLUMNS = {"p50": "50%", "p95": "95%", "p99": "99%"}
TOTAL = "Aggregated"


@dataclass(frozen=True)
class MixStats:
    """One mix (or the whole run) of one target."""

    requests: int
    failures: int
    rps: float
    p50: float
    p95: float
    p99: float

    @property
    def ok(self) -> int:
        return self.requests - self.failures

    @property
    def ok_rps(self) -> float:
        """Successful responses per second: the throughput that counts (a fast 503 serves no one)."""
        return round(self.rps * self.ok / self.requests, 3) if self.requests else 0.0


@dataclass(frozen=True)
class ErrorCount:
    mix: str
    error: str
    occurrences: int


@dataclass(frozen=True)
class RunResult:
    """One target's run: what it was, and locust's figures per mix."""

    target: str  # "ours" or "baseline"
    url: str
    config: str  # how its app was served, for the reader of bench.json
    mixes: dict[str, MixStats]
    total: MixStats
    errors: list[ErrorCount] = field(default_factory=list)

    @property
    def failures(self) -> int:
        return self.total.failures

    def to_json(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "url": self.url,
            "config": self.config,
            "mixes": {name: _stats_json(stats) for name, stats in self.mixes.items()},
            "total": _stats_json(self.total),
            "errors": [asdict(e) for e in self.errors],
        }


def _stats_json(stats: MixStats) -> dict[str, Any]:
    return {**asdict(stats), "ok_rps": stats.ok_rps}


class ResultsError(HumangovError):
    """Locust's output is missing or not what this parser knows: say which file and why."""


def _number(row: dict[str, str], column: str) -> float:
    raw = (row.get(column) or "").strip()
    if raw in ("", "N/A"):  # locust writes N/A for a percentile of no requests
        return 0.0
    try:
        return float(raw)
    except ValueError as exc:
        raise ResultsError(f"locust's stats: {column}={raw!r} is not a number") from exc


def _stats(row: dict[str, str]) -> MixStats:
    values = {p: _number(row, column) for p, column in _PERCENTILE_COLUMNS.items()}
    return MixStats(
        requests=int(_number(row, "Request Count")),
        failures=int(_number(row, "Failure Count")),
        rps=_number(row, "Requests/s"),
        **values,
    )


ZERO = MixStats(requests=0, failures=0, rps=0.0, p50=0.0, p95=0.0, p99=0.0)


def parse_stats(text: str) -> tuple[dict[str, MixStats], MixStats]:
    """Locust's `<prefix>_stats.csv`: a row per request name (our mixes) and the Aggregated row.

    Every mix gets a row (zero when locust never sent it), so a mix that did not run shows as 0, never
    as missing. A name that is not a mix means the locustfile and this module disagree: an error.
    """
    rows = list(csv.DictReader(io.StringIO(text)))
    if not rows or "Request Count" not in rows[0]:
        raise ResultsError("locust's stats CSV has no header with 'Request Count'")
    mixes: dict[str, MixStats] = dict.fromkeys(MIX_NAMES, ZERO)
    total: MixStats | None = None
    for row in rows:
        name = row.get("Name") or ""
        if name == TOTAL:
            total = _stats(row)
        elif name in mixes:
            mixes[name] = _stats(row)
        else:
            raise ResultsError(f"locust's stats name a request {name!r} that is no mix of {MIX_NAMES}")
    if total is None:
        raise ResultsError(f"locust's stats CSV has no {TOTAL} row")
    return mixes, total


def parse_failures(text: str) -> list[ErrorCount]:
    """Locust's `<prefix>_failures.csv`: one row per (mix, error message) with its count."""
    return [
        ErrorCount(row.get("Name") or "", row.get("Error") or "", int(_number(row, "Occurrences")))
        for row in csv.DictReader(io.StringIO(text))
    ]


def ratio(ours: float, baseline: float) -> float | None:
    """ours/baseline, or None when the baseline has nothing to divide by (no request of that mix)."""
    return round(ours / baseline, 3) if baseline > 0 else None


def ratios(ours: MixStats, baseline: MixStats) -> dict[str, float | None]:
    """Throughput ratio (above 1: we serve more) and latency ratios (below 1: we answer faster).

    Throughput counts successful responses only; latencies are locust's, over every response.
    """
    out = {"throughput": ratio(ours.ok_rps, baseline.ok_rps)}
    out.update({p: ratio(getattr(ours, p), getattr(baseline, p)) for p in PERCENTILES})
    return out


@dataclass(frozen=True)
class BenchReport:
    """A whole bench run: the settings, the machine, both targets, and ours/baseline per mix."""

    state: str
    platform: str
    duration: float
    concurrency: int
    machine: dict[str, Any]
    ours: RunResult
    baseline: RunResult

    def ratios(self) -> dict[str, dict[str, float | None]]:
        out = {name: ratios(self.ours.mixes[name], self.baseline.mixes[name]) for name in MIX_NAMES}
        out["total"] = ratios(self.ours.total, self.baseline.total)
        return out

    @property
    def errors(self) -> int:
        return self.ours.failures + self.baseline.failures

    def to_json(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "platform": self.platform,
            "duration_seconds": self.duration,
            "concurrency": self.concurrency,
            "machine": self.machine,
            "mixes": list(MIX_NAMES),
            "ours": self.ours.to_json(),
            "baseline": self.baseline.to_json(),
            "ratio_ours_to_baseline": self.ratios(),
        }

    def lines(self) -> list[str]:
        """The summary printed at the end: one line per mix and target, then the ratios."""
        out = [
            f"{'mix':<8} {'target':<9} {'requests':>8} {'errors':>6} {'req/s':>8} {'ok/s':>8} "
            f"{'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}"
        ]
        for name in (*MIX_NAMES, "total"):
            for run in (self.ours, self.baseline):
                s = run.total if name == "total" else run.mixes[name]
                out.append(
                    f"{name:<8} {run.target:<9} {s.requests:>8} {s.failures:>6} {s.rps:>8.1f} "
                    f"{s.ok_rps:>8.1f} "
                    f"{s.p50:>7.0f} {s.p95:>7.0f} {s.p99:>7.0f}"
                )
        total = self.ratios()["total"]
        out.append("ours/baseline, all mixes: " + ", ".join(f"{k} {_x(v)}" for k, v in total.items()))
        return out


def _x(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}x"
