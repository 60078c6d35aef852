"""Live suite: provision a whole state on a platform (aws by default, or local), assert it, tear it down.

`pytest -m live suites/live --state california [--state texas ...] [--platform aws|local] [-n 2]`.
Every test takes `live_state`, parametrized over the --state options (session scope, one stack per state),
and with pytest-xdist all tests of a state go to one worker (`--dist loadgroup`, set here), so several
states are provisioned in parallel and no two workers ever deploy the same state.

Docker (local platform) and Chromium (browser test) missing: a skip with the reason, or a failure under
--require-live, CI=true, HUMANGOV_REQUIRE_INFRA=1 or --no-skip-infra (suites/infra.py). No AWS credentials
(aws platform): a skip, or a failure under --require-live only, since CI runs the local platform.

Teardown is registered before the first create call and runs on failure and on interruption (SIGTERM
too); afterwards the suite proves nothing of the run is left, unless --keep leaves the stack up.
"""

from __future__ import annotations

import os
import shutil
import signal
import uuid
from collections.abc import Callable, Iterator
from typing import Any, NoReturn

import pytest
from livekit import LiveStack

from humangov_deploy import appsrc
from humangov_deploy.platforms import get_platform
from humangov_deploy.platforms.base import Platform

DEPLOY_TIMEOUT = {"local": 300.0, "aws": 1500.0}
DESTROY_TIMEOUT = {"local": 120.0, "aws": 1200.0}
# Debian's chromium and chromium-driver; elsewhere (GitHub's runners ship Google Chrome and a matching
# chromedriver) the two variables name another Chromium-based browser and its driver.
CHROMIUM = os.environ.get("HUMANGOV_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("HUMANGOV_CHROMEDRIVER", "/usr/bin/chromedriver")


def pytest_configure(config: pytest.Config) -> None:
    # xdist's default "load" would spread one state's tests over workers, each deploying that state:
    # the controller schedules by group instead, and each worker tags its node ids with the group.
    if not hasattr(config, "workerinput") and getattr(config.option, "dist", "no") == "load":
        config.option.dist = "loadgroup"
    # An interrupted run (CI cancelling, `kill`) must still tear down: turn SIGTERM into KeyboardInterrupt,
    # which unwinds through every fixture's `finally`.
    if hasattr(signal, "SIGTERM") and signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None):
        signal.signal(signal.SIGTERM, _interrupt)


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


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


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "live_state" not in metafunc.fixturenames:
        return
    states = [appsrc.validate_state(s) for s in (metafunc.config.getoption("--state") or ["california"])]
    params = [
        pytest.param(s, id=s, marks=pytest.mark.xdist_group(f"state-{s}")) for s in dict.fromkeys(states)
    ]
    metafunc.parametrize("live_state", params, indirect=True, scope="session")


