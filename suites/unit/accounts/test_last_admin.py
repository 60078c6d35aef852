"""A state keeps at least one admin, atomically (issue 21, item 7): two admins demoting (or removing) each
other at once used to leave the state with none. Each change that makes or unmakes an admin is one
transaction with the state's admin count, on the condition that one admin is left."""

from __future__ import annotations

from typing import Any

import pytest
from accounts_testkit import PASSWORD, SCHEMA, TABLE, Clock, acc, client


def admins(dynamodb: Any) -> list[str]:
    return [u.username for u in acc.list_users(dynamodb, TABLE) if u.role == "admin"]


def change(task: Any, clock: Clock, how: str, target: str) -> None:
    if how == "demote":
        acc.set_role(task, TABLE, target, "editor", now=clock)
    else:
        acc.remove_user(task, TABLE, target)


@pytest.mark.parametrize("how", ["demote", "remove"])
def test_two_admins_changing_each_other_at_once_leave_one_admin(
    dynamodb: Any, clock: Clock, how: str
) -> None:
    for name in ("amy", "bob"):
        acc.add_user(dynamodb, TABLE, name, "admin", password=PASSWORD, now=clock)
    task_a, task_b = client(), client()
    real = task_a.transact_write_items
    outcomes: list[str] = []

    def bob_acts_in_between(**kwargs: Any) -> Any:
        # Amy's task has read both users and is about to write: Bob's change lands first.
        task_a.transact_write_items = real
        change(task_b, clock, how, "amy")
        outcomes.append("bob's change landed")
        return real(**kwargs)

    task_a.transact_write_items = bob_acts_in_between
    with pytest.raises(acc.LastAdmin, match="bob is the state's last admin"):
        change(task_a, clock, how, "bob")
    assert outcomes == ["bob's change landed"]
    assert admins(dynamodb) == ["bob"]


def test_the_only_admin_can_be_neither_demoted_nor_removed(dynamodb: Any, clock: Clock) -> None:
    acc.add_user(dynamodb, TABLE, "amy", "admin", password=PASSWORD, now=clock)
    with pytest.raises(acc.LastAdmin):
        acc.set_role(dynamodb, TABLE, "amy", "viewer", now=clock)
    with pytest.raises(acc.LastAdmin):
        acc.remove_user(dynamodb, TABLE, "amy")
    assert admins(dynamodb) == ["amy"]
    acc.add_user(dynamodb, TABLE, "bob", "editor", password=PASSWORD, now=clock)
    acc.set_role(dynamodb, TABLE, "bob", "admin", now=clock)
    acc.remove_user(dynamodb, TABLE, "amy")
    assert admins(dynamodb) == ["bob"]


def test_a_state_with_admins_from_before_the_count_is_counted_once(dynamodb: Any, clock: Clock) -> None:
    acc.add_user(dynamodb, TABLE, "amy", "admin", password=PASSWORD, now=clock)
    acc.add_user(dynamodb, TABLE, "bob", "admin", password=PASSWORD, now=clock)
    dynamodb.delete_item(TableName=TABLE, Key={SCHEMA.HASH_KEY: {"S": SCHEMA.ADMIN_COUNT_KEY}})
    acc.set_role(dynamodb, TABLE, "amy", "viewer", now=clock)  # counted (2), then 1
    with pytest.raises(acc.LastAdmin):
        acc.set_role(dynamodb, TABLE, "bob", "viewer", now=clock)
