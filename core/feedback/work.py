"""The feedback ledger's group of My work (:mod:`core.web.work`): opinions, queries and
complaints whose answer is due (FB-2), for the unit's admins and editors and for the person
they were assigned to; due within 3 working days marked, past due marked more strongly."""

from __future__ import annotations

from flask import url_for
from sqlalchemy import or_, select

from core import db
from core.feedback.models import OPEN_STATES, FeedbackEntry
from core.feedback.rules import MANAGERS
from core.i18n import _
from core.web import work
from core.workdays import operations as workdays
from tenants.models import Organisation


@work.provider("feedback.due", _("Feedback to answer"), action=_("Handle"), order=60)
def feedback_due(ctx: work.Context):
    query = (
        select(FeedbackEntry, Organisation)
        .join(Organisation, Organisation.id == FeedbackEntry.org_id)
        .where(
            FeedbackEntry.state.in_(OPEN_STATES),
            FeedbackEntry.spam.is_(False),
            or_(
                FeedbackEntry.org_id.in_(ctx.org_ids(MANAGERS)),
                FeedbackEntry.handler_id == ctx.user.id,
            ),
        )
        .order_by(FeedbackEntry.due_on, FeedbackEntry.id)
    )
    for entry, org in db.session.execute(query):
        if not ctx.may("feedback.view", entry):
            continue
        soon = ctx.remember("soon", lambda: workdays.due_soon_until(ctx.today))
        text = " ".join((entry.content or "").split())
        yield work.Row(
            org,
            _("Feedback %(receipt)s", receipt=entry.receipt),
            url_for("feedback_admin.detail", org_code=org.code, feedback_id=entry.id),
            due=entry.due_on,
            urgency=work.urgency(entry.due_on, ctx.today, soon),
            note=text if len(text) <= 60 else text[:59] + "…",
        )
