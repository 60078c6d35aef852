"""session_for: the local platform's CA bundle holds even when the environment names another bundle."""

from __future__ import annotations

import pytest
import requests

from humangov_deploy.http_session import session_for
from humangov_deploy.platforms.base import StackStatus


def merged_verify(session: requests.Session, **request: object) -> object:
    settings = session.merge_environment_settings(
        "https://127.0.0.1:1/", {}, None, request.get("verify"), None
    )
    return settings["verify"]


@pytest.mark.parametrize("variable", ["REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"])
def test_the_ca_bundle_wins_over_the_environments(monkeypatch: pytest.MonkeyPatch, variable: str) -> None:
    monkeypatch.setenv(variable, "/etc/ssl/certs/ca-certificates.crt")
    session = session_for(StackStatus("utah", "local", ca_bundle="/cache/ca/ca.pem"))
    assert merged_verify(session) == "/cache/ca/ca.pem"
    assert merged_verify(session, verify=False) is False  # one request's own choice still wins


def test_without_a_ca_bundle_requests_trusts_as_usual(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")
    session = session_for(StackStatus("utah", "aws"))
    assert merged_verify(session) == "/etc/ssl/certs/ca-certificates.crt"
