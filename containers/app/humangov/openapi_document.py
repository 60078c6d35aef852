"""The JSON API (`api.py`) as an OpenAPI 3.1 document, built from the same constants the views check.

Built in Python rather than kept as a file so that a limit changed in `inputs.py`, `model.py` or `cursor.py`
changes the document too; suites/unit/app/test_app_openapi.py keeps its paths and methods equal to the
app's routes, and test_app_openapi_fuzz.py checks every answer against it.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from humangov.api import GUARD_HEADER
from humangov.audit import ACTIONS as AUDIT_ACTIONS
from humangov.audit import MAX_CURSOR_CHARS as AUDIT_MAX_CURSOR
from humangov.audit import MAX_LIMIT as AUDIT_MAX_LIMIT
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
    "400": _error(
        "Bad input: `error` says what, `fields` maps each bad field to its message. A body that cannot be "
        "read says why: not valid UTF-8, a JSON syntax error, a JSON key or a form field (or `pdf` part) "
        "sent twice, JSON nested more than 32 levels deep, a multipart body malformed or cut short."
    ),
    "401": {
        "description": "Not signed in: no session cookie or Bearer token, or one that is unknown, revoked "
        "or expired.",
        "headers": {
            "WWW-Authenticate": {
                "required": True,
                "schema": {"type": "string", "pattern": "^Bearer "},
                "description": 'The Bearer challenge (RFC 6750), e.g. `Bearer realm="humangov"`.',
            }
        },
        "content": {_JSON: {"schema": _ref("schemas", "Error")}},
    },
    "403": _error(
        f"Refused, nothing changed: the user's role does not allow it (viewer < editor < admin), the user "
        f"must first change a one-time password, or a cookie-authenticated write came without "
        f"`{GUARD_HEADER}: 1`. Every refusal is in the audit trail (`request.refused`)."
    ),
    "404": _error("No record has this id."),
    "409": _error("The record changed meanwhile (a concurrent write won); read it again and retry."),
    "412": {
        "description": "`If-Match` is not the current version; `current` is the record as it is now.",
        "headers": {"ETag": _ref("headers", "ETag")},
        "content": {_JSON: {"schema": _ref("schemas", "Stale")}},
    },
    "413": _error(
        "Too large: the message names the limit (the PDF, the whole request, or one text field); a body "
        "sent in chunks, without Content-Length, is judged by the same limits."
    ),
    "503": _error(
        "The state's table, audit table or bucket did not answer; nothing was changed (a change and its "
        "audit entry are written together or not at all). Try again shortly."
    ),
}


def _errors(*statuses: int) -> dict[str, dict[str, Any]]:
    """The error answers of a signed-in operation: these, and always 401 and 403 (sign-in, roles)."""
    return {str(status): _ERRORS[str(status)] for status in sorted({*statuses, 401, 403})}


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
        "description": f"{description}; spaces are collapsed; no control, format (zero-width, bidi), "
        "private-use, unassigned or invisible characters.",
    }


def _schemas() -> dict[str, Any]:
    salary_text = {"type": "string", "pattern": f"^{_SALARY.pattern}$"}
    salary_number = {"type": "number", "minimum": 0, "maximum": int(MAX_SALARY)}
    salary_in = {
        "description": f"A salary {SALARY_FORMAT}; at most {MAX_SALARY:,}. A JSON number is judged as "
        "written: `1e3` is refused like the text.",
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
        "AuditEntry": {
            "type": "object",
            "additionalProperties": False,
            "required": ["id", "at", "who", "action", "target", "request_id", "details"],
            "properties": {
                "id": {"type": "string"},
                "at": {"type": "string", "format": "date-time", "description": "UTC"},
                "who": {
                    "type": "string",
                    "description": "A username, `anonymous` or `cli:<os user>`; a failed sign-in: the "
                    "username it tried.",
                },
                "action": {"type": "string", "enum": sorted(AUDIT_ACTIONS)},
                "target": {
                    "type": "string",
                    "description": "The record id or username acted on; the path of a refused request.",
                },
                "request_id": {"type": "string", "description": "The request's X-Request-ID."},
                "details": {
                    "type": "object",
                    "description": 'An edit: `{"fields": {name: {"old": ..., "new": ...}}}`.',
                },
            },
        },
        "AuditPage": {
            "type": "object",
            "additionalProperties": False,
            "required": ["items", "next"],
            "properties": {
                "items": {
                    "type": "array",
                    "maxItems": AUDIT_MAX_LIMIT,
                    "items": _ref("schemas", "AuditEntry"),
                },
                "next": {
                    "type": ["string", "null"],
                    "description": "Cursor of older entries; null at the end.",
                },
            },
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
            "required": False,
            "schema": {"type": "string", "enum": ["1"]},
            "description": "Required on every request that changes data and is authenticated by the session "
            "cookie (no cross-site form can send it); not needed with a Bearer token.",
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
        "/api/audit": {
            "get": {
                "operationId": "listAuditEntries",
                "summary": "The audit trail, newest first (admins only); by record or by user.",
                "parameters": [
                    {
                        "name": "limit",
                        "in": "query",
                        "schema": {
                            "type": "integer",
                            "minimum": 1,
                            "maximum": AUDIT_MAX_LIMIT,
                            "default": 50,
                        },
                    },
                    {
                        "name": "cursor",
                        "in": "query",
                        "schema": {"type": "string", "maxLength": AUDIT_MAX_CURSOR},
                        "description": "`next` of the previous page; anything else is a 400.",
                    },
                    {
                        "name": "record",
                        "in": "query",
                        "schema": {"type": "string", "maxLength": 256},
                        "description": "Only the entries of this record id.",
                    },
                    {
                        "name": "user",
                        "in": "query",
                        "schema": {"type": "string", "maxLength": 256},
                        "description": "Only the entries of what this user did (`cli:<name>` for the CLI).",
                    },
                ],
                "responses": {
                    "200": {
                        "description": "A page of entries",
                        "content": {_JSON: {"schema": _ref("schemas", "AuditPage")}},
                    },
                    **_errors(400, 503),
                },
            }
        },
        "/api/openapi.json": {
            "get": {
                "operationId": "getOpenApiDocument",
                "security": [],
                "summary": "This document (no sign-in needed).",
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
        # Either a personal API token (`humangov users token`, or an admin's Users page) or the session
        # cookie of a browser signed in at /login.
        "security": [{"bearer": []}, {"cookie": []}],
        "components": {
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A personal API token (`hgv_...`); writes need no guard header.",
                },
                "cookie": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": "session",
                    "description": f"The session of a browser signed in at /login; writes need "
                    f"`{GUARD_HEADER}: 1`. Sign-in attempts are throttled: see responses/SignInThrottled.",
                },
            },
            # /login is a form, not part of this API; what it answers a client refused by the throttle:
            "responses": {
                "SignInThrottled": {
                    "description": "POST /login after 5 failed sign-ins of the username within 15 minutes "
                    "(JSON when the client's Accept prefers it, else a page); no password is checked.",
                    "headers": {
                        "Retry-After": {"required": True, "schema": {"type": "integer", "minimum": 1}},
                    },
                    "content": {_JSON: {"schema": _ref("schemas", "Error")}},
                }
            },
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
