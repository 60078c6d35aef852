"""Fixtures of the CI tests: the two workflows, parsed."""

from __future__ import annotations

from typing import Any

import pytest
from ci_helpers import load_workflow


@pytest.fixture(scope="module")
def nightly() -> dict[str, Any]:
    return load_workflow("nightly-acceptance.yml")


@pytest.fixture(scope="module")
def ci() -> dict[str, Any]:
    return load_workflow("ci.yml")
