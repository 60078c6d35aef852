"""Fixtures of the rollout's tests: moto in process (the aws platform's), and moto's server (the CLI's)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from moto import mock_aws

from humangov_deploy.clients import AwsClients
from suites.unit.commands.conftest import moto_server, moto_server_endpoint  # noqa: F401  (the same fixtures)
from suites.unit.platforms.aws.aws_testkit import REGION


@pytest.fixture
def moto_clients(monkeypatch: pytest.MonkeyPatch) -> Iterator[AwsClients]:
    # As suites/unit/platforms/aws/conftest.py (which imports its testkit by a path only its own tests have):
    # moto's services run 2 tasks only if this is set before CreateService.
    monkeypatch.setenv("MOTO_ECS_SERVICE_RUNNING", "2")
    with mock_aws():
        yield AwsClients(region=REGION)
