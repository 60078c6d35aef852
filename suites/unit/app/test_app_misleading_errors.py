"""Errors say what is wrong (issue 21, item 14): a chunked body over the limit is a 413 with the limits
(not "must be a JSON object"); a truncated multipart body says so (not "Nothing to change"); a field, a
key or a `pdf` part sent twice is refused (not silently dropped); messages quote input as typed."""

from __future__ import annotations

import io

from app_testkit import API_HEADERS, PDF, StateData, add_record, app_config, form, signed_in, text
from flask.testing import FlaskClient
from humangov import create_app

JSON = {**API_HEADERS, "Content-Type": "application/json"}


def test_a_chunked_body_over_the_limit_is_413_with_the_limits(data: StateData) -> None:
    client = signed_in(create_app(app_config(MAX_UPLOAD_MB="1")).test_client())
    record = add_record(client)
    big = b'{"role": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    chunked = {"wsgi.input_terminated": True}  # what gunicorn sets for Transfer-Encoding: chunked
    response = client.patch(
        f"/api/employees/{record['id']}",
        input_stream=io.BytesIO(big),
        environ_overrides=chunked,
        headers=JSON,
    )
    assert response.status_code == 413
    assert "at most 1 MB" in response.get_json()["error"]


def test_a_truncated_multipart_body_says_so(client: FlaskClient, data: StateData) -> None:
    record = add_record(client)
    body = (
        b'--XX\r\nContent-Disposition: form-data; name="role"\r\n\r\nTeacher\r\n'
        b'--XX\r\nContent-Disposition: form-data; name="sal'
    )
    headers = {**API_HEADERS, "Content-Type": "multipart/form-data; boundary=XX"}
    response = client.patch(f"/api/employees/{record['id']}", data=body, headers=headers)
    assert response.status_code == 400
    assert "malformed or cut short" in response.get_json()["error"]


def test_a_field_or_a_pdf_sent_twice_is_refused(client: FlaskClient, data: StateData) -> None:
    record = add_record(client)
    url = f"/api/employees/{record['id']}"
    twice = client.patch(url, data={"role": ["A", "B"]}, headers=API_HEADERS)
    assert twice.status_code == 400 and twice.get_json()["fields"] == {
        "role": "role: sent more than once; send it once"
    }
    pdfs = [(io.BytesIO(PDF), "a.pdf"), (io.BytesIO(PDF), "b.pdf")]
    assert client.patch(url, data={"pdf": pdfs}, headers=API_HEADERS).status_code == 400
    page = client.post("/new_record", data={**form(client), "first_name": ["Ada", "Eve"]})
    assert page.status_code == 400 and "first_name: sent more than once" in text(page)
    key_twice = client.patch(url, data='{"role": "a", "role": "b"}', headers=JSON)
    assert key_twice.status_code == 400
    assert key_twice.get_json()["error"] == "The JSON body has the key 'role' twice."
    assert client.get(url).get_json()["version"] == 1  # nothing changed


def test_a_refusal_quotes_the_input_as_typed(admin_client: FlaskClient) -> None:
    token = form(admin_client, token_from="/admin/users")["csrf_token"]
    page = admin_client.post(
        "/admin/users", data={"username": "Bad Name!", "role": "viewer", "csrf_token": token}
    )
    assert page.status_code == 400
    assert "Bad username &#39;Bad Name!&#39;" in text(page)
