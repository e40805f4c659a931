"""The supervision's workflows and permission actions (SUP-1, SUP-2).

Inspection: planned --start--> underway --conclude--> concluded; planned --cancel--> cancelled
(with a reason). An ad hoc inspection is started when it is recorded. Findings are added while
it is underway.

Finding: open --answer--> answered (the responsible unit's rectification) --close--> closed;
answered or closed --reopen--> open (with a comment). The responsible unit's admins and editors
answer; the organisation that raised the finding closes and reopens it (its admins, reviewers
and supervisors, or those of a superior: the guard :func:`_raised_by_actor` — the unit's own
staff cannot close what a superior raised).

Flag: open --confirm--> confirmed (a finding is raised) | --dismiss--> dismissed (with a reason)
| --resolve--> resolved (the sweep: the condition ended before anyone decided). A superior
decides (the unit never decides on its own flags).
"""

from __future__ import annotations

from core import permissions
from core.i18n import _
from core.params import registry
from core.permissions import STAFF
from core.supervision.models import FINDING_STATES, FLAG_STATES, INSPECTION_STATES
from core.workflow import Workflow

MANAGERS = frozenset({"admin", "reviewer", "supervisor"})
"""Who records inspections and decides on findings and flags (in the organisation or above)."""
RESPONDERS = frozenset({"admin", "editor"})
"""Who answers a finding for the responsible unit."""


def _raised_by_actor(finding, *, actor, **_kwargs) -> str | None:
    """Only the organisation that raised a finding (or a superior of it) closes or reopens it."""
    if permissions.may(actor, "inspections.manage", finding.supervisor):
        return None
    return "Only the organisation that raised the finding closes or reopens it."


inspection = Workflow("inspection", "inspection", INSPECTION_STATES, "planned")
inspection.add(
    "start",
    "planned",
    "underway",
    MANAGERS,
    where="unit_or_superior",
    label=_("Start the inspection"),
)
inspection.add(
    "conclude",
    "underway",
    "concluded",
    MANAGERS,
    where="unit_or_superior",
    label=_("Conclude the inspection"),
)
inspection.add(
    "cancel",
    "planned",
    "cancelled",
    MANAGERS,
    where="unit_or_superior",
    requires=("reason",),
    label=_("Cancel the inspection"),
)

finding = Workflow("finding", "finding", FINDING_STATES, "open")
finding.add("answer", "open", "answered", RESPONDERS, label=_("Answer with the rectification"))
finding.add(
    "close",
    "answered",
    "closed",
    MANAGERS,
    where="unit_or_superior",
    guards=(_raised_by_actor,),
    label=_("Close the finding"),
)
finding.add(
    "reopen",
    ("answered", "closed"),
    "open",
    MANAGERS,
    where="unit_or_superior",
    requires=("comment",),
    guards=(_raised_by_actor,),
    label=_("Reopen the finding"),
)

flag = Workflow("supervision_flag", "supervision_flag", FLAG_STATES, "open")
flag.add(
    "confirm", "open", "confirmed", MANAGERS, where="superior", label=_("Confirm as a finding")
)
flag.add(
    "dismiss",
    "open",
    "dismissed",
    MANAGERS,
    where="superior",
    requires=("reason",),
    label=_("Dismiss"),
)
flag.add("resolve", "open", "resolved", {"system"}, label=_("Resolved"))

# Reading the supervision of an organisation: its staff and those of its superiors (SUP-1).
permissions.register("inspections.view", STAFF, "unit_or_superior")
# Recording inspections and findings, closing and reopening them, in the organisation or above.
permissions.register("inspections.manage", MANAGERS, "unit_or_superior")
# Answering a finding for the responsible unit.
permissions.register("inspections.respond", RESPONDERS, "unit")
# Deciding on a unit's automatic flags: its superiors only.
permissions.register("supervision.decide_flags", MANAGERS, "superior")

registry.define(
    "supervision.rectification_days",
    "int",
    30,
    _("Supervision: days a unit has to rectify a finding (the default deadline)"),
    rule="SUP-1",
    minimum=1,
    maximum=365,
)
