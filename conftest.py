"""Root conftest: the options every suite shares, and the suite marker taken from each test's folder."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

import pytest

from suites import infra

# Per-test and per-fixture times for scripts/bench_unit.py; does nothing unless HUMANGOV_UNIT_TIMINGS is set.
pytest_plugins = ("suites.timings",)

SUITES = ("unit", "container", "live")
ROOT = Path(__file__).resolve().parent


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("humangov")
    group.addoption(
        "--state",
        action="append",
        default=None,
        metavar="NAME",
        help="US state slug to test, such as california or new-york (repeatable; default: california)",
    )
    group.addoption(
        "--platform",
        choices=("aws", "local"),
        default=None,
        help="platform for the live suite (default: aws, as the acceptance test on ECS Fargate)",
    )
    group.addoption(
        "--require-live",
        action="store_true",
        default=False,
        help="fail, do not skip, when the live platform is unavailable (nightly runs)",
    )
    group.addoption(
        infra.OPTION,
        action="store_true",
        default=False,
        help="fail, do not skip, when Docker, Chromium or terraform is missing "
        f"(on by default under CI=true or {infra.ENV_FLAG}=1)",
    )
    group.addoption(
        "--keep",
        action="store_true",
        default=False,
        help="leave the provisioned stack up after the live suite, for debugging",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # A test's suite is its folder: suites/unit/... is `unit`, so `-m unit` can never miss a test.
    for item in items:
        try:
            rel = Path(item.fspath).resolve().relative_to(ROOT / "suites")
        except ValueError:
            continue
        if rel.parts and rel.parts[0] in SUITES:
            item.add_marker(getattr(pytest.mark, rel.parts[0]))


@pytest.fixture(scope="session")
def states(pytestconfig: pytest.Config) -> list[str]:
    from humangov_deploy.appsrc import validate_state

    return [validate_state(s) for s in (pytestconfig.getoption("--state") or ["california"])]


@pytest.fixture(scope="session")
def state(states: list[str]) -> str:
    return states[0]


@pytest.fixture(scope="session")
def platform_name(pytestconfig: pytest.Config) -> str:
    return str(pytestconfig.getoption("--platform") or "aws")


@pytest.fixture(scope="session")
def infra_unavailable(pytestconfig: pytest.Config) -> Callable[[str], NoReturn]:
    """Call it with what is missing: it skips, or fails where CI must not pass by skipping (suites/infra)."""
    require, because = infra.config_requires(pytestconfig)

    def unavailable(reason: str) -> NoReturn:
        infra.unavailable(reason, require=require, because=because)

    return unavailable
