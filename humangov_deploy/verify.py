"""`humangov verify`: prove a deployed state works, through its load balancer, on any platform.

Platform-agnostic: it needs only the Platform interface (`status`, `data_clients`) and HTTP. Each check
gives one CheckResult; a check that cannot run because an earlier one failed is reported as skipped
(and the report fails). A record created for the check is removed even when a later check fails.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import requests
from botocore.exceptions import BotoCoreError, ClientError

from humangov_deploy import appsrc
from humangov_deploy.errors import HumangovError, VerificationFailed
from humangov_deploy.http_session import session_for
from humangov_deploy.platforms.base import Platform, Progress, StackStatus, print_progress
from humangov_deploy.verify_signin import SignInCheck

GUARD_HEADER = {"X-HumanGov-Request": "1"}
HTTP_TIMEOUT = 15.0
# The smallest file the app accepts as a PDF: it checks the magic bytes and the .pdf name.
SAMPLE_PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
MIN_TASKS = 2
# A target that misses one health check (its task slow for a moment, say while a neighbour boots on a busy
# machine) is out of service until its next good check, a second or two later on the local platform and a
# few intervals on an ALB. A verify that runs right after a deploy may catch that moment: it re-reads the
# state's status up to SETTLE_POLLS times, SETTLE_INTERVAL apart, before judging the tasks and targets.
SETTLE_POLLS = 10
SETTLE_INTERVAL = 1.0


@dataclass
class CheckResult:
    name: str
    status: str  # pass, fail, skip
    detail: str
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status == "pass"


@dataclass
class Report:
    state: str
    platform: str
    url: str | None
    checks: list[CheckResult] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # the state's own (plain HTTP, ...): not failures

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c.ok for c in self.checks)

    def to_json(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "platform": self.platform,
            "url": self.url,
            "ok": self.ok,
            "checks": [asdict(c) for c in self.checks],
            "warnings": self.warnings,
        }

    def lines(self) -> list[str]:
        outcome = "OK" if self.ok else "FAILED"
        head = f"verify {self.state} on {self.platform} ({self.url or 'no URL'}): {outcome}"
        return (
            [head]
            + [f"  {c.status.upper():<4} {c.name:<10} {c.detail}" for c in self.checks]
            + [f"warning: {w}" for w in self.warnings]
        )

    def __str__(self) -> str:
        return "\n".join(self.lines())

    def raise_for_failure(self) -> Report:
        if not self.ok:
            raise VerificationFailed(self)
        return self


class _Run:
    def __init__(self, report: Report, progress: Progress, clock: Callable[[], float]) -> None:
        self.report, self.progress, self.clock = report, progress, clock

    def check(self, name: str, body: Callable[[], tuple[bool, str]]) -> bool:
        started = self.clock()
        try:
            ok, detail = body()
        except (
            requests.RequestException,
            BotoCoreError,
            ClientError,
            HumangovError,
            KeyError,
            ValueError,
        ) as exc:
            ok, detail = False, f"{type(exc).__name__}: {exc}"
        result = CheckResult(name, "pass" if ok else "fail", detail, round(self.clock() - started, 3))
        self.report.checks.append(result)
        self.progress(f"{result.status} {name}: {detail}")
        return ok

    def skip(self, name: str, why: str) -> None:
        self.report.checks.append(CheckResult(name, "skip", why))
        self.progress(f"skip {name}: {why}")


def verify(
    platform: Platform,
    state: str,
    *,
    http: requests.Session | None = None,
    progress: Progress = print_progress,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    min_tasks: int = MIN_TASKS,
    signin: bool = True,
    fresh_http: Callable[[], requests.Session] | None = None,
) -> Report:
    """With `signin` (the default: every deployed app needs it), a short-lived user of verify's own
    signs in and the record checks run as that user; `fresh_http` makes the cookie-less clients of
    the anonymous and viewer checks (by default sessions like `http`'s, trusting the state's CA)."""
    state = appsrc.validate_state(state)
    status = _settled(platform, platform.status(state), min_tasks, progress, sleep)
    http = http or session_for(status)  # the local platform's HTTPS: checked against its CA
    report = Report(state=state, platform=platform.name, url=status.url, warnings=list(status.warnings))
    for warning in status.warnings:
        progress(f"warning: {warning}")
    run = _Run(report, progress, clock)

    run.check("tasks", lambda: _tasks_check(status, min_tasks))
    run.check("targets", lambda: _targets_check(status, min_tasks))
    if not status.url:
        for name in ("http", "create", "table", "bucket", "read", "delete", "cleanup"):
            run.skip(name, "the state has no URL (is it deployed?)")
        return report
    base = status.url.rstrip("/")
    run.check("http", lambda: _expect(http.get(f"{base}/", timeout=HTTP_TIMEOUT), 200))
    if not signin:
        _record_checks(run, platform, status, http, base, None)
        return report
    users = SignInCheck(platform, state, http, base, fresh_http or (lambda: session_for(status)))
    try:
        run.check("anonymous", users.anonymous)
        if run.check("signin", users.sign_in):
            _record_checks(run, platform, status, http, base, users)
        else:
            for name in ("create", "table", "bucket", "read", "delete", "cleanup"):
                run.skip(name, "verify's user could not sign in")
    finally:
        run.check("users", users.remove)
    return report


def _settled(
    platform: Platform,
    status: StackStatus,
    min_tasks: int,
    progress: Progress,
    sleep: Callable[[float], None],
) -> StackStatus:
    """The state's status once its targets pass, or after SETTLE_POLLS re-reads (see above).

    A state without any task is judged at once: there is nothing that could settle."""
    for attempt in range(SETTLE_POLLS):
        ok, seen = _targets_check(status, min_tasks)
        if not status.tasks or ok:
            break
        if attempt == 0:
            progress(f"wait targets: {seen}; re-checking for up to {SETTLE_POLLS * SETTLE_INTERVAL:.0f} s")
        sleep(SETTLE_INTERVAL)
        status = platform.status(status.state)
    return status


def _tasks_check(status: StackStatus, min_tasks: int) -> tuple[bool, str]:
    running = [t for t in status.tasks if t.status == "RUNNING"]
    azs = sorted({t.az for t in running})
    detail = f"{len(running)} RUNNING task(s) in {', '.join(azs) or 'no AZ'}"
    return len(running) >= min_tasks and len(azs) >= min(min_tasks, 2), detail


def _targets_check(status: StackStatus, min_tasks: int) -> tuple[bool, str]:
    running = [t for t in status.tasks if t.status == "RUNNING"]
    unhealthy = [t.id for t in running if not t.healthy]
    healthy = len(running) - len(unhealthy)
    detail = f"{healthy}/{len(running)} healthy behind the load balancer"
    if unhealthy:
        detail += f" (not healthy: {', '.join(unhealthy)})"
    return healthy >= min_tasks and not unhealthy, detail


def _expect(response: requests.Response, code: int) -> tuple[bool, str]:
    return response.status_code == code, f"{response.request.method} {response.url} -> {response.status_code}"


def _record_checks(
    run: _Run,
    platform: Platform,
    status: StackStatus,
    http: requests.Session,
    base: str,
    users: SignInCheck | None,
) -> None:
    schema = appsrc.schema()
    clients = platform.data_clients(status.state)
    record: dict[str, Any] = {}
    marker = uuid.uuid4().hex[:8]

    def create() -> tuple[bool, str]:
        response = http.post(
            f"{base}/api/employees",
            data={"first_name": "Verify", "last_name": f"Check-{marker}", "role": "Verifier", "salary": "1"},
            files={"pdf": (f"verify-{marker}.pdf", SAMPLE_PDF, "application/pdf")},
            headers=GUARD_HEADER,
            timeout=HTTP_TIMEOUT,
        )
        ok, detail = _expect(response, 201)
        if ok:
            body = response.json()
            record.update(id=str(body["id"]), document=str(body["document"]))
            detail += f", record {record['id']}, document {record['document']}"
        return ok, detail

    def item_exists() -> bool:
        item = clients.dynamodb.get_item(
            TableName=status.table, Key={schema.HASH_KEY: {"S": record["id"]}}, ConsistentRead=True
        )
        return "Item" in item

    def object_exists() -> bool:
        try:
            clients.s3.head_object(Bucket=status.bucket, Key=record["document"])
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True

    if not run.check("create", create):
        for name in ("table", "bucket", "read", "delete", "cleanup"):
            run.skip(name, "no record was created")
        return
    if users is not None:
        run.check("viewer", users.viewer_cannot_write)
    if status.table:
        run.check("table", lambda: (item_exists(), f"item {record['id']} in {status.table}"))
    else:
        run.skip("table", "the platform reports no table")
    if status.bucket:
        run.check("bucket", lambda: (object_exists(), f"s3://{status.bucket}/{record['document']}"))
    else:
        run.skip("bucket", "the platform reports no bucket")
    run.check(
        "read", lambda: _expect(http.get(f"{base}/api/employees/{record['id']}", timeout=HTTP_TIMEOUT), 200)
    )
    deleted = run.check(
        "delete",
        lambda: _expect(
            http.delete(f"{base}/api/employees/{record['id']}", headers=GUARD_HEADER, timeout=HTTP_TIMEOUT),
            204,
        ),
    )
    if not deleted:
        run.skip("cleanup", "the record could not be deleted through the load balancer")
        return

    def gone() -> tuple[bool, str]:
        left = [
            what
            for what, present in (
                ("item", status.table and item_exists()),
                ("object", status.bucket and object_exists()),
            )
            if present
        ]
        return not left, "item and object removed" if not left else f"still there: {', '.join(left)}"

    run.check("cleanup", gone)
    if users is not None:
        run.check("audit", lambda: users.audited(record["id"]))
