"""Unit suite: every test runs against moto or fakes, with fake credentials and no network."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from moto_speed import moto_speedups
from strict_aws import strict_aws  # noqa: F401  (the strict layer's fixture, for every unit test)


@pytest.fixture(scope="session", autouse=True)
def _moto_speedups() -> Iterator[None]:
    # Session scope: on before any module- or session-scoped moto stack is built (moto_speed.py says why).
    with moto_speedups():
        yield


@pytest.fixture(autouse=True)
def _fake_aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    # Unit tests must never reach a real account, whatever the developer's shell exports.
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
