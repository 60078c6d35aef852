"""The server-rendered pages: list, search, create, edit and delete records, fetch a record's PDF."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from humangov import record_trail, service
from humangov.inputs import PAGE_SIZE, form_version, record_input, search_text
from humangov.model import FIELDS, ID_PATTERN, Record, ValidationError
from humangov.notices import notify
from humangov.responses import error_response
from humangov.signin import requires
from humangov.storage import DOCUMENT_URL_SECONDS, PreconditionFailed, current_storage, record_or_404

bp = Blueprint("records", __name__)


@bp.get("/")
def index() -> str:
    return render_template("index.html")


@bp.route("/new_record", methods=["GET", "POST"])
@requires("editor")
def new_record() -> Response | tuple[str, int] | str:
    if request.method != "POST":  # GET, and HEAD: a GET without its body, never the POST code
        return render_template("record_form.html", record=None, values={}, errors={})
    try:
        fields, upload = record_input(pdf_required=True)
    except ValidationError as exc:
        return _form_again(None, exc)
    assert upload is not None
    record = service.create(current_storage(), fields, upload, audit=record_trail.created)
    notify(f"Added {record.first_name} {record.last_name}.")
    return redirect(url_for("records.list_records"), 302)


@bp.get("/records")
def list_records() -> str:
    page = current_storage().list_records(PAGE_SIZE, request.args.get("cursor") or None)
    return render_template("records.html", page=page, name=None, error=None)


@bp.get("/search")
def search() -> tuple[str, int] | str:
    if "name" not in request.args:
        return render_template("records.html", page=None, name="", error=None)
    try:
        name = search_text(request.args.get("name"))
    except ValidationError as exc:
        message = next(iter(exc.errors.values()))
        return render_template("records.html", page=None, name=request.args["name"], error=message), 400
    page = current_storage().search_records(name, PAGE_SIZE, request.args.get("cursor") or None)
    return render_template("records.html", page=page, name=name, error=None)


@bp.route("/edit_record/<record_id>", methods=["GET", "POST"])
@requires("editor")
def edit_record(record_id: str) -> Response | tuple[str, int] | str:
    """The form carries the version it shows: saving it over any other version is a conflict page."""
    record = record_or_404(record_id)
    if request.method != "POST":  # GET, and HEAD: a GET without its body, never the POST code
        values = {name: getattr(record, name) for name in FIELDS}
        return render_template(
            "record_form.html", record=record, values=values, errors={}, version=record.version
        )
    version = form_version()
    # A form without a version (served before versions existed) cannot say what its user saw.
    if version is None or version != record.version:
        return _conflict(record)
    try:
        fields, upload = record_input(pdf_required=False)
    except ValidationError as exc:
        return _form_again(record, exc)
    try:
        updated = service.update(
            current_storage(),
            record.id,
            fields,
            upload,
            expected_version=version,
            audit=lambda old, new: record_trail.edited(old, new, fields),
        )
    except PreconditionFailed as exc:
        return _conflict(exc.current)
    notify(f"Saved {updated.first_name} {updated.last_name}.")
    return redirect(url_for("records.list_records"), 302)


@bp.post("/records/delete")
@requires("editor")
def delete_record() -> Response | tuple[Response | str, int]:
    record_id = request.form.get("id", "")
    if not record_id:
        abort(400, "The form did not say which record to delete.")
    if not ID_PATTERN.match(record_id):
        abort(404)
    try:
        old = service.delete(
            current_storage(), record_id, expected_version=form_version(), audit=record_trail.deleted
        )
    except PreconditionFailed as exc:
        name = f"{exc.current.first_name} {exc.current.last_name}"
        return error_response(
            409,
            f"{name} was changed after this page was loaded: nothing was deleted. "
            "Look at the record again, then delete it if you still want to.",
        )
    notify(f"Deleted {old.first_name} {old.last_name}.")
    return redirect(url_for("records.list_records"), 302)


@bp.get("/records/pdf/<record_id>")
def record_pdf(record_id: str) -> Response:
    record = record_or_404(record_id)
    record_trail.pdf_viewed(record)
    url = current_storage().document_url(record.document, record.document_name, DOCUMENT_URL_SECONDS)
    return redirect(url, 302)


def _form_again(record: Record | None, exc: ValidationError) -> tuple[str, int]:
    values = {name: request.form.get(name, "") for name in FIELDS}
    # The version the user's form was built on, not the current one: a stale form stays stale.
    return render_template(
        "record_form.html", record=record, values=values, errors=exc.errors, version=form_version()
    ), 400


def _conflict(current: Record) -> tuple[str, int]:
    """Someone saved this record after the form was loaded: show both, change nothing."""
    rows = [(name, getattr(current, name), request.form.get(name, "")) for name in FIELDS]
    pdf = request.files.get("pdf")
    return render_template(
        "record_conflict.html", record=current, rows=rows, new_pdf=pdf.filename if pdf else ""
    ), 409
