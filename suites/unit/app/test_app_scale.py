"""Scale: at 10,000 records a page costs what a page costs; listing and search stay complete.

The seed scanned the table once and lost everything past DynamoDB's first 1 MB. Here every listing
and search request is a bounded Query on the by_name index: this counts, with a botocore event hook
on the app's own client, the items DynamoDB reads for each page.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from app_speed import own_clients
from app_testkit import SECRET, app_config, create_state_data, seed_records, signed_in
from flask.testing import FlaskClient
from humangov import create_app, schema
from humangov.cursor import Cursors
from humangov.dynamo_storage import DEFAULT_SEARCH_BUDGET
from humangov.storage import EXTENSION_KEY
from moto import mock_aws

RECORDS = 10_000
# Every 500th record has a name containing "needle": a search must cross the whole table to find all.
NEEDLE_EVERY = 500


@dataclass
class ReadCounter:
    """DynamoDB calls the app made, as seen by botocore, with the items each one read."""

    calls: list[tuple[str, int]] = field(default_factory=list)

    def hook(self, model: Any, parsed: dict[str, Any], **_: Any) -> None:
        self.calls.append((model.name, int(parsed.get("ScannedCount", parsed.get("Count", 0)))))

    def take(self) -> list[tuple[str, int]]:
        calls, self.calls = self.calls, []
        return calls


@pytest.fixture
def big_table() -> Iterator[list[str]]:
    with mock_aws():
        data = create_state_data()
        names = [
            (f"Needle{n}" if n % NEEDLE_EVERY == 0 else f"First{n}", f"Last{n:05d}") for n in range(RECORDS)
        ]
        yield seed_records(data, names)


@pytest.mark.slow
def test_at_10000_records_each_page_reads_a_bounded_number_of_items(big_table: list[str]) -> None:
    # One test, so that the 10,000 records are written once even when xdist spreads tests over workers.
    with own_clients():  # the storage's client alone, as in production: the hook counts only its calls
        app = create_app(app_config())
    counter = ReadCounter()
    app.extensions[EXTENSION_KEY].dynamodb.meta.events.register("after-call.dynamodb", counter.hook)
    client = signed_in(app.test_client())
    check_listing_pages(client, counter)
    check_last_page(client, counter, big_table)
    check_search(client, counter, big_table)


def check_listing_pages(client: FlaskClient, counter: ReadCounter) -> None:
    next_page = None
    for _ in range(3):
        url = "/api/employees?limit=50" + (f"&cursor={next_page}" if next_page else "")
        body = client.get(url).get_json()
        assert len(body["items"]) == 50
        calls = counter.take()
        assert [name for name, _ in calls] == ["Query"]  # one Query, never a Scan
        assert calls[0][1] <= 51  # the page, plus one item to know that another page exists
        next_page = body["next"]
    html = client.get("/records")
    assert html.status_code == 200
    assert counter.take() == [("Query", 26)]


def check_last_page(client: FlaskClient, counter: ReadCounter, big_table: list[str]) -> None:
    # A page deep in the table costs what the first one does. (Completeness of the page links is shown
    # at small scale in test_app_pages and test_app_api, and here by the search, which walks all
    # 10,000 records through its cursors.)
    deep = Cursors(SECRET).encode(_sort_name(big_table[-30]))
    body = client.get(f"/api/employees?limit=50&cursor={deep}").get_json()
    assert [item["id"] for item in body["items"]] == big_table[-29:]
    assert body["next"] is None
    [(name, read)] = counter.take()
    assert name == "Query"
    assert read <= 51


def check_search(client: FlaskClient, counter: ReadCounter, big_table: list[str]) -> None:
    found: list[str] = []
    requests = 0
    next_page = None
    while True:
        url = "/api/employees?name=NEEDLE&limit=25" + (f"&cursor={next_page}" if next_page else "")
        body = client.get(url).get_json()
        requests += 1
        calls = counter.take()
        assert {name for name, _ in calls} == {"Query"}
        assert sum(read for _, read in calls) <= DEFAULT_SEARCH_BUDGET  # per request, whatever the table
        found.extend(item["id"] for item in body["items"])
        next_page = body["next"]
        if next_page is None:
            break
    assert found == big_table[::NEEDLE_EVERY]  # every match, once, in name order
    assert requests == RECORDS // DEFAULT_SEARCH_BUDGET


def _sort_name(record_id: str) -> str:
    n = int(record_id[4:])
    first = f"Needle{n}" if n % NEEDLE_EVERY == 0 else f"First{n}"
    return schema.sort_name(first, f"Last{n:05d}", record_id)
