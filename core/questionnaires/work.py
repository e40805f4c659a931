"""The questionnaires' group of My work (:mod:`core.web.work`): closed questionnaires whose
results wait to be published, for the unit's admins and editors."""

from __future__ import annotations

from flask import url_for
from sqlalchemy import select

from core import db
from core.i18n import _
from core.questionnaires.models import Questionnaire
from core.questionnaires.workflow import MANAGERS
from core.web import work
from tenants.models import Organisation


@work.provider(
    "questionnaires.publish", _("Questionnaire results to publish"), action=_("Publish"), order=65
)
def results_to_publish(ctx: work.Context):
    query = (
        select(Questionnaire, Organisation)
        .join(Organisation, Organisation.id == Questionnaire.org_id)
        .where(Questionnaire.state == "closed", Questionnaire.org_id.in_(ctx.org_ids(MANAGERS)))
        .order_by(Questionnaire.closes_on, Questionnaire.id)
    )
    for q, org in db.session.execute(query):
        if not ctx.may("questionnaires.manage", org):
            continue
        yield work.Row(
            org,
            q.title(ctx.locale),
            url_for("questionnaires_admin.detail", org_code=org.code, questionnaire_id=q.id),
        )
