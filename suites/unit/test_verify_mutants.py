"""`verify` pinned to the letter: the requests it sends, the report it writes, the progress it prints.

Written against the survivors of `tox -e mutants` (scripts/mutants.py): each test kills mutants that the
behaviour tests in test_verify.py let through (a dropped timeout, an unread flag, a wrong skip reason).
Fast on purpose, with small fakes and no moto, so the mutation run stays inside its time.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import Any

import pytest
from botocore.exceptions import ClientError
from test_verify import FakeResponse as Response

from humangov_deploy import appsrc
from humangov_deploy.errors import VerificationFailed
from humangov_deploy.platforms.base import StackStatus, TaskInfo
from humangov_deploy.verify import (
    GUARD_HEADER,
    HTTP_TIMEOUT,
    SAMPLE_PDF,
    SETTLE_INTERVAL,
    SETTLE_POLLS,
    Report,
    verify,
)

URL = "http://lb.example/"  # with the trailing slash a load balancer's DNS name may be given with
BASE = "http://lb.example"
TABLE = "humangov-texas-dynamodb"
BUCKET = "humangov-texas-s3-0f1e"
RECORD = "r-1"
DOCUMENT = "records/r-1/verify.pdf"


class Store:
    """The state's table and bucket as the fake clients see them."""

    def __init__(self) -> None:
        self.items: set[str] = set()
        self.objects: set[str] = set()
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.missing_code = "404"  # what head_object answers for an absent key


class Dynamo:
    def __init__(self, store: Store) -> None:
        self.store = store

    def get_item(self, **kwargs: Any) -> dict[str, Any]:
        self.store.calls.append(("get_item", kwargs))
        key = kwargs["Key"][appsrc.schema().HASH_KEY]["S"]
        return {"Item": {"id": {"S": key}}} if key in self.store.items else {}


class S3:
    def __init__(self, store: Store) -> None:
        self.store = store

    def head_object(self, **kwargs: Any) -> dict[str, Any]:
        self.store.calls.append(("head_object", kwargs))
        if kwargs["Key"] in self.store.objects:
            return {"ContentLength": 1}
        error = {"Error": {"Code": self.store.missing_code}} if self.store.missing_code else {}
        raise ClientError(error, "HeadObject")


