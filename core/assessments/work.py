"""Assessment's groups of My work (:mod:`core.web.work`): the open schemes a unit's admins and
editors have to assess it in (by the self-assessment's due date), and the self-assessments of the
units below that a superior's admins and reviewers score."""

from __future__ import annotations

from flask import url_for
from sqlalchemy import select

from core import db
from core.assessments.models import AssessmentScheme, AssessmentSheet
from core.assessments.workflow import SCORERS
from core.i18n import _
from core.web import work
from tenants.models import Organisation

SELF = frozenset({"admin", "editor"})


@work.provider(
    "assessments.self", _("Assessments to complete"), action=_("Assess"), roles=SELF, order=82
)
def to_self_assess(ctx: work.Context):
    query = (
        select(AssessmentSheet, AssessmentScheme, Organisation)
        .join(AssessmentScheme, AssessmentScheme.id == AssessmentSheet.scheme_id)
        .join(Organisation, Organisation.id == AssessmentSheet.org_id)
        .where(
            AssessmentSheet.org_id.in_(ctx.org_ids(SELF)),
            AssessmentSheet.state == "pending",
            AssessmentScheme.state == "open",
        )
        .order_by(AssessmentScheme.self_due_on, AssessmentSheet.id)
    )
    for sheet, scheme, org in db.session.execute(query):
        yield work.Row(
            org,
            scheme.title(ctx.locale),
            url_for("assessments_admin.sheet", org_code=org.code, sheet_id=sheet.id),
            due=scheme.self_due_on,
            urgency=work.urgency(scheme.self_due_on, ctx.today),
        )


@work.provider(
    "assessments.score", _("Assessments to score"), action=_("Score"), roles=SCORERS, order=83
)
def to_score(ctx: work.Context):
    superior = Organisation.__table__.alias("superior")
    query = (
        select(AssessmentSheet, AssessmentScheme, Organisation, superior.c.code)
        .join(AssessmentScheme, AssessmentScheme.id == AssessmentSheet.scheme_id)
        .join(Organisation, Organisation.id == AssessmentSheet.org_id)
        .join(superior, superior.c.id == AssessmentScheme.org_id)
        .where(
            AssessmentScheme.state == "open",
            AssessmentSheet.state == "self_assessed",
            AssessmentScheme.org_id.in_(ctx.org_ids(SCORERS)),
        )
        .order_by(AssessmentSheet.self_submitted_at, AssessmentSheet.id)
    )
    for sheet, scheme, org, code in db.session.execute(query):
        yield work.Row(
            org,
            scheme.title(ctx.locale),
            url_for("assessments_admin.sheet", org_code=code, sheet_id=sheet.id),
        )
