"""Who is asking, and the audit trail of what they did: the app's gateway to `accounts` and `audit`.

`Identity` holds the state's DynamoDB client, its records table (users, tokens, throttle counters live
there) and its audit table, and the clock; views reach it through `current_identity()` and never see
boto3. `audit_event()` appends one entry for the request being served (who, request id, UTC time).
AWS failures become `StorageError` (503), like the records' storage: a request that cannot be audited
does not go on as if it had been.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from flask import current_app, g

from humangov import accounts, audit, schema, sessions
from humangov.aws_errors import aws_errors
from humangov.config import Settings
from humangov.dynamo_storage import client_config, shared_session
from humangov.storage import AuditPut

log = logging.getLogger(__name__)

EXTENSION_KEY = "humangov.identity"
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class Identity:
    def __init__(self, dynamodb: Any, state: str, clock: Clock = utc_now) -> None:
        self.dynamodb = dynamodb
        self.state = state
        self.table = schema.table_name(state)
        self.audit_table = schema.audit_table_name(state)
        self.clock = clock

    @classmethod
    def from_settings(cls, settings: Settings, clock: Clock = utc_now) -> Identity:
        """A client of its own (no AWS call here), from the storage's cached session and settings."""
        with shared_session(settings.aws_region) as session:
            dynamodb = session.client("dynamodb", endpoint_url=settings.endpoint_url, config=client_config())
        return cls(dynamodb, settings.us_state, clock)

    # --- users -----------------------------------------------------------------------------------------

    def authenticate(self, username: str, password: str) -> accounts.User:
        with aws_errors("sign-in"):
            return accounts.authenticate(self.dynamodb, self.table, username, password, now=self.clock)

    def user(self, username: str) -> accounts.User | None:
        with aws_errors("GetItem"):
            try:
                return accounts.get_user(self.dynamodb, self.table, username)
            except accounts.BadUsername:
                return None

    def user_for_token(self, token: str) -> tuple[accounts.User, accounts.TokenInfo] | None:
        with aws_errors("GetItem"):
            return accounts.user_for_token(self.dynamodb, self.table, token)

    def call(self, operation: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Any other accounts function on this state's table (add_user, set_role, ...), with AWS errors
        as StorageError; the function's own refusals (AccountError) pass through."""
        with aws_errors(operation.__name__):
            return operation(self.dynamodb, self.table, *args, **kwargs)

    # --- sessions --------------------------------------------------------------------------------------

    def start_session(self, username: str, stamp: str, audit: AuditPut | None = None) -> str:
        """A new session; with `audit` (a sign-in's), in one transaction with its entry."""
        if audit is None:
            with aws_errors("PutItem"):
                return sessions.start(self.dynamodb, self.table, username, stamp, now=self.clock)
        session_id, item = sessions.new_item(username, stamp, now=self.clock)
        put = {"TableName": self.table, "Item": item, **sessions.put_condition()}
        self._transact({"Put": put}, audit)
        return session_id

    def session(self, session_id: str) -> sessions.Session | None:
        with aws_errors("GetItem"):
            return sessions.current(self.dynamodb, self.table, session_id, now=self.clock)

    def set_notes(self, session_id: str, notes: list[str]) -> None:
        with aws_errors("UpdateItem"):
            sessions.set_notes(self.dynamodb, self.table, session_id, notes)

    def end_session(self, session_id: str, audit: AuditPut | None = None) -> None:
        """End a session; with `audit` (a sign-out's), in one transaction with its entry."""
        if audit is None:
            with aws_errors("DeleteItem"):
                sessions.end(self.dynamodb, self.table, session_id)
            return
        self._transact({"Delete": {"TableName": self.table, "Key": sessions.item_key(session_id)}}, audit)

    def _transact(self, change: dict[str, Any], audit: AuditPut) -> None:
        with aws_errors("TransactWriteItems"):
            self.dynamodb.transact_write_items(TransactItems=[change, {"Put": audit}])
        item = audit["Item"]
        log.info(
            "audit %s by %s on %r request_id=%s",
            item["action"]["S"],
            item[schema.AUDIT_USER_ATTR]["S"],
            item["target"]["S"],
            item["request_id"]["S"],
        )

    # --- the audit trail -------------------------------------------------------------------------------

    def append(self, **entry: Any) -> audit.Entry:
        with aws_errors("PutItem"):
            return audit.append(self.dynamodb, self.audit_table, now=self.clock, **entry)

    def audit_page(self, **filters: Any) -> audit.AuditPage:
        with aws_errors("Query"):
            return audit.query(self.dynamodb, self.audit_table, **filters)


def current_identity() -> Identity:
    identity: Identity = current_app.extensions[EXTENSION_KEY]
    return identity


def audit_put(
    action: str, target: str = "", details: dict[str, Any] | None = None, who: str = ""
) -> AuditPut:
    """The audit entry of `action` for the request being served, unwritten: the PutItem arguments that a
    transaction writes with the change it records (storage, sessions)."""
    actor = who or (g.user.username if g.get("user") else "anonymous")
    identity = current_identity()
    _, put = audit.prepare(
        identity.audit_table,
        who=actor,
        action=action,
        target=target,
        request_id=g.get("request_id", ""),
        details=details or {},
        now=identity.clock,
    )
    return put


def audit_event(action: str, target: str = "", details: dict[str, Any] | None = None, who: str = "") -> None:
    """Record `action` for the request being served: by `who` (default: the signed-in user)."""
    actor = who or (g.user.username if g.get("user") else "anonymous")
    request_id = g.get("request_id", "")
    current_identity().append(
        who=actor, action=action, target=target, request_id=request_id, details=details or {}
    )
    log.info("audit %s by %s on %r request_id=%s", action, actor, target, request_id)
