"""A second deploy of a running stack changes nothing: no AWS call that writes (on AWS) and no task
replaced. Terratest users check the same with a second `apply`. (The local platform re-applies its data
settings to its own emulator on every deploy, as `humangov data create` does: those writes stay there.)"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import botocore.client
from livekit import LiveStack

from humangov_deploy.testing.plugin import DEPLOY_TIMEOUT, progress

READS = ("Describe", "List", "Get", "Head", "BatchGet", "Query", "Scan")


@contextmanager
def writes_recorded() -> Iterator[list[str]]:
    """Every AWS operation botocore sends in the block that is not a read (service.Operation)."""
    writes: list[str] = []
    original = botocore.client.BaseClient._make_api_call

    def record(self: Any, operation: str, params: dict[str, Any]) -> Any:
        if not operation.startswith(READS):
            writes.append(f"{self.meta.service_model.service_name}.{operation}")
        return original(self, operation, params)

    botocore.client.BaseClient._make_api_call = record  # type: ignore[method-assign]
    try:
        yield writes
    finally:
        botocore.client.BaseClient._make_api_call = original  # type: ignore[method-assign]


def test_a_second_deploy_of_the_running_stack_changes_nothing(stack: LiveStack) -> None:
    before = sorted(t.id for t in stack.refresh().tasks)
    with writes_recorded() as writes:
        stack.platform.deploy(stack.state, timeout=DEPLOY_TIMEOUT[stack.platform_name], progress=progress)
    if stack.platform_name == "aws":
        assert writes == []
    assert sorted(t.id for t in stack.refresh().tasks) == before
