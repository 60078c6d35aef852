"""What a create, edit or delete does across the table and the bucket, in the order that leaves
neither an orphan object nor a record pointing at a missing file."""

from __future__ import annotations

import logging
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from humangov import schema
from humangov.model import Record, Upload
from humangov.storage import Storage

log = logging.getLogger(__name__)


class NotFoundError(Exception):
    """No record has this id."""


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def create(storage: Storage, fields: dict[str, Any], upload: Upload) -> Record:
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
        **fields,
    )
    try:
        storage.create_record(record)
    except Exception:
        _remove(storage, key, "the record was not written")
        raise
    return record


def update(storage: Storage, record_id: str, fields: dict[str, Any], upload: Upload | None) -> Record:
    """New object first, then the record, then the old object: every step leaves a valid record."""
    old = storage.get_record(record_id)
    if old is None:
        raise NotFoundError(record_id)
    changes: dict[str, Any] = dict(fields, updated_at=now())
    if upload is not None:
        changes["document"] = schema.document_key(record_id, uuid.uuid4().hex)
        changes["document_name"] = upload.file_name
        storage.put_document(changes["document"], upload.body, upload.file_name)
    new = replace(old, **changes)
    try:
        storage.replace_record(new, expected_document=old.document)
    except Exception:
        if upload is not None:
            _remove(storage, new.document, "the record was not updated")
        raise
    if upload is not None:
        _remove(storage, old.document, "it was replaced")
    return new


def delete(storage: Storage, record_id: str) -> Record:
    old = storage.delete_record(record_id)
    if old is None:
        raise NotFoundError(record_id)
    _remove(storage, old.document, "its record was deleted")
    return old


def _remove(storage: Storage, key: str, why: str) -> None:
    # Best effort: the request's outcome is already decided; a leftover object is logged for clean-up.
    try:
        storage.delete_document(key)
    except Exception:
        log.exception("could not delete object %s after %s; delete it by hand", key, why)