class App:
    """The app behind the load balancer: it writes and deletes the record in the store."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.codes: dict[str, int] = {}
        self.keep: set[str] = set()  # what a delete leaves behind: "item", "object"
        self.sent: list[tuple[str, str, dict[str, Any]]] = []

    def _answer(self, method: str, url: str, code: int, body: dict[str, Any] | None = None) -> Response:
        self.sent.append((method, url, self._kwargs))
        return Response(self.codes.get(method, code), url, method, body or {})

    def get(self, url: str, **kwargs: Any) -> Response:
        self._kwargs = kwargs
        return self._answer("GET", url, 200)

    def post(self, url: str, **kwargs: Any) -> Response:
        self._kwargs = kwargs
        if self.codes.get("POST", 201) == 201:
            self.store.items.add(RECORD)
            self.store.objects.add(DOCUMENT)
        return self._answer("POST", url, 201, {"id": RECORD, "document": DOCUMENT})

    def delete(self, url: str, **kwargs: Any) -> Response:
        self._kwargs = kwargs
        if self.codes.get("DELETE", 204) == 204:
            if "item" not in self.keep:
                self.store.items.discard(RECORD)
            if "object" not in self.keep:
                self.store.objects.discard(DOCUMENT)
        return self._answer("DELETE", url, 204)


@dataclass
class Clients:
    dynamodb: Any
    s3: Any


class Platform:
    name = "local"

    def __init__(self, status: StackStatus, store: Store) -> None:
        self._status, self.store = status, store
        self.asked: list[tuple[str, str]] = []

    def status(self, state: str) -> StackStatus:
        self.asked.append(("status", state))
        return self._status

    def data_clients(self, state: str) -> Clients:
        self.asked.append(("data_clients", state))
        return Clients(Dynamo(self.store), S3(self.store))


def two_tasks() -> list[TaskInfo]:
    return [TaskInfo("t-a", "us-east-1a", "RUNNING", True), TaskInfo("t-b", "us-east-1b", "RUNNING", True)]


def make(
    url: str | None = URL, table: str | None = TABLE, bucket: str | None = BUCKET
) -> tuple[Platform, App]:
    store = Store()
    status = StackStatus("texas", "local", url=url, tasks=two_tasks(), table=table, bucket=bucket)
    return Platform(status, store), App(store)


def run(platform: Platform, app: App, **kwargs: Any) -> tuple[Report, list[str]]:
    messages: list[str] = []
    ticks = itertools.count()
    # Each check reads the clock twice, 1.2345 ms apart: its `seconds` is that gap rounded to the ms.
    # The record checks alone: the sign-in checks have their own tests (test_verify.py, the real app).
    kwargs.setdefault("signin", False)
    kwargs.setdefault("sleep", lambda _s: None)  # the targets' settling (tests below) never waits here
    kwargs.setdefault("progress", messages.append)
    report = verify(platform, "Texas", http=app, clock=lambda: next(ticks) * 0.0012345, **kwargs)  # type: ignore[arg-type]
    return report, messages


def checks(report: Report) -> list[tuple[str, str, str]]:
    return [(c.name, c.status, c.detail) for c in report.checks]


# -- a working state ---------------------------------------------------------------------------------------
def test_a_working_state_sends_exactly_these_requests() -> None:
    platform, app = make()

    run(platform, app)

    assert platform.asked == [("status", "texas"), ("data_clients", "texas")]
    (marker,) = re.findall(r"Check-([0-9a-f]{8})$", app.sent[1][2]["data"]["last_name"])
    assert app.sent == [
        ("GET", f"{BASE}/", {"timeout": HTTP_TIMEOUT}),
        (
            "POST",
            f"{BASE}/api/employees",
            {
                "data": {
                    "first_name": "Verify",
                    "last_name": f"Check-{marker}",
                    "role": "Verifier",
                    "salary": "1",
                },
                "files": {"pdf": (f"verify-{marker}.pdf", SAMPLE_PDF, "application/pdf")},
                "headers": GUARD_HEADER,
                "timeout": HTTP_TIMEOUT,
            },
        ),
        ("GET", f"{BASE}/api/employees/{RECORD}", {"timeout": HTTP_TIMEOUT}),
        ("DELETE", f"{BASE}/api/employees/{RECORD}", {"headers": GUARD_HEADER, "timeout": HTTP_TIMEOUT}),
    ]
    item = {"TableName": TABLE, "Key": {appsrc.schema().HASH_KEY: {"S": RECORD}}, "ConsistentRead": True}
    obj = {"Bucket": BUCKET, "Key": DOCUMENT}
    # Found after the create; looked up again (and gone) after the delete.
    assert app.store.calls == [
        ("get_item", item),
        ("head_object", obj),
        ("get_item", item),
        ("head_object", obj),
    ]


def test_a_working_state_writes_this_report() -> None:
    platform, app = make()

    report, messages = run(platform, app)

    expected = [
        ("tasks", "pass", "2 RUNNING task(s) in us-east-1a, us-east-1b"),
        ("targets", "pass", "2/2 healthy behind the load balancer"),
        ("http", "pass", f"GET {BASE}/ -> 200"),
        ("create", "pass", f"POST {BASE}/api/employees -> 201, record {RECORD}, document {DOCUMENT}"),
        ("table", "pass", f"item {RECORD} in {TABLE}"),
        ("bucket", "pass", f"s3://{BUCKET}/{DOCUMENT}"),
        ("read", "pass", f"GET {BASE}/api/employees/{RECORD} -> 200"),
        ("delete", "pass", f"DELETE {BASE}/api/employees/{RECORD} -> 204"),
        ("cleanup", "pass", "item and object removed"),
    ]
    assert checks(report) == expected
    assert [c.seconds for c in report.checks] == [0.001] * len(expected)
    assert report.ok
    assert report.to_json() == {
        "state": "texas",
        "platform": "local",
        "url": URL,
        "ok": True,
        "checks": [{"name": n, "status": s, "detail": d, "seconds": 0.001} for n, s, d in expected],
        "warnings": [],
    }
    assert str(report) == "\n".join(
        [f"verify texas on local ({URL}): OK"] + [f"  PASS {n:<10} {d}" for n, _, d in expected]
    )
    assert messages == [f"pass {n}: {d}" for n, _, d in expected]
    assert report.raise_for_failure() is report


# -- what is skipped, and why ------------------------------------------------------------------------------
def test_no_url_skips_every_http_check_and_says_why() -> None:
    platform, app = make(url=None)

    report, messages = run(platform, app)

    why = "the state has no URL (is it deployed?)"
    names = ["http", "create", "table", "bucket", "read", "delete", "cleanup"]
    assert checks(report)[2:] == [(n, "skip", why) for n in names]
    assert messages[2:] == [f"skip {n}: {why}" for n in names]
    assert app.sent == [] and platform.asked == [("status", "texas")]
    assert str(report).splitlines()[0] == "verify texas on local (no URL): FAILED"
    assert str(report).splitlines()[-1] == f"  SKIP cleanup    {why}"
    with pytest.raises(VerificationFailed) as failed:
        report.raise_for_failure()
    assert failed.value.report is report


def test_a_failed_create_skips_what_needs_the_record() -> None:
    platform, app = make()
    app.codes["POST"] = 500

    report, messages = run(platform, app)

    assert checks(report)[3:] == [("create", "fail", f"POST {BASE}/api/employees -> 500")] + [
        (n, "skip", "no record was created") for n in ("table", "bucket", "read", "delete", "cleanup")
    ]
    assert messages[3] == f"fail create: POST {BASE}/api/employees -> 500"
    assert str(report).splitlines()[0] == f"verify texas on local ({URL}): FAILED"
    assert not report.ok and report.to_json()["ok"] is False


def test_a_state_without_table_or_bucket_skips_those_checks_and_cleans_what_it_has() -> None:
    platform, app = make(table=None)
    report, _ = run(platform, app)
    assert checks(report)[4] == ("table", "skip", "the platform reports no table")
    assert checks(report)[-1] == ("cleanup", "pass", "item and object removed")

    platform, app = make(bucket=None)
    report, _ = run(platform, app)
    assert checks(report)[5] == ("bucket", "skip", "the platform reports no bucket")
    assert checks(report)[-1] == ("cleanup", "pass", "item and object removed")


def test_a_failed_delete_skips_the_cleanup_check() -> None:
    platform, app = make()
    app.codes["DELETE"] = 500

    report, _ = run(platform, app)

    assert checks(report)[-2:] == [
        ("delete", "fail", f"DELETE {BASE}/api/employees/{RECORD} -> 500"),
        ("cleanup", "skip", "the record could not be deleted through the load balancer"),
    ]


# -- cleanup -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("keep", "detail"),
    [
        ({"item", "object"}, "still there: item, object"),
        ({"item"}, "still there: item"),
        ({"object"}, "still there: object"),
    ],
)
def test_cleanup_names_what_is_still_there(keep: set[str], detail: str) -> None:
    platform, app = make()
    app.keep = keep

    report, _ = run(platform, app)

    assert checks(report)[-1] == ("cleanup", "fail", detail)


@pytest.mark.parametrize("code", ["404", "NoSuchKey", "NotFound"])
def test_every_not_found_answer_of_s3_means_the_object_is_gone(code: str) -> None:
    platform, app = make()
    app.store.missing_code = code

    report, _ = run(platform, app)

    assert checks(report)[-1] == ("cleanup", "pass", "item and object removed")


@pytest.mark.parametrize("code", ["403", ""])
def test_any_other_s3_error_fails_the_check_with_its_name(code: str) -> None:
    platform, app = make()
    app.store.missing_code = code

    report, _ = run(platform, app)

    name, status, detail = checks(report)[-1]
    assert (name, status) == ("cleanup", "fail")
    assert detail.startswith("ClientError: An error occurred")


# -- the tasks and targets checks --------------------------------------------------------------------------
def status_with(*tasks: TaskInfo) -> Platform:
    return Platform(StackStatus("texas", "local", url=None, tasks=list(tasks)), Store())


def task_checks(platform: Platform, min_tasks: int = 2) -> list[tuple[str, str, str]]:
    report, _ = run(platform, App(platform.store), min_tasks=min_tasks)
    return checks(report)[:2]


def test_no_task_at_all() -> None:
    assert task_checks(status_with()) == [
        ("tasks", "fail", "0 RUNNING task(s) in no AZ"),
        ("targets", "fail", "0/0 healthy behind the load balancer"),
    ]


def test_three_tasks_in_two_zones_are_enough_for_three() -> None:
    tasks = [TaskInfo(f"t-{i}", f"us-east-1{'aab'[i]}", "RUNNING", True) for i in range(3)]
    assert task_checks(status_with(*tasks), min_tasks=3) == [
        ("tasks", "pass", "3 RUNNING task(s) in us-east-1a, us-east-1b"),
        ("targets", "pass", "3/3 healthy behind the load balancer"),
    ]


def test_unhealthy_targets_are_named() -> None:
    tasks = [
        TaskInfo("t-0", "us-east-1a", "RUNNING", True),
        TaskInfo("t-1", "us-east-1b", "RUNNING", False),
        TaskInfo("t-2", "us-east-1b", "RUNNING", False),
    ]
    assert task_checks(status_with(*tasks))[1] == (
        "targets",
        "fail",
        "1/3 healthy behind the load balancer (not healthy: t-1, t-2)",
    )


def test_one_healthy_target_is_not_enough_for_two() -> None:
    assert task_checks(status_with(TaskInfo("t-0", "us-east-1a", "RUNNING", True)))[1] == (
        "targets",
        "fail",
        "1/1 healthy behind the load balancer",
    )


class Settling(Platform):
    """A state whose status changes as it is read again: one status per read, the last one repeated."""

    def __init__(self, *statuses: StackStatus) -> None:
        super().__init__(statuses[0], Store())
        self.statuses = list(statuses)

    def status(self, state: str) -> StackStatus:
        self.asked.append(("status", state))
        return self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]


def _status(*tasks: TaskInfo) -> StackStatus:
    return StackStatus("texas", "local", url=None, tasks=list(tasks))


def test_targets_that_settle_after_a_missed_check_pass() -> None:
    down = [TaskInfo("t-a", "us-east-1a", "RUNNING", True), TaskInfo("t-b", "us-east-1b", "RUNNING", False)]
    platform = Settling(_status(*down), _status(*down), _status(*two_tasks()))
    slept: list[float] = []

    report, messages = run(platform, App(platform.store), sleep=slept.append)

    assert checks(report)[:2] == [
        ("tasks", "pass", "2 RUNNING task(s) in us-east-1a, us-east-1b"),
        ("targets", "pass", "2/2 healthy behind the load balancer"),
    ]
    assert slept == [SETTLE_INTERVAL, SETTLE_INTERVAL]
    assert platform.asked == [("status", "texas")] * 3
    assert messages[0] == (
        "wait targets: 1/2 healthy behind the load balancer (not healthy: t-b); re-checking for up to 10 s"
    )


def test_too_few_healthy_targets_are_also_given_time_to_settle() -> None:
    platform = Settling(_status(two_tasks()[0]), _status(*two_tasks()))
    slept: list[float] = []

    report, _ = run(platform, App(platform.store), sleep=slept.append)

    assert [c[1] for c in checks(report)[:2]] == ["pass", "pass"]
    assert slept == [SETTLE_INTERVAL]


def test_targets_that_never_settle_fail_after_the_last_poll() -> None:
    down = [TaskInfo("t-a", "us-east-1a", "RUNNING", True), TaskInfo("t-b", "us-east-1b", "RUNNING", False)]
    platform = Settling(_status(*down))
    slept: list[float] = []
    said: list[object] = []  # the progress lines and the sleeps, in the order they happened

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        said.append(seconds)

    report, _ = run(platform, App(platform.store), sleep=sleep, progress=said.append)

    # One line, before the first wait, saying how long it may wait.
    assert [m for m in said if isinstance(m, str) and m.startswith("wait ")] == [said[0]]
    assert str(said[0]).endswith(f"re-checking for up to {SETTLE_POLLS * SETTLE_INTERVAL:.0f} s")

    assert checks(report)[1] == ("targets", "fail", "1/2 healthy behind the load balancer (not healthy: t-b)")
    assert slept == [SETTLE_INTERVAL] * SETTLE_POLLS
    assert len(platform.asked) == SETTLE_POLLS + 1


def test_the_wait_line_says_the_whole_time_it_may_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    from humangov_deploy import verify as verify_module

    monkeypatch.setattr(verify_module, "SETTLE_INTERVAL", 0.5)
    platform = Settling(_status(two_tasks()[0]), _status(*two_tasks()))
    _report, messages = run(platform, App(platform.store))
    assert messages[0].endswith("re-checking for up to 5 s")  # 10 polls, 0.5 s apart


def test_warnings_of_the_state_are_printed_and_reported() -> None:
    platform, app = make()
    platform._status.warnings = ["serving plain HTTP: no --certificate-arn"]

    report, messages = run(platform, app)

    assert messages[0] == "warning: serving plain HTTP: no --certificate-arn"
    assert report.warnings == ["serving plain HTTP: no --certificate-arn"]


def test_a_state_without_tasks_is_judged_at_once() -> None:
    platform = Settling(_status())
    slept: list[float] = []

    report, messages = run(platform, App(platform.store), sleep=slept.append)

    assert checks(report)[1] == ("targets", "fail", "0/0 healthy behind the load balancer")
    assert slept == [] and platform.asked == [("status", "texas")]
    assert not any(m.startswith("wait") for m in messages)


def test_a_check_that_raises_fails_with_the_exception_named() -> None:
    platform, app = make()

    def broken(url: str, **kwargs: Any) -> Response:
        raise ValueError("no answer")

    app.get = broken  # type: ignore[method-assign]
    report, _ = run(platform, app)

    assert checks(report)[2] == ("http", "fail", "ValueError: no answer")


@pytest.mark.parametrize(
    ("url", "base"),
    [("http://lb.example", "http://lb.example"), ("http://HUMANGOV-LB-X/", "http://HUMANGOV-LB-X")],
)
def test_the_url_is_used_as_given_without_its_trailing_slash(url: str, base: str) -> None:
    platform, app = make(url=url)

    run(platform, app)

    assert [u for _, u, _ in app.sent] == [f"{base}/", f"{base}/api/employees"] + [
        f"{base}/api/employees/{RECORD}"
    ] * 2
