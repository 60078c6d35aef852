"""Server-side sessions: `session#<sha256 of the session id>` items of the state's records table.

The browser's cookie carries only a random session id (256 bits); the item says whose session it is,
when it began and when it was last used. A session ends when its item is gone: at sign-out, after
IDLE_SECONDS without a request or ABSOLUTE_SECONDS in any case (checked on every request, and DynamoDB's
TTL removes the item after the absolute limit), and when the user's `session_stamp` changes (an admin
reset their password, changed their role or removed them). Only the id's SHA-256 is stored: a read of the
table gives no usable session.

Standard library only, like the accounts modules (accounts.py says why).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, replace
from typing import Any

from . import schema
from .account_items import Now, at, error_code, key

IDLE_SECONDS = 30 * 60
ABSOLUTE_SECONDS = 12 * 3600
SEEN_RESOLUTION_SECONDS = 60  # `seen` is rewritten at most once a minute
MAX_ID_CHARS = 100
MAX_NOTES, MAX_NOTE_CHARS = 5, 200  # a session's pending confirmations: the latest few, each cut


@dataclass(frozen=True)
class Session:
    session_id: str
    username: str
    stamp: str  # the user's session_stamp when the session began
    issued: float  # epoch seconds
    seen: float
    notes: tuple[str, ...] = ()  # confirmations to show on the next page (notices.py), never in the cookie


def new_item(username: str, stamp: str, *, now: Now) -> tuple[str, dict[str, Any]]:
    """A new session id and the item to store for it (put it with `attribute_not_exists`, alone or in a
    transaction with its audit entry)."""
    session_id = secrets.token_urlsafe(32)
    moment = at(now).timestamp()
    return session_id, _item(Session(session_id, username, stamp, moment, moment))


def put_condition() -> dict[str, Any]:
    return {
        "ConditionExpression": "attribute_not_exists(#k)",
        "ExpressionAttributeNames": {"#k": schema.HASH_KEY},
    }


def start(dynamodb: Any, table: str, username: str, stamp: str, *, now: Now) -> str:
    session_id, item = new_item(username, stamp, now=now)
    dynamodb.put_item(TableName=table, Item=item, **put_condition())
    return session_id


def current(dynamodb: Any, table: str, session_id: str, *, now: Now) -> Session | None:
    """The live session with this id, or None (unknown, ended, idle too long or too old: then removed).
    Its `seen` is moved to now when a minute or more has passed."""
    if not isinstance(session_id, str) or not 0 < len(session_id) <= MAX_ID_CHARS:
        return None
    item = dynamodb.get_item(TableName=table, Key=key(_key(session_id)), ConsistentRead=True).get("Item")
    if not item:
        return None
    found = Session(
        session_id,
        item["username"]["S"],
        item["stamp"]["S"],
        float(item["issued"]["N"]),
        float(item["seen"]["N"]),
        tuple(note["S"] for note in item.get("notes", {}).get("L", [])),
    )
    moment = at(now).timestamp()
    if moment - found.seen > IDLE_SECONDS or moment - found.issued > ABSOLUTE_SECONDS:
        end(dynamodb, table, session_id)
        return None
    if moment - found.seen >= SEEN_RESOLUTION_SECONDS:
        found = replace(found, seen=moment)
        try:  # only while it exists: a sign-out meanwhile is not undone
            dynamodb.put_item(
                TableName=table,
                Item=_item(found),
                ConditionExpression="attribute_exists(#k)",
                ExpressionAttributeNames={"#k": schema.HASH_KEY},
            )
        except Exception as exc:  # botocore's ClientError; this module imports no botocore
            if error_code(exc) == "ConditionalCheckFailedException":
                return None
            raise
    return found


def set_notes(dynamodb: Any, table: str, session_id: str, notes: list[str]) -> None:
    """Keep `notes` (the latest MAX_NOTES, each cut to MAX_NOTE_CHARS) for the session's next page, or
    none; only while the session exists."""
    kept = [note[:MAX_NOTE_CHARS] for note in notes][-MAX_NOTES:]
    names = {"#k": schema.HASH_KEY, "#n": "notes"}
    change: dict[str, Any] = {"UpdateExpression": "REMOVE #n"}
    if kept:
        change = {
            "UpdateExpression": "SET #n = :n",
            "ExpressionAttributeValues": {":n": {"L": [{"S": note} for note in kept]}},
        }
    try:
        dynamodb.update_item(
            TableName=table,
            Key=item_key(session_id),
            ConditionExpression="attribute_exists(#k)",
            ExpressionAttributeNames=names,
            **change,
        )
    except Exception as exc:  # botocore's ClientError; this module imports no botocore
        if error_code(exc) != "ConditionalCheckFailedException":
            raise


def end(dynamodb: Any, table: str, session_id: str) -> None:
    if isinstance(session_id, str) and 0 < len(session_id) <= MAX_ID_CHARS:
        dynamodb.delete_item(TableName=table, Key=key(_key(session_id)))


def item_key(session_id: str) -> dict[str, Any]:
    return key(_key(session_id))


def _key(session_id: str) -> str:
    return schema.SESSION_PREFIX + hashlib.sha256(session_id.encode("utf-8")).hexdigest()


def _item(session: Session) -> dict[str, Any]:
    return {
        schema.HASH_KEY: {"S": _key(session.session_id)},
        "username": {"S": session.username},
        "stamp": {"S": session.stamp},
        "issued": {"N": repr(session.issued)},
        "seen": {"N": repr(session.seen)},
        # DynamoDB removes the item some time after this; by then it is refused anyway.
        schema.TTL_ATTR: {"N": str(int(session.issued + ABSOLUTE_SECONDS) + 60)},
        **({"notes": {"L": [{"S": note} for note in session.notes]}} if session.notes else {}),
    }
