"""`verify` on any platform: a fake platform, the state's data on moto, and a fake HTTP session that
behaves like the app behind its load balancer (it writes the record to the table and the bucket)."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
from moto import mock_aws
from scrypt_cost import TEST_N, scrypt_n

from humangov_deploy import appsrc, users
from humangov_deploy.clients import AwsClients
from humangov_deploy.data.create import create_state_data
from humangov_deploy.errors import VerificationFailed
from humangov_deploy.platforms.base import StackStatus, TaskInfo
from humangov_deploy.verify import GUARD_HEADER, verify

URL = "http://humangov-texas-lb-1.us-east-1.elb.amazonaws.com"


@dataclass
class FakeResponse:
    status_code: int
    url: str
    method: str
    body: dict[str, Any] = field(default_factory=dict)

    @property
    def request(self) -> Any:
        return type("Request", (), {"method": self.method})()

    def json(self) -> dict[str, Any]:
        return self.body


class FakeApp:
    """The app as seen through the load balancer, with switches to break one step at a time."""

    def __init__(self, clients: AwsClients, table: str, bucket: str) -> None:
        self.clients, self.table, self.bucket = clients, table, bucket
        self.fail: dict[str, int] = {}
        self.skip_table_write = False
        self.keep_on_delete = False
        self.requests: list[tuple[str, str, dict[str, str]]] = []

    def _respond(self, method: str, url: str, code: int, body: dict[str, Any] | None = None) -> FakeResponse:
        return FakeResponse(self.fail.get(method, code), url, method, body or {})

    def get(self, url: str, **kwargs: Any) -> FakeResponse:
        self.requests.append(("GET", url, kwargs.get("headers") or {}))
        return self._respond("GET", url, 200)

    def post(
        self, url: str, *, data: dict[str, str], files: dict[str, Any], headers: dict[str, str], **_: Any
    ) -> Any:
        self.requests.append(("POST", url, headers))
        if self.fail.get("POST"):
            return self._respond("POST", url, 201)
        assert headers == GUARD_HEADER and set(data) == {"first_name", "last_name", "role", "salary"}
        name, body, _type = files["pdf"]
        assert name.endswith(".pdf") and body.startswith(b"%PDF-")
        record_id = "rec-1"
        key = appsrc.schema().document_key(record_id, "v1")
        if not self.skip_table_write:
            self.clients.dynamodb.put_item(TableName=self.table, Item={"id": {"S": record_id}})
        self.clients.s3.put_object(Bucket=self.bucket, Key=key, Body=body)
        return self._respond("POST", url, 201, {"id": record_id, "document": key})

    def delete(self, url: str, *, headers: dict[str, str], **_: Any) -> FakeResponse:
        self.requests.append(("DELETE", url, headers))
        if not self.fail.get("DELETE") and not self.keep_on_delete:
            record_id = url.rsplit("/", 1)[-1]
            self.clients.dynamodb.delete_item(TableName=self.table, Key={"id": {"S": record_id}})
            key = appsrc.schema().document_key(record_id, "v1")
            self.clients.s3.delete_object(Bucket=self.bucket, Key=key)
        return self._respond("DELETE", url, 204)


class FakePlatform:
    name = "fake"

    def __init__(self, clients: AwsClients, status: StackStatus) -> None:
        self.clients, self._status = clients, status

    def status(self, state: str) -> StackStatus:
        return self._status

    def data_clients(self, state: str) -> AwsClients:
        return self.clients


def two_tasks(az2: str = "us-east-1b", healthy2: bool = True) -> list[TaskInfo]:
    return [TaskInfo("t1", "us-east-1a", "RUNNING", True), TaskInfo("t2", az2, "RUNNING", healthy2)]


@pytest.fixture(scope="module")
def _texas() -> Iterator[tuple[AwsClients, list[str], str]]:
    """texas's tables and bucket on moto, made once per module (the hardened creation is the slow part)."""
    with pytest.MonkeyPatch.context() as patch, mock_aws():
        for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
            patch.delenv(name, raising=False)
        clients = AwsClients(region="us-east-1")
        data = create_state_data(clients, "texas")
        # moto judges the TLS-only bucket policy's aws:SecureTransport as false under mock_aws.
        clients.s3.delete_bucket_policy(Bucket=data.bucket)
        yield clients, [data.table, appsrc.schema().audit_table_name("texas")], data.bucket


