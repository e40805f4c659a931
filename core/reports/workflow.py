"""The half-year report's workflow and the actions of reporting (RPT-1).

draft --submit--> submitted --accept--> accepted; submitted --return--> returned (with a
comment) --submit--> submitted. The unit's admins submit (its editors prepare the text with
them); the superior's admins and reviewers accept or return. Each step is a workflow transition:
its history, audit entry and plugin guards come from :mod:`core.workflow`.
"""

from __future__ import annotations

from flask_babel import gettext

from core import permissions
from core.i18n import _
from core.permissions import STAFF
from core.reports.models import NARRATIVE, STATES
from core.workflow import Workflow

WRITERS = frozenset({"admin", "editor"})
SUBMITTERS = frozenset({"admin"})
DECIDERS = frozenset({"admin", "reviewer"})

NARRATIVE_LABELS = {
    "practices": _("Practices and experience"),
    "problems": _("Problems found"),
    "suggestions": _("Suggestions"),
}


def _narrative_written(report, **_kw) -> str | None:
    missing = [
        str(NARRATIVE_LABELS[n]) for n in NARRATIVE if not (getattr(report, n) or "").strip()
    ]
    if missing:
        return gettext(
            "Write every part of the narrative before submitting: %(parts)s.",
            parts="、".join(missing),
        )
    return None


report = Workflow("report", "half_year_report", STATES, "draft")
report.add(
    "submit",
    ("draft", "returned"),
    "submitted",
    SUBMITTERS,
    guards=(_narrative_written,),
    label=_("Submit to the superior"),
)
report.add("accept", "submitted", "accepted", DECIDERS, where="superior", label=_("Accept"))
report.add(
    "return",
    "submitted",
    "returned",
    DECIDERS,
    where="superior",
    requires=("comment",),
    label=_("Return with a comment"),
)

# reading the reports of a unit in the console: its staff and those of its superiors (SUP-1)
permissions.register("reports.view", STAFF, "unit_or_superior")
# preparing the report of the unit (its statistics, its narrative)
permissions.register("reports.edit", WRITERS, "unit")
# the superior's side: accepting or returning the reports of the units below
permissions.register("reports.decide", DECIDERS, "superior")
