"""Liveness never calls AWS; readiness answers 200 only when the table and the bucket do."""

from __future__ import annotations

from typing import Any

from app_testkit import AUDIT_TABLE, BUCKET, TABLE, StateData, app_config
from flask.testing import FlaskClient
from humangov import create_app


class ExplodingStorage:
    """Any storage call fails the test: proves a route does not touch AWS."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"storage.{name} was called")


def test_healthz_is_ok_without_calling_aws() -> None:
    client = create_app(app_config(), storage=ExplodingStorage()).test_client()  # type: ignore[arg-type]
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_home_page_sends_a_visitor_to_sign_in_without_calling_storage() -> None:
    anonymous = create_app(app_config(), storage=ExplodingStorage()).test_client()  # type: ignore[arg-type]
    response = anonymous.get("/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/"


def test_readyz_is_ok_when_table_and_bucket_answer(client: FlaskClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    checks = {"table": "ok", "bucket": "ok", "audit_table": "ok"}
    assert response.get_json() == {"status": "ok", "checks": checks}


def test_readyz_is_503_without_the_bucket(client: FlaskClient, data: StateData) -> None:
    data.s3.delete_bucket(Bucket=BUCKET)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"] == {"table": "ok", "bucket": "unavailable", "audit_table": "ok"}


def test_readyz_is_503_without_the_table(client: FlaskClient, data: StateData) -> None:
    data.dynamodb.delete_table(TableName=TABLE)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json() == {
        "status": "unavailable",
        "checks": {"table": "unavailable", "bucket": "ok", "audit_table": "ok"},
    }


def test_readyz_is_503_without_the_audit_table(client: FlaskClient, data: StateData) -> None:
    """Issue 21, item 1: no change can be made that could not be audited, so the app is not ready."""
    data.dynamodb.delete_table(TableName=AUDIT_TABLE)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"] == {"table": "ok", "bucket": "ok", "audit_table": "unavailable"}


def test_pages_say_storage_is_unavailable_with_503(client: FlaskClient, data: StateData) -> None:
    data.dynamodb.delete_table(TableName=TABLE)
    page = client.get("/records")
    assert page.status_code == 503
    assert "not available" in page.get_data(as_text=True)
    api = client.get("/api/employees")
    assert api.status_code == 503
    assert "not available" in api.get_json()["error"]
