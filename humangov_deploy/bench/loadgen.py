"""Running locust headless in a subprocess, bounded in time, and reading its CSV back.

A subprocess, not locust as a library: locust monkey-patches the standard library with gevent at
import, which the CLI's own threads and boto3 must never see; a killed subprocess is also cleaned up
by the OS. Bounded twice: locust's own `--run-time`, and a hard kill when it overstays by a margin.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from humangov_deploy.bench.mixes import CSV_PREFIX_ENV, PLAN_ENV
from humangov_deploy.bench.results import ResultsError, RunResult, parse_failures, parse_stats

Progress = Callable[[str], None]
LOCUSTFILE = Path(__file__).with_name("locustfile.py")
# Locust stops its users, waits up to --stop-timeout for requests in flight, then writes its CSV.
STOP_TIMEOUT = 5
OVERSTAY = 60.0
PROGRESS_EVERY = 5.0
# Locust warns when its own process is CPU-bound: then the figures measure the load generator.
CPU_WARNING = "CPU usage above"


@dataclass(frozen=True)
class Load:
    url: str
    duration: int
    concurrency: int
    plan: Path


def command(load: Load) -> list[str]:
    """The locust command line: headless, all users at once, nothing printed while it runs.

    No `--csv`: the locustfile writes the final CSV itself (see there why).
    """
    return [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(LOCUSTFILE),
        "--headless",
        "--host",
        load.url,
        "--users",
        str(load.concurrency),
        "--spawn-rate",
        str(load.concurrency),
        "--run-time",
        f"{load.duration}s",
        "--stop-timeout",
        str(STOP_TIMEOUT),
        "--only-summary",
        "--loglevel",
        "WARNING",
        # Failed requests are figures to report, not a failed run.
        "--exit-code-on-error",
        "0",
    ]


def run(target: str, config: str, load: Load, out_dir: Path, progress: Progress) -> RunResult:
    """One target's run; its CSV and log stay in `out_dir` (locust-<target>_*.csv, locust-<target>.log)."""
    prefix = out_dir / f"locust-{target}"
    log_path = out_dir / f"locust-{target}.log"
    env = {**os.environ, PLAN_ENV: str(load.plan), CSV_PREFIX_ENV: str(prefix)}
    progress(f"{target}: {load.duration} s at concurrency {load.concurrency} against {load.url}")
    started = time.monotonic()
    with log_path.open("wb") as log:
        process = subprocess.Popen(command(load), stdout=log, stderr=subprocess.STDOUT, env=env)
        try:
            limit = load.duration + STOP_TIMEOUT + OVERSTAY
            while True:
                try:
                    process.wait(timeout=PROGRESS_EVERY)
                    break
                except subprocess.TimeoutExpired:
                    elapsed = time.monotonic() - started
                    if elapsed > limit:
                        raise ResultsError(
                            f"locust ran {elapsed:.0f} s for a {load.duration} s run: "
                            f"stopped it (see {log_path})"
                        ) from None
                    progress(f"{target}: {min(elapsed, load.duration):.0f}/{load.duration} s")
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    log_text = log_path.read_text(encoding="utf-8", errors="replace")
    if process.returncode != 0:
        tail = "\n".join(log_text.splitlines()[-15:])
        raise ResultsError(f"locust exited with {process.returncode} ({log_path}):\n{tail}")
    if CPU_WARNING in log_text:
        progress(f"{target}: locust warned its CPU was saturated: the figures are bounded by the load tool")
    return read_run(target, load.url, config, prefix)


def read_run(target: str, url: str, config: str, prefix: Path) -> RunResult:
    stats_path = Path(f"{prefix}_stats.csv")
    failures_path = Path(f"{prefix}_failures.csv")
    if not stats_path.exists():
        raise ResultsError(f"locust wrote no {stats_path}")
    mixes, total = parse_stats(stats_path.read_text(encoding="utf-8"))
    errors = parse_failures(failures_path.read_text(encoding="utf-8")) if failures_path.exists() else []
    return RunResult(target=target, url=url, config=config, mixes=mixes, total=total, errors=errors)
