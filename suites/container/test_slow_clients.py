"""Slow clients never hold an app thread (issue 21, item 18): nginx reads a request's headers and whole
body before it opens a connection to gunicorn (2 workers x 4 threads), and drops a client that stalls.

While more stalled clients than the app has threads hold connections to nginx (headers half sent, or a
body half sent), the app has no connection from nginx for them and answers everyone else at once; the
timeouts and buffering that make it so are pinned in nginx's effective configuration (`nginx -T`).
"""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import pytest
import requests
from container_kit import Task

from humangov_deploy.build import images

STALLED = 24  # three times the app's 8 threads
TCP_ESTABLISHED = "01"


def app_connections(task: Task) -> int:
    """Established connections to gunicorn's port (from nginx: 127.0.0.1) in the task's shared netns."""
    text = task.container("aws").exec_run(["cat", "/proc/net/tcp"]).output.decode()
    count = 0
    for line in text.splitlines()[1:]:
        fields = line.split()
        if int(fields[1].split(":")[1], 16) == images.APP_PORT and fields[3] == TCP_ESTABLISHED:
            count += 1
    return count


@contextmanager
def stalled_clients(task: Task, first_bytes: bytes) -> Iterator[list[socket.socket]]:
    host, port = task.url.removeprefix("http://").rsplit(":", 1)
    with ExitStack() as stack:
        clients = []
        for _ in range(STALLED):
            client = stack.enter_context(socket.create_connection((host, int(port)), timeout=10))
            client.sendall(first_bytes)
            clients.append(client)
        yield clients


SLOW_HEADERS = b"GET /healthz HTTP/1.1\r\nHost: humangov\r\nX-Slow: "  # never ends its headers
SLOW_BODY = (
    b"POST /login HTTP/1.1\r\nHost: humangov\r\nContent-Type: application/x-www-form-urlencoded\r\n"
    b"Content-Length: 100000\r\n\r\nusername=slow&password="  # 100,000 bytes announced, 23 sent
)


@pytest.mark.parametrize("first_bytes", [SLOW_HEADERS, SLOW_BODY], ids=["headers", "body"])
def test_stalled_clients_hold_no_app_thread(task: Task, first_bytes: bytes) -> None:
    with stalled_clients(task, first_bytes):
        assert app_connections(task) == 0  # nginx has passed none of them on
        started = time.monotonic()
        for _ in range(2 * STALLED):  # more requests than threads: none waits behind a stalled client
            assert requests.get(f"{task.url}/healthz", timeout=5).status_code == 200
        assert requests.get(f"{task.url}/api/employees", headers=task.auth, timeout=5).status_code == 200
        assert time.monotonic() - started < 30
        assert app_connections(task) == 0


def test_the_guard_is_in_nginxs_effective_configuration(task: Task) -> None:
    dump = task.container("nginx").exec_run(["nginx", "-T"]).output.decode()

    def seconds(directive: str) -> int:
        [value] = re.findall(rf"^\s*{directive}\s+(\d+)s;", dump, re.MULTILINE)
        return int(value)

    assert seconds("client_header_timeout") <= 15  # a client slow to send its headers is dropped
    assert seconds("client_body_timeout") <= 30  # ...or slow between two reads of its body
    assert seconds("send_timeout") <= 30  # ...or slow to read the answer
    # The whole body is read before the app sees the request, and the answer is buffered for the client.
    assert re.search(r"^\s*proxy_request_buffering on;", dump, re.MULTILINE)
    assert re.search(r"^\s*proxy_buffering on;", dump, re.MULTILINE)
    assert not re.search(r"proxy_(request_)?buffering off", dump)
