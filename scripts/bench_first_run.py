#!/usr/bin/env python3
"""The first run of the README's main command, timed: `scripts/humangov deploy --state S` on a cold cache.

A copy of this checkout (no .venv), a cache directory and a pip cache of its own, all in a temporary
directory, so nothing of this machine's is reused; the Docker engine should be empty of HumanGov images
too: point --docker-host at a separate daemon, e.g.

    dockerd --config-file D/daemon.json --host unix://D/docker.sock --pidfile D/pid --exec-root D/exec \\
        --bridge none --iptables=false      # daemon.json: a copy of /etc/docker/daemon.json, data-root D/root
    .venv/bin/python scripts/bench_first_run.py --docker-host unix://D/docker.sock

Prints the wall time of the bootstrap (.venv with the CLI) and of the deploy, their sum (the first run),
and the number of lines the command printed; then destroys the state (not timed). Debian packages the
bootstrap would install (mmdebstrap) are not removed from the machine first: that apt step is not in the
figure when they are already installed (the script says which).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUDGET_SECONDS = 150
BUDGET_LINES = 40


def run(command: list[str], *, cwd: Path, env: dict[str, str]) -> tuple[float, str, int]:
    started = time.monotonic()
    result = subprocess.run(
        command, cwd=cwd, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False
    )
    return time.monotonic() - started, result.stdout + result.stderr, result.returncode


def engine_images(env: dict[str, str]) -> list[str]:
    out = subprocess.run(
        ["docker", "images", "--format", "{{.Repository}}:{{.Tag}}"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return [ref for ref in out if ref.startswith("humangov-")]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--state", default="new-mexico", help="the state to deploy (default: new-mexico)")
    parser.add_argument("--docker-host", default=os.environ.get("DOCKER_HOST"), help="the engine to use")
    parser.add_argument("--allow-warm", action="store_true", help="run even if the engine has our images")
    parser.add_argument("--keep", action="store_true", help="keep the temporary copy and the state")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="humangov-first-run-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "HUMANGOV_"))}
    env.update(HUMANGOV_CACHE_DIR=str(work / "cache"), PIP_CACHE_DIR=str(work / "pip-cache"))
    if args.docker_host:
        env["DOCKER_HOST"] = args.docker_host
    warm = engine_images(env)
    if warm and not args.allow_warm:
        print(
            f"the engine already has {len(warm)} HumanGov image(s) ({warm[0]}, ...): not a first run; "
            "use a separate daemon (--docker-host) or --allow-warm",
            file=sys.stderr,
        )
        return 2
    checkout = work / "checkout"
    ignore = shutil.ignore_patterns(".venv", ".tox", ".git", "*.egg-info", "__pycache__", ".mypy_cache")
    shutil.copytree(ROOT, checkout, ignore=ignore)
    try:
        present = subprocess.run(["dpkg-query", "-W", "mmdebstrap"], capture_output=True, check=False)
        boot_s, boot_out, code = run(
            ["scripts/bootstrap", "mmdebstrap"], cwd=checkout, env={**env, "HUMANGOV_EXTRAS": "app"}
        )
        if code:
            print(boot_out, file=sys.stderr)
            return code
        deploy_s, deploy_out, code = run(
            ["scripts/humangov", "deploy", "--state", args.state], cwd=checkout, env=env
        )
        lines = boot_out.splitlines() + deploy_out.splitlines()
        print("\n".join(lines))
        total = boot_s + deploy_s
        apt = "was there" if present.returncode == 0 else "installed"
        print(f"\nbootstrap {boot_s:.1f} s (mmdebstrap {apt})")
        print(f"deploy    {deploy_s:.1f} s")
        print(
            f"first run {total:.1f} s = {int(total // 60)} min {total % 60:.0f} s "
            f"(budget {BUDGET_SECONDS} s), "
            f"{len(lines)} lines (budget {BUDGET_LINES}); load average {os.getloadavg()[0]:.1f} "
            f"on {os.cpu_count()} cores"
        )
        return code
    finally:
        if not args.keep:
            run(["scripts/humangov", "destroy", "--state", args.state], cwd=checkout, env=env)
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
