"""Fixtures of the AWS wrappers' unit tests: moto started before any client exists."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from moto import mock_aws

from humangov_deploy.clients import AwsClients


@pytest.fixture
def clients() -> Iterator[AwsClients]:
    with mock_aws():
        yield AwsClients(region="us-east-1")
