"""Member evaluation's group of My work (:mod:`core.web.work`): the open rounds in which the
person is on a unit's roll and has not rated yet."""

from __future__ import annotations

from flask import url_for
from sqlalchemy import select

from core import db
from core.evaluation import operations as ops
from core.evaluation.models import OPEN_STATES, EvaluationRound, EvaluationVoter
from core.i18n import _
from core.web import work
from tenants.models import Organisation


@work.provider("evaluation.rate", _("Evaluation rounds to rate"), action=_("Rate"), order=70)
def rounds_to_rate(ctx: work.Context):
    query = (
        select(EvaluationRound, EvaluationVoter, Organisation)
        .join(EvaluationVoter, EvaluationVoter.round_id == EvaluationRound.id)
        .join(Organisation, Organisation.id == EvaluationVoter.org_id)
        .where(
            EvaluationRound.state.in_(OPEN_STATES),
            EvaluationVoter.user_id == ctx.user.id,
            EvaluationVoter.voted_at.is_(None),
        )
        .order_by(EvaluationRound.closes_on, EvaluationRound.id)
    )
    for round_, _voter, unit in db.session.execute(query):
        if ops.accepting(round_):
            yield work.Row(
                unit,
                round_.title(ctx.locale),
                url_for("evaluation.rate", org_code=unit.code, round_id=round_.id),
                due=round_.closes_on,
                urgency="soon" if (round_.closes_on - ctx.today).days < 3 else None,
            )
