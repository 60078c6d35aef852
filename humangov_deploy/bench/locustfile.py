"""The bench's load profile, run by locust (`locust -f` this file, headless) in a subprocess.

Each simulated user is a clerk sending the mixes of `humangov_deploy.bench.mixes` back to back (no think
time: a closed loop of `--concurrency` requests in flight). Every request is named by its mix, so
locust's CSV has one row per mix. A response other than the expected one is a failure, with the status
in its message. Records this process creates are appended to the plan's `created_log` the moment their
id is known, so the parent removes them even if this process is killed; the parent also finds them by
the run's tag in their name, for a create whose answer never arrived.

At exit it writes locust's own stats and failures CSV (the format of `--csv`) once, from the final
figures: `--csv` rewrites its files every second while the run goes, so its last write can miss the
requests that ended in the run's last second and while in-flight requests were allowed to finish.

Never imported by the library or its tests (locust monkey-patches the standard library with gevent).
"""

from __future__ import annotations

import csv
import json
import os
import random
from typing import Any

import gevent.ssl
from locust import FastHttpUser, constant, events, task
from locust.stats import PERCENTILES_TO_REPORT, StatsCSV
from urllib3 import encode_multipart_formdata

from humangov_deploy.bench.mixes import (
    CSV_PREFIX_ENV,
    GUARD_HEADER,
    PLAN_ENV,
    WEIGHTS,
    bench_pdf,
    record_fields,
)

with open(os.environ[PLAN_ENV], encoding="utf-8") as plan_file:
    PLAN: dict[str, Any] = json.load(plan_file)
IDS: list[str] = list(PLAN["ids"])
TAG: str = PLAN["tag"]
AUTH = {"Authorization": f"Bearer {PLAN['token']}"}  # the bench's own editor (runner.BenchUser)
PDF = bench_pdf(TAG)


class Clerk(FastHttpUser):
    wait_time = constant(0)
    # A request slower than this is a failure, not a stall that would hold the run past its end.
    network_timeout = 30.0
    connection_timeout = 10.0
    # HTTPS is checked (locust's default is not to): against the local platform's CA when it has one.
    insecure = False
    ssl_context_factory = staticmethod(
        lambda **_: gevent.ssl.create_default_context(cafile=PLAN.get("ca_bundle") or None)
    )

    def _expect(self, method: str, path: str, mix: str, status: int, **kwargs: Any) -> Any:
        kwargs["headers"] = {**AUTH, **kwargs.get("headers", {})}
        with self.client.request(method, path, name=mix, catch_response=True, **kwargs) as response:
            if response.status_code != status:
                response.failure(f"HTTP {response.status_code}, expected {status}")
            elif status == 302 and not response.headers.get("Location"):
                response.failure("HTTP 302 without a Location")
            else:
                response.success()
            return response

    def on_start(self) -> None:
        # Every mix once per user before the weighted mix: a short run (the live test's) still has a
        # figure for each, whatever the random draw.
        for mix in (self.list_records, self.search, self.read, self.pdf, self.create):
            mix()

    @task(WEIGHTS["list"])
    def list_records(self) -> None:
        self._expect("GET", "/records", "list", 200)

    @task(WEIGHTS["search"])
    def search(self) -> None:
        self._expect("GET", f"/search?name={TAG}", "search", 200)

    @task(WEIGHTS["read"])
    def read(self) -> None:
        self._expect("GET", f"/edit_record/{random.choice(IDS)}", "read", 200)

    @task(WEIGHTS["pdf"])
    def pdf(self) -> None:
        # The redirect only: the PDF itself comes from S3 (on AWS, not through the load balancer).
        self._expect("GET", f"/records/pdf/{random.choice(IDS)}", "pdf", 302, allow_redirects=False)

    @task(WEIGHTS["create"])
    def create(self) -> None:
        body, content_type = encode_multipart_formdata(
            {**record_fields(TAG, random.randrange(10**6)), "pdf": ("bench.pdf", PDF, "application/pdf")}
        )
        headers = {**GUARD_HEADER, "Content-Type": content_type}
        response = self._expect("POST", "/api/employees", "create", 201, data=body, headers=headers)
        if response.status_code == 201:
            try:
                record_id = json.loads(response.content)["id"]
            except (ValueError, KeyError, TypeError):
                return
            with open(PLAN["created_log"], "a", encoding="utf-8") as log:
                log.write(f"{record_id}\n")


_ENVIRONMENT: dict[str, Any] = {}


@events.init.add_listener
def _keep_environment(environment: Any, **_: Any) -> None:
    _ENVIRONMENT["env"] = environment


@events.quit.add_listener
def _write_final_csv(**_: Any) -> None:
    """Fired after the runner stopped every user: the stats are final."""
    prefix, environment = os.environ[CSV_PREFIX_ENV], _ENVIRONMENT["env"]
    writer = StatsCSV(environment, PERCENTILES_TO_REPORT)
    with open(f"{prefix}_stats.csv", "w", newline="", encoding="utf-8") as stats_file:
        writer.requests_csv(csv.writer(stats_file))
    with open(f"{prefix}_failures.csv", "w", newline="", encoding="utf-8") as failures_file:
        writer.failures_csv(csv.writer(failures_file))
