"""Concurrent edits never lose a change: real races through gunicorn's threads (issue 12, item 1).

The app runs under gunicorn as in the task (gunicorn.conf.py: gthread workers and threads) against moto's
server; in each round two requests leave a barrier together and race for the same record. Whatever the
interleaving, every change answered 200 is in the record afterwards (a loser gets 409, never a silent
loss), and no PDF is left behind. test_app_versions pins each interleaving deterministically.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import humangov
import pytest
import requests
from app_testkit import (
    API_HEADERS,
    PASSWORD,
    PDF,
    SECRET,
    TABLE,
    AtomicWrites,
    StateData,
    app_config,
    create_state_data,
    hidden_fields_of,
)
from humangov import accounts
from moto.server import ThreadedMotoServer

APP_DIR = Path(humangov.__file__).resolve().parents[1]
ROUNDS = 15
EDITOR = "race-editor"
HEADERS = dict(API_HEADERS)  # and the editor's token, once `data` made it
TIMEOUT = 60  # seconds for one request: the first ones wait in the socket's backlog while gunicorn starts


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture(scope="module", autouse=True)
def _atomic_writes() -> Iterator[None]:
    # Each record write is one TransactWriteItems (the record and its audit entry): atomic in DynamoDB,
    # not in moto's server without this.
    with AtomicWrites():
        yield


@pytest.fixture(scope="module")
def data(endpoint: str) -> StateData:
    with pytest.MonkeyPatch.context() as env:
        env.setenv("AWS_ACCESS_KEY_ID", "testing")
        env.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        state = create_state_data(endpoint)
        # The app lets no one in unsigned: an editor (and their API token) in the emulator's table.
        now = datetime.now(UTC)
        accounts.add_user(state.dynamodb, TABLE, EDITOR, "editor", password=PASSWORD, now=now)
        _, token = accounts.create_token(state.dynamodb, TABLE, EDITOR, now=now)
        HEADERS["Authorization"] = f"Bearer {token}"
        return state


@pytest.fixture(scope="module")
def app_url(endpoint: str, data: StateData) -> Iterator[str]:
    # The listening socket is made here and handed to gunicorn (fd://): requests sent before its workers
    # are up wait in the backlog, so nothing polls for the start.
    listener = socket.create_server(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    env = {
        **os.environ,
        **app_config(TESTING=None, AWS_ENDPOINT_URL=endpoint, SECRET_KEY=SECRET),
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "PYTHONPATH": str(APP_DIR),
        # One process of the task's threads: the races are between gunicorn's threads (one process
        # starts in half the time of two; a second process races the same way through the table).
        "GUNICORN_WORKERS": "1",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--config",
            str(APP_DIR / "gunicorn.conf.py"),
            "--bind",
            f"fd://{listener.fileno()}",
            "humangov:app",
        ],
        pass_fds=[listener.fileno()],
        cwd=APP_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    listener.close()  # gunicorn holds its own copy
    try:
        yield url
    finally:
        process.send_signal(signal.SIGINT)  # gunicorn's quick shutdown: no graceful wait for idle threads
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def race(*calls: Callable[[], requests.Response]) -> list[requests.Response]:
    """Run the calls at once, each on its own thread released by one barrier."""
    barrier = threading.Barrier(len(calls))
    answers: list[Any] = [None] * len(calls)

    def run(index: int) -> None:
        barrier.wait()
        answers[index] = calls[index]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def create(app_url: str) -> dict[str, Any]:
    fields = {"first_name": "Race", "last_name": "Condition", "role": "Teacher", "salary": "50000"}
    response = requests.post(
        f"{app_url}/api/employees",
        data=fields,
        files={"pdf": ("a.pdf", PDF)},
        headers=HEADERS,
        timeout=TIMEOUT,
    )
    assert response.status_code == 201, response.text
    record: dict[str, Any] = response.json()
    return record


def patch(url: str, **kwargs: Any) -> Callable[[], requests.Response]:
    return lambda: requests.patch(url, headers=HEADERS, timeout=TIMEOUT, **kwargs)


def documents_of(data: StateData, record_id: str) -> list[str]:
    return [key for key in data.object_keys() if key.startswith(f"documents/{record_id}/")]


def test_a_role_edit_racing_a_salary_edit_never_loses_either(app_url: str) -> None:
    url = f"{app_url}/api/employees/{create(app_url)['id']}"
    both = 0
    for n in range(ROUNDS):
        role, salary = race(patch(url, json={"role": f"Role {n}"}), patch(url, json={"salary": 60000 + n}))
        assert {role.status_code, salary.status_code} <= {200, 409}, (role.text, salary.text)
        now = requests.get(url, headers=HEADERS, timeout=TIMEOUT).json()
        if role.status_code == 200:
            assert now["role"] == f"Role {n}", (n, now)
        if salary.status_code == 200:
            assert now["salary"] == 60000 + n, (n, now)
        both += role.status_code == salary.status_code == 200
    # Different fields: the loser of a race is re-applied to the fresh record, so both normally land.
    assert both >= ROUNDS // 2


def test_a_role_edit_racing_a_pdf_replacement_never_loses_either_nor_leaves_a_pdf(
    app_url: str, data: StateData
) -> None:
    record = create(app_url)
    url = f"{app_url}/api/employees/{record['id']}"
    for n in range(ROUNDS):
        body = PDF + f"% round {n}\n".encode()
        role, pdf = race(
            patch(url, json={"role": f"Role {n}"}), patch(url, files={"pdf": (f"round{n}.pdf", body)})
        )
        assert {role.status_code, pdf.status_code} <= {200, 409}, (role.text, pdf.text)
        now = requests.get(url, headers=HEADERS, timeout=TIMEOUT).json()
        if role.status_code == 200:
            assert now["role"] == f"Role {n}", (n, now)
        if pdf.status_code == 200:
            assert data.body(now["document"]) == body, n
        assert documents_of(data, record["id"]) == [now["document"]], n


def test_an_edit_form_left_open_while_the_salary_changed_reverts_nothing(
    app_url: str, data: StateData
) -> None:
    record = create(app_url)
    browser = requests.Session()
    login = hidden_fields_of(browser.get(f"{app_url}/login", timeout=TIMEOUT).text)
    signed = browser.post(
        f"{app_url}/login",
        data={**login, "username": EDITOR, "password": PASSWORD},
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    assert signed.status_code == 302, signed.text
    edit = f"{app_url}/edit_record/{record['id']}"
    form = hidden_fields_of(browser.get(edit, timeout=TIMEOUT).text)
    form.update(first_name="Race", last_name="Condition", role="Head", salary="50000")
    changed = requests.patch(
        f"{app_url}/api/employees/{record['id']}",
        json={"salary": 99000},
        headers=HEADERS,
        timeout=TIMEOUT,
    )
    assert changed.status_code == 200

    stale = browser.post(edit, data=form, files={"pdf": ("late.pdf", PDF + b"% late\n")}, timeout=TIMEOUT)

    assert stale.status_code == 409
    assert "99,000.00" in stale.text and "Head" in stale.text
    now = requests.get(f"{app_url}/api/employees/{record['id']}", headers=HEADERS, timeout=TIMEOUT).json()
    assert (now["salary"], now["role"], now["version"]) == (99000, "Teacher", 2)
    assert documents_of(data, record["id"]) == [record["document"]]