def _empty(clients: AwsClients, tables: list[str], bucket: str) -> None:
    """What an earlier test left (a record a broken delete kept, verify's users, audit entries) goes."""
    for table in tables:
        keys = [
            k["AttributeName"] for k in clients.dynamodb.describe_table(TableName=table)["Table"]["KeySchema"]
        ]
        for page in clients.dynamodb.get_paginator("scan").paginate(TableName=table):
            for item in page["Items"]:
                clients.dynamodb.delete_item(TableName=table, Key={k: item[k] for k in keys})
    for page in clients.s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        for version in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]:
            clients.s3.delete_object(Bucket=bucket, Key=version["Key"], VersionId=version["VersionId"])


@pytest.fixture
def stack(_texas: tuple[AwsClients, list[str], str]) -> tuple[AwsClients, StackStatus, FakeApp]:
    clients, tables, bucket = _texas
    _empty(clients, tables, bucket)
    status = StackStatus("texas", "fake", url=URL, tasks=two_tasks(), table=tables[0], bucket=bucket)
    return clients, status, FakeApp(clients, tables[0], bucket)


def run(stack: tuple[AwsClients, StackStatus, FakeApp]) -> Any:
    clients, status, app = stack
    lines: list[str] = []
    # The record checks against the fake app; the sign-in checks run against the real app below.
    report = verify(
        FakePlatform(clients, status),  # type: ignore[arg-type]
        "texas",
        http=app,  # type: ignore[arg-type]
        progress=lines.append,
        signin=False,
        sleep=lambda _s: None,  # unhealthy targets are given time to settle: not here
    )
    assert len([line for line in lines if not line.startswith("wait ")]) == len(report.checks)
    return report


def outcome(report: Any) -> dict[str, str]:
    return {c.name: c.status for c in report.checks}


def test_a_working_state_passes_every_check(stack: tuple[AwsClients, StackStatus, FakeApp]) -> None:
    report = run(stack)
    assert report.ok, str(report)
    assert list(outcome(report)) == [
        "tasks",
        "targets",
        "http",
        "create",
        "table",
        "bucket",
        "read",
        "delete",
        "cleanup",
    ]
    assert set(outcome(report).values()) == {"pass"}
    methods = [(m, u.removeprefix(URL)) for m, u, _h in stack[2].requests]
    assert methods == [
        ("GET", "/"),
        ("POST", "/api/employees"),
        ("GET", "/api/employees/rec-1"),
        ("DELETE", "/api/employees/rec-1"),
    ]
    assert json.loads(json.dumps(report.to_json()))["ok"] is True
    assert report.raise_for_failure() is report
    assert "OK" in str(report).splitlines()[0]


def test_tasks_in_one_az_fail(stack: tuple[AwsClients, StackStatus, FakeApp]) -> None:
    stack[1].tasks = two_tasks(az2="us-east-1a")
    report = run(stack)
    assert outcome(report)["tasks"] == "fail" and not report.ok
    with pytest.raises(VerificationFailed):
        report.raise_for_failure()


def test_one_task_is_not_enough(stack: tuple[AwsClients, StackStatus, FakeApp]) -> None:
    stack[1].tasks = two_tasks()[:1]
    assert outcome(run(stack))["tasks"] == "fail"


def test_an_unhealthy_target_fails(stack: tuple[AwsClients, StackStatus, FakeApp]) -> None:
    stack[1].tasks = two_tasks(healthy2=False)
    report = run(stack)
    assert outcome(report)["targets"] == "fail"
    assert "t2" in next(c.detail for c in report.checks if c.name == "targets")


def test_no_url_skips_the_http_checks(stack: tuple[AwsClients, StackStatus, FakeApp]) -> None:
    stack[1].url = None
    report = run(stack)
    assert outcome(report)["http"] == "skip" and not report.ok
    assert stack[2].requests == []


def test_a_failed_create_skips_the_record_checks(stack: tuple[AwsClients, StackStatus, FakeApp]) -> None:
    stack[2].fail["POST"] = 500
    report = run(stack)
    assert outcome(report)["create"] == "fail"
    assert [outcome(report)[n] for n in ("table", "bucket", "read", "delete", "cleanup")] == ["skip"] * 5


def test_a_record_missing_from_the_table_fails_and_is_still_cleaned_up(
    stack: tuple[AwsClients, StackStatus, FakeApp],
) -> None:
    stack[2].skip_table_write = True
    report = run(stack)
    assert outcome(report)["table"] == "fail" and outcome(report)["bucket"] == "pass"
    assert outcome(report)["delete"] == "pass"  # the record is removed even after a failed check


