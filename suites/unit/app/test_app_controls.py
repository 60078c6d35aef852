"""Pages show only what the user's role may do (issue 21, item 15): viewers were shown Edit and Delete
controls (and New record links) that answer 403.

Every link and form on the pages a role can open is resolved through the app's url_map to its view, and
that view must allow the role; the controls a role may use are still there.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from app_testkit import StateData, add_record, signed_in, text
from flask import Flask
from flask.testing import FlaskClient
from humangov import accounts
from werkzeug.exceptions import HTTPException

TAGS = re.compile(r"<(a|form)\b([^>]*)>", re.IGNORECASE)
ATTRIBUTE = re.compile(r'(\w+)="([^"]*)"')


def controls(page: str) -> list[tuple[str, str]]:
    """(method, path) of every same-site link and form on the page."""
    found = []
    for tag, attributes in TAGS.findall(page):
        named = {name.lower(): value for name, value in ATTRIBUTE.findall(attributes)}
        target = named.get("href" if tag.lower() == "a" else "action", "")
        parts = urlsplit(target.replace("&amp;", "&"))
        if parts.netloc or not parts.path.startswith("/"):
            continue
        method = named.get("method", "get").upper() if tag.lower() == "form" else "GET"
        found.append((method, parts.path))
    return found


def required_role(app: Flask, method: str, path: str) -> str | None:
    """The role the view behind (method, path) needs; None for a public view."""
    try:
        endpoint, _ = app.url_map.bind("localhost").match(path, method=method)
    except HTTPException as exc:
        raise AssertionError(f"{method} {path} is no route of the app") from exc
    view = app.view_functions[endpoint]
    if endpoint == "static" or getattr(view, "_humangov_public", False):
        return None
    return str(getattr(view, "_humangov_role", "viewer"))


@pytest.mark.parametrize("role", ["viewer", "editor", "admin"])
def test_every_control_on_every_page_is_one_the_role_may_use(
    app: Flask, data: StateData, client: FlaskClient, role: str
) -> None:
    record = add_record(client)
    web = signed_in(app.test_client(), role)
    pages = ["/", "/records", "/search?name=Ada", f"/edit_record/{record['id']}", "/new_record"]
    seen: set[tuple[str, str]] = set()
    for path in pages:
        response = web.get(path)
        if response.status_code == 403:
            assert role == "viewer" and path in pages[3:]
            continue
        assert response.status_code == 200, path
        for method, target in controls(text(response)):
            need = required_role(app, method, target)
            assert need is None or accounts.role_allows(role, need), (path, method, target, need)
            seen.add((method, target))
    # What the role may do is still offered.
    assert ("GET", f"/records/pdf/{record['id']}") in seen
    may_edit = role != "viewer"
    assert (("GET", f"/edit_record/{record['id']}") in seen) is may_edit
    assert (("POST", "/records/delete") in seen) is may_edit
    assert (("GET", "/new_record") in seen) is may_edit
    assert (("GET", "/admin/users") in seen) is (role == "admin")
