"""Page cursors: where the next page starts, sealed so that clients can hold it but not read or forge it.

What a cursor must be (issue 12): at most 256 characters whatever the names; nothing personal readable
(cursors end up in URLs, browser history and access logs); tamper-evident; and enough on its own to
resume paging even if the record it points after was deleted meanwhile. So it carries the by-name index
key of the last item shown (its sort key, whose last part is the record id; DynamoDB resumes after a key
whether or not an item still has it), encrypted and authenticated with AES-256-GCM under a key derived
from the state's SECRET_KEY, which every task of the state shares.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from humangov import schema
from humangov.storage import BadCursorError

KEY_ATTRS = (schema.HASH_KEY, schema.LIST_PARTITION_ATTR, schema.SORT_NAME_ATTR)
MAX_CURSOR_LENGTH = 256
# The format byte is also the AEAD's associated data: a later format can never be read as this one.
_FORMAT = b"\x01"
_NONCE_BYTES = 12
_TAG_BYTES = 16
# The first byte sealed says whether the key is exact or cut down (Start.exact).
_EXACT, _CUT = b"=", b"~"
# 256 base64url characters carry 192 bytes; format byte, nonce, tag and the exact/cut byte leave 162 for
# the sort key: schema.sort_name's longest (two names of at most 48 bytes, separators, a 64-character id).
MAX_KEY_BYTES = MAX_CURSOR_LENGTH * 3 // 4 - len(_FORMAT) - _NONCE_BYTES - _TAG_BYTES - len(_EXACT)
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+")
_HKDF_INFO = b"humangov page cursor v1"


@dataclass(frozen=True)
class Start:
    """Where a page starts: right after the index key `sort_name`."""

    sort_name: str
    # False for an item stored before names were cut to schema.SORT_NAME_PART_BYTES: its key was too long
    # to carry, so the cursor holds a cut-down key that sorts just before it, and storage re-reads the
    # item's exact key by id (resuming from the cut key itself would show that item again, forever).
    exact: bool = True

    @property
    def record_id(self) -> str:
        return schema.sort_name_id(self.sort_name)

    def key(self) -> dict[str, str]:
        """The index key as plain values (an ExclusiveStartKey, untyped)."""
        return {
            schema.HASH_KEY: self.record_id,
            schema.LIST_PARTITION_ATTR: schema.LIST_PARTITION_VALUE,
            schema.SORT_NAME_ATTR: self.sort_name,
        }


class Cursors:
    """Seals and opens the page cursors of one state (one SECRET_KEY)."""

    def __init__(self, secret_key: str | bytes) -> None:
        secret = secret_key.encode() if isinstance(secret_key, str) else secret_key
        # A key of its own, so a cursor never shares a key with the session cookie's signature.
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO).derive(secret)
        self._aead = AESGCM(key)

    def encode(self, sort_name: str) -> str:
        """The cursor of the page that starts after the index key `sort_name`."""
        cut = schema.resumable_sort_name(sort_name)
        plain = (_EXACT if cut == sort_name else _CUT) + cut.encode("utf-8")
        if len(plain) > 1 + MAX_KEY_BYTES:  # only an id longer than ID_PATTERN allows could get here
            raise ValueError(f"a sort key of {len(plain) - 1} bytes does not fit in a cursor")
        nonce = os.urandom(_NONCE_BYTES)
        sealed = _FORMAT + nonce + self._aead.encrypt(nonce, plain, _FORMAT)
        return base64.urlsafe_b64encode(sealed).decode("ascii").rstrip("=")

    def decode(self, token: str) -> Start:
        """Where the page starts; anything this state's app did not issue is BadCursorError."""
        if not token or len(token) > MAX_CURSOR_LENGTH or not _BASE64URL.fullmatch(token):
            raise BadCursorError("cursor is empty, too long or not base64url")
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        except (binascii.Error, ValueError) as exc:
            raise BadCursorError("cursor is not base64url") from exc
        if raw[:1] != _FORMAT or len(raw) <= len(_FORMAT) + _NONCE_BYTES + _TAG_BYTES:
            raise BadCursorError("cursor is not one this app issued")
        nonce, sealed = raw[1 : 1 + _NONCE_BYTES], raw[1 + _NONCE_BYTES :]
        try:
            plain = self._aead.decrypt(nonce, sealed, _FORMAT)
            sort_name = plain[1:].decode("utf-8")
        except (InvalidTag, UnicodeDecodeError) as exc:
            raise BadCursorError("cursor is not one this app issued") from exc
        return Start(sort_name, exact=plain[:1] == _EXACT)
