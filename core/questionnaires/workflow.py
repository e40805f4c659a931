"""The questionnaire's workflow and permission actions.

draft --open--> open --close--> closed --publish--> published. The unit's admins and editors run
every step (``questionnaires.manage``); the sweep closes an open questionnaire once its last day
is over (the system actor). Each step is a workflow transition: its history and audit entry come
from :mod:`core.workflow`.
"""

from __future__ import annotations

from core import permissions
from core.i18n import _
from core.questionnaires.models import STATES
from core.workflow import Workflow

MANAGERS = frozenset({"admin", "editor"})
READERS = frozenset({"admin", "editor", "reviewer", "supervisor"})

STATE_LABELS = {
    "draft": _("Draft"),
    "open": _("Open for answers"),
    "closed": _("Closed, results not published"),
    "published": _("Results published"),
}

questionnaire = Workflow(
    "questionnaire", "questionnaire", STATES, "draft", state_labels=STATE_LABELS
)
questionnaire.add("open", "draft", "open", MANAGERS, label=_("Open the questionnaire"))
questionnaire.add(
    "close", "open", "closed", MANAGERS | {"system"}, label=_("Close the questionnaire")
)
questionnaire.add(
    "publish", "closed", "published", MANAGERS, label=_("Publish the aggregated results")
)

permissions.register("questionnaires.manage", MANAGERS, "unit")
permissions.register("questionnaires.view", READERS, "unit_or_superior")
