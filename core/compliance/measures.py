"""Core's compliance columns: each an aggregate query over the subtree (``GROUP BY org_id``),
shared where several columns read the same figures, and the entries behind a unit's value.

* catalogue — the state of the unit's own catalogue (approved, pending, returned, none; a
  committee whose template serves its units counts as approved);
* disclosure rate (公开率) and on-time rate (及时率) — of the expected disclosures due in the
  period (before today), the share met at all and the share met by their due day;
* overdue and late — due and not met; met after the due day;
* items waiting for approval (review, the unit's approval, the superior's decision);
* filings not acknowledged — request decisions filed with the unit and not acknowledged yet;
* feedback past its answer date; requests past their deadline, and due soon;
* satisfaction — the share of "satisfied" and "basically satisfied" overall ratings in the
  latest published member evaluation of the unit;
* open findings — of inspections and confirmed flags (and how many are overdue).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import url_for
from flask_babel import gettext, ngettext
from sqlalchemy import and_, case, func, select

from core import db, i18n
from core.catalogue import labels as catalogue_labels
from core.catalogue import operations as catalogue
from core.catalogue.models import Catalogue, CatalogueVersion
from core.compliance.columns import Column, Context, Entry, register
from core.disclosure_requests.models import OPEN_STATES as REQUEST_OPEN
from core.disclosure_requests.models import DisclosureRequest, RequestDecision
from core.evaluation.models import SATISFIED, EvaluationBallot, EvaluationRound, EvaluationUnit
from core.feedback.models import OPEN_STATES as FEEDBACK_OPEN
from core.feedback.models import FeedbackEntry
from core.i18n import _
from core.items.models import Item, ItemVersion, ScheduledDisclosure
from core.supervision.models import OPEN_FINDING_STATES, Finding
from tenants.models import Organisation

WAITING_STATES = (
    "proposed",
    "reviewed",
    "superior_review",
    "amendment_pending",
    "revocation_pending",
)
"""Items waiting for someone's approval (the review, the unit's approval, the superior)."""
CATALOGUE_STATES = {
    "approved": _("Approved"),
    "pending": _("Waiting for approval"),
    "returned": _("Returned for changes"),
    "none": _("None in force"),
}
ENTRY_LIMIT = 500
"""The most entries a drill-down lists."""


def _count(flag) -> Any:
    return func.sum(case((flag, 1), else_=0))


# --- catalogue -------------------------------------------------------------------------------


def catalogue_states(ctx: Context) -> dict[int, str]:
    """``{org id: state}``: the unit's own catalogue approved and in force, else waiting for
    approval, else returned; a county (a root) without one of its own counts as approved once
    its template (基本目录) is published — it serves its units. Units without any: ``none``."""
    v = CatalogueVersion
    rows = db.rows(
        select(
            Catalogue.org_id,
            Catalogue.kind,
            Organisation.parent_id,
            func.max(
                case((and_(v.state == "approved", v.effective_from <= ctx.today), 1), else_=0)
            ),
            func.max(case((v.state.in_(("submitted", "in_review")), 1), else_=0)),
            func.max(case((v.state == "returned", 1), else_=0)),
        )
        .join(v, v.catalogue_id == Catalogue.id)
        .join(Organisation, Organisation.id == Catalogue.org_id)
        .where(Catalogue.org_id.in_(ctx.subtree_ids()))
        .group_by(Catalogue.org_id, Catalogue.kind, Organisation.parent_id)
    )
    out: dict[int, str] = {}
    for org_id, kind, parent_id, approved, pending, returned in rows:
        if kind == "unit":
            state = (
                "approved"
                if approved
                else "pending"
                if pending
                else ("returned" if returned else "none")
            )
            if state != "none" or org_id not in out:
                out[org_id] = state
        elif parent_id is None and approved and out.get(org_id, "none") == "none":
            out[org_id] = "approved"
    return out


def judge_catalogue(_ctx: Context, _org_id: int, value: str) -> str | None:
    if value == "none":
        return "behind"
    if value in ("pending", "returned"):
        return "attention"
    return None


def catalogue_entries(_ctx: Context, org: Organisation) -> list[Entry]:
    versions = db.session.scalars(
        select(CatalogueVersion)
        .join(Catalogue, Catalogue.id == CatalogueVersion.catalogue_id)
        .where(Catalogue.org_id == org.id, Catalogue.kind == "unit")
        .order_by(CatalogueVersion.number.desc())
    ).all()
    return [
        Entry(
            gettext("Version %(n)s", n=v.number),
            url_for("catalogue_admin.version", org_code=org.code, kind="unit", number=v.number),
            (catalogue_labels.state(v.state),),
        )
        for v in versions
    ]


# --- the schedule: disclosure and on-time rates, overdue, late --------------------------------


def schedule_figures(ctx: Context) -> dict[int, dict[str, int]]:
    def compute():
        sd = ScheduledDisclosure
        rows = db.rows(
            select(
                sd.org_id,
                func.count(),  # (not of the id: the index ix_scheduled_disclosures_due suffices)
                func.count(sd.item_id),
                _count(and_(sd.item_id.is_not(None), sd.late.is_(False))),
                _count(sd.late.is_(True)),
            )
            .where(
                sd.org_id.in_(ctx.subtree_ids()),
                sd.due_on >= ctx.period.start,
                sd.due_on <= ctx.window_end,
            )
            .group_by(sd.org_id)
        )
        return {
            org_id: {
                "due": due,
                "met": met,
                "on_time": int(on_time or 0),
                "late": int(late or 0),
                "overdue": due - met,
            }
            for org_id, due, met, on_time, late in rows
        }

    return ctx.once("schedule", compute)


def _rate(ctx: Context, key: str) -> dict[int, float]:
    return {org_id: f[key] / f["due"] for org_id, f in schedule_figures(ctx).items() if f["due"]}


def judge_rate(ctx: Context, _org_id: int, value: float | None) -> str | None:
    if value is None:
        return None
    if value * 100 < ctx.limits.behind_rate:
        return "behind"
    if value * 100 < ctx.limits.on_track_rate:
        return "attention"
    return None


def judge_on_time(ctx: Context, _org_id: int, value: float | None) -> str | None:
    if value is not None and value * 100 < ctx.limits.behind_rate:
        return "attention"
    return None


def judge_overdue(ctx: Context, _org_id: int, value: int) -> str | None:
    if value >= ctx.limits.behind_overdue:
        return "behind"
    return "attention" if value else None


def _schedule_entries(ctx: Context, org: Organisation, which: str) -> list[Entry]:
    sd = ScheduledDisclosure
    query = select(sd).where(
        sd.org_id == org.id, sd.due_on >= ctx.period.start, sd.due_on <= ctx.window_end
    )
    if which == "overdue":
        query = query.where(sd.item_id.is_(None))
    elif which == "late":
        query = query.where(sd.late.is_(True))
    rows = db.session.scalars(query.order_by(sd.due_on, sd.entry_key).limit(ENTRY_LIMIT)).all()
    version = catalogue.effective_version(org)
    titles = {e.key: e for e in catalogue.entries(version)} if version else {}
    items = {
        i.id: i
        for i in db.session.scalars(
            select(Item).where(Item.id.in_([r.item_id for r in rows if r.item_id]))
        )
    }
    loc = i18n.locale()
    out = []
    for r in rows:
        entry = titles.get(r.entry_key)
        title = entry.title(loc) if entry else r.entry_key
        item = items.get(r.item_id) if r.item_id else None
        if item is not None:
            facts = (
                r.period_key,
                gettext("published on %(day)s", day=_day(r.published_on)),
                gettext("late") if r.late else gettext("on time"),
            )
            link = url_for("items_admin.detail", org_code=org.code, item_id=item.id)
        else:
            facts = (r.period_key, gettext("not disclosed"))
            link = url_for(
                "items_admin.new", org_code=org.code, entry=r.entry_key, period=r.period_key
            )
        out.append(Entry(title, link, facts, r.due_on, urgent=item is None))
    return out


def _day(value: date | None) -> str:
    from core import web

    return web.day(value) if value else ""


# --- items waiting for approval ----------------------------------------------------------------


def waiting_items(ctx: Context) -> dict[int, int]:
    rows = db.rows(
        select(Item.org_id, func.count())  # (from the index ix_items_state_org alone)
        .where(Item.org_id.in_(ctx.subtree_ids()), Item.state.in_(WAITING_STATES))
        .group_by(Item.org_id)
    )
    return dict(tuple(r) for r in rows)


def waiting_entries(_ctx: Context, org: Organisation) -> list[Entry]:
    from core.items.forms import state as item_state

    current = ItemVersion.__table__.alias("current_version")
    rows = db.session.execute(
        select(Item.id, Item.state, Item.updated_at, current.c.titles)
        .outerjoin(current, Item.current_version_id == current.c.id)
        .where(Item.org_id == org.id, Item.state.in_(WAITING_STATES))
        .order_by(Item.updated_at)
        .limit(ENTRY_LIMIT)
    )
    loc = i18n.locale()
    return [
        Entry(
            i18n.localised(titles or {}, loc) or gettext("Item %(id)s", id=item_id),
            url_for("items_admin.detail", org_code=org.code, item_id=item_id),
            (item_state(state),),
        )
        for item_id, state, _updated, titles in rows
    ]


# --- filings not acknowledged ----------------------------------------------------------------


def unacknowledged_filings(ctx: Context) -> dict[int, int]:
    d = RequestDecision
    rows = db.rows(
        select(d.filed_with_id, func.count(d.id))
        .where(d.filed_with_id.in_(ctx.subtree_ids()), d.acknowledged_at.is_(None))
        .group_by(d.filed_with_id)
    )
    return dict(tuple(r) for r in rows)


def filing_entries(_ctx: Context, org: Organisation) -> list[Entry]:
    d = RequestDecision
    rows = db.session.execute(
        select(d, Organisation)
        .join(DisclosureRequest, DisclosureRequest.id == d.request_id)
        .join(Organisation, Organisation.id == DisclosureRequest.org_id)
        .where(d.filed_with_id == org.id, d.acknowledged_at.is_(None))
        .order_by(d.decided_on)
        .limit(ENTRY_LIMIT)
    ).all()
    loc = i18n.locale()
    link = url_for("requests_admin.filings", org_code=org.code)
    return [
        Entry(
            gettext(
                "Request %(number)s of %(unit)s",
                number=decision.request.number,
                unit=unit.name(loc, "short"),
            ),
            link,
            (gettext("decided on %(day)s", day=_day(decision.decided_on)),),
            decision.decided_on,
        )
        for decision, unit in rows
    ]


# --- feedback and requests past their dates --------------------------------------------------


def feedback_overdue(ctx: Context) -> dict[int, int]:
    f = FeedbackEntry
    rows = db.rows(
        select(f.org_id, func.count(f.id))
        .where(
            f.org_id.in_(ctx.subtree_ids()),
            f.spam.is_(False),
            f.state.in_(FEEDBACK_OPEN),
            f.due_on < ctx.today,
        )
        .group_by(f.org_id)
    )
    return dict(tuple(r) for r in rows)


def feedback_entries(ctx: Context, org: Organisation) -> list[Entry]:
    f = FeedbackEntry
    rows = db.session.scalars(
        select(f)
        .where(
            f.org_id == org.id, f.spam.is_(False), f.state.in_(FEEDBACK_OPEN), f.due_on < ctx.today
        )
        .order_by(f.due_on)
        .limit(ENTRY_LIMIT)
    ).all()
    return [
        Entry(
            gettext("Feedback %(receipt)s", receipt=e.receipt),
            url_for("feedback_admin.detail", org_code=org.code, feedback_id=e.id),
            (gettext("due on %(day)s", day=_day(e.due_on)),),
            e.due_on,
            urgent=True,
        )
        for e in rows
    ]


def request_figures(ctx: Context) -> dict[int, dict[str, int]]:
    def compute():
        r = DisclosureRequest
        soon = ctx.today + timedelta(days=ctx.limits.due_soon_days)
        rows = db.rows(
            select(
                r.org_id,
                _count(r.deadline < ctx.today),
                _count(and_(r.deadline >= ctx.today, r.deadline <= soon)),
            )
            .where(r.org_id.in_(ctx.subtree_ids()), r.state.in_(REQUEST_OPEN))
            .group_by(r.org_id)
        )
        return {org_id: {"past": int(p or 0), "soon": int(s or 0)} for org_id, p, s in rows}

    return ctx.once("requests", compute)


def request_entries(ctx: Context, org: Organisation, which: str) -> list[Entry]:
    r = DisclosureRequest
    query = select(r).where(r.org_id == org.id, r.state.in_(REQUEST_OPEN))
    if which == "past":
        query = query.where(r.deadline < ctx.today)
    else:
        soon = ctx.today + timedelta(days=ctx.limits.due_soon_days)
        query = query.where(r.deadline >= ctx.today, r.deadline <= soon)
    rows = db.session.scalars(query.order_by(r.deadline).limit(ENTRY_LIMIT)).all()
    return [
        Entry(
            gettext("Request %(number)s", number=req.number),
            url_for("requests_admin.detail", org_code=org.code, request_id=req.id),
            (gettext("deadline %(day)s", day=_day(req.deadline)),),
            req.deadline,
            urgent=which == "past",
        )
        for req in rows
    ]


# --- member satisfaction ---------------------------------------------------------------------


def satisfaction(ctx: Context) -> dict[int, float]:
    unit, round_, ballot = EvaluationUnit, EvaluationRound, EvaluationBallot
    latest = (
        select(unit.org_id.label("org_id"), func.max(round_.id).label("round_id"))
        .join(round_, round_.id == unit.round_id)
        .where(unit.org_id.in_(ctx.subtree_ids()), round_.state == "published")
        .group_by(unit.org_id)
        .subquery()
    )
    overall = ballot.answers["overall"].as_string()
    rows = db.rows(
        select(latest.c.org_id, func.count(ballot.id), _count(overall.in_(SATISFIED)))
        .join(ballot, and_(ballot.round_id == latest.c.round_id, ballot.org_id == latest.c.org_id))
        .group_by(latest.c.org_id)
    )
    return {org_id: int(yes or 0) / total for org_id, total, yes in rows if total}


def judge_satisfaction(ctx: Context, _org_id: int, value: float | None) -> str | None:
    if value is not None and value * 100 < ctx.limits.behind_rate:
        return "attention"
    return None


def satisfaction_entries(_ctx: Context, org: Organisation) -> list[Entry]:
    rounds = db.session.scalars(
        select(EvaluationRound)
        .join(EvaluationUnit, EvaluationUnit.round_id == EvaluationRound.id)
        .where(EvaluationUnit.org_id == org.id, EvaluationRound.state == "published")
        .order_by(EvaluationRound.id.desc())
        .limit(10)
    ).all()
    loc = i18n.locale()
    return [
        Entry(
            r.title(loc),
            url_for("evaluation_admin.detail", org_code=org.code, round_id=r.id),
            (r.organisation.name(loc, "short"), _day(r.closes_on)),
        )
        for r in rounds
    ]


# --- open findings -----------------------------------------------------------------------------


def finding_figures(ctx: Context) -> dict[int, dict[str, int]]:
    def compute():
        f = Finding
        rows = db.rows(
            select(
                f.org_id, func.count(f.id), _count(and_(f.state == "open", f.deadline < ctx.today))
            )
            .where(f.org_id.in_(ctx.subtree_ids()), f.state.in_(OPEN_FINDING_STATES))
            .group_by(f.org_id)
        )
        return {org_id: {"open": n, "overdue": int(o or 0)} for org_id, n, o in rows}

    return ctx.once("findings", compute)


def judge_findings(ctx: Context, org_id: int, _value: int) -> str | None:
    return "attention" if finding_figures(ctx).get(org_id, {}).get("overdue") else None


def note_findings(ctx: Context, org_id: int, _value: int) -> str | None:
    overdue = finding_figures(ctx).get(org_id, {}).get("overdue")
    return ngettext("%(num)s overdue", "%(num)s overdue", overdue) if overdue else None


def finding_entries(ctx: Context, org: Organisation) -> list[Entry]:
    from core.supervision.forms import finding_state

    rows = db.session.scalars(
        select(Finding)
        .where(Finding.org_id == org.id, Finding.state.in_(OPEN_FINDING_STATES))
        .order_by(Finding.deadline)
        .limit(ENTRY_LIMIT)
    ).all()
    return [
        Entry(
            f.description[:120],
            url_for("supervision_admin.finding", org_code=org.code, finding_id=f.id),
            (finding_state(f.state), f.supervisor.name(i18n.locale(), "short")),
            f.deadline,
            urgent=f.overdue(ctx.today),
        )
        for f in rows
    ]


# --- the columns -------------------------------------------------------------------------------

register(
    Column(
        "catalogue",
        _("Catalogue"),
        catalogue_states,
        kind="text",
        text=lambda v: str(CATALOGUE_STATES.get(v, v)),
        judge=judge_catalogue,
        entries=catalogue_entries,
        default="none",
        order=10,
        description=_(
            "The unit's own catalogue: approved and in force, waiting for approval, "
            "returned, or none."
        ),
    )
)
register(
    Column(
        "disclosure_rate",
        _("Disclosure rate"),
        lambda ctx: _rate(ctx, "met"),
        kind="rate",
        judge=judge_rate,
        order=20,
        entries=lambda ctx, org: _schedule_entries(ctx, org, "all"),
        description=_(
            "Of the disclosures the catalogue expected by now in the period, the share "
            "published (公开率)."
        ),
    )
)
register(
    Column(
        "on_time_rate",
        _("On-time rate"),
        lambda ctx: _rate(ctx, "on_time"),
        kind="rate",
        judge=judge_on_time,
        order=30,
        entries=lambda ctx, org: _schedule_entries(ctx, org, "all"),
        description=_("The share published by their due day (及时率)."),
    )
)
register(
    Column(
        "overdue",
        _("Overdue"),
        lambda ctx: {k: f["overdue"] for k, f in schedule_figures(ctx).items()},
        judge=judge_overdue,
        default=0,
        order=40,
        entries=lambda ctx, org: _schedule_entries(ctx, org, "overdue"),
        description=_("Expected disclosures due in the period and not published (应公开未公开)."),
    )
)
register(
    Column(
        "late",
        _("Late"),
        lambda ctx: {k: f["late"] for k, f in schedule_figures(ctx).items()},
        default=0,
        order=50,
        entries=lambda ctx, org: _schedule_entries(ctx, org, "late"),
        description=_("Published after their due day."),
    )
)
register(
    Column(
        "waiting",
        _("Waiting for approval"),
        waiting_items,
        default=0,
        order=60,
        entries=waiting_entries,
        description=_("Items waiting for the review, the unit's approval or the superior's."),
    )
)
register(
    Column(
        "filings",
        _("Filings not acknowledged"),
        unacknowledged_filings,
        default=0,
        order=70,
        judge=lambda ctx, org_id, v: "attention" if v else None,
        entries=filing_entries,
        description=_(
            "Request decisions filed with the unit by the units below it and not acknowledged yet."
        ),
    )
)
register(
    Column(
        "feedback_overdue",
        _("Feedback overdue"),
        feedback_overdue,
        default=0,
        order=80,
        judge=lambda ctx, org_id, v: "attention" if v else None,
        entries=feedback_entries,
        description=_("Feedback not answered by its answer date."),
    )
)
register(
    Column(
        "requests_overdue",
        _("Requests overdue"),
        lambda ctx: {k: f["past"] for k, f in request_figures(ctx).items()},
        default=0,
        order=90,
        judge=lambda ctx, org_id, v: "attention" if v else None,
        entries=lambda ctx, org: request_entries(ctx, org, "past"),
        description=_("Disclosure requests not decided by their deadline."),
    )
)
register(
    Column(
        "requests_due_soon",
        _("Requests due soon"),
        lambda ctx: {k: f["soon"] for k, f in request_figures(ctx).items()},
        default=0,
        order=100,
        entries=lambda ctx, org: request_entries(ctx, org, "soon"),
        description=_(
            "Disclosure requests whose deadline comes within the days set in the parameters."
        ),
    )
)
register(
    Column(
        "satisfaction",
        _("Satisfaction"),
        satisfaction,
        kind="rate",
        order=120,
        judge=judge_satisfaction,
        entries=satisfaction_entries,
        description=_(
            "Satisfied and basically satisfied ratings in the latest published member evaluation."
        ),
    )
)
register(
    Column(
        "findings",
        _("Open findings"),
        lambda ctx: {k: f["open"] for k, f in finding_figures(ctx).items()},
        default=0,
        order=130,
        judge=judge_findings,
        note=note_findings,
        entries=finding_entries,
        description=_("Findings of inspections and confirmed flags not closed yet."),
    )
)
