"""Sign-in: closed by default, redirects only to this site, sessions that time out, one-time passwords,
the throttle's 429, and sessions bound to the state and to the user as an admin last left them."""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest
from app_testkit import (
    API_HEADERS,
    PASSWORD,
    MovingClock,
    StateData,
    add_user,
    app_config,
    csrf_token,
    form,
    hidden_fields,
    sign_in,
    signed_in,
    text,
)
from flask import Flask
from flask.testing import FlaskClient
from humangov import accounts, create_app, schema
from humangov.sessions import ABSOLUTE_SECONDS, IDLE_SECONDS
from werkzeug.test import TestResponse

CSRF_VALUE = re.compile(r'name="csrf_token" value="[^"]+"')
OPEN = ["/healthz", "/readyz", "/login", "/api/openapi.json", "/static/style.css"]
PAGES = ["/", "/records", "/search?name=a", "/new_record", "/audit", "/admin/users", "/account/password"]
API = ["/api/employees", "/api/employees/0123456789abcdef0123456789abcdef", "/api/audit"]


@pytest.fixture
def clock() -> MovingClock:
    return MovingClock()


@pytest.fixture
def app(data: StateData, clock: MovingClock) -> Flask:
    return create_app(app_config(), clock=clock)


@pytest.mark.parametrize("path", OPEN)
def test_open_routes_need_no_sign_in(anonymous: FlaskClient, path: str) -> None:
    assert anonymous.get(path).status_code == 200


@pytest.mark.parametrize("path", PAGES)
def test_every_page_sends_a_visitor_to_the_login_page_and_back(anonymous: FlaskClient, path: str) -> None:
    response = anonymous.get(path)
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?" + urlencode({"next": path}, safe="/?")


@pytest.mark.parametrize("path", API)
def test_every_api_route_answers_401_json_with_a_bearer_challenge(anonymous: FlaskClient, path: str) -> None:
    response = anonymous.get(path)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer ")
    assert "error" in response.get_json()


def test_anonymous_writes_change_nothing(anonymous: FlaskClient, data: StateData) -> None:
    assert anonymous.post("/api/employees", data=form(), headers=API_HEADERS).status_code == 401
    assert anonymous.post("/new_record", data=form()).status_code == 302
    assert data.items() == [] and data.object_keys() == []


