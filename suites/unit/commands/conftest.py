"""Fixtures of the stack commands' tests: an AWS emulator (moto's server) on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from moto.server import ThreadedMotoServer


@pytest.fixture
def moto_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """moto's server in this process, on a free loopback port; yields its endpoint URL.

    Its ECS services report 2 running tasks and a COMPLETED rollout (MOTO_ECS_SERVICE_RUNNING, read at
    CreateService in this process): moto never starts tasks, so without it no rollout ever completes.
    """
    monkeypatch.setenv("MOTO_ECS_SERVICE_RUNNING", "2")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield f"http://{host}:{port}"
    finally:
        server.stop()
