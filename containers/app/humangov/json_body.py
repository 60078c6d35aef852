"""Reading a JSON request body: every malformed body is a 400 that says what is wrong with it.

Flask's default answers a body nested a few thousand levels deep with a 500 (the parser's RecursionError)
and reads `1e3` as the float 1000.0, so a salary sent as a JSON number passed a format its text form is
refused by. Here numbers with a fraction or an exponent keep their written form (a Decimal whose `str` is
the text sent, which the salary rule checks: `1e3` is refused like the text "1e3"); nesting beyond
MAX_DEPTH, invalid UTF-8 and any syntax error are a 400 naming the problem.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from flask import Request
from werkzeug.exceptions import BadRequest

MAX_DEPTH = 32  # a record's fields are one object of scalars: far more than any client needs


class WrittenNumber(Decimal):
    """A JSON number with a fraction or an exponent, whose `str` is the text the client wrote."""

    text: str

    def __new__(cls, text: str) -> WrittenNumber:
        number = super().__new__(cls, text)
        number.text = text
        return number

    def __str__(self) -> str:
        return self.text


class BodyError(ValueError):
    """A JSON body that cannot be read; the message says why, for the client."""


def loads(text: str | bytes, **kwargs: Any) -> Any:
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BodyError(f"the body is not valid UTF-8 (byte {exc.start} is not)") from exc
    _check_depth(text)
    try:
        return json.loads(text, parse_float=WrittenNumber, **kwargs)
    except RecursionError as exc:  # a guard behind the depth check
        raise BodyError(f"the JSON body is nested more than {MAX_DEPTH} levels deep") from exc
    except json.JSONDecodeError as exc:
        raise BodyError(
            f"the body is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from exc


def _check_depth(text: str) -> None:
    """Refuse nesting beyond MAX_DEPTH before parsing (the count skips brackets inside strings)."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return
    depth, in_string, escaped = 0, False, False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                raise BodyError(f"the JSON body is nested more than {MAX_DEPTH} levels deep")
        elif char in "]}":
            depth -= 1


class _JsonModule:
    """What werkzeug's Request.get_json calls `json_module`: only `loads` is used on a request."""

    loads = staticmethod(loads)
    dumps = staticmethod(json.dumps)


class JsonRequest(Request):
    """Flask's request, whose JSON body is read by `loads` above (responses keep the app's provider)."""

    @property  # type: ignore[override]
    def json_module(self) -> Any:
        return _JsonModule

    @json_module.setter
    def json_module(self, value: Any) -> None:
        """Flask sets the app's JSON provider on every request (ctx.py); bodies are read here instead."""

    def on_json_loading_failed(self, e: ValueError | None) -> Any:
        if isinstance(e, BodyError):
            message = str(e)
            raise BadRequest(message[:1].upper() + message[1:] + ".")
        if e is None:  # not a JSON content type: the caller asked anyway
            raise BadRequest("The body must be JSON (Content-Type: application/json).")
        raise BadRequest(f"The body is not valid JSON: {e}.")
