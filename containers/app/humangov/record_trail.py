"""The audit entries of record changes and PDF views, in one shape for the pages and the API.

An edit lists each field whose value changed with its old and new value (`{"fields": {"salary":
{"old": 52000, "new": 54000}}}`); a replaced PDF shows as `document_name`. A PDF view is recorded
before its link is handed out, so no document is seen unrecorded.
"""

from __future__ import annotations

from typing import Any

from humangov.identity import audit_event
from humangov.model import FIELDS, Record

TRACKED = (*FIELDS, "document_name")


def _values(record: Record) -> dict[str, Any]:
    data = record.to_json()
    return {name: data.get(name, getattr(record, name)) for name in TRACKED}


def created(record: Record) -> None:
    audit_event("record.create", record.id, {"fields": _values(record), "version": record.version})


def edited(old: Record, new: Record, sent: Any) -> None:
    """Only the fields this request sent (`sent`) count: a concurrent writer's change of another field,
    merged by service.update, is that writer's entry, not this one's."""
    before, after = _values(old), _values(new)
    names = [name for name in FIELDS if name in sent and before[name] != after[name]]
    changed = {name: {"old": before[name], "new": after[name]} for name in names}
    if old.document != new.document:
        changed["document_name"] = {"old": before["document_name"], "new": after["document_name"]}
    audit_event("record.edit", new.id, {"fields": changed, "version": new.version})


def deleted(old: Record) -> None:
    audit_event("record.delete", old.id, {"fields": _values(old), "version": old.version})


def pdf_viewed(record: Record) -> None:
    audit_event("record.pdf_view", record.id, {"document_name": record.document_name})
