"""The pytest plugin (entry point `pytest11: humangov`): options and fixtures to test a deployed state.

Options (group "humangov"): --state (repeatable; default california), --platform aws|local (default aws),
--region, --keep (leave the stack up), --reuse (adopt a stack --keep left, after checking it is healthy),
--require-live (fail, never skip, when the platform is unavailable), --app-image/--nginx-image (test
published images instead of building).

Fixtures: `humangov_stack` (session scope, one per --state: deploys, yields a `HumangovStack`, tears down
unless --keep or --reuse, then proves nothing is left), `humangov_session` (a factory: role -> a signed-in
`requests.Session` trusting the state's certificate; its users are removed afterwards),
`humangov_platform`, `humangov_state`, `humangov_run_id`. A test that uses the stack and fails gets a
report section "humangov diagnostics" (status, events, target health, the tasks' last log lines), also
in the JUnit XML as a property.
"""

from __future__ import annotations

import os
import signal
import uuid
from collections.abc import Callable, Iterator
from typing import Any, NoReturn

import pytest
import requests

from humangov_deploy import appsrc
from humangov_deploy.platforms import get_platform
from humangov_deploy.platforms.base import Platform
from humangov_deploy.testing.availability import Missing, check_aws_credentials, check_docker, unavailable
from humangov_deploy.testing.diagnostics import diagnostics
from humangov_deploy.testing.stack import HumangovStack

DEPLOY_TIMEOUT = {"local": 300.0, "aws": 1500.0}
DESTROY_TIMEOUT = {"local": 120.0, "aws": 1200.0}
SECTION = "humangov diagnostics"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("humangov", "HumanGov: test a deployed state")
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
        help="platform of the stack under test (default: aws)",
    )
    group.addoption("--region", default=None, help="AWS region (default: AWS_REGION, else us-east-1)")
    group.addoption(
        "--require-live",
        action="store_true",
        default=False,
        help="fail, do not skip, when the platform is unavailable (nightly runs)",
    )
    group.addoption(
        "--keep",
        action="store_true",
        default=False,
        help="leave the provisioned stack up after the session (then --reuse it)",
    )
    group.addoption(
        "--reuse",
        action="store_true",
        default=False,
        help="adopt the stack a --keep run left up (checked healthy first); it stays up",
    )
    group.addoption(
        "--app-image", default=None, metavar="REF", help="test this app image instead of building"
    )
    group.addoption("--certificate-arn", default=None, metavar="ARN",
                    help="deploy with HTTPS on aws (an ACM certificate for --domain)")  # fmt: skip
    group.addoption("--domain", default=None, metavar="NAME",
                    help="the state's domain ({state}: the state), e.g. {state}.hr.example.org")  # fmt: skip
    group.addoption(
        "--nginx-image", default=None, metavar="REF", help="test this nginx image instead of building"
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "humangov_platforms(*names, reason=...): run on these platforms only; on another, the test is "
        "deselected (not skipped) and the summary says why",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # A test that cannot apply to the platform is deselected, so a run where everything selected passed is
    # green: a nightly job on AWS counts no skip for the tests only the local platform can run.
    platform = str(config.getoption("--platform") or "aws")
    kept, dropped = [], []
    for item in items:
        marker = item.get_closest_marker("humangov_platforms")
        if marker is not None and platform not in marker.args:
            dropped.append(item)
            reason = str(marker.kwargs.get("reason", "another platform"))
            config.stash.setdefault(DESELECTED, []).append((item.nodeid, platform, reason))
        else:
            kept.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    if config.stash.get(DESELECTED, []):
        terminalreporter.section("humangov: deselected for this platform")
        for nodeid, platform, reason in config.stash[DESELECTED]:
            terminalreporter.line(f"{nodeid}: not on {platform}: {reason}")


DESELECTED = pytest.StashKey[list[tuple[str, str, str]]]()  # (node id, platform, reason) of this run


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    # One stack per --state for the whole session; with pytest-xdist's --dist loadgroup, a state's tests
    # share one worker, so two workers never deploy the same state.
    if "humangov_state" not in metafunc.fixturenames:
        return
    states = [appsrc.validate_state(s) for s in (metafunc.config.getoption("--state") or ["california"])]
    params = [
        pytest.param(s, id=s, marks=pytest.mark.xdist_group(f"state-{s}")) for s in dict.fromkeys(states)
    ]
    metafunc.parametrize("humangov_state", params, indirect=True, scope="session")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome: Any = yield
    report = outcome.get_result()
    if report.when != "call" or not report.failed:
        return
    stack = getattr(item, "funcargs", {}).get("humangov_stack")
    if isinstance(stack, HumangovStack):
        text = diagnostics(stack.platform, stack.platform_name, stack.state)
        report.sections.append((SECTION, text))
        # JUnit XML writes a test's properties from its teardown report, made from the item's list.
        item.user_properties.append((SECTION, text))


@pytest.fixture(scope="session")
def humangov_state(request: pytest.FixtureRequest) -> str:
    """The state under test (the session is parametrized over every --state)."""
    return str(request.param)


@pytest.fixture(scope="session")
def humangov_platform_name(pytestconfig: pytest.Config) -> str:
    return str(pytestconfig.getoption("--platform") or "aws")


@pytest.fixture(scope="session")
def humangov_require_live(pytestconfig: pytest.Config) -> bool:
    return bool(pytestconfig.getoption("--require-live"))


@pytest.fixture(scope="session")
def humangov_unavailable(humangov_require_live: bool) -> Missing:
    """The platform cannot be reached (no AWS credentials): skip with the reason, or fail (--require-live)."""

    def missing(reason: str) -> NoReturn:
        unavailable(reason, humangov_require_live)

    return missing


@pytest.fixture(scope="session")
def humangov_infra_missing(humangov_unavailable: Missing) -> Missing:
    """A tool of this machine is missing (Docker): as `humangov_unavailable`; override it to be stricter."""
    return humangov_unavailable


@pytest.fixture(scope="session")
def humangov_run_id() -> str:
    # Unique per run and per xdist worker, so parallel workers and runs never share objects.
    return f"pytest-{uuid.uuid4().hex[:8]}-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"


@pytest.fixture(scope="session")
def humangov_platform(
    pytestconfig: pytest.Config,
    humangov_state: str,
    humangov_platform_name: str,
    humangov_run_id: str,
    humangov_unavailable: Missing,
    humangov_infra_missing: Missing,
) -> Platform:
    name = humangov_platform_name
    if name == "aws":
        check_aws_credentials(humangov_unavailable)
    else:
        check_docker(humangov_infra_missing)
    region = (
        pytestconfig.getoption("--region")
        or os.environ.get("AWS_REGION")
        or os.environ.get("AWS_DEFAULT_REGION")
    )
    app, nginx = pytestconfig.getoption("--app-image"), pytestconfig.getoption("--nginx-image")
    if bool(app) != bool(nginx):
        raise pytest.UsageError("pass both --app-image and --nginx-image, or neither")
    # One platform per state (this fixture follows humangov_state): each state's own domain.
    domain = pytestconfig.getoption("--domain")
    https: dict[str, Any] = {"certificate_arn": pytestconfig.getoption("--certificate-arn")}
    if domain:
        https["domain"] = str(domain).replace("{state}", humangov_state)
    return get_platform(
        name, region=region or "us-east-1", run_id=humangov_run_id, app_image=app, nginx_image=nginx, **https
    )


def progress(message: str) -> None:
    print(f"  .. {message}", flush=True)


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def _teardown_on_sigterm() -> None:
    """An interrupted run (CI cancelling, `kill`) must still tear down: SIGTERM becomes KeyboardInterrupt,
    which unwinds through every fixture's `finally`. Only once a stack is about to be made."""
    if hasattr(signal, "SIGTERM") and signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None):
        signal.signal(signal.SIGTERM, _interrupt)


