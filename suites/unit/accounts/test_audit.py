"""The audit trail: append-only entries, newest first, paged by an opaque cursor, filtered by record/user."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from accounts_testkit import AUDIT_TABLE, Clock, aud

RECORD = "0123456789abcdef0123456789abcdef"
SK = f"2026-03-01T09:00:01.000000Z#{'a' * 32}"


def add(dynamodb: Any, clock: Clock, n: int, **kwargs: Any) -> list[Any]:
    made = []
    for i in range(n):
        clock.advance(1)
        fields = {"who": "amy", "action": "record.edit", "target": RECORD, **kwargs}
        made.append(
            aud.append(dynamodb, AUDIT_TABLE, request_id=f"req-{i}", details={"i": i}, now=clock, **fields)
        )
    return made


def test_an_entry_says_who_when_what_and_the_request(dynamodb: Any, clock: Clock) -> None:
    details = {"fields": {"salary": {"old": "1,000.00", "new": "2,000.00"}}}
    made = aud.append(
        dynamodb, AUDIT_TABLE, who="amy", action="record.edit", target=RECORD, request_id="r-1",
        details=details, now=clock,
    )  # fmt: skip
    [got] = aud.query(dynamodb, AUDIT_TABLE).items
    assert got == made
    assert (got.at, got.who, got.action, got.target, got.request_id, got.details) == (
        clock.at, "amy", "record.edit", RECORD, "r-1", details,
    )  # fmt: skip
    assert got.to_json()["at"] == "2026-03-01T09:00:00.000000Z"


def test_pages_are_newest_first_and_the_cursor_walks_them_all(dynamodb: Any, clock: Clock) -> None:
    made = add(dynamodb, clock, 7)
    seen, cursor = [], None
    while True:
        page = aud.query(dynamodb, AUDIT_TABLE, limit=3, cursor=cursor)
        assert len(page.items) <= 3
        seen += page.items
        if page.next is None:
            break
        cursor = page.next
    assert seen == list(reversed(made))


def test_filters_by_record_and_by_user(dynamodb: Any, clock: Clock) -> None:
    add(dynamodb, clock, 2)
    other = add(dynamodb, clock, 2, target="f" * 32, who="bob")
    add(dynamodb, clock, 1, action="user.set_role", target="carol", who="bob")  # a user's, no record
    by_record = aud.query(dynamodb, AUDIT_TABLE, record_id="f" * 32).items
    assert by_record == list(reversed(other))
    by_bob = aud.query(dynamodb, AUDIT_TABLE, username="bob", limit=2)
    assert [e.action for e in by_bob.items] == ["user.set_role", "record.edit"]
    rest = aud.query(dynamodb, AUDIT_TABLE, username="bob", cursor=by_bob.next).items
    assert rest == [other[0]]
    assert aud.query(dynamodb, AUDIT_TABLE, record_id="carol").items == []  # user targets are no records


def test_an_entry_is_never_overwritten(dynamodb: Any, clock: Clock) -> None:
    """A second append that lands on an existing entry's key (same time, same uuid) is refused."""
    [entry] = add(dynamodb, clock, 1)
    calls: list[dict[str, Any]] = []
    dynamodb.meta.events.register(
        "provide-client-params.dynamodb.PutItem", lambda params, **_: calls.append(params)
    )
    uuid4 = aud.uuid.uuid4
    try:
        aud.uuid.uuid4 = lambda: type("U", (), {"hex": entry.key.split("#")[1]})()
        clock.at = entry.at
        with pytest.raises(dynamodb.exceptions.ConditionalCheckFailedException):
            aud.append(dynamodb, AUDIT_TABLE, who="mallory", action="record.delete", target=RECORD, now=clock)
    finally:
        aud.uuid.uuid4 = uuid4
    assert calls[-1]["ConditionExpression"] == "attribute_not_exists(#pk)"
    assert [e.who for e in aud.query(dynamodb, AUDIT_TABLE).items] == ["amy"]


@pytest.mark.parametrize(
    "cursor",
    ["", "!!!", base64.urlsafe_b64encode(b'{"sk": "x"}').decode(), base64.urlsafe_b64encode(b"[1]").decode(),
     base64.urlsafe_b64encode(json.dumps({"sk": SK, "pk": "x"}).encode()).decode(),
     "A" * 2000],
)  # fmt: skip
def test_a_forged_cursor_is_a_bad_query(dynamodb: Any, cursor: str) -> None:
    with pytest.raises(aud.BadQuery):
        aud.query(dynamodb, AUDIT_TABLE, cursor=cursor or "=")


@pytest.mark.parametrize("limit", [0, -1, aud.MAX_LIMIT + 1])
def test_the_page_size_is_bounded(dynamodb: Any, limit: int) -> None:
    with pytest.raises(aud.BadQuery):
        aud.query(dynamodb, AUDIT_TABLE, limit=limit)


def test_one_filter_at_a_time_and_known_actions_only(dynamodb: Any, clock: Clock) -> None:
    with pytest.raises(aud.BadQuery):
        aud.query(dynamodb, AUDIT_TABLE, record_id=RECORD, username="amy")
    with pytest.raises(ValueError, match="unknown audit action"):
        aud.append(dynamodb, AUDIT_TABLE, who="amy", action="record.rewrite", now=clock)
    with pytest.raises(ValueError, match="over"):
        aud.append(
            dynamodb, AUDIT_TABLE, who="amy", action="token.use", details={"x": "y" * 70_000}, now=clock
        )