def test_leftovers_after_delete_fail_the_cleanup(stack: tuple[AwsClients, StackStatus, FakeApp]) -> None:
    stack[2].keep_on_delete = True
    report = run(stack)
    cleanup = next(c for c in report.checks if c.name == "cleanup")
    assert cleanup.status == "fail" and "item" in cleanup.detail and "object" in cleanup.detail


def test_a_failed_delete_skips_the_cleanup_check(stack: tuple[AwsClients, StackStatus, FakeApp]) -> None:
    stack[2].fail["DELETE"] = 403
    report = run(stack)
    assert outcome(report)["delete"] == "fail" and outcome(report)["cleanup"] == "skip"


def test_http_errors_become_failed_checks(stack: tuple[AwsClients, StackStatus, FakeApp]) -> None:
    def refuse(url: str, **_: Any) -> Any:
        raise requests.ConnectionError("connection refused")

    stack[2].get = refuse  # type: ignore[method-assign]
    report = run(stack)
    http = next(c for c in report.checks if c.name == "http")
    assert http.status == "fail" and "connection refused" in http.detail


class FlaskHttp:
    """requests-like calls served by the real app's test client (the contract verify relies on); the
    test client keeps cookies like a requests.Session."""

    def __init__(self, client: Any, base: str = URL) -> None:
        # Requests reach the app as sent to `base` (its host; HTTPS when it is https://).
        self.client, self.base = client, base

    def _wrap(self, method: str, url: str, response: Any) -> FakeResponse:
        wrapped = FakeResponse(response.status_code, url, method, response.get_json(silent=True) or {})
        wrapped.headers = response.headers  # type: ignore[attr-defined]
        wrapped.text = response.get_data(as_text=True)  # type: ignore[attr-defined]
        return wrapped

    def get(self, url: str, *, allow_redirects: bool = True, **kwargs: Any) -> FakeResponse:
        path = url.removeprefix(self.base) or "/"
        response = self.client.get(
            path, headers=kwargs.get("headers"), follow_redirects=allow_redirects, base_url=self.base
        )
        return self._wrap("GET", url, response)

    def post(
        self,
        url: str,
        *,
        data: dict[str, str],
        files: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        **_: Any,
    ) -> Any:
        form: dict[str, Any] = dict(data)
        if files:
            name, body, content_type = files["pdf"]
            form["pdf"] = (io.BytesIO(body), name, content_type)
        response = self.client.post(
            url.removeprefix(self.base),
            data=form,
            headers=headers,
            content_type="multipart/form-data",
            base_url=self.base,
        )
        return self._wrap("POST", url, response)

    def delete(self, url: str, *, headers: dict[str, str], **_: Any) -> FakeResponse:
        path = url.removeprefix(self.base)
        return self._wrap("DELETE", url, self.client.delete(path, headers=headers, base_url=self.base))


@pytest.fixture
def real_app(stack: tuple[AwsClients, StackStatus, FakeApp]) -> Iterator[Any]:
    humangov = pytest.importorskip("humangov", reason="the app's dependencies (flask) are not installed")
    _clients, status, _fake = stack
    # Cheap scrypt for the users verify makes (the library's copy) and checks (the app's).
    with scrypt_n(TEST_N, humangov.accounts), scrypt_n(TEST_N, users.accounts()):
        yield humangov.create_app(
            {
                "US_STATE": "texas",
                "AWS_REGION": "us-east-1",
                "AWS_DYNAMODB_TABLE": status.table,
                "AWS_BUCKET": status.bucket,
                "SECRET_KEY": "unit-test-secret-key-0123456789abcdef",
                "TESTING": "1",
            }
        )


def verify_real(stack: tuple[AwsClients, StackStatus, FakeApp], app: Any) -> Any:
    clients, status, _fake = stack
    base = status.url or URL
    return verify(
        FakePlatform(clients, status),  # type: ignore[arg-type]
        "texas",
        http=FlaskHttp(app.test_client(), base),  # type: ignore[arg-type]
        fresh_http=lambda: FlaskHttp(app.test_client(), base),  # type: ignore[arg-type,return-value]
        progress=lambda _m: None,
        sleep=lambda _s: None,
    )


def test_verify_signs_in_and_passes_against_the_real_app(
    stack: tuple[AwsClients, StackStatus, FakeApp], real_app: Any
) -> None:
    clients, _status, _fake = stack
    report = verify_real(stack, real_app)
    assert report.ok, str(report)
    names = [c.name for c in report.checks]
    for name in ("anonymous", "signin", "viewer", "audit", "users"):
        assert name in names
    # verify's users are gone, and what it did is in the audit trail under their names.
    assert users.UserAdmin(clients, "texas").list() == []
    trail = users.UserAdmin(clients, "texas").audit_page(limit=100).items
    assert {e.action for e in trail} >= {"user.add", "signin.success", "record.create", "user.remove"}


