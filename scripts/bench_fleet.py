#!/usr/bin/env python3
"""Benchmark: a 50-state rollout against one state's, on a moto server (issue 14: ratio <= 8).

Prints figures; it is not a test. Each rollout is one `humangov rollout` process, timed from start to exit as
a user waits for it (the issue's reference figure: 10 separate `deploy` processes in parallel took 3.5 times
one, mostly start-up and client creation, which a single process pays once), against moto's server in
a process of its own on 127.0.0.1 (as AWS, or `moto_server`, is another process: in this one it would share
the rollout's interpreter lock and serialize the rollout's threads behind its own work). The
50 states deployed first (untimed, `--create-missing`), then, timed, a rollout of a new version to one
state, and a rollout of another new version to all 50 with `--max-parallel 10`. Both are updates of
deployed states (a new task definition revision, UpdateService, the `stable` wait), through the CLI
with `--gate deploy` (moto runs no task, so `verify` cannot pass). Prebuilt image URIs: no Docker.

    .venv/bin/python scripts/bench_fleet.py [--max-parallel 10] [--wave-size 10]

The CPU may be shared: the load average is printed before and after, read the figures with it.
Exits 1 unless, by `status --all`, every one of the 50 states ended on the new version, put there by that
rollout: the unit suite rolls out a smaller fleet (suites/unit/rollout/test_rollout_aws.py), and this run
keeps the 50-state rollout checked (scripts/test runs it).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import platform
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

TARGET_RATIO = 8.0
REGISTRY = "123456789012.dkr.ecr.us-east-1.amazonaws.com"


def image(name: str, fill: str) -> str:
    return f"{REGISTRY}/humangov-{name}@sha256:{fill * 64}"


def rollout(endpoint: str, states: str, fill: str, *extra: str) -> tuple[float, dict[str, object]]:
    argv = [
        "rollout",
        "--states",
        states,
        "--platform",
        "aws",
        "--endpoint-url",
        endpoint,
        "--data",
        "boto3",
        "--gate",
        "deploy",
        "--app-image",
        image("app", fill),
        "--nginx-image",
        image("nginx", fill),
        "--json",
        *extra,
    ]
    # A `humangov rollout` process, as a user runs it: the time is what they wait for, start-up included.
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "humangov_deploy.cli", *argv],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    try:
        data = json.loads(done.stdout)
    except ValueError:
        raise SystemExit(f"rollout of {states} printed no report:\n{done.stderr[-2000:]}") from None
    if done.returncode != 0:
        failed = [s for s in data["states"] if s["result"] != "done"]
        raise SystemExit(f"rollout of {states} failed: {failed}")
    return seconds, data


def fleet_status(endpoint: str) -> list[dict[str, object]]:
    """`humangov status --all --json` on the endpoint: one row per deployed state."""
    from humangov_deploy.cli import main

    out = io.StringIO()
    argv = ["status", "--all", "--platform", "aws", "--endpoint-url", endpoint, "--json"]
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        code = main(argv)
    if code != 0:
        raise SystemExit(f"status --all failed with exit status {code}")
    rows: list[dict[str, object]] = json.loads(out.getvalue())
    return rows


def fleet_problems(rows: list[dict[str, object]], expected: list[str], app: str, run_id: object) -> list[str]:
    """Why the fleet is not all on `app` by rollout `run_id` (empty when it is)."""
    by_state = {str(r["state"]): r for r in rows}
    problems = [f"{s}: not deployed" for s in expected if s not in by_state]
    for state in expected:
        row = by_state.get(state)
        if row is None:
            continue
        last = row["last_rollout"]
        if row["app_image"] != app:
            problems.append(f"{state}: on {row['app_image']}, not {app}")
        elif not isinstance(last, dict) or last.get("run_id") != run_id or last.get("result") != "done":
            problems.append(f"{state}: last rollout {last}, not {run_id} done")
    return problems


def start_moto_server() -> tuple[str, subprocess.Popen[bytes]]:
    """moto's server in its own process (it inherits MOTO_ECS_SERVICE_RUNNING), once it answers."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1).close()
            return endpoint, server
        except OSError:
            if server.poll() is not None:
                break
            time.sleep(0.2)
    server.kill()
    raise SystemExit(f"moto's server did not start on {endpoint}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-parallel", type=int, default=10)
    parser.add_argument("--wave-size", type=int, default=10)
    args = parser.parse_args()
    # moto's services report 2 running tasks (a COMPLETED rollout) only with this, set before CreateService.
    os.environ["MOTO_ECS_SERVICE_RUNNING"] = "2"
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        os.environ.setdefault(name, "bench")
    os.environ.pop("AWS_PROFILE", None)

    from humangov_deploy.appsrc import states

    endpoint, server = start_moto_server()
    try:
        every = ",".join(states())
        fleet = ["--max-parallel", str(args.max_parallel), "--wave-size", str(args.wave_size)]
        print(f"machine: {platform.node()}, {os.cpu_count()} CPU(s), {platform.python_version()}")
        print(f"load average before: {os.getloadavg()}")
        setup, _ = rollout(endpoint, every, "a", "--create-missing", *fleet)
        print(f"setup: 50 states deployed in {setup:.1f} s (untimed)")
        one, _ = rollout(endpoint, "vermont", "b")
        fifty, data = rollout(endpoint, "all", "c", *fleet)
        waves = [len(w) for w in data["waves"]]  # type: ignore[attr-defined]
        print(f"1 state:   {one:.2f} s")
        print(f"50 states: {fifty:.2f} s (--max-parallel {args.max_parallel}, waves {waves})")
        ratio = fifty / one
        verdict = "within" if ratio <= TARGET_RATIO else "OVER"
        print(f"ratio: {ratio:.2f} ({verdict} the target of {TARGET_RATIO:.0f})")
        print(f"load average after: {os.getloadavg()}")
        problems = fleet_problems(fleet_status(endpoint), list(states()), image("app", "c"), data["run_id"])
    finally:
        server.terminate()
        server.wait(timeout=30)
    if problems:
        print(f"FAILED: {len(problems)} of 50 states are not on the new version:", *problems, sep="\n  ")
        return 1
    print("all 50 states are on the new version")
    return 0


if __name__ == "__main__":
    sys.exit(main())
