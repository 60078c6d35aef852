"""Roles (viewer < editor < admin: 403 and nothing changed), API tokens, the admin's users page, and the
audit trail of it all (who, when, what, the request's id) at /audit and GET /api/audit."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import pytest
from app_testkit import (
    API_HEADERS,
    StateData,
    add_record,
    add_user,
    app_config,
    bearer,
    form,
    hidden_fields,
    moto_storage,
    sign_in,
    signed_in,
    text,
    user_token,
)
from flask import Flask
from flask.testing import FlaskClient
from humangov import accounts, create_app
from test_app_versions import Meanwhile

SECRET = re.compile(r'<code class="secret-value">([^<]+)</code>')


@pytest.fixture
def viewer(app: Flask) -> FlaskClient:
    return signed_in(app.test_client(), "viewer")


def test_a_viewer_reads_records_and_pdfs(client: FlaskClient, viewer: FlaskClient) -> None:
    record = add_record(client)
    assert viewer.get("/records").status_code == 200
    assert viewer.get(f"/api/employees/{record['id']}").status_code == 200
    assert viewer.get(f"/records/pdf/{record['id']}").status_code == 302


def test_a_viewer_can_change_nothing(client: FlaskClient, viewer: FlaskClient, data: StateData) -> None:
    record = add_record(client)
    before = (data.items(), data.object_keys())
    refused = [
        viewer.get("/new_record"),
        viewer.post("/new_record", data=form(viewer, token_from="/records")),
        viewer.get(f"/edit_record/{record['id']}"),
        viewer.post("/records/delete", data={"id": record["id"], **hidden_fields(viewer, "/records")}),
        viewer.post("/api/employees", data=form(), headers=API_HEADERS),
        viewer.patch(f"/api/employees/{record['id']}", json={"role": "Principal"}, headers=API_HEADERS),
        viewer.delete(f"/api/employees/{record['id']}", headers=API_HEADERS),
    ]
    assert [r.status_code for r in refused] == [403] * len(refused)
    assert refused[-1].get_json()["error"].startswith("This needs the editor role")
    assert "editor role" in text(refused[0])
    assert (data.items(), data.object_keys()) == before


@pytest.mark.parametrize("path", ["/admin/users", "/audit", "/api/audit"])
def test_only_admins_see_users_and_the_audit_trail(
    client: FlaskClient, admin_client: FlaskClient, path: str
) -> None:
    assert client.get(path).status_code == 403
    assert admin_client.get(path).status_code == 200


def test_a_token_authenticates_the_api_without_the_guard_header(app: Flask, data: StateData) -> None:
    api = app.test_client()
    headers = bearer(user_token(app, "editor"))
    created = api.post("/api/employees", data=form(), headers=headers)
    assert created.status_code == 201
    assert api.get_cookie("session") is None  # no session made by a token
    assert api.get("/records", headers=headers).status_code == 302  # tokens are for the API only
    assert api.get("/api/employees", headers=bearer("hgv_" + "x" * 43)).status_code == 401
    assert api.get("/api/employees", headers={"Authorization": "Basic abc"}).status_code == 401
    viewer = bearer(user_token(app, "viewer"))
    assert api.delete(f"/api/employees/{created.get_json()['id']}", headers=viewer).status_code == 403
    assert len(data.items()) == 1


def test_a_cookie_api_write_still_needs_the_guard_header(client: FlaskClient, data: StateData) -> None:
    assert client.post("/api/employees", data=form()).status_code == 403
    assert data.items() == []


def test_every_change_and_view_is_audited_with_who_what_and_the_request_id(
    app: Flask, client: FlaskClient, data: StateData
) -> None:
    created = client.post("/api/employees", data=form(salary="52000"), headers=API_HEADERS)
    record = created.get_json()
    edited = client.patch(f"/api/employees/{record['id']}", json={"salary": 54000}, headers=API_HEADERS)
    viewed = client.get(f"/records/pdf/{record['id']}")
    deleted = client.delete(f"/api/employees/{record['id']}", headers=API_HEADERS)
    entries = data.audit(record_id=record["id"])
    assert [e.action for e in entries] == ["record.delete", "record.pdf_view", "record.edit", "record.create"]
    responses = [deleted, viewed, edited, created]
    assert [e.request_id for e in entries] == [r.headers["X-Request-ID"] for r in responses]
    who = {e.who for e in entries}
    assert len(who) == 1 and who.pop().startswith("editor-")
    assert entries[2].details["fields"] == {"salary": {"old": 52000, "new": 54000}}
    assert entries[3].details["fields"]["last_name"] == "Lovelace"
    assert all(e.at.tzinfo is not None and e.at.utcoffset().total_seconds() == 0 for e in entries)


def test_sign_ins_and_token_use_are_audited(app: Flask, data: StateData) -> None:
    name = add_user(app)
    sign_in(app.test_client(), name, "wrong password here")
    sign_in(app.test_client(), name)
    token = user_token(app, "viewer")
    app.test_client().get("/api/employees", headers=bearer(token))
    actions = [(e.action, e.target) for e in data.audit()]
    assert ("signin.failure", name) in actions and ("signin.success", name) in actions
    assert actions[0][0] == "token.use"
    assert data.audit()[0].details["path"] == "/api/employees"


def test_an_admin_adds_a_user_who_signs_in_with_the_one_time_password_shown_once(
    app: Flask, admin_client: FlaskClient, data: StateData
) -> None:
    fields = hidden_fields(admin_client, "/admin/users")
    page = admin_client.post("/admin/users", data={**fields, "username": "grace", "role": "viewer"})
    assert page.status_code == 200
    [one_time] = SECRET.findall(text(page))
    assert one_time not in text(admin_client.get("/admin/users"))
    response = sign_in(app.test_client(), "grace", one_time)
    assert response.headers["Location"].startswith("/account/password")
    token_page = admin_client.post("/admin/users/grace/tokens", data=fields)
    [token] = SECRET.findall(text(token_page))
    assert app.test_client().get("/api/employees", headers=bearer(token)).status_code == 403  # must change
    admin_client.post("/admin/users/grace/role", data={**fields, "role": "editor"})
    admin_client.post("/admin/users/grace/remove", data=fields)
    assert [e.action for e in data.audit(username=admin_client_name(data))][:4] == [
        "user.remove",
        "user.set_role",
        "user.token_create",
        "user.add",
    ]


def admin_client_name(data: StateData) -> str:
    return next(e.who for e in data.audit() if e.action == "user.add")


def test_an_admin_cannot_remove_or_demote_themselves(admin_client: FlaskClient, data: StateData) -> None:
    me = next(e.who for e in data.audit() if e.action == "signin.success")
    fields = hidden_fields(admin_client, "/admin/users")
    assert admin_client.post(f"/admin/users/{me}/remove", data=fields).status_code == 400
    assert admin_client.post(f"/admin/users/{me}/role", data={**fields, "role": "viewer"}).status_code == 400
    assert admin_client.get("/audit").status_code == 200


def test_the_audit_api_pages_newest_first_and_filters(
    admin_client: FlaskClient, client: FlaskClient, data: StateData
) -> None:
    ids = [add_record(client, last_name=f"Name{n}")["id"] for n in range(3)]
    first = admin_client.get("/api/audit?limit=2").get_json()
    assert len(first["items"]) == 2 and first["next"]
    assert first["items"][0]["at"] >= first["items"][1]["at"]
    rest = admin_client.get(f"/api/audit?limit=100&cursor={first['next']}").get_json()
    every = first["items"] + rest["items"]
    assert len({e["id"] for e in every}) == len(every) and rest["next"] is None
    by_record = admin_client.get(f"/api/audit?record={ids[1]}").get_json()["items"]
    assert [(e["action"], e["target"]) for e in by_record] == [("record.create", ids[1])]
    assert admin_client.get("/api/audit?cursor=forged").status_code == 400
    assert admin_client.get("/api/audit?limit=0").status_code == 400
    page = text(admin_client.get(f"/audit?record={ids[0]}"))
    assert ids[0] in page and ids[1] not in page


def test_an_edit_merged_over_another_writers_change_audits_only_its_own_fields(data: StateData) -> None:
    """Another task changes the role between this PATCH's read and write: service.update merges the
    salary over it; this request's entry names the salary only (the role is the other writer's)."""
    storage = moto_storage(Meanwhile)
    assert isinstance(storage, Meanwhile)
    client = signed_in(create_app(app_config(), storage=storage).test_client())
    record = add_record(client, role="Teacher", salary="52000")

    def other_task_changes_the_role() -> None:
        current = storage.get_record(record["id"])
        assert current is not None
        storage.replace_record(
            replace(current, role="Principal", version=current.version + 1), current.version
        )

    storage.before_write = other_task_changes_the_role
    response = client.patch(f"/api/employees/{record['id']}", json={"salary": 54000}, headers=API_HEADERS)
    assert response.status_code == 200 and response.get_json()["role"] == "Principal"
    [edit] = [e for e in data.audit(record_id=record["id"]) if e.action == "record.edit"]
    assert edit.details["fields"] == {"salary": {"old": 52000, "new": 54000}}


@pytest.mark.parametrize("how", ["role", "remove"])
def test_two_admins_changing_each_other_at_once_on_the_users_page_leave_one(app: Flask, how: str) -> None:
    """Issue 21, item 7: the second change is refused with a message, whichever lands first."""
    amy_web, bob_web = app.test_client(), app.test_client()
    amy, bob = add_user(app, "admin", "amy-admin"), add_user(app, "admin", "bob-admin")
    assert sign_in(amy_web, amy).status_code == 302 and sign_in(bob_web, bob).status_code == 302
    amy_fields, bob_fields = hidden_fields(amy_web, "/admin/users"), hidden_fields(bob_web, "/admin/users")
    identity = app.extensions["humangov.identity"]
    real = identity.dynamodb.transact_write_items

    def bob_acts_first(**kwargs: Any) -> Any:
        identity.dynamodb.transact_write_items = real
        url = f"/admin/users/{amy}/" + ("role" if how == "role" else "remove")
        assert bob_web.post(url, data={**bob_fields, "role": "viewer"}).status_code == 302
        return real(**kwargs)

    identity.dynamodb.transact_write_items = bob_acts_first
    try:
        url = f"/admin/users/{bob}/" + ("role" if how == "role" else "remove")
        refused = amy_web.post(url, data={**amy_fields, "role": "viewer"})
    finally:
        identity.dynamodb.transact_write_items = real
    assert refused.status_code == 400
    assert "is the state&#39;s last admin" in text(refused)
    admins = [u.username for u in identity.call(accounts.list_users) if u.role == "admin"]
    assert admins == [bob]
