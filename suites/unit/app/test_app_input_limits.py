"""Whatever a client sends is a clear 4xx, never a 500 or 503: numbers, cursors, text, sizes (issue 12)."""

from __future__ import annotations

import base64
import json

import pytest
from app_testkit import (
    API_HEADERS,
    PDF,
    SECRET,
    TABLE,
    StateData,
    add_record,
    app_config,
    csrf_token,
    form,
    signed_in,
    text,
)
from flask.testing import FlaskClient
from humangov import SettingsError, create_app, cursor, schema
from humangov.config import load_settings
from humangov.cursor import Cursors
from humangov.factory import MAX_FORM_FIELD_BYTES
from humangov.storage import BadCursorError

CURSORS = Cursors(SECRET)  # the app's cursors (app_config's SECRET_KEY)
LIST_URLS = ("/records?cursor={}", "/search?name=a&cursor={}", "/api/employees?cursor={}")
# Characters str.isdigit() accepts and int() refuses, and digits int() reads that are not ASCII
# (Arabic-Indic, fullwidth).
NOT_ASCII_DIGITS = ("²", "1²", "³", "①", "\u0661\u0660", "\uff11\uff10", "\u0663")


def _token(payload: str) -> str:
    return base64.urlsafe_b64encode(payload.encode("utf-8", "surrogatepass")).decode().rstrip("=")


@pytest.mark.parametrize("raw", NOT_ASCII_DIGITS)
def test_a_limit_of_digits_that_are_not_ascii_is_400(client: FlaskClient, raw: str) -> None:
    for url in (f"/api/employees?limit={raw}", f"/api/employees?name=a&limit={raw}"):
        response = client.get(url)
        assert response.status_code == 400, url
        assert "limit must be a whole number from 1 to 100" in response.get_json()["error"]


def test_ascii_limits_still_work(client: FlaskClient) -> None:
    for raw in ("1", "100", "007"):
        assert client.get(f"/api/employees?limit={raw}").status_code == 200, raw
    for raw in ("0", "101", "-1", "+5", " 5", "5.0", "9" * 30):
        assert client.get(f"/api/employees?limit={raw}").status_code == 400, raw


@pytest.mark.parametrize("raw", NOT_ASCII_DIGITS)
def test_max_upload_mb_takes_ascii_digits_only(raw: str) -> None:
    with pytest.raises(SettingsError, match=r"^MAX_UPLOAD_MB: .* is not a whole number"):
        load_settings(app_config(MAX_UPLOAD_MB=raw))


def test_a_cursor_holding_a_lone_surrogate_is_400(client: FlaskClient) -> None:
    for value in ('"\\ud800"', '"a\\udfff"'):
        token = _token(f'["x","{schema.LIST_PARTITION_VALUE}",{value}]')
        with pytest.raises(BadCursorError):
            CURSORS.decode(token)
        for url in LIST_URLS:
            assert client.get(url.format(token)).status_code == 400, (url, value)


def test_a_cursor_of_deeply_nested_brackets_is_400(client: FlaskClient) -> None:
    # Cursors of the first format held JSON, which nests one call per bracket (RecursionError); today's
    # sealed cursors never reach a parser before their tag checks out.
    for token in (_token("[" * 1500), _token("[" * 150)):
        with pytest.raises(BadCursorError):
            CURSORS.decode(token)
        for url in LIST_URLS:
            assert client.get(url.format(token)).status_code == 400, url


def test_a_cursor_the_app_issued_still_decodes() -> None:
    key = {"id": "r1", "list_pk": schema.LIST_PARTITION_VALUE, "sort_name": "lovelace\x1fada\x1fr1"}
    assert CURSORS.decode(CURSORS.encode(key["sort_name"])).key() == key
    assert len(CURSORS.encode(key["sort_name"])) <= cursor.MAX_CURSOR_LENGTH


@pytest.mark.parametrize("field", ["first_name", "last_name", "role"])
@pytest.mark.parametrize("value", ["\ud800", "Ada\udfff", "\udc80x"])
def test_a_json_patch_with_a_lone_surrogate_is_400_naming_the_field(
    client: FlaskClient, data: StateData, field: str, value: str
) -> None:
    record = add_record(client)
    before = data.item(record["id"])
    # Flask's test client would refuse to encode the surrogate; JSON's \u escape carries it, as curl can.
    body = json.dumps({field: value})
    headers = {**API_HEADERS, "Content-Type": "application/json"}
    response = client.patch(f"/api/employees/{record['id']}", data=body, headers=headers)
    assert response.status_code == 400
    payload = response.get_json()
    assert set(payload["fields"]) == {field}
    assert "not valid Unicode" in payload["error"]
    assert data.item(record["id"]) == before


