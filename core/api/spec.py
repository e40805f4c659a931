"""The OpenAPI 3.1 document, generated from the code.

Each API view declares itself with :func:`operation` (summary, parameters, request body,
answers); :func:`document` walks the application's URL map, takes every rule under
``/api/v1`` with its methods and path converters, and adds the declarations and the schemas of
:mod:`core.api.schemas`. A route without a declaration is left out of the document, and
:func:`undocumented` names it (a test requires it to be empty).

Every operation may answer ``401`` (a Bearer token that is unknown, expired or revoked), and
every error has the shape of :mod:`core.api.errors` (schema ``Error``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask

from core.api import schemas
from core.i18n import _

PREFIX = "/api/v1"
VERSION = "1.0.0"
AUTH = ("none", "optional", "required")

STATUS_TEXT = {
    200: _("Success."),
    201: _("Created."),
    400: _("Invalid parameters or body (see problems)."),
    401: _("The token is missing, unknown, expired or revoked."),
    403: _("Not allowed for this user or token."),
    404: _("No such object, or not visible to the caller."),
    409: _("Refused in the object's present state (see problems)."),
    415: _("The body must be JSON (Content-Type: application/json)."),
    422: _("The body is incomplete or invalid (see problems)."),
    429: _("Too many requests from this address; try again later."),
}


@dataclass(frozen=True)
class Param:
    """A query parameter (``location="query"``) or extra facts about a path parameter."""

    name: str
    schema: dict[str, Any]
    description: Any = ""
    required: bool = False
    location: str = "query"


@dataclass(frozen=True)
class Doc:
    summary: Any
    tag: str
    description: Any = ""
    params: tuple[Param, ...] = ()
    body: str | None = None  # schema name of the JSON request body
    responses: dict[int, str | None] = field(default_factory=dict)  # status -> schema name
    auth: str = "optional"  # none | optional | required
    scope: str | None = None  # the token scope the operation needs
    media_type: str = "application/json"


LANG = Param(
    "lang",
    {"type": "string", "maxLength": 35, "examples": ["zh_Hans_CN", "en", "ug"]},
    _("Language of names, titles and labels: zh_Hans_CN, en or ug (else the request's)."),
)
ORG_CODE = Param(
    "org_code",
    {"pattern": "^[a-z0-9][a-z0-9-]{0,62}$"},
    _("Code of the organisation (a county or a unit)."),
    location="path",
)
ITEM_ID = Param("item_id", {}, _("Id of the item."), location="path")


def operation(
    summary,
    *,
    tag: str,
    description="",
    params=(),
    body: str | None = None,
    responses: dict[int, str | None],
    auth: str = "optional",
    scope: str | None = None,
    media_type: str = "application/json",
) -> Callable:
    """Declare an API view for the OpenAPI document (``responses``: status → schema name;
    error statuses take the ``Error`` schema whatever is given)."""
    if auth not in AUTH:
        raise ValueError(f"auth must be one of {AUTH}")

    def decorate(view):
        view.api_doc = Doc(
            summary, tag, description, tuple(params), body, dict(responses), auth, scope,
            media_type,
        )  # fmt: skip
        return view

    return decorate


# --- the URL map -----------------------------------------------------------------------------

ARGUMENT = re.compile(r"<(?:(?P<conv>\w+)(?:\((?P<args>[^)]*)\))?:)?(?P<name>\w+)>")
INT_MAX = 2**31 - 1


def _converter_schema(conv: str | None, args: str | None) -> dict[str, Any]:
    if conv == "int":
        return {"type": "integer", "minimum": 1, "maximum": INT_MAX}
    if conv == "any":
        return {"type": "string", "enum": [a.strip().strip("'\"") for a in (args or "").split(",")]}
    return {"type": "string", "minLength": 1}


def openapi_path(rule: str) -> tuple[str, list[tuple[str, dict[str, Any]]]]:
    """``/orgs/<org_code>/items/<int:item_id>`` → ``/orgs/{org_code}/items/{item_id}`` with the
    schemas of its path parameters."""
    found = []

    def replace(match: re.Match) -> str:
        found.append((match["name"], _converter_schema(match["conv"], match["args"])))
        return "{" + match["name"] + "}"

    return ARGUMENT.sub(replace, rule), found


def api_rules(app: Flask):
    """``(rule, view)`` of every route under ``/api/v1`` (sorted by path)."""
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        if rule.rule == PREFIX or rule.rule.startswith(PREFIX + "/"):
            yield rule, app.view_functions[rule.endpoint]


def undocumented(app: Flask) -> list[str]:
    return [rule.rule for rule, view in api_rules(app) if getattr(view, "api_doc", None) is None]


def _methods(rule) -> list[str]:
    return sorted(m.lower() for m in rule.methods - {"HEAD", "OPTIONS"})


def _error_statuses(doc: Doc, path_params) -> set[int]:
    statuses = {s for s in doc.responses if s >= 400} | {401}
    if path_params:
        statuses.add(404)
    if doc.params:
        statuses.add(400)
    if doc.body:
        statuses |= {400, 415, 422}
    if doc.auth == "required":
        statuses.add(403)
    return statuses


def _operation(rule, doc: Doc, path_params) -> dict[str, Any]:
    given = {p.name: p for p in doc.params if p.location == "path"}
    parameters = []
    for name, schema in path_params:
        extra = given.get(name)
        parameters.append(
            {
                "name": name,
                "in": "path",
                "required": True,
                "description": str(extra.description) if extra else "",
                "schema": {**schema, **(extra.schema if extra else {})},
            }
        )
    for p in doc.params:
        if p.location != "path":
            parameters.append(
                {
                    "name": p.name,
                    "in": p.location,
                    "required": p.required,
                    "description": str(p.description),
                    "schema": p.schema,
                }
            )
    responses: dict[str, Any] = {}
    for status, schema_name in sorted(doc.responses.items()):
        if status >= 400:
            continue
        content = {}
        if doc.media_type == "application/json" and schema_name:
            content = {"application/json": {"schema": schemas.ref(schema_name)}}
        elif doc.media_type != "application/json":
            content = {doc.media_type: {"schema": {"type": "string"}}}
        responses[str(status)] = {
            "description": str(STATUS_TEXT.get(status, "")),
            "content": content,
        }
    for status in sorted(_error_statuses(doc, path_params)):
        responses[str(status)] = {
            "description": str(STATUS_TEXT.get(status, "")),
            "content": {"application/json": {"schema": schemas.ref("Error")}},
        }
    op: dict[str, Any] = {
        "operationId": rule.endpoint.replace(".", "_"),
        "summary": str(doc.summary),
        "tags": [doc.tag],
        "parameters": parameters,
        "responses": responses,
    }
    if doc.description:
        op["description"] = str(doc.description)
    if doc.body:
        op["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": schemas.ref(doc.body)}},
        }
    if doc.auth == "required":
        op["security"] = [{"bearer": []}]
    elif doc.auth == "optional":
        op["security"] = [{}, {"bearer": []}]
    else:
        op["security"] = [{}]
    if doc.scope:
        op["x-token-scope"] = doc.scope
    return op


def document(app: Flask, *, server_url: str = "/") -> dict[str, Any]:
    """The OpenAPI 3.1 document of the API routes of ``app``."""
    from core.api import operations as tokens

    paths: dict[str, dict[str, Any]] = {}
    tags: dict[str, None] = {}
    for rule, view in api_rules(app):
        doc: Doc | None = getattr(view, "api_doc", None)
        if doc is None:
            continue
        path, path_params = openapi_path(rule.rule)
        for method in _methods(rule):
            paths.setdefault(path, {})[method] = _operation(rule, doc, path_params)
        tags[doc.tag] = None
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Gongkai API",
            "version": VERSION,
            "description": str(
                _(
                    "The JSON API of the Party affairs disclosure platform. Anonymous callers "
                    "read public data; a token (Authorization: Bearer) reads and acts as its "
                    "user, within its scopes. Errors share one shape (schema Error); lists are "
                    "paged with opaque cursors (limit, cursor, next_cursor)."
                )
            ),
        },
        "servers": [{"url": server_url}],
        "tags": [{"name": t} for t in tags],
        "paths": paths,
        "components": {
            "schemas": schemas.SCHEMAS,
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": str(
                        _(
                            "A token made with `gongkai tokens create`. Scopes: %(scopes)s.",
                            scopes="; ".join(f"{k} — {v}" for k, v in tokens.SCOPES.items()),
                        )
                    ),
                }
            },
        },
    }
