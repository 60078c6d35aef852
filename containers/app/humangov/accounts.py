"""Users, roles, passwords, personal API tokens and the sign-in throttle of one state, in its records table.

Shared by the app (sign-in, role checks, token auth) and the deploy library (`humangov users`), so it
imports only the standard library and `schema`; every function takes a low-level boto3 DynamoDB *client*
and the records table's name (`schema.table_name(state)`), and `now` (a datetime, or a callable giving
one) so tests inject time. The library loads this file by path (humangov_deploy/users.py).

Key space (schema.py): `user#<username>` (role, scrypt hash, must-change flag, token ids),
`token#<sha256 hex of the token>` (whose token it is), `throttle#<username>` (recent failed sign-ins,
with a TTL). A token is shown once, when made; only its SHA-256 is stored (a token carries 256 random
bits, so a fast hash is enough: there is nothing to brute-force). The user item is the authority on its
tokens: a token whose id is no longer listed on its user is refused, whatever is left of its item.

API (each raises an `AccountError` subclass with a message fit for a user):
- roles: `ROLES`, `check_role`, `role_allows(have, need)`
- rules: `check_username`, `check_password`, `hash_password`, `verify_password`, `one_time_password`
- users: `add_user`, `get_user`, `list_users`, `set_role`, `reset_password`, `set_password`, `remove_user`
- tokens: `create_token`, `revoke_token`, `user_for_token`
- sign-in: `authenticate` (throttle + verify; `Throttled` carries `retry_after` seconds)
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

from . import schema

Now = datetime | Callable[[], datetime]

ROLES: tuple[str, ...] = ("viewer", "editor", "admin")  # each role can do everything the one before can
RESERVED_USERNAMES = frozenset({"anonymous"})  # the audit trail's name for nobody
USERNAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9._-]{2,63}")
MIN_PASSWORD_CHARS = 12
MAX_PASSWORD_CHARS = 1024  # hashing cost grows with the input: refuse novels

# scrypt (https://docs.python.org/3/library/hashlib.html#hashlib.scrypt): N=2**15, r=8, p=1 uses 32 MiB
# and took 0.2 s per hash on a loaded 2-core build machine (N=2**14: 0.1 s). The parameters are stored in
# each hash, so raising them later keeps old hashes verifiable.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1
SCRYPT_MAX_N = 2**20  # never run a stored hash with a larger cost than this
SALT_BYTES, KEY_BYTES = 16, 32

THROTTLE_FAILURES = 5  # failed sign-ins of one username...
THROTTLE_WINDOW_SECONDS = 15 * 60  # ...within this many seconds refuse further attempts until it passes
UPDATE_TRIES = 8  # optimistic writes retried when another task wrote the item in between

TOKEN_PREFIX = "hgv_"
TOKEN_ID_CHARS = 12  # of the token's SHA-256 hex: how `users list` and `revoke-token` name a token


class AccountError(Exception):
    """Any refusal of this module; the message is safe to show (it never holds a password or token)."""


class BadUsername(AccountError):
    pass


class BadRole(AccountError):
    pass


class WeakPassword(AccountError):
    pass


class UnknownUser(AccountError):
    pass


class UserExists(AccountError):
    pass


class UnknownToken(AccountError):
    pass


class BadCredentials(AccountError):
    """Wrong password or unknown user: one class and one message for both, on purpose."""

    def __init__(self) -> None:
        super().__init__("wrong username or password")


class Throttled(AccountError):
    def __init__(self, retry_after: float) -> None:
        self.retry_after = max(0.0, retry_after)
        super().__init__(f"too many failed sign-ins; try again in {int(self.retry_after) + 1} seconds")


class Conflict(AccountError):
    """Other writers kept changing the same item; nothing was changed."""


@dataclass(frozen=True)
class TokenInfo:
    token_id: str
    username: str
    created_at: datetime


@dataclass(frozen=True)
class User:
    username: str
    role: str
    must_change: bool  # a one-time password was set: the user must choose their own at next sign-in
    created_at: datetime
    updated_at: datetime
    tokens: tuple[TokenInfo, ...] = ()

    def can(self, need: str) -> bool:
        return role_allows(self.role, need)


# --- rules ----------------------------------------------------------------------------------------------


def check_role(role: str) -> str:
    if role not in ROLES:
        raise BadRole(f"unknown role {role!r}; choose one of {', '.join(ROLES)}")
    return role


def role_allows(have: str, need: str) -> bool:
    """Whether role `have` may do what `need` may (viewer < editor < admin); unknown roles may nothing."""
    return have in ROLES and ROLES.index(have) >= ROLES.index(check_role(need))


def check_username(username: str) -> str:
    """The canonical (lower-case) username, or BadUsername."""
    name = username.strip().lower()
    if not USERNAME_PATTERN.fullmatch(name) or name in RESERVED_USERNAMES:
        raise BadUsername(
            f"bad username {username[:80]!r}: 3 to 64 characters, lower-case letters, digits, '.', '_' "
            "or '-', starting with a letter or digit (and not 'anonymous')"
        )
    return name


def check_password(password: str, username: str = "") -> None:
    if len(password) < MIN_PASSWORD_CHARS:
        raise WeakPassword(f"password too short: at least {MIN_PASSWORD_CHARS} characters")
    if len(password) > MAX_PASSWORD_CHARS:
        raise WeakPassword(f"password too long: at most {MAX_PASSWORD_CHARS} characters")
    if not password.strip() or (username and password.strip().lower() == username.lower()):
        raise WeakPassword("password too weak: not blank, not the username")


def one_time_password() -> str:
    """20 URL-safe characters (120 random bits): given once by an admin, changed at first sign-in."""
    return secrets.token_urlsafe(15)


def hash_password(password: str, *, n: int = SCRYPT_N, r: int = SCRYPT_R, p: int = SCRYPT_P) -> str:
    """`scrypt$n=..,r=..,p=..$<salt>$<key>` with a random salt (base64)."""
    salt = secrets.token_bytes(SALT_BYTES)
    key = _scrypt(password, salt, n, r, p)
    return f"scrypt$n={n},r={r},p={p}${_b64(salt)}${_b64(key)}"


def verify_password(password: str, stored: str) -> bool:
    """Constant-time comparison of the derived key; a malformed stored hash never matches."""
    try:
        scheme, params, salt, key = stored.split("$")
        cost = dict(part.split("=", 1) for part in params.split(","))
        n, r, p = int(cost["n"]), int(cost["r"]), int(cost["p"])
        expected = base64.b64decode(key, validate=True)
        salt_bytes = base64.b64decode(salt, validate=True)
    except (ValueError, KeyError):
        return False
    if scheme != "scrypt" or not (1 < n <= SCRYPT_MAX_N and 0 < r <= 32 and 0 < p <= 16):
        return False
    return hmac.compare_digest(_scrypt(password, salt_bytes, n, r, p, len(expected)), expected)


@cache
def dummy_hash() -> str:
    """A hash no password matches; verified for unknown users so they take as long as known ones."""
    return hash_password(secrets.token_urlsafe(32))


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int, dklen: int = KEY_BYTES) -> bytes:
    # scrypt needs 128 * n * r bytes; OpenSSL's default cap (32 MiB) is too tight for n=2**15.
    maxmem = 128 * n * r + 8 * 1024 * 1024
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=maxmem, dklen=dklen)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


# --- users ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Stored:
    user: User
    password_hash: str
    token_hashes: dict[str, str]  # token id -> SHA-256 hex
    rev: int


def add_user(
    dynamodb: Any, table: str, username: str, role: str, *, password: str | None = None, now: Now
) -> tuple[User, str | None]:
    """Create the user. Without `password`, a one-time password is made, returned (once) and flagged
    must-change; returns (user, that one-time password or None)."""
    name = check_username(username)
    check_role(role)
    one_time = None
    if password is None:
        password = one_time = one_time_password()
    check_password(password, name)
    at = _at(now)
    user = User(name, role, must_change=one_time is not None, created_at=at, updated_at=at)
    stored = _Stored(user, hash_password(password), {}, rev=0)
    if not _write(dynamodb, table, stored, expected_rev=None):
        raise UserExists(f"user {name} exists")
    return user, one_time


def get_user(dynamodb: Any, table: str, username: str) -> User | None:
    stored = _read(dynamodb, table, username)
    return stored.user if stored else None


def list_users(dynamodb: Any, table: str) -> list[User]:
    """Every user, by name: one Query of the by_name index's user partition per 1 MB page."""
    users: list[User] = []
    kwargs: dict[str, Any] = {
        "TableName": table,
        "IndexName": schema.BY_NAME_INDEX,
        "KeyConditionExpression": "#p = :p",
        "ExpressionAttributeNames": {"#p": schema.LIST_PARTITION_ATTR},
        "ExpressionAttributeValues": {":p": {"S": schema.USER_LIST_PARTITION}},
    }
    while True:
        answer = dynamodb.query(**kwargs)
        users += [_from_item(item).user for item in answer.get("Items", [])]
        if not answer.get("LastEvaluatedKey"):
            return users
        kwargs["ExclusiveStartKey"] = answer["LastEvaluatedKey"]


