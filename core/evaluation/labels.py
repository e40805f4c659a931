"""The words for the states of evaluation rounds (translated labels; the codes stay in the
database and the API)."""

from __future__ import annotations

from core.i18n import _

STATES = {
    "draft": _("Draft"),
    "open": _("Open for rating"),
    "closed": _("Closed, results not published"),
    "published": _("Results published"),
}
