"""Shared helpers of the app's unit tests: a state's data on moto, signed-in clients, forms with CSRF
tokens, PDFs."""

from __future__ import annotations

import io
import re
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import cache
from typing import Any

import boto3
import pytest
from flask import Flask
from flask.testing import FlaskClient
from humangov import accounts, schema
from humangov.config import load_settings
from humangov.cursor import Cursors
from humangov.dynamo_storage import DynamoStorage, to_item
from humangov.model import Record
from moto.core import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import dynamodb_backends
from werkzeug.test import TestResponse

STATE = "california"
REGION = "us-east-1"
TABLE = schema.table_name(STATE)
AUDIT_TABLE = schema.audit_table_name(STATE)
BUCKET = schema.bucket_prefix(STATE) + "unit"
SECRET = "unit-test-secret-key-0123456789abcdef"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
API_HEADERS = {"X-HumanGov-Request": "1"}
PASSWORD = "unit test password 1234"
ACCOUNT_PREFIXES = (schema.USER_PREFIX, schema.TOKEN_PREFIX, schema.THROTTLE_PREFIX, schema.SESSION_PREFIX)
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
_VERSION = re.compile(r'name="version" value="([^"]*)"')


def app_config(**overrides: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "US_STATE": STATE,
        "AWS_REGION": REGION,
        "AWS_DYNAMODB_TABLE": TABLE,
        "AWS_BUCKET": BUCKET,
        "SECRET_KEY": SECRET,
        "TESTING": "1",
    }
    config.update(overrides)
    return {k: v for k, v in config.items() if v is not None}


@dataclass
class StateData:
    """The state's table and bucket, with clients to inspect them behind the app's back."""

    dynamodb: Any
    s3: Any

    def items(self) -> list[dict[str, Any]]:
        """The records in the table (users, tokens and sign-in counters share it: see account_items)."""
        return [i for i in self.all_items() if not i[schema.HASH_KEY]["S"].startswith(ACCOUNT_PREFIXES)]

    def account_items(self) -> list[dict[str, Any]]:
        return [i for i in self.all_items() if i[schema.HASH_KEY]["S"].startswith(ACCOUNT_PREFIXES)]

    def all_items(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        for page in self.dynamodb.get_paginator("scan").paginate(TableName=TABLE):
            items.extend(page["Items"])
        return items

    def audit(self, **filters: Any) -> list[Any]:
        """The audit trail's entries, newest first (audit.query's filters), every page."""
        from humangov import audit

        entries, cursor = [], None
        while True:
            page = audit.query(self.dynamodb, AUDIT_TABLE, cursor=cursor, limit=100, **filters)
            entries += page.items
            if not page.next:
                return entries
            cursor = page.next

    def item(self, record_id: str) -> dict[str, Any] | None:
        item: dict[str, Any] | None = self.dynamodb.get_item(
            TableName=TABLE, Key={"id": {"S": record_id}}
        ).get("Item")
        return item

    def object_keys(self) -> list[str]:
        return [o["Key"] for o in self.s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])]

    def body(self, key: str) -> bytes:
        body: bytes = self.s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
        return body


@cache
def _data_clients(endpoint_url: str | None) -> tuple[Any, Any]:
    # The tests' own clients (never the app's), made once per endpoint: a client holds no data, moto's
    # backends do, and building a client costs about 8 ms, paid by hundreds of app tests. No test hooks
    # events on these clients (test_app_scale counts calls on the app's client only).
    return (
        _session().client("dynamodb", endpoint_url=endpoint_url),
        _session().client("s3", endpoint_url=endpoint_url),
    )


@cache
def _session() -> boto3.session.Session:
    # moto resets boto3's default session at every mock start; a kept session spares reloading models.
    return boto3.session.Session(region_name=REGION)


def create_state_data(endpoint_url: str | None = None) -> StateData:
    dynamodb, s3 = _data_clients(endpoint_url)
    dynamodb.create_table(**schema.create_table_kwargs(TABLE))
    dynamodb.create_table(**schema.create_audit_table_kwargs(AUDIT_TABLE))
    s3.create_bucket(Bucket=BUCKET)
    return StateData(dynamodb, s3)


def add_user(app: Flask, role: str = "editor", username: str | None = None, password: str = PASSWORD) -> str:
    """A user of the app's state (with their own password: no change needed), made through the app's
    own DynamoDB client and table (moto in-process or a moto server alike); returns the username."""
    identity = app.extensions["humangov.identity"]
    name = username or f"{role}-{uuid.uuid4().hex[:8]}"
    identity.call(accounts.add_user, name, role, password=password, now=identity.clock)
    return name


def sign_in(
    client: FlaskClient, username: str, password: str = PASSWORD, next_path: str = "/"
) -> TestResponse:
    """Post the sign-in form as a browser does (CSRF token from the login page)."""
    token = hidden_fields(client, "/login")["csrf_token"]
    data = {"username": username, "password": password, "csrf_token": token, "next": next_path}
    response: TestResponse = client.post("/login", data=data)
    return response


def signed_in(client: FlaskClient, role: str = "editor", username: str | None = None) -> FlaskClient:
    """`client`, signed in as a new user of `role` (a test's default; anonymous use is explicit)."""
    name = add_user(client.application, role, username)
    response = sign_in(client, name)
    assert response.status_code == 302, text(response)
    return client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def user_token(app: Flask, role: str = "editor") -> str:
    """A new user of `role` and a personal API token of theirs."""
    identity = app.extensions["humangov.identity"]
    _, token = identity.call(accounts.create_token, add_user(app, role), now=identity.clock)
    return str(token)


