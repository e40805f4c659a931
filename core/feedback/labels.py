"""Feedback codes in plain words (translated labels): states, channels, answer channels."""

from __future__ import annotations

from core import audit_labels
from core.i18n import _

STATES = {
    "received": _("Received, not yet assigned"),
    "assigned": _("Assigned to a handler"),
    "rectifying": _("Being rectified"),
    "answered": _("Answered"),
    "closed": _("Closed"),
}
CHANNELS = {
    "online": _("Online"),
    "hotline": _("Hotline"),
    "suggestion_box": _("Suggestion box"),
    "reception_day": _("Reception day"),
    "letters_visits": _("Letters and visits"),
    "meeting": _("Meeting"),
}
audit_labels.register_values("channel", CHANNELS)
ANSWER_CHANNELS = {
    "phone": _("By telephone"),
    "letter": _("By letter"),
    "in_person": _("In person"),
    "email": _("By e-mail"),
    "sms": _("By text message"),
    "meeting": _("At a meeting"),
    "online": _("Online (the submitter's receipt page)"),
}
PUBLIC_STATES = {
    "received": _("Received"),
    "assigned": _("Being handled"),
    "rectifying": _("Being handled"),
    "answered": _("Answered"),
    "closed": _("Closed"),
}
"""What a submitter reads on their receipt page (no internal detail)."""


def state(code: str | None) -> str:
    return str(STATES.get(code, code or ""))


def channel(code: str | None) -> str:
    return str(CHANNELS.get(code, code or ""))


def answer_channel(code: str | None) -> str:
    return str(ANSWER_CHANNELS.get(code, code or ""))


def public_state(code: str | None) -> str:
    return str(PUBLIC_STATES.get(code, code or ""))
