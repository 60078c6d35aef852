"""Liveness for the load balancer (no AWS call) and readiness (the records table, the audit table and the
bucket answer: no change can be made that could not be audited)."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from humangov.signin import public
from humangov.storage import current_storage

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@public
def healthz() -> Response:
    # The ALB calls this every few seconds per task: it must not cost an AWS request or fail with AWS.
    return jsonify(status="ok")


@bp.get("/readyz")
@public
def readyz() -> tuple[Response, int]:
    readiness = current_storage().readiness()
    checks = {
        "table": "ok" if readiness.table else "unavailable",
        "bucket": "ok" if readiness.bucket else "unavailable",
        "audit_table": "ok" if readiness.audit_table else "unavailable",
    }
    if readiness.ready:
        return jsonify(status="ok", checks=checks), 200
    return jsonify(status="unavailable", checks=checks), 503
