"""Fixtures of the stack commands' tests: an AWS emulator (moto's server) on 127.0.0.1."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator

import pytest

from humangov_deploy.build.emulator import EmbeddedAws


def reset_moto(endpoint: str) -> None:
    """Every emulated account back to empty (moto's `/moto-api/reset`), without restarting the server."""
    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"), timeout=10)


@pytest.fixture(scope="session")
def moto_server_endpoint() -> Iterator[str]:
    """One moto server per test process: stopping one waits up to 0.5 s (its shutdown poll), per test."""
    with EmbeddedAws() as aws:
        yield aws.endpoint_url


@pytest.fixture
def moto_server(moto_server_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """moto's server in this process, on a free loopback port, empty for this test; yields its endpoint URL.

    Its ECS services report 2 running tasks and a COMPLETED rollout (MOTO_ECS_SERVICE_RUNNING, read at
    CreateService in this process): moto never starts tasks, so without it no rollout ever completes.
    """
    monkeypatch.setenv("MOTO_ECS_SERVICE_RUNNING", "2")
    reset_moto(moto_server_endpoint)  # nothing from an earlier test (even a crashed one)
    yield moto_server_endpoint
    reset_moto(moto_server_endpoint)  # and nothing left for later tests of this process (moto is global)
