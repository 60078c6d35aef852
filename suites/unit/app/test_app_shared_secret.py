"""Behind the load balancer a form served by one task is posted to another: they share SECRET_KEY."""

from __future__ import annotations

from app_testkit import SECRET, StateData, app_config, csrf_token, form, signed_in
from flask.testing import FlaskClient
from humangov import create_app
from werkzeug.test import TestResponse


def two_tasks(secret_one: str, secret_two: str) -> tuple[FlaskClient, FlaskClient]:
    one = signed_in(create_app(app_config(SECRET_KEY=secret_one, TESTING=None)).test_client())
    two = signed_in(create_app(app_config(SECRET_KEY=secret_two, TESTING=None)).test_client())
    return one, two


def post_form_from_one_to_two(one: FlaskClient, two: FlaskClient) -> TestResponse:
    token = csrf_token(one)
    session = one.get_cookie("session")
    assert session is not None, "task one set no session cookie"
    two.set_cookie("session", session.value)  # the browser sends its cookie to whichever task answers
    return two.post("/new_record", data={**form(), "csrf_token": token})


def test_a_form_from_one_task_posts_to_another_with_the_same_key(data: StateData) -> None:
    one, two = two_tasks(SECRET, SECRET)
    assert post_form_from_one_to_two(one, two).status_code == 302
    assert len(data.items()) == 1
    assert len(data.object_keys()) == 1


def test_tasks_with_different_keys_refuse_each_others_forms(data: StateData) -> None:
    one, two = two_tasks(SECRET, SECRET[::-1])
    # Task two cannot read task one's session at all: the visitor is not signed in there.
    refused = post_form_from_one_to_two(one, two)
    assert refused.status_code == 302
    assert refused.headers["Location"].startswith("/login?next=")
    assert data.items() == []
    assert data.object_keys() == []
