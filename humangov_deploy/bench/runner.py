"""One bench run, start to end: check the state, start the baseline, seed records, load both, clean up.

Cleanup (the bench's records, then the baseline) runs in `finally`: after a failure and after Ctrl-C
too. Only loopback URLs are ever loaded: the bench sends traffic to this machine and nowhere else.
"""

from __future__ import annotations

import ipaddress
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests

from humangov_deploy.bench import baseline, loadgen, machine, records
from humangov_deploy.bench.plot import write_plot
from humangov_deploy.bench.results import BenchReport, RunResult
from humangov_deploy.errors import ConfigError
from humangov_deploy.http_session import session_for
from humangov_deploy.platforms.base import Platform, StackStatus
from humangov_deploy.users import UserAdmin
from humangov_deploy.waits import Deadline

Progress = Callable[[str], None]
SEED_RECORDS = 20
BASELINE_TIMEOUT = 180.0
CLEANUP_TIMEOUT = 120.0
MIN_DURATION, MAX_DURATION = 1, 600
MIN_CONCURRENCY, MAX_CONCURRENCY = 1, 64
JSON_NAME = "bench.json"
PLOT_NAME = "bench.png"


@dataclass(frozen=True)
class BenchOptions:
    state: str
    duration: int
    concurrency: int
    out: Path


def check_options(duration: int, concurrency: int) -> None:
    """Bounds that keep a run short and on a 2-core machine: a clear error instead of a stuck run."""
    if not MIN_DURATION <= duration <= MAX_DURATION:
        raise ConfigError(
            f"--duration must be from {MIN_DURATION} to {MAX_DURATION} seconds (per target), not {duration}"
        )
    if not MIN_CONCURRENCY <= concurrency <= MAX_CONCURRENCY:
        raise ConfigError(
            f"--concurrency must be from {MIN_CONCURRENCY} to {MAX_CONCURRENCY} requests in flight, "
            f"not {concurrency}"
        )


def check_loopback(url: str) -> None:
    host = urlsplit(url).hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ConfigError(f"the bench loads only this machine (a loopback address), not {url}")


def deployed_url(platform: Platform, state: str) -> str:
    """The state's URL, or a clear error when it is not deployed or none of its tasks is healthy."""
    return _deployed(platform.status(state), platform, state)


def _deployed(status: StackStatus, platform: Platform, state: str) -> str:
    if not status.url or not status.tasks:
        raise ConfigError(
            f"{state} is not deployed on the {platform.name} platform: "
            f"run `humangov deploy --state {state} --platform {platform.name}` first"
        )
    if not any(t.healthy for t in status.tasks):
        raise ConfigError(f"{state} has no healthy task behind its load balancer; see `humangov status`")
    return status.url.rstrip("/")


def run_bench(
    options: BenchOptions,
    *,
    platform: Platform,
    docker: Any,
    progress: Progress,
    http: requests.Session | None = None,
) -> BenchReport:
    check_options(options.duration, options.concurrency)
    status = platform.status(options.state)
    url = _deployed(status, platform, options.state)
    check_loopback(url)
    # HTTPS on the local platform: the seeding, the cleanup and locust check the certificate with its CA.
    http = http or session_for(status)
    options.out.mkdir(parents=True, exist_ok=True)
    # The app lets no one in unsigned: an editor of the bench's own, with a token, removed at the end.
    clerk = BenchUser.create(platform, options.state)
    http.headers.update(clerk.headers)
    tag = records.new_tag()
    plan_path = options.out / "plan.json"
    created_log = options.out / "created-ids.txt"
    created_log.unlink(missing_ok=True)
    known: list[str] = []
    runs: dict[str, RunResult] = {}
    try:
        base = baseline.start(
            docker, http, options.state, deadline=Deadline(BASELINE_TIMEOUT), progress=progress
        )
        check_loopback(base.url)
        progress(f"baseline up at {base.url}; seeding {SEED_RECORDS} records tagged {tag}")
        known += records.seed(http, url, tag, SEED_RECORDS)
        plan = {
            "ids": known,
            "tag": tag,
            "created_log": str(created_log),
            "ca_bundle": status.ca_bundle,
            "token": clerk.token,
        }
        plan_path.write_text(json.dumps(plan), encoding="utf-8")
        for target, target_url, config in (
            ("ours", url, baseline.OURS_CONFIG),
            ("baseline", base.url, baseline.BASELINE_CONFIG),
        ):
            load = loadgen.Load(target_url, options.duration, options.concurrency, plan_path)
            runs[target] = loadgen.run(target, config, load, options.out, progress)
            progress(
                f"{target}: {runs[target].total.requests} requests, {runs[target].total.ok_rps:.1f}/s "
                f"successful, {runs[target].failures} error(s)"
            )
    finally:
        try:
            _cleanup(http, url, tag, known + records.logged_ids(created_log), docker, options.state, progress)
        finally:
            clerk.remove()  # the token in plan.json dies with its user
    report = BenchReport(
        state=options.state,
        platform=platform.name,
        duration=float(options.duration),
        concurrency=options.concurrency,
        machine=machine.describe(docker),
        ours=runs["ours"],
        baseline=runs["baseline"],
    )
    (options.out / JSON_NAME).write_text(json.dumps(report.to_json(), indent=2) + "\n", encoding="utf-8")
    write_plot(report, options.out / PLOT_NAME)
    progress(f"wrote {options.out / JSON_NAME} and {options.out / PLOT_NAME}")
    return report


@dataclass
class BenchUser:
    """The bench's own editor and API token (both targets share the state's table, so its users)."""

    admin: UserAdmin
    username: str
    token: str

    @classmethod
    def create(cls, platform: Platform, state: str) -> BenchUser:
        admin = UserAdmin.for_platform(platform, state, actor="bench")
        username = f"bench-{secrets.token_hex(4)}"
        admin.add(username, "editor", password=secrets.token_urlsafe(24))
        try:
            return cls(admin, username, admin.create_token(username)[1])
        except Exception:
            admin.remove(username)
            raise

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def remove(self) -> None:
        self.admin.remove(self.username)  # its token goes with it


def _cleanup(
    http: requests.Session, url: str, tag: str, known: list[str], docker: Any, state: str, progress: Progress
) -> None:
    """Records first (through our stack), then the baseline; both are tried even if the first fails."""
    try:
        records.cleanup(http, url, tag, known, progress)
    finally:
        progress("removing the baseline")
        baseline.remove(docker, state, deadline=Deadline(CLEANUP_TIMEOUT), progress=lambda _m: None)
