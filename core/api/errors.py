"""The one JSON shape of every error answered under ``/api/``::

    {"error": {"status": 404, "code": "not_found", "message": "...", "problems": ["..."]}}

``status`` repeats the HTTP status; ``code`` is a stable machine-readable word (below);
``message`` is for people (in the request's language where it is translated); ``problems``
lists what was wrong with the input, one line each, ``"field: what"`` (empty when there is
nothing more to say). The application's error handlers (``core.app``) answer with it for every
``/api/`` path, and views raise :class:`ApiError` for answers the handlers do not know.
"""

from __future__ import annotations

from flask import Response, jsonify

from core.errors import UserError
from core.i18n import _

CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    429: "too_many_requests",
    500: "server_error",
    503: "unavailable",
}


class ApiError(UserError):
    """A refusal with an explicit status, ``code`` and response ``headers``."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        problems: list[str] | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(message, problems=problems)
        self.status = status
        self.code = code or CODES.get(status, "error")
        self.headers = headers or {}


def body(
    status: int, message: str, *, code: str | None = None, problems: list[str] | None = None
) -> dict:
    return {
        "error": {
            "status": status,
            "code": code or CODES.get(status, "error"),
            "message": str(message),
            "problems": [str(p) for p in problems or []],
        }
    }


def response(
    status: int,
    message: str,
    *,
    code: str | None = None,
    problems: list[str] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    answer = jsonify(body(status, message, code=code, problems=problems))
    answer.status_code = status
    for name, value in (headers or {}).items():
        answer.headers[name] = value
    return answer


def bad_request(problems: list, message=None) -> ApiError:
    return ApiError(400, message or _("The request was not understood."), problems=problems)


def not_found(message=None) -> ApiError:
    return ApiError(404, message or _("There is no such object, or you may not see it."))
