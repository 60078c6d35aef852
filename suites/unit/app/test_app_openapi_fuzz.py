"""Schemathesis fuzzes the JSON API from its own OpenAPI document, against the app on moto.

Every answer must be documented (status, content type, headers, body schema), no answer may be a 5xx,
and after every request each object in the bucket belongs to a record in the table and vice versa.
Bounded and deterministic: a fixed seed, derandomized Hypothesis, a few examples per operation.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import schemathesis
from app_testkit import API_HEADERS, BUCKET, PDF, StateData, bearer, seed_records, user_token
from flask import Flask
from humangov.openapi_document import document
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

# Per operation and generation mode (valid and invalid input): ~8 s for the whole run on 2 shared cores.
MAX_EXAMPLES = 15
SEED = 12
# What the fuzz run asserts on every answer; the other built-in checks judge API design choices
# (e.g. that every schema-valid body is accepted: a salary of 1e-05 is not), not the contract.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
CONFIG = schemathesis.Config.from_dict(
    {
        "seed": SEED,
        "generation": {
            "mode": "all",
            "max-examples": MAX_EXAMPLES,
            "deterministic": True,
            "database": "none",
        },
        # Examples (the document's valid record) and fuzzing; the coverage phase alone would add
        # hundreds of boundary cases, and the stateful phase needs OpenAPI links the document does not have.
        "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}},
    }
)
# Records written before each operation's run (legacy ones, without a version), so that the operations
# taking an id also reach existing records, not only 404s.
SEEDED = [("Grace", "Hopper"), ("Alan", "Turing"), ("Ada", "Lovelace"), ("Edsger", "Dijkstra")]
SEEDED_IDS = [f"seed{n:06d}" for n in range(len(SEEDED))]  # the ids seed_records() gives them


def assert_nothing_orphaned(data: StateData) -> None:
    """Every object belongs to a record in the table, and every record's document exists."""
    documents = {item["document"]["S"] for item in data.items()}
    objects = set(data.object_keys())
    assert objects - documents == set(), "objects without a record"
    assert documents - objects == set(), "records whose PDF is missing"


# Loaded from the same dict the app serves (test_app_openapi.py proves they are equal); a copy, because
# schemathesis changes the dict it loads and document() is cached.
schema = schemathesis.openapi.from_dict(json.loads(json.dumps(document())), config=CONFIG)


@schema.hook
def flatmap_path_parameters(context: Any, path_parameters: dict[str, Any]) -> st.SearchStrategy:
    # One of the seeded records, or the generated id (almost always a 404).
    if not path_parameters or "record_id" not in path_parameters:
        return st.just(path_parameters)
    seeded = st.sampled_from(SEEDED_IDS).map(lambda record_id: {**path_parameters, "record_id": record_id})
    return st.one_of(seeded, st.just(path_parameters))


@schema.hook
def flatmap_headers(context: Any, headers: dict[str, Any] | None) -> st.SearchStrategy:
    # Writes also get an If-Match that can match: the seeded records start at version 0 (stored before
    # versions existed) and reach 1 at their first write; `*` matches any; "7" is stale (412).
    if headers is None or context.operation.method.upper() not in {"PATCH", "DELETE"}:
        return st.just(headers)
    tags = st.sampled_from(['"0"', '"1"', "*", '"7"'])
    return st.one_of(tags.map(lambda tag: {**headers, "If-Match": tag}), st.just(headers))


@pytest.fixture
def auth(app: Flask) -> dict[str, str]:
    """An editor's API token: every case is signed in (anonymous answers have their own tests)."""
    return bearer(user_token(app, "editor"))


@pytest.fixture
def seeded(data: StateData) -> StateData:
    ids = seed_records(data, SEEDED)
    assert ids == SEEDED_IDS
    for item in data.items():
        data.s3.put_object(Bucket=BUCKET, Key=item["document"]["S"], Body=PDF)
    return data


@pytest.mark.slow
@schema.parametrize()
# One app and one table for all the examples of an operation, on purpose: each request meets the state
# the previous ones left, and the no-orphan invariant must hold across all of them.
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_the_api_answers_as_documented_and_orphans_nothing(
    case: schemathesis.Case, app: Flask, seeded: StateData, auth: dict[str, str]
) -> None:
    case.call_and_validate(app=app, checks=CHECKS, headers=auth)
    assert_nothing_orphaned(seeded)


def test_the_documented_example_creates_a_record(app: Flask, seeded: StateData, auth: dict[str, str]) -> None:
    """The fuzz run's one sure create: random bytes are rarely a PDF, so most generated creates are 400s."""
    create = schema["/api/employees"]["POST"]
    media = document()["paths"]["/api/employees"]["post"]["requestBody"]["content"]["multipart/form-data"]
    example = media["examples"]["teacher"]["value"]
    case = create.Case(body=dict(example), headers=dict(API_HEADERS), media_type="multipart/form-data")
    response = case.call_and_validate(app=app, checks=CHECKS, headers=auth)
    assert response.status_code == 201, response.text
    assert response.json()["last_name"] == example["last_name"]
    assert_nothing_orphaned(seeded)


@pytest.mark.parametrize(
    ("method", "body", "if_match", "status"),
    [
        ("PATCH", {"role": "Principal"}, '"0"', 200),
        ("PATCH", {"role": "Principal"}, '"7"', 412),
        ("DELETE", None, '"7"', 412),
        ("DELETE", None, '"0"', 204),
    ],
)
def test_if_match_answers_are_documented(
    app: Flask,
    seeded: StateData,
    auth: dict[str, str],
    method: str,
    body: dict[str, Any] | None,
    if_match: str,
    status: int,
) -> None:
    """The fuzz run rarely sends the one matching version: each outcome of If-Match, checked once."""
    operation = schema["/api/employees/{record_id}"][method]
    case = operation.Case(
        path_parameters={"record_id": SEEDED_IDS[0]},
        headers={**API_HEADERS, "If-Match": if_match},
        **({"body": body, "media_type": "application/json"} if body is not None else {}),
    )
    response = case.call_and_validate(app=app, checks=CHECKS, headers=auth)
    assert response.status_code == status, response.text
    assert_nothing_orphaned(seeded)


@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_a_multipart_part_name_with_a_line_break_is_a_400(
    app: Flask, seeded: StateData, auth: dict[str, str], method: str
) -> None:
    """Found by an exploratory run (seed 7, 200 examples, coverage phase): werkzeug names such a part None."""
    path = "/api/employees" if method == "POST" else "/api/employees/{record_id}"
    case = schema[path][method].Case(
        path_parameters={"record_id": SEEDED_IDS[0]} if method == "PATCH" else None,
        body={"a\rb": "null"},
        headers=dict(API_HEADERS),
        media_type="multipart/form-data",
    )
    response = case.call_and_validate(app=app, checks=CHECKS, headers=auth)
    assert response.status_code == 400, response.text


@pytest.mark.parametrize(
    ("path", "method"),
    [("/api/employees", "GET"), ("/api/employees", "POST"), ("/api/audit", "GET")],
)
def test_anonymous_answers_are_documented(app: Flask, seeded: StateData, path: str, method: str) -> None:
    """Without a token or session: the documented 401 (its required WWW-Authenticate header checked by
    response_headers_conformance)."""
    case = schema[path][method].Case(headers=dict(API_HEADERS), **({"body": {}} if method == "POST" else {}))
    if method == "POST":
        case.media_type = "multipart/form-data"
    response = case.call_and_validate(app=app, checks=CHECKS)
    assert response.status_code == 401, response.text
