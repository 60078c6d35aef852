"""The small interface every view goes through to reach a state's table and bucket.

Views call `current_storage()` and never see boto3; tests hand `create_app` any object with these
methods (a failing one, a counting one) to prove what the views do around storage.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from flask import abort, current_app

from humangov.model import ID_PATTERN, Record

EXTENSION_KEY = "humangov.storage"

# An audit entry's PutItem arguments (audit.prepare): a write given one commits with it, or neither does.
AuditPut = dict[str, Any]


class StorageError(Exception):
    """The table or bucket did not answer as expected (the request fails with 503)."""


class ConflictError(StorageError):
    """The record changed or vanished between reading and writing it (HTTP 409)."""


class PreconditionFailed(ConflictError):
    """The record is no longer the version the client said it edits (If-Match, the form's version)."""

    def __init__(self, current: Record) -> None:
        super().__init__(f"record {current.id} is at version {current.version}")
        self.current = current


class BadCursorError(ValueError):
    """A page cursor that this app did not issue."""


@dataclass(frozen=True)
class Page:
    items: list[Record]
    # Opaque, url-safe token of the next page; None on the last page.
    next_cursor: str | None
    # Items DynamoDB read to build this page: bounded by the page size or search budget.
    read_count: int = 0


@dataclass(frozen=True)
class Readiness:
    table: bool
    bucket: bool
    audit_table: bool  # no change is made that could not be audited: not ready without it

    @property
    def ready(self) -> bool:
        return self.table and self.bucket and self.audit_table


class Storage(Protocol):
    def get_record(self, record_id: str) -> Record | None: ...

    def create_record(self, record: Record, audit: AuditPut | None = None) -> None:
        """Write a new record; ConflictError if the id exists. With `audit`, the record and its audit
        entry are written in one transaction: both or neither."""

    def replace_record(self, record: Record, expected_version: int, audit: AuditPut | None = None) -> None:
        """Overwrite an existing record still at `expected_version` (else ConflictError); `audit` as for
        create_record.

        `record.version` is what gets stored (the caller's expected_version + 1); version 0 means an
        item stored before versions existed, which has no version attribute.
        """

    def delete_record(
        self, record_id: str, expected_version: int | None = None, audit: AuditPut | None = None
    ) -> Record | None:
        """Remove a record and return what it was, or None if there was none.

        With `expected_version`, only if the record is still at that version (else ConflictError). With
        `audit` (and then an `expected_version`), the deletion and its audit entry are one transaction,
        and the answer is None (the caller read the record it deletes).
        """

    def list_records(self, limit: int, cursor_token: str | None) -> Page:
        """One page of records sorted by name; BadCursorError on a forged cursor."""

    def search_records(self, needle: str, limit: int, cursor_token: str | None) -> Page:
        """Up to `limit` records whose first or last name contains `needle`, case-insensitive."""

    def put_document(self, key: str, body: bytes, file_name: str) -> None: ...

    def delete_document(self, key: str) -> None: ...

    def document_url(self, key: str, file_name: str, expires_in: int) -> str: ...

    def readiness(self) -> Readiness: ...


def current_storage() -> Storage:
    """The storage of the app handling this request."""
    storage: Storage = current_app.extensions[EXTENSION_KEY]
    return storage


# Presigned document links expire after the 5 minutes the contract (README) gives them.
DOCUMENT_URL_SECONDS = 300


def record_or_404(record_id: str) -> Record:
    """The record with this id, or a 404 (an id that cannot exist costs no storage call)."""
    if not ID_PATTERN.match(record_id):
        abort(404)
    record = current_storage().get_record(record_id)
    if record is None:
        abort(404)
    return record
