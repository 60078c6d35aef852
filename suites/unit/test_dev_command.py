"""`humangov dev`: the README's development command, run for real (gunicorn + moto server on loopback)."""

from __future__ import annotations

import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from humangov_deploy.cli import main
from humangov_deploy.commands.dev import app_environment

STARTUP_SECONDS = 60
# werkzeug's request line for moto's server: `127.0.0.1 - - [date] "POST / HTTP/1.1" 200 -`
MOTO_REQUEST = re.compile(r'"(?:GET|POST|PUT|HEAD|DELETE) /\S* HTTP/1\.1" \d{3}')


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _lines(process: subprocess.Popen[str]) -> queue.Queue[str]:
    """The child's output, line by line; an empty string once it is closed."""
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)
        lines.put("")

    threading.Thread(target=pump, daemon=True).start()
    return lines


@pytest.mark.slow
def test_dev_serves_the_state_and_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "humangov_deploy.cli", "dev", "--state", "new-york", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "HUMANGOV_CACHE_DIR": str(tmp_path)},
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
            seen.append(line)
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
        while line := lines.get(timeout=30):  # the rest of the output, up to its end
            seen.append(line)
        # The emulator's request log (one line per AWS call) is in its file, not among the command's lines.
        log_line = next(line for line in seen if line.startswith("AWS emulator's request log"))
        request_log = Path(log_line.rsplit(": ", 1)[1].strip())
        assert request_log.parent == tmp_path / "logs"
        assert MOTO_REQUEST.search(request_log.read_text()), "no AWS call in the request log"
        assert [line for line in seen if MOTO_REQUEST.search(line)] == []
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
