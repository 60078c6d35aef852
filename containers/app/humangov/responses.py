"""Error responses in the caller's language: JSON under /api/, an HTML page elsewhere."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, render_template, request


def error_response(status: int, message: str, **extra: Any) -> tuple[Response | str, int]:
    if request.path.startswith("/api/"):
        return jsonify(error=message, **extra), status
    return render_template("error.html", status=status, message=message), status
