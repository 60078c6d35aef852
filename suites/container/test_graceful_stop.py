"""Graceful stop: a request in flight when the container gets its stop signal still completes.

Deterministic, with no timing guess: the test sends a request's headers and most of its body, waits
until the server has read them (the socket's receive queue in /proc/net/tcp is empty), stops the container
as ECS does (`docker stop`: the image's STOPSIGNAL, SIGKILL after the stop timeout), waits for the server
to log the signal, and only then sends the rest of the body.
"""

from __future__ import annotations

import socket
import threading
import time

from container_kit import PDF, Task, multipart_body, unread_bytes, wait_for_log

from humangov_deploy.build import images
from humangov_deploy.waits import Poll, poll_until

FIELDS = {"first_name": "Stop", "last_name": "Safe", "role": "Clerk", "salary": "1"}
TAIL = 4096


def _open_request(task: Task, address: tuple[str, int], body: bytes, content_type: str) -> socket.socket:
    sock = socket.create_connection(address, timeout=30)
    head = (
        "POST /api/employees HTTP/1.1\r\n"
        f"Host: {address[0]}:{address[1]}\r\n"
        f"Authorization: Bearer {task.token}\r\n"
        f"Content-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    ).encode()
    sock.sendall(head + body[:-TAIL])
    return sock


def _wait_in_flight(task: Task, port: int) -> None:
    def check() -> Poll[list[int]]:
        unread = unread_bytes(task, port)
        return Poll(unread == [0], unread)

    poll_until(check, timeout=30, interval=0.05, what=f"the server on {port} to read the request")


def _finish(sock: socket.socket, body: bytes) -> str:
    sock.sendall(body[-TAIL:])
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    sock.close()
    return b"".join(chunks).decode(errors="replace")


def _stop_in_background(task: Task, role: str) -> tuple[threading.Thread, dict[str, float]]:
    timing: dict[str, float] = {}

    def stop() -> None:
        started = time.monotonic()
        task.container(role).stop(timeout=images.STOP_TIMEOUT_SECONDS)
        timing["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=stop, daemon=True)
    thread.start()
    return thread, timing


def _exit_code(task: Task, role: str) -> int:
    container = task.container(role)
    container.reload()
    return int(container.attrs["State"]["ExitCode"])


def _stored_names(task: Task) -> list[str]:
    items = task.clients().dynamodb.scan(TableName=task.data.table)["Items"]  # type: ignore[union-attr]
    return [item["last_name"]["S"] for item in items if "last_name" in item]  # records, not users


def test_nginx_finishes_an_upload_in_flight_on_sigquit(fresh_task: Task) -> None:
    task = fresh_task
    body, content_type = multipart_body(FIELDS, PDF + b"0" * 300_000)
    host, port = task.url.removeprefix("http://").rsplit(":", 1)
    sock = _open_request(task, (host, int(port)), body, content_type)
    _wait_in_flight(task, images.NGINX_PORT)

    thread, timing = _stop_in_background(task, "nginx")
    wait_for_log(task, "nginx", r"signal 3 \(SIGQUIT\) received")
    response = _finish(sock, body)
    thread.join(timeout=images.STOP_TIMEOUT_SECONDS + 10)

    assert response.startswith("HTTP/1.1 201"), response[:500]
    assert "Safe" in _stored_names(task)
    assert _exit_code(task, "nginx") == 0  # stopped by itself, not SIGKILLed at the timeout
    assert timing["seconds"] < images.STOP_TIMEOUT_SECONDS


def test_gunicorn_finishes_a_request_in_flight_on_sigterm(fresh_task: Task) -> None:
    task = fresh_task
    body, content_type = multipart_body(FIELDS, PDF + b"0" * 300_000)
    sock = _open_request(task, task.app_address, body, content_type)
    _wait_in_flight(task, images.APP_PORT)

    thread, timing = _stop_in_background(task, "app")
    wait_for_log(task, "app", r"Handling signal: term")
    response = _finish(sock, body)
    thread.join(timeout=images.STOP_TIMEOUT_SECONDS + 10)

    assert response.startswith("HTTP/1.1 201"), response[:500]
    assert "Safe" in _stored_names(task)
    assert _exit_code(task, "app") == 0
    assert timing["seconds"] < images.STOP_TIMEOUT_SECONDS
