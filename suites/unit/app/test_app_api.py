"""The JSON API: the same records for automation, guarded by the X-HumanGov-Request header."""

from __future__ import annotations

import io
from urllib.parse import parse_qs, urlsplit

import pytest
from app_testkit import (
    API_HEADERS,
    PDF,
    StateData,
    add_record,
    app_config,
    follow_api_pages,
    form,
    seed_records,
    signed_in,
)
from flask.testing import FlaskClient
from humangov import create_app

RECORD_FIELDS = {
    "id",
    "first_name",
    "last_name",
    "role",
    "salary",
    "document",
    "created_at",
    "updated_at",
    "version",
}


def test_create_returns_201_with_the_record(client: FlaskClient, data: StateData) -> None:
    response = client.post("/api/employees", data=form(salary="52000.50"), headers=API_HEADERS)
    assert response.status_code == 201
    record = response.get_json()
    assert set(record) == RECORD_FIELDS
    assert record["first_name"] == "Ada"
    assert record["salary"] == 52000.5
    assert record["created_at"] == record["updated_at"]
    assert record["created_at"].endswith("Z")
    assert response.headers["Location"] == f"/api/employees/{record['id']}"
    assert data.object_keys() == [record["document"]]
    assert data.body(record["document"]) == PDF


def test_changes_without_the_guard_header_are_403_and_change_nothing(
    client: FlaskClient, data: StateData
) -> None:
    record = add_record(client)
    before = data.items()
    url = f"/api/employees/{record['id']}"
    for headers in ({}, {"X-HumanGov-Request": "0"}, {"X-HumanGov-Request": "yes"}):
        assert client.post("/api/employees", data=form(), headers=headers).status_code == 403
        assert client.patch(url, json={"role": "Hacked"}, headers=headers).status_code == 403
        response = client.delete(url, headers=headers)
        assert response.status_code == 403
        assert "X-HumanGov-Request" in response.get_json()["error"]
    assert data.items() == before
    assert data.object_keys() == [record["document"]]


def test_reads_need_no_guard_header(client: FlaskClient) -> None:
    record = add_record(client)
    assert client.get("/api/employees").status_code == 200
    assert client.get(f"/api/employees/{record['id']}").status_code == 200


def test_the_api_needs_no_csrf_token(client: FlaskClient) -> None:
    response = client.post("/api/employees", data=form(), headers=API_HEADERS)
    assert response.status_code == 201


def test_get_one_record(client: FlaskClient) -> None:
    record = add_record(client, first_name="Grace")
    response = client.get(f"/api/employees/{record['id']}")
    assert response.status_code == 200
    assert response.get_json() == record


def test_list_returns_items_and_a_next_cursor_until_the_end(client: FlaskClient, data: StateData) -> None:
    ids = seed_records(data, [(f"First{i}", f"Last{i:02d}") for i in range(23)])
    pages = list(follow_api_pages(client, "/api/employees?limit=5"))
    assert [len(p["items"]) for p in pages] == [5, 5, 5, 5, 3]
    seen = [item["id"] for page in pages for item in page["items"]]
    assert seen == ids  # seeded in name order
    assert pages[-1]["next"] is None
    assert all(set(item) == RECORD_FIELDS for page in pages for item in page["items"])


def test_list_default_limit_and_empty_table(client: FlaskClient) -> None:
    assert client.get("/api/employees").get_json() == {"items": [], "next": None}


@pytest.mark.parametrize("limit", ["0", "101", "-1", "ten", "2.5"])
def test_a_bad_limit_is_400(client: FlaskClient, limit: str) -> None:
    response = client.get(f"/api/employees?limit={limit}")
    assert response.status_code == 400
    assert "limit" in response.get_json()["error"]


def test_search_through_the_api_reaches_every_match(client: FlaskClient, data: StateData) -> None:
    names = [("Ann", "Other"), ("Bob", "Hannah"), ("Cy", "Plain")] * 7
    ids = seed_records(data, names)
    pages = list(follow_api_pages(client, "/api/employees?name=aNn&limit=4"))
    seen = sorted(item["id"] for page in pages for item in page["items"])
    assert seen == sorted(
        i for i, (first, last) in zip(ids, names, strict=True) if "ann" in (first + last).lower()
    )


def test_patch_with_json_changes_only_the_given_fields(client: FlaskClient, data: StateData) -> None:
    record = add_record(client)
    response = client.patch(
        f"/api/employees/{record['id']}", json={"salary": 60000, "role": "Head"}, headers=API_HEADERS
    )
    assert response.status_code == 200
    patched = response.get_json()
    assert patched["salary"] == 60000
    assert patched["role"] == "Head"
    assert patched["first_name"] == record["first_name"]
    assert patched["document"] == record["document"]
    assert patched["created_at"] == record["created_at"]
    assert client.get(f"/api/employees/{record['id']}").get_json() == patched


