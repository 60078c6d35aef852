"""The record service's order of writes, pinned step by step where `tox -e mutants` found it loose.

A recording storage shows every call in order; ids, object versions and the clock are fixed, so each test
states the exact record written and the exact object keys put and removed, on success and on failure.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from humangov import service
from humangov.model import Record, Upload
from humangov.storage import ConflictError, PreconditionFailed, StorageError

STAMP = "2026-11-26T17:00:00Z"
FIELDS: dict[str, Any] = {
    "first_name": "Ada",
    "last_name": "Lovelace",
    "role": "Engineer",
    "salary": Decimal(10),
}


class Storage:
    """Records the calls; a method named in `fail` raises that exception instead.

    `existing` (what get_record returns) and each `fail` value may be lists: one entry per call, in turn
    (None: that call succeeds).
    """

    def __init__(
        self,
        existing: Record | list[Record | None] | None = None,
        **fail: Exception | list[Exception | None],
    ) -> None:
        self.existing, self.fail = existing, fail
        self.calls: list[tuple[Any, ...]] = []

    def _call(self, name: str, *args: Any) -> None:
        self.calls.append((name, *args))
        failure = self.fail.get(name)
        if isinstance(failure, list):
            failure = failure.pop(0)
        if failure is not None:
            raise failure

    def put_document(self, key: str, body: bytes, file_name: str) -> None:
        self._call("put_document", key, body, file_name)

    def delete_document(self, key: str) -> None:
        self._call("delete_document", key)

    def create_record(self, record: Record) -> None:
        self._call("create_record", record)

    def get_record(self, record_id: str) -> Record | None:
        self._call("get_record", record_id)
        return self.existing.pop(0) if isinstance(self.existing, list) else self.existing

    def replace_record(self, record: Record, expected_version: int) -> None:
        self._call("replace_record", record, expected_version)

    def delete_record(self, record_id: str, expected_version: int | None = None) -> Record | None:
        self._call("delete_record", record_id, expected_version)
        assert not isinstance(self.existing, list)
        return self.existing


@pytest.fixture(autouse=True)
def _fixed(monkeypatch: pytest.MonkeyPatch) -> None:
    ids = iter(uuid.UUID(int=n) for n in range(1, 100))
    monkeypatch.setattr(service.uuid, "uuid4", lambda: next(ids))
    monkeypatch.setattr(service, "now", lambda: STAMP)


def hex_id(n: int) -> str:
    return uuid.UUID(int=n).hex


OLD = Record(
    "r1", "Old", "Name", "Clerk", Decimal(5), "documents/r1/v0.pdf", "old.pdf", "2026-01-01T00:00:00Z", "x", 4
)
PDF = Upload(b"%PDF-new", "new.pdf")


def test_now_is_utc_to_the_second(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.undo()  # the real service.now
    seen: list[Any] = []

    class Clock(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> Any:  # type: ignore[override]
            seen.append(tz)
            return datetime(2026, 11, 26, 18, 30, 5, 999, tzinfo=timezone(timedelta(hours=1))).astimezone(tz)

    monkeypatch.setattr(service, "datetime", Clock)
    assert service.now() == "2026-11-26T17:30:05Z" and seen == [UTC]


def test_create_writes_the_object_then_the_record() -> None:
    storage = Storage()

    record = service.create(storage, dict(FIELDS), PDF)

    key = f"documents/{hex_id(1)}/{hex_id(2)}.pdf"
    assert record == Record(
        hex_id(1), "Ada", "Lovelace", "Engineer", Decimal(10), key, "new.pdf", STAMP, STAMP, version=1
    )
    assert storage.calls == [("put_document", key, b"%PDF-new", "new.pdf"), ("create_record", record)]


def test_a_record_that_cannot_be_written_takes_its_object_with_it() -> None:
    storage = Storage(create_record=ConflictError("exists"))

    with pytest.raises(ConflictError, match="exists"):
        service.create(storage, dict(FIELDS), PDF)

    key = f"documents/{hex_id(1)}/{hex_id(2)}.pdf"
    assert storage.calls[-1] == ("delete_document", key)


def test_an_object_that_cannot_be_removed_is_logged_and_the_first_error_stands(
    caplog: pytest.LogCaptureFixture,
) -> None:
    storage = Storage(create_record=ConflictError("exists"), delete_document=StorageError("s3 down"))

    with caplog.at_level(logging.ERROR, logger="humangov.service"), pytest.raises(ConflictError):
        service.create(storage, dict(FIELDS), PDF)

    key = f"documents/{hex_id(1)}/{hex_id(2)}.pdf"
    (entry,) = caplog.records
    assert (
        entry.getMessage()
        == f"could not delete object {key} after the record was not written; delete it by hand"
    )
    assert entry.exc_info is not None and isinstance(entry.exc_info[1], StorageError)


def test_an_update_with_a_new_pdf_puts_it_replaces_the_record_then_removes_the_old_one() -> None:
    storage = Storage(existing=OLD)

    new = service.update(storage, "r1", {"role": "Lead"}, PDF)

    key = f"documents/r1/{hex_id(1)}.pdf"
    assert new == Record("r1", "Old", "Name", "Lead", Decimal(5), key, "new.pdf", OLD.created_at, STAMP, 5)
    assert storage.calls == [
        ("get_record", "r1"),
        ("put_document", key, b"%PDF-new", "new.pdf"),
        ("replace_record", new, 4),
        ("delete_document", OLD.document),
    ]


def test_an_update_without_a_pdf_touches_no_object() -> None:
    storage = Storage(existing=OLD)

    new = service.update(storage, "r1", {"salary": Decimal(7)}, None)

    assert new == Record(
        "r1", "Old", "Name", "Clerk", Decimal(7), OLD.document, "old.pdf", OLD.created_at, STAMP, 5
    )
    assert storage.calls == [("get_record", "r1"), ("replace_record", new, 4)]


def test_a_failed_update_removes_only_the_new_pdf(caplog: pytest.LogCaptureFixture) -> None:
    storage = Storage(
        existing=OLD, replace_record=ConflictError("changed"), delete_document=StorageError("x")
    )

    with caplog.at_level(logging.ERROR, logger="humangov.service"), pytest.raises(ConflictError):
        service.update(storage, "r1", {}, PDF)

    key = f"documents/r1/{hex_id(1)}.pdf"
    assert storage.calls[-1] == ("delete_document", key)
    assert caplog.records[0].getMessage() == (
        f"could not delete object {key} after the record was not updated; delete it by hand"
    )
    plain = Storage(existing=OLD, replace_record=ConflictError("changed"))
    with pytest.raises(ConflictError):
        service.update(plain, "r1", {}, None)
    # Lost twice: once on the version first read, once more on a fresh read; then 409.
    assert [c[0] for c in plain.calls] == ["get_record", "replace_record"] * 2 + ["get_record"]


def test_the_old_pdf_left_behind_after_an_update_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    storage = Storage(existing=OLD, delete_document=StorageError("x"))
    with caplog.at_level(logging.ERROR, logger="humangov.service"):
        service.update(storage, "r1", {}, PDF)
    assert caplog.records[0].getMessage() == (
        f"could not delete object {OLD.document} after it was replaced; delete it by hand"
    )


@pytest.mark.parametrize("action", ["update", "delete"])
def test_an_unknown_id_is_not_found_by_its_id(action: str) -> None:
    storage = Storage(existing=None)
    with pytest.raises(service.NotFoundError) as missing:
        if action == "update":
            service.update(storage, "nope", {}, PDF)
        else:
            service.delete(storage, "nope")
    assert missing.value.args == ("nope",)
    assert all(c[0] not in ("put_document", "delete_document") for c in storage.calls)


def test_delete_removes_the_record_then_its_pdf(caplog: pytest.LogCaptureFixture) -> None:
    storage = Storage(existing=OLD)
    assert service.delete(storage, "r1") is OLD
    assert storage.calls == [("delete_record", "r1", None), ("delete_document", OLD.document)]

    failing = Storage(existing=OLD, delete_document=StorageError("x"))
    with caplog.at_level(logging.ERROR, logger="humangov.service"):
        assert service.delete(failing, "r1") is OLD
    assert caplog.records[0].getMessage() == (
        f"could not delete object {OLD.document} after its record was deleted; delete it by hand"
    )


# -- versions: no write ever lands on a version it was not computed from ---------------------------------
def test_an_update_of_another_version_than_expected_writes_nothing() -> None:
    storage = Storage(existing=OLD)
    with pytest.raises(PreconditionFailed) as stale:
        service.update(storage, "r1", {"role": "Lead"}, PDF, expected_version=3)
    assert stale.value.current is OLD
    assert storage.calls == [("get_record", "r1")]  # no object put, no record written


def test_a_lost_race_at_an_expected_version_is_a_failed_precondition_and_takes_its_pdf_back() -> None:
    moved = replace(OLD, salary=Decimal(9), version=5)
    storage = Storage(existing=[OLD, moved], replace_record=ConflictError("changed"))
    with pytest.raises(PreconditionFailed) as stale:
        service.update(storage, "r1", {"role": "Lead"}, PDF, expected_version=4)
    assert stale.value.current is moved
    key = f"documents/r1/{hex_id(1)}.pdf"
    assert [c[0] for c in storage.calls] == [
        "get_record",
        "put_document",
        "replace_record",
        "get_record",
        "delete_document",
    ]
    assert storage.calls[-1] == ("delete_document", key)


def test_a_lost_race_over_other_fields_is_applied_again_to_the_fresh_version() -> None:
    moved = replace(OLD, salary=Decimal(9), version=5)  # someone else changed the salary
    storage = Storage(existing=[OLD, moved], replace_record=[ConflictError("changed"), None])

    new = service.update(storage, "r1", {"role": "Lead"}, PDF)

    key = f"documents/r1/{hex_id(1)}.pdf"
    assert new == replace(
        moved, role="Lead", document=key, document_name="new.pdf", updated_at=STAMP, version=6
    )
    assert storage.calls[-2:] == [("replace_record", new, 5), ("delete_document", OLD.document)]


@pytest.mark.parametrize("changed", [{"role": "Chief"}, {"document": "documents/r1/other.pdf"}])
def test_a_lost_race_over_the_same_field_is_a_conflict(changed: dict[str, Any]) -> None:
    moved = replace(OLD, version=5, **changed)
    storage = Storage(existing=[OLD, moved], replace_record=ConflictError("changed"))
    with pytest.raises(ConflictError) as lost:
        service.update(storage, "r1", {"role": "Lead"}, PDF)
    assert not isinstance(lost.value, PreconditionFailed)
    assert [c[0] for c in storage.calls] == [
        "get_record",
        "put_document",
        "replace_record",
        "get_record",
        "delete_document",
    ]


def test_a_record_deleted_during_an_update_is_not_found() -> None:
    storage = Storage(existing=[OLD, None], replace_record=ConflictError("gone"))
    with pytest.raises(service.NotFoundError):
        service.update(storage, "r1", {"role": "Lead"}, None)


def test_a_delete_at_a_stale_version_fails_its_precondition_and_keeps_the_pdf() -> None:
    moved = replace(OLD, version=5)
    storage = Storage(existing=moved, delete_record=ConflictError("changed"))
    with pytest.raises(PreconditionFailed) as stale:
        service.delete(storage, "r1", expected_version=4)
    assert stale.value.current is moved
    assert storage.calls == [("delete_record", "r1", 4), ("get_record", "r1")]
    gone = Storage(existing=None, delete_record=ConflictError("changed"))
    with pytest.raises(service.NotFoundError):
        service.delete(gone, "r1", expected_version=4)
