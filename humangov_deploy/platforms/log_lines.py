"""One log line of a state's task, as `humangov logs` shows it on both platforms, and what they share:
merging by time, the `--since` window, the `--request-id` filter."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from humangov_deploy.errors import ConfigError

_SINCE = re.compile(r"^(\d+)([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
MAX_SINCE = timedelta(days=30)


@dataclass(frozen=True, order=True)
class LogLine:
    time: datetime  # UTC
    task: str
    container: str  # app or nginx
    message: str

    def __str__(self) -> str:
        stamp = self.time.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        return f"{stamp} {self.task} {self.container:<5} {self.message}"

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "time": self.time.astimezone(UTC).isoformat()}


def parse_since(text: str, now: datetime) -> datetime:
    """`10m`, `2h`, `1d`, `30s`: that long before `now` (at most 30 days)."""
    found = _SINCE.fullmatch(text.strip())
    if not found:
        raise ConfigError(f"--since takes a duration such as 30s, 10m, 2h or 1d, not {text!r}")
    span = timedelta(**{_UNITS[found[2]]: int(found[1])})
    if span > MAX_SINCE:
        raise ConfigError(f"--since is at most 30d, not {text}")
    return now - span


def merged(lines: Iterable[LogLine], request_id: str | None = None) -> list[LogLine]:
    """By time (then task and container), only those naming `request_id` when one is given."""
    wanted = request_id.strip() if request_id else None
    if wanted is not None and not re.fullmatch(r"[A-Za-z0-9-]{8,64}", wanted):
        raise ConfigError(
            f"--request-id takes the id of a request (8 to 64 letters, digits or -), not {request_id!r}"
        )
    return sorted(line for line in lines if wanted is None or wanted in line.message)
