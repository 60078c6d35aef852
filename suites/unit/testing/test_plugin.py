"""The pytest plugin (humangov_deploy.testing) as a user meets it: inner pytest runs (pytester) of test
files that use its options and fixtures, on a fake platform whose state data lives in moto.

The fake stands where `get_platform` would build the real one; everything else is the plugin's own code:
the parametrization over --state, deploy and teardown, --keep and --reuse, the refusal of a stack it did
not make, the signed-in sessions and their users, and the diagnostics section of a failing test.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

import pytest
from moto import mock_aws
from scrypt_cost import TEST_N, scrypt_n

from humangov_deploy.clients import AwsClients
from humangov_deploy.data.create import create_state_data
from humangov_deploy.platforms.base import StackStatus, TaskInfo, print_progress
from humangov_deploy.testing import plugin
from humangov_deploy.verify import CheckResult, Report

REGION = "us-east-1"


class FakePlatform:
    """Deploys by remembering; its data is moto's, made per state on deploy (the users live there)."""

    name = "aws"

    def __init__(self) -> None:
        self.deployed: set[str] = set()
        self.calls: list[str] = []
        self.clients = None  # no AWS clients: diagnostics read the status only

    def status(self, state: str) -> StackStatus:
        if state not in self.deployed:
            return StackStatus(state=state, platform=self.name)
        task = TaskInfo(id="t1", status="RUNNING", az="us-east-1a", healthy=True)
        return StackStatus(state, self.name, url=f"https://{state}.example", tasks=[task],
                           table=f"humangov-{state}-dynamodb", bucket=f"humangov-{state}-s3")  # fmt: skip

    def deploy(self, state: str, *, timeout: float, progress: Any = print_progress) -> StackStatus:
        self.calls.append(f"deploy {state}")
        create_state_data(AwsClients(region=REGION), state, progress=lambda _m: None)
        self.deployed.add(state)
        return self.status(state)

    def destroy(self, state: str, *, timeout: float, progress: Any = print_progress) -> None:
        self.calls.append(f"destroy {state}")
        self.deployed.discard(state)

    def data_clients(self, state: str) -> AwsClients:
        return AwsClients(region=REGION)


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakePlatform]:
    platform = FakePlatform()
    monkeypatch.setattr(plugin, "get_platform", lambda name, **_: platform)
    monkeypatch.setattr(plugin, "check_aws_credentials", lambda missing: None)
    monkeypatch.setattr(
        plugin, "leftovers", lambda p, name, state, run_id: [] if state not in p.deployed else [state]
    )
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(key, "testing")
    with mock_aws(), scrypt_n(TEST_N):
        # pytester's in-process runs drop the modules a run imported: moto's backends must be imported
        # here, outside them, or each run would start with empty ones (one state's data made for that).
        create_state_data(AwsClients(region=REGION), "wyoming", progress=lambda _m: None)
        yield platform


def run(pytester: pytest.Pytester, source: str, *args: str) -> pytest.RunResult:
    pytester.makepyfile(test_outside=source)
    return pytester.runpytest_inprocess("-p", "no:cacheprovider", "-q", "-s", *args)


USES_THE_STACK = """
def test_stack(humangov_stack):
    assert humangov_stack.url == f"https://{humangov_stack.state}.example"
    assert humangov_stack.table == f"humangov-{humangov_stack.state}-dynamodb"
    assert [t.az for t in humangov_stack.tasks] == ["us-east-1a"]
    print("STATE", humangov_stack.state, humangov_stack.platform_name)
"""


def test_each_state_gets_a_stack_deployed_once_and_torn_down(
    pytester: pytest.Pytester, fake: FakePlatform
) -> None:
    result = run(pytester, USES_THE_STACK + "\ndef test_again(humangov_stack):\n    assert humangov_stack\n",
                 "--state", "texas", "--state", "Ohio")  # fmt: skip
    result.assert_outcomes(passed=4)
    assert fake.calls == ["deploy texas", "deploy ohio", "destroy texas", "destroy ohio"] or sorted(
        fake.calls
    ) == ["deploy ohio", "deploy texas", "destroy ohio", "destroy texas"]
    assert fake.calls.index("deploy texas") < fake.calls.index("destroy texas")
    assert "STATE texas aws" in result.stdout.str() and fake.deployed == set()


def test_a_bad_state_is_a_usage_error(pytester: pytest.Pytester, fake: FakePlatform) -> None:
    result = run(pytester, USES_THE_STACK, "--state", "californa")
    assert result.ret != 0 and "did you mean california" in result.stdout.str() + result.stderr.str()
    assert fake.calls == []


def test_keep_leaves_it_up_and_reuse_adopts_it_without_a_deploy(
    pytester: pytest.Pytester, fake: FakePlatform, monkeypatch: pytest.MonkeyPatch
) -> None:
    run(pytester, USES_THE_STACK, "--state", "texas", "--keep").assert_outcomes(passed=1)
    assert fake.calls == ["deploy texas"] and fake.deployed == {"texas"}

    healthy = Report("texas", "aws", "https://texas.example", [CheckResult("http", "pass", "200")])
    monkeypatch.setattr("humangov_deploy.verify.verify", lambda platform, state, **_: healthy)
    run(pytester, USES_THE_STACK, "--state", "texas", "--reuse").assert_outcomes(passed=1)
    assert fake.calls == ["deploy texas"] and fake.deployed == {"texas"}  # no deploy, no destroy


