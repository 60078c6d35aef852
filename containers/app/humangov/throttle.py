"""Sign-in with its throttle: `throttle#<username>` items counting recent failed sign-ins (with a TTL).

Standard library only (the deploy library loads the accounts modules by path: accounts.py says why).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from . import schema
from .account_errors import BadCredentials, BadUsername, Conflict, Throttled
from .account_items import UPDATE_TRIES, Now, at, conditional_put, key
from .passwords import dummy_hash, verify_password
from .user_store import User, check_username, read

THROTTLE_FAILURES = 5  # failed sign-ins of one username...
THROTTLE_WINDOW_SECONDS = 15 * 60  # ...within this many seconds refuse further attempts until it passes


def authenticate(dynamodb: Any, table: str, username: str, password: str, *, now: Now) -> User:
    """The user if the password is theirs; else BadCredentials (after counting the failure), or Throttled
    once THROTTLE_FAILURES failures of this username fall within THROTTLE_WINDOW_SECONDS.

    Unknown usernames are counted and answered the same way, after verifying a dummy hash, so neither
    the message nor the time tells whether a username exists. The counter is in the table: every task
    of the state sees the same one.
    """
    moment = at(now).timestamp()
    name = _throttle_key(username)
    failures, rev = _failures(dynamodb, table, name, moment)
    if len(failures) >= THROTTLE_FAILURES:
        raise Throttled(failures[-THROTTLE_FAILURES] + THROTTLE_WINDOW_SECONDS - moment)
    try:
        stored = read(dynamodb, table, username)
    except BadUsername:
        stored = None
    if stored is None:
        verify_password(password, dummy_hash())
    elif verify_password(password, stored.password_hash):
        if failures:
            dynamodb.delete_item(TableName=table, Key=key(name))
        return stored.user
    _count_failure(dynamodb, table, name, moment, failures, rev)
    raise BadCredentials()


def _throttle_key(username: str) -> str:
    try:
        name = check_username(username)
    except BadUsername:
        # Not a possible username: still counted (same answer), under a bounded key.
        name = "~" + hashlib.sha256(username.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return schema.THROTTLE_PREFIX + name


def _failures(dynamodb: Any, table: str, name: str, moment: float) -> tuple[list[float], int | None]:
    item = dynamodb.get_item(TableName=table, Key=key(name), ConsistentRead=True).get("Item")
    if not item:
        return [], None
    recent = [t for t in json.loads(item["failures"]["S"]) if moment - t < THROTTLE_WINDOW_SECONDS]
    return sorted(recent), int(item["rev"]["N"])


def _count_failure(
    dynamodb: Any, table: str, name: str, moment: float, failures: list[float], rev: int | None
) -> None:
    for _ in range(UPDATE_TRIES):
        kept = [*failures, moment][-THROTTLE_FAILURES:]
        item = {
            schema.HASH_KEY: {"S": name},
            "failures": {"S": json.dumps(kept)},
            "rev": {"N": str((rev or 0) + 1)},
            # DynamoDB removes the item some time after this (TTL), by then it counts nothing anyway.
            schema.TTL_ATTR: {"N": str(int(moment + THROTTLE_WINDOW_SECONDS) + 60)},
        }
        if conditional_put(dynamodb, table, item, rev):
            return
        failures, rev = _failures(dynamodb, table, name, moment)  # another task counted one: count on top
    raise Conflict("sign-in counter kept changing; try again")
