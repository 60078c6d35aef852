"""`humangov dev`: the README's development command, run for real (gunicorn + moto server on loopback)."""

from __future__ import annotations

import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest
import requests

from humangov_deploy.cli import main
from humangov_deploy.commands.dev import app_environment

STARTUP_SECONDS = 60


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _lines(process: subprocess.Popen[str]) -> queue.Queue[str]:
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    return lines


@pytest.mark.slow
def test_dev_serves_the_state_and_stops_cleanly_on_ctrl_c() -> None:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "humangov_deploy.cli", "dev", "--state", "new-york", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        lines = _lines(process)
        url, seen = None, []
        deadline = time.monotonic() + STARTUP_SECONDS
        while url is None:
            # Blocks on the child's output (no fixed sleep); the deadline only bounds a broken start.
            line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            seen.append(line)
            if line.startswith("HumanGov for New York: "):
                url = line.split(": ", 1)[1].strip()
        assert url == f"http://127.0.0.1:{port}", seen
        page = requests.get(url + "/", timeout=10)  # to the sign-in page
        assert page.status_code == 200 and "New York" in page.text and page.url.endswith("/login?next=/")
        one_time = None
        while one_time is None:
            line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            if line.startswith("Sign in as dev with the one-time password "):
                one_time = line.split("password ", 1)[1].split(" ", 1)[0]
        browser = requests.Session()
        form = browser.get(url + "/login", timeout=10).text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
        data = {"username": "dev", "password": one_time, "csrf_token": csrf}
        signed = browser.post(url + "/login", data=data, allow_redirects=False, timeout=10)
        assert signed.headers["Location"].startswith("/account/password"), signed.text
        assert requests.get(url + "/readyz", timeout=10).status_code == 200
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
        with pytest.raises(requests.ConnectionError):
            requests.get(url + "/healthz", timeout=2)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_app_environment_is_the_task_definitions_plus_the_endpoint() -> None:
    env = app_environment(
        "texas", "us-east-1", "humangov-texas-dynamodb", "humangov-texas-s3-abcd", "http://x:1"
    )
    assert env["US_STATE"] == "texas" and env["AWS_REGION"] == "us-east-1"
    assert (
        env["AWS_DYNAMODB_TABLE"] == "humangov-texas-dynamodb"
        and env["AWS_BUCKET"] == "humangov-texas-s3-abcd"
    )
    assert env["AWS_ENDPOINT_URL"] == "http://x:1"
    assert len(env["SECRET_KEY"]) >= 32


def test_dev_refuses_a_bad_port_before_starting_anything(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["dev", "--state", "texas", "--port", "70000"]) == 1
    assert "--port must be between 1 and 65535" in capsys.readouterr().err
