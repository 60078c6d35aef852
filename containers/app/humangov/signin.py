"""Sign-in: who is asking (a session cookie or an API token), and whether they may.

One gate (`install`) runs before every view. Views are closed by default: a view marked `@public` is
open to anyone (health, login, the OpenAPI document, static files); every other needs a signed-in
user whose role allows the view's `@requires(role)` (viewer when unmarked). Refusals: a page
redirects to /login?next=<path>; the API answers 401 JSON with `WWW-Authenticate: Bearer`; a role too
low is 403 and the view never runs.

Sessions are server-side (sessions.py): Flask's signed cookie carries a random session id (and the CSRF
token); the session's item in the state's table says whose it is. Sign-out deletes it; idle for
IDLE_SECONDS or older than ABSOLUTE_SECONDS (the identity's clock, injectable) it is deleted and counts
for nothing; a password reset, a role change or removal by an admin changes the user's stamp, which
ends their sessions on every task at once.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.wrappers import Response

from humangov import accounts
from humangov.identity import audit_event, audit_put, current_identity
from humangov.responses import error_response, sentence, wants_json
from humangov.storage import AuditPut

bp = Blueprint("signin", __name__)

BEARER = re.compile(r"Bearer +(\S+)\Z", re.IGNORECASE)
PASSWORD_ENDPOINTS = frozenset({"signin.password", "signin.logout", "static"})

View = TypeVar("View", bound=Callable[..., Any])


def public(view: View) -> View:
    view._humangov_public = True  # type: ignore[attr-defined]
    return view


def requires(role: str) -> Callable[[View], View]:
    accounts.check_role(role)

    def mark(view: View) -> View:
        view._humangov_role = role  # type: ignore[attr-defined]
        return view

    return mark


def install(app: Flask) -> None:
    app.before_request(_gate)
    app.context_processor(lambda: {"current_user": g.get("user"), "may": may})


def may(endpoint: str) -> bool:
    """Whether the signed-in user's role allows the view of `endpoint`: pages show only what it may do."""
    view = current_app.view_functions.get(endpoint)
    user = g.get("user")
    if view is None or getattr(view, "_humangov_public", False):
        return view is not None
    return user is not None and user.can(getattr(view, "_humangov_role", "viewer"))


# --- the gate ---------------------------------------------------------------------------------------


def _gate() -> Response | tuple[Any, ...] | None:
    g.user, g.via, g.token_id = None, None, None
    view = current_app.view_functions.get(request.endpoint or "")
    if view is None:  # no such route: a 404 for everyone
        return None
    is_public = request.endpoint == "static" or getattr(view, "_humangov_public", False)
    if is_public and request.endpoint != "signin.login":
        return None  # /healthz and the rest cost no storage call, whatever cookie comes along
    if _is_api() and "Authorization" in request.headers and not is_public:
        bad_token = _token_user()
        if bad_token is not None:
            return bad_token
    else:
        g.user = _session_user()
        if g.user:
            g.via = "session"
    if is_public:
        return None
    if g.user is None:
        if _is_api():
            return _unauthorized("Sign in first: send Authorization: Bearer <token> (or a session cookie).")
        return redirect(url_for("signin.login", next=_here()), 302)
    if g.user.must_change and request.endpoint not in PASSWORD_ENDPOINTS:
        if _is_api() or wants_json():
            refused("a new password must be chosen first")
            return error_response(403, "Choose a new password at /account/password before anything else.")
        return redirect(url_for("signin.password", next=_here()), 302)
    need = getattr(view, "_humangov_role", "viewer")
    if not g.user.can(need):
        refused(f"needs the {need} role")
        return error_response(403, f"This needs the {need} role; you are signed in as a {g.user.role}.")
    return None


def refused(reason: str) -> None:
    """Audit a request refused with 403 (who, what they asked, why)."""
    audit_event(
        "request.refused",
        request.path[:200],
        {"method": request.method, "reason": reason, "role": g.user.role if g.get("user") else ""},
    )


def _is_api() -> bool:
    return request.path.startswith("/api/")


def _here() -> str:
    query = request.query_string.decode("latin-1")
    return request.path + (f"?{query}" if query else "")


def _unauthorized(message: str, error: str = "") -> tuple[Any, ...]:
    # RFC 6750, section 3: the challenge a Bearer-protected resource answers with.
    body, status = error_response(401, message)
    challenge = 'Bearer realm="humangov"' + (f', error="{error}"' if error else "")
    return body, status, {"WWW-Authenticate": challenge}


def _token_user() -> tuple[Any, ...] | None:
    """Authenticate the API request by its Bearer token; a refusal response if the header is bad."""
    match = BEARER.match(request.headers.get("Authorization", ""))
    found = current_identity().user_for_token(match.group(1)) if match else None
    if found is None:
        return _unauthorized("The API token is missing, malformed, unknown or revoked.", "invalid_token")
    g.user, info = found
    g.via, g.token_id = "token", info.token_id
    audit_event(
        "token.use",
        g.user.username,
        {"token_id": info.token_id, "method": request.method, "path": request.path[:200]},
    )
    return None


