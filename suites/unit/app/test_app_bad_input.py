"""Every bad input of the contract gets a clear message and changes nothing."""

from __future__ import annotations

import re

import pytest
from app_testkit import PDF, StateData, add_record, app_config, csrf_token, form, signed_in, text
from flask.testing import FlaskClient
from humangov import create_app, schema
from humangov.cursor import Cursors

RECORD_ROUTES = (
    "/edit_record/{id}",
    "/records/pdf/{id}",
    "/api/employees/{id}",
    "/api/employees/{id}/document",
)


def assert_nothing_stored(data: StateData) -> None:
    assert data.items() == []
    assert data.object_keys() == []


@pytest.mark.parametrize(
    ("pdf", "file_name", "message"),
    [
        (b"MZ\x90\x00 this is an executable", "contract.pdf", "not a PDF"),
        (b"<html><script>alert(1)</script></html>", "contract.pdf", "not a PDF"),
        (b" %PDF-1.4 leading space", "contract.pdf", "not a PDF"),
        (b"", "contract.pdf", "empty"),
        (PDF, "contract.exe", "must end in .pdf"),
        (PDF, "contract", "must end in .pdf"),
    ],
)
def test_a_file_that_is_not_a_pdf_is_refused(
    client: FlaskClient, data: StateData, pdf: bytes, file_name: str, message: str
) -> None:
    response = client.post("/new_record", data=form(client, pdf=pdf, file_name=file_name))
    assert response.status_code == 400
    assert message in text(response)
    assert_nothing_stored(data)


def test_a_form_without_a_file_is_refused(client: FlaskClient, data: StateData) -> None:
    response = client.post("/new_record", data=form(client, pdf=None))
    assert response.status_code == 400
    assert "choose the employee" in text(response)
    assert_nothing_stored(data)


def test_a_file_over_the_limit_is_413(data: StateData) -> None:
    client = signed_in(create_app(app_config(MAX_UPLOAD_MB="1")).test_client())
    token = csrf_token(client)
    for size in (1024 * 1024 + 1, 2 * 1024 * 1024):  # just over the PDF limit; over the request limit
        big = PDF + b"0" * (size - len(PDF))
        response = client.post("/new_record", data={**form(pdf=big), "csrf_token": token})
        assert response.status_code == 413
        assert "at most 1 MB" in text(response)
    assert_nothing_stored(data)


def test_a_file_at_the_limit_is_accepted(data: StateData) -> None:
    client = signed_in(create_app(app_config(MAX_UPLOAD_MB="1")).test_client())
    exact = PDF + b"0" * (1024 * 1024 - len(PDF))
    response = client.post("/new_record", data=form(client, pdf=exact))
    assert response.status_code == 302
    assert len(data.object_keys()) == 1


@pytest.mark.parametrize("field", ["first_name", "last_name", "role", "salary"])
def test_a_missing_field_is_refused(client: FlaskClient, data: StateData, field: str) -> None:
    for value in (None, "", "   "):
        response = client.post("/new_record", data=form(client, **{field: value}))
        assert response.status_code == 400
        assert "required" in text(response)
    assert_nothing_stored(data)


@pytest.mark.parametrize("field", ["first_name", "last_name", "role"])
def test_an_over_long_field_is_refused(client: FlaskClient, data: StateData, field: str) -> None:
    response = client.post("/new_record", data=form(client, **{field: "x" * 101}))
    assert response.status_code == 400
    assert "at most 100 characters" in text(response)
    assert_nothing_stored(data)


def test_control_characters_in_a_name_are_refused(client: FlaskClient, data: StateData) -> None:
    response = client.post("/new_record", data=form(client, first_name="Ada\x00"))
    assert response.status_code == 400
    assert "control characters" in text(response)
    assert_nothing_stored(data)


@pytest.mark.parametrize(
    "salary",
    ["-1", "-0.01", "abc", "NaN", "inf", "-Infinity", "1e400", "12.345", "0x10", "5 000", "1000000001"],
)
def test_a_salary_that_is_not_a_non_negative_number_is_refused(
    client: FlaskClient, data: StateData, salary: str
) -> None:
    response = client.post("/new_record", data=form(client, salary=salary))
    assert response.status_code == 400
    assert "Salary:" in text(response)
    assert_nothing_stored(data)


def test_all_problems_are_reported_at_once_and_the_values_kept(client: FlaskClient, data: StateData) -> None:
    response = client.post("/new_record", data=form(client, first_name="Ada", role="", salary="-5", pdf=b"x"))
    body = text(response)
    assert response.status_code == 400
    assert "Role: required" in body
    assert "Salary: must not be negative" in body
    assert "not a PDF" in body
    assert 'value="Ada"' in body
    assert 'aria-invalid="true"' in body
    assert_nothing_stored(data)


@pytest.mark.parametrize("token", [None, "", "forged-token"])
def test_a_form_without_a_valid_csrf_token_is_400(
    client: FlaskClient, data: StateData, token: str | None
) -> None:
    record = add_record(client)
    data_before = data.items()
    fields = form()
    if token is not None:
        fields["csrf_token"] = token
    for url, payload in (
        ("/new_record", fields),
        (
            f"/edit_record/{record['id']}",
            {**form(pdf=None, role="Hacked"), **({"csrf_token": token} if token else {})},
        ),
        ("/records/delete", {"id": record["id"], **({"csrf_token": token} if token else {})}),
    ):
        response = client.post(url, data=payload)
        assert response.status_code == 400, url
        assert "CSRF" in text(response)
    assert data.items() == data_before
    assert data.object_keys() == [record["document"]]


