"""The audit entries of record changes and PDF views, in one shape for the pages and the API.

An edit lists each field whose value changed with its old and new value (`{"fields": {"salary":
{"old": 52000, "new": 54000}}}`); a replaced PDF shows as `document_name`. A PDF view is recorded
before its link is handed out, so no document is seen unrecorded. A change's entry is built here and
written by the storage in one transaction with the change (service.py), so neither lands without the other.
"""

from __future__ import annotations

from typing import Any

from humangov.identity import audit_event, audit_put
from humangov.model import FIELDS, Record
from humangov.storage import AuditPut

TRACKED = (*FIELDS, "document_name")


def _values(record: Record) -> dict[str, Any]:
    data = record.to_json()
    return {name: data.get(name, getattr(record, name)) for name in TRACKED}


def created(record: Record) -> AuditPut:
    return audit_put("record.create", record.id, {"fields": _values(record), "version": record.version})


def edited(old: Record, new: Record, sent: Any) -> AuditPut:
    """Only the fields this request sent (`sent`) count: a concurrent writer's change of another field,
    merged by service.update, is that writer's entry, not this one's."""
    before, after = _values(old), _values(new)
    names = [name for name in FIELDS if name in sent and before[name] != after[name]]
    changed = {name: {"old": before[name], "new": after[name]} for name in names}
    if old.document != new.document:
        changed["document_name"] = {"old": before["document_name"], "new": after["document_name"]}
    return audit_put("record.edit", new.id, {"fields": changed, "version": new.version})


def deleted(old: Record) -> AuditPut:
    return audit_put("record.delete", old.id, {"fields": _values(old), "version": old.version})


def pdf_viewed(record: Record) -> None:
    audit_event("record.pdf_view", record.id, {"document_name": record.document_name})
