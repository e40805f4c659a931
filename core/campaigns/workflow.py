"""The campaign's workflow and the actions of campaigns (RPT-2).

draft --start--> running --close--> closed. The superior's admins draft, start and close a
campaign and remind the units; the units' admins and editors mark their progress while it runs.
"""

from __future__ import annotations

from flask_babel import gettext

from core import permissions
from core.campaigns.models import STATES
from core.campaigns.reading import stages, units
from core.i18n import _
from core.permissions import STAFF
from core.workflow import Workflow

MANAGERS = frozenset({"admin"})


def _ready(campaign, **_kw) -> str | None:
    if not stages(campaign):
        return gettext("A campaign needs at least one stage with a deadline and a checklist.")
    if not units(campaign):
        return gettext("A campaign needs at least one unit.")
    return None


campaign = Workflow("campaign", "campaign", STATES, "draft")
campaign.add("start", "draft", "running", MANAGERS, guards=(_ready,), label=_("Start the campaign"))
campaign.add("close", "running", "closed", MANAGERS, label=_("Close the campaign"))

# the superior's admins run campaigns (in the organisation that runs them)
permissions.register("campaigns.manage", MANAGERS, "unit")
# reading campaigns in the console: the staff of the organisation and of its superiors (a
# superior reads its own campaigns; a unit the campaigns it takes part in)
permissions.register("campaigns.view", STAFF, "unit_or_superior")
# a unit marks its progress: its admins and editors
permissions.register("campaigns.progress", {"admin", "editor"}, "unit")