def _multipart(fields: dict[str, bytes], pdf: bytes | None = PDF) -> tuple[bytes, str]:
    boundary = "humangovboundary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode() + value + b"\r\n"
        for name, value in fields.items()
    ]
    if pdf is not None:
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="pdf"; filename="c.pdf"\r\n'
            "Content-Type: application/pdf\r\n\r\n".encode()
            + pdf
            + b"\r\n"
        )
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


@pytest.mark.parametrize("field", ["first_name", "last_name", "role"])
@pytest.mark.parametrize("raw", [b"Ad\xffa", b"\xed\xa0\x80", b"Ada\xc3"])
def test_a_form_field_that_is_not_utf8_is_400_naming_the_field(
    client: FlaskClient, data: StateData, field: str, raw: bytes
) -> None:
    fields = {"first_name": b"Ada", "last_name": b"Lovelace", "role": b"Teacher", "salary": b"52000"}
    body, content_type = _multipart({**fields, field: raw})
    response = client.post("/api/employees", data=body, content_type=content_type, headers=API_HEADERS)
    assert response.status_code == 400
    assert set(response.get_json()["fields"]) == {field}
    assert data.items() == []
    assert data.object_keys() == []


def test_names_that_fold_to_many_bytes_are_stored_and_listed(client: FlaskClient, data: StateData) -> None:
    # "ΐ" is 2 bytes in UTF-8 and case-folds to 3 code points (6 bytes): 100 of them in each name
    # made a sort key of over 1,200 bytes, which DynamoDB refuses for an index key.
    names = {"first_name": "ΐ" * 100, "last_name": "ΐ" * 100}
    assert len(("ΐ" * 100).casefold().encode()) == 600
    record = add_record(client, **names)
    item = data.item(record["id"])
    assert item is not None
    assert len(item[schema.SORT_NAME_ATTR]["S"].encode()) <= schema.MAX_SORT_KEY_BYTES
    assert item["first_name"]["S"] == names["first_name"]
    listed = client.get("/api/employees").get_json()["items"]
    assert [r["id"] for r in listed] == [record["id"]]


@pytest.mark.parametrize("char", ["ΐ", "ß", "ﬃ", "𐐀", "😀", "ǰ", "a"])
def test_the_sort_key_of_any_accepted_name_fits_dynamodb(char: str) -> None:
    name = char * 100
    key = schema.sort_name(name, name, "f" * 64)
    assert len(key.encode()) <= schema.MAX_SORT_KEY_BYTES
    # The cut keeps whole characters, and short names are kept whole.
    assert key.split("\x1f")[0] == name.casefold()[: len(key.split("\x1f")[0])]
    assert schema.sort_name("Ada", "Lovelace", "r1") == "lovelace\x1fada\x1fr1"


def test_a_moto_table_takes_the_longest_sort_key(data: StateData) -> None:
    # The bound is what DynamoDB accepts; moto checks the 1,024 bytes of a key as AWS does.
    key = schema.sort_name("😀" * 100, "😀" * 100, "f" * 64)
    item = {"id": {"S": "f" * 64}, "list_pk": {"S": schema.LIST_PARTITION_VALUE}, "sort_name": {"S": key}}
    data.dynamodb.put_item(TableName=TABLE, Item=item)
    assert data.item("f" * 64) == item


def test_a_text_field_over_its_limit_is_413_about_form_fields(client: FlaskClient, data: StateData) -> None:
    big = "x" * (600 * 1024)
    for url, headers, fields in (
        ("/new_record", {}, form(client, role=big)),
        ("/api/employees", API_HEADERS, form(role=big)),
    ):
        response = client.post(url, data=fields, headers=headers)
        assert response.status_code == 413, url
        message = text(response)
        assert f"each text field may be at most {MAX_FORM_FIELD_BYTES // 1024} KB" in message
        assert "PDF" not in message
    assert data.items() == []


def test_a_pdf_over_its_limit_is_413_about_the_pdf(data: StateData) -> None:
    client = signed_in(create_app(app_config(MAX_UPLOAD_MB="1")).test_client())
    big = PDF + b"0" * (1024 * 1024 + 1 - len(PDF))
    response = client.post("/new_record", data={**form(pdf=big), "csrf_token": csrf_token(client)})
    assert response.status_code == 413
    assert "The PDF is too large: a PDF may be at most 1 MB." in text(response)
    over = client.post("/api/employees", data=form(pdf=big + b"0" * (128 * 1024)), headers=API_HEADERS)
    assert over.status_code == 413
    assert "The request is too large: a PDF may be at most 1 MB" in over.get_json()["error"]
    assert data.object_keys() == []
