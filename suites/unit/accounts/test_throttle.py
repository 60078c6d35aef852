"""The sign-in throttle: 5 failures of a username within 15 minutes refuse further tries until the window
passes; counted in the table, so every task of the state shares it; unknown users alike."""

from __future__ import annotations

from typing import Any

import pytest
from accounts_testkit import PASSWORD, SCHEMA, TABLE, Clock, acc, client


def fail(dynamodb: Any, clock: Clock, username: str, times: int) -> None:
    for _ in range(times):
        with pytest.raises(acc.BadCredentials):
            acc.authenticate(dynamodb, TABLE, username, "wrong password!", now=clock)
        clock.advance(10)


def test_five_failures_refuse_even_the_right_password_until_the_window_passes(
    dynamodb: Any, clock: Clock
) -> None:
    acc.add_user(dynamodb, TABLE, "amy", "viewer", password=PASSWORD, now=clock)
    first = clock.at
    fail(dynamodb, clock, "amy", 5)
    with pytest.raises(acc.Throttled) as refused:
        acc.authenticate(dynamodb, TABLE, "amy", PASSWORD, now=clock)
    # The oldest of the five failures leaves the window 15 minutes after it happened.
    assert refused.value.retry_after == pytest.approx(15 * 60 - (clock.at - first).total_seconds())
    clock.advance(refused.value.retry_after - 1)
    with pytest.raises(acc.Throttled):
        acc.authenticate(dynamodb, TABLE, "amy", PASSWORD, now=clock)
    clock.advance(1)
    assert acc.authenticate(dynamodb, TABLE, "amy", PASSWORD, now=clock).username == "amy"


def test_four_failures_are_not_enough_and_a_success_clears_them(dynamodb: Any, clock: Clock) -> None:
    acc.add_user(dynamodb, TABLE, "amy", "viewer", password=PASSWORD, now=clock)
    fail(dynamodb, clock, "amy", 4)
    assert acc.authenticate(dynamodb, TABLE, "amy", PASSWORD, now=clock).username == "amy"
    fail(dynamodb, clock, "amy", 4)  # a fresh count: four more are still wrong passwords, not refusals
    assert acc.authenticate(dynamodb, TABLE, "amy", PASSWORD, now=clock).username == "amy"


def test_failures_older_than_the_window_do_not_count(dynamodb: Any, clock: Clock) -> None:
    acc.add_user(dynamodb, TABLE, "amy", "viewer", password=PASSWORD, now=clock)
    fail(dynamodb, clock, "amy", 4)
    clock.advance(15 * 60)
    fail(dynamodb, clock, "amy", 4)  # eight failures in all, but only these four inside the window
    assert acc.authenticate(dynamodb, TABLE, "amy", PASSWORD, now=clock).username == "amy"


def test_the_count_is_shared_by_every_task(dynamodb: Any, clock: Clock) -> None:
    """Two tasks, two clients: failures on either count towards one limit."""
    acc.add_user(dynamodb, TABLE, "amy", "viewer", password=PASSWORD, now=clock)
    task_a, task_b = client(), client()
    fail(task_a, clock, "amy", 3)
    fail(task_b, clock, "amy", 2)
    with pytest.raises(acc.Throttled):
        acc.authenticate(task_a, TABLE, "amy", PASSWORD, now=clock)
    with pytest.raises(acc.Throttled):
        acc.authenticate(task_b, TABLE, "amy", PASSWORD, now=clock)


def test_a_failure_raced_by_another_task_is_counted_on_top(dynamodb: Any, clock: Clock) -> None:
    acc.add_user(dynamodb, TABLE, "amy", "viewer", password=PASSWORD, now=clock)
    fail(dynamodb, clock, "amy", 3)
    rival, real_put = client(), dynamodb.put_item
    raced: list[bool] = []

    def put_after_a_rival(**kwargs: Any) -> Any:
        if not raced:
            raced.append(True)
            fail(rival, clock, "amy", 1)
        return real_put(**kwargs)

    dynamodb.put_item = put_after_a_rival
    fail(dynamodb, clock, "amy", 1)
    with pytest.raises(acc.Throttled):  # 3 + the rival's + ours = 5
        acc.authenticate(rival, TABLE, "amy", PASSWORD, now=clock)


def test_the_counter_carries_a_ttl(dynamodb: Any, clock: Clock) -> None:
    fail(dynamodb, clock, "amy", 1)
    item = dynamodb.get_item(TableName=TABLE, Key={"id": {"S": "throttle#amy"}})["Item"]
    assert int(item[SCHEMA.TTL_ATTR]["N"]) > clock.at.timestamp() + 14 * 60
    assert SCHEMA.LIST_PARTITION_ATTR not in item


def test_unknown_users_get_the_same_answer_verify_a_dummy_hash_and_are_counted(
    dynamodb: Any, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    acc.add_user(dynamodb, TABLE, "amy", "viewer", password=PASSWORD, now=clock)
    verified: list[str] = []
    real = acc.verify_password

    def spy(password: str, stored: str) -> bool:
        verified.append(stored)
        return bool(real(password, stored))

    monkeypatch.setattr(acc.throttle, "verify_password", spy)
    messages = []
    for name in ("amy", "ghost", "not a username at all!"):
        with pytest.raises(acc.BadCredentials) as refused:
            acc.authenticate(dynamodb, TABLE, name, "wrong password!", now=clock)
        messages.append(str(refused.value))
    assert len(set(messages)) == 1
    assert verified[1:] == [acc.dummy_hash(), acc.dummy_hash()]  # the same work as a known user
    assert verified[0] != acc.dummy_hash()
    fail(dynamodb, clock, "ghost", 4)
    with pytest.raises(acc.Throttled):
        acc.authenticate(dynamodb, TABLE, "ghost", PASSWORD, now=clock)
