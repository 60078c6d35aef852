"""Fixtures of the app's unit tests: moto with the state's table and bucket, the app and its client."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from app_testkit import StateData, app_config, create_state_data
from flask import Flask
from flask.testing import FlaskClient
from humangov import create_app
from moto import mock_aws


@pytest.fixture(autouse=True)
def _fake_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    # Also set by suites/unit/conftest.py and tox; repeated so `pytest suites/unit/app` alone is safe.
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")


@pytest.fixture
def data() -> Iterator[StateData]:
    with mock_aws():
        yield create_state_data()


@pytest.fixture
def app(data: StateData) -> Flask:
    return create_app(app_config())


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()
