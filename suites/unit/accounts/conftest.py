"""Fixtures of the accounts/audit tests: one moto per module with a state's records and audit tables made
anew for each test, a movable clock, and scrypt at a test cost (scrypt_cost.py says why)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from accounts_testkit import Clock, make_tables
from moto import mock_aws
from scrypt_cost import TEST_N, scrypt_n


@pytest.fixture(scope="module")
def _moto() -> Iterator[None]:
    with mock_aws():
        yield


@pytest.fixture
def dynamodb(_moto: None) -> Any:
    return make_tables()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(autouse=True)
def _test_scrypt_cost() -> Iterator[None]:
    with scrypt_n(TEST_N):
        yield