@pytest.fixture(scope="session")
def humangov_stack(
    pytestconfig: pytest.Config,
    humangov_state: str,
    humangov_platform: Platform,
    humangov_platform_name: str,
    humangov_run_id: str,
) -> Iterator[HumangovStack]:
    """One provisioned state for the session: deployed (or adopted with --reuse), yielded, destroyed, and
    proven gone (unless --keep or --reuse, which leave it up)."""
    state, platform, name = humangov_state, humangov_platform, humangov_platform_name
    keep, reuse = bool(pytestconfig.getoption("--keep")), bool(pytestconfig.getoption("--reuse"))
    _teardown_on_sigterm()
    existing = platform.status(state)
    if reuse:
        status = adopt(platform, name, state)
    elif existing.exists:
        # Adopting it unasked would end in destroying someone's stack: refuse before touching anything.
        pytest.fail(
            f"{state} already exists on {name} ({existing.url or existing.resources}); the fixtures "
            f"provision and destroy their own: pass --reuse to test it as it is, run `humangov destroy "
            f"--state {state} --platform {name}` first, or test another --state",
            pytrace=False,
        )
    else:
        images = getattr(platform, "images", None)
        if callable(images):
            images(progress)  # build what is missing before the deploy's deadline starts
    try:
        if not reuse:
            status = platform.deploy(state, timeout=DEPLOY_TIMEOUT[name], progress=progress)
        stack = HumangovStack(state, platform, name, humangov_run_id, status, reused=reuse)
        try:
            # The app lets no one in unsigned: an editor of the fixtures' own, through the library.
            editor, _password = stack.add_user("editor")
            stack.token = stack.admin().create_token(editor)[1]
            yield stack
        finally:
            stack.remove_users()
    finally:
        if keep or reuse:
            print(f"\n{'--keep' if keep else '--reuse'}: {state} stays up on {name} (reuse it with --reuse)")
        else:
            platform.destroy(state, timeout=DESTROY_TIMEOUT[name], progress=progress)
            left = leftovers(platform, name, state, humangov_run_id)
            assert not left, f"left behind after destroying {state}: {left}"


def adopt(platform: Platform, name: str, state: str) -> Any:
    """--reuse: the kept stack, if it is there and passes verify; else a failure that says why."""
    from humangov_deploy.verify import verify

    status = platform.status(state)
    if not status.exists:
        pytest.fail(f"--reuse: {state} is not deployed on {name}; run once with --keep first", pytrace=False)
    report = verify(platform, state, progress=progress)
    if not report.ok:
        failed = "; ".join(f"{c.name}: {c.detail}" for c in report.checks if not c.ok) or "no check ran"
        pytest.fail(f"--reuse: {state} on {name} is not healthy ({failed}); redeploy it or drop --reuse",
                    pytrace=False)  # fmt: skip
    return platform.status(state)


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


@pytest.fixture
def humangov_session(humangov_stack: HumangovStack) -> Iterator[Callable[..., requests.Session]]:
    """`humangov_session("viewer")`: a new signed-in session as a new user of that role (default editor),
    trusting the state's certificate; the users it made are removed when the test ends."""
    made: list[str] = []

    def make(role: str = "editor") -> requests.Session:
        before = set(humangov_stack.users)
        session = humangov_stack.session(role)
        made.extend(set(humangov_stack.users) - before)
        return session

    yield make
    admin = humangov_stack.admin()
    present = {u.username for u in admin.list()} if made else set()
    for username in made:
        if username in present:
            admin.remove(username)
        humangov_stack.users.pop(username, None)
