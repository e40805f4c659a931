"""The API's own pages: the OpenAPI document and its reference page.

* ``GET /api/v1/openapi.json`` — the OpenAPI 3.1 document, generated from the routes
  (:mod:`core.api.spec`);
* ``GET /api/v1/docs`` — the same as an HTML page.

The endpoints live with their capability: organisations and trees in ``core.portal.api``, items,
their versions, objections and workflow steps in ``core.items.api``, the catalogue in
``core.catalogue.api``, the register in ``core.register.api``, requests and feedback in theirs.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify, request
from flask_babel import force_locale

from core.api import inputs, spec
from core.api import operations as tokens
from core.api.inputs import language
from core.i18n import _
from core.themes import render

bp = Blueprint("api", __name__, url_prefix="/api/v1")
bp.url_value_preprocessor(inputs.preprocess_url)

LANG = spec.LANG


# --- the document and its reference page -----------------------------------------------------


@bp.route("/openapi.json")
@spec.operation(
    _("This API's OpenAPI document"),
    tag="documentation",
    params=(LANG,),
    responses={200: None},
    auth="none",
)
def openapi():
    with force_locale(language()):
        document = spec.document(current_app, server_url=request.script_root or "/")
    return jsonify(document)


def _schema_name(schema: dict[str, Any] | None) -> str | None:
    ref = (schema or {}).get("$ref", "")
    return ref.rsplit("/", 1)[-1] or None


def _type_text(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        return _schema_name(schema) or ""
    if "anyOf" in schema:
        return " | ".join(_type_text(s) for s in schema["anyOf"])
    if "allOf" in schema:
        return " + ".join(_type_text(s) for s in schema["allOf"])
    kind = schema.get("type", "object")
    kinds = kind if isinstance(kind, list) else [kind]
    text = " | ".join(
        f"array of {_type_text(schema.get('items', {}))}" if k == "array" else k for k in kinds
    )
    if schema.get("format"):
        text += f" ({schema['format']})"
    if schema.get("enum"):
        text += ": " + ", ".join(str(v) for v in schema["enum"])
    return text


@bp.route("/docs")
@spec.operation(
    _("The API reference (HTML)"),
    tag="documentation",
    params=(LANG,),
    responses={200: None},
    auth="none",
    media_type="text/html",
)
def docs():
    loc = language()
    with force_locale(loc):
        document = spec.document(current_app, server_url=request.script_root or "/")
        operations = []
        for path, methods in document["paths"].items():
            for method, op in methods.items():
                body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
                operations.append(
                    {
                        "id": op["operationId"],
                        "method": method.upper(),
                        "path": path,
                        "op": op,
                        "body": _schema_name(body.get("schema")),
                        "auth": [k for s in op.get("security", []) for k in s] or [],
                        "optional_auth": {} in op.get("security", []),
                        "responses": [
                            (
                                status,
                                r["description"],
                                _schema_name(
                                    r.get("content", {}).get("application/json", {}).get("schema")
                                ),
                            )
                            for status, r in op["responses"].items()
                        ],
                    }
                )
        return render(
            "api/docs.html",
            document=document,
            operations=operations,
            schemas=document["components"]["schemas"],
            type_text=_type_text,
            scopes=tokens.SCOPES,
        )
