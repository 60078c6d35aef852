"""Live suite: provision a whole state on a platform (aws by default, or local), assert it, tear it down.

`pytest -m live suites/live --state california [--state texas ...] [--platform aws|local] [-n 2]`.
The stack, its options and its teardown come from the project's own pytest plugin (humangov_deploy.testing,
installed with the package): `stack` here is the plugin's `humangov_stack`, parametrized over the --state
options (session scope, one stack per state); with pytest-xdist all tests of a state go to one worker
(`--dist loadgroup`, set here), so several states are provisioned in parallel and no two workers ever
deploy the same state.

Docker (local platform) and Chromium (browser test) missing: a skip with the reason, or a failure under
--require-live, CI=true, HUMANGOV_REQUIRE_INFRA=1 or --no-skip-infra (suites/infra.py). No AWS credentials
(aws platform): a skip, or a failure under --require-live only, since CI runs the local platform.

Teardown is registered before the first create call and runs on failure and on interruption (SIGTERM
too); afterwards the suite proves nothing of the run is left, unless --keep leaves the stack up (and
--reuse adopts it in the next run).
"""

from __future__ import annotations

import os
import shutil
from typing import NoReturn

import pytest

from humangov_deploy.platforms import get_platform
from humangov_deploy.platforms.base import Platform
from humangov_deploy.testing import HumangovStack
from humangov_deploy.testing.availability import Missing, check_docker, unavailable
from humangov_deploy.testing.plugin import DEPLOY_TIMEOUT, DESTROY_TIMEOUT, leftovers, progress

__all__ = ["DEPLOY_TIMEOUT", "DESTROY_TIMEOUT", "check_docker", "leftovers", "open_platform", "progress"]
# Debian's chromium and chromium-driver; elsewhere (GitHub's runners ship Google Chrome and a matching
# chromedriver) the two variables name another Chromium-based browser and its driver.
CHROMIUM = os.environ.get("HUMANGOV_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("HUMANGOV_CHROMEDRIVER", "/usr/bin/chromedriver")


def pytest_configure(config: pytest.Config) -> None:
    # xdist's default "load" would spread one state's tests over workers, each deploying that state:
    # the controller schedules by group instead, and each worker tags its node ids with the group.
    if not hasattr(config, "workerinput") and getattr(config.option, "dist", "no") == "load":
        config.option.dist = "loadgroup"


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # On an xdist worker, tag each test's node id with its state's group, as `--dist loadgroup` does.
    # xdist (3.8) does it by setting `item._nodeid`, which pytest 9.2 no longer reads (node ids became
    # structured), and a worker started with plain `-n` does not know the controller switched anyway.
    if not hasattr(config, "workerinput"):
        return
    for item in items:
        groups = sorted({str(m.args[0]) for m in item.iter_markers("xdist_group") if m.args})
        if groups and "@" not in item.nodeid.rsplit("]", 1)[-1]:
            _set_nodeid(item, f"{item.nodeid}@{'_'.join(groups)}")


def _set_nodeid(item: pytest.Item, nodeid: str) -> None:
    try:
        from _pytest.nodeid import NodeId  # pytest >= 9.2
    except ImportError:
        item._nodeid = nodeid  # type: ignore[attr-defined]
        return
    item._id = NodeId.parse(nodeid)  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def live_state(humangov_state: str) -> str:
    return humangov_state


@pytest.fixture(scope="session")
def require_live(humangov_require_live: bool) -> bool:
    return humangov_require_live


@pytest.fixture(scope="session")
def humangov_infra_missing(require_live: bool, infra_unavailable: Missing) -> Missing:
    """Docker or Chromium missing: fails under --require-live, and wherever CI must not pass by skipping
    (this project's rule, suites/infra.py: it overrides the plugin's fixture of the same name)."""

    def missing(reason: str) -> NoReturn:
        if require_live:
            unavailable(reason, require_live)
        infra_unavailable(reason)

    return missing


@pytest.fixture(scope="session")
def missing_infra(humangov_infra_missing: Missing) -> Missing:
    return humangov_infra_missing


def find_browser(missing: Missing, paths: tuple[str, str] = (CHROMIUM, CHROMEDRIVER)) -> tuple[str, str]:
    """Debian's chromium and chromium-driver, or `missing` names the package to install."""
    absent = [path for path in paths if not shutil.which(path)]
    if absent:
        missing(f"{', '.join(absent)} missing: apt-get install chromium chromium-driver")
    return paths


@pytest.fixture(scope="session")
def live_platform_name(humangov_platform: Platform, humangov_platform_name: str) -> str:
    """The platform's name, once the plugin found it usable (AWS credentials, a Docker engine)."""
    return humangov_platform_name


@pytest.fixture(scope="session")
def run_id(humangov_run_id: str) -> str:
    return humangov_run_id


def open_platform(name: str, run_id: str) -> Platform:
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    return get_platform(name, region=region, run_id=run_id)


@pytest.fixture(scope="session")
def stack(humangov_stack: HumangovStack) -> HumangovStack:
    """The plugin's stack of the session's state (deployed, torn down and proven gone by the plugin)."""
    return humangov_stack


@pytest.fixture(scope="session")
def browser_binaries(missing_infra: Missing) -> tuple[str, str]:
    """Debian's chromium and chromium-driver; no browser is ever downloaded."""
    return find_browser(missing_infra)
