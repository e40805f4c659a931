"""The evaluation round's workflow and the actions of member evaluation (SUP-3).

draft --open--> open --close--> closed --publish--> published. The superior's admins run every
step (``evaluation.manage``: held in the organisation that opened the round); the scheduled job
closes a round once its last day is over (the system actor). Each step is a workflow transition:
its history, audit entry and plugin guards come from :mod:`core.workflow`.
"""

from __future__ import annotations

from core import permissions
from core.evaluation import labels
from core.evaluation.models import STATES
from core.i18n import _
from core.permissions import STAFF
from core.workflow import Workflow
from tenants.models import ROLES

MANAGERS = {"admin"}

evaluation = Workflow("evaluation", "evaluation_round", STATES, "draft", state_labels=labels.STATES)
evaluation.add("open", "draft", "open", MANAGERS, label=_("Open the round"))
evaluation.add("close", "open", "closed", MANAGERS | {"system"}, label=_("Close the round"))
evaluation.add("publish", "closed", "published", MANAGERS, label=_("Publish the results"))

# The superior's admins open, change, close rounds (in the organisation that opens the round).
permissions.register("evaluation.manage", MANAGERS, "unit")
# ... and publish the results in the scope they chose.
permissions.register("evaluation.publish", MANAGERS, "unit")
# Reading rounds, participation and results in the console: staff of the organisation (the
# superior, or an evaluated unit for its own results) and of its superiors.
permissions.register("evaluation.view_console", STAFF, "unit_or_superior")
# Rating a unit: every person holding a role in the unit itself (one ballot each per round).
permissions.register("evaluation.rate", set(ROLES), "unit")
# Reading published results (on a round: the scope the superior chose, SCOPE-1).
permissions.register(
    "evaluation.view",
    set(ROLES),
    "unit_or_superior",
    rule="core.evaluation.visibility:can_see_results",
)