def set_role(dynamodb: Any, table: str, username: str, role: str, *, now: Now) -> User:
    check_role(role)
    return _update(dynamodb, table, username, now, {"role": role})[0]


def reset_password(
    dynamodb: Any, table: str, username: str, *, password: str | None = None, now: Now
) -> tuple[User, str | None]:
    """An admin's reset: like `add_user`, a one-time password (must change) unless one is given."""
    one_time = None
    if password is None:
        password = one_time = one_time_password()
    check_password(password, username.strip().lower())
    new_hash = hash_password(password)
    user, _ = _update(dynamodb, table, username, now, {"must_change": one_time is not None, "hash": new_hash})
    return user, one_time


def set_password(dynamodb: Any, table: str, username: str, password: str, *, now: Now) -> User:
    """The user's own new password (after `authenticate`): clears must-change; must differ from the old."""
    check_password(password, username.strip().lower())
    stored = _read(dynamodb, table, username)
    if stored and verify_password(password, stored.password_hash):
        raise WeakPassword("choose a password different from the current one")
    new_hash = hash_password(password)
    return _update(dynamodb, table, username, now, {"must_change": False, "hash": new_hash})[0]


def remove_user(dynamodb: Any, table: str, username: str) -> User:
    """Delete the user and every token of theirs."""
    stored = _read(dynamodb, table, username)
    if stored is None:
        raise UnknownUser(f"no user {check_username(username)}")
    for token_hash in stored.token_hashes.values():
        dynamodb.delete_item(TableName=table, Key=_key(schema.TOKEN_PREFIX + token_hash))
    dynamodb.delete_item(TableName=table, Key=_key(schema.USER_PREFIX + stored.user.username))
    return stored.user


