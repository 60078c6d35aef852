"""A redeploy of an unchanged stack writes nothing to AWS (moto): every step finds before it creates, and
the data is trusted by its recorded fingerprint. The live suite checks the same on a real stack."""

from __future__ import annotations

from typing import Any

import botocore.client
import pytest
from aws_testkit import moto_platform

from humangov_deploy.clients import AwsClients

READS = ("Describe", "List", "Get", "Head", "BatchGet", "Query", "Scan")


def test_a_second_deploy_makes_no_call_that_writes(
    moto_clients: AwsClients, monkeypatch: pytest.MonkeyPatch
) -> None:
    moto_platform(moto_clients).deploy("texas", timeout=300, progress=lambda _m: None)
    writes: list[str] = []
    original = botocore.client.BaseClient._make_api_call

    def record(self: Any, operation: str, params: dict[str, Any]) -> Any:
        if not operation.startswith(READS):
            writes.append(f"{self.meta.service_model.service_name}.{operation}")
        return original(self, operation, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", record)
    moto_platform(moto_clients, run_id="20261127T120000Z-second").deploy(
        "texas", timeout=300, progress=lambda _m: None
    )
    assert writes == []
