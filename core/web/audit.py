"""An audit entry in words, for the pages and the exports that show the audit log.

The entry keeps its codes (the specialist's filters, the API); a reader sees the action, the kind
of object and the changed fields in words (:mod:`core.audit_labels`), the dates with the page's
date helpers (:func:`core.web.when`, :func:`core.web.day`) and yes/no as words. Each change keeps
its key for the specialist (the page puts it in a ``title``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask import url_for

from core import audit_labels
from core.i18n import yes_no
from core.web import day, display_names, may, when
from core.workflow.engine import state_label

ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ISO_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")


@dataclass(frozen=True)
class Change:
    key: str
    label: str | None
    """The field in words, None when it has none (the page then shows the key)."""
    text: str
    raw: bool = False
    """The text holds a value as it was stored (a code, or what somebody typed): the page marks
    it as not to be translated."""


def _moment(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


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
    state, a scope or a role in words; anything else as it was stored."""
    return _words(key, value, object_type, org)[0]


def change(key: str, values: Any, *, object_type: str = "", org: Any = None) -> Change:
    """One field's change (``[before, after]``) as "before → after" (or the new value alone)."""
    label = audit_labels.field(key)
    if isinstance(values, list | tuple) and len(values) == 2:
        before, after = values
        after_text, after_raw = _words(key, after, object_type, org)
        if before in (None, "", [], {}):
            return Change(key, label, after_text, after_raw)
        before_text, before_raw = _words(key, before, object_type, org)
        return Change(key, label, f"{before_text} → {after_text}", before_raw or after_raw)
    text, raw = _words(key, values, object_type, org)
    return Change(key, label, text, raw)


def changes(entry, org: Any = None) -> list[Change]:
    """The changes of ``entry`` in words, in their stored order (a field left empty, none)."""
    found = (
        change(key, values, object_type=entry.object_type, org=org)
        for key, values in (entry.changes or {}).items()
    )
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
        if platform and org.parent_id is None:
            return url_for("platform_admin.county", org_code=org.code)
        if may("console.view", org):
            return url_for("org_console.home", org_code=org.code)
    if entry.object_type == "item" and may("items.view_console", org):
        return url_for("items_admin.detail", org_code=org.code, item_id=int(number))
    return None


action = audit_labels.action
"""The action in words (the code when it has none)."""
object_type = audit_labels.object_type
"""The kind of object in words (the code when it has none)."""


def user_names(entries) -> dict[str, str]:
    """``{object id: display name}`` of the accounts the entries are about (one query)."""
    ids = {
        int(e.object_id) for e in entries
        if e.object_type == "user" and e.object_id.isascii() and e.object_id.isdigit()
        and len(e.object_id) < 10
    }  # fmt: skip
    return {str(k): v for k, v in display_names(ids).items()}
