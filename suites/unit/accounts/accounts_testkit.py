"""The app's accounts/audit modules (loaded as the library loads them) on moto tables, and a movable clock."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3

from humangov_deploy import appsrc
from humangov_deploy.users import accounts, audit

STATE = "delaware"
SCHEMA = appsrc.schema()
TABLE = SCHEMA.table_name(STATE)
AUDIT_TABLE = SCHEMA.audit_table_name(STATE)
START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
PASSWORD = "correct horse battery"

acc = accounts()
aud = audit()


@dataclass
class Clock:
    """`now` for accounts/audit: a datetime that moves only when a test says so."""

    at: datetime = START

    def __call__(self) -> datetime:
        return self.at

    def advance(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)


def client() -> Any:
    """A new low-level client: one per app "task" (each task has its own)."""
    return boto3.client("dynamodb", region_name="us-east-1")


def make_tables() -> Any:
    """The state's records and audit tables, new and empty (whatever an earlier test left), and a client.

    Making two tables again costs milliseconds in moto; a new `mock_aws` per test costs several times that.
    """
    dynamodb = client()
    for name in (TABLE, AUDIT_TABLE):
        with suppress(dynamodb.exceptions.ResourceNotFoundException):
            dynamodb.delete_table(TableName=name)
    dynamodb.create_table(**SCHEMA.create_table_kwargs(TABLE))
    dynamodb.create_table(**SCHEMA.create_audit_table_kwargs(AUDIT_TABLE))
    return dynamodb


def all_items(dynamodb: Any, table: str = TABLE) -> Iterator[dict[str, Any]]:
    yield from dynamodb.scan(TableName=table)["Items"]
