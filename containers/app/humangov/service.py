"""What a create, edit or delete does across the table and the bucket, in the order that leaves
neither an orphan object nor a record pointing at a missing file."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from humangov import schema
from humangov.model import Record, Upload
from humangov.storage import AuditPut, ConflictError, PreconditionFailed, Storage

log = logging.getLogger(__name__)

DELETE_TRIES = 4  # an audited delete without a version: read again this often when the record changes


class NotFoundError(Exception):
    """No record has this id."""


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def create(
    storage: Storage,
    fields: dict[str, Any],
    upload: Upload,
    *,
    audit: Callable[[Record], AuditPut] | None = None,
) -> Record:
    """The PDF first, then the record (with its audit entry, from `audit`, in one transaction); the PDF
    is removed if the record is not written."""
    record_id = uuid.uuid4().hex
    key = schema.document_key(record_id, uuid.uuid4().hex)
    storage.put_document(key, upload.body, upload.file_name)
    stamp = now()
    record = Record(
        id=record_id,
        document=key,
        document_name=upload.file_name,
        created_at=stamp,
        updated_at=stamp,
        version=1,
        **fields,
    )
    try:
        storage.create_record(record, **_audited(audit, record))
    except Exception:
        _remove(storage, key, "the record was not written")
        raise
    return record


def update(
    storage: Storage,
    record_id: str,
    fields: dict[str, Any],
    upload: Upload | None,
    *,
    expected_version: int | None = None,
    audit: Callable[[Record, Record], AuditPut] | None = None,
) -> Record:
    """New object first, then the record, then the old object: every step leaves a valid record.
    With `audit` (given the version replaced and the new one), the record and its audit entry are
    written in one transaction.

    The record is written only over the version it was computed from, so no concurrent change is lost.
    With `expected_version` (the API's If-Match, the edit form's version) that is the version the client
    saw: PreconditionFailed when the record is at another one. Without it, a write that lost a race is
    tried once more on a fresh read if the other write changed none of the fields this one changes (a
    role edit and a salary edit both land); otherwise ConflictError (409), and the caller may retry.
    """
    old = _existing(storage, record_id)
    if expected_version is not None and old.version != expected_version:
        raise PreconditionFailed(old)
    changes: dict[str, Any] = dict(fields)
    if upload is not None:
        changes["document"] = schema.document_key(record_id, uuid.uuid4().hex)
        changes["document_name"] = upload.file_name
        storage.put_document(changes["document"], upload.body, upload.file_name)
    try:
        replaced, new = _write(
            storage, old, changes, client_version=expected_version is not None, audit=audit
        )
    except Exception:
        if upload is not None:
            _remove(storage, changes["document"], "the record was not updated")
        raise
    if upload is not None:
        _remove(storage, replaced.document, "it was replaced")
    return new


def _write(
    storage: Storage,
    old: Record,
    changes: dict[str, Any],
    *,
    client_version: bool,
    audit: Callable[[Record, Record], AuditPut] | None = None,
) -> tuple[Record, Record]:
    """Write `changes` over `old` at its version; returns the version replaced and the new one."""
    merge = not client_version
    while True:
        new = replace(old, **changes, updated_at=now(), version=old.version + 1)
        try:
            storage.replace_record(new, expected_version=old.version, **_audited(audit, old, new))
            return old, new
        except ConflictError:
            current = _existing(storage, old.id)
            if client_version:
                raise PreconditionFailed(current) from None
            if not merge or any(getattr(current, name) != getattr(old, name) for name in changes):
                raise
            old, merge = current, False


def delete(
    storage: Storage,
    record_id: str,
    *,
    expected_version: int | None = None,
    audit: Callable[[Record], AuditPut] | None = None,
) -> Record:
    """Delete the record (only at `expected_version`, if given), then its PDF. With `audit` (given the
    record deleted), the record is read first and deleted at the version read, with its audit entry in
    one transaction (a change meanwhile: read again, unless the caller named the version)."""
    if audit is not None:
        return _delete_audited(storage, record_id, expected_version, audit)
    try:
        old = storage.delete_record(record_id, expected_version)
    except ConflictError:
        raise PreconditionFailed(_existing(storage, record_id)) from None
    if old is None:
        raise NotFoundError(record_id)
    _remove(storage, old.document, "its record was deleted")
    return old


def _delete_audited(
    storage: Storage, record_id: str, expected_version: int | None, audit: Callable[[Record], AuditPut]
) -> Record:
    for _ in range(DELETE_TRIES):
        old = _existing(storage, record_id)
        if expected_version is not None and old.version != expected_version:
            raise PreconditionFailed(old)
        try:
            storage.delete_record(record_id, old.version, audit=audit(old))
        except ConflictError:
            if expected_version is not None:
                raise PreconditionFailed(_existing(storage, record_id)) from None
            continue
        _remove(storage, old.document, "its record was deleted")
        return old
    raise ConflictError(f"record {record_id} kept changing; nothing was deleted")


def _audited(audit: Callable[..., AuditPut] | None, *records: Record) -> dict[str, AuditPut]:
    return {} if audit is None else {"audit": audit(*records)}


def _existing(storage: Storage, record_id: str) -> Record:
    record = storage.get_record(record_id)
    if record is None:
        raise NotFoundError(record_id)
    return record


def _remove(storage: Storage, key: str, why: str) -> None:
    # Best effort: the request's outcome is already decided; a leftover object is logged for clean-up.
    try:
        storage.delete_document(key)
    except Exception:
        log.exception("could not delete object %s after %s; delete it by hand", key, why)
