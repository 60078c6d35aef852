"""A JSON body is read one way: malformed ones are a 400 saying why, numbers as written (issue 21: 6, 13)."""

from __future__ import annotations

from typing import Any

import pytest
from app_testkit import API_HEADERS, StateData, add_record
from flask.testing import FlaskClient

JSON = {**API_HEADERS, "Content-Type": "application/json"}


def patch(client: FlaskClient, record_id: str, body: str | bytes) -> Any:
    return client.patch(f"/api/employees/{record_id}", data=body, headers=JSON)


@pytest.mark.parametrize("depth", [33, 1000, 100_000])
def test_a_deeply_nested_body_is_400_with_a_clear_message(
    client: FlaskClient, data: StateData, depth: int
) -> None:
    """Item 6: it was a 500 (the parser's RecursionError)."""
    record = add_record(client)
    for body in ("[" * depth + "]" * depth, '{"role":' + "[" * depth + "]" * depth + "}"):
        response = patch(client, record["id"], body)
        assert response.status_code == 400, response.get_data(as_text=True)[:200]
        assert response.get_json()["error"] == "The JSON body is nested more than 32 levels deep."


def test_brackets_inside_strings_do_not_count_as_nesting(client: FlaskClient, data: StateData) -> None:
    record = add_record(client)
    response = patch(client, record["id"], '{"role": "' + "[{" * 40 + '"}')
    assert response.status_code == 200 and response.get_json()["role"] == "[{" * 40


@pytest.mark.parametrize("number", ["1e3", "1E3", "1.0e3", "52000.5e0", "5e-1"])
def test_a_json_number_with_an_exponent_is_refused_like_the_same_text(
    client: FlaskClient, data: StateData, number: str
) -> None:
    """Item 13: {"salary": 1e3} was stored as 1000, while "1e3" as text was refused."""
    record = add_record(client, salary="52000")
    as_number = patch(client, record["id"], f'{{"salary": {number}}}')
    as_text = patch(client, record["id"], f'{{"salary": "{number}"}}')
    assert as_number.status_code == as_text.status_code == 400
    assert as_number.get_json()["fields"] == as_text.get_json()["fields"]
    item = data.item(record["id"])
    assert item is not None and item["salary"]["N"] == "52000"


def test_invalid_utf8_says_so(client: FlaskClient, data: StateData) -> None:
    record = add_record(client)
    response = patch(client, record["id"], b'{"role": "\xff\xfe"}')
    assert response.status_code == 400
    assert "not valid UTF-8" in response.get_json()["error"]


def test_a_syntax_error_says_where(client: FlaskClient, data: StateData) -> None:
    record = add_record(client)
    response = patch(client, record["id"], '{"role": "x",}')
    assert response.status_code == 400
    assert response.get_json()["error"].startswith("The body is not valid JSON: ")
    assert "line 1, column 14" in response.get_json()["error"]
