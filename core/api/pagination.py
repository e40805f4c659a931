"""Stable cursors for API lists.

A cursor is opaque to clients: the position after the last row of a page (for example the
``(published_at, id)`` of the last item of a newest-first list), signed with the application's
secret key and bound to the list and the filters it was made for. A list ordered by a unique key
and continued "after" that key returns every row exactly once, even when rows are added between
pages (new items are newer than any cursor, new register entries come after every cursor).

Clients pass ``limit`` (1–100) and the ``next_cursor`` of the previous answer as ``cursor``;
``next_cursor`` is ``null`` on the last page.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from core.api.errors import ApiError
from core.errors import Problem
from core.i18n import _

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
MAX_CURSOR_LENGTH = 500
SALT = "gongkai.api.cursor"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def fingerprint(kind: str, filters: dict[str, Any]) -> str:
    """A short digest of the list and its filters: a cursor is valid for the same query only."""
    text = json.dumps([kind, filters], sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def encode(kind: str, filters: dict[str, Any], position: list[Any]) -> str:
    return _serializer().dumps({"f": fingerprint(kind, filters), "p": position})


def decode(cursor: str | None, kind: str, filters: dict[str, Any], problems: list[str]):
    """The position stored in ``cursor`` (None without one); a cursor that was not made by this
    server for this list and these filters adds a problem."""
    if not cursor:
        return None
    if len(cursor) > MAX_CURSOR_LENGTH:
        problems.append(Problem("cursor", _("not a cursor of this list")))
        return None
    try:
        data = _serializer().loads(cursor)
    except BadSignature:
        problems.append(Problem("cursor", _("not a cursor of this list")))
        return None
    if not isinstance(data, dict) or data.get("f") != fingerprint(kind, filters):
        problems.append(Problem("cursor", _("made for another list or other filters")))
        return None
    return data.get("p")


def limit_arg(args, problems: list[str], *, names=("limit",), default=DEFAULT_LIMIT) -> int:
    """The page size from the first of ``names`` given (1 to :data:`MAX_LIMIT`)."""
    for name in names:
        raw = args.get(name)
        if raw is None or raw == "":
            continue
        try:
            value = int(raw)
        except ValueError:
            value = 0
        if not 1 <= value <= MAX_LIMIT:
            problems.append(Problem(name, _("a whole number from 1 to %(n)s", n=MAX_LIMIT)))
            return default
        return value
    return default


def require_valid(problems: list[str]) -> None:
    if problems:
        raise ApiError(400, _("The request has invalid parameters."), problems=problems)
