"""The OpenAPI document: valid OpenAPI 3.1, served without a guard header, and in step with the routes."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from humangov.api import GUARD_HEADER, SAFE_METHODS
from humangov.openapi_document import document
from openapi_spec_validator import OpenAPIV31SpecValidator, validate

HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
# Flask adds HEAD to every GET route and OPTIONS to every route by itself; the document leaves them out.
IMPLICIT_METHODS = {"HEAD", "OPTIONS"}


def routes_under_api(app: Flask) -> set[tuple[str, str]]:
    """(path in OpenAPI's `{name}` form, METHOD) for every route the app serves under /api/."""
    routes = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        routes.update((path, method) for method in (rule.methods or set()) - IMPLICIT_METHODS)
    return routes


def documented_operations() -> set[tuple[str, str]]:
    return {
        (path, method.upper())
        for path, item in document()["paths"].items()
        for method in item
        if method in HTTP_METHODS
    }


def test_the_document_is_valid_openapi_3_1(client: FlaskClient) -> None:
    served = client.get("/api/openapi.json")
    assert served.status_code == 200
    assert served.mimetype == "application/json"
    spec = served.get_json()
    assert spec["openapi"].startswith("3.1.")
    validate(spec, cls=OpenAPIV31SpecValidator)  # raises OpenAPIValidationError naming the bad part
    assert spec == document()


def test_every_api_route_is_documented_and_every_documented_path_exists(app: Flask) -> None:
    served = routes_under_api(app)
    documented = documented_operations()
    assert served, "no route under /api/: the blueprints were not registered"
    assert served - documented == set(), "routes the document does not describe"
    assert documented - served == set(), "documented operations the app does not serve"


def test_every_operation_that_changes_data_documents_the_guard_header() -> None:
    spec = document()
    guard = spec["components"]["parameters"]["Guard"]
    # Required with the session cookie only (a Bearer token needs none): documented, not required.
    assert guard["name"] == GUARD_HEADER and "cookie" in guard["description"]
    for path, method in documented_operations():
        operation = spec["paths"][path][method.lower()]
        refs = [p.get("$ref") for p in operation.get("parameters", [])]
        guarded = "#/components/parameters/Guard" in refs
        assert guarded == (method not in SAFE_METHODS), f"{method} {path}"
        if method not in SAFE_METHODS:
            assert "403" in operation["responses"], f"{method} {path} does not document the guard's 403"
