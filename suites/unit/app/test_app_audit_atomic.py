"""A change and its audit entry commit together, or neither does (issue 21, item 1).

With the audit table unavailable, edits, creates, deletes and sign-ins used to be applied and answered
503, unaudited. Now a record's write (or a session's) and its entry are one DynamoDB TransactWriteItems; a
PDF put before it is removed when it fails.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from app_testkit import (
    API_HEADERS,
    AUDIT_TABLE,
    PDF,
    StateData,
    add_record,
    add_user,
    form,
    hidden_fields,
    sign_in,
)
from flask import Flask
from flask.testing import FlaskClient
from humangov import accounts, schema


def without_audit_table(data: StateData) -> None:
    data.dynamodb.delete_table(TableName=AUDIT_TABLE)


def sessions_of(data: StateData) -> list[dict[str, Any]]:
    return [i for i in data.all_items() if i[schema.HASH_KEY]["S"].startswith(schema.SESSION_PREFIX)]


def test_a_create_is_not_made_without_its_audit_entry(client: FlaskClient, data: StateData) -> None:
    page_form = form(client)
    without_audit_table(data)
    assert client.post("/new_record", data=page_form).status_code == 503
    assert client.post("/api/employees", data=form(), headers=API_HEADERS).status_code == 503
    assert data.items() == []
    assert data.object_keys() == []  # the PDFs put first were removed


def test_an_edit_is_not_made_without_its_audit_entry(client: FlaskClient, data: StateData) -> None:
    record = add_record(client, role="Teacher")
    url = f"/edit_record/{record['id']}"
    page_form = form(client, token_from=url, role="Changed", pdf=PDF + b"% new\n")
    without_audit_table(data)
    assert client.post(url, data=page_form).status_code == 503
    patch = client.patch(
        f"/api/employees/{record['id']}",
        data={"role": "Other", "pdf": (io.BytesIO(PDF), "n.pdf")},
        headers=API_HEADERS,
    )
    assert patch.status_code == 503
    item = data.item(record["id"])
    assert item is not None and item["role"]["S"] == "Teacher" and item["version"]["N"] == "1"
    assert data.object_keys() == [record["document"]]  # new PDFs removed, the old one kept


@pytest.mark.parametrize("how", ["page", "api"])
def test_a_delete_is_not_made_without_its_audit_entry(client: FlaskClient, data: StateData, how: str) -> None:
    record = add_record(client)
    token = hidden_fields(client, "/records")["csrf_token"]
    without_audit_table(data)
    if how == "page":
        response = client.post("/records/delete", data={"id": record["id"], "csrf_token": token})
    else:
        response = client.delete(f"/api/employees/{record['id']}", headers=API_HEADERS)
    assert response.status_code == 503
    assert data.item(record["id"]) is not None
    assert data.object_keys() == [record["document"]]


def test_a_sign_in_is_not_made_without_its_audit_entry(app: Flask, data: StateData) -> None:
    name = add_user(app, "editor")
    web = app.test_client()
    token = hidden_fields(web, "/login")["csrf_token"]
    without_audit_table(data)
    response = web.post(
        "/login", data={"username": name, "password": "unit test password 1234", "csrf_token": token}
    )
    assert response.status_code == 503
    assert sessions_of(data) == []
    assert web.get("/records").status_code == 302  # not signed in


def test_a_sign_out_is_not_made_without_its_audit_entry(app: Flask, data: StateData) -> None:
    web = app.test_client()
    assert sign_in(web, add_user(app, "editor")).status_code == 302
    token = hidden_fields(web, "/records")["csrf_token"]
    without_audit_table(data)
    assert web.post("/logout", data={"csrf_token": token}).status_code == 503
    assert len(sessions_of(data)) == 1


def test_each_change_and_its_entry_are_one_transaction(client: FlaskClient, data: StateData) -> None:
    """What is committed together: on success, every change has exactly its entry."""
    record = add_record(client)
    assert (
        client.patch(f"/api/employees/{record['id']}", json={"role": "x"}, headers=API_HEADERS).status_code
        == 200
    )
    assert client.delete(f"/api/employees/{record['id']}", headers=API_HEADERS).status_code == 204
    actions = [e.action for e in data.audit(record_id=record["id"])]
    assert actions == ["record.delete", "record.edit", "record.create"]


def test_a_user_change_is_not_made_without_its_audit_entry(app: Flask, data: StateData) -> None:
    admin = app.test_client()
    assert sign_in(admin, add_user(app, "admin")).status_code == 302
    other = add_user(app, "editor", "other-user")
    token = hidden_fields(admin, "/admin/users")["csrf_token"]
    identity = app.extensions["humangov.identity"]
    before = identity.call(accounts.get_user, other)
    without_audit_table(data)
    changes = [
        ("/admin/users", {"username": "new-user", "role": "viewer"}),
        (f"/admin/users/{other}/role", {"role": "viewer"}),
        (f"/admin/users/{other}/password", {}),
        (f"/admin/users/{other}/tokens", {}),
        (f"/admin/users/{other}/remove", {}),
    ]
    for url, fields in changes:
        assert admin.post(url, data={**fields, "csrf_token": token}).status_code == 503, url
    assert identity.call(accounts.get_user, "new-user") is None
    assert identity.call(accounts.get_user, other) == before  # same role, password, tokens
    assert [i for i in data.account_items() if i[schema.HASH_KEY]["S"].startswith(schema.TOKEN_PREFIX)] == []
