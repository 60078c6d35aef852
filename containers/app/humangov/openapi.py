"""GET /api/openapi.json: the JSON API's OpenAPI 3.1 document (openapi_document.py), for clients and tools.

A blueprint of its own, apart from `api`: reading the contract needs no guard header, changes nothing
and costs no storage call.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from humangov.openapi_document import document
from humangov.signin import public

bp = Blueprint("openapi", __name__, url_prefix="/api")


@bp.get("/openapi.json")
@public
def openapi_json() -> Response:
    return jsonify(document())
