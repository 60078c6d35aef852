"""The JSON API for automation: the same records, as `{"items": [...], "next": cursor}` and JSON bodies.

Exempt from CSRF tokens (no forms, no session); instead every request that changes data must carry
`X-HumanGov-Request: 1`, a header no cross-site HTML form can send.

Concurrency: a record's `ETag` is its version ("3"). PATCH and DELETE with `If-Match` apply only to that
version (412 otherwise); PATCH without it never overwrites a concurrent change unseen (service.update).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, g, jsonify, redirect, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from humangov import record_trail, service
from humangov.inputs import page_limit, record_input, search_text
from humangov.model import FIELDS, ID_PATTERN, Record, ValidationError, validate_fields
from humangov.responses import error_response
from humangov.signin import refused, requires
from humangov.storage import DOCUMENT_URL_SECONDS, PreconditionFailed, current_storage, record_or_404

bp = Blueprint("api", __name__, url_prefix="/api")

GUARD_HEADER = "X-HumanGov-Request"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@bp.before_request
def require_guard_header() -> tuple[Response | str, int] | None:
    # A Bearer token is never sent by a browser on its own: only cookie-authenticated writes need the header.
    if g.get("via") == "token":
        return None
    if request.method not in SAFE_METHODS and request.headers.get(GUARD_HEADER) != "1":
        refused(f"no {GUARD_HEADER} header")
        return error_response(403, f"Requests that change data must send the header {GUARD_HEADER}: 1.")
    return None


@bp.errorhandler(PreconditionFailed)
def precondition_failed(exc: PreconditionFailed) -> Response:
    response = jsonify(
        error=(
            f"The record is at version {exc.current.version}, not the one in If-Match; "
            "GET it again and apply your change to what it holds now."
        ),
        current=exc.current.to_json(),
    )
    response.status_code = 412
    return _tagged(response, exc.current)


@bp.get("/employees")
def list_employees() -> Response:
    limit = page_limit(request.args.get("limit"))
    cursor = request.args.get("cursor") or None
    storage = current_storage()
    if "name" in request.args:
        page = storage.search_records(search_text(request.args.get("name")), limit, cursor)
    else:
        page = storage.list_records(limit, cursor)
    return jsonify(items=[record.to_json() for record in page.items], next=page.next_cursor)


@bp.post("/employees")
@requires("editor")
def create_employee() -> tuple[Response, int, dict[str, str]]:
    _reject_unknown_fields(request.form.keys())
    fields, upload = record_input(pdf_required=True)
    assert upload is not None
    record = service.create(current_storage(), fields, upload, audit=record_trail.created)
    location = url_for("api.get_employee", record_id=record.id)
    return _tagged(jsonify(record.to_json()), record), 201, {"Location": location}


@bp.get("/employees/<record_id>")
def get_employee(record_id: str) -> Response:
    record = record_or_404(record_id)
    return _tagged(jsonify(record.to_json()), record)


@bp.patch("/employees/<record_id>")
@requires("editor")
def patch_employee(record_id: str) -> Response:
    """A JSON object of the fields to change, or multipart with those fields and/or a new `pdf`."""
    record = record_or_404(record_id)
    if request.is_json:
        data = request.get_json()  # a malformed body is a 400 saying why (json_body.py)
        if not isinstance(data, dict):
            abort(400, "The body must be a JSON object of the fields to change.")
        _reject_unknown_fields(data.keys())
        fields = validate_fields(data, partial=True)
        upload = None
    else:
        _reject_unknown_fields(request.form.keys())
        fields, upload = record_input(pdf_required=False, partial=True)
    if not fields and upload is None:
        abort(400, f"Nothing to change: send any of {', '.join(FIELDS)} or a pdf file.")
    new = service.update(
        current_storage(),
        record.id,
        fields,
        upload,
        expected_version=_if_match(record),
        audit=lambda old, new: record_trail.edited(old, new, fields),
    )
    return _tagged(jsonify(new.to_json()), new)


@bp.delete("/employees/<record_id>")
@requires("editor")
def delete_employee(record_id: str) -> tuple[str, int]:
    """Without If-Match, deletes whatever version is current (a delete has no field to lose)."""
    expected = _if_match(record_or_404(record_id)) if "If-Match" in request.headers else None
    if not ID_PATTERN.match(record_id):
        abort(404)
    service.delete(current_storage(), record_id, expected_version=expected, audit=record_trail.deleted)
    return "", 204


@bp.get("/employees/<record_id>/document")
def employee_document(record_id: str) -> BaseResponse:
    record = record_or_404(record_id)
    record_trail.pdf_viewed(record)
    url = current_storage().document_url(record.document, record.document_name, DOCUMENT_URL_SECONDS)
    return redirect(url, 302)


def _if_match(record: Record) -> int | None:
    """The version an If-Match header holds the client to: None without one (or with `*`)."""
    if "If-Match" not in request.headers or request.if_match.star_tag:
        return None
    # Strong comparison (RFC 9110, 13.1.1): W/"3" never matches.
    if not request.if_match.contains(str(record.version)):
        raise PreconditionFailed(record)
    return record.version


def _tagged(response: Response, record: Record) -> Response:
    response.set_etag(str(record.version))
    return response


def _reject_unknown_fields(names: Any) -> None:
    # `pdf` sent as a plain field (not a file) is reported by uploaded_pdf() as a missing file.
    # werkzeug gives a multipart part whose name holds a CR or LF the name None: unknown too, not a 500.
    unknown = sorted(name if isinstance(name, str) else repr(name) for name in set(names) - {*FIELDS, "pdf"})
    if unknown:
        raise ValidationError({"_": f"Unknown field(s): {', '.join(unknown)}; known: {', '.join(FIELDS)}"})