def test_a_csrf_token_from_another_session_is_refused(client: FlaskClient, data: StateData) -> None:
    app = client.application
    token = csrf_token(app.test_client(), "/login")  # another browser's token, without its session cookie
    response = client.post("/new_record", data={**form(), "csrf_token": token})
    assert response.status_code == 400
    assert_nothing_stored(data)


@pytest.mark.parametrize("record_id", ["0123456789abcdef0123456789abcdef", "nope", "..%2F..%2Fetc", "x" * 65])
def test_an_unknown_id_is_404_everywhere(client: FlaskClient, record_id: str) -> None:
    add_record(client)
    for route in RECORD_ROUTES:
        assert client.get(route.format(id=record_id)).status_code == 404, route
    token = csrf_token(client)
    edit = client.post(f"/edit_record/{record_id}", data={**form(pdf=None), "csrf_token": token})
    assert edit.status_code == 404
    delete = client.post("/records/delete", data={"id": record_id, "csrf_token": token})
    assert delete.status_code == 404
    headers = {"X-HumanGov-Request": "1"}
    assert client.patch(f"/api/employees/{record_id}", json={"role": "x"}, headers=headers).status_code == 404
    assert client.delete(f"/api/employees/{record_id}", headers=headers).status_code == 404


def test_delete_without_an_id_is_400(client: FlaskClient, data: StateData) -> None:
    record = add_record(client)
    response = client.post("/records/delete", data={"csrf_token": csrf_token(client)})
    assert response.status_code == 400
    assert "which record" in text(response)
    assert data.item(record["id"]) is not None


@pytest.mark.parametrize(
    "file_name",
    [
        "../../../etc/passwd.pdf",
        '"><img src=x onerror=alert(1)>.pdf',
        "C:\\Windows\\System32\\evil.pdf",
        "contract\r\nX-Injected: 1.pdf",
        "résumé 2026.pdf",
        "a" * 300 + ".pdf",
    ],
)
def test_a_hostile_file_name_never_reaches_keys_or_headers(
    client: FlaskClient, data: StateData, file_name: str
) -> None:
    # Browsers send a file name's quote and line breaks percent-encoded (HTML's multipart rules).
    sent = file_name.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")
    record = add_record(client, file_name=sent)
    [key] = data.object_keys()
    assert key == record["document"]
    assert re.fullmatch(rf"{schema.DOCUMENT_PREFIX}{record['id']}/[0-9a-f]{{32}}\.pdf", key)
    item = data.item(record["id"])
    assert item is not None
    stored = item["document_name"]["S"]
    assert re.fullmatch(r"[A-Za-z0-9_.-]{1,96}\.pdf", stored), stored
    assert ".." not in stored
    location = client.get(f"/records/pdf/{record['id']}").headers["Location"]
    assert "\r" not in location and "\n" not in location and "%22%3E" not in location


def test_file_names_are_kept_readable(client: FlaskClient, data: StateData) -> None:
    for sent, stored in (
        ("../../etc/passwd.pdf", "etc_passwd.pdf"),
        ("résumé 2026.PDF", "resume_2026.PDF"),
        ("履歴書.pdf", "document.pdf"),  # nothing ASCII is left of it, and it is still accepted
    ):
        record = add_record(client, file_name=sent)
        item = data.item(record["id"])
        assert item is not None
        assert item["document_name"]["S"] == stored


def test_a_forged_page_cursor_is_400(client: FlaskClient) -> None:
    other_state = Cursors("another-states-secret-key-0123456789").encode("x\x1fy\x1fid")
    for token in ("garbage!", "eyJhIjoxfQ", "W10", "WyJ4IiwidGVhbSIsInkiXQ", "A" * 3000, other_state):
        assert client.get(f"/records?cursor={token}").status_code == 400, token
        assert client.get(f"/search?name=a&cursor={token}").status_code == 400, token
        assert client.get(f"/api/employees?cursor={token}").status_code == 400, token


def test_an_over_long_search_is_400(client: FlaskClient) -> None:
    response = client.get("/search?name=" + "a" * 101)
    assert response.status_code == 400
    assert "at most 100 characters" in text(response)
    assert client.get("/search?name=+").status_code == 400


def test_bad_input_on_edit_changes_nothing(client: FlaskClient, data: StateData) -> None:
    record = add_record(client)
    before = data.item(record["id"])
    url = f"/edit_record/{record['id']}"
    for bad in ({"salary": "-1"}, {"first_name": ""}, {"pdf": b"not a pdf"}, {"pdf": b""}):
        response = client.post(url, data=form(client, token_from=url, **({"pdf": None} | bad)))
        assert response.status_code == 400, bad
    assert data.item(record["id"]) == before
    assert data.object_keys() == [record["document"]]


def test_an_unknown_method_is_405(client: FlaskClient) -> None:
    assert client.delete("/records").status_code == 405
    assert client.get("/records/delete").status_code == 405
