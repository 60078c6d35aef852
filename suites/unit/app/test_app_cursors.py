"""Page cursors: short whatever the names, opaque, sealed, and robust to deletions (issue 12, item 2)."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from app_testkit import API_HEADERS, SECRET, TABLE, StateData, add_record, follow_api_pages, seed_records
from flask.testing import FlaskClient
from humangov import schema
from humangov.cursor import MAX_CURSOR_LENGTH, Cursors, Start
from humangov.dynamo_storage import to_item
from humangov.model import Record

CURSORS = Cursors(SECRET)
EMOJI_NAME = "\U0001f600" * 100  # 400 UTF-8 bytes; the 3,300-character cursor
LIST_URLS = ("/records?cursor={}", "/search?name=a&cursor={}", "/api/employees?cursor={}")


def cursors_of(client: FlaskClient, url: str) -> Iterator[tuple[list[str], str | None]]:
    for count, page in enumerate(follow_api_pages(client, url)):
        assert count < 50, "paging does not end"
        yield [item["id"] for item in page["items"]], page["next"]


def test_names_of_any_length_page_with_short_cursors(client: FlaskClient, data: StateData) -> None:
    ids = seed_records(
        data,
        [("Ada", "Aaron"), (EMOJI_NAME, EMOJI_NAME), ("ΐ" * 100, "ΐ" * 100), (EMOJI_NAME, EMOJI_NAME + "x")],
    )
    ids.append(add_record(client, first_name=EMOJI_NAME, last_name=EMOJI_NAME)["id"])
    seen: list[str] = []
    for page_ids, cursor in cursors_of(client, "/api/employees?limit=1"):
        seen.extend(page_ids)
        assert cursor is None or len(cursor) <= MAX_CURSOR_LENGTH
        for url in LIST_URLS[:2]:  # the pages' links carry the same cursors
            if cursor is not None:
                assert client.get(url.format(cursor)).status_code == 200
    assert sorted(seen) == sorted(ids) and len(seen) == len(ids)


def test_a_cursor_shows_nothing_of_the_names(client: FlaskClient, data: StateData) -> None:
    seed_records(data, [("Ada", "Lovelace"), ("Grace", "Hopper")])
    cursor = client.get("/api/employees?limit=1").get_json()["next"]
    sealed = base64.urlsafe_b64decode(cursor + "==")
    for clear in (b"hopper", b"grace", b"lovelace", b"seed000"):
        assert clear not in sealed and clear not in cursor.encode()
    # Sealed with a fresh nonce each time: the same position never gives the same (linkable) token.
    assert client.get("/api/employees?limit=1").get_json()["next"] != cursor


def test_a_tampered_or_foreign_cursor_is_400(client: FlaskClient, data: StateData) -> None:
    seed_records(data, [("Ada", "Lovelace"), ("Grace", "Hopper")])
    cursor = client.get("/api/employees?limit=1").get_json()["next"]
    flipped = cursor[:20] + ("A" if cursor[20] != "A" else "B") + cursor[21:]
    foreign = Cursors("another-states-secret-key-0123456789").encode("hopper\x1fgrace\x1fseed000001")
    for token in (flipped, cursor[:-1], cursor + "A", foreign, cursor[:40], "A" * 257):
        for url in LIST_URLS:
            response = client.get(url.format(token))
            assert response.status_code == 400, (url, token)
    assert client.get("/api/employees?cursor=" + foreign).get_json()["error"].startswith("This page link")


@pytest.mark.parametrize("url", ["/api/employees?limit=2", "/api/employees?name=e&limit=2"])
def test_deleting_the_record_a_cursor_points_after_skips_nothing(
    client: FlaskClient, data: StateData, url: str
) -> None:
    ids = seed_records(data, [(f"Name{n}", f"Last{n}e") for n in range(6)])
    first = client.get(url).get_json()
    boundary = first["items"][-1]["id"]
    assert client.delete(f"/api/employees/{boundary}", headers=API_HEADERS).status_code == 204
    rest = [i for page in follow_api_pages(client, url, first["next"]) for i in page["items"]]
    assert [item["id"] for item in first["items"] + rest] == ids


def test_records_stored_with_the_longer_sort_keys_of_before_still_page_completely(
    client: FlaskClient, data: StateData
) -> None:
    # Until this change names kept 400 bytes each in the sort key; such items stay until rewritten.
    ids = seed_records(data, [("Ada", "A"), ("Zed", "Z")])
    old_style = []
    for n in range(3):
        record = Record(
            f"old{n}",
            "b" * 90 + str(n),
            "M" * 100,
            "Teacher",
            Decimal(1),
            "documents/x.pdf",
            "x.pdf",
            "t",
            "t",
        )
        item: dict[str, Any] = to_item(record)
        item[schema.SORT_NAME_ATTR] = {"S": f"{'m' * 100}\x1f{'b' * 90}{n}\x1fold{n}"}
        data.dynamodb.put_item(TableName=TABLE, Item=item)
        old_style.append(record.id)
    seen = [i for page_ids, cursor in cursors_of(client, "/api/employees?limit=1") for i in page_ids]
    assert seen == [ids[0], *old_style, ids[1]]  # each once, in order: the exact keys were re-read
    # One deleted at a page boundary: paging resumes from the cut key, repeating at most what shares it.
    first = client.get("/api/employees?limit=2").get_json()
    assert first["items"][-1]["id"] == "old0"
    assert client.delete("/api/employees/old0", headers=API_HEADERS).status_code == 204
    rest = [
        i["id"] for p in follow_api_pages(client, "/api/employees?limit=1", first["next"]) for i in p["items"]
    ]
    assert rest == [*old_style[1:], ids[1]]


def test_the_longest_sort_key_fits_a_cursor() -> None:
    longest = schema.sort_name("\U0001f600" * 100, "ΐ" * 100, "f" * 64)
    assert len(longest.encode()) <= 162
    token = CURSORS.encode(longest)
    assert len(token) <= MAX_CURSOR_LENGTH
    assert CURSORS.decode(token) == Start(longest, exact=True)
    # An old-style key is cut again on the way into a cursor (storage then re-reads the exact one).
    old = f"{'m' * 400}\x1f{'b' * 400}\x1fid1"
    resumed = CURSORS.decode(CURSORS.encode(old))
    assert (resumed.sort_name, resumed.exact, resumed.record_id) == (
        f"{'m' * 48}\x1f{'b' * 48}\x1fid1",
        False,
        "id1",
    )
    assert resumed.sort_name < old
