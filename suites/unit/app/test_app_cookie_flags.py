"""The session cookie: HttpOnly and SameSite=Lax always, Secure when the request reached nginx over HTTPS."""

from __future__ import annotations

from app_testkit import csrf_token, form
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

HTTPS = {"X-Forwarded-Proto": "https"}


def _session_cookie(response: TestResponse) -> list[str]:
    [cookie] = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    return [part.strip() for part in cookie.split(";")]


def test_over_https_the_session_cookie_is_secure(client: FlaskClient) -> None:
    flags = _session_cookie(client.get("/new_record", headers=HTTPS))
    assert "Secure" in flags
    assert "HttpOnly" in flags
    assert "SameSite=Lax" in flags


def test_over_plain_http_the_cookie_is_not_secure_but_still_httponly_and_lax(client: FlaskClient) -> None:
    for headers in ({}, {"X-Forwarded-Proto": "http"}):
        fresh = client.application.test_client()  # a new browser: the cookie is set on its first page
        flags = _session_cookie(fresh.get("/login", headers=headers))
        assert "Secure" not in flags, headers
        assert "HttpOnly" in flags
        assert "SameSite=Lax" in flags


def test_a_form_posted_over_https_is_accepted(client: FlaskClient) -> None:
    # Over HTTPS, Flask-WTF also checks that the Referer is this site (browsers send it same-origin).
    token = csrf_token(client)
    headers = {**HTTPS, "Referer": "https://localhost/new_record"}
    response = client.post("/new_record", data={**form(), "csrf_token": token}, headers=headers)
    assert response.status_code == 302
    # The confirmation is kept server-side (notices.py): this answer needs no new cookie; the next
    # page that sets one marks it Secure.
    assert all("Secure" in c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
