"""Users, roles, passwords, personal API tokens and the sign-in throttle of one state, in its records table:
one name for what the modules below hold, so callers (the app, `humangov users`) need not know the split.

- account_errors.py: the refusals, `AccountError` and its subclasses (a message fit for a user);
- passwords.py: `check_password`, `hash_password`, `verify_password`, `one_time_password` (scrypt);
- user_store.py: `ROLES`, `check_role`, `role_allows`, `check_username`, `User`, `TokenInfo`, and
  `add_user`, `get_user`, `list_users`, `set_role`, `reset_password`, `set_password`, `remove_user`;
- tokens.py: `create_token`, `revoke_token`, `user_for_token`;
- throttle.py: `authenticate` (throttle + verify; `Throttled` carries `retry_after` seconds);
- account_items.py: what they share about items and time.

Shared by the app (sign-in, role checks, token auth) and the deploy library (`humangov users`), so these
modules import only the standard library and their siblings (relative imports): the library loads this
file by path, as a member of a package holding the app's stdlib modules (humangov_deploy/users.py), with
flask and the app's `__init__` never imported. Every function takes a low-level boto3 DynamoDB *client*
and the records table's name (`schema.table_name(state)`), and `now` (a datetime, or a callable giving
one) so tests inject time.

Key space (schema.py): `user#<username>` (role, scrypt hash, must-change flag, token ids),
`token#<sha256 hex of the token>` (whose token it is), `throttle#<username>` (recent failed sign-ins,
with a TTL).
"""

from __future__ import annotations

# The modules themselves too, for what patches a module-level name (tests: `accounts.throttle`).
from . import account_items, passwords, throttle, tokens, user_store
from .account_errors import (
    AccountError,
    BadCredentials,
    BadRole,
    BadUsername,
    Conflict,
    LastAdmin,
    Throttled,
    UnknownToken,
    UnknownUser,
    UserExists,
    WeakPassword,
)
from .account_items import UPDATE_TRIES, Now
from .passwords import (
    KEY_BYTES,
    MAX_PASSWORD_CHARS,
    MIN_PASSWORD_CHARS,
    SALT_BYTES,
    SCRYPT_MAX_N,
    SCRYPT_N,
    SCRYPT_P,
    SCRYPT_R,
    check_password,
    dummy_hash,
    hash_password,
    one_time_password,
    verify_password,
)
from .throttle import THROTTLE_FAILURES, THROTTLE_WINDOW_SECONDS, authenticate
from .tokens import TOKEN_ID_CHARS, TOKEN_PREFIX, create_token, revoke_token, user_for_token
from .user_store import (
    RESERVED_USERNAMES,
    ROLES,
    USERNAME_PATTERN,
    TokenInfo,
    User,
    add_user,
    check_role,
    check_username,
    get_user,
    list_users,
    remove_user,
    reset_password,
    role_allows,
    set_password,
    set_role,
)

__all__ = [
    "KEY_BYTES",
    "MAX_PASSWORD_CHARS",
    "MIN_PASSWORD_CHARS",
    "RESERVED_USERNAMES",
    "ROLES",
    "SALT_BYTES",
    "SCRYPT_MAX_N",
    "SCRYPT_N",
    "SCRYPT_P",
    "SCRYPT_R",
    "THROTTLE_FAILURES",
    "THROTTLE_WINDOW_SECONDS",
    "TOKEN_ID_CHARS",
    "TOKEN_PREFIX",
    "UPDATE_TRIES",
    "USERNAME_PATTERN",
    "AccountError",
    "BadCredentials",
    "BadRole",
    "BadUsername",
    "Conflict",
    "LastAdmin",
    "Now",
    "Throttled",
    "TokenInfo",
    "UnknownToken",
    "UnknownUser",
    "User",
    "UserExists",
    "WeakPassword",
    "account_items",
    "add_user",
    "authenticate",
    "check_password",
    "check_role",
    "check_username",
    "create_token",
    "dummy_hash",
    "get_user",
    "hash_password",
    "list_users",
    "one_time_password",
    "passwords",
    "remove_user",
    "reset_password",
    "revoke_token",
    "role_allows",
    "set_password",
    "set_role",
    "throttle",
    "tokens",
    "user_for_token",
    "user_store",
    "verify_password",
]
