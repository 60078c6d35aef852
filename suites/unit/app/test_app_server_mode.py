"""HTTP-level tests: the app (in a real WSGI server) against moto's server mode via AWS_ENDPOINT_URL.

Everything listens on 127.0.0.1 with ports chosen by the OS; nothing leaves the machine.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from app_testkit import API_HEADERS, PDF, StateData, app_config, create_state_data, form, signed_in, text
from flask import Flask
from humangov import create_app
from moto.server import ThreadedMotoServer
from werkzeug.serving import make_server


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    try:
        yield url
    finally:
        # Leave no emulated state behind for later tests in this process.
        urllib.request.urlopen(urllib.request.Request(f"{url}/moto-api/reset", method="POST"), timeout=10)
        server.stop()


@pytest.fixture(scope="module")
def data(endpoint: str) -> StateData:
    with pytest.MonkeyPatch.context() as env:
        env.setenv("AWS_ACCESS_KEY_ID", "testing")
        env.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        return create_state_data(endpoint)


@pytest.fixture
def app(endpoint: str, data: StateData, monkeypatch: pytest.MonkeyPatch) -> Flask:
    # Built from the environment, exactly as the container does.
    for name, value in app_config(TESTING=None, AWS_ENDPOINT_URL=endpoint).items():
        monkeypatch.setenv(name, value)
    return create_app()


@pytest.fixture
def app_url(app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


def test_the_presigned_pdf_url_downloads_the_pdf_from_the_emulator(app: Flask, endpoint: str) -> None:
    client = signed_in(app.test_client())
    created = client.post("/api/employees", data=form(file_name="Offer Letter.pdf"), headers=API_HEADERS)
    assert created.status_code == 201
    record = created.get_json()
    location = client.get(f"/records/pdf/{record['id']}").headers["Location"]
    assert location.startswith(f"{endpoint}/")
    with urllib.request.urlopen(location, timeout=10) as response:
        assert response.status == 200
        assert response.read() == PDF
        assert response.headers["Content-Type"] == "application/pdf"
        assert response.headers["Content-Disposition"] == 'inline; filename="Offer_Letter.pdf"'


def test_readyz_over_http_against_the_emulator(app_url: str) -> None:
    with urllib.request.urlopen(f"{app_url}/readyz", timeout=10) as response:
        assert response.status == 200
        assert json.load(response)["checks"] == {"table": "ok", "bucket": "ok", "audit_table": "ok"}
    with urllib.request.urlopen(f"{app_url}/healthz", timeout=10) as response:
        assert json.load(response) == {"status": "ok"}


def test_a_form_session_through_the_emulator_creates_and_deletes_a_record(
    app: Flask, data: StateData
) -> None:
    client = signed_in(app.test_client())
    response = client.post("/new_record", data=form(client, first_name="Http", last_name="Session"))
    assert response.status_code == 302
    listing = text(client.get("/records"))
    assert "Session, Http" in listing
    [item] = [i for i in data.items() if i["first_name"]["S"] == "Http"]
    key = item["document"]["S"]
    assert key in data.object_keys()
    deleted = client.delete(f"/api/employees/{item['id']['S']}", headers=API_HEADERS)
    assert deleted.status_code == 204
    assert key not in data.object_keys()
    assert data.item(item["id"]["S"]) is None


def test_pages_over_http_need_a_signed_in_user(app_url: str) -> None:
    with urllib.request.urlopen(f"{app_url}/", timeout=10) as response:  # follows the redirect
        assert response.url == f"{app_url}/login?next=/"
        assert "California" in response.read().decode()
    request = urllib.request.Request(
        f"{app_url}/api/employees",
        data=b"--x\r\n\r\n--x--\r\n",
        method="POST",
        headers={"Content-Type": "multipart/form-data; boundary=x"},
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 401  # nobody signed in: before any other check
    assert refused.value.headers["WWW-Authenticate"].startswith("Bearer")
    assert "Sign in" in json.load(refused.value)["error"]
