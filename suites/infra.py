"""Missing infrastructure (Docker, Chromium, terraform): skip with the reason, or fail where it must be there.

A developer's laptop may lack Docker or a browser, and a skip with the reason is the honest answer there.
CI must never pass by skipping: under `CI=true` (set by GitHub Actions and by this project's CI runner),
`HUMANGOV_REQUIRE_INFRA=1` or `pytest --no-skip-infra`, the same check fails the test with the reason.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import NoReturn

import pytest

OPTION = "--no-skip-infra"
ENV_FLAG = "HUMANGOV_REQUIRE_INFRA"
TRUE = frozenset({"1", "true", "yes", "on"})


def is_true(value: str | None) -> bool:
    return (value or "").strip().lower() in TRUE


def required(option: bool, environ: Mapping[str, str] | None = None) -> bool:
    """Whether missing infrastructure fails the run: the option, CI=true or HUMANGOV_REQUIRE_INFRA=1."""
    env = os.environ if environ is None else environ
    return option or is_true(env.get("CI")) or is_true(env.get(ENV_FLAG))


def why_required(option: bool, environ: Mapping[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    if option:
        return f"{OPTION} was given"
    if is_true(env.get("CI")):
        return f"CI={env.get('CI')}: CI never passes by skipping"
    return f"{ENV_FLAG}={env.get(ENV_FLAG)}"


def unavailable(reason: str, *, require: bool, because: str = "") -> NoReturn:
    """Skip with the reason, or fail with it when the infrastructure is required."""
    if require:
        pytest.fail(f"{reason} ({because or 'required'})", pytrace=False)
    pytest.skip(reason)


def config_requires(config: pytest.Config) -> tuple[bool, str]:
    """The run's policy and its reason, from the option (root conftest) and the environment."""
    option = bool(config.getoption(OPTION, default=False))
    return required(option), why_required(option)
