"""The request workflow (依申请公开, REQ-1..REQ-5), declared with :mod:`core.workflow`.

submitted --accept--> accepted --decide_<outcome>--> decided, for each outcome of REQ-3 but
``unclear``; submitted --reject_invalid--> rejected_invalid (not a disclosure request: a reason).
``ask_amendment`` (outcome ``unclear``) waits for the applicant: awaiting_amendment --amend-->
accepted (the clock starts again), or --lapse--> lapsed when the parameter's days pass (a job).
accepted --extend--> accepted once, with a reason (REQ-2). accepted --start_consultation-->
consulting --end_consultation--> accepted: the clock pauses meanwhile (REQ-4). The applicant may
escalate a decline, a partial grant, "not held", or a request whose deadline passed undecided:
--escalate--> escalated, and the superior decides: --uphold--> decided, or
--reconsider--> accepted with a new deadline (REQ-5).

The unit's admins, editors and reviewers handle requests; the superior's admins and reviewers
decide escalations. The applicant's own steps (amend, escalate) belong to no role: the operation
checks that the actor is the request's applicant and runs them through :class:`Applicant`, which
the engine treats like the system actor and records under the applicant's name.
"""

from __future__ import annotations

from core import permissions
from core.i18n import _
from core.workflow import Workflow
from tenants.models import ROLES

from core.disclosure_requests import labels  # isort: skip
from core.disclosure_requests.models import STATES  # isort: skip

HANDLERS = frozenset({"admin", "editor", "reviewer"})
SUPERIOR_DECIDERS = frozenset({"admin", "reviewer"})


class Applicant:
    """The applicant running one of their own steps (amend, escalate) on their request.

    The engine lets it run the transitions that list the role ``"system"``, and nothing else is
    done with it: only :mod:`core.disclosure_requests.operations` makes one, after checking that
    ``user`` is the request's applicant. The step, the audit entry and the events name the user.
    """

    is_system = True  # core.permissions / core.workflow: may run "system" transitions
    is_authenticated = True
    is_platform_admin = False

    def __init__(self, user):
        self.user = user
        self.id = user.id
        self.username = user.username
        self.display_name = getattr(user, "display_name", "") or user.username

    def __repr__(self) -> str:
        return f"<applicant {self.username}>"


def _not_extended(req, **_kwargs) -> str | None:
    if req.extension_days is not None:
        # REQ-2: one extension
        return _("The deadline was extended once already: only one extension is allowed.")
    return None


def _has_decision(req, **_kwargs) -> str | None:
    if req.outcome is None:
        return _(
            "There is no decision to uphold: the deadline passed without one. "
            "Order the unit to decide."
        )
    return None


def _has_parent(req, **_kwargs) -> str | None:
    if req.organisation.parent_id is None:
        return _("This organisation has no superior to escalate to.")
    return None


request = Workflow("request", "disclosure_request", STATES, "submitted", state_labels=labels.STATES)
request.add("accept", "submitted", "accepted", HANDLERS, label=_("Accept"))
request.add(
    "reject_invalid",
    "submitted",
    "rejected_invalid",
    HANDLERS,
    requires=("reason",),
    label=_("Reject as not a disclosure request"),
)
request.add(
    "extend",
    "accepted",
    "accepted",
    HANDLERS,
    requires=("reason",),
    guards=(_not_extended,),
    label=_("Extend the deadline"),
)
request.add(
    "start_consultation",
    "accepted",
    "consulting",
    HANDLERS,
    label=_("Consult a third party"),
)
request.add(
    "end_consultation",
    "consulting",
    "accepted",
    HANDLERS,
    label=_("End the consultation"),
)
request.add(
    "ask_amendment",
    ("submitted", "accepted"),
    "awaiting_amendment",
    HANDLERS,
    requires=("explanation",),
    label=_("Unclear: ask the applicant to amend"),
)
request.add("amend", "awaiting_amendment", "accepted", {"system"}, label=_("Amended"))
request.add("lapse", "awaiting_amendment", "lapsed", {"system"}, label=_("Lapsed"))

DECIDE = {
    # outcome: what the engine requires (the operation checks the rest of each outcome's fields)
    "already_public": (),
    "granted": (),
    "granted_published": (),
    "partly_granted": ("reason", "explanation"),
    "declined": ("reason", "explanation"),
    "not_held": ("explanation",),
    "not_this_unit": (),
    "duplicate": (),
}
DECIDE_LABELS = {
    "already_public": _("Decide: already public"),
    "granted": _("Decide: granted to the applicant"),
    "granted_published": _("Decide: granted and published"),
    "partly_granted": _("Decide: partly granted"),
    "declined": _("Decide: declined"),
    "not_held": _("Decide: not held"),
    "not_this_unit": _("Decide: not this unit"),
    "duplicate": _("Decide: duplicate"),
}
for _outcome, _requires in DECIDE.items():
    request.add(
        f"decide_{_outcome}",
        "accepted",
        "decided",
        HANDLERS,
        requires=_requires,
        label=DECIDE_LABELS[_outcome],
    )
request.add(
    "escalate",
    ("decided", "submitted", "accepted"),
    "escalated",
    {"system"},
    requires=("reason",),
    guards=(_has_parent,),
    label=_("Escalated by the applicant"),
)
request.add(
    "uphold",
    "escalated",
    "decided",
    SUPERIOR_DECIDERS,
    where="superior",
    guards=(_has_decision,),
    label=_("Uphold the decision"),
)
request.add(
    "reconsider",
    "escalated",
    "accepted",
    SUPERIOR_DECIDERS,
    where="superior",
    requires=("comment",),
    label=_("Order the unit to reconsider"),
)


def transition_label(name: str) -> str:
    return request.label(name)


# who reads a unit's requests in the console (its staff and supervisors, and those of its
# superiors: SUP-1), who handles them, and the superior's side (filings, escalations: REQ-5)
permissions.register("requests.view", set(ROLES) - {"member"}, "unit_or_superior")
permissions.register("requests.handle", HANDLERS, "unit")
permissions.register("requests.receive_filing", SUPERIOR_DECIDERS, "superior")
permissions.register("requests.review_escalation", SUPERIOR_DECIDERS, "superior")
