"""Audit gaps closed (issue 21, item 12): refusals are recorded; failed sign-ins are found under the user
they targeted; throttled attempts are aggregated; /audit shows changes readably, linking records."""

from __future__ import annotations

from app_testkit import (
    API_HEADERS,
    PASSWORD,
    StateData,
    add_record,
    add_user,
    form,
    hidden_fields,
    sign_in,
    signed_in,
    text,
)
from flask import Flask
from flask.testing import FlaskClient
from humangov import accounts


def test_a_refused_request_is_audited(app: Flask, client: FlaskClient, data: StateData) -> None:
    viewer = signed_in(app.test_client(), "viewer")
    record = add_record(client)
    assert viewer.post("/new_record", data=form(viewer, token_from="/records")).status_code == 403
    assert viewer.delete(f"/api/employees/{record['id']}", headers=API_HEADERS).status_code == 403
    assert client.delete(f"/api/employees/{record['id']}").status_code == 403  # no guard header
    refusals = [e for e in data.audit() if e.action == "request.refused"]
    assert [(e.target, e.details["method"]) for e in refusals] == [
        (f"/api/employees/{record['id']}", "DELETE"),
        (f"/api/employees/{record['id']}", "DELETE"),
        ("/new_record", "POST"),
    ]
    assert refusals[-1].details["reason"] == "needs the editor role"
    assert refusals[0].details["reason"] == "no X-HumanGov-Request header"


def test_failed_sign_ins_are_found_under_the_user_they_targeted(
    app: Flask, admin_client: FlaskClient, data: StateData
) -> None:
    name = add_user(app, "editor")
    for _ in range(2):
        assert sign_in(app.test_client(), name, "not the password 000").status_code == 200
    items = admin_client.get(f"/api/audit?user={name}").get_json()["items"]
    assert [(i["action"], i["details"]["reason"]) for i in items] == [("signin.failure", "credentials")] * 2


def test_throttled_attempts_are_aggregated_with_their_count(app: Flask, data: StateData) -> None:
    name = add_user(app, "editor")
    web = app.test_client()
    token = hidden_fields(web, "/login")["csrf_token"]
    statuses = [
        web.post(
            "/login", data={"username": name, "password": "wrong 0000000", "csrf_token": token}
        ).status_code
        for _ in range(accounts.THROTTLE_FAILURES + 25)
    ]
    assert statuses.count(429) == 25
    entries = [e for e in data.audit(username=name) if e.action == "signin.failure"]
    throttled = [e.details["refused_in_window"] for e in entries if e.details["reason"] == "throttled"]
    assert throttled == [10, 1]  # 25 refusals: two entries (the 1st and the 10th), newest first
    assert sign_in(web, name, PASSWORD).status_code == 429


def test_the_audit_page_shows_changes_readably_and_links_the_record(
    admin_client: FlaskClient, client: FlaskClient
) -> None:
    record = add_record(client, salary="52000")
    patch = client.patch(f"/api/employees/{record['id']}", json={"salary": 54000}, headers=API_HEADERS)
    assert patch.status_code == 200
    page = text(admin_client.get(f"/audit?record={record['id']}"))
    assert "salary: 52000 → 54000" in page
    assert "first_name: Ada" in page
    assert f'<a href="/edit_record/{record["id"]}">{record["id"]}</a>' in page
