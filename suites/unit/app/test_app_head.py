"""HEAD is GET without a body, on every route: same status, no side effect of its own (issue 21, item 2).

Views that take GET and POST used to test `method == "GET"` and run the POST code for anything else; a HEAD
(which CSRF protection lets through, as a safe method) created records, changed passwords and counted
failed sign-ins. Every rule of the url_map is walked, with a body that would do harm if it were read.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from app_testkit import PASSWORD, StateData, add_record, add_user, form, sign_in
from flask import Flask
from flask.testing import FlaskClient
from humangov import schema


def snapshot(data: StateData) -> tuple[Any, ...]:
    """What a request could change: the records table (without sessions' last-use stamps), the bucket,
    and the audit trail's actions."""
    items = sorted(
        str(sorted((k, v) for k, v in item.items() if k not in ("seen", "rev"))) for item in data.all_items()
    )
    return items, sorted(data.object_keys()), Counter(e.action for e in data.audit())


def harmful_body() -> dict[str, Any]:
    """Fields every POST handler of the app would act on if a HEAD ran it."""
    return {
        **form(first_name="Mallory", last_name="Head"),
        "username": "nobody-here",
        "password": "wrong password 0000",
        "current_password": PASSWORD,
        "new_password": "a brand new password 99",
        "confirm": "a brand new password 99",
        "role": "viewer",
        "id": "0" * 32,
    }


def urls(app: Flask, record_id: str, username: str) -> list[str]:
    args = {"record_id": record_id, "username": username, "filename": "style.css", "token_id": "abcdef"}
    found = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if "GET" in (rule.methods or ()):
                found.append(app.url_for(rule.endpoint, **{a: args[a] for a in rule.arguments}))
    return sorted(found)


def test_the_walk_covers_every_page_that_also_takes_a_post(admin_client: FlaskClient) -> None:
    walked = set(urls(admin_client.application, "r", "u"))
    for path in ("/login", "/account/password", "/new_record", "/edit_record/r", "/records", "/readyz"):
        assert path in walked


@pytest.mark.parametrize("role", ["admin", "anonymous"])
def test_head_on_every_route_answers_as_get_and_changes_nothing_get_does_not(
    app: Flask, data: StateData, role: str
) -> None:
    web = app.test_client()
    admin = add_user(app, "admin")
    assert sign_in(web, admin).status_code == 302
    record_id = add_record(web)["id"]
    if role == "anonymous":
        web = app.test_client()
    for url in urls(app, record_id, admin):
        before = snapshot(data)
        head = web.open(url, method="HEAD", data=harmful_body())
        after_head = snapshot(data)
        get = web.get(url)
        after_get = snapshot(data)
        assert head.status_code == get.status_code, url
        assert head.get_data() == b"", url
        # Without the query: a presigned PDF link carries the second it was signed.
        assert (head.headers.get("Location") or "").split("?")[0] == (
            get.headers.get("Location") or ""
        ).split("?")[0], url
        # HEAD did to the data exactly what GET then did again (for most routes: nothing at all).
        assert after_head[0] == before[0], url
        assert after_head[1] == before[1], url
        assert after_get[2] - after_head[2] == after_head[2] - before[2], url


def test_head_on_the_sign_in_form_takes_no_attempt_of_the_throttle(app: Flask, data: StateData) -> None:
    name = add_user(app, "editor")
    web = app.test_client()
    for _ in range(10):
        web.open("/login", method="HEAD", data={"username": name, "password": "wrong password 0000"})
    throttles = [i for i in data.all_items() if i[schema.HASH_KEY]["S"].startswith(schema.THROTTLE_PREFIX)]
    assert throttles == []
