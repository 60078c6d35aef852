"""Admin pages: the state's users (add, role, password reset, remove, API tokens) and the audit trail
(/audit, and GET /api/audit as `{items, next}` like the employees API). Every change is written in one
transaction with its audit entry (the accounts functions' `audit`).

A one-time password or a new token is shown once, on the page that made it, and stored nowhere in
clear. An admin cannot remove or demote themselves here; nor can anyone (here or with `humangov users`)
remove or demote the state's last admin, atomically: of two admins demoting each other at once, one is
refused.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, g, jsonify, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from humangov import accounts, audit
from humangov.identity import audit_put, current_identity
from humangov.notices import notify
from humangov.responses import sentence
from humangov.signin import requires

bp = Blueprint("admin", __name__)
api_bp = Blueprint("audit_api", __name__, url_prefix="/api")

AUDIT_PAGE_SIZE = 50


def _users_page(**shown: Any) -> str:
    identity = current_identity()
    users = identity.call(accounts.list_users)
    return render_template("admin_users.html", users=users, roles=accounts.ROLES, **shown)


def _refuse(message: str) -> tuple[str, int]:
    notify(message)
    return _users_page(), 400


@bp.get("/admin/users")
@requires("admin")
def users() -> str:
    return _users_page()


@bp.post("/admin/users")
@requires("admin")
def add_user() -> str | tuple[str, int]:
    identity = current_identity()
    username, role = request.form.get("username", ""), request.form.get("role", "")
    try:
        user, one_time = identity.call(
            accounts.add_user,
            username,
            role,
            now=identity.clock,
            audit=lambda u: audit_put("user.add", u.username, {"role": u.role, "one_time_password": True}),
        )
    except accounts.AccountError as exc:
        return _refuse(sentence(str(exc)))
    return _users_page(secret=one_time, secret_for=user.username, secret_kind="one-time password")


@bp.post("/admin/users/<username>/role")
@requires("admin")
def set_role(username: str) -> Response | tuple[str, int]:
    identity = current_identity()
    old = identity.user(username) or abort(404)
    if old.username == g.user.username:
        return _refuse("You cannot change your own role here (the state could be left without an admin).")
    try:
        user = identity.call(
            accounts.set_role,
            username,
            request.form.get("role", ""),
            now=identity.clock,
            audit=lambda u: audit_put(
                "user.set_role", u.username, {"role": {"old": old.role, "new": u.role}}
            ),
        )
    except accounts.AccountError as exc:
        return _refuse(sentence(str(exc)))
    notify(f"{user.username} is now {user.role}.")
    return redirect(url_for("admin.users"), 302)


@bp.post("/admin/users/<username>/password")
@requires("admin")
def reset_password(username: str) -> str | tuple[str, int]:
    identity = current_identity()
    try:
        user, one_time = identity.call(
            accounts.reset_password,
            username,
            now=identity.clock,
            audit=lambda u: audit_put("user.reset_password", u.username, {"one_time_password": True}),
        )
    except accounts.UnknownUser:
        abort(404)
    except accounts.AccountError as exc:
        return _refuse(sentence(str(exc)))
    return _users_page(secret=one_time, secret_for=user.username, secret_kind="one-time password")


@bp.post("/admin/users/<username>/remove")
@requires("admin")
def remove_user(username: str) -> Response | tuple[str, int]:
    identity = current_identity()
    if (identity.user(username) or abort(404)).username == g.user.username:
        return _refuse("You cannot remove yourself.")
    try:
        user = identity.call(
            accounts.remove_user,
            username,
            audit=lambda u: audit_put("user.remove", u.username, {"role": u.role, "tokens": len(u.tokens)}),
        )
    except accounts.UnknownUser:
        abort(404)
    except accounts.AccountError as exc:  # LastAdmin: another admin was removed or demoted meanwhile
        return _refuse(sentence(str(exc)))
    notify(f"Removed {user.username}.")
    return redirect(url_for("admin.users"), 302)


@bp.post("/admin/users/<username>/tokens")
@requires("admin")
def create_token(username: str) -> str | tuple[str, int]:
    identity = current_identity()
    try:
        info, token = identity.call(
            accounts.create_token,
            username,
            now=identity.clock,
            audit=lambda t: audit_put("user.token_create", t.username, {"token_id": t.token_id}),
        )
    except accounts.UnknownUser:
        abort(404)
    return _users_page(secret=token, secret_for=info.username, secret_kind=f"API token {info.token_id}")


@bp.post("/admin/tokens/<token_id>/revoke")
@requires("admin")
def revoke_token(token_id: str) -> Response | tuple[str, int]:
    identity = current_identity()
    try:
        info = identity.call(
            accounts.revoke_token,
            token_id,
            now=identity.clock,
            audit=lambda t: audit_put("user.token_revoke", t.username, {"token_id": t.token_id}),
        )
    except accounts.UnknownToken:
        abort(404)
    notify(f"Revoked token {info.token_id} of {info.username}.")
    return redirect(url_for("admin.users"), 302)


# --- the audit trail --------------------------------------------------------------------------------


def audit_lines(details: dict[str, Any]) -> list[str]:
    """An entry's details as lines a person reads: `field: old → new` for an edit, `field: value` for a
    created or deleted record's fields, `name: value` for the rest."""
    lines = []
    for name, value in details.items():
        if name == "fields" and isinstance(value, dict):
            for field, change in value.items():
                if isinstance(change, dict) and set(change) == {"old", "new"}:
                    lines.append(f"{field}: {_shown(change['old'])} → {_shown(change['new'])}")
                else:
                    lines.append(f"{field}: {_shown(change)}")
        else:
            lines.append(f"{name.replace('_', ' ')}: {_shown(value)}")
    return lines


def _shown(value: Any) -> str:
    if isinstance(value, dict) and set(value) == {"old", "new"}:
        return f"{_shown(value['old'])} → {_shown(value['new'])}"
    return "" if value is None else str(value)


def _audit_page(limit: int) -> audit.AuditPage:
    """The page the query string asks for; a bad cursor, limit or filter is a 400."""
    record = request.args.get("record", "").strip() or None
    username = request.args.get("user", "").strip() or None
    try:
        return current_identity().audit_page(
            record_id=record, username=username, limit=limit, cursor=request.args.get("cursor") or None
        )
    except audit.BadQuery as exc:
        abort(400, sentence(str(exc)))


@bp.get("/audit")
@requires("admin")
def audit_trail() -> str:
    page = _audit_page(AUDIT_PAGE_SIZE)
    return render_template(
        "audit.html",
        page=page,
        record=request.args.get("record", ""),
        user=request.args.get("user", ""),
    )


@api_bp.get("/audit")
@requires("admin")
def audit_json() -> Response:
    raw = request.args.get("limit", str(AUDIT_PAGE_SIZE))
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= audit.MAX_LIMIT:
        abort(400, f"limit must be a whole number from 1 to {audit.MAX_LIMIT}.")
    page = _audit_page(int(raw))
    return jsonify(items=[entry.to_json() for entry in page.items], next=page.next)
