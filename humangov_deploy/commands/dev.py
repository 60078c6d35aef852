"""`humangov dev --state S`: the app under gunicorn, in this process's care, on an embedded AWS emulator.

For working on the app itself: no Docker, no AWS account. The state's table and bucket are created in
the emulator with the real schema; Ctrl-C stops the app and the emulator and discards the data.
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import subprocess
import sys
from datetime import datetime
from typing import Any

import requests

from humangov_deploy import appsrc
from humangov_deploy.build.emulator import EmbeddedAws
from humangov_deploy.clients import AwsClients
from humangov_deploy.data.create import create_state_data
from humangov_deploy.errors import ConfigError, DeploymentFailed
from humangov_deploy.progress import log_dir
from humangov_deploy.users import UserAdmin
from humangov_deploy.waits import Poll, poll_until

DEV_ADMIN = "dev"


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "dev", parents=[common], help="run the app for a state on an embedded AWS emulator (no Docker)"
    )
    parser.add_argument("--state", default="california", help="US state slug (default: california)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080, help="port to listen on (default: 8080)")
    parser.add_argument("--timeout", type=float, default=30, help="seconds to wait for the app to start")
    parser.set_defaults(func=run)


def app_environment(state: str, region: str, table: str, bucket: str, endpoint_url: str) -> dict[str, str]:
    """The app's settings, as the task definition passes them, plus the emulator's endpoint."""
    return {
        "US_STATE": state,
        "AWS_REGION": region,
        "AWS_DYNAMODB_TABLE": table,
        "AWS_BUCKET": bucket,
        "AWS_ENDPOINT_URL": endpoint_url,
        "SECRET_KEY": secrets.token_urlsafe(32),
        # The emulator accepts any credentials; set them so boto3 never looks for real ones.
        "AWS_ACCESS_KEY_ID": "humangov-dev",
        "AWS_SECRET_ACCESS_KEY": "humangov-dev",
    }


def run(args: argparse.Namespace) -> int:
    state = appsrc.validate_state(args.state)
    if not 0 < args.port < 65536:
        raise ConfigError(f"--port must be between 1 and 65535, not {args.port}")
    try:
        import flask  # noqa: F401
        import gunicorn  # noqa: F401
    except ImportError as exc:
        raise ConfigError("humangov dev needs the app's packages: pip install -e '.[app]'") from exc

    print(f"humangov dev: {appsrc.display_name(state)} on an embedded AWS emulator", flush=True)
    request_log = log_dir() / f"dev-{datetime.now():%Y%m%d-%H%M%S-%f}-aws.log"
    with EmbeddedAws(request_log=request_log) as aws:
        os.environ.setdefault("AWS_ACCESS_KEY_ID", "humangov-dev")
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "humangov-dev")
        clients = AwsClients(region=args.region, endpoint_url=aws.endpoint_url)
        data = create_state_data(clients, state, progress=lambda m: print(f"  .. {m}", flush=True))
        # The app lets no one in unsigned: a first admin of this throw-away data (its password is one-time).
        _, one_time = UserAdmin(clients, state, actor="dev").add(DEV_ADMIN, "admin")
        env = {**os.environ, **app_environment(state, args.region, data.table, data.bucket, aws.endpoint_url)}
        url = f"http://{args.host}:{args.port}"
        command = [sys.executable, "-m", "gunicorn", "--bind", f"{args.host}:{args.port}", "humangov:app"]
        process = subprocess.Popen(command, cwd=appsrc.APP_DIR, env=env)
        try:
            _wait_ready(process, url, args.timeout)
            print(f"\nHumanGov for {appsrc.display_name(state)}: {url}", flush=True)
            print(f"AWS emulator: {aws.endpoint_url}  (table {data.table}, bucket {data.bucket})")
            print(f"AWS emulator's request log (one line per AWS call): {request_log}")
            print(f"Sign in as {DEV_ADMIN} with the one-time password {one_time} (then choose your own).")
            print("Press Ctrl-C to stop.", flush=True)
            code = process.wait()
            raise DeploymentFailed(f"the app exited with status {code}; see its output above")
        except KeyboardInterrupt:
            print("\nstopping ...", flush=True)
            return 0
        finally:
            _stop(process)


def _wait_ready(process: subprocess.Popen[bytes], url: str, timeout: float) -> None:
    def check() -> Poll[str]:
        if process.poll() is not None:
            return Poll(False, "exited", fatal=f"the app exited with status {process.returncode} at start")
        try:
            status = requests.get(f"{url}/healthz", timeout=2).status_code
        except requests.RequestException as exc:
            return Poll(False, type(exc).__name__)
        return Poll(status == 200, f"HTTP {status}")

    poll_until(check, timeout=timeout, interval=0.2, what=f"the app at {url}", hint="is the port free?")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)  # gunicorn's graceful shutdown
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