# --- tokens ---------------------------------------------------------------------------------------------


def create_token(dynamodb: Any, table: str, username: str, *, now: Now) -> tuple[TokenInfo, str]:
    """A new personal API token: (its info, the token itself: shown once, never stored)."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    digest = _digest(token)
    name = check_username(username)
    info = TokenInfo(digest[:TOKEN_ID_CHARS], name, _at(now))
    if _read(dynamodb, table, name) is None:
        raise UnknownUser(f"no user {name}")
    item = {
        schema.HASH_KEY: {"S": schema.TOKEN_PREFIX + digest},
        "username": {"S": name},
        "token_id": {"S": info.token_id},
        "created_at": {"S": _iso(info.created_at)},
    }
    dynamodb.put_item(
        TableName=table,
        Item=item,
        ConditionExpression="attribute_not_exists(#k)",
        ExpressionAttributeNames={"#k": schema.HASH_KEY},
    )
    try:
        _update(dynamodb, table, name, now, {"add_token": (info, digest)})
    except AccountError:
        dynamodb.delete_item(TableName=table, Key=_key(schema.TOKEN_PREFIX + digest))
        raise
    return info, token


def revoke_token(dynamodb: Any, table: str, token_id: str, *, now: Now) -> TokenInfo:
    """Revoke a token by its id (or a unique prefix of at least 6 characters, as `users list` shows)."""
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
    _, stored = _update(dynamodb, table, info.username, now, {"drop_token": info.token_id})
    digest = stored.token_hashes.get(info.token_id)
    if digest:
        dynamodb.delete_item(TableName=table, Key=_key(schema.TOKEN_PREFIX + digest))
    return info


def user_for_token(dynamodb: Any, table: str, token: str) -> tuple[User, TokenInfo] | None:
    """The user a presented token belongs to (and the token's info), or None (unknown or revoked)."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    digest = _digest(token)
    answer = dynamodb.get_item(
        TableName=table, Key=_key(schema.TOKEN_PREFIX + digest), ConsistentRead=True
    ).get("Item")
    if not answer:
        return None
    stored = _read(dynamodb, table, answer["username"]["S"])
    if stored is None or not hmac.compare_digest(
        stored.token_hashes.get(digest[:TOKEN_ID_CHARS], ""), digest
    ):
        return None
    info = next(t for t in stored.user.tokens if t.token_id == digest[:TOKEN_ID_CHARS])
    return stored.user, info


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


# --- sign-in and its throttle ---------------------------------------------------------------------------


def authenticate(dynamodb: Any, table: str, username: str, password: str, *, now: Now) -> User:
    """The user if the password is theirs; else BadCredentials (after counting the failure), or Throttled
    once THROTTLE_FAILURES failures of this username fall within THROTTLE_WINDOW_SECONDS.

    Unknown usernames are counted and answered the same way, after verifying a dummy hash, so neither
    the message nor the time tells whether a username exists. The counter is in the table: every task
    of the state sees the same one.
    """
    at = _at(now).timestamp()
    key = _throttle_key(username)
    failures, rev = _failures(dynamodb, table, key, at)
    if len(failures) >= THROTTLE_FAILURES:
        raise Throttled(failures[-THROTTLE_FAILURES] + THROTTLE_WINDOW_SECONDS - at)
    try:
        stored = _read(dynamodb, table, username)
    except BadUsername:
        stored = None
    if stored is None:
        verify_password(password, dummy_hash())
    elif verify_password(password, stored.password_hash):
        if failures:
            dynamodb.delete_item(TableName=table, Key=_key(key))
        return stored.user
    _count_failure(dynamodb, table, key, at, failures, rev)
    raise BadCredentials()


def _throttle_key(username: str) -> str:
    try:
        name = check_username(username)
    except BadUsername:
        # Not a possible username: still counted (same answer), under a bounded key.
        name = "~" + hashlib.sha256(username.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return schema.THROTTLE_PREFIX + name


def _failures(dynamodb: Any, table: str, key: str, at: float) -> tuple[list[float], int | None]:
    item = dynamodb.get_item(TableName=table, Key=_key(key), ConsistentRead=True).get("Item")
    if not item:
        return [], None
    recent = [t for t in json.loads(item["failures"]["S"]) if at - t < THROTTLE_WINDOW_SECONDS]
    return sorted(recent), int(item["rev"]["N"])


def _count_failure(
    dynamodb: Any, table: str, key: str, at: float, failures: list[float], rev: int | None
) -> None:
    for _ in range(UPDATE_TRIES):
        kept = [*failures, at][-THROTTLE_FAILURES:]
        item = {
            schema.HASH_KEY: {"S": key},
            "failures": {"S": json.dumps(kept)},
            "rev": {"N": str((rev or 0) + 1)},
            # DynamoDB removes the item some time after this (TTL), by then it counts nothing anyway.
            schema.TTL_ATTR: {"N": str(int(at + THROTTLE_WINDOW_SECONDS) + 60)},
        }
        if _conditional_put(dynamodb, table, item, rev):
            return
        failures, rev = _failures(dynamodb, table, key, at)  # another task counted one: count on top
    raise Conflict("sign-in counter kept changing; try again")


# --- items ----------------------------------------------------------------------------------------------


def _at(now: Now) -> datetime:
    at = now if isinstance(now, datetime) else now()
    return at.astimezone(UTC) if at.tzinfo else at.replace(tzinfo=UTC)


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _key(key: str) -> dict[str, Any]:
    return {schema.HASH_KEY: {"S": key}}


def _read(dynamodb: Any, table: str, username: str) -> _Stored | None:
    name = check_username(username)
    item = dynamodb.get_item(TableName=table, Key=_key(schema.USER_PREFIX + name), ConsistentRead=True).get(
        "Item"
    )
    return _from_item(item) if item else None


def _from_item(item: dict[str, Any]) -> _Stored:
    name = item["username"]["S"]
    tokens = json.loads(item["tokens"]["S"])
    user = User(
        username=name,
        role=item["role"]["S"],
        must_change=bool(item["must_change"]["BOOL"]),
        created_at=_parse(item["created_at"]["S"]),
        updated_at=_parse(item["updated_at"]["S"]),
        tokens=tuple(TokenInfo(t["id"], name, _parse(t["created_at"])) for t in tokens),
    )
    return _Stored(
        user, item["password_hash"]["S"], {t["id"]: t["hash"] for t in tokens}, int(item["rev"]["N"])
    )


def _to_item(stored: _Stored) -> dict[str, Any]:
    user = stored.user
    tokens = [
        {"id": t.token_id, "created_at": _iso(t.created_at), "hash": stored.token_hashes[t.token_id]}
        for t in user.tokens
    ]
    return {
        schema.HASH_KEY: {"S": schema.USER_PREFIX + user.username},
        schema.LIST_PARTITION_ATTR: {"S": schema.USER_LIST_PARTITION},
        schema.SORT_NAME_ATTR: {"S": user.username},
        "username": {"S": user.username},
        "role": {"S": user.role},
        "password_hash": {"S": stored.password_hash},
        "must_change": {"BOOL": user.must_change},
        "created_at": {"S": _iso(user.created_at)},
        "updated_at": {"S": _iso(user.updated_at)},
        "tokens": {"S": json.dumps(tokens)},
        "rev": {"N": str(stored.rev)},
    }


def _write(dynamodb: Any, table: str, stored: _Stored, *, expected_rev: int | None) -> bool:
    return _conditional_put(dynamodb, table, _to_item(stored), expected_rev)


def _conditional_put(dynamodb: Any, table: str, item: dict[str, Any], expected_rev: int | None) -> bool:
    """PutItem only if the item is absent (expected_rev None) or still at expected_rev; False if not."""
    if expected_rev is None:
        condition, values = "attribute_not_exists(#k)", {}
    else:
        condition, values = "#rev = :rev", {":rev": {"N": str(expected_rev)}}
    names = {"#k": schema.HASH_KEY} if expected_rev is None else {"#rev": "rev"}
    try:
        dynamodb.put_item(
            TableName=table,
            Item=item,
            ConditionExpression=condition,
            ExpressionAttributeNames=names,
            **({"ExpressionAttributeValues": values} if values else {}),
        )
    except Exception as exc:  # botocore's ClientError; this module imports no botocore
        if _error_code(exc) == "ConditionalCheckFailedException":
            return False
        raise
    return True


def _error_code(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    return str((response or {}).get("Error", {}).get("Code", "")) if isinstance(response, dict) else ""


def _update(
    dynamodb: Any, table: str, username: str, now: Now, edits: dict[str, Any]
) -> tuple[User, _Stored]:
    """Read, change, write back only if nobody wrote in between (the item's `rev`); retried."""
    name = check_username(username)
    for _ in range(UPDATE_TRIES):
        stored = _read(dynamodb, table, name)
        if stored is None:
            raise UnknownUser(f"no user {name}")
        new = _apply(stored, edits, _at(now))
        if _write(dynamodb, table, new, expected_rev=stored.rev):
            return new.user, stored
    raise Conflict(f"user {name} kept changing; try again")


def _apply(stored: _Stored, edits: dict[str, Any], at: datetime) -> _Stored:
    user, hashes = stored.user, dict(stored.token_hashes)
    tokens = list(user.tokens)
    if "add_token" in edits:
        info, digest = edits["add_token"]
        tokens.append(info)
        hashes[info.token_id] = digest
    if "drop_token" in edits:
        tokens = [t for t in tokens if t.token_id != edits["drop_token"]]
        hashes.pop(edits["drop_token"], None)
    new_user = User(
        username=user.username,
        role=edits.get("role", user.role),
        must_change=edits.get("must_change", user.must_change),
        created_at=user.created_at,
        updated_at=at,
        tokens=tuple(tokens),
    )
    return _Stored(new_user, edits.get("hash", stored.password_hash), hashes, stored.rev + 1)
