"""Personal API tokens: `token#<sha256 hex of the token>` items naming their user, listed on the user item.

A token is shown once, when made; only its SHA-256 is stored (a token carries 256 random bits, so a fast
hash is enough: there is nothing to brute-force). The user item is the authority on its tokens: a token
whose id is no longer listed on its user is refused, whatever is left of its item.

Standard library only (the deploy library loads the accounts modules by path: accounts.py says why).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from typing import Any

from . import schema
from .account_errors import UnknownToken, UnknownUser
from .account_items import Now, at, iso, key
from .user_store import Audit, TokenInfo, User, check_username, list_users, read, update

TokenAudit = Callable[[TokenInfo], dict[str, Any]] | None  # like user_store.Audit, given the token's info

TOKEN_PREFIX = "hgv_"
TOKEN_ID_CHARS = 12  # of the token's SHA-256 hex: how `users list` and `revoke-token` name a token


def create_token(
    dynamodb: Any, table: str, username: str, *, now: Now, audit: TokenAudit = None
) -> tuple[TokenInfo, str]:
    """A new personal API token: (its info, the token itself: shown once, never stored). With `audit`
    (given the token's info: the audit entry's PutItem arguments), the user item's change that makes the
    token valid and its audit entry are one transaction."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    digest = _digest(token)
    name = check_username(username)
    info = TokenInfo(digest[:TOKEN_ID_CHARS], name, at(now))
    if read(dynamodb, table, name) is None:
        raise UnknownUser(f"no user {name}")
    item = {
        schema.HASH_KEY: {"S": schema.TOKEN_PREFIX + digest},
        "username": {"S": name},
        "token_id": {"S": info.token_id},
        "created_at": {"S": iso(info.created_at)},
    }
    dynamodb.put_item(
        TableName=table,
        Item=item,
        ConditionExpression="attribute_not_exists(#k)",
        ExpressionAttributeNames={"#k": schema.HASH_KEY},
    )
    try:
        update(dynamodb, table, name, now, {"add_token": (info, digest)}, _for(audit, info))
    except Exception:  # refused, or AWS failed (the audit entry's table too): no token item is left
        dynamodb.delete_item(TableName=table, Key=key(schema.TOKEN_PREFIX + digest))
        raise
    return info, token


def revoke_token(
    dynamodb: Any, table: str, token_id: str, *, now: Now, audit: TokenAudit = None
) -> TokenInfo:
    """Revoke a token by its id (or a unique prefix of at least 6 characters, as `users list` shows); with
    `audit`, as for create_token."""
    wanted = token_id.strip().lower()
    found = [
        t
        for u in list_users(dynamodb, table)
        for t in u.tokens
        if len(wanted) >= 6 and t.token_id.startswith(wanted)
    ]
    if len(found) != 1:
        raise UnknownToken(f"no single token with id {token_id[:40]!r}" + (" (ambiguous)" if found else ""))
    info = found[0]
    _, stored = update(dynamodb, table, info.username, now, {"drop_token": info.token_id}, _for(audit, info))
    digest = stored.token_hashes.get(info.token_id)
    if digest:
        dynamodb.delete_item(TableName=table, Key=key(schema.TOKEN_PREFIX + digest))
    return info


def user_for_token(dynamodb: Any, table: str, token: str) -> tuple[User, TokenInfo] | None:
    """The user a presented token belongs to (and the token's info), or None (unknown or revoked)."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    digest = _digest(token)
    answer = dynamodb.get_item(
        TableName=table, Key=key(schema.TOKEN_PREFIX + digest), ConsistentRead=True
    ).get("Item")
    if not answer:
        return None
    stored = read(dynamodb, table, answer["username"]["S"])
    if stored is None or not hmac.compare_digest(
        stored.token_hashes.get(digest[:TOKEN_ID_CHARS], ""), digest
    ):
        return None
    info = next(t for t in stored.user.tokens if t.token_id == digest[:TOKEN_ID_CHARS])
    return stored.user, info


def _for(audit: TokenAudit, info: TokenInfo) -> Audit:
    return None if audit is None else (lambda _user: audit(info))


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