def moto_storage(storage_class: type[DynamoStorage] = DynamoStorage) -> DynamoStorage:
    """The app's storage of the tests' state (on the running moto), as create_app builds it, or a subclass."""
    settings = load_settings(app_config())
    real = DynamoStorage.from_settings(settings, Cursors(SECRET))
    return storage_class(real.dynamodb, real.s3, settings.table, settings.bucket, real.cursors)


def csrf_token(client: FlaskClient, path: str = "/new_record") -> str:
    return hidden_fields(client, path)["csrf_token"]


def hidden_fields(client: FlaskClient, path: str = "/new_record") -> dict[str, str]:
    """What a browser sends back of the form at `path`: its CSRF token and, on an edit form, its version."""
    return hidden_fields_of(client.get(path).get_data(as_text=True))


def hidden_fields_of(page: str) -> dict[str, str]:
    """The hidden fields of the first form in `page` (HTML) that a browser would send back."""
    match = _TOKEN.search(page)
    assert match, "no csrf_token in the page"
    fields = {"csrf_token": match.group(1)}
    if version := _VERSION.search(page):
        fields["version"] = version.group(1)
    return fields


def form(
    client: FlaskClient | None = None,
    *,
    pdf: bytes | None = PDF,
    file_name: str = "contract.pdf",
    token_from: str = "/new_record",
    **fields: Any,
) -> dict[str, Any]:
    """A record form (multipart); with `client`, it carries the hidden fields of the form at `token_from`
    (a valid CSRF token of that client; the record's version on an edit form)."""
    data: dict[str, Any] = {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "role": "Teacher",
        "salary": "52000",
    }
    data.update(fields)
    data = {k: v for k, v in data.items() if v is not None}
    if pdf is not None:
        data["pdf"] = (io.BytesIO(pdf), file_name)
    if client is not None:
        data.update(hidden_fields(client, token_from))
    return data


def add_record(client: FlaskClient, **fields: Any) -> dict[str, Any]:
    """Create a record through the API and return its JSON."""
    response = client.post("/api/employees", data=form(**fields), headers=API_HEADERS)
    assert response.status_code == 201, response.get_data(as_text=True)
    record: dict[str, Any] = response.get_json()
    return record


def seed_records(data: StateData, names: list[tuple[str, str]]) -> list[str]:
    """Write records straight into the table (fast, no objects) and return their ids."""
    records = [
        Record(
            id=f"seed{n:06d}",
            first_name=first,
            last_name=last,
            role="Teacher",
            salary=Decimal(40000 + n),
            document=schema.document_key(f"seed{n:06d}", "v1"),
            document_name="seed.pdf",
            created_at="2026-01-01T00:00:00Z",
            updated_at="2026-01-01T00:00:00Z",
        )
        for n, (first, last) in enumerate(names)
    ]
    # Into moto's table itself, as its PutItem stores them: a test's own setup need not pay for 10,000
    # requests' serialisation both ways (2.6 s of CPU for test_app_scale's table instead of 1.0 s).
    region = data.dynamodb.meta.region_name
    table = dynamodb_backends[DEFAULT_ACCOUNT_ID][region].get_table(TABLE)
    for record in records:
        table.put_item(to_item(record))
    return [r.id for r in records]


def follow_api_pages(client: FlaskClient, url: str, cursor: str | None = None) -> Iterator[dict[str, Any]]:
    """Every page of an API listing (from `cursor`, if given), following `next` until it is null."""
    while True:
        response = client.get(url if cursor is None else f"{url}&cursor={cursor}")
        assert response.status_code == 200, response.get_data(as_text=True)
        body: dict[str, Any] = response.get_json()
        yield body
        cursor = body["next"]
        if cursor is None:
            return


def text(response: TestResponse) -> str:
    return response.get_data(as_text=True)


@dataclass
class MovingClock:
    """The app's `clock`: an aware UTC datetime that moves only when a test says so."""

    at: datetime = field(default_factory=lambda: datetime(2026, 3, 2, 9, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.at

    def advance(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)


class AtomicWrites:
    """moto's DynamoDB writes made atomic, as DynamoDB's are: a conditional write (or a transaction) is
    checked and applied as one step. moto does both in Python with no lock, so under real threads (its
    server, gunicorn's threads) two writes can both pass a condition AWS would let only one pass
    (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis.html). Reads still
    interleave freely. Use as a context manager around the racing part of a test."""

    WRITES = ("put_item", "update_item", "delete_item", "transact_write_items")

    def __init__(self, region: str = REGION) -> None:
        self.backend = dynamodb_backends[DEFAULT_ACCOUNT_ID][region]
        self.lock = threading.RLock()
        self.patch = pytest.MonkeyPatch()

    def __enter__(self) -> AtomicWrites:
        for name in self.WRITES:
            real = getattr(self.backend, name)

            def locked(*args: Any, _real: Any = real, **kwargs: Any) -> Any:
                with self.lock:
                    return _real(*args, **kwargs)

            self.patch.setattr(self.backend, name, locked)
        return self

    def __exit__(self, *exc: object) -> None:
        self.patch.undo()
