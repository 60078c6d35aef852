"""Fixtures of the app's unit tests: moto with the state's tables and bucket, the app and its client.

`client` is signed in as an editor (most tests are about records); `admin_client` as an admin;
`anonymous` is a client that never signed in. Passwords are hashed at the tests' scrypt cost here
(suites/unit/scrypt_cost.py), so signing in costs milliseconds.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from app_speed import app_speedups
from app_testkit import StateData, app_config, create_state_data, signed_in
from flask import Flask
from flask.testing import FlaskClient
from humangov import accounts, create_app
from moto import mock_aws
from scrypt_cost import TEST_N, scrypt_n

from humangov_deploy import users


@pytest.fixture(scope="session", autouse=True)
def _app_speedups() -> Iterator[None]:
    # Shared app clients and compiled templates: app_speed.py says why and what each test must not do.
    with app_speedups():
        yield


@pytest.fixture(autouse=True)
def _cheap_password_hashes() -> Iterator[None]:
    # Both copies of accounts.py: the app's, and the one the deploy library loads by path (scrypt_cost.py).
    with scrypt_n(TEST_N, accounts), scrypt_n(TEST_N, users.accounts()):
        yield


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
    return signed_in(app.test_client(), "editor")


@pytest.fixture
def admin_client(app: Flask) -> FlaskClient:
    return signed_in(app.test_client(), "admin")


@pytest.fixture
def anonymous(app: Flask) -> FlaskClient:
    return app.test_client()
