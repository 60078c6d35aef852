"""Confirmations are kept server-side, never in the cookie (issue 21, item 9): 12 creates with long names
made an 8.4 KB session cookie (nginx then answered 431 to every request) with the names readable in it."""

from __future__ import annotations

import base64
import zlib

from app_testkit import StateData, form, text
from flask.testing import FlaskClient


def cookie_text(client: FlaskClient) -> str:
    """What anyone holding the cookie reads in it (Flask signs it, it does not encrypt it)."""
    cookie = client.get_cookie("session")
    assert cookie is not None
    payload = cookie.value.lstrip(".").split(".")[0]
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    return (zlib.decompress(raw) if cookie.value.startswith(".") else raw).decode("utf-8", "replace")


def test_confirmations_stay_out_of_the_cookie_and_are_shown_once(
    client: FlaskClient, data: StateData
) -> None:
    names = [f"Maximilianus{n:02d}" + "x" * 80 for n in range(12)]
    for name in names:
        response = client.post("/new_record", data=form(client, first_name=name, last_name="Longname"))
        assert response.status_code == 302
        cookie = client.get_cookie("session")
        assert cookie is not None and len(cookie.value) < 400
        assert name not in cookie_text(client) and "Longname" not in cookie_text(client)
    page = text(client.get("/records"))
    # The latest few are shown (bounded), once.
    assert f"Added {names[-1]} Longname." in page
    assert f"Added {names[0]} Longname." not in page
    assert "Added" not in text(client.get("/records"))


def test_a_refusal_on_the_users_page_is_shown_on_that_page(admin_client: FlaskClient) -> None:
    token = form(admin_client, token_from="/admin/users")["csrf_token"]
    page = admin_client.post("/admin/users", data={"username": "x", "role": "viewer", "csrf_token": token})
    assert page.status_code == 400 and "Bad username" in text(page)
    assert "Bad username" not in text(admin_client.get("/admin/users"))
