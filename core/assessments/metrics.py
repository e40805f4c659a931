"""Automatic metrics of assessment schemes (SUP-3), from the hook ``assessment_metrics``.

The metrics a scheme of an organisation may score by are the answers of the hook through the
organisation's relay (:func:`available`): each ``{"code", "labels", "description", "measure"}``,
where ``measure(units, starts_on, ends_on)`` returns ``{unit id: share}`` — a share from 0 to 1,
or None when there is nothing to measure (the superior then scores the criterion by hand).
``measure`` is a function, or its ``"module:function"`` path. A plugin's metric comes before
core's of the same code.

Core's own, the default plugin's answer (``core/plugins/defaults.py``), are the functions below:

* ``timeliness`` (及时率) — of the catalogue's expected disclosures due in the period, the share
  made on time (CAT-5);
* ``coverage`` (公开率) — of the same, the share made at all;
* ``feedback_handling`` — of the feedback due to be answered in the period, the share answered by
  its due date (FB-1);
* ``request_handling`` — of the disclosure requests due to be decided in the period, the share
  decided by their deadline (REQ-2);
* ``satisfaction`` — the share of "satisfied" and "basically satisfied" in the overall rating of
  the unit's latest closed member evaluation round of the period (评议).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import select

from core import db
from core.disclosure_requests.models import DisclosureRequest
from core.evaluation import operations as evaluation
from core.evaluation.models import RESULT_STATES, EvaluationRound, EvaluationUnit
from core.feedback.models import FeedbackEntry
from core.items import timeliness as items_timeliness
from tenants.models import Organisation

Measure = Callable[[list[Organisation], date, date], dict[int, float | None]]


@dataclass(frozen=True)
class Metric:
    code: str
    labels: dict[str, str]
    description: dict[str, str]
    measure: Measure


def _resolve(measure: Any) -> Measure | None:
    if callable(measure):
        return measure
    if isinstance(measure, str) and ":" in measure:
        module, _sep, name = measure.partition(":")
        try:
            return getattr(importlib.import_module(module), name)
        except (ImportError, AttributeError):
            return None
    return None


def available(org: Organisation) -> dict[str, Metric]:
    """The metrics a scheme of ``org`` may score by (the hook, through ``org``'s relay)."""
    if not has_app_context():
        return {}
    plugins = current_app.extensions.get("gongkai.plugins")
    if plugins is None:
        return {}
    found: dict[str, Metric] = {}
    for batch in plugins.relay(org).assessment_metrics(org=org):
        for raw in batch or []:
            if not isinstance(raw, dict) or not raw.get("code"):
                continue
            code = str(raw["code"])[:60]
            measure = _resolve(raw.get("measure"))
            if code in found or measure is None:
                continue
            found[code] = Metric(
                code,
                {str(k): str(v) for k, v in (raw.get("labels") or {}).items()},
                {str(k): str(v) for k, v in (raw.get("description") or {}).items()},
                measure,
            )
    return found


def measure(
    org: Organisation, code: str, units: list[Organisation], starts_on: date, ends_on: date
) -> dict[int, float | None]:
    """The shares of ``units`` by the metric ``code`` of ``org``'s schemes (None for a unit it
    could not measure, or a metric no longer available): each between 0 and 1."""
    metric = available(org).get(code)
    if metric is None or not units:
        return dict.fromkeys((u.id for u in units), None)
    raw = metric.measure(units, starts_on, ends_on) or {}
    out: dict[int, float | None] = {}
    for unit in units:
        value = raw.get(unit.id)
        if isinstance(value, int | float) and not isinstance(value, bool):
            out[unit.id] = min(1.0, max(0.0, float(value)))
        else:
            out[unit.id] = None
    return out


# --- core's metrics --------------------------------------------------------------------------


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _expected(unit: Organisation, starts_on: date, ends_on: date):
    """The unit's expected disclosures due in the period, as the timeliness page sees them."""
    found = []
    for year in range(starts_on.year, ends_on.year + 1):
        for s in items_timeliness.status(unit, year, today=ends_on + timedelta(days=1)):
            if starts_on <= s.expected.due <= ends_on:
                found.append(s)
    return found


def timeliness(units: list[Organisation], starts_on: date, ends_on: date):
    out = {}
    for unit in units:
        found = _expected(unit, starts_on, ends_on)
        out[unit.id] = _share(
            sum(1 for s in found if s.item is not None and not s.late), len(found)
        )
    return out


def coverage(units: list[Organisation], starts_on: date, ends_on: date):
    out = {}
    for unit in units:
        found = _expected(unit, starts_on, ends_on)
        out[unit.id] = _share(sum(1 for s in found if s.item is not None), len(found))
    return out


def feedback_handling(units: list[Organisation], starts_on: date, ends_on: date):
    fb = FeedbackEntry
    rows = db.session.execute(
        select(fb.org_id, fb.answered_on, fb.due_on).where(
            fb.org_id.in_([u.id for u in units]),
            fb.spam.is_(False),
            fb.due_on >= starts_on,
            fb.due_on <= ends_on,
        )
    ).all()
    due: dict[int, int] = {}
    kept: dict[int, int] = {}
    for org_id, answered_on, due_on in rows:
        due[org_id] = due.get(org_id, 0) + 1
        if answered_on is not None and answered_on <= due_on:
            kept[org_id] = kept.get(org_id, 0) + 1
    return {u.id: _share(kept.get(u.id, 0), due.get(u.id, 0)) for u in units}


def request_handling(units: list[Organisation], starts_on: date, ends_on: date):
    req = DisclosureRequest
    rows = db.session.execute(
        select(req.org_id, req.decided_on, req.deadline).where(
            req.org_id.in_([u.id for u in units]),
            req.deadline >= starts_on,
            req.deadline <= ends_on,
            req.state.not_in(("rejected_invalid", "lapsed")),
        )
    ).all()
    due: dict[int, int] = {}
    kept: dict[int, int] = {}
    for org_id, decided_on, deadline in rows:
        due[org_id] = due.get(org_id, 0) + 1
        if decided_on is not None and decided_on <= deadline:
            kept[org_id] = kept.get(org_id, 0) + 1
    return {u.id: _share(kept.get(u.id, 0), due.get(u.id, 0)) for u in units}


def satisfaction(units: list[Organisation], starts_on: date, ends_on: date):
    """The overall satisfaction of each unit in its latest counted round of the period."""
    rows = db.session.execute(
        select(EvaluationUnit.org_id, EvaluationRound)
        .join(EvaluationRound, EvaluationRound.id == EvaluationUnit.round_id)
        .where(
            EvaluationUnit.org_id.in_([u.id for u in units]),
            EvaluationRound.state.in_(RESULT_STATES),
            EvaluationRound.closes_on >= starts_on,
            EvaluationRound.closes_on <= ends_on,
        )
        .order_by(EvaluationRound.closes_on, EvaluationRound.id)
    ).all()
    latest: dict[int, EvaluationRound] = {}
    for org_id, round_ in rows:
        latest[org_id] = round_  # the last one wins
    counted: dict[int, dict[int, float | None]] = {}
    out: dict[int, float | None] = {}
    for unit in units:
        round_ = latest.get(unit.id)
        if round_ is None:
            out[unit.id] = None
            continue
        if round_.id not in counted:
            counted[round_.id] = {
                r.unit.id: (r.overall.satisfaction if r.overall else None)
                for r in evaluation.results(round_)
            }
        out[unit.id] = counted[round_.id].get(unit.id)
    return out