def _session_user() -> accounts.User | None:
    """The signed-in user of this session, or None (none, ended, expired, another state's, user changed)."""
    if "sid" not in session:
        if "uid" in session:  # a cookie of the signed-cookie sessions before server-side ones
            session.clear()
        return None
    identity = current_identity()
    if session.get("state") != identity.state:  # another state's cookie: no storage call for it
        session.clear()
        return None
    found = identity.session(session["sid"])
    user = identity.user(found.username) if found else None
    if found is None or user is None or _stamp(user) != found.stamp:
        if found is not None:
            identity.end_session(found.session_id)
        session.clear()
        return None
    g.session_notes = found.notes
    return user


def _stamp(user: accounts.User) -> str:
    # Not `updated_at`: creating or revoking a token changes the user item but ends no session.
    return user.session_stamp


def start_session(user: accounts.User, audit: AuditPut | None = None) -> None:
    """A fresh session for `user` (a new CSRF token too: nothing of the anonymous session is kept),
    written with its audit entry (`audit`: the sign-in's) in one transaction."""
    old = session.get("sid")
    identity = current_identity()
    if isinstance(old, str):
        identity.end_session(old)
    session.clear()
    session.update(sid=identity.start_session(user.username, _stamp(user), audit), state=identity.state)
    session.permanent = False
    g.user = user


def restamp(user: accounts.User) -> None:
    """Keep the session of the signed-in user after they changed their own password: a new session
    (a new id, as after any change of privilege), the old one ended."""
    start_session(user)


def safe_next(target: str | None) -> str:
    """A same-site relative path to go to after sign-in; anything else (another host, a scheme, `//x`,
    a backslash some browsers read as `/`) is replaced by the home page."""
    target = (target or "").strip()
    parts = urlsplit(target)
    if (
        not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
        or parts.scheme
        or parts.netloc
        or any(ord(c) < 32 for c in target)
    ):
        return "/"
    return target


# --- the pages --------------------------------------------------------------------------------------


@bp.route("/login", methods=["GET", "POST"])
@public
def login() -> Response | tuple[Any, ...] | str:
    target = safe_next(request.values.get("next"))
    if request.method != "POST":  # GET, and HEAD: a GET without its body, never the POST code
        if g.user is not None and not g.user.must_change:
            return redirect(target, 302)
        return render_template("login.html", next=target, error=None, username="")
    username = request.form.get("username", "")[:200]
    password = request.form.get("password", "")
    try:
        user = current_identity().authenticate(username, password)
    except accounts.Throttled as exc:
        if _aggregate(exc.refused):  # not one entry per refused attempt: anyone can make those
            details = {"reason": "throttled", "refused_in_window": exc.refused}
            audit_event("signin.failure", _target(username), details, who=_target(username))
        seconds = int(exc.retry_after) + 1
        body, status = error_response(429, sentence(str(exc)))
        return body, status, {"Retry-After": str(seconds)}
    except accounts.BadCredentials as exc:
        audit_event("signin.failure", _target(username), {"reason": "credentials"}, who=_target(username))
        if wants_json():
            return error_response(401, sentence(str(exc)))
        page = render_template("login.html", next=target, error=sentence(str(exc)), username=username)
        return page, 200
    except accounts.AccountError as exc:  # the throttle's counter kept changing under other tasks
        return error_response(503, str(exc))
    start_session(user, audit_put("signin.success", user.username, {"role": user.role}, who=user.username))
    if user.must_change:
        return redirect(url_for("signin.password", next=target), 302)
    return redirect(target, 302)


def _target(username: str) -> str:
    """Whom a sign-in attempt was against: failures are filed under that username, so the user's audit
    trail (`/api/audit?user=U`) shows the attempts on their account; "anonymous" if it cannot be one."""
    try:
        return accounts.check_username(username)
    except accounts.BadUsername:
        return "anonymous"


def _aggregate(count: int) -> bool:
    """Throttled attempts are audited aggregated: the 1st, 10th, 100th... refusal of a window, with its
    count (so a flood of attempts writes a handful of entries, not one each)."""
    return count > 0 and str(count).rstrip("0") == "1"


@bp.post("/logout")
def logout() -> Response:
    signout = audit_put("signout", g.user.username)
    if isinstance(session.get("sid"), str):
        current_identity().end_session(session["sid"], signout)  # both or neither
    else:
        audit_event("signout", g.user.username)
    session.clear()
    return redirect(url_for("signin.login"), 302)


@bp.route("/account/password", methods=["GET", "POST"])
def password() -> Response | tuple[Any, ...] | str:
    target = safe_next(request.values.get("next"))
    if request.method != "POST":  # GET, and HEAD: a GET without its body, never the POST code
        return render_template("password.html", next=target, error=None)
    current, new, again = (request.form.get(k, "") for k in ("current_password", "new_password", "confirm"))
    identity = current_identity()
    error = None
    if new != again:
        error = "The two new passwords differ."
    else:
        try:
            identity.authenticate(g.user.username, current)
            user = identity.call(
                accounts.set_password,
                g.user.username,
                new,
                now=identity.clock,
                audit=lambda u: audit_put("user.set_password", u.username),
            )
        except accounts.Throttled as exc:
            body, status = error_response(429, sentence(str(exc)))
            return body, status, {"Retry-After": str(int(exc.retry_after) + 1)}
        except accounts.BadCredentials:
            error = "The current password is wrong."
        except accounts.AccountError as exc:
            error = sentence(str(exc))
    if error:
        return render_template("password.html", next=target, error=error), 400
    restamp(user)
    return redirect(target, 302)
