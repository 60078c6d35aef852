"""A create never overwrites: a record id that exists makes the create fail, and the record stays as it was.

DynamoDB's PutItem replaces an item with the same key unless a condition says otherwise
(https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_PutItem.html); the app writes new
records with `attribute_not_exists(id)`. moto evaluates condition expressions, so this runs on moto.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from decimal import Decimal
from types import SimpleNamespace

import pytest
from app_testkit import API_HEADERS, PDF, StateData, add_record, moto_storage
from flask.testing import FlaskClient
from humangov import schema, service
from humangov.dynamo_storage import DynamoStorage
from humangov.model import Record, Upload
from humangov.storage import ConflictError


def record(record_id: str, first_name: str, document: str) -> Record:
    return Record(
        id=record_id,
        first_name=first_name,
        last_name="Lovelace",
        role="Teacher",
        salary=Decimal(52000),
        document=document,
        document_name="contract.pdf",
        created_at="2026-01-01T00:00:00Z",
        updated_at="2026-01-01T00:00:00Z",
    )


@pytest.fixture
def storage(data: StateData) -> DynamoStorage:
    return moto_storage()


def test_creating_an_existing_id_raises_conflict_and_keeps_the_first_record(
    storage: DynamoStorage, data: StateData
) -> None:
    first = record("a" * 32, "Ada", schema.document_key("a" * 32, "v1"))
    storage.create_record(first)
    with pytest.raises(ConflictError):
        storage.create_record(record("a" * 32, "Mallory", schema.document_key("a" * 32, "v2")))
    assert storage.get_record(first.id) == first
    assert len(data.items()) == 1


def ids(*values: str) -> Iterator[SimpleNamespace]:
    """uuid4() stand-ins for the service only (botocore draws uuids too): a record id, then a version."""
    for value in values:
        yield SimpleNamespace(hex=value)


def test_a_service_create_that_draws_an_existing_id_fails_and_leaves_no_orphan(
    storage: DynamoStorage, data: StateData, monkeypatch: pytest.MonkeyPatch
) -> None:
    fields = {"first_name": "Ada", "last_name": "Lovelace", "role": "Teacher", "salary": Decimal(1)}
    first = service.create(storage, fields, Upload(PDF, "a.pdf"))
    drawn = ids(first.id, "f" * 32)
    monkeypatch.setattr(service, "uuid", SimpleNamespace(uuid4=lambda: next(drawn)))
    with pytest.raises(ConflictError):
        service.create(
            storage,
            {"first_name": "Mallory", "last_name": "X", "role": "Thief", "salary": Decimal(2)},
            Upload(PDF + b"% other\n", "b.pdf"),
        )
    assert storage.get_record(first.id) == first
    assert data.object_keys() == [first.document]  # the colliding create's upload was removed again
    assert data.body(first.document) == PDF


def test_the_api_answers_409_and_the_existing_record_is_unchanged(
    client: FlaskClient, data: StateData, monkeypatch: pytest.MonkeyPatch
) -> None:
    existing = add_record(client, first_name="Ada")
    drawn = ids(existing["id"], "e" * 32)
    monkeypatch.setattr(service, "uuid", SimpleNamespace(uuid4=lambda: next(drawn)))
    form = {"first_name": "Mallory", "last_name": "X", "role": "Thief", "salary": "2"}
    response = client.post(
        "/api/employees", data={**form, "pdf": (io.BytesIO(PDF), "b.pdf")}, headers=API_HEADERS
    )
    assert response.status_code == 409
    assert client.get(f"/api/employees/{existing['id']}").get_json() == existing
    assert data.object_keys() == [existing["document"]]
