"""The words for the codes of disclosure requests (translated labels): states, outcomes,
decline reasons, delivery and channels. Codes stay in the database and the API."""

from __future__ import annotations

from core.i18n import _

STATES = {
    "submitted": _("Submitted, waiting to be accepted"),
    "accepted": _("Accepted, being handled"),
    "consulting": _("A third party is consulted (clock paused)"),
    "awaiting_amendment": _("Waiting for the applicant to amend"),
    "decided": _("Decided: answered"),
    "rejected_invalid": _("Rejected: not a disclosure request"),
    "lapsed": _("Lapsed: not amended in time"),
    "escalated": _("Escalated to the superior organisation"),
}

OUTCOMES = {
    "already_public": _("Already public"),
    "granted": _("Granted to the applicant"),
    "granted_published": _("Granted and published"),
    "partly_granted": _("Partly granted"),
    "declined": _("Declined"),
    "not_held": _("Not held by this unit"),
    "not_this_unit": _("Not this unit's responsibility"),
    "unclear": _("Unclear: to be amended"),
    "duplicate": _("Duplicate of an earlier request"),
    "rejected_invalid": _("Rejected: not a disclosure request"),
}

OUTCOME_HINTS = {
    "already_public": _("Give the published item or the address where it is public."),
    "granted": _("The answer, and/or documents given to the applicant."),
    "granted_published": _(
        "The answer is published for everyone: a draft item is created in this unit, which "
        "then goes through review, approval and publication as usual."
    ),
    "partly_granted": _(
        "What is granted (text or documents), what is declined, the reason and an explanation. "
        "Filed with the superior organisation."
    ),
    "declined": _("The reason and a written explanation. Filed with the superior organisation."),
    "not_held": _("Explain; name who holds it if you know. Filed with the superior organisation."),
    "not_this_unit": _("Name the organisation responsible."),
    "unclear": _("Say what the applicant should make clear; unamended, it lapses."),
    "duplicate": _("The number of the earlier request."),
}

DECLINE_LABELS = {
    "state_secret": _("Involves state secrets"),
    "party_secret": _("Involves Party secrets"),
    "personal_privacy": _("Involves personal privacy"),
    "trade_secret": _("Involves trade secrets"),
    "internal_affairs": _("Internal affairs information"),
    "process_information": _("Process information (discussions, drafts, internal reports)"),
    "security_stability": _("Disclosure would endanger security or stability"),
    "law_prohibits": _("A law or regulation forbids disclosure"),
    "other": _("Another reason (explained below)"),
}

DELIVERY_LABELS = {
    "electronic": _("Electronically (e-mail)"),
    "paper": _("On paper, by post"),
    "collect": _("I collect it in person"),
    "inspect": _("I inspect it on site"),
}

CHANNEL_LABELS = {
    "online": _("Online"),
    "api": _("Through the API"),
    "oral": _("Orally"),
    "paper": _("On paper"),
    "letter": _("By letter"),
}

ESCALATION_LABELS = {
    "pending": _("Waiting for the superior's review"),
    "upheld": _("The decision was upheld"),
    "reconsider": _("The unit was ordered to reconsider"),
}


def state(code: str | None) -> str:
    return str(STATES.get(code, code or ""))


def outcome(code: str | None) -> str:
    return str(OUTCOMES.get(code, code or ""))


def reason(code: str | None) -> str:
    return str(DECLINE_LABELS.get(code, code or ""))


def delivery(code: str | None) -> str:
    return str(DELIVERY_LABELS.get(code, code or ""))


def channel(code: str | None) -> str:
    return str(CHANNEL_LABELS.get(code, code or ""))


def escalation_state(code: str | None) -> str:
    return str(ESCALATION_LABELS.get(code, code or ""))
