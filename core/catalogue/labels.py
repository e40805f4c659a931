"""Catalogue codes in plain words: scope, cadence, state, fields, due rules (translated labels).

Codes stay in the database and the API; people read these labels, in their language.
"""

from __future__ import annotations

import calendar
from datetime import date
from typing import Any

from babel.dates import format_skeleton
from flask_babel import gettext, ngettext

from core import audit_labels
from core.i18n import LANGUAGE_NAMES, _, locale, yes_no

SCOPES = {
    "public": _("Public: everyone"),
    "party_wide": _("All Party members"),
    "unit": _("Members of the unit and its superiors"),
    "specific": _("Named organisations or people only"),
}
audit_labels.register_values("scope", SCOPES)
audit_labels.register_values("visible_scope", SCOPES)

CADENCES = {
    "standing": _("Standing: published at the start of the year and kept up to date"),
    "monthly": _("Every month"),
    "quarterly": _("Every quarter"),
    "half_yearly": _("Every half year"),
    "yearly": _("Every year"),
    "on_progress": _("At each stage of the work"),
    "immediate": _("Immediately after the decision"),
}

STATES = {
    "draft": _("Draft"),
    "in_review": _("In the unit's review"),
    "submitted": _("Submitted to the superior"),
    "approved": _("Approved"),
    "returned": _("Returned for changes"),
}

TEMPLATE_STATES = {**STATES, "approved": _("Published")}

FIELDS = {
    "titles": _("Title"),
    "content": _("Content"),
    "scope": _("Scope"),
    "channels": _("Channels"),
    "cadence": _("Cadence"),
    "due_days": _("Due days"),
    "notice_days": _("Notice period (days)"),
    "responsible": _("Responsible"),
    "mandatory": _("Mandatory"),
    "item_type": _("Item type"),
    "category": _("Category"),
}

AUDIENCES = {
    "party": _("inside the Party"),
    "society": _("for the public"),
    "both": _("inside the Party and for the public"),
}


def scope(code: str | None) -> str:
    return str(SCOPES.get(code, code or ""))


def cadence(code: str | None) -> str:
    return str(CADENCES.get(code, code or ""))


def state(code: str, kind: str = "unit") -> str:
    return str((TEMPLATE_STATES if kind == "template" else STATES).get(code, code))


def channels(codes: list[str] | None, channel_labels: dict[str, str]) -> str:
    return gettext(", ").join(channel_labels.get(c, c) for c in codes or [])


def _days(n: int) -> str:
    return ngettext("%(num)d day", "%(num)d days", n)


def due(rule: dict) -> str:
    """A due rule (see :func:`core.catalogue.schedule.due_rule`) in words."""
    c = rule.get("cadence")
    if "due_days_after_period" in rule:
        days = _days(rule["due_days_after_period"])
        return {
            "monthly": gettext("within %(days)s after each month ends", days=days),
            "quarterly": gettext("within %(days)s after each quarter ends", days=days),
            "half_yearly": gettext("within %(days)s after each half year ends", days=days),
            "yearly": gettext("within %(days)s after the year ends", days=days),
        }.get(c, "")
    if "due_each_year" in rule:
        month, day = (int(p) for p in str(rule["due_each_year"]).split("-"))
        day = min(day, calendar.monthrange(2024, month)[1])
        when = format_skeleton("MMMMd", date(2024, month, day), locale=locale())
        return gettext("by %(date)s each year", date=when)
    if "due_days_after_year_start" in rule:
        return gettext(
            "within %(days)s after the year begins", days=_days(rule["due_days_after_year_start"])
        )
    if "due_days_after_decision" in rule:
        return gettext(
            "within %(days)s after the decision", days=_days(rule["due_days_after_decision"])
        )
    if c == "on_progress":
        return gettext("as each stage of the work is reached")
    return ""


def value(field: str, value: Any, channel_labels: dict[str, str], loc: str | None = None) -> str:
    """One field value of an entry in words (for diffs and history)."""
    loc = loc or locale()
    if value is None or value == "" or value == [] or value == {}:
        return gettext("(none)")
    if field in ("titles", "content") and isinstance(value, dict):
        if set(value) == {"zh_Hans_CN"}:
            return value["zh_Hans_CN"]
        return gettext("; ").join(
            f"{LANGUAGE_NAMES.get(code, code)}: {text}" for code, text in value.items()
        )
    if field == "scope":
        return scope(value)
    if field == "cadence":
        return cadence(value)
    if field == "channels":
        return channels(value, channel_labels)
    if field == "mandatory":
        return yes_no(value)
    if field in ("due_days", "notice_days"):
        return _days(int(value))
    return str(value)


def month_heading(day: date, loc: str) -> str:
    return format_skeleton("yMMMM", day, locale=loc)


def period(item, loc: str) -> str:
    """The period of an expected disclosure (``core.catalogue.schedule.ExpectedDisclosure``)."""
    year = item.period_start.year
    if item.cadence == "monthly":
        return month_heading(item.period_start, loc)
    if item.cadence == "quarterly":
        return gettext(
            "Quarter %(n)s of %(year)s", n=(item.period_start.month - 1) // 3 + 1, year=year
        )
    if item.cadence == "half_yearly":
        return gettext(
            "Half year %(n)s of %(year)s", n=1 if item.period_start.month < 7 else 2, year=year
        )
    return gettext("Year %(year)s", year=year)