@pytest.fixture(scope="session")
def live_state(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def require_live(pytestconfig: pytest.Config) -> bool:
    return bool(pytestconfig.getoption("--require-live"))


def unavailable(reason: str, require: bool) -> NoReturn:
    """Skip with the reason, or fail under --require-live (a nightly run must never pass by skipping)."""
    if require:
        pytest.fail(f"{reason} (and --require-live was given)", pytrace=False)
    pytest.skip(reason)


Missing = Callable[[str], NoReturn]


@pytest.fixture(scope="session")
def missing_infra(require_live: bool, infra_unavailable: Missing) -> Missing:
    """Docker or Chromium missing: fails under --require-live, and wherever CI must not pass by skipping."""

    def missing(reason: str) -> NoReturn:
        if require_live:
            unavailable(reason, require_live)
        infra_unavailable(reason)

    return missing


def _docker() -> Any:
    import docker

    return docker.from_env(timeout=10)


def check_docker(missing: Missing, connect: Callable[[], Any] = _docker) -> None:
    """The local platform needs a Docker engine that answers, or `missing` says so."""
    try:
        connect().ping()
    except Exception as exc:
        missing(f"no Docker engine answers ({exc}); the local platform needs one")


def find_browser(missing: Missing, paths: tuple[str, str] = (CHROMIUM, CHROMEDRIVER)) -> tuple[str, str]:
    """Debian's chromium and chromium-driver, or `missing` names the package to install."""
    absent = [path for path in paths if not shutil.which(path)]
    if absent:
        missing(f"{', '.join(absent)} missing: apt-get install chromium chromium-driver")
    return paths


@pytest.fixture(scope="session")
def live_platform_name(platform_name: str, require_live: bool, missing_infra: Missing) -> str:
    if platform_name == "aws":
        import boto3

        if boto3.session.Session().get_credentials() is None:
            unavailable(
                "no AWS credentials for the live suite on aws; "
                "run it on Docker with `--platform local`, or export AWS credentials",
                require_live,
            )
    else:
        check_docker(missing_infra)
    return platform_name


@pytest.fixture(scope="session")
def run_id() -> str:
    # Unique per run and per xdist worker, so parallel workers and runs never share objects.
    return f"live-{uuid.uuid4().hex[:8]}-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"


@pytest.fixture(scope="session")
def keep(pytestconfig: pytest.Config) -> bool:
    return bool(pytestconfig.getoption("--keep"))


def open_platform(name: str, run_id: str) -> Platform:
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    return get_platform(name, region=region, run_id=run_id)


def progress(message: str) -> None:
    print(f"  .. {message}", flush=True)


@pytest.fixture(scope="session")
def stack(live_state: str, live_platform_name: str, run_id: str, keep: bool) -> Iterator[LiveStack]:
    """One provisioned state for the session: deployed, yielded, destroyed, and proven gone."""
    platform = open_platform(live_platform_name, run_id)
    existing = platform.status(live_state)
    if existing.exists:
        # Adopting it would end in destroying someone's stack: refuse before touching anything.
        pytest.fail(
            f"{live_state} already exists on {live_platform_name} ({existing.url or existing.resources}); "
            f"the live suite provisions and destroys its own: run `humangov destroy --state {live_state} "
            f"--platform {live_platform_name}` first, or test another --state",
            pytrace=False,
        )
    images = getattr(platform, "images", None)
    if callable(images):
        images(progress)  # build what is missing before the deploy's deadline starts
    try:
        status = platform.deploy(live_state, timeout=DEPLOY_TIMEOUT[live_platform_name], progress=progress)
        live = LiveStack(live_state, platform, live_platform_name, run_id, status)
        try:
            # The app lets no one in unsigned: an editor of the suite's own, through the library.
            editor, _password = live.add_user("editor")
            live.token = live.admin().create_token(editor)[1]
            yield live
        finally:
            live.remove_users()
    finally:
        if keep:
            print(f"\n--keep: {live_state} stays up on {live_platform_name} (run {run_id})", flush=True)
        else:
            platform.destroy(live_state, timeout=DESTROY_TIMEOUT[live_platform_name], progress=progress)
            left = leftovers(platform, live_platform_name, live_state, run_id)
            assert not left, f"left behind after destroying {live_state}: {left}"


def leftovers(platform: Platform, platform_name: str, state: str, run_id: str) -> list[str]:
    """What still exists of the state (any platform) and, on Docker, anything labelled with the run id."""
    found: list[str] = []
    status = platform.status(state)
    if status.exists:
        found.append(f"{state}: {status.to_json()} {status.resources}")
    if platform_name == "local":
        import docker

        client = docker.from_env()
        label = {"label": [f"humangov.run-id={run_id}"]}
        found += [f"container {c.name}" for c in client.containers.list(all=True, filters=label)]
        found += [f"network {n.name}" for n in client.networks.list(filters=label)]
        found += [f"volume {v.name}" for v in client.volumes.list(filters=label)]
    return found


@pytest.fixture(scope="session")
def browser_binaries(missing_infra: Missing) -> tuple[str, str]:
    """Debian's chromium and chromium-driver; no browser is ever downloaded."""
    return find_browser(missing_infra)
