"""The JSON API (`api.py`) as an OpenAPI 3.1 document, built from the same constants the views check.

Built in Python rather than kept as a file so that a limit changed in `inputs.py`, `model.py` or `cursor.py`
changes the document too; suites/unit/app/test_app_openapi.py keeps its paths and methods equal to the
app's routes, and test_app_openapi_fuzz.py checks every answer against it.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from humangov.api import GUARD_HEADER
from humangov.cursor import MAX_CURSOR_LENGTH
from humangov.inputs import MAX_PAGE_SIZE, MAX_SEARCH_LENGTH, PAGE_SIZE
from humangov.model import _SALARY, ID_PATTERN, MAX_SALARY, MAX_TEXT_LENGTH, SALARY_FORMAT

OPENAPI_VERSION = "3.1.0"
API_VERSION = "1"

_JSON = "application/json"
_MULTIPART = "multipart/form-data"
_TEXT = ("first_name", "last_name", "role")
_LIMIT = {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE, "default": PAGE_SIZE}


def _ref(kind: str, name: str) -> dict[str, str]:
    return {"$ref": f"#/components/{kind}/{name}"}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {_JSON: {"schema": _ref("schemas", "Error")}}}


_ERRORS: dict[str, dict[str, Any]] = {
    "400": _error("Bad input: `error` says what, `fields` maps each bad field to its message."),
    "403": _error(f"A request that changes data came without `{GUARD_HEADER}: 1`."),
    "404": _error("No record has this id."),
    "409": _error("The record changed meanwhile (a concurrent write won); read it again and retry."),
    "412": {
        "description": "`If-Match` is not the current version; `current` is the record as it is now.",
        "headers": {"ETag": _ref("headers", "ETag")},
        "content": {_JSON: {"schema": _ref("schemas", "Stale")}},
    },
    "413": _error("Too large: the message names the limit (the PDF, the whole request, or one text field)."),
    "503": _error("The state's table or bucket did not answer; try again shortly."),
}


def _errors(*statuses: int) -> dict[str, dict[str, Any]]:
    return {str(status): _ERRORS[str(status)] for status in statuses}


def _record_response(description: str, **extra_headers: Any) -> dict[str, Any]:
    return {
        "description": description,
        "headers": {"ETag": _ref("headers", "ETag"), **extra_headers},
        "content": {_JSON: {"schema": _ref("schemas", "Record")}},
    }


def _text_field(description: str) -> dict[str, Any]:
    return {
        "type": "string",
        "minLength": 1,
        "maxLength": MAX_TEXT_LENGTH,
        "description": f"{description}; spaces are collapsed; no control characters.",
    }


def _schemas() -> dict[str, Any]:
    salary_text = {"type": "string", "pattern": f"^{_SALARY.pattern}$"}
    salary_number = {"type": "number", "minimum": 0, "maximum": int(MAX_SALARY)}
    salary_in = {
        "description": f"A salary {SALARY_FORMAT}; at most {MAX_SALARY:,}.",
        "anyOf": [salary_text, salary_number],
    }
    fields = {
        "first_name": _text_field("First name"),
        "last_name": _text_field("Last name"),
        "role": _text_field("Role"),
    }
    return {
        "Record": {
            "type": "object",
            "additionalProperties": False,
            "required": ["id", *_TEXT, "salary", "document", "created_at", "updated_at", "version"],
            "properties": {
                "id": {"type": "string", "pattern": ID_PATTERN.pattern},
                **{name: {"type": "string", "minLength": 1, "maxLength": MAX_TEXT_LENGTH} for name in _TEXT},
                "salary": salary_number,
                "document": {
                    "type": "string",
                    "pattern": "^documents/",
                    "description": "The PDF's S3 key, `documents/<id>/<key>.pdf`; never the uploaded name.",
                },
                "created_at": {"type": "string", "format": "date-time"},
                "updated_at": {"type": "string", "format": "date-time"},
                "version": {
                    "type": "integer",
                    "minimum": 0,
                    "description": "1 when created, +1 at every write (0: stored before versions existed).",
                },
            },
        },
        "Page": {
            "type": "object",
            "additionalProperties": False,
            "required": ["items", "next"],
            "properties": {
                "items": {"type": "array", "maxItems": MAX_PAGE_SIZE, "items": _ref("schemas", "Record")},
                "next": {
                    "type": ["string", "null"],
                    "maxLength": MAX_CURSOR_LENGTH,
                    "description": "Cursor of the next page (opaque, signed); null on the last page.",
                },
            },
        },
        "Error": {
            "type": "object",
            "required": ["error"],
            "properties": {
                "error": {"type": "string"},
                "fields": {"type": "object", "additionalProperties": {"type": "string"}},
            },
        },
        "Stale": {
            "type": "object",
            "required": ["error", "current"],
            "properties": {"error": {"type": "string"}, "current": _ref("schemas", "Record")},
        },
        "NewRecord": {
            "type": "object",
            "additionalProperties": False,
            "required": [*_TEXT, "salary", "pdf"],
            "properties": {**fields, "salary": salary_in, "pdf": _ref("schemas", "Pdf")},
        },
        "RecordChanges": {
            "type": "object",
            "additionalProperties": False,
            "minProperties": 1,
            "properties": {**fields, "salary": salary_in},
        },
        "RecordChangesWithPdf": {
            "type": "object",
            "additionalProperties": False,
            "minProperties": 1,
            "properties": {**fields, "salary": salary_in, "pdf": _ref("schemas", "Pdf")},
        },
        "Pdf": {
            "type": "string",
            "format": "binary",
            "contentMediaType": "application/pdf",
            "description": "A PDF: its bytes start with `%PDF-` and its file name ends in `.pdf`.",
        },
    }


def _parameters() -> dict[str, Any]:
    return {
        "RecordId": {
            "name": "record_id",
            "in": "path",
            "required": True,
            "schema": {"type": "string"},
            "description": f"The record's id; anything not matching `{ID_PATTERN.pattern}` is a 404.",
        },
        "Guard": {
            "name": GUARD_HEADER,
            "in": "header",
            "required": True,
            "schema": {"type": "string", "enum": ["1"]},
            "description": "Required on every request that changes data (no cross-site form can send it).",
        },
        "IfMatch": {
            "name": "If-Match",
            "in": "header",
            "required": False,
            "schema": {"type": "string"},
            "description": 'The ETag as read (`"<version>"`): the write happens only if it is current.',
        },
    }


def _multipart(schema: str, example: dict[str, Any] | None = None) -> dict[str, Any]:
    media: dict[str, Any] = {
        "schema": _ref("schemas", schema),
        "encoding": {
            "pdf": {
                "contentType": "application/pdf",
                "headers": {
                    # Schemathesis names the generated file after this example; the app wants ".pdf".
                    "Content-Disposition": {
                        "schema": {"type": "string"},
                        "example": 'form-data; name="pdf"; filename="contract.pdf"',
                    }
                },
            }
        },
    }
    if example is not None:
        media["examples"] = {"teacher": {"summary": "A valid record", "value": example}}
    return media


_NEW_RECORD_EXAMPLE = {
    "first_name": "Ada",
    "last_name": "Lovelace",
    "role": "Teacher",
    "salary": "52,000.50",
    "pdf": "%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n",
}


def _paths() -> dict[str, Any]:
    record = "/api/employees/{record_id}"
    return {
        "/api/employees": {
            "get": {
                "operationId": "listEmployees",
                "summary": "One page of records sorted by last, first name; with `name`, a search.",
                "parameters": [
                    {
                        "name": "limit",
                        "in": "query",
                        "schema": _LIMIT,
                    },
                    {
                        "name": "cursor",
                        "in": "query",
                        "schema": {"type": "string", "maxLength": MAX_CURSOR_LENGTH},
                        "description": "`next` of the previous page; one this app did not issue is a 400.",
                    },
                    {
                        "name": "name",
                        "in": "query",
                        "schema": {"type": "string", "minLength": 1, "maxLength": MAX_SEARCH_LENGTH},
                        "description": "Search: first or last name contains this text, case-insensitive.",
                    },
                ],
                "responses": {
                    "200": {"description": "A page", "content": {_JSON: {"schema": _ref("schemas", "Page")}}},
                    **_errors(400, 503),
                },
            },
            "post": {
                "operationId": "createEmployee",
                "summary": "Create a record with its PDF.",
                "parameters": [_ref("parameters", "Guard")],
                "requestBody": {
                    "required": True,
                    "content": {_MULTIPART: _multipart("NewRecord", _NEW_RECORD_EXAMPLE)},
                },
                "responses": {
                    "201": _record_response(
                        "Created",
                        Location={"description": "The record's URL", "schema": {"type": "string"}},
                    ),
                    **_errors(400, 403, 409, 413, 503),
                },
            },
        },
        record: {
            "parameters": [_ref("parameters", "RecordId")],
            "get": {
                "operationId": "getEmployee",
                "summary": "One record.",
                "responses": {"200": _record_response("The record"), **_errors(404, 503)},
            },
            "patch": {
                "operationId": "updateEmployee",
                "summary": "Change some fields (JSON or multipart) and/or replace the PDF (multipart).",
                "parameters": [_ref("parameters", "Guard"), _ref("parameters", "IfMatch")],
                "requestBody": {
                    "required": True,
                    "content": {
                        _JSON: {"schema": _ref("schemas", "RecordChanges")},
                        _MULTIPART: _multipart("RecordChangesWithPdf"),
                    },
                },
                "responses": {
                    "200": _record_response("The record as changed"),
                    **_errors(400, 403, 404, 409, 412, 413, 503),
                },
            },
            "delete": {
                "operationId": "deleteEmployee",
                "summary": "Remove the record, then its PDF.",
                "parameters": [_ref("parameters", "Guard"), _ref("parameters", "IfMatch")],
                "responses": {
                    "204": {"description": "Deleted"},
                    **_errors(403, 404, 409, 412, 503),
                },
            },
        },
        f"{record}/document": {
            "parameters": [_ref("parameters", "RecordId")],
            "get": {
                "operationId": "getEmployeeDocument",
                "summary": "Redirect to the PDF (a presigned S3 URL valid 5 minutes).",
                "responses": {
                    "302": {
                        "description": "To the PDF",
                        "headers": {"Location": {"required": True, "schema": {"type": "string"}}},
                    },
                    **_errors(404, 503),
                },
            },
        },
        "/api/openapi.json": {
            "get": {
                "operationId": "getOpenApiDocument",
                "summary": "This document.",
                "responses": {
                    "200": {"description": "OpenAPI 3.1", "content": {_JSON: {"schema": {"type": "object"}}}}
                },
            }
        },
    }


@cache
def document() -> dict[str, Any]:
    """The whole document (built once; callers must not change it)."""
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "HumanGov API",
            "version": API_VERSION,
            "description": 'Employee records of one state, each with a PDF. Errors are `{"error": ...}`.',
        },
        "paths": _paths(),
        "components": {
            "schemas": _schemas(),
            "parameters": _parameters(),
            "headers": {
                "ETag": {
                    "description": 'The record\'s version as a strong entity tag: `"<version>"`.',
                    "required": True,
                    "schema": {"type": "string", "pattern": '^"[^"]+"$'},
                }
            },
        },
    }
