"""An audit entry in words, for the pages and the exports that show the audit log.

The entry keeps its codes (the specialist's filters, the API); a reader sees the action, the kind
of object and the changed fields in words (:mod:`core.audit_labels`), the dates with the page's
date helpers (:func:`core.web.when`, :func:`core.web.day`) and yes/no as words; a type of
organisation and a sector by their labels, a superior organisation (``parent_id``) by its name,
linked where the reader may open it, a policy parameter by its label. Each change keeps its key,
and each value shown in words its code, for the specialist (the page puts them in a ``title``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask import current_app, g, url_for
from sqlalchemy import select

from core import audit_labels, db
from core.i18n import locale, localised, yes_no
from core.web import day, display_names, may, when
from core.workflow.engine import state_label
from tenants import codelists
from tenants.models import Organisation

ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ISO_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")


@dataclass(frozen=True)
class Value:
    """One value of a change as the page shows it."""

    text: str
    code: str | None = None
    """The value as it was stored, when ``text`` is its words (a type of organisation, a
    sector, a superior organisation's id): the page keeps it in a ``<data>`` and its title."""
    link: str | None = None
    """Where the reader may open what the value names (a superior organisation)."""
    raw: bool = False
    """The text is the value as it was stored (a code, or what somebody typed): the page marks
    it as not to be translated."""


@dataclass(frozen=True)
class Change:
    key: str
    label: str | None
    """The field in words, None when it has none (the page then shows the key)."""
    text: str
    raw: bool = False
    """The text holds a value as it was stored (a code, or what somebody typed): the page marks
    it as not to be translated."""
    values: tuple[Value, ...] = ()
    """The value (after), or the values before and after, one by one (the page joins them
    with an arrow)."""


def _moment(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def _memo(name: str, make):
    """A value computed once per request (or command) and language: the code lists of a page
    of audit entries are read once, whatever the number of entries."""
    memo = g.setdefault("_audit_words", {})
    key = (name, locale())
    if key not in memo:
        memo[key] = make()
    return memo[key]


def org_type_label(code: str) -> str | None:
    """A type of organisation (``branch``) in words, or None when the code list lacks it."""
    return _memo("org_types", lambda: codelists.labels(codelists.ORG_TYPE, locale())).get(code)


def sector_label(code: str) -> str | None:
    """A sector (``soe``, ``school``) in words (core's and the plugins' sectors), or None."""

    def make():
        plugins = current_app.extensions.get("gongkai.plugins")
        sectors = plugins.sectors() if plugins is not None else {}
        return {c: localised(names, locale()) for c, names in sectors.items()}

    return _memo("sectors", make).get(code) or None


CODED = {"type_code": org_type_label, "sector": sector_label}
"""Fields whose values are codes of a code list, and the words for them."""


def superiors(entries) -> dict[int, Any]:
    """``{id: Organisation}`` of the superior organisations the entries' changes name
    (``parent_id``), in one query."""
    ids = set()
    for entry in entries:
        values = (entry.changes or {}).get("parent_id")
        for value in values if isinstance(values, list | tuple) else [values]:
            if isinstance(value, int) and not isinstance(value, bool):
                ids.add(value)
    if not ids:
        return {}
    rows = db.session.scalars(select(Organisation).where(Organisation.id.in_(ids)))
    return {row.id: row for row in rows}


def org_link(org: Any, *, platform: bool = False) -> str | None:
    """Where the reader may open ``org``: a county's page on the platform console, else its
    console; None when they may not."""
    if platform and org.parent_id is None:
        return url_for("platform_admin.county", org_code=org.code)
    if may("console.view", org):
        return url_for("org_console.home", org_code=org.code)
    return None


def _value(
    key: str, value: Any, object_type: str, org: Any, found: dict, platform: bool, object_id=None
) -> Value:
    """One value in words, with its code and link where it has them."""
    if key in CODED and isinstance(value, str) and value:
        words = CODED[key](value)
        if words:
            return Value(words, code=value)
    if key == "value" and object_id is not None:  # a parameter's choice
        words = audit_labels.object_value(object_type, object_id, value)
        if words:
            return Value(words, code=value)
    if key == "parent_id" and isinstance(value, int) and not isinstance(value, bool):
        superior = found.get(value)
        if superior is not None:
            name = superior.name(locale(), "short")
            return Value(name, code=str(value), link=org_link(superior, platform=platform))
    text, raw = _words(key, value, object_type, org)
    return Value(text, raw=raw)


def _words(key: str, value: Any, object_type: str, org: Any) -> tuple[str, bool]:
    """``(text, raw)``: a value in words, or as it was stored (raw)."""
    if value is None or value == "":
        return "", False
    if isinstance(value, bool):
        return yes_no(value), False
    if isinstance(value, datetime):
        return when(value, org=org), False
    if isinstance(value, date):
        return day(value, org=org), False
    if isinstance(value, int | float):
        return str(value), False
    if isinstance(value, dict):  # its keys are fields, or languages (names: {locale: ...})
        parts = [
            (
                audit_labels.field(k) or audit_labels.value("locales", k),
                k,
                *_words(k, v, object_type, org),
            )
            for k, v in value.items()
        ]
        text = ", ".join(f"{label or k}: {t}" for label, k, t, _raw in parts)
        return text, any(raw or label is None for label, _k, _t, raw in parts)
    if isinstance(value, list | tuple):
        parts = [_words(key, v, object_type, org) for v in value]
        return "、".join(t for t, _raw in parts), any(raw for _t, raw in parts)
    text = str(value)
    if key == "state" and object_type:
        words = state_label(object_type, text)
        return words, words == text
    words = audit_labels.value(key, text)
    if words is not None:
        return words, False
    if ISO_DAY.match(text):
        try:
            return day(date.fromisoformat(text), org=org), False
        except ValueError:
            return text, True
    if ISO_MOMENT.match(text):
        moment = _moment(text)
        if moment is not None:
            return when(moment, org=org), False
    return text, True


def value_text(key: str, value: Any, *, object_type: str = "", org: Any = None) -> str:
    """One value of a change in words: yes/no, a date or a moment of ``org``'s time zone, a
    state, a scope, a role, a type of organisation or a sector in words; anything else as it
    was stored."""
    return _value(key, value, object_type, org, {}, False).text


def change(
    key: str,
    values: Any,
    *,
    object_type: str = "",
    org: Any = None,
    superiors: dict[int, Any] | None = None,
    platform: bool = False,
    object_id: Any = None,
) -> Change:
    """One field's change (``[before, after]``) as "before → after" (or the new value alone).
    ``superiors``: the organisations ``parent_id`` may name (:func:`superiors`)."""
    label = audit_labels.field(key)
    found = superiors or {}
    if isinstance(values, list | tuple) and len(values) == 2:
        before, after = values
        shown = [after] if before in (None, "", [], {}) else [before, after]
    else:
        shown = [values]
    parts = tuple(_value(key, v, object_type, org, found, platform, object_id) for v in shown)
    text = " → ".join(p.text for p in parts)
    return Change(key, label, text, any(p.raw for p in parts), parts)


def changes(
    entry, org: Any = None, superiors: dict[int, Any] | None = None, *, platform: bool = False
) -> list[Change]:
    """The changes of ``entry`` in words, in their stored order (a field left empty, none)."""
    found = (
        change(key, values, object_type=entry.object_type, org=org, superiors=superiors,
               platform=platform, object_id=entry.object_id)
        for key, values in (entry.changes or {}).items()
    )  # fmt: skip
    return [c for c in found if c.text]


def object_link(entry, org: Any = None, *, platform: bool = False) -> str | None:
    """Where the reader may open the entry's object: an account (on the platform console), an
    organisation (a county's page on the platform console, else its console), an item in its
    console; None for anything else and for what the reader may not open."""
    number = entry.object_id if entry.object_id.isascii() and entry.object_id.isdigit() else None
    if number is None or len(number) > 10:
        return None
    if entry.object_type == "user":
        return url_for("platform_users.user", user_id=int(number)) if platform else None
    if org is None:
        return None
    if entry.object_type == "organisation" and str(org.id) == number:
        return org_link(org, platform=platform)
    if entry.object_type == "item" and may("items.view_console", org):
        return url_for("items_admin.detail", org_code=org.code, item_id=int(number))
    return None


action = audit_labels.action
"""The action in words (the code when it has none)."""
object_type = audit_labels.object_type
"""The kind of object in words (the code when it has none)."""
object_name = audit_labels.object_name
"""The object itself in words, where its id is a code that has some (a policy parameter's key:
its label), else None."""


def user_names(entries) -> dict[str, str]:
    """``{object id: display name}`` of the accounts the entries are about (one query)."""
    ids = {
        int(e.object_id) for e in entries
        if e.object_type == "user" and e.object_id.isascii() and e.object_id.isdigit()
        and len(e.object_id) < 10
    }  # fmt: skip
    return {str(k): v for k, v in display_names(ids).items()}
