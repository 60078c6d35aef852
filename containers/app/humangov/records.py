"""The server-rendered pages: list, search, create, edit and delete records, fetch a record's PDF."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from humangov import service
from humangov.inputs import PAGE_SIZE, record_input, search_text
from humangov.model import FIELDS, ID_PATTERN, Record, ValidationError
from humangov.storage import DOCUMENT_URL_SECONDS, current_storage, record_or_404

bp = Blueprint("records", __name__)


@bp.get("/")
def index() -> str:
    return render_template("index.html")


@bp.route("/new_record", methods=["GET", "POST"])
def new_record() -> Response | tuple[str, int] | str:
    if request.method == "GET":
        return render_template("record_form.html", record=None, values={}, errors={})
    try:
        fields, upload = record_input(pdf_required=True)
    except ValidationError as exc:
        return _form_again(None, exc)
    assert upload is not None
    record = service.create(current_storage(), fields, upload)
    flash(f"Added {record.first_name} {record.last_name}.")
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
def edit_record(record_id: str) -> Response | tuple[str, int] | str:
    record = record_or_404(record_id)
    if request.method == "GET":
        values = {name: getattr(record, name) for name in FIELDS}
        return render_template("record_form.html", record=record, values=values, errors={})
    try:
        fields, upload = record_input(pdf_required=False)
    except ValidationError as exc:
        return _form_again(record, exc)
    updated = service.update(current_storage(), record.id, fields, upload)
    flash(f"Saved {updated.first_name} {updated.last_name}.")
    return redirect(url_for("records.list_records"), 302)


@bp.post("/records/delete")
def delete_record() -> Response:
    record_id = request.form.get("id", "")
    if not record_id:
        abort(400, "The form did not say which record to delete.")
    if not ID_PATTERN.match(record_id):
        abort(404)
    old = service.delete(current_storage(), record_id)
    flash(f"Deleted {old.first_name} {old.last_name}.")
    return redirect(url_for("records.list_records"), 302)


@bp.get("/records/pdf/<record_id>")
def record_pdf(record_id: str) -> Response:
    record = record_or_404(record_id)
    url = current_storage().document_url(record.document, record.document_name, DOCUMENT_URL_SECONDS)
    return redirect(url, 302)


def _form_again(record: Record | None, exc: ValidationError) -> tuple[str, int]:
    values = {name: request.form.get(name, "") for name in FIELDS}
    return render_template("record_form.html", record=record, values=values, errors=exc.errors), 400
