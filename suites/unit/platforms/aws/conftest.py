"""Fixtures of the aws platform's unit tests: moto started before any client exists."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from aws_testkit import REGION
from moto import mock_aws

from humangov_deploy.clients import AwsClients


@pytest.fixture
def moto_clients(monkeypatch: pytest.MonkeyPatch) -> Iterator[AwsClients]:
    # moto's services report 0 running tasks and an IN_PROGRESS rollout forever unless this is set
    # before CreateService (DESIGN.md, "Known limits of moto"); the `stable` wait needs 2.
    monkeypatch.setenv("MOTO_ECS_SERVICE_RUNNING", "2")
    with mock_aws():
        yield AwsClients(region=REGION)
