"""Reading what API callers send: URL values, query strings and JSON bodies.

Caller-controlled text reaches SQL only after these checks: a NUL character (which PostgreSQL
text cannot hold) in the path is a 404 and in the query string a 400; a whole-number path value
beyond the database's integer range is a 404; a JSON body must be an object sent as
``application/json``.
"""

from __future__ import annotations

from typing import Any

from flask import abort, request
from flask_babel import get_locale

from core.api.errors import ApiError
from core.errors import Problem
from core.i18n import _, normalise
from tenants import resolution

INT_MAX = 2**31 - 1


def preprocess_url(endpoint, values) -> None:
    """URL value preprocessor of the API blueprints: refuse unstorable values, then resolve
    ``org_code`` to ``g.org`` (404 for an unknown or disabled organisation)."""
    for value in (values or {}).values():
        if isinstance(value, int) and not 0 <= value <= INT_MAX:
            abort(404)
        if isinstance(value, str) and ("\x00" in value or len(value) > 200):
            abort(404)
    resolution.pull_org(endpoint, values)


def language() -> str:
    """The language of an answer: ``?lang=`` when it names a supported one, else the request's."""
    return normalise(request.args.get("lang")) or str(get_locale())


def query_problems() -> list[str]:
    """Problems of the query string as a whole (run for every ``/api/`` request)."""
    return [
        f"{name}: contains a NUL character"
        for name, value in request.args.items(multi=True)
        if "\x00" in name or "\x00" in value
    ]


def json_body(*, optional: bool = False) -> dict[str, Any]:
    """The JSON object of the request body (``{}`` for an empty optional body)."""
    if not request.get_data(cache=True):
        if optional:
            return {}
        raise ApiError(
            400, _("The request needs a JSON body."), problems=[Problem("body", _("missing"))]
        )
    if not request.is_json:
        raise ApiError(415, _("Send the body as JSON (Content-Type: application/json)."))
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ApiError(
            400,
            _("The body must be a JSON object."),
            problems=[Problem("body", _("not an object"))],
        )
    return data


def text_field(
    data: dict[str, Any],
    name: str,
    problems: list[str],
    *,
    required: bool = False,
    max_length: int = 5000,
) -> str | None:
    """A string field of ``data`` (stripped; None when absent or empty)."""
    value = data.get(name)
    if value is None:
        if required:
            problems.append(Problem(name, _("is required")))
        return None
    if not isinstance(value, str):
        problems.append(Problem(name, _("must be a string")))
        return None
    if "\x00" in value:
        problems.append(Problem(name, _("contains a NUL character")))
        return None
    value = value.strip()
    if not value and required:
        problems.append(Problem(name, _("is required")))
    if len(value) > max_length:
        problems.append(Problem(name, _("at most %(n)s characters", n=max_length)))
    return value or None


def bool_field(data: dict[str, Any], name: str, problems: list[str], *, default=None):
    value = data.get(name, default)
    if not isinstance(value, bool):
        problems.append(Problem(name, _("must be true or false")))
        return False
    return value


def texts_field(data: dict[str, Any], name: str, problems: list[str]) -> dict[str, str] | None:
    """A ``{language: text}`` object (None when absent)."""
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        problems.append(Problem(name, _("must be an object of texts by language")))
        return None
    if any("\x00" in k or "\x00" in v for k, v in value.items()):
        problems.append(Problem(name, _("contains a NUL character")))
        return None
    return value
