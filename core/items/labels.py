"""The words for the states of items (translated labels); codes stay in the database and the API."""

from __future__ import annotations

from core.i18n import _

STATES = {
    "draft": _("Draft"),
    "proposed": _("Proposed, waiting for the review"),
    "reviewed": _("Reviewed, waiting for the approval"),
    "superior_review": _("Waiting for the superior's approval"),
    "approved": _("Approved, not yet scheduled"),
    "scheduled": _("Scheduled"),
    "published": _("Published"),
    "amendment_pending": _("Published; an amendment waits for the superior"),
    "revocation_pending": _("Published; a revocation waits for the superior"),
    "closed": _("Closed"),
    "revoked": _("Revoked"),
    "withheld": _("Withheld (filed with the superior)"),
    "refused": _("Refused after the review"),
}