def test_patch_with_a_new_pdf_replaces_the_document(client: FlaskClient, data: StateData) -> None:
    record = add_record(client)
    new_pdf = PDF + b"% v2\n"
    response = client.patch(
        f"/api/employees/{record['id']}",
        data={"pdf": (io.BytesIO(new_pdf), "v2.pdf")},
        headers=API_HEADERS,
    )
    assert response.status_code == 200
    patched = response.get_json()
    assert patched["document"] != record["document"]
    assert data.object_keys() == [patched["document"]]
    assert data.body(patched["document"]) == new_pdf


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"salary": -1}, "must not be negative"),
        ({"salary": True}, "must be a number"),
        ({"salary": "NaN"}, "must be a number"),
        ({"first_name": ""}, "required"),
        ({"first_name": 7}, "must be text"),
        ({"role": "x" * 101}, "at most 100 characters"),
        ({"salary": 1, "document": "documents/other/x.pdf"}, "Unknown field(s): document"),
        ({}, "Nothing to change"),
        ([1, 2], "JSON object"),
    ],
)
def test_a_bad_patch_is_400_with_a_json_error(
    client: FlaskClient, data: StateData, body: object, message: str
) -> None:
    record = add_record(client)
    before = data.item(record["id"])
    response = client.patch(f"/api/employees/{record['id']}", json=body, headers=API_HEADERS)
    assert response.status_code == 400
    assert message in response.get_json()["error"]
    assert data.item(record["id"]) == before


def test_a_bad_multipart_patch_changes_nothing(client: FlaskClient, data: StateData) -> None:
    record = add_record(client)
    before = data.item(record["id"])
    for payload in ({"pdf": (io.BytesIO(b"GIF89a"), "x.pdf")}, {"salary": "-3"}, {"nickname": "x"}):
        response = client.patch(f"/api/employees/{record['id']}", data=payload, headers=API_HEADERS)
        assert response.status_code == 400, payload
        assert "error" in response.get_json()
    assert data.item(record["id"]) == before
    assert data.object_keys() == [record["document"]]


def test_a_bad_create_is_400_with_every_problem(client: FlaskClient, data: StateData) -> None:
    response = client.post(
        "/api/employees", data=form(pdf=b"", salary="abc", last_name=None), headers=API_HEADERS
    )
    assert response.status_code == 400
    body = response.get_json()
    assert set(body["fields"]) == {"pdf", "salary", "last_name"}
    assert data.items() == []
    assert data.object_keys() == []


def test_a_create_with_an_unknown_field_is_400(client: FlaskClient, data: StateData) -> None:
    response = client.post("/api/employees", data=form(id="chosen-id"), headers=API_HEADERS)
    assert response.status_code == 400
    assert "Unknown field(s): id" in response.get_json()["error"]
    assert data.object_keys() == []


def test_an_upload_over_the_limit_is_413_in_json(data: StateData) -> None:
    client = signed_in(create_app(app_config(MAX_UPLOAD_MB="1")).test_client())
    big = PDF + b"0" * (2 * 1024 * 1024)
    response = client.post("/api/employees", data=form(pdf=big), headers=API_HEADERS)
    assert response.status_code == 413
    assert "at most 1 MB" in response.get_json()["error"]
    assert data.object_keys() == []


def test_delete_is_204_then_the_record_is_gone(client: FlaskClient, data: StateData) -> None:
    record = add_record(client)
    response = client.delete(f"/api/employees/{record['id']}", headers=API_HEADERS)
    assert response.status_code == 204
    assert response.get_data() == b""
    assert client.get(f"/api/employees/{record['id']}").status_code == 404
    assert client.delete(f"/api/employees/{record['id']}", headers=API_HEADERS).status_code == 404
    assert data.object_keys() == []


def test_document_redirects_to_a_presigned_url(client: FlaskClient) -> None:
    record = add_record(client)
    response = client.get(f"/api/employees/{record['id']}/document")
    assert response.status_code == 302
    url = urlsplit(response.headers["Location"])
    assert url.path.endswith(record["document"])
    assert parse_qs(url.query)["X-Amz-Expires"] == ["300"]  # the contract's 5 minutes (README)


def test_unknown_api_paths_answer_in_json(client: FlaskClient) -> None:
    response = client.get("/api/nothing-here")
    assert response.status_code == 404
    assert response.get_json() == {"error": "There is no such page or record."}
