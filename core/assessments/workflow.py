"""The workflows and actions of assessment (SUP-3).

A scheme: draft --open--> open --publish--> published (every sheet scored first). A unit's sheet:
pending --submit--> self_assessed --return--> pending (with a comment); pending or self_assessed
--score--> scored, and scored again while the scheme is open. The superior's admins run the
scheme; its admins and reviewers score (a superior's action: held above the unit); the unit's
admins submit its self-assessment, which its editors prepare with them.
"""

from __future__ import annotations

from flask_babel import gettext
from sqlalchemy import func, select

from core import db, permissions
from core.assessments.models import SHEET_STATES, STATES, AssessmentCriterion, AssessmentSheet
from core.i18n import _
from core.permissions import STAFF
from core.workflow import Workflow

MANAGERS = frozenset({"admin"})
SCORERS = frozenset({"admin", "reviewer"})


def _has_criteria(scheme, **_kw) -> str | None:
    weights = db.session.execute(
        select(func.count(AssessmentCriterion.id), func.sum(AssessmentCriterion.weight)).where(
            AssessmentCriterion.scheme_id == scheme.id
        )
    ).one()
    if not weights[0]:
        return gettext("A scheme needs criteria before it opens.")
    if weights[1] != 100:
        return gettext("The weights of the criteria add up to %(n)s, not 100.", n=weights[1])
    return None


def _all_scored(scheme, **_kw) -> str | None:
    left = db.session.scalar(
        select(func.count(AssessmentSheet.id)).where(
            AssessmentSheet.scheme_id == scheme.id, AssessmentSheet.state != "scored"
        )
    )
    if left:
        return gettext(
            "%(n)s units are not scored yet: score every unit before publishing.", n=left
        )
    return None


def _scheme_open(sheet, **_kw) -> str | None:
    if sheet.scheme.state != "open":
        return gettext("The scheme is not open: its sheets cannot change.")
    return None


scheme = Workflow("assessment", "assessment_scheme", STATES, "draft")
scheme.add(
    "open", "draft", "open", MANAGERS, guards=(_has_criteria,), label=_("Open the assessment")
)
scheme.add(
    "publish", "open", "published", MANAGERS, guards=(_all_scored,), label=_("Publish the results")
)

sheet = Workflow("assessment_sheet", "assessment_sheet", SHEET_STATES, "pending")
sheet.add(
    "submit",
    "pending",
    "self_assessed",
    MANAGERS,
    guards=(_scheme_open,),
    label=_("Submit the self-assessment"),
)
sheet.add(
    "return",
    "self_assessed",
    "pending",
    SCORERS,
    where="superior",
    requires=("comment",),
    guards=(_scheme_open,),
    label=_("Return with a comment"),
)
sheet.add(
    "score",
    ("pending", "self_assessed", "scored"),
    "scored",
    SCORERS,
    where="superior",
    guards=(_scheme_open,),
    label=_("Score"),
)

# the superior's admins set and open schemes, publish results (in the organisation of the scheme)
permissions.register("assessments.manage", MANAGERS, "unit")
# reading assessments in the console: the staff of the organisation and of its superiors
permissions.register("assessments.view_console", STAFF, "unit_or_superior")
# a unit prepares its self-assessment: its admins and editors
permissions.register("assessments.self_assess", {"admin", "editor"}, "unit")
# scoring a unit: the admins and reviewers above it
permissions.register("assessments.score", SCORERS, "superior")
# contact points and model units: the superior's admins designate them
permissions.register("assessments.designate", MANAGERS, "unit")
# reading published results (on a scheme: the scope the superior chose, SCOPE-1)
permissions.register(
    "assessments.view",
    set(STAFF) | {"member"},
    "unit_or_superior",
    rule="core.assessments.visibility:can_see_results",
)
