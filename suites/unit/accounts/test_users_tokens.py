"""Users and API tokens in the records table's own key space, on moto."""

from __future__ import annotations

from typing import Any

import pytest
from accounts_testkit import PASSWORD, SCHEMA, TABLE, Clock, acc, all_items


def test_add_with_a_one_time_password_that_must_be_changed(dynamodb: Any, clock: Clock) -> None:
    user, one_time = acc.add_user(dynamodb, TABLE, "Alice", "editor", now=clock)
    assert (user.username, user.role, user.must_change) == ("alice", "editor", True)
    assert one_time and len(one_time) >= acc.MIN_PASSWORD_CHARS
    assert acc.authenticate(dynamodb, TABLE, "alice", one_time, now=clock).must_change is True
    clock.advance(60)
    changed = acc.set_password(dynamodb, TABLE, "alice", PASSWORD, now=clock)
    assert changed.must_change is False and changed.updated_at == clock.at
    with pytest.raises(acc.BadCredentials):
        acc.authenticate(dynamodb, TABLE, "alice", one_time, now=clock)
    with pytest.raises(acc.WeakPassword):  # the same one again
        acc.set_password(dynamodb, TABLE, "alice", PASSWORD, now=clock)


def test_add_with_a_given_password_needs_no_change_and_stores_only_a_hash(
    dynamodb: Any, clock: Clock
) -> None:
    user, one_time = acc.add_user(dynamodb, TABLE, "bob", "viewer", password=PASSWORD, now=clock)
    assert one_time is None and user.must_change is False
    [item] = list(all_items(dynamodb))
    assert item[SCHEMA.HASH_KEY]["S"] == "user#bob"
    assert PASSWORD not in str(item) and item["password_hash"]["S"].startswith("scrypt$")


def test_refusals(dynamodb: Any, clock: Clock) -> None:
    acc.add_user(dynamodb, TABLE, "bob", "viewer", password=PASSWORD, now=clock)
    with pytest.raises(acc.UserExists):
        acc.add_user(dynamodb, TABLE, "BOB", "admin", password=PASSWORD, now=clock)
    with pytest.raises(acc.BadRole):
        acc.add_user(dynamodb, TABLE, "carol", "root", now=clock)
    with pytest.raises(acc.WeakPassword):
        acc.add_user(dynamodb, TABLE, "carol", "viewer", password="short", now=clock)
    with pytest.raises(acc.UnknownUser):
        acc.set_role(dynamodb, TABLE, "nobody", "admin", now=clock)
    with pytest.raises(acc.UnknownUser):
        acc.remove_user(dynamodb, TABLE, "nobody")
    assert [u.username for u in acc.list_users(dynamodb, TABLE)] == ["bob"]


def test_list_set_role_reset_and_remove(dynamodb: Any, clock: Clock) -> None:
    for name in ("zed", "amy", "kim"):
        acc.add_user(dynamodb, TABLE, name, "viewer", password=PASSWORD, now=clock)
    assert [u.username for u in acc.list_users(dynamodb, TABLE)] == ["amy", "kim", "zed"]
    assert acc.set_role(dynamodb, TABLE, "kim", "admin", now=clock).role == "admin"
    user, one_time = acc.reset_password(dynamodb, TABLE, "kim", now=clock)
    assert user.must_change and one_time
    assert acc.authenticate(dynamodb, TABLE, "kim", one_time, now=clock).role == "admin"
    acc.set_role(dynamodb, TABLE, "zed", "admin", now=clock)  # the last admin cannot be removed
    acc.remove_user(dynamodb, TABLE, "kim")
    assert acc.get_user(dynamodb, TABLE, "kim") is None
    assert [u.username for u in acc.list_users(dynamodb, TABLE)] == ["amy", "zed"]


