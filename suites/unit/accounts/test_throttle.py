"""The sign-in throttle: 5 attempts of a username within 15 minutes refuse further tries until the window
passes; taken in the table before the password is checked, so every task of the state shares it, whatever
the concurrency; unknown users alike."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from accounts_testkit import PASSWORD, SCHEMA, TABLE, Clock, acc, client
from moto.core import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import dynamodb_backends


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


class AtomicMoto:
    """moto's table, with the atomicity DynamoDB gives each single-item write.

    moto checks a condition and applies the write in Python with no lock, so two threads can both pass a
    condition DynamoDB would let only one pass; DynamoDB applies each conditional write atomically
    (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/WorkingWithItems.html). Serialising
    moto's item writes gives the tests AWS's behaviour, not a stronger one: reads still interleave.
    """

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        backend = dynamodb_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]
        lock = threading.Lock()
        for name in ("put_item", "update_item", "delete_item"):
            real = getattr(backend, name)

            def locked(*args: Any, _real: Any = real, **kwargs: Any) -> Any:
                with lock:
                    return _real(*args, **kwargs)

            monkeypatch.setattr(backend, name, locked)


@pytest.mark.parametrize("right_one", [False, True])
def test_at_most_five_passwords_are_checked_whatever_the_concurrency(
    dynamodb: Any, clock: Clock, monkeypatch: pytest.MonkeyPatch, right_one: bool
) -> None:
    """Issue 21, item 4: 40 simultaneous attempts (one task each) got 11 password checks, and a right
    password among 29 wrong ones signed in. The attempt is taken before the check: 5 checks at most.

    Every check waits until all 40 attempts have been decided (checked or refused), so with a throttle
    that counts only after the check, all 40 would reach it; the wait has a deadline, not a sleep."""
    acc.add_user(dynamodb, TABLE, "amy", "viewer", password=PASSWORD, now=clock)
    AtomicMoto(monkeypatch)
    attempts = 40
    decided = threading.Condition()
    state = {"decided": 0, "checked": 0, "throttled": 0}
    real = acc.throttle.verify_password

    def decide(key: str) -> None:
        with decided:
            state[key] += 1
            state["decided"] += 1
            decided.notify_all()

    def slow_check(password: str, stored: str) -> bool:
        decide("checked")
        with decided:
            decided.wait_for(lambda: state["decided"] >= attempts, timeout=20)
        return bool(real(password, stored))

    monkeypatch.setattr(acc.throttle, "verify_password", slow_check)
    passwords = ["wrong password!"] * attempts
    if right_one:
        passwords[attempts // 2] = PASSWORD
    outcomes: list[str] = []
    start = threading.Barrier(attempts)

    def attempt(password: str) -> None:
        task = client()  # each request on a task of its own
        start.wait(timeout=20)
        try:
            acc.authenticate(task, TABLE, "amy", password, now=clock)
            outcomes.append("signed in")
        except acc.Throttled:
            decide("throttled")
            outcomes.append("throttled")
        except acc.BadCredentials:
            outcomes.append("wrong")

    threads = [threading.Thread(target=attempt, args=(p,)) for p in passwords]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(outcomes) == attempts
    assert state["checked"] == acc.THROTTLE_FAILURES
    assert outcomes.count("throttled") == attempts - acc.THROTTLE_FAILURES
    assert outcomes.count("signed in") <= 1


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
