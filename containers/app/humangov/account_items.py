"""What the accounts modules share about items and time: `now` as given, ISO stamps, keys, error codes.

Standard library only (the deploy library loads the accounts modules by path: accounts.py says why).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from . import schema

Now = datetime | Callable[[], datetime]

UPDATE_TRIES = 8  # optimistic writes retried when another task wrote the item in between


def at(now: Now) -> datetime:
    moment = now if isinstance(now, datetime) else now()
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def key(name: str) -> dict[str, Any]:
    return {schema.HASH_KEY: {"S": name}}


def error_code(exc: Exception) -> str:
    """The AWS error code of a botocore ClientError (these modules import no botocore), or ""."""
    response = getattr(exc, "response", None)
    return str((response or {}).get("Error", {}).get("Code", "")) if isinstance(response, dict) else ""
