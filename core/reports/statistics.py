"""The statistics of a half-year report (RPT-1), drawn from the data of the unit and the period:

* **items** published in the period — in all, by catalogue category (the top categories of the
  catalogue in force; items outside the catalogue apart), by channel and by scope; notices
  (公示) and the objections lodged against them;
* **disclosure requests** received, decided (by outcome), decided after their deadline, and
  still open past it;
* **feedback** received, answered (and answered late), rectifications done, entries closed,
  entries open past their answer date;
* **timeliness**: the expected disclosures of the catalogue due in the period (CAT-5), met,
  met on time, late, overdue;
* **sections** of the sector plugins the unit enables (hook ``report_sections``), e.g. the
  三重一大 decisions of a state enterprise.

:func:`draw` returns plain JSON (stored on the report, frozen when it is submitted);
:func:`add` sums the statistics of several reports (the subtree summary).
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import func, select

from core import db, localtime
from core.catalogue import operations as catalogue
from core.disclosure_requests.models import OPEN_STATES as REQUEST_OPEN
from core.disclosure_requests.models import DisclosureRequest, RequestDecision
from core.feedback.models import OPEN_STATES as FEEDBACK_OPEN
from core.feedback.models import FeedbackEntry
from core.items import timeliness
from core.items.models import VISIBLE_STATES, Item, Objection
from tenants.models import Organisation

OFF_CATALOGUE = "_off_catalogue"
"""The category key of items outside the catalogue."""
MAX_SECTIONS = 10
MAX_ROWS = 40


def _moments(org: Organisation, starts_on: date, ends_on: date):
    return localtime.start_of(starts_on, org), localtime.start_of(ends_on, org, next_day=True)


def _top_categories(org: Organisation) -> dict[str, tuple[str, dict[str, str]]]:
    """``{category key: (top category key, its titles)}`` of the catalogue in force."""
    version = catalogue.effective_version(org)
    if version is None:
        return {}
    cats = catalogue.categories(version)
    by_id = {c.id: c for c in cats}
    out = {}
    for c in cats:
        top = c
        while top.parent_id is not None and top.parent_id in by_id:
            top = by_id[top.parent_id]
        out[c.key] = (top.key, dict(top.titles or {}))
    return out


def items(org: Organisation, starts_on: date, ends_on: date) -> dict[str, Any]:
    start, end = _moments(org, starts_on, ends_on)
    rows = db.session.execute(
        select(Item.category_key, Item.channels, Item.scope, Item.is_notice).where(
            Item.org_id == org.id,
            Item.state.in_(VISIBLE_STATES),
            Item.published_at >= start,
            Item.published_at < end,
        )
    ).all()
    tops = _top_categories(org)
    by_category: dict[str, dict[str, Any]] = {}
    channels: Counter = Counter()
    scopes: Counter = Counter()
    notices = 0
    for category_key, item_channels, scope, is_notice in rows:
        key, titles = tops.get(category_key or "", (OFF_CATALOGUE, {}))
        slot = by_category.setdefault(key, {"titles": titles, "count": 0})
        slot["count"] += 1
        channels.update(set(item_channels or []))
        scopes[scope] += 1
        notices += 1 if is_notice else 0
    objections = db.session.scalar(
        select(func.count(Objection.id)).where(
            Objection.org_id == org.id, Objection.lodged_at >= start, Objection.lodged_at < end
        )
    )
    return {
        "published": len(rows),
        "notices": notices,
        "objections": objections or 0,
        "by_category": by_category,
        "by_channel": dict(channels),
        "by_scope": dict(scopes),
    }


def requests(org: Organisation, starts_on: date, ends_on: date, today: date) -> dict[str, Any]:
    req = DisclosureRequest
    received = db.session.scalar(
        select(func.count(req.id)).where(
            req.org_id == org.id, req.received_on >= starts_on, req.received_on <= ends_on
        )
    )
    decided = db.session.execute(
        select(RequestDecision.outcome, RequestDecision.decided_on, req.deadline)
        .join(req, req.id == RequestDecision.request_id)
        .where(
            RequestDecision.org_id == org.id,
            RequestDecision.decided_on >= starts_on,
            RequestDecision.decided_on <= ends_on,
        )
    ).all()
    last_day = min(ends_on, today)
    overdue = db.session.scalar(
        select(func.count(req.id)).where(
            req.org_id == org.id,
            req.state.in_(REQUEST_OPEN),
            req.received_on <= ends_on,
            req.deadline < last_day,
        )
    )
    return {
        "received": received or 0,
        "decided": len(decided),
        "decided_late": sum(1 for _o, on, due in decided if due is not None and on > due),
        "overdue": overdue or 0,
        "by_outcome": dict(Counter(outcome for outcome, _on, _due in decided)),
    }


def feedback(org: Organisation, starts_on: date, ends_on: date, today: date) -> dict[str, Any]:
    fb = FeedbackEntry
    mine = (fb.org_id == org.id, fb.spam.is_(False))
    start, end = _moments(org, starts_on, ends_on)

    def count(*where) -> int:
        return db.session.scalar(select(func.count(fb.id)).where(*mine, *where)) or 0

    answered = db.session.execute(
        select(fb.answered_on, fb.due_on).where(
            *mine, fb.answered_on >= starts_on, fb.answered_on <= ends_on
        )
    ).all()
    last_day = min(ends_on, today)
    return {
        "received": count(fb.received_on >= starts_on, fb.received_on <= ends_on),
        "answered": len(answered),
        "answered_late": sum(1 for on, due in answered if due is not None and on > due),
        "rectified": count(
            fb.rectification_done_on >= starts_on, fb.rectification_done_on <= ends_on
        ),
        "closed": count(fb.closed_at >= start, fb.closed_at < end),
        "overdue": count(
            fb.state.in_(FEEDBACK_OPEN), fb.received_on <= ends_on, fb.due_on < last_day
        ),
    }


def punctuality(org: Organisation, starts_on: date, ends_on: date, today: date) -> dict[str, int]:
    """The expected disclosures of the catalogue due in the period (CAT-5)."""
    out = {"expected": 0, "met": 0, "on_time": 0, "late": 0, "overdue": 0}
    for year in range(starts_on.year, ends_on.year + 1):
        for s in timeliness.status(org, year, today=today):
            if not starts_on <= s.expected.due <= ends_on:
                continue
            out["expected"] += 1
            if s.item is not None:
                out["met"] += 1
                out["late" if s.late else "on_time"] += 1
            elif s.overdue:
                out["overdue"] += 1
    return out


def _clean_sections(answers) -> list[dict[str, Any]]:
    """The plugins' sections, kept to plain JSON: ``{"key", "titles", "rows": [{"key",
    "labels", "value"}]}`` (a value is a number or a short text)."""
    out: list[dict[str, Any]] = []
    seen = set()
    for batch in answers:
        for section in batch or []:
            if not isinstance(section, dict) or len(out) >= MAX_SECTIONS:
                continue
            key = str(section.get("key") or "")[:60]
            if not key or key in seen:
                continue
            seen.add(key)
            rows = []
            for row in (section.get("rows") or [])[:MAX_ROWS]:
                if not isinstance(row, dict) or not row.get("key"):
                    continue
                value = row.get("value")
                if not isinstance(value, int | float) or isinstance(value, bool):
                    value = str(value if value is not None else "")[:200]
                labels = {str(k): str(v)[:200] for k, v in (row.get("labels") or {}).items()}
                rows.append({"key": str(row["key"])[:60], "labels": labels, "value": value})
            titles = {str(k): str(v)[:200] for k, v in (section.get("titles") or {}).items()}
            out.append({"key": key, "titles": titles, "rows": rows})
    return out


def sections(org: Organisation, starts_on: date, ends_on: date) -> list[dict[str, Any]]:
    """The sections of the plugins ``org`` enables (hook ``report_sections``, its relay)."""
    if not has_app_context():
        return []
    plugins = current_app.extensions.get("gongkai.plugins")
    if plugins is None:
        return []
    answers = plugins.relay(org).report_sections(org=org, starts_on=starts_on, ends_on=ends_on)
    return _clean_sections(answers)


def draw(org: Organisation, starts_on: date, ends_on: date, today: date) -> dict[str, Any]:
    """The statistics of ``org`` for the period (see the module's docstring)."""
    return {
        "items": items(org, starts_on, ends_on),
        "requests": requests(org, starts_on, ends_on, today),
        "feedback": feedback(org, starts_on, ends_on, today),
        "timeliness": punctuality(org, starts_on, ends_on, today),
        "sections": sections(org, starts_on, ends_on),
    }


def _add_counts(total: dict, part: dict) -> None:
    for key, value in (part or {}).items():
        if isinstance(value, dict):
            if "count" in value and "titles" in value:  # a category: keep its titles
                slot = total.setdefault(key, {"titles": value.get("titles") or {}, "count": 0})
                slot["count"] += value.get("count") or 0
            else:
                _add_counts(total.setdefault(key, {}), value)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            total[key] = total.get(key, 0) + value


def add(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """The sum of several reports' statistics (numbers added key by key; plugin sections by
    section and row key, a text row kept only while every report has the same text)."""
    total: dict[str, Any] = {}
    sections_out: dict[str, dict[str, Any]] = {}
    for part in parts:
        _add_counts(total, {k: v for k, v in (part or {}).items() if k != "sections"})
        for section in (part or {}).get("sections") or []:
            slot = sections_out.setdefault(
                section["key"], {"key": section["key"], "titles": section["titles"], "rows": {}}
            )
            for row in section.get("rows") or []:
                have = slot["rows"].get(row["key"])
                value = row["value"]
                if have is None:
                    slot["rows"][row["key"]] = dict(row)
                elif isinstance(value, int | float) and isinstance(have["value"], int | float):
                    have["value"] += value
                elif have["value"] != value:
                    have["value"] = "—"
    total["sections"] = [{**s, "rows": list(s["rows"].values())} for s in sections_out.values()]
    for name in ("items", "requests", "feedback", "timeliness"):
        total.setdefault(name, {})
    return total