@pytest.mark.parametrize(
    ("asked", "landed"),
    [
        ("/records?cursor=x", "/records?cursor=x"),
        ("https://evil.example/", "/"),
        ("//evil.example/x", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("records", "/"),
    ],
)
def test_after_sign_in_only_same_site_paths(app: Flask, asked: str, landed: str) -> None:
    client = app.test_client()
    response = sign_in(client, add_user(app), next_path=asked)
    assert response.status_code == 302
    assert response.headers["Location"] == landed


def test_a_wrong_password_and_an_unknown_user_get_the_same_answer(app: Flask, data: StateData) -> None:
    name = add_user(app)
    wrong = sign_in(app.test_client(), name, "not the password at all")
    unknown = sign_in(app.test_client(), "nobody-here", "not the password at all")
    assert wrong.status_code == unknown.status_code == 200
    assert "Wrong username or password." in text(wrong) and "Wrong username or password." in text(unknown)
    assert _page(wrong).replace(name, "X") == _page(unknown).replace("nobody-here", "X")


def _page(response: TestResponse) -> str:
    return CSRF_VALUE.sub("", text(response))  # each form has its own token


def test_the_sixth_attempt_is_429_with_retry_after_on_the_page_and_in_json(
    app: Flask, clock: MovingClock
) -> None:
    name = add_user(app)
    client = app.test_client()
    for _ in range(accounts.THROTTLE_FAILURES):
        assert sign_in(client, name, "wrong password 123").status_code == 200
    page = sign_in(client, name)  # even the right password: nothing is checked while throttled
    assert page.status_code == 429
    assert int(page.headers["Retry-After"]) == accounts.THROTTLE_WINDOW_SECONDS + 1
    assert "too many failed sign-ins" in text(page).lower()
    token = csrf_token(client, "/login")
    as_json = client.post(
        "/login",
        data={"username": name, "password": PASSWORD, "csrf_token": token},
        headers={"Accept": "application/json"},
    )
    assert as_json.status_code == 429 and "Retry-After" in as_json.headers
    assert "sign-ins" in as_json.get_json()["error"]
    clock.advance(accounts.THROTTLE_WINDOW_SECONDS + 1)
    assert sign_in(client, name).status_code == 302


def test_an_idle_session_ends_after_30_minutes(app: Flask, clock: MovingClock) -> None:
    client = signed_in(app.test_client())
    clock.advance(IDLE_SECONDS - 60)
    assert client.get("/records").status_code == 200  # used: the idle time starts again
    clock.advance(IDLE_SECONDS - 60)
    assert client.get("/records").status_code == 200
    clock.advance(IDLE_SECONDS + 1)
    response = client.get("/records")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_a_busy_session_still_ends_after_12_hours(app: Flask, clock: MovingClock) -> None:
    client = signed_in(app.test_client())
    for _ in range(ABSOLUTE_SECONDS // (IDLE_SECONDS - 60)):
        clock.advance(IDLE_SECONDS - 60)
        assert client.get("/api/employees").status_code == 200
    clock.advance(IDLE_SECONDS - 60)
    assert client.get("/api/employees").status_code == 401


def test_logout_is_a_post_with_csrf_and_ends_the_session(app: Flask) -> None:
    client = signed_in(app.test_client())
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400  # no CSRF token
    assert client.get("/records").status_code == 200
    token = hidden_fields(client, "/records")["csrf_token"]
    response = client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert client.get("/records").status_code == 302


def test_a_one_time_password_must_be_changed_before_anything_else(app: Flask, data: StateData) -> None:
    identity = app.extensions["humangov.identity"]
    _, one_time = identity.call(accounts.add_user, "newcomer", "editor", now=identity.clock)
    client = app.test_client()
    response = sign_in(client, "newcomer", one_time, next_path="/records")
    assert response.headers["Location"] == "/account/password?next=/records"
    assert client.get("/records").headers["Location"].startswith("/account/password")
    assert client.get("/api/employees").status_code == 403
    token = csrf_token(client, "/account/password")
    short = {"current_password": one_time, "new_password": "short", "confirm": "short", "csrf_token": token}
    assert client.post("/account/password", data=short).status_code == 400
    new = "a much better password"
    good = {"current_password": one_time, "new_password": new, "confirm": new, "next": "/records"}
    response = client.post("/account/password", data={**good, "csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"] == "/records"
    assert client.get("/records").status_code == 200  # the same session goes on
    assert not identity.user("newcomer").must_change
    assert sign_in(app.test_client(), "newcomer", new).status_code == 302


def test_a_session_of_another_state_is_refused(data: StateData, clock: MovingClock) -> None:
    """Two states' apps sharing a key (they never should) still refuse each other's sessions."""
    california = create_app(app_config(), clock=clock)
    client = signed_in(california.test_client())
    cookie = client.get_cookie("session")
    assert cookie is not None
    texas_config = app_config(
        US_STATE="texas",
        AWS_DYNAMODB_TABLE=schema.table_name("texas"),
        AWS_BUCKET=schema.bucket_prefix("texas") + "x",
    )
    texas = create_app(texas_config, clock=clock).test_client()
    texas.set_cookie("session", cookie.value)
    response = texas.get("/records")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


@pytest.mark.parametrize("change", ["reset_password", "set_role", "remove_user"])
def test_an_admins_change_to_a_user_ends_their_sessions(app: Flask, clock: MovingClock, change: str) -> None:
    client = app.test_client()
    name = add_user(app)
    assert sign_in(client, name).status_code == 302
    clock.advance(1)
    identity = app.extensions["humangov.identity"]
    if change == "reset_password":
        identity.call(accounts.reset_password, name, now=identity.clock)
    elif change == "set_role":
        identity.call(accounts.set_role, name, "viewer", now=identity.clock)
    else:
        identity.call(accounts.remove_user, name)
    assert client.get("/records").status_code == 302


def test_every_answer_carries_a_request_id_and_keeps_nginxs(anonymous: FlaskClient) -> None:
    first, second = anonymous.get("/healthz"), anonymous.get("/healthz")
    assert len(first.headers["X-Request-ID"]) == 32
    assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]
    given = "0f" * 16
    assert anonymous.get("/login", headers={"X-Request-ID": given}).headers["X-Request-ID"] == given
    forged = anonymous.get("/login", headers={"X-Request-ID": "<script>"}).headers["X-Request-ID"]
    assert forged != "<script>" and len(forged) == 32


def session_items(data: StateData) -> list[dict]:  # type: ignore[type-arg]
    return [i for i in data.all_items() if i[schema.HASH_KEY]["S"].startswith(schema.SESSION_PREFIX)]


def test_a_cookie_saved_before_sign_out_no_longer_works_after_it(app: Flask, data: StateData) -> None:
    """Issue 21, item 3: sessions are revocable server-side; the cookie holds only a random session id."""
    client = signed_in(app.test_client())
    saved = client.get_cookie("session")
    assert saved is not None
    [item] = session_items(data)
    assert "username" in item and saved.value not in str(item)  # only a hash of the id is stored
    token = hidden_fields(client, "/records")["csrf_token"]
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert session_items(data) == []
    replay = app.test_client()
    replay.set_cookie("session", saved.value)
    response = replay.get("/records")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert replay.get("/api/employees").status_code == 401


def test_an_expired_session_is_removed_from_the_table(
    app: Flask, data: StateData, clock: MovingClock
) -> None:
    client = signed_in(app.test_client())
    [item] = session_items(data)
    assert int(item[schema.TTL_ATTR]["N"]) >= clock.at.timestamp() + ABSOLUTE_SECONDS  # DynamoDB's TTL too
    clock.advance(IDLE_SECONDS + 1)
    assert client.get("/records").status_code == 302
    assert session_items(data) == []


@pytest.mark.parametrize("change", ["create_token", "revoke_token"])
def test_a_token_made_or_revoked_signs_no_one_out(app: Flask, clock: MovingClock, change: str) -> None:
    """Issue 21, item 8: creating or revoking an API token ended the user's sessions everywhere."""
    client = app.test_client()
    name = add_user(app)
    identity = app.extensions["humangov.identity"]
    info, _ = identity.call(accounts.create_token, name, now=identity.clock)
    assert sign_in(client, name).status_code == 302
    clock.advance(1)
    if change == "create_token":
        identity.call(accounts.create_token, name, now=identity.clock)
    else:
        identity.call(accounts.revoke_token, info.token_id, now=identity.clock)
    assert client.get("/records").status_code == 200
