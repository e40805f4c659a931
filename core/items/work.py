"""The items' groups of My work (:mod:`core.web.work`): items to review, approve, schedule or
decide as the superior, withheld items to acknowledge, objections to handle, notices ending.

Each provider runs one query over the organisations where the person holds the roles of the
step, whatever their number; each row is then decided by the workflow engine (``may_start``:
the transition's roles, the request's limits and the plugins' vetoes; no query).
"""

from __future__ import annotations

from datetime import timedelta

from flask import url_for
from sqlalchemy import func, select

from core import db
from core.i18n import _
from core.items import operations as items
from core.items import workflow as wf
from core.items.models import Item, Objection
from core.web import work
from core.workflow import may_start
from tenants.models import Organisation

NOTICE_HORIZON = timedelta(days=3)
"""Notices whose period ends within this time are listed under "notices ending"."""


def _rows(ctx: work.Context, query, step_names, note=None):
    for item, org in db.session.execute(query):
        if any(may_start(wf.item, item, name, actor=ctx.user) for name in step_names):
            yield work.Row(
                org,
                item.title(ctx.locale),
                url_for("items_admin.detail", org_code=org.code, item_id=item.id),
                note=note(item) if note else "",
                sort=item.updated_at,
            )


def _in_states(states, condition):
    return (
        select(Item, Organisation)
        .join(Organisation, Organisation.id == Item.org_id)
        .where(Item.state.in_(states), condition)
        .order_by(Item.updated_at, Item.id)
    )


@work.provider(
    "items.review", _("Items to review"), action=_("Review"), roles={"reviewer"}, order=10
)
def items_to_review(ctx: work.Context):
    query = _in_states(("proposed",), Item.org_id.in_(ctx.org_ids({"reviewer"})))
    return _rows(ctx, query, ("review",))


@work.provider(
    "items.approve", _("Items to approve"), action=_("Approve"), roles={"admin"}, order=15
)
def items_to_approve(ctx: work.Context):
    query = _in_states(("reviewed",), Item.org_id.in_(ctx.org_ids({"admin"})))
    return _rows(ctx, query, ("approve", "escalate"))


@work.provider(
    "items.schedule",
    _("Items to schedule"),
    action=_("Schedule"),
    roles=wf.EDITORS,
    order=20,
)
def items_to_schedule(ctx: work.Context):
    query = _in_states(("approved",), Item.org_id.in_(ctx.org_ids(wf.EDITORS)))
    return _rows(ctx, query, ("schedule",))


@work.provider(
    "items.decide",
    _("Items to decide as the superior"),
    action=_("Review and decide"),
    roles={"reviewer"},
    order=25,
)
def items_to_decide(ctx: work.Context):
    query = _in_states(items.DECISION_STATES, ctx.below({"reviewer"}))
    for item, org in db.session.execute(query):
        if ctx.may("items.decide", item):
            yield work.Row(
                org,
                item.title(ctx.locale),
                url_for("items_admin.decide", org_code=org.code, item_id=item.id),
                note=_label(item.state),
                sort=item.updated_at,
            )


def _label(state: str) -> str:
    from core.items.forms import state as state_label

    return state_label(state)


@work.provider(
    "items.filings",
    _("Withheld items to acknowledge"),
    action=_("Acknowledge"),
    roles=items.FILING_READERS,
    order=45,
)
def withheld_to_acknowledge(ctx: work.Context):
    query = (
        select(Item, Organisation)
        .join(Organisation, Organisation.id == Item.org_id)
        .where(
            Item.state == "withheld",
            Item.filing_acknowledged_at.is_(None),
            ctx.below(items.FILING_READERS),
        )
        .order_by(Item.updated_at, Item.id)
    )
    for item, org in db.session.execute(query):
        reader = ctx.nearest_above(org, items.FILING_READERS)
        if reader is not None and ctx.may("items.receive_filing", item):
            yield work.Row(
                org,
                item.title(ctx.locale),
                url_for("items_admin.filings", org_code=reader.code, filing=item.id),
                note=item.withheld_reason or "",
                sort=item.updated_at,
            )


@work.provider(
    "items.objections",
    _("Objections to handle"),
    action=_("Handle"),
    roles=wf.EDITORS,
    order=50,
)
def objections_to_handle(ctx: work.Context):
    """Objections not yet handled, lodged against the notices of the person's units (b11flow
    refines the handling)."""
    waiting = (
        select(
            Objection.item_id,
            func.count(Objection.id).label("n"),
            func.min(Objection.lodged_at).label("first"),
        )
        .where(Objection.handled.is_(False))
        .group_by(Objection.item_id)
        .subquery()
    )  # counted per item first: the items' JSON columns cannot be grouped on PostgreSQL
    query = (
        select(Item, Organisation, waiting.c.n, waiting.c.first)
        .join(waiting, waiting.c.item_id == Item.id)
        .join(Organisation, Organisation.id == Item.org_id)
        .where(Item.org_id.in_(ctx.org_ids(wf.EDITORS)))
        .order_by(waiting.c.first, Item.id)
    )
    for item, org, count, first in db.session.execute(query):
        if ctx.may("items.edit", org):
            yield work.Row(
                org,
                item.title(ctx.locale),
                url_for("items_admin.detail", org_code=org.code, item_id=item.id) + "#objections",
                note=_("%(num)s objections", num=count),
                sort=first,
            )


@work.provider(
    "items.notices_ending",
    _("Notices ending"),
    action=_("Open"),
    roles=wf.EDITORS,
    order=55,
)
def notices_ending(ctx: work.Context):
    now = db.utcnow()
    query = (
        select(Item, Organisation)
        .join(Organisation, Organisation.id == Item.org_id)
        .where(
            Item.state == "published",
            Item.is_notice.is_(True),
            Item.notice_ends_at > now,
            Item.notice_ends_at <= now + NOTICE_HORIZON,
            Item.org_id.in_(ctx.org_ids(wf.EDITORS)),
        )
        .order_by(Item.notice_ends_at, Item.id)
    )
    from core import localtime

    for item, org in db.session.execute(query):
        ends = localtime.date_of(item.notice_ends_at, org)
        yield work.Row(
            org,
            item.title(ctx.locale),
            url_for("items_admin.detail", org_code=org.code, item_id=item.id),
            due=ends,
            urgency="soon",
            sort=item.notice_ends_at,
        )
