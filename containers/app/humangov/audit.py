"""The audit trail of one state: append-only entries in its own table (`schema.audit_table_name(state)`).

Shared by the app (sign-ins, record changes, PDF views, token use, the `/audit` page and `GET /api/audit`)
and the deploy library (`humangov users` writes its user changes), so it imports only the standard library
and `schema`; functions take a low-level boto3 DynamoDB *client*, the audit table's name and `now`.

Every entry lives in one partition (`pk` = "audit") under the sort key `<UTC ISO time>Z#<uuid4 hex>`, so
reading the partition backwards is newest first; the `by_record` and `by_user` indexes hold the same
entries by record id and by who acted. `append` writes with `attribute_not_exists(pk)`, so it never
overwrites an entry, and nothing here updates or deletes one (nor may the task role: no UpdateItem,
DeleteItem or BatchWriteItem on this table).

API: `append(...) -> Entry`; `prepare(...) -> (Entry, PutItem arguments)` for a transaction;
`query(..., record_id=None, username=None, limit=50, cursor=None) -> AuditPage`
(`items`, `next`: an opaque cursor, None on the last page); `BadQuery` for a bad cursor, limit or filter.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from . import schema

Now = datetime | Callable[[], datetime]

RECORD_ACTIONS = frozenset({"record.create", "record.edit", "record.delete", "record.pdf_view"})
USER_ACTIONS = frozenset(
    {
        "user.add",
        "user.set_role",
        "user.reset_password",
        "user.set_password",
        "user.remove",
        "user.token_create",
        "user.token_revoke",
    }
)
# request.refused: a request the user's role (or a missing header, a password to change first) refused.
ACTIONS = (
    RECORD_ACTIONS
    | USER_ACTIONS
    | {"signin.success", "signin.failure", "signout", "token.use", "request.refused"}
)

DEFAULT_LIMIT = 50
MAX_LIMIT = 100
MAX_DETAILS_BYTES = 64 * 1024  # far below DynamoDB's 400 KB item limit
MAX_TEXT = 256  # who, target and request id are cut to this many characters
SORT_KEY_PATTERN = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z#[0-9a-f]{32}")
MAX_CURSOR_CHARS = 1024


class BadQuery(ValueError):
    """A cursor, limit or filter the caller sent that cannot be used (a 400 for the API)."""


@dataclass(frozen=True)
class Entry:
    at: datetime
    who: str  # a username, "anonymous", or "cli:<os user>"
    action: str  # one of ACTIONS
    target: str  # a record id or a username ("" when there is none)
    request_id: str
    details: dict[str, Any] = field(default_factory=dict)
    key: str = ""  # the entry's sort key, unique

    def to_json(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(timespec="microseconds").replace("+00:00", "Z"),
            "who": self.who,
            "action": self.action,
            "target": self.target,
            "request_id": self.request_id,
            "details": self.details,
            "id": self.key,
        }


@dataclass(frozen=True)
class AuditPage:
    items: list[Entry]
    next: str | None  # pass back as `cursor` for the following (older) page


def append(
    dynamodb: Any,
    table: str,
    *,
    who: str,
    action: str,
    target: str = "",
    request_id: str = "",
    details: dict[str, Any] | None = None,
    now: Now,
) -> Entry:
    """Write one entry; never overwrites one. `details` must be JSON-safe (an edit: {"fields": {name:
    {"old": ..., "new": ...}}}); it is stored as JSON text of at most MAX_DETAILS_BYTES."""
    entry, put = prepare(
        table, who=who, action=action, target=target, request_id=request_id, details=details, now=now
    )
    dynamodb.put_item(**put)
    return entry


def prepare(
    table: str,
    *,
    who: str,
    action: str,
    target: str = "",
    request_id: str = "",
    details: dict[str, Any] | None = None,
    now: Now,
) -> tuple[Entry, dict[str, Any]]:
    """The entry `append` would write, and its PutItem arguments (boto3's shape), unwritten: as one
    `{"Put": ...}` of a TransactWriteItems, it commits with the change it records, or neither does."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    if not who:
        raise ValueError("an audit entry needs who acted")
    at = _at(now)
    text = json.dumps(details or {}, sort_keys=True, ensure_ascii=False, allow_nan=False)
    if len(text.encode("utf-8")) > MAX_DETAILS_BYTES:
        raise ValueError(f"audit details over {MAX_DETAILS_BYTES} bytes")
    entry = Entry(
        at=at,
        who=who[:MAX_TEXT],
        action=action,
        target=target[:MAX_TEXT],
        request_id=request_id[:MAX_TEXT],
        details=json.loads(text),
        key=f"{_iso(at)}#{uuid.uuid4().hex}",
    )
    item: dict[str, Any] = {
        schema.AUDIT_HASH_KEY: {"S": schema.AUDIT_PARTITION_VALUE},
        schema.AUDIT_SORT_KEY: {"S": entry.key},
        # Index keys may not be empty strings: only entries that have one carry it.
        schema.AUDIT_USER_ATTR: {"S": entry.who},
        "action": {"S": action},
        "target": {"S": entry.target},
        "request_id": {"S": entry.request_id},
        "details": {"S": text},
    }
    if action in RECORD_ACTIONS and entry.target:
        item[schema.AUDIT_RECORD_ATTR] = {"S": entry.target}
    put = {
        "TableName": table,
        "Item": item,
        # Append-only: refused if an entry with this key exists (a uuid4 clash, or a replayed write).
        "ConditionExpression": "attribute_not_exists(#pk)",
        "ExpressionAttributeNames": {"#pk": schema.AUDIT_HASH_KEY},
    }
    return entry, put


def query(
    dynamodb: Any,
    table: str,
    *,
    record_id: str | None = None,
    username: str | None = None,
    limit: int = DEFAULT_LIMIT,
    cursor: str | None = None,
) -> AuditPage:
    """One page of entries, newest first: all, or those of one record, or those one user made."""
    if record_id and username:
        raise BadQuery("filter by record or by user, not both")
    if not 1 <= limit <= MAX_LIMIT:
        raise BadQuery(f"limit must be 1 to {MAX_LIMIT}")
    if record_id:
        index, attr, value = schema.AUDIT_BY_RECORD_INDEX, schema.AUDIT_RECORD_ATTR, record_id
    elif username:
        index, attr, value = schema.AUDIT_BY_USER_INDEX, schema.AUDIT_USER_ATTR, username
    else:
        index, attr, value = None, schema.AUDIT_HASH_KEY, schema.AUDIT_PARTITION_VALUE
    kwargs: dict[str, Any] = {
        "TableName": table,
        "KeyConditionExpression": "#h = :h",
        "ExpressionAttributeNames": {"#h": attr},
        "ExpressionAttributeValues": {":h": {"S": value[:MAX_TEXT]}},
        "ScanIndexForward": False,
        "Limit": limit,
    }
    if index:
        kwargs["IndexName"] = index
    if cursor:
        kwargs["ExclusiveStartKey"] = _decode(cursor, attr, value[:MAX_TEXT])
    answer = dynamodb.query(**kwargs)
    items = [_from_item(item) for item in answer.get("Items", [])]
    last = answer.get("LastEvaluatedKey")
    # A Query stops at 1 MB even below `limit`, with more to come: follow the key, not the count
    # (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Query.Pagination.html).
    return AuditPage(items, _encode(last) if last else None)


def _encode(last: dict[str, Any]) -> str:
    # Only the sort key travels: the rest of the start key follows from the filter and the layout.
    raw = json.dumps({"sk": last[schema.AUDIT_SORT_KEY]["S"]}).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _decode(cursor: str, attr: str, value: str) -> dict[str, Any]:
    """The start key a cursor stands for; anything but a cursor `query` made is BadQuery."""
    try:
        if len(cursor) > MAX_CURSOR_CHARS:
            raise ValueError("too long")
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        sk = data["sk"]
        if set(data) != {"sk"} or not isinstance(sk, str) or not SORT_KEY_PATTERN.fullmatch(sk):
            raise ValueError("not a cursor")
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError) as exc:
        raise BadQuery("bad cursor") from exc
    key = {
        schema.AUDIT_HASH_KEY: {"S": schema.AUDIT_PARTITION_VALUE},
        schema.AUDIT_SORT_KEY: {"S": sk},
    }
    if attr != schema.AUDIT_HASH_KEY:
        key[attr] = {"S": value}
    return key


def _from_item(item: dict[str, Any]) -> Entry:
    key = item[schema.AUDIT_SORT_KEY]["S"]
    return Entry(
        at=datetime.fromisoformat(key.split("#", 1)[0].replace("Z", "+00:00")),
        who=item[schema.AUDIT_USER_ATTR]["S"],
        action=item["action"]["S"],
        target=item.get("target", {}).get("S", ""),
        request_id=item.get("request_id", {}).get("S", ""),
        details=json.loads(item.get("details", {}).get("S", "{}")),
        key=key,
    )


def _at(now: Now) -> datetime:
    at = now if isinstance(now, datetime) else now()
    return at.astimezone(UTC) if at.tzinfo else at.replace(tzinfo=UTC)


def _iso(at: datetime) -> str:
    return at.isoformat(timespec="microseconds").replace("+00:00", "Z")
