"""`humangov users add|list|set-role|reset-password|remove|token|revoke-token --state S`: a state's users.

On either platform (`--platform local|aws`, with `--endpoint-url` for an AWS emulator), through the
platform's data clients; every change lands in the state's audit trail as `cli:<os user>`.
A generated one-time password, or a new API token, is printed once and never stored in the clear.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from humangov_deploy.commands.deploy import open_platform
from humangov_deploy.errors import ConfigError
from humangov_deploy.platforms import PLATFORMS
from humangov_deploy.users import UserAdmin, accounts

DEFAULT_PLATFORM = "local"

ACTIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    # action: (help, its own options)
    "add": (
        "add a user with a role (prints a one-time password unless --password-stdin)",
        ("user", "role", "pw"),
    ),
    "list": ("list the state's users, their roles and token ids", ()),
    "set-role": ("change a user's role", ("user", "role")),
    "reset-password": ("give a user a new one-time password (or --password-stdin)", ("user", "pw")),
    "remove": ("remove a user and every token of theirs", ("user",)),
    "token": ("make a personal API token for a user (shown once, stored hashed)", ("user",)),
    "revoke-token": ("revoke an API token by its id (as `users list` and `users token` show it)", ("token",)),
}


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser("users", help="manage a state's users, roles and API tokens")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    for action, (text, options) in ACTIONS.items():
        sub = actions.add_parser(action, help=text, parents=[common])
        sub.add_argument("--state", required=True, help="US state slug, such as california or new-york")
        sub.add_argument(
            "--platform",
            choices=sorted(PLATFORMS),
            default=DEFAULT_PLATFORM,
            help=f"where the state runs (default: {DEFAULT_PLATFORM})",
        )
        sub.add_argument("--json", action="store_true", help="print JSON on stdout instead of text")
        if "user" in options:
            sub.add_argument("--username", required=True, help="the user's name (lower-case)")
        if "role" in options:
            sub.add_argument("--role", required=True, help=f"one of {', '.join(accounts().ROLES)}")
        if "pw" in options:
            sub.add_argument(
                "--password-stdin",
                action="store_true",
                help="read the password from stdin (first line) instead of generating a one-time one",
            )
        if "token" in options:
            sub.add_argument(
                "--token-id", required=True, help="the token's id, or a unique prefix (6+ chars)"
            )
        sub.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    admin = UserAdmin.for_platform(open_platform(args), args.state)
    out: dict[str, Any]
    if args.action == "list":
        users = admin.list()
        if args.json:
            print(json.dumps({"state": admin.state, "users": [_user_json(u) for u in users]}, indent=2))
        else:
            _print_users(admin.state, users)
        return 0
    if args.action == "add":
        user, one_time = admin.add(args.username, args.role, password=_stdin_password(args))
        out = {**_user_json(user), "one_time_password": one_time}
        text = f"added {user.username} ({user.role}) to {admin.state}" + _one_time_text(one_time)
    elif args.action == "set-role":
        user = admin.set_role(args.username, args.role)
        out, text = _user_json(user), f"{user.username} is now {user.role} in {admin.state}"
    elif args.action == "reset-password":
        user, one_time = admin.reset_password(args.username, password=_stdin_password(args))
        out = {**_user_json(user), "one_time_password": one_time}
        text = f"new password for {user.username} in {admin.state}" + _one_time_text(one_time)
    elif args.action == "remove":
        user = admin.remove(args.username)
        out, text = _user_json(user), f"removed {user.username} from {admin.state}"
    elif args.action == "token":
        info, token = admin.create_token(args.username)
        out = {"username": info.username, "token_id": info.token_id, "token": token}
        text = (
            f"API token {info.token_id} for {info.username} in {admin.state} (shown once; "
            f"send it as 'Authorization: Bearer <token>'):\n{token}"
        )
    else:  # revoke-token
        info = admin.revoke_token(args.token_id)
        out = {"username": info.username, "token_id": info.token_id, "revoked": True}
        text = f"revoked token {info.token_id} of {info.username} in {admin.state}"
    print(json.dumps(out) if args.json else text)
    return 0


def _stdin_password(args: argparse.Namespace) -> str | None:
    if not args.password_stdin:
        return None
    line = sys.stdin.readline().rstrip("\r\n")
    if not line:
        raise ConfigError("--password-stdin: no password on stdin")
    return line


def _one_time_text(one_time: str | None) -> str:
    if one_time is None:
        return ""
    return f"\none-time password (shown once; it must be changed at first sign-in): {one_time}"


def _user_json(user: Any) -> dict[str, Any]:
    return {
        "username": user.username,
        "role": user.role,
        "must_change_password": user.must_change,
        "created_at": user.created_at.isoformat(),
        "updated_at": user.updated_at.isoformat(),
        "tokens": [{"id": t.token_id, "created_at": t.created_at.isoformat()} for t in user.tokens],
    }


def _print_users(state: str, users: list[Any]) -> None:
    if not users:
        print(f"{state} has no users (add one: humangov users add --state {state} --username U --role admin)")
        return
    width = max(len(u.username) for u in users)
    print(f"{'USERNAME':<{width}}  ROLE    MUST-CHANGE  TOKENS")
    for u in users:
        tokens = ", ".join(t.token_id for t in u.tokens) or "-"
        print(f"{u.username:<{width}}  {u.role:<6}  {'yes' if u.must_change else 'no':<11}  {tokens}")
