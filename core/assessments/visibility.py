"""Who may read an assessment scheme's published results: the scope its superior chose (SCOPE-1),
by the rule of the evaluation's results (:func:`core.evaluation.visibility.scoped`) — ``public``:
everyone; ``party_wide``: people holding a role in the same county; ``unit``: people holding a
role in the superior or below it, and the staff of its superiors. Only ``published`` schemes
have results to read; the superior's comments and the evidence never are."""

from __future__ import annotations

from sqlalchemy import Select, select

from core import db
from core.assessments.models import AssessmentScheme
from core.evaluation.visibility import scoped
from core.items.visibility import viewer
from tenants.models import Organisation


def visible_schemes(user) -> Select:
    """``select(AssessmentScheme)`` of the published schemes whose results ``user`` may read."""
    s = AssessmentScheme
    return (
        select(s)
        .join(Organisation, Organisation.id == s.org_id)
        .where(s.state == "published", Organisation.enabled.is_(True))
        .where(scoped(viewer(user), scope=s.result_scope, org_id=s.org_id, root_id=s.root_id))
    )


def can_see_results(user, scheme: AssessmentScheme) -> bool:
    query = visible_schemes(user).where(AssessmentScheme.id == scheme.id).limit(1)
    return db.session.scalar(query) is not None
