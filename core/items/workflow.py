"""The item workflow (Art. 15 of the 2017 Regulation: propose → review → approve → publish).

draft --propose--> proposed --review--> reviewed --approve--> approved --schedule--> scheduled
--publish--> published --close--> closed. Off-catalogue items and items whose scope the
parameter ``items.escalate_scopes`` names go reviewed --escalate--> superior_review
--superior_approve--> approved (the catalogue owner decides, PUB-3). A change of the plan after
the review returns the item to ``proposed`` (replan, PUB-4). Withholding (暂不公开) needs a reason
and is filed with the superior (PUB-6). A published item is amended or revoked only with the
catalogue owner's approval and a published explanation (PUB-7).
"""

from __future__ import annotations

from flask_babel import gettext

from core import permissions
from core.i18n import _, lazily
from core.items import labels, rules
from core.items.models import STATES
from core.workflow import Workflow

EDITORS = {"admin", "editor"}
PRE_PUBLICATION = ("draft", "proposed", "reviewed", "superior_review", "approved", "scheduled")


def _needs_superior(item, **_kwargs):
    if rules.needs_superior(item):
        return None
    return _("This item is approved within the unit; approve it directly.")


def _within_unit(item, **_kwargs):
    if rules.needs_superior(item):
        return _("This item needs the approval of the superior (off-catalogue or escalated).")
    return None


def _plan_complete(item, **_kwargs):
    missing = rules.plan_problems(item)
    if not missing:
        return None
    parts = lazily(lambda: gettext(", ").join(str(rules.PLAN_PARTS[m]) for m in missing))
    return _("The plan is incomplete: it lacks %(parts)s.", parts=parts)


def _review_passed(item, **_kwargs):
    if item.involves_secrets:
        return _("The item involves Party or state secrets and can never be published.")
    review = rules.latest_review(item)
    if review is None or review.version_id != item.current_version_id or not review.secrecy_passed:
        return _("Publication needs a passed secrecy review of the current version.")
    return None


def _planned_time_reached(item, **_kwargs):
    from core import db

    if item.planned_at is None or item.planned_at > db.utcnow():
        return _("The planned publication time has not come yet.")
    return None


def _notice_over(item, **_kwargs) -> str | None:
    from core import db

    if item.is_notice and (item.notice_ends_at is None or item.notice_ends_at > db.utcnow()):
        return _("A notice cannot be closed before its notice period ends.")
    return None


item = Workflow("item", "item", STATES, "draft", state_labels=labels.STATES)
item.add("propose", "draft", "proposed", EDITORS, guards=(_plan_complete,), label=_("Propose"))
item.add(
    "review",
    "proposed",
    "reviewed",
    {"reviewer"},
    guards=(_plan_complete,),
    label=_("Record the review"),
)
item.add(
    "return_to_draft",
    ("proposed", "reviewed"),
    "draft",
    {"reviewer", "admin"},
    requires=("comment",),
    label=_("Return for revision"),
)
item.add(
    "refuse",
    "proposed",
    "refused",
    {"reviewer"},
    requires=("reason",),
    label=_("Refuse publication"),
)
item.add(
    "approve",
    "reviewed",
    "approved",
    {"admin"},
    guards=(_within_unit, _review_passed),
    label=_("Approve"),
)
item.add(
    "escalate",
    "reviewed",
    "superior_review",
    {"admin"},
    guards=(_needs_superior, _review_passed),
    label=_("Submit to the superior"),
)
item.add(
    "superior_approve",
    "superior_review",
    "approved",
    {"reviewer"},
    where="superior",
    guards=(_review_passed,),
    label=_("Approve as the superior"),
)
item.add(
    "superior_return",
    "superior_review",
    "draft",
    {"reviewer"},
    where="superior",
    requires=("comment",),
    label=_("Return with a comment"),
)
item.add(
    "replan",
    ("reviewed", "superior_review", "approved", "scheduled"),
    "proposed",
    EDITORS,
    label=_("Change the plan (back to review)"),
)
item.add(
    "schedule",
    "approved",
    "scheduled",
    EDITORS,
    guards=(_review_passed,),
    label=_("Schedule the publication"),
)
item.add(
    "publish",
    "scheduled",
    "published",
    {"system", "admin"},
    guards=(_review_passed, _planned_time_reached),
    label=_("Publish now"),
)
item.add(
    "close", "published", "closed", {"system", "admin"}, guards=(_notice_over,), label=_("Close")
)
item.add(
    "withhold",
    PRE_PUBLICATION,
    "withheld",
    {"admin"},
    requires=("reason",),
    label=_("Withhold (file with the superior)"),
)
item.add(
    "request_amendment",
    ("published", "closed"),
    "amendment_pending",
    EDITORS,
    requires=("explanation",),
    label=_("Propose an amendment"),
)
item.add(
    "approve_amendment",
    "amendment_pending",
    "published",
    {"reviewer"},
    where="superior",
    label=_("Approve the amendment"),
)
item.add(
    "reject_amendment",
    "amendment_pending",
    "published",
    {"reviewer"},
    where="superior",
    requires=("comment",),
    label=_("Reject the amendment"),
)
item.add(
    "request_revocation",
    ("published", "closed"),
    "revocation_pending",
    {"admin"},
    requires=("explanation",),
    label=_("Propose to revoke"),
)
item.add(
    "approve_revocation",
    "revocation_pending",
    "revoked",
    {"reviewer"},
    where="superior",
    label=_("Approve the revocation"),
)
item.add(
    "reject_revocation",
    "revocation_pending",
    "published",
    {"reviewer"},
    where="superior",
    requires=("comment",),
    label=_("Reject the revocation"),
)

permissions.register("items.edit", EDITORS, "unit")
permissions.register(
    "items.view_console", {"admin", "editor", "reviewer", "supervisor"}, "unit_or_superior"
)
permissions.register("items.decide", {"reviewer"}, "superior")
# a withheld item is filed with the superiors (PUB-6): their admins and reviewers acknowledge it
FILING_READERS = frozenset({"admin", "reviewer"})
permissions.register("items.receive_filing", FILING_READERS, "superior")