def test_users_never_show_in_the_records_listing(dynamodb: Any, clock: Clock) -> None:
    acc.add_user(dynamodb, TABLE, "amy", "viewer", password=PASSWORD, now=clock)
    acc.create_token(dynamodb, TABLE, "amy", now=clock)
    employees = dynamodb.query(
        TableName=TABLE,
        IndexName=SCHEMA.BY_NAME_INDEX,
        KeyConditionExpression="#p = :p",
        ExpressionAttributeNames={"#p": SCHEMA.LIST_PARTITION_ATTR},
        ExpressionAttributeValues={":p": {"S": SCHEMA.LIST_PARTITION_VALUE}},
    )
    assert employees["Items"] == []
    keys = sorted(i[SCHEMA.HASH_KEY]["S"] for i in all_items(dynamodb))
    assert [k.split("#")[0] for k in keys] == ["token", "user"]  # never hex, as records' ids are


def test_a_token_is_shown_once_stored_hashed_and_revocable(dynamodb: Any, clock: Clock) -> None:
    acc.add_user(dynamodb, TABLE, "amy", "editor", password=PASSWORD, now=clock)
    info, token = acc.create_token(dynamodb, TABLE, "amy", now=clock)
    assert token.startswith(acc.TOKEN_PREFIX) and len(token) > 40
    assert token not in str(list(all_items(dynamodb)))
    user, found = acc.user_for_token(dynamodb, TABLE, token)
    assert (user.username, found.token_id) == ("amy", info.token_id)
    assert [t.token_id for t in acc.get_user(dynamodb, TABLE, "amy").tokens] == [info.token_id]
    assert acc.user_for_token(dynamodb, TABLE, token[:-1] + "x") is None
    assert acc.user_for_token(dynamodb, TABLE, "not-a-token") is None

    assert acc.revoke_token(dynamodb, TABLE, info.token_id[:6], now=clock).token_id == info.token_id
    assert acc.user_for_token(dynamodb, TABLE, token) is None
    assert acc.get_user(dynamodb, TABLE, "amy").tokens == ()
    with pytest.raises(acc.UnknownToken):
        acc.revoke_token(dynamodb, TABLE, info.token_id, now=clock)


def test_the_user_item_is_the_authority_on_its_tokens(dynamodb: Any, clock: Clock) -> None:
    """A token item left behind (a revoke cut short after the user item changed) opens nothing."""
    acc.add_user(dynamodb, TABLE, "amy", "editor", password=PASSWORD, now=clock)
    _, token = acc.create_token(dynamodb, TABLE, "amy", now=clock)
    item = dynamodb.get_item(TableName=TABLE, Key={"id": {"S": "user#amy"}})["Item"]
    item["tokens"] = {"S": "[]"}
    dynamodb.put_item(TableName=TABLE, Item=item)
    assert acc.user_for_token(dynamodb, TABLE, token) is None


def test_removing_a_user_removes_their_tokens(dynamodb: Any, clock: Clock) -> None:
    acc.add_user(dynamodb, TABLE, "amy", "editor", password=PASSWORD, now=clock)
    _, token = acc.create_token(dynamodb, TABLE, "amy", now=clock)
    acc.remove_user(dynamodb, TABLE, "amy")
    assert list(all_items(dynamodb)) == []
    acc.add_user(dynamodb, TABLE, "amy", "editor", password=PASSWORD, now=clock)  # a new amy
    assert acc.user_for_token(dynamodb, TABLE, token) is None


def test_a_token_for_nobody_is_refused_and_leaves_nothing(dynamodb: Any, clock: Clock) -> None:
    with pytest.raises(acc.UnknownUser):
        acc.create_token(dynamodb, TABLE, "ghost", now=clock)
    assert list(all_items(dynamodb)) == []


def test_concurrent_changes_are_not_lost(dynamodb: Any, clock: Clock) -> None:
    """Two writers of one user item: the second's write sees the first's (optimistic `rev`)."""
    from accounts_testkit import client

    acc.add_user(dynamodb, TABLE, "amy", "editor", password=PASSWORD, now=clock)
    other = client()
    real_put = dynamodb.put_item
    raced: list[bool] = []

    def put_after_a_rival(**kwargs: Any) -> Any:
        if not raced:  # the other task creates a token between our read and our write
            raced.append(True)
            acc.create_token(other, TABLE, "amy", now=clock)
        return real_put(**kwargs)

    dynamodb.put_item = put_after_a_rival
    acc.set_role(dynamodb, TABLE, "amy", "admin", now=clock)
    user = acc.get_user(other, TABLE, "amy")
    assert user.role == "admin" and len(user.tokens) == 1
