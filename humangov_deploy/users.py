"""A state's users from the deploy library: the app's own `accounts.py` and `audit.py`, on the state's data.

`UserAdmin(clients, state)` (or `UserAdmin.for_platform(platform, state)`, through the platform's
`data_clients`, so it works the same on aws, on an AWS emulator and on the local platform) adds, lists,
changes and removes users and their API tokens, and appends each change to the state's audit trail as
`cli:<os user>` (or the `actor` given). `humangov users` and the harness (verify, live suites) use it.

The app's two modules are loaded from `containers/app/humangov/` by path, as members of a package that
holds only the app's stdlib files (their `from . import schema` finds schema.py there), so neither flask
nor the app's `__init__` is imported.
"""

from __future__ import annotations

import getpass
import importlib
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache
from types import ModuleType
from typing import Any

from botocore.exceptions import ClientError

from humangov_deploy import appsrc
from humangov_deploy.aws.call import error_code, error_message
from humangov_deploy.clients import AwsClients
from humangov_deploy.errors import AwsCallError, ConfigError
from humangov_deploy.platforms.base import Platform

__all__ = ["UserAdmin", "accounts", "audit", "cli_actor"]

APP_PACKAGE = "_humangov_app_pkg"


@cache
def app_module(name: str) -> ModuleType:
    """`accounts` or `audit` (or `schema`), loaded from the app's source without running its __init__."""
    if APP_PACKAGE not in sys.modules:
        package = ModuleType(APP_PACKAGE)
        package.__path__ = [str(appsrc.APP_DIR / "humangov")]
        sys.modules[APP_PACKAGE] = package
    return importlib.import_module(f"{APP_PACKAGE}.{name}")


def accounts() -> Any:
    return app_module("accounts")


def audit() -> Any:
    return app_module("audit")


def cli_actor() -> str:
    """Who the audit trail names for a change made through the CLI."""
    try:
        user = getpass.getuser()
    except (OSError, KeyError):  # no login name (a container without /etc/passwd entry)
        user = "unknown"
    return f"cli:{user}"


class UserAdmin:
    """User administration of one state; every change is audited. Errors are ConfigError/AwsCallError."""

    def __init__(
        self,
        clients: AwsClients,
        state: str,
        *,
        actor: str | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.state = appsrc.validate_state(state)
        self.dynamodb = clients.dynamodb
        self.table = appsrc.schema().table_name(self.state)
        self.audit_table = appsrc.schema().audit_table_name(self.state)
        self.actor = actor or cli_actor()
        self.now = now
        self._checked = False

    @classmethod
    def for_platform(cls, platform: Platform, state: str, **kwargs: Any) -> UserAdmin:
        state = appsrc.validate_state(state)
        return cls(platform.data_clients(state), state, **kwargs)

    # --- the operations ----------------------------------------------------------------------------

    def add(self, username: str, role: str, *, password: str | None = None) -> tuple[Any, str | None]:
        """(the new user, the one-time password or None when `password` was given)."""
        user, one_time = self._call(
            lambda: accounts().add_user(
                self.dynamodb, self.table, username, role, password=password, now=self.now
            )
        )
        self._audit("user.add", user.username, {"role": role, "one_time_password": one_time is not None})
        return user, one_time

    def list(self) -> list[Any]:
        return list(self._call(lambda: accounts().list_users(self.dynamodb, self.table)))

    def get(self, username: str) -> Any:
        user = self._call(lambda: accounts().get_user(self.dynamodb, self.table, username))
        if user is None:
            raise ConfigError(f"{self.state}: no user {username.strip().lower()}")
        return user

    def set_role(self, username: str, role: str) -> Any:
        old = self.get(username)
        user = self._call(
            lambda: accounts().set_role(self.dynamodb, self.table, username, role, now=self.now)
        )
        self._audit("user.set_role", user.username, {"role": {"old": old.role, "new": role}})
        return user

    def reset_password(self, username: str, *, password: str | None = None) -> tuple[Any, str | None]:
        user, one_time = self._call(
            lambda: accounts().reset_password(
                self.dynamodb, self.table, username, password=password, now=self.now
            )
        )
        self._audit("user.reset_password", user.username, {"one_time_password": one_time is not None})
        return user, one_time

    def remove(self, username: str) -> Any:
        user = self._call(lambda: accounts().remove_user(self.dynamodb, self.table, username))
        self._audit("user.remove", user.username, {"role": user.role, "tokens": len(user.tokens)})
        return user

    def create_token(self, username: str) -> tuple[Any, str]:
        """(the token's info, the token: shown once, stored only as its SHA-256)."""
        info, token = self._call(
            lambda: accounts().create_token(self.dynamodb, self.table, username, now=self.now)
        )
        self._audit("user.token_create", info.username, {"token_id": info.token_id})
        return info, token

    def revoke_token(self, token_id: str) -> Any:
        info = self._call(lambda: accounts().revoke_token(self.dynamodb, self.table, token_id, now=self.now))
        self._audit("user.token_revoke", info.username, {"token_id": info.token_id})
        return info

    def audit_page(self, **filters: Any) -> Any:
        """One page of the state's audit trail (audit.query's arguments), newest first."""
        return self._call(lambda: audit().query(self.dynamodb, self.audit_table, **filters))

    # --- plumbing ----------------------------------------------------------------------------------

    def check_deployed(self) -> None:
        """ConfigError unless the state's records table and audit table both exist (checked once), so
        no change is made that could not be audited."""
        if self._checked:
            return
        for table, hint in (
            (self.table, "deploy it (or `humangov data create`) first"),
            (self.audit_table, "deploy it again (or `humangov data create`) to add its audit trail"),
        ):
            try:
                self.dynamodb.describe_table(TableName=table)
            except ClientError as exc:
                if error_code(exc) != "ResourceNotFoundException":
                    raise AwsCallError(
                        "dynamodb", "DescribeTable", error_code(exc), error_message(exc)
                    ) from exc
                raise ConfigError(f"{self.state} is not deployed here: no table {table}; {hint}") from exc
        self._checked = True

    def _audit(self, action: str, target: str, details: dict[str, Any]) -> None:
        self._call(
            lambda: audit().append(
                self.dynamodb,
                self.audit_table,
                who=self.actor,
                action=action,
                target=target,
                details=details,
                now=self.now,
            )
        )

    def _call(self, call: Callable[[], Any]) -> Any:
        """Run an accounts/audit call on a deployed state: their refusals become ConfigError, AWS's
        errors AwsCallError."""
        self.check_deployed()
        try:
            return call()
        except accounts().AccountError as exc:
            raise ConfigError(f"{self.state}: {exc}") from exc
        except audit().BadQuery as exc:
            raise ConfigError(f"{self.state}: {exc}") from exc
        except ClientError as exc:
            operation = str(exc.operation_name) if hasattr(exc, "operation_name") else "call"
            raise AwsCallError("dynamodb", operation, error_code(exc), error_message(exc)) from exc
