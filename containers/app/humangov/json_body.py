"""Reading a request body (JSON or a form): every malformed body is a 400 that says what is wrong with it.

Flask's default answers a body nested a few thousand levels deep with a 500 (the parser's RecursionError)
and reads `1e3` as the float 1000.0, so a salary sent as a JSON number passed a format its text form is
refused by. Here numbers with a fraction or an exponent keep their written form (a Decimal whose `str` is
the text sent, which the salary rule checks: `1e3` is refused like the text "1e3"); nesting beyond
MAX_DEPTH, invalid UTF-8, a key sent twice and any syntax error are a 400 naming the problem. A body sent
in chunks (no Content-Length) over the limit is a 413, as one with a length is (werkzeug stops reading at
the limit and would hand over the first part as if it were all); a truncated or malformed multipart body
is a 400 saying so (werkzeug's parser drops what it cannot read, silently).
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from flask import Request
from werkzeug.exceptions import BadRequest
from werkzeug.formparser import FormDataParser
from werkzeug.wsgi import LimitedStream

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
        return json.loads(text, parse_float=WrittenNumber, object_pairs_hook=_no_duplicates, **kwargs)
    except RecursionError as exc:  # a guard behind the depth check
        raise BodyError(f"the JSON body is nested more than {MAX_DEPTH} levels deep") from exc
    except json.JSONDecodeError as exc:
        raise BodyError(
            f"the body is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from exc


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for name, value in pairs:
        if name in seen:
            raise BodyError(f"the JSON body has the key {name[:40]!r} twice")
        seen[name] = value
    return seen


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

    def get_data(self, cache: bool = True, as_text: bool = False, parse_form_data: bool = False) -> Any:
        data = super().get_data(cache=cache, as_text=as_text, parse_form_data=parse_form_data)  # type: ignore[call-overload]
        self._refuse_cut_body()
        return data

    def _refuse_cut_body(self) -> None:
        """A chunked body that reached the limit: one more byte raises werkzeug's 413 if there is more."""
        stream = self.stream
        if self.content_length is None and isinstance(stream, LimitedStream) and stream.is_exhausted:
            stream.read(1)

    def make_form_data_parser(self) -> FormDataParser:
        parser = super().make_form_data_parser()
        parser.silent = False  # a truncated or malformed body raises: _load_form_data says so
        return parser

    def _load_form_data(self) -> None:
        try:
            super()._load_form_data()
        except ValueError as exc:
            raise BadRequest(
                f"The form body is malformed or cut short ({exc}); nothing was read from it."
            ) from exc
        self._refuse_cut_body()

    def on_json_loading_failed(self, e: ValueError | None) -> Any:
        if isinstance(e, BodyError):
            message = str(e)
            raise BadRequest(message[:1].upper() + message[1:] + ".")
        if e is None:  # not a JSON content type: the caller asked anyway
            raise BadRequest("The body must be JSON (Content-Type: application/json).")
        raise BadRequest(f"The body is not valid JSON: {e}.")
