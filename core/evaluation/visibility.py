"""Who may read a round's published results: the scope its superior chose (SCOPE-1), decided
here for every page (the results page, the portal's links) with the viewer facts of the items'
visibility layer (:func:`core.items.visibility.viewer`).

* ``public`` — everyone, anonymous visitors included;
* ``party_wide`` — signed-in people holding a role in the same county;
* ``unit`` — people holding a role in the superior that opened the round or anywhere in its
  subtree, and the staff of its superiors (as for an item of scope ``unit`` of that superior).

Only ``published`` rounds have public results; open and closed ones are console business
(``evaluation.view_console``). Comments are never published, whatever the scope.
"""

from __future__ import annotations

from sqlalchemy import Select, and_, false, or_, select

from core import db
from core.evaluation.models import EvaluationRound
from core.items.visibility import Viewer, viewer
from tenants.models import Organisation


def scoped(v: Viewer, *, scope, org_id, root_id):
    """SQL condition for ``v`` on results published in ``scope`` by the organisation ``org_id``
    (joined as ``Organisation``) of the county ``root_id`` (columns of the results' table)."""
    public = scope == "public"
    if v.anonymous:
        return public
    superior = or_(
        false(),
        *(
            and_(Organisation.path.startswith(path, autoescape=True), Organisation.id != org)
            for org, path in v.staff
        ),
    )
    party_wide = and_(scope == "party_wide", root_id.in_(v.root_ids))
    unit = and_(scope == "unit", or_(superior, org_id.in_(v.lineage_ids)))
    return or_(public, party_wide, unit)


def results_condition(v: Viewer):
    """SQL condition on ``EvaluationRound`` (joined with its ``Organisation``) for ``v``."""
    r = EvaluationRound
    return scoped(v, scope=r.result_scope, org_id=r.org_id, root_id=r.root_id)


def visible_rounds(user) -> Select:
    """``select(EvaluationRound)`` of the published rounds whose results ``user`` may read."""
    return (
        select(EvaluationRound)
        .join(Organisation, Organisation.id == EvaluationRound.org_id)
        .where(EvaluationRound.state == "published", Organisation.enabled.is_(True))
        .where(results_condition(viewer(user)))
    )


def can_see_results(user, round_: EvaluationRound) -> bool:
    """The same rule for one round (one query)."""
    query = visible_rounds(user).where(EvaluationRound.id == round_.id).limit(1)
    return db.session.scalar(query) is not None
