"""Records never lose an edit: versions, ETag/If-Match, and the edit form's conflict page (issue 12, item 1).

Races are made deterministic here: `Meanwhile` lets "another task" write the record between this
request's read and its write, exactly where a real race would put it. test_app_races runs the same
races for real, through gunicorn's threads.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from app_testkit import (
    API_HEADERS,
    PDF,
    StateData,
    add_record,
    app_config,
    form,
    hidden_fields,
    moto_storage,
    seed_records,
    signed_in,
    text,
)
from flask.testing import FlaskClient
from humangov import create_app, service
from humangov.dynamo_storage import DynamoStorage
from humangov.model import Record, Upload
from humangov.storage import AuditPut


class Meanwhile(DynamoStorage):
    """The real storage on moto; `before_write` runs once just before the next record write."""

    before_write: Callable[[], object] | None = None

    def _meanwhile(self) -> None:
        action, self.before_write = self.before_write, None
        if action is not None:
            action()

    def replace_record(self, record: Record, expected_version: int, audit: AuditPut | None = None) -> None:
        self._meanwhile()
        super().replace_record(record, expected_version, audit)

    def delete_record(
        self, record_id: str, expected_version: int | None = None, audit: AuditPut | None = None
    ) -> Record | None:
        self._meanwhile()
        return super().delete_record(record_id, expected_version, audit)


@pytest.fixture
def racing(data: StateData) -> tuple[FlaskClient, Meanwhile]:
    storage = moto_storage(Meanwhile)
    assert isinstance(storage, Meanwhile)
    return signed_in(create_app(app_config(), storage=storage).test_client()), storage


def another_task(record_id: str, fields: dict[str, Any], pdf: bytes | None = None) -> Callable[[], Record]:
    """An edit by another task of the state: its own read, its own conditional write."""
    upload = Upload(pdf, "other.pdf") if pdf is not None else None
    return lambda: service.update(moto_storage(), record_id, fields, upload)


def api(record_id: str) -> str:
    return f"/api/employees/{record_id}"


def item_of(data: StateData, record_id: str) -> dict[str, Any]:
    item = data.item(record_id)
    assert item is not None
    return item


# -- versions and ETags ------------------------------------------------------------------------------------
def test_a_record_carries_its_version_and_a_strong_etag_of_it(client: FlaskClient, data: StateData) -> None:
    created = client.post("/api/employees", data=form(), headers=API_HEADERS)
    record = created.get_json()
    assert (created.headers["ETag"], record["version"]) == ('"1"', 1)
    assert item_of(data, record["id"])["version"] == {"N": "1"}
    assert client.get(api(record["id"])).headers["ETag"] == '"1"'

    patched = client.patch(api(record["id"]), json={"role": "Lead"}, headers=API_HEADERS)
    assert (patched.status_code, patched.headers["ETag"], patched.get_json()["version"]) == (200, '"2"', 2)
    assert client.get(api(record["id"])).headers["ETag"] == '"2"'
    assert [item["version"] for item in client.get("/api/employees").get_json()["items"]] == [2]


def test_if_match_holds_patch_and_delete_to_the_version_named(client: FlaskClient, data: StateData) -> None:
    record = add_record(client)
    before = item_of(data, record["id"])
    for stale in ('"7"', 'W/"1"', '"1x"', ""):
        response = client.patch(
            api(record["id"]), json={"role": "Lead"}, headers={**API_HEADERS, "If-Match": stale}
        )
        assert response.status_code == 412, stale
        assert response.headers["ETag"] == '"1"'
        assert response.get_json()["current"]["version"] == 1
        assert "version 1" in response.get_json()["error"]
    assert item_of(data, record["id"]) == before

    ok = client.patch(
        api(record["id"]), json={"role": "Lead"}, headers={**API_HEADERS, "If-Match": '"0", "1"'}
    )
    assert (ok.status_code, ok.headers["ETag"]) == (200, '"2"')
    star = client.patch(api(record["id"]), json={"role": "Head"}, headers={**API_HEADERS, "If-Match": "*"})
    assert (star.status_code, star.headers["ETag"]) == (200, '"3"')

    stale_delete = client.delete(api(record["id"]), headers={**API_HEADERS, "If-Match": '"2"'})
    assert stale_delete.status_code == 412
    assert item_of(data, record["id"])["role"] == {"S": "Head"}
    assert data.object_keys() == [record["document"]]
    assert client.delete(api(record["id"]), headers={**API_HEADERS, "If-Match": '"3"'}).status_code == 204
    assert data.items() == [] and data.object_keys() == []
    assert client.delete(api(record["id"]), headers={**API_HEADERS, "If-Match": '"3"'}).status_code == 404


def test_a_record_stored_before_versions_is_version_0_until_written(
    client: FlaskClient, data: StateData
) -> None:
    [record_id] = seed_records(data, [("Old", "Timer")])
    assert "version" not in item_of(data, record_id)
    got = client.get(api(record_id))
    assert (got.headers["ETag"], got.get_json()["version"]) == ('"0"', 0)
    stale = client.patch(api(record_id), json={"role": "Lead"}, headers={**API_HEADERS, "If-Match": '"1"'})
    assert stale.status_code == 412
    ok = client.patch(api(record_id), json={"role": "Lead"}, headers={**API_HEADERS, "If-Match": '"0"'})
    assert (ok.status_code, ok.get_json()["version"]) == (200, 1)
    assert item_of(data, record_id)["version"] == {"N": "1"}


# -- the API under a race ----------------------------------------------------------------------------------
def test_patches_of_different_fields_both_land(
    racing: tuple[FlaskClient, Meanwhile], data: StateData
) -> None:
    client, storage = racing
    record = add_record(client)
    storage.before_write = another_task(record["id"], {"salary": Decimal(61000)})

    response = client.patch(api(record["id"]), json={"role": "Lead"}, headers=API_HEADERS)

    assert response.status_code == 200
    item = item_of(data, record["id"])
    assert (item["role"], item["salary"], item["version"]) == ({"S": "Lead"}, {"N": "61000"}, {"N": "3"})
    assert response.get_json()["salary"] == 61000  # the answer shows the record as stored


def test_patches_of_the_same_field_leave_the_first_and_answer_409(
    racing: tuple[FlaskClient, Meanwhile], data: StateData
) -> None:
    client, storage = racing
    record = add_record(client)
    storage.before_write = another_task(record["id"], {"role": "Chief"})

    response = client.patch(api(record["id"]), json={"role": "Lead", "salary": 1}, headers=API_HEADERS)

    assert response.status_code == 409
    item = item_of(data, record["id"])
    assert (item["role"], item["salary"], item["version"]) == ({"S": "Chief"}, {"N": "52000"}, {"N": "2"})


def test_a_patch_with_if_match_that_loses_a_race_is_412(
    racing: tuple[FlaskClient, Meanwhile], data: StateData
) -> None:
    client, storage = racing
    record = add_record(client)
    storage.before_write = another_task(record["id"], {"salary": Decimal(61000)})

    response = client.patch(
        api(record["id"]), json={"role": "Lead"}, headers={**API_HEADERS, "If-Match": '"1"'}
    )

    assert (response.status_code, response.headers["ETag"]) == (412, '"2"')
    item = item_of(data, record["id"])
    assert (item["role"], item["salary"]) == ({"S": "Teacher"}, {"N": "61000"})


def test_a_pdf_replacement_racing_a_role_edit_keeps_both(
    racing: tuple[FlaskClient, Meanwhile], data: StateData
) -> None:
    client, storage = racing
    record = add_record(client)
    storage.before_write = another_task(record["id"], {"role": "Chief"})

    response = client.patch(
        api(record["id"]), data={"pdf": (io.BytesIO(PDF + b"% new\n"), "new.pdf")}, headers=API_HEADERS
    )

    assert response.status_code == 200
    item = item_of(data, record["id"])
    assert item["role"] == {"S": "Chief"}
    assert item["document_name"] == {"S": "new.pdf"}
    assert data.object_keys() == [item["document"]["S"]]
    assert data.body(item["document"]["S"]) == PDF + b"% new\n"


def test_a_pdf_replacement_racing_another_one_is_409_and_leaves_no_orphan(
    racing: tuple[FlaskClient, Meanwhile], data: StateData
) -> None:
    client, storage = racing
    record = add_record(client)
    storage.before_write = another_task(record["id"], {}, pdf=PDF + b"% other\n")

    response = client.patch(
        api(record["id"]), data={"pdf": (io.BytesIO(PDF + b"% mine\n"), "mine.pdf")}, headers=API_HEADERS
    )

    assert response.status_code == 409
    item = item_of(data, record["id"])
    assert item["document_name"] == {"S": "other.pdf"}
    assert data.object_keys() == [item["document"]["S"]]


def test_a_delete_with_if_match_that_loses_a_race_is_412(
    racing: tuple[FlaskClient, Meanwhile], data: StateData
) -> None:
    client, storage = racing
    record = add_record(client)
    storage.before_write = another_task(record["id"], {"role": "Chief"})

    response = client.delete(api(record["id"]), headers={**API_HEADERS, "If-Match": '"1"'})

    assert response.status_code == 412
    assert item_of(data, record["id"])["role"] == {"S": "Chief"}
    assert data.object_keys() == [record["document"]]


# -- the edit form ------------------------------------------------------------------------------------------
def test_a_stale_edit_form_gets_the_conflict_page_and_changes_nothing(
    client: FlaskClient, data: StateData
) -> None:
    record = add_record(client)
    url = f"/edit_record/{record['id']}"
    mine = form(
        client, token_from=url, salary="61000", role="Mine", pdf=PDF + b"% mine\n", file_name="mine.pdf"
    )
    assert mine["version"] == "1"
    other = client.patch(api(record["id"]), json={"salary": 70000}, headers=API_HEADERS)
    assert other.status_code == 200
    before = item_of(data, record["id"])

    response = client.post(url, data=mine)

    assert response.status_code == 409
    page = text(response)
    assert "was changed by someone else" in page
    assert "70,000.00" in page and "61000" in page  # the current value and the user's, side by side
    assert "Mine" in page and "Teacher" in page
    assert "mine.pdf (not stored)" in page
    assert item_of(data, record["id"]) == before
    assert data.object_keys() == [record["document"]]  # the submitted PDF was never stored


def test_an_edit_form_saved_while_another_write_lands_gets_the_conflict_page(
    racing: tuple[FlaskClient, Meanwhile], data: StateData
) -> None:
    client, storage = racing
    record = add_record(client)
    url = f"/edit_record/{record['id']}"
    mine = form(client, token_from=url, salary="61000", pdf=PDF + b"% mine\n")
    storage.before_write = another_task(record["id"], {"role": "Chief"})

    response = client.post(url, data=mine)

    assert response.status_code == 409
    assert "Chief" in text(response)
    item = item_of(data, record["id"])
    assert (item["role"], item["salary"]) == ({"S": "Chief"}, {"N": "52000"})
    assert data.object_keys() == [record["document"]]


def test_an_edit_form_without_a_version_gets_the_conflict_page(client: FlaskClient, data: StateData) -> None:
    record = add_record(client)
    url = f"/edit_record/{record['id']}"
    for version in (None, "", "x1", "²"):
        fields = form(client, token_from=url, salary="61000", pdf=None)
        fields.pop("version")
        if version is not None:
            fields["version"] = version
        assert client.post(url, data=fields).status_code == 409, version
    assert item_of(data, record["id"])["salary"] == {"N": "52000"}


def test_a_form_sent_back_for_a_typo_keeps_the_version_it_was_built_on(
    client: FlaskClient, data: StateData
) -> None:
    record = add_record(client)
    url = f"/edit_record/{record['id']}"
    typo = client.post(url, data=form(client, token_from=url, salary="61.000", pdf=None))
    assert typo.status_code == 400
    assert 'name="version" value="1"' in text(typo)
    client.patch(api(record["id"]), json={"role": "Chief"}, headers=API_HEADERS)

    # The corrected form still says version 1: saving it would overwrite "Chief" unseen.
    corrected = client.post(
        url, data=form(client, token_from=url, salary="61000", pdf=None) | {"version": "1"}
    )

    assert corrected.status_code == 409
    assert item_of(data, record["id"])["role"] == {"S": "Chief"}


def test_a_stale_delete_button_deletes_nothing(client: FlaskClient, data: StateData) -> None:
    record = add_record(client)
    button = hidden_fields(client, "/records")
    assert button["version"] == "1"
    client.patch(api(record["id"]), json={"role": "Chief"}, headers=API_HEADERS)

    response = client.post("/records/delete", data={**button, "id": record["id"]})

    assert response.status_code == 409
    assert "nothing was deleted" in text(response)
    assert item_of(data, record["id"])["role"] == {"S": "Chief"}
    fresh = hidden_fields(client, "/records")
    assert client.post("/records/delete", data={**fresh, "id": record["id"]}).status_code == 302
    assert data.items() == [] and data.object_keys() == []
