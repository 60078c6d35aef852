"""Error responses in the caller's language: JSON under /api/ (or when the client asks for JSON), an HTML
page elsewhere."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, render_template, request


def wants_json() -> bool:
    """An API path, or a client whose Accept header prefers JSON to HTML (a script posting to /login)."""
    if request.path.startswith("/api/"):
        return True
    accept = request.accept_mimetypes
    return accept.best_match(["text/html", "application/json"]) == "application/json" and bool(
        accept["application/json"]
    )


def error_response(status: int, message: str, **extra: Any) -> tuple[Response | str, int]:
    if wants_json():
        return jsonify(error=message, **extra), status
    return render_template("error.html", status=status, message=message), status


def sentence(message: str) -> str:
    """`message` as a sentence: its first letter upper-case and a final period; the rest as it was (not
    str.capitalize, which lower-cases the rest, and with it whatever the user's input it quotes)."""
    message = message.strip()
    return message[:1].upper() + message[1:] + ("" if message.endswith((".", "!", "?")) else ".")
