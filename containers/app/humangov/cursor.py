"""Page cursors: the by-name index key of the last item shown, as an opaque url-safe token."""

from __future__ import annotations

import base64
import binascii
import json

from humangov import schema
from humangov.storage import BadCursorError

KEY_ATTRS = (schema.HASH_KEY, schema.LIST_PARTITION_ATTR, schema.SORT_NAME_ATTR)
MAX_CURSOR_LENGTH = 2048
MAX_KEY_BYTES = 1024


def encode(key: dict[str, str]) -> str:
    payload = json.dumps([key[attr] for attr in KEY_ATTRS], separators=(",", ":"))
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def decode(token: str) -> dict[str, str]:
    """Back to an ExclusiveStartKey; anything this app could not have issued is BadCursorError."""
    if not token or len(token) > MAX_CURSOR_LENGTH:
        raise BadCursorError("cursor is empty or too long")
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        # A token of a few thousand "[" nests deeper than json's recursion allows: RecursionError.
        values = json.loads(raw)
    except (binascii.Error, ValueError, RecursionError) as exc:
        raise BadCursorError("cursor is not one this app issued") from exc
    if (
        not isinstance(values, list)
        or len(values) != len(KEY_ATTRS)
        # DynamoDB refuses key values over 1 KB, and strings that are not UTF-8 (a lone surrogate
        # such as "\ud800" decodes from JSON but cannot be encoded): a 503 or 500 instead of this 400.
        or not all(isinstance(v, str) and v and _storable_key(v) for v in values)
        or values[1] != schema.LIST_PARTITION_VALUE
    ):
        raise BadCursorError("cursor is not one this app issued")
    return dict(zip(KEY_ATTRS, values, strict=True))


def _storable_key(value: str) -> bool:
    try:
        return len(value.encode("utf-8")) <= MAX_KEY_BYTES
    except UnicodeEncodeError:
        return False
