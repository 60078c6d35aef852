"""One id per request: nginx's (`X-Request-ID: $request_id`) when it sent one, else a new one; returned
as `X-Request-ID`, written into the audit trail and the app's log lines (nginx logs it too), so an
entry, a log line and nginx's access log line of one request can be matched."""

from __future__ import annotations

import re
import uuid

from flask import Flask, g, has_request_context, request
from werkzeug.wrappers import Response

HEADER = "X-Request-ID"
# nginx's $request_id is 32 hex digits; also a UUID or a similar token from another proxy.
ACCEPTED = re.compile(r"[A-Za-z0-9._-]{8,64}")


def install(app: Flask) -> None:
    app.before_request(_assign)
    app.after_request(_answer)


def current() -> str:
    return str(g.get("request_id", "")) if has_request_context() else ""


def _assign() -> None:
    given = request.headers.get(HEADER, "")
    g.request_id = given if ACCEPTED.fullmatch(given) else uuid.uuid4().hex


def _answer(response: Response) -> Response:
    response.headers[HEADER] = current() or uuid.uuid4().hex
    return response
