"""Fixtures of the accounts/audit tests: moto with a state's records and audit tables, a movable clock."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from accounts_testkit import Clock, make_tables
from moto import mock_aws


@pytest.fixture
def dynamodb() -> Iterator[Any]:
    with mock_aws():
        yield make_tables()


@pytest.fixture
def clock() -> Clock:
    return Clock()
