"""The users of one state and their roles, as items `user#<username>` of its records table.

Changes that make or unmake an admin are one transaction with the state's admin count (`meta#admins`),
which may not fall below one: two admins demoting each other at once leave one admin (LastAdmin).

A user item holds the role, the scrypt hash, the must-change flag, the ids and hashes of the user's API
tokens (tokens.py) and a revision `rev`: every change is a read, then a put only if `rev` is unchanged,
retried a few times, so concurrent admins never overwrite each other unseen.

Standard library only (the deploy library loads the accounts modules by path: accounts.py says why).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from . import schema
from .account_errors import (
    BadRole,
    BadUsername,
    Conflict,
    LastAdmin,
    UnknownUser,
    UserExists,
    WeakPassword,
)
from .account_items import UPDATE_TRIES, Now, at, error_code, iso, key, parse
from .passwords import check_password, hash_password, one_time_password, verify_password

ROLES: tuple[str, ...] = ("viewer", "editor", "admin")  # each role can do everything the one before can
ADMIN = "admin"  # a state keeps at least one, once it has one (the admin count, below)
RESERVED_USERNAMES = frozenset({"anonymous"})  # the audit trail's name for nobody
USERNAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9._-]{2,63}")


# Given the user as the change leaves it (as it was, for a removal): the audit entry's PutItem arguments
# (audit.prepare), written in one transaction with the change. None: the caller audits on its own.
Audit = Callable[["User"], dict[str, Any]] | None


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
    # Changes with the role or the password, and only then (not with tokens): a session keeps the stamp
    # it began with, and ends when the user's differs (sessions.py).
    session_stamp: str = ""

    def can(self, need: str) -> bool:
        return role_allows(self.role, need)


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


@dataclass(frozen=True)
class Stored:
    """A user item as read: the user, and what only this package sees (hashes, revision)."""

    user: User
    password_hash: str
    token_hashes: dict[str, str]  # token id -> SHA-256 hex
    rev: int


def add_user(
    dynamodb: Any,
    table: str,
    username: str,
    role: str,
    *,
    password: str | None = None,
    now: Now,
    audit: Audit = None,
) -> tuple[User, str | None]:
    """Create the user. Without `password`, a one-time password is made, returned (once) and flagged
    must-change; returns (user, that one-time password or None). With `audit` (given the user, the audit
    entry's PutItem arguments: audit.prepare), the user and its entry are one transaction."""
    name = check_username(username)
    check_role(role)
    one_time = None
    if password is None:
        password = one_time = one_time_password()
    check_password(password, name)
    moment = at(now)
    password_hash = hash_password(password)
    user = User(
        name,
        role,
        must_change=one_time is not None,
        created_at=moment,
        updated_at=moment,
        session_stamp=session_stamp(role, password_hash),
    )
    put = {"TableName": table, "Item": to_item(Stored(user, password_hash, {}, rev=0)), **_absent()}
    if not _write(dynamodb, table, {"Put": put}, delta=int(role == ADMIN), audit=audit, user=user):
        raise UserExists(f"user {name} exists")
    return user, one_time


def get_user(dynamodb: Any, table: str, username: str) -> User | None:
    stored = read(dynamodb, table, username)
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
        users += [from_item(item).user for item in answer.get("Items", [])]
        if not answer.get("LastEvaluatedKey"):
            return users
        kwargs["ExclusiveStartKey"] = answer["LastEvaluatedKey"]


def set_role(dynamodb: Any, table: str, username: str, role: str, *, now: Now, audit: Audit = None) -> User:
    check_role(role)
    return update(dynamodb, table, username, now, {"role": role}, audit)[0]


def reset_password(
    dynamodb: Any, table: str, username: str, *, password: str | None = None, now: Now, audit: Audit = None
) -> tuple[User, str | None]:
    """An admin's reset: like `add_user`, a one-time password (must change) unless one is given."""
    one_time = None
    if password is None:
        password = one_time = one_time_password()
    check_password(password, username.strip().lower())
    new_hash = hash_password(password)
    edits = {"must_change": one_time is not None, "hash": new_hash}
    user, _ = update(dynamodb, table, username, now, edits, audit)
    return user, one_time


def set_password(
    dynamodb: Any, table: str, username: str, password: str, *, now: Now, audit: Audit = None
) -> User:
    """The user's own new password (after `authenticate`): clears must-change; must differ from the old."""
    check_password(password, username.strip().lower())
    stored = read(dynamodb, table, username)
    if stored and verify_password(password, stored.password_hash):
        raise WeakPassword("choose a password different from the current one")
    new_hash = hash_password(password)
    return update(dynamodb, table, username, now, {"must_change": False, "hash": new_hash}, audit)[0]


def remove_user(dynamodb: Any, table: str, username: str, *, audit: Audit = None) -> User:
    """Delete the user (and its audit entry, given `audit`, in one transaction), then their tokens."""
    name = check_username(username)
    for _ in range(UPDATE_TRIES):
        stored = read(dynamodb, table, name)
        if stored is None:
            raise UnknownUser(f"no user {name}")
        delete = {"TableName": table, "Key": key(schema.USER_PREFIX + name), **_at_rev(stored.rev)}
        delta = -int(stored.user.role == ADMIN)
        if _write(dynamodb, table, {"Delete": delete}, delta=delta, audit=audit, user=stored.user):
            for token_hash in stored.token_hashes.values():
                dynamodb.delete_item(TableName=table, Key=key(schema.TOKEN_PREFIX + token_hash))
            return stored.user
    raise Conflict(f"user {name} kept changing; try again")


# --- items ----------------------------------------------------------------------------------------------


def read(dynamodb: Any, table: str, username: str) -> Stored | None:
    name = check_username(username)
    item = dynamodb.get_item(TableName=table, Key=key(schema.USER_PREFIX + name), ConsistentRead=True).get(
        "Item"
    )
    return from_item(item) if item else None


def from_item(item: dict[str, Any]) -> Stored:
    name = item["username"]["S"]
    tokens = json.loads(item["tokens"]["S"])
    user = User(
        username=name,
        role=item["role"]["S"],
        must_change=bool(item["must_change"]["BOOL"]),
        created_at=parse(item["created_at"]["S"]),
        updated_at=parse(item["updated_at"]["S"]),
        tokens=tuple(TokenInfo(t["id"], name, parse(t["created_at"])) for t in tokens),
        session_stamp=session_stamp(item["role"]["S"], item["password_hash"]["S"]),
    )
    return Stored(
        user, item["password_hash"]["S"], {t["id"]: t["hash"] for t in tokens}, int(item["rev"]["N"])
    )


def to_item(stored: Stored) -> dict[str, Any]:
    user = stored.user
    tokens = [
        {"id": t.token_id, "created_at": iso(t.created_at), "hash": stored.token_hashes[t.token_id]}
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
        "created_at": {"S": iso(user.created_at)},
        "updated_at": {"S": iso(user.updated_at)},
        "tokens": {"S": json.dumps(tokens)},
        "rev": {"N": str(stored.rev)},
    }


def update(
    dynamodb: Any, table: str, username: str, now: Now, edits: dict[str, Any], audit: Audit = None
) -> tuple[User, Stored]:
    """Read, change, write back only if nobody wrote in between (the item's `rev`); retried. With
    `audit`, the write and its audit entry are one transaction. Returns the new user and the item as it
    was before."""
    name = check_username(username)
    for _ in range(UPDATE_TRIES):
        stored = read(dynamodb, table, name)
        if stored is None:
            raise UnknownUser(f"no user {name}")
        new = _apply(stored, edits, at(now))
        delta = (new.user.role == ADMIN) - (stored.user.role == ADMIN)
        put = {"TableName": table, "Item": to_item(new), **_at_rev(stored.rev)}
        if _write(dynamodb, table, {"Put": put}, delta=delta, audit=audit, user=new.user):
            return new.user, stored
    raise Conflict(f"user {name} kept changing; try again")


def _apply(stored: Stored, edits: dict[str, Any], moment: datetime) -> Stored:
    user, hashes = stored.user, dict(stored.token_hashes)
    tokens = list(user.tokens)
    if "add_token" in edits:
        info, digest = edits["add_token"]
        tokens.append(info)
        hashes[info.token_id] = digest
    if "drop_token" in edits:
        tokens = [t for t in tokens if t.token_id != edits["drop_token"]]
        hashes.pop(edits["drop_token"], None)
    role, password_hash = edits.get("role", user.role), edits.get("hash", stored.password_hash)
    new_user = User(
        username=user.username,
        role=role,
        must_change=edits.get("must_change", user.must_change),
        created_at=user.created_at,
        updated_at=moment,
        tokens=tuple(tokens),
        session_stamp=session_stamp(role, password_hash),
    )
    return Stored(new_user, password_hash, hashes, stored.rev + 1)


def session_stamp(role: str, password_hash: str) -> str:
    """What a session is bound to: the role and the password (its salted hash), nothing else."""
    return hashlib.sha256(f"{role}\n{password_hash}".encode()).hexdigest()[:32]


# --- the last admin ---------------------------------------------------------------------------------------


def _write(
    dynamodb: Any, table: str, change: dict[str, Any], *, delta: int, audit: Audit, user: User
) -> bool:
    """A user item's Put or Delete (with its own condition): alone, or in one transaction with the admin
    count's update by `delta` (a decrease only while another admin is left, else LastAdmin) and with the
    audit entry `audit` gives for `user`. False when the change's own condition failed (the item changed
    meanwhile, or exists already)."""
    ((kind, request),) = change.items()
    if not delta and audit is None:
        try:
            (dynamodb.put_item if kind == "Put" else dynamodb.delete_item)(**request)
        except Exception as exc:  # botocore's ClientError; this module imports no botocore
            if error_code(exc) == "ConditionalCheckFailedException":
                return False
            raise
        return True
    items = [change]
    if delta:
        _ensure_admin_count(dynamodb, table)
        items.append({"Update": _admin_count_update(table, delta)})
    if audit is not None:
        items.append({"Put": audit(user)})
    try:
        dynamodb.transact_write_items(TransactItems=items)
    except Exception as exc:  # botocore's ClientError; this module imports no botocore
        reasons = [r.get("Code") for r in getattr(exc, "response", {}).get("CancellationReasons") or []]
        if error_code(exc) != "TransactionCanceledException" or len(reasons) != len(items):
            raise
        if reasons[0] in ("ConditionalCheckFailed", "TransactionConflict"):
            return False
        if delta and reasons[1] == "ConditionalCheckFailed":
            raise LastAdmin(user.username) from None
        raise
    return True


def _admin_count_update(table: str, delta: int) -> dict[str, Any]:
    update: dict[str, Any] = {
        "TableName": table,
        "Key": key(schema.ADMIN_COUNT_KEY),
        "UpdateExpression": "SET #c = #c + :d",
        "ExpressionAttributeNames": {"#c": "count"},
        "ExpressionAttributeValues": {":d": {"N": str(delta)}},
    }
    if delta < 0:
        update["ConditionExpression"] = "#c > :one"
        update["ExpressionAttributeValues"][":one"] = {"N": "1"}
    return update


def _ensure_admin_count(dynamodb: Any, table: str) -> None:
    """The admin count of a state that had admins before it was kept: counted once, written only if it
    is still absent (two first writers: one count wins, the other's transaction then uses it)."""
    found = dynamodb.get_item(TableName=table, Key=key(schema.ADMIN_COUNT_KEY), ConsistentRead=True)
    if "Item" in found:
        return
    admins = sum(1 for user in list_users(dynamodb, table) if user.role == ADMIN)
    item = {**key(schema.ADMIN_COUNT_KEY), "count": {"N": str(admins)}}
    try:
        dynamodb.put_item(TableName=table, Item=item, **_absent())
    except Exception as exc:
        if error_code(exc) != "ConditionalCheckFailedException":
            raise


def _absent() -> dict[str, Any]:
    return {
        "ConditionExpression": "attribute_not_exists(#k)",
        "ExpressionAttributeNames": {"#k": schema.HASH_KEY},
    }


def _at_rev(rev: int) -> dict[str, Any]:
    return {
        "ConditionExpression": "#rev = :rev",
        "ExpressionAttributeNames": {"#rev": "rev"},
        "ExpressionAttributeValues": {":rev": {"N": str(rev)}},
    }
