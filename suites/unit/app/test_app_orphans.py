"""Failures halfway leave neither orphan objects nor records that point at missing files."""

from __future__ import annotations

import io
import logging
from typing import Any

import pytest
from app_testkit import API_HEADERS, PDF, StateData, add_record, app_config, form, moto_storage, signed_in
from flask.testing import FlaskClient
from humangov import create_app, service
from humangov.dynamo_storage import DynamoStorage
from humangov.model import Record, Upload
from humangov.storage import EXTENSION_KEY, AuditPut, ConflictError, StorageError


class FailingWrites(DynamoStorage):
    """The real storage on moto, except that writing the table fails (throttling, an outage...)."""

    def create_record(self, record: Record, audit: AuditPut | None = None) -> None:
        raise StorageError("PutItem failed: ProvisionedThroughputExceededException")

    def replace_record(self, record: Record, expected_version: int, audit: AuditPut | None = None) -> None:
        raise StorageError("PutItem failed: ProvisionedThroughputExceededException")


class FailingObjectDelete(DynamoStorage):
    def delete_document(self, key: str) -> None:
        raise StorageError("DeleteObject failed: AccessDenied")


def client_with(storage_class: type[DynamoStorage]) -> FlaskClient:
    return signed_in(create_app(app_config(), storage=moto_storage(storage_class)).test_client())


def test_a_failed_table_write_removes_the_uploaded_object(data: StateData) -> None:
    client = client_with(FailingWrites)
    page = client.post("/new_record", data=form(client))
    assert page.status_code == 503
    api = client.post("/api/employees", data=form(), headers=API_HEADERS)
    assert api.status_code == 503
    assert data.object_keys() == []
    assert data.items() == []


def test_a_failed_update_keeps_the_old_pdf_and_removes_the_new_one(
    client: FlaskClient, data: StateData
) -> None:
    record = add_record(client)
    failing = client_with(FailingWrites)
    url = f"/edit_record/{record['id']}"
    page = failing.post(url, data=form(failing, pdf=PDF + b"% new\n", token_from=url, role="Changed"))
    assert page.status_code == 503
    api = failing.patch(
        f"/api/employees/{record['id']}", data={"pdf": (io.BytesIO(PDF), "n.pdf")}, headers=API_HEADERS
    )
    assert api.status_code == 503
    item = data.item(record["id"])
    assert item is not None
    assert item["document"]["S"] == record["document"]
    assert item["role"]["S"] == record["role"]
    assert data.object_keys() == [record["document"]]
    assert data.body(record["document"]) == PDF


def test_an_edit_racing_another_edit_fails_and_leaves_no_orphan(client: FlaskClient, data: StateData) -> None:
    record = add_record(client)
    storage = client.application.extensions[EXTENSION_KEY]
    stale = storage.get_record(record["id"])
    # Meanwhile another task replaces the PDF (and deletes the object this edit saw).
    other = client.patch(
        f"/api/employees/{record['id']}", data={"pdf": (io.BytesIO(PDF), "other.pdf")}, headers=API_HEADERS
    )
    assert other.status_code == 200

    class StaleRead:
        def __getattr__(self, name: str) -> Any:
            return stale_get if name == "get_record" else getattr(storage, name)

    def stale_get(record_id: str) -> Record | None:
        return stale

    with pytest.raises(ConflictError):
        service.update(StaleRead(), record["id"], {}, Upload(PDF + b"% mine\n", "mine.pdf"))  # type: ignore[arg-type]
    item = data.item(record["id"])
    assert item is not None
    assert item["document_name"]["S"] == "other.pdf"
    assert data.object_keys() == [item["document"]["S"]]  # "mine" was removed again, the record is intact


def test_a_conflict_is_answered_409(data: StateData) -> None:
    class Conflicting(DynamoStorage):
        def replace_record(
            self, record: Record, expected_version: int, audit: AuditPut | None = None
        ) -> None:
            raise ConflictError("PutItem: the record changed meanwhile")

    client = client_with(Conflicting)
    record = add_record(client)
    response = client.patch(f"/api/employees/{record['id']}", json={"role": "x"}, headers=API_HEADERS)
    assert response.status_code == 409
    assert "changed meanwhile" in response.get_json()["error"]


def test_delete_removes_the_record_even_if_the_object_delete_fails(
    data: StateData, caplog: pytest.LogCaptureFixture
) -> None:
    client = client_with(FailingObjectDelete)
    record = add_record(client)
    with caplog.at_level(logging.ERROR, logger="humangov"):
        response = client.delete(f"/api/employees/{record['id']}", headers=API_HEADERS)
    assert response.status_code == 204
    assert data.item(record["id"]) is None  # no record points at anything
    assert record["document"] in caplog.text  # the leftover object is named in the log for clean-up


def test_unexpected_errors_are_logged_and_answered_500(
    data: StateData, caplog: pytest.LogCaptureFixture
) -> None:
    class Broken(DynamoStorage):
        def list_records(self, limit: int, cursor_token: str | None):  # type: ignore[no-untyped-def]
            raise RuntimeError("bug")

    client = client_with(Broken)
    client.application.testing = False  # let the app handle it as in production
    client.application.config["PROPAGATE_EXCEPTIONS"] = False
    with caplog.at_level(logging.ERROR):
        response = client.get("/records")
    assert response.status_code == 500
    assert "went wrong" in response.get_data(as_text=True)
    assert "RuntimeError: bug" in caplog.text
