"""Root conftest: the options every suite shares, and the suite marker taken from each test's folder.

--state, --platform, --region, --require-live, --keep, --reuse, --app-image and --nginx-image come from
the project's pytest plugin (humangov_deploy.testing, registered by the package's pytest11 entry point).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

import pytest

from suites import infra

# Per-test and per-fixture times for scripts/bench_unit.py; does nothing unless HUMANGOV_UNIT_TIMINGS is set.
pytest_plugins = ("suites.timings", "pytester")

SUITES = ("unit", "container", "live")
ROOT = Path(__file__).resolve().parent


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("humangov")
    group.addoption(
        infra.OPTION,
        action="store_true",
        default=False,
        help="fail, do not skip, when Docker, Chromium or terraform is missing "
        f"(on by default under CI=true or {infra.ENV_FLAG}=1)",
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
def infra_unavailable(pytestconfig: pytest.Config) -> Callable[[str], NoReturn]:
    """Call it with what is missing: it skips, or fails where CI must not pass by skipping (suites/infra)."""
    require, because = infra.config_requires(pytestconfig)

    def unavailable(reason: str) -> NoReturn:
        infra.unavailable(reason, require=require, because=because)

    return unavailable