def test_verify_signs_in_over_https_like_a_browser(
    stack: tuple[AwsClients, StackStatus, FakeApp], real_app: Any
) -> None:
    """Over HTTPS, Flask-WTF also wants the site's own Referer on the sign-in form (browsers send it)."""
    stack[1].url = URL.replace("http://", "https://")
    report = verify_real(stack, real_app)
    assert report.ok, str(report)


def test_verify_fails_when_the_app_lets_anyone_in(
    stack: tuple[AwsClients, StackStatus, FakeApp], real_app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flask import g
    from humangov import signin

    def open_door() -> None:  # a gate that lets everyone through, as anonymous
        g.user, g.via, g.token_id = None, None, None

    gates = real_app.before_request_funcs[None]
    gates[gates.index(signin._gate)] = open_door
    report = verify_real(stack, real_app)
    found = {c.name: c.status for c in report.checks}
    assert found["anonymous"] == "fail"
    assert found["users"] == "pass"


def test_a_failed_sign_in_skips_every_record_check_saying_why(
    stack: tuple[AwsClients, StackStatus, FakeApp], real_app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from humangov_deploy.verify_signin import SignInCheck

    monkeypatch.setattr(SignInCheck, "sign_in", lambda self: (False, "the app refused verify's user"))
    report = verify_real(stack, real_app)
    found = checks(report)
    assert found["signin"] == ("fail", "the app refused verify's user")
    skipped = [(c.name, c.detail) for c in report.checks if c.status == "skip"]
    why = "verify's user could not sign in"
    assert skipped == [(name, why) for name in ("create", "table", "bucket", "read", "delete", "cleanup")]
    assert found["users"][0] == "pass" and not report.ok


# --- only RUNNING tasks count ---------------------------------------------------------------------------


def checks(report: Any) -> dict[str, tuple[str, str]]:
    return {c.name: (c.status, c.detail) for c in report.checks}


@pytest.mark.parametrize("other", ["PENDING", "PROVISIONING", "DEACTIVATING", "STOPPED"])
def test_tasks_that_are_not_running_do_not_count(
    stack: tuple[AwsClients, StackStatus, FakeApp], other: str
) -> None:
    # Two tasks in two AZs, both behind a healthy target, but only one RUNNING: one task is not enough.
    stack[1].tasks = [
        TaskInfo("t1", "us-east-1a", "RUNNING", True),
        TaskInfo("t2", "us-east-1b", other, True),
    ]
    found = checks(run(stack))
    assert found["tasks"] == ("fail", "1 RUNNING task(s) in us-east-1a")
    assert found["targets"] == ("fail", "1/1 healthy behind the load balancer")


def test_the_azs_are_those_of_running_tasks(stack: tuple[AwsClients, StackStatus, FakeApp]) -> None:
    stack[1].tasks = [
        TaskInfo("t1", "us-east-1a", "RUNNING", True),
        TaskInfo("t2", "us-east-1a", "RUNNING", True),
        TaskInfo("t3", "us-east-1b", "STOPPED", False),
    ]
    found = checks(run(stack))
    assert found["tasks"] == ("fail", "2 RUNNING task(s) in us-east-1a")
    # A stopped task's target is no running task's: it does not fail the targets check.
    assert found["targets"] == ("pass", "2/2 healthy behind the load balancer")


def test_three_running_tasks_in_two_azs_pass(stack: tuple[AwsClients, StackStatus, FakeApp]) -> None:
    stack[1].tasks = [*two_tasks(), TaskInfo("t3", "us-east-1a", "RUNNING", True)]
    found = checks(run(stack))
    assert found["tasks"] == ("pass", "3 RUNNING task(s) in us-east-1a, us-east-1b")
    assert found["targets"] == ("pass", "3/3 healthy behind the load balancer")


def test_a_running_task_behind_an_unhealthy_target_is_named(
    stack: tuple[AwsClients, StackStatus, FakeApp],
) -> None:
    stack[1].tasks = [*two_tasks(), TaskInfo("t3", "us-east-1c", "RUNNING", False)]
    found = checks(run(stack))
    assert found["tasks"][0] == "pass"
    assert found["targets"] == ("fail", "2/3 healthy behind the load balancer (not healthy: t3)")
