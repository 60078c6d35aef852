"""Reading a record's fields and its PDF out of a request (pages and API alike)."""

from __future__ import annotations

import re
from typing import Any

from flask import abort, current_app, request

from humangov.model import TooLargeError, Upload, ValidationError, validate_fields, validate_pdf

PAGE_SIZE = 25
MAX_PAGE_SIZE = 100
MAX_SEARCH_LENGTH = 100
_ASCII_NUMBER = re.compile(r"[0-9]{1,9}")


def uploaded_pdf(*, required: bool) -> Upload | None:
    """The `pdf` file of the request, checked; None when no file was chosen and none is required."""
    file = request.files.get("pdf")
    settings = current_app.config["HUMANGOV_SETTINGS"]
    body = file.read(settings.max_upload_bytes + 1) if file is not None else b""
    # Browsers send an empty part without a name when no file was chosen.
    if file is None or (not file.filename and not body):
        if required:
            raise ValidationError({"pdf": "PDF: choose the employee's PDF document"})
        return None
    try:
        return validate_pdf(file.filename, body, settings.max_upload_bytes)
    except TooLargeError as exc:
        abort(413, f"The PDF is too large: {exc}.")


def record_input(*, pdf_required: bool, partial: bool = False) -> tuple[dict[str, Any], Upload | None]:
    """The form's fields and PDF, with every problem at once so one round trip fixes them all."""
    errors: dict[str, str] = sent_once()
    fields: dict[str, Any] = {}
    upload = None
    try:
        fields = validate_fields(request.form, partial=partial)
    except ValidationError as exc:
        errors.update(exc.errors)
    try:
        upload = uploaded_pdf(required=pdf_required)
    except ValidationError as exc:
        errors.update(exc.errors)
    if errors:
        raise ValidationError(errors)
    return fields, upload


def sent_once() -> dict[str, str]:
    """An error for each field (or file) the form sent more than once: which one counts is not guessed."""
    twice = {name for name in request.form if len(request.form.getlist(name)) > 1}
    twice |= {name for name in request.files if len(request.files.getlist(name)) > 1}
    return {name: f"{name}: sent more than once; send it once" for name in sorted(twice)}


def page_limit(raw: str | None) -> int:
    if raw is None or raw == "":
        return PAGE_SIZE
    # ASCII digits only: str.isdigit() also accepts "²", which int() refuses (a 500, not a 400).
    if not _ASCII_NUMBER.fullmatch(raw) or not 1 <= int(raw) <= MAX_PAGE_SIZE:
        raise ValidationError({"limit": f"limit must be a whole number from 1 to {MAX_PAGE_SIZE}"})
    return int(raw)


def search_text(raw: str | None) -> str:
    text = " ".join((raw or "").split())
    if not text:
        raise ValidationError({"name": "Enter a name, or part of one, to search for"})
    if len(text) > MAX_SEARCH_LENGTH:
        raise ValidationError({"name": f"Search for at most {MAX_SEARCH_LENGTH} characters"})
    return text


def form_version() -> int | None:
    """The record version a form was built on (its hidden `version` field), or None if it has none."""
    raw = request.form.get("version", "")
    return int(raw) if _ASCII_NUMBER.fullmatch(raw) else None
