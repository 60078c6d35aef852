"""Sign-in with its throttle: `throttle#<username>` items counting the attempts of a window (with a TTL).

Standard library only (the deploy library loads the accounts modules by path: accounts.py says why).
"""

from __future__ import annotations

import hashlib
from typing import Any

from . import schema
from .account_errors import BadCredentials, BadUsername, Conflict, Throttled
from .account_items import UPDATE_TRIES, Now, at, error_code, key
from .passwords import dummy_hash, verify_password
from .user_store import User, check_username, read

THROTTLE_FAILURES = 5  # password checks of one username (a success clears them)...
THROTTLE_WINDOW_SECONDS = 15 * 60  # ...per window: this long from the first one, then a new window
ATTEMPTS, WINDOW_START, REFUSED = "attempts", "window_start", "refused"


def authenticate(dynamodb: Any, table: str, username: str, password: str, *, now: Now) -> User:
    """The user if the password is theirs; else BadCredentials, or Throttled (nothing checked) once
    THROTTLE_FAILURES attempts of this username were taken within the window.

    The attempt is taken before the password is checked, by one conditional counter update in the table
    (every task of the state shares it): however many requests arrive at once, at most THROTTLE_FAILURES
    passwords are checked per username per window. A success clears the counter. Unknown usernames are
    counted and answered the same way, after verifying a dummy hash, so neither the message nor the time
    tells whether a username exists.
    """
    moment = at(now).timestamp()
    name = _throttle_key(username)
    take_attempt(dynamodb, table, name, moment)
    try:
        stored = read(dynamodb, table, username)
    except BadUsername:
        stored = None
    if stored is None:
        verify_password(password, dummy_hash())
    elif verify_password(password, stored.password_hash):
        dynamodb.delete_item(TableName=table, Key=key(name))
        return stored.user
    raise BadCredentials()


def take_attempt(dynamodb: Any, table: str, name: str, moment: float) -> None:
    """Count one attempt on `name`'s counter, or raise Throttled if the window's attempts are used up."""
    cutoff = moment - THROTTLE_WINDOW_SECONDS
    names = {"#n": ATTEMPTS, "#w": WINDOW_START}
    for _ in range(UPDATE_TRIES):
        # One more in the current window, if it has room.
        if _update(
            dynamodb,
            table,
            name,
            UpdateExpression="SET #n = #n + :one",
            ConditionExpression="#n < :max AND #w > :cutoff",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues={
                ":one": {"N": "1"},
                ":max": {"N": str(THROTTLE_FAILURES)},
                ":cutoff": {"N": repr(cutoff)},
            },
        ):
            return
        # No counter, or its window is over: a new window, starting with this attempt.
        if _update(
            dynamodb,
            table,
            name,
            UpdateExpression="SET #n = :one, #w = :now, #ttl = :ttl REMOVE #r",
            ConditionExpression="attribute_not_exists(#k) OR attribute_not_exists(#w) OR #w <= :cutoff",
            ExpressionAttributeNames={**names, "#k": schema.HASH_KEY, "#ttl": schema.TTL_ATTR, "#r": REFUSED},
            ExpressionAttributeValues={
                ":one": {"N": "1"},
                ":now": {"N": repr(moment)},
                ":cutoff": {"N": repr(cutoff)},
                # DynamoDB removes the item some time after this (TTL), by then it counts nothing anyway.
                ":ttl": {"N": str(int(moment + THROTTLE_WINDOW_SECONDS) + 60)},
            },
        ):
            return
        item = dynamodb.get_item(TableName=table, Key=key(name), ConsistentRead=True).get("Item") or {}
        started = float(item.get(WINDOW_START, {}).get("N", "nan"))
        if int(item.get(ATTEMPTS, {}).get("N", "0")) >= THROTTLE_FAILURES and started > cutoff:
            raise Throttled(
                started + THROTTLE_WINDOW_SECONDS - moment, _count_refusal(dynamodb, table, name, item)
            )
        # The counter changed between the two updates and this read (another task): take it again.
    raise Conflict("sign-in counter kept changing; try again")


def _count_refusal(dynamodb: Any, table: str, name: str, item: dict[str, Any]) -> int:
    """One more refusal in the window `item` is in (so the app can audit them aggregated); 0 if the
    window changed meanwhile."""
    try:
        answer = dynamodb.update_item(
            TableName=table,
            Key=key(name),
            UpdateExpression="ADD #r :one",
            ConditionExpression="#w = :w",
            ExpressionAttributeNames={"#r": REFUSED, "#w": WINDOW_START},
            ExpressionAttributeValues={":one": {"N": "1"}, ":w": item[WINDOW_START]},
            ReturnValues="UPDATED_NEW",
        )
    except Exception as exc:  # botocore's ClientError; this module imports no botocore
        if error_code(exc) == "ConditionalCheckFailedException":
            return 0
        raise
    return int(answer["Attributes"][REFUSED]["N"])


def _update(dynamodb: Any, table: str, name: str, **kwargs: Any) -> bool:
    try:
        dynamodb.update_item(TableName=table, Key=key(name), **kwargs)
    except Exception as exc:  # botocore's ClientError; this module imports no botocore
        if error_code(exc) == "ConditionalCheckFailedException":
            return False
        raise
    return True


def _throttle_key(username: str) -> str:
    try:
        name = check_username(username)
    except BadUsername:
        # Not a possible username: still counted (same answer), under a bounded key.
        name = "~" + hashlib.sha256(username.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return schema.THROTTLE_PREFIX + name
