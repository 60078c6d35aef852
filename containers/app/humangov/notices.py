"""Confirmations shown on the next page ("Added Ada Lovelace."), kept in the session's item, not the cookie.

Flask's `flash` keeps messages in the signed cookie: readable by anyone holding it (employee names), and
twelve long ones made every request too large for nginx (431). `notify` keeps the latest few in the
server-side session (sessions.py: at most MAX_NOTES, each cut); `notices()` in a template shows the pending
ones and those of this request, once.
"""

from __future__ import annotations

from flask import Flask, Response, g, session

from humangov.identity import current_identity


def install(app: Flask) -> None:
    app.context_processor(lambda: {"notices": notices})
    app.after_request(_keep)


def notify(message: str) -> None:
    g.setdefault("new_notes", []).append(message)


def notices() -> list[str]:
    """Every pending message, shown once: the session's from earlier requests, then this request's."""
    g.notes_shown = True
    return [*g.get("session_notes", ()), *g.get("new_notes", [])]


def _keep(response: Response) -> Response:
    pending, new = list(g.get("session_notes", ())), g.get("new_notes", [])
    session_id = session.get("sid")
    if not isinstance(session_id, str) or g.get("user") is None or not (pending or new):
        return response
    if g.get("notes_shown"):
        current_identity().set_notes(session_id, [])
    elif new:
        current_identity().set_notes(session_id, [*pending, *new])
    return response
