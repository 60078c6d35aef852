"""The app factory: settings, storage, CSRF, blueprints and error pages in one place."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, request
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from humangov import admin, api, health, notices, openapi, records, request_ids, signin, states
from humangov.config import Settings, load_settings
from humangov.cursor import Cursors
from humangov.dynamo_storage import DynamoStorage
from humangov.identity import EXTENSION_KEY as IDENTITY_KEY
from humangov.identity import Clock, Identity, utc_now
from humangov.json_body import JsonRequest
from humangov.model import ValidationError, format_salary
from humangov.responses import error_response
from humangov.service import NotFoundError
from humangov.storage import EXTENSION_KEY, BadCursorError, ConflictError, Storage, StorageError

log = logging.getLogger("humangov")

# Room for the text fields and multipart framing on top of the largest accepted PDF.
FORM_OVERHEAD_BYTES = 64 * 1024
# Largest text field of a multipart form (werkzeug answers 413 above it; Flask's default is 500 KB). Not
# lower: werkzeug's multipart decoder applies it to its buffer too, which holds 64 KiB reads of the PDF.
MAX_FORM_FIELD_BYTES = 256 * 1024
# A form stays valid for a working day; the token is bound to the session, signed with SECRET_KEY.
CSRF_TIME_LIMIT_SECONDS = 8 * 3600

_MESSAGES = {
    400: "The request was not understood.",
    403: "This request is not allowed.",
    404: "There is no such page or record.",
    405: "This method is not allowed here.",
    409: "The record changed meanwhile; reload it and try again.",
    413: "The file is too large.",
    503: "The records store is not available right now; try again shortly.",
}


def create_app(
    config: Mapping[str, Any] | None = None,
    storage: Storage | None = None,
    *,
    clock: Clock | None = None,
) -> Flask:
    """Build the app for one state.

    `config` holds settings by their environment names (US_STATE, AWS_REGION, ..., TESTING) and, when
    given, replaces the environment; `storage` replaces the DynamoDB+S3 storage (tests); `clock` (a
    callable giving an aware UTC datetime) is what sessions, the sign-in throttle and the audit trail
    read as now (tests move it).
    """
    settings = load_settings(os.environ if config is None else config)
    _configure_logging()

    app = Flask("humangov")
    app.request_class = JsonRequest  # JSON bodies: numbers as written, nesting bounded, clear 400s
    # nginx (the only client of gunicorn in the task) sets X-Forwarded-Proto, overwriting what a client
    # sent: the ALB's value, https when it terminated TLS. Trust exactly that one hop, and only the scheme.
    # https://docs.aws.amazon.com/elasticloadbalancing/latest/application/x-forwarded-headers.html
    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=0, x_proto=1, x_host=0, x_port=0, x_prefix=0)  # type: ignore[method-assign]
    app.session_interface = _SessionInterface()
    app.config.update(
        TESTING=settings.testing,
        # Tests without a key get a random one: the same code path, signed sessions and CSRF.
        SECRET_KEY=settings.secret_key or os.urandom(32).hex(),
        MAX_CONTENT_LENGTH=settings.max_upload_bytes + FORM_OVERHEAD_BYTES,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        MAX_FORM_MEMORY_SIZE=MAX_FORM_FIELD_BYTES,
        WTF_CSRF_TIME_LIMIT=CSRF_TIME_LIMIT_SECONDS,
        HUMANGOV_SETTINGS=settings,
    )
    # Annotated so that mypy checks DynamoStorage against the Storage protocol.
    # Page cursors are sealed with a key derived from SECRET_KEY: every task of the state opens them.
    cursors = Cursors(app.config["SECRET_KEY"])
    chosen: Storage = storage if storage is not None else DynamoStorage.from_settings(settings, cursors)
    app.extensions[EXTENSION_KEY] = chosen
    # Users, tokens and the audit trail: the state's own tables, read on every signed-in request.
    app.extensions[IDENTITY_KEY] = Identity.from_settings(settings, clock or utc_now)

    # Before every view: the request's id first (the gate's audit entries carry it), then the gate.
    request_ids.install(app)
    signin.install(app)
    notices.install(app)
    csrf = CSRFProtect(app)
    # The API takes no forms: a token, or a session cookie plus the X-HumanGov-Request header.
    csrf.exempt(api.bp)
    csrf.exempt(admin.api_bp)
    app.register_blueprint(signin.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(admin.api_bp)
    app.register_blueprint(records.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(openapi.bp)

    _register_error_handlers(app)
    _register_template_helpers(app, settings)

    @app.after_request
    def no_store(response: Response) -> Response:
        # Pages carry salaries: no shared cache may keep them.
        if request.endpoint != "static":
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    return app


class _SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with `Secure` whenever the request came over HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        # A Secure cookie over plain HTTP (humangov dev, the ALB's http listener) would never come back.
        return request.is_secure or bool(app.config["SESSION_COOKIE_SECURE"])


def settings_of(app: Flask) -> Settings:
    settings: Settings = app.config["HUMANGOV_SETTINGS"]
    return settings


def _register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError) -> tuple[Response | str, int]:
        return error_response(
            400, f"{exc.description} Reload the form and submit it again (forms expire after 8 hours)."
        )

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> tuple[Response | str, int] | HTTPException:
        status = exc.code or 500
        if status < 400:  # redirects raised as exceptions pass through untouched
            return exc
        if status == 413:
            return error_response(413, _too_large_message(app, exc))
        if status >= 500:
            return error_response(status, "Something went wrong on our side; the error was logged.")
        # A view's own description (abort(400, "...")) says more than the generic one.
        custom = exc.description if exc.description != type(exc).description else None
        return error_response(status, custom or _MESSAGES.get(status, exc.description or "Bad request."))

    @app.errorhandler(NotFoundError)
    def not_found(exc: NotFoundError) -> tuple[Response | str, int]:
        return error_response(404, "There is no record with this id.")

    @app.errorhandler(BadCursorError)
    def bad_cursor(exc: BadCursorError) -> tuple[Response | str, int]:
        return error_response(400, "This page link is not valid; start again from the first page.")

    @app.errorhandler(ConflictError)
    def conflict(exc: ConflictError) -> tuple[Response | str, int]:
        return error_response(409, _MESSAGES[409])

    @app.errorhandler(ValidationError)
    def invalid(exc: ValidationError) -> tuple[Response | str, int]:
        return error_response(400, "; ".join(exc.errors.values()), fields=exc.errors)

    @app.errorhandler(StorageError)
    def storage_error(exc: StorageError) -> tuple[Response | str, int]:
        log.error(
            "storage error on %s %s (request_id=%s): %s",
            request.method,
            request.path,
            request_ids.current(),
            exc,
            exc_info=exc,
        )
        return error_response(503, _MESSAGES[503])


def _too_large_message(app: Flask, exc: HTTPException) -> str:
    """Which limit a 413 is about: the PDF's (our own check), the whole request's, or one form field's."""
    if exc.description != type(exc).description:  # abort(413, "...") from the PDF check
        return str(exc.description)
    limit_mb = settings_of(app).max_upload_mb
    max_request = app.config["MAX_CONTENT_LENGTH"]
    if request.content_length is None or request.content_length > max_request:
        return (
            f"The request is too large: a PDF may be at most {limit_mb} MB, "
            f"and the other fields together at most {FORM_OVERHEAD_BYTES // 1024} KB."
        )
    # The body fits, so werkzeug's parser refused one text field over MAX_FORM_MEMORY_SIZE.
    return (
        f"A form field is too large: each text field may be at most {MAX_FORM_FIELD_BYTES // 1024} KB "
        "(names and role at most 100 characters)."
    )


def _register_template_helpers(app: Flask, settings: Settings) -> None:
    display = states.display_name(settings.us_state)

    @app.context_processor
    def state_context() -> dict[str, Any]:
        return {"state_name": display, "max_upload_mb": settings.max_upload_mb}

    app.add_template_filter(format_salary, "salary")
    app.add_template_filter(admin.audit_lines, "audit_lines")


def _configure_logging() -> None:
    # Errors go to stdout as plain lines (the container's log stream); nginx logs each request. When the
    # server configured logging already (gunicorn's logconfig_dict gives root a stdout handler), the
    # records propagate there: adding ours too would print every error twice.
    logger = logging.getLogger("humangov")
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.INFO)
    ours = any(getattr(h, "humangov", False) for h in logger.handlers)
    if not ours and not logging.getLogger().handlers:
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handler.humangov = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
