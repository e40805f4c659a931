"""Who handles an entry, and when an entry may close (FB-2): the checks that the ledger's
workflow guards, its permission rules and its operations share (no writes), so that
:mod:`core.feedback.workflow` and :mod:`core.feedback.operations` never import each other.
"""

from __future__ import annotations

from flask_babel import gettext

from core import permissions
from core.feedback.models import FeedbackEntry

MANAGERS = frozenset({"admin", "editor"})
"""Who assigns, records, publishes and closes (and may handle any entry of the unit)."""


READERS = frozenset({"admin", "editor", "reviewer", "supervisor"})
"""Who reads a unit's ledger: these roles in the unit or in a superior (SUP-1)."""


def can_view(actor, entry: FeedbackEntry) -> bool:
    """``feedback.view`` on an entry: the unit's staff and its superiors' (SUP-1), and its
    handler."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return False
    if entry.handler_id is not None and entry.handler_id == actor.id:
        return True
    return permissions.holds(actor, entry.organisation, READERS, "unit_or_superior")


def can_handle(actor, entry: FeedbackEntry) -> bool:
    """``feedback.handle`` on an entry: its handler, or an admin or editor of the unit."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return False
    if entry.handler_id is not None and entry.handler_id == actor.id:
        return True
    return permissions.holds(actor, entry.organisation, MANAGERS, "unit")


def closing_problems(entry: FeedbackEntry) -> list[str]:
    """Why ``entry`` cannot close now (FB-2); empty when it can."""
    problems = []
    if not (entry.answer or "").strip():
        problems.append(gettext("There is no answer yet."))
    elif entry.anonymous:
        if not (entry.published and entry.answer_published):
            problems.append(
                gettext(
                    "The submitter left no contact details: an anonymous entry closes only "
                    "with a published answer."
                )
            )
    elif not entry.answer_channel or entry.answered_on is None:
        problems.append(gettext("Record how and when the answer reached the submitter."))
    if entry.has_rectification:
        if not (entry.rectification_result or "").strip() or not entry.rectification_done:
            problems.append(gettext("The rectification has no result yet."))
        elif entry.rectification_public and not entry.published:
            problems.append(
                gettext(
                    "Rectification results are published: publish the entry, or record why "
                    "the result is not published."
                )
            )
        elif (
            not entry.rectification_public
            and not (entry.rectification_private_reason or "").strip()
        ):
            problems.append(gettext("Record why the rectification result is not published."))
    return problems
