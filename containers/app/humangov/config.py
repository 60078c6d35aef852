"""Settings of one running app, read once from the environment (names from the seed).

Every problem stops startup with a SettingsError that names the variable, so a task that would
misbehave (or write to another state's data) never starts serving.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from humangov import schema, states

MIN_SECRET_KEY_LENGTH = 16
DEFAULT_MAX_UPLOAD_MB = 10
MAX_MAX_UPLOAD_MB = 100

_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")
_TABLE = re.compile(r"^[A-Za-z0-9_.-]{3,255}$")
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_ASCII_NUMBER = re.compile(r"[0-9]{1,9}")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


class SettingsError(Exception):
    """A missing or malformed setting; the message starts with the variable's name."""

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"{variable}: {problem}")
        self.variable = variable


@dataclass(frozen=True)
class Settings:
    us_state: str
    aws_region: str
    table: str
    bucket: str
    endpoint_url: str | None
    secret_key: str | None
    max_upload_mb: int
    testing: bool

    @property
    def max_upload_bytes(self) -> int:
        return self.max_upload_mb * 1024 * 1024


def load_settings(env: Mapping[str, Any]) -> Settings:
    """Validate the settings in `env` (os.environ or a test's mapping)."""
    testing = _flag(env, "TESTING")
    us_state = _required(env, "US_STATE").lower()
    if not states.is_state(us_state):
        raise SettingsError("US_STATE", f"{us_state!r} is not a US state slug (e.g. california, new-york)")

    region = _required(env, "AWS_REGION")
    if not _REGION.match(region):
        raise SettingsError("AWS_REGION", f"{region!r} is not an AWS region name (e.g. us-east-1)")

    # A silo tenant's app must never point at another state's data: the names carry the state.
    table = _required(env, "AWS_DYNAMODB_TABLE")
    if not _TABLE.match(table):
        raise SettingsError("AWS_DYNAMODB_TABLE", f"{table!r} is not a valid DynamoDB table name")
    if table != schema.table_name(us_state):
        raise SettingsError(
            "AWS_DYNAMODB_TABLE", f"{table!r} is not {us_state}'s table {schema.table_name(us_state)!r}"
        )

    bucket = _required(env, "AWS_BUCKET")
    if not _BUCKET.match(bucket):
        raise SettingsError("AWS_BUCKET", f"{bucket!r} is not a valid S3 bucket name")
    if not bucket.startswith(schema.bucket_prefix(us_state)):
        raise SettingsError(
            "AWS_BUCKET", f"{bucket!r} is not one of {us_state}'s buckets ({schema.bucket_prefix(us_state)}*)"
        )

    endpoint_url = str(env.get("AWS_ENDPOINT_URL") or "").strip() or None
    if endpoint_url is not None:
        parts = urlsplit(endpoint_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise SettingsError("AWS_ENDPOINT_URL", f"{endpoint_url!r} is not an http(s) URL")

    secret_key = str(env.get("SECRET_KEY") or "") or None
    if secret_key is None and not testing:
        raise SettingsError("SECRET_KEY", "missing; every task of a state must share one secret key")
    if secret_key is not None and len(secret_key) < MIN_SECRET_KEY_LENGTH:
        raise SettingsError("SECRET_KEY", f"too short; use at least {MIN_SECRET_KEY_LENGTH} characters")

    return Settings(
        us_state=us_state,
        aws_region=region,
        table=table,
        bucket=bucket,
        endpoint_url=endpoint_url,
        secret_key=secret_key,
        max_upload_mb=_max_upload_mb(env),
        testing=testing,
    )


def _required(env: Mapping[str, Any], name: str) -> str:
    value = str(env.get(name) or "").strip()
    if not value:
        raise SettingsError(name, "missing; set it in the environment")
    return value


def _flag(env: Mapping[str, Any], name: str) -> bool:
    raw = env.get(name)
    if isinstance(raw, bool):
        return raw
    text = str(raw or "").strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise SettingsError(name, f"{raw!r} is not a boolean (use 1 or 0)")


def _max_upload_mb(env: Mapping[str, Any]) -> int:
    raw = str(env.get("MAX_UPLOAD_MB") or "").strip()
    if not raw:
        return DEFAULT_MAX_UPLOAD_MB
    # ASCII digits only: str.isdigit() also accepts "²", which int() refuses with a ValueError.
    if not _ASCII_NUMBER.fullmatch(raw) or not 1 <= int(raw) <= MAX_MAX_UPLOAD_MB:
        raise SettingsError("MAX_UPLOAD_MB", f"{raw!r} is not a whole number from 1 to {MAX_MAX_UPLOAD_MB}")
    return int(raw)