def test_reuse_refuses_a_missing_or_unhealthy_stack_with_the_reason(
    pytester: pytest.Pytester, fake: FakePlatform, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = run(pytester, USES_THE_STACK, "--state", "texas", "--reuse")
    missing.assert_outcomes(errors=1)
    assert "texas is not deployed on aws; run once with --keep first" in missing.stdout.str()

    fake.deployed.add("texas")
    sick = Report("texas", "aws", None, [CheckResult("targets", "fail", "targets: 0/2 healthy")])
    monkeypatch.setattr("humangov_deploy.verify.verify", lambda platform, state, **_: sick)
    unhealthy = run(pytester, USES_THE_STACK, "--state", "texas", "--reuse")
    unhealthy.assert_outcomes(errors=1)
    assert "is not healthy (targets: targets: 0/2 healthy)" in unhealthy.stdout.str()
    assert fake.calls == [] and fake.deployed == {"texas"}  # nothing deployed, nothing destroyed


def test_a_stack_it_did_not_make_is_refused_not_adopted(
    pytester: pytest.Pytester, fake: FakePlatform
) -> None:
    fake.deployed.add("texas")
    result = run(pytester, USES_THE_STACK, "--state", "texas")
    result.assert_outcomes(errors=1)
    assert "already exists on aws" in result.stdout.str() and "pass --reuse" in result.stdout.str()
    assert fake.calls == [] and fake.deployed == {"texas"}


def test_sessions_are_signed_in_by_role_and_their_users_removed(
    pytester: pytest.Pytester, fake: FakePlatform
) -> None:
    source = """
from humangov_deploy.users import UserAdmin

def test_sessions(humangov_session, humangov_stack):
    viewer = humangov_session("viewer")
    assert viewer.headers["Authorization"].startswith("Bearer ")
    users = {u.username: u.role for u in UserAdmin.for_platform(humangov_stack.platform, "texas").list()}
    assert sorted(users.values()) == ["editor", "viewer"]  # the stack's editor, and this one

def test_after(humangov_stack):
    users = [u.role for u in UserAdmin.for_platform(humangov_stack.platform, "texas").list()]
    assert users == ["editor"]  # the viewer went when its test ended
"""
    run(pytester, source, "--state", "texas", "--keep").assert_outcomes(passed=2)
    # The stack's own editor went at the end of the session, although --keep left the stack up.
    admin_list = plugin.HumangovStack("texas", fake, "aws", "r", fake.status("texas")).admin().list()  # type: ignore[arg-type]
    assert admin_list == []


def test_a_failing_test_reports_diagnostics_also_in_junit(
    pytester: pytest.Pytester, fake: FakePlatform
) -> None:
    source = "def test_fails(humangov_stack):\n    assert humangov_stack.url == 'nope'\n"
    xml = pytester.path / "report.xml"
    result = run(pytester, source, "--state", "texas", f"--junitxml={xml}")
    result.assert_outcomes(failed=1)
    assert (
        "humangov diagnostics" in result.stdout.str()
        and '"url": "https://texas.example"' in result.stdout.str()
    )
    properties = {p.get("name"): p.get("value") for p in ET.parse(xml).iter("property")}
    assert '"state": "texas"' in properties["humangov diagnostics"]


def test_a_passing_test_carries_no_diagnostics(pytester: pytest.Pytester, fake: FakePlatform) -> None:
    result = run(pytester, USES_THE_STACK, "--state", "texas", "-rA")
    result.assert_outcomes(passed=1)
    assert "humangov diagnostics" not in result.stdout.str()


def test_a_test_for_another_platform_is_deselected_with_its_reason(pytester: pytest.Pytester) -> None:
    source = """
import pytest

@pytest.mark.humangov_platforms("local", reason="Docker's restart policy")
def test_local_only():
    pass

def test_anywhere():
    pass
"""
    on_aws = run(pytester, source, "--platform", "aws")
    on_aws.assert_outcomes(passed=1, deselected=1)
    assert "test_local_only: not on aws: Docker's restart policy" in on_aws.stdout.str()
    on_local = run(pytester, source, "--platform", "local")
    on_local.assert_outcomes(passed=2)
    assert "deselected for this platform" not in on_local.stdout.str()


def test_each_state_gets_its_own_domain_and_the_certificate(
    pytester: pytest.Pytester, fake: FakePlatform, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[dict[str, Any]] = []
    monkeypatch.setattr(plugin, "get_platform", lambda name, **kw: asked.append(kw) or fake)
    arn = "arn:aws:acm:us-east-1:123456789012:certificate/abc"
    run(pytester, USES_THE_STACK, "--state", "texas", "--state", "ohio", "--certificate-arn", arn,
        "--domain", "{state}.hr.example.org").assert_outcomes(passed=2)  # fmt: skip
    assert sorted(kw["domain"] for kw in asked) == ["ohio.hr.example.org", "texas.hr.example.org"]
    assert {kw["certificate_arn"] for kw in asked} == {arn}
