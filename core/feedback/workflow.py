"""The feedback workflow (docs/architecture.md): received → assigned → rectifying → answered →
closed, and the permission actions of the ledger.

received --assign--> assigned --start_rectification--> rectifying --answer--> answered
--close--> closed; an entry that needs no rectification goes assigned --answer--> answered.
The unit's admins and editors assign and close; the assigned handler (any member of the unit)
or an admin or editor handles: notes, rectification, the answer. Closing follows FB-2
(:func:`core.feedback.rules.closing_problems`): an answer to the submitter, or for an
anonymous entry a published answer; a rectification's result is published unless the unit
records why not.
"""

from __future__ import annotations

from core import permissions
from core.feedback import labels, rules
from core.feedback.models import STATES
from core.feedback.rules import MANAGERS, READERS
from core.i18n import _, lazily
from core.params import registry
from core.workflow import Workflow
from tenants.models import ROLES


def _may_handle(entry, *, actor, **_kwargs) -> str | None:
    if rules.can_handle(actor, entry):
        return None
    return _("Only the entry's handler, or an admin or editor of the unit, may do this.")


def _closable(entry, **_kwargs) -> str | None:
    problems = rules.closing_problems(entry)
    if not problems:
        return None
    # FB-2: answered, delivered and rectified before it closes
    return _(
        "The entry cannot be closed yet: %(problems)s",
        problems=lazily(lambda: " ".join(str(p) for p in problems)),
    )


feedback = Workflow("feedback", "feedback", STATES, "received", state_labels=labels.STATES)
feedback.add("assign", "received", "assigned", MANAGERS, label=_("Assign"))
feedback.add(
    "start_rectification",
    "assigned",
    "rectifying",
    set(ROLES),
    guards=(_may_handle,),
    label=_("Start a rectification"),
)
feedback.add(
    "answer",
    ("assigned", "rectifying"),
    "answered",
    set(ROLES),
    guards=(_may_handle,),
    label=_("Answer"),
)
feedback.add("close", "answered", "closed", MANAGERS, guards=(_closable,), label=_("Close"))

permissions.register(
    "feedback.view", READERS, "unit_or_superior", rule="core.feedback.rules:can_view"
)
permissions.register("feedback.record", MANAGERS, "unit")
permissions.register("feedback.assign", MANAGERS, "unit")
permissions.register("feedback.handle", MANAGERS, "unit", rule="core.feedback.rules:can_handle")
permissions.register("feedback.publish", MANAGERS, "unit")
permissions.register("feedback.close", MANAGERS, "unit")

registry.define(
    "feedback.answer_days",
    "int",
    15,
    _("Feedback: answer within working days of receipt"),
    rule="FB-2",
    minimum=1,
    maximum=90,
)
