"""The registry of notification kinds: what a user can be told, in which words, mailed how.

A kind has a translated ``label`` (the preferences page), a ``group`` (its heading there), the
``title`` and ``body`` templates of its notifications (lazy strings with ``%(name)s``
placeholders, rendered in the reader's language from the notification's ``params``) and its
default e-mail ``channel`` (``off``, ``immediate`` or ``daily``; a user may choose another one).

Engine kinds are registered below; a plugin adds its own with
``core.toolkit.register_notification_kind`` at import time (names ``<plugin>.<what>``, group
``plugins``, texts in the plugin's domain) and sends them with ``core.toolkit.notify``.

Params are plain JSON values. A dict is a text per locale (``{"zh_Hans_CN": ..., "en": ...}``);
a key ending in ``_on`` holds an ISO date and one ending in ``_at`` an ISO datetime, both
formatted in the reader's language; anything else is shown as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from flask import current_app
from flask_babel import force_locale

from core.i18n import _, localised, normalise

GROUPS = {
    "items": _("Items and catalogues"),
    "requests": _("Disclosure requests"),
    "feedback": _("Feedback ledger"),
    "evaluation": _("Member evaluation"),
    "supervision": _("Supervision and inspections"),
    "reporting": _("Reports, assessments and campaigns"),
    "platform": _("Platform"),
    "plugins": _("Sector affairs"),
}
DISPLAY_TIMEZONE = "Asia/Shanghai"


@dataclass(frozen=True)
class Kind:
    name: str
    label: Any  # lazy string
    title: Any  # lazy string with %(name)s placeholders
    body: Any = None
    default: str = "daily"
    group: str = "items"
    platform_only: bool = False  # offered on the preferences page to platform admins only


_kinds: dict[str, Kind] = {}


def register(
    name: str,
    label,
    title,
    *,
    body=None,
    default: str = "daily",
    group: str = "items",
    platform_only: bool = False,
) -> Kind:
    """Register a kind (engine packages and plugins, at import time)."""
    from core.notifications.models import CHANNELS

    if default not in CHANNELS:
        raise ValueError(f"default must be one of {CHANNELS}")
    kind = Kind(name, label, title, body, default, group, platform_only)
    _kinds[name] = kind
    return kind


def get(name: str) -> Kind | None:
    return _kinds.get(name)


def all_kinds() -> list[Kind]:
    return list(_kinds.values())


class _Params(dict):
    """Rendering values; a placeholder without a value renders empty rather than failing."""

    def __missing__(self, key: str) -> str:
        return ""


def format_moment(moment: datetime, locale: str, tz: str = DISPLAY_TIMEZONE) -> str:
    """A date and time for people: the long date and the hour and minute, in ``tz``."""
    moment = moment.astimezone(ZoneInfo(tz))
    day = format_date(moment.date(), "long", locale=locale)
    return f"{day} {format_time(moment.time(), 'short', locale=locale)}"


def _value(key: str, value: Any, locale: str, tz: str) -> Any:
    if isinstance(value, dict):
        return localised(value, locale)
    if isinstance(value, str) and value:
        try:
            if key.endswith("_on"):
                return format_date(date.fromisoformat(value), "long", locale=locale)
            if key.endswith("_at"):
                return format_moment(datetime.fromisoformat(value), locale, tz)
        except ValueError:
            return value
    return value


def values(params: dict[str, Any], locale: str, tz: str = DISPLAY_TIMEZONE) -> _Params:
    return _Params({k: _value(k, v, locale, tz) for k, v in (params or {}).items()})


def render(name: str, params: dict[str, Any], locale: str) -> tuple[str, str]:
    """``(title, body)`` of a notification of kind ``name`` in ``locale``."""
    kind = _kinds.get(name)
    with force_locale(locale):
        if kind is None:  # a plugin's kind whose plugin is gone: still readable
            return name, ""
        v = values(params, locale)
        return str(kind.title) % v, (str(kind.body) % v if kind.body is not None else "")


def label(name: str) -> str:
    kind = _kinds.get(name)
    return str(kind.label) if kind is not None else name


# --- the engine's kinds ----------------------------------------------------------------------

# items and catalogues
register(
    "items.awaiting_decision",
    _("Items awaiting my decision"),
    _("Items awaiting your decision: %(count)s"),
    body=_("Items of %(org)s and the units below it wait for your decision as the superior."),
)
register(
    "catalogue.awaiting_decision",
    _("Catalogues awaiting my decision"),
    _("Catalogues awaiting your decision: %(count)s"),
    body=_("Catalogues submitted by units below %(org)s wait for your approval."),
)
register(
    "items.filed",
    _("Withheld items filed with my organisation"),
    _("Filed with %(org)s: “%(title)s” is withheld"),
    body=_("%(unit)s withholds this item for now (暂不公开). Reason: %(reason)s"),
)
# hand-offs of the item workflow: each tells whoever takes the next step
register(
    "items.to_review",
    _("Items proposed for my review"),
    _("To review: “%(title)s”"),
    body=_("%(actor)s proposed this item of %(org)s for publication: record the review."),
    default="immediate",
)
register(
    "items.to_approve",
    _("Reviewed items awaiting my approval"),
    _("To approve: “%(title)s”"),
    body=_("The review of this item of %(org)s passed: approve it or submit it to the superior."),
    default="immediate",
)
register(
    "items.to_schedule",
    _("Approved items to schedule"),
    _("To schedule: “%(title)s”"),
    body=_("This item of %(org)s is approved: schedule its publication."),
    default="immediate",
)
register(
    "items.escalated",
    _("Items submitted to my organisation as the superior"),
    _("For your decision as the superior: “%(title)s”"),
    body=_("%(unit)s submits this item (off-catalogue or escalated) to %(org)s for approval."),
    default="immediate",
)
register(
    "items.change_to_decide",
    _("Amendments and revocations awaiting my decision"),
    _("%(change)s of “%(title)s” awaits your decision"),
    body=_("%(unit)s asks %(org)s to approve it. Explanation: %(explanation)s"),
    default="immediate",
)
register(
    "items.returned",
    _("My items returned for revision"),
    _("Returned for revision: “%(title)s”"),
    body=_("%(actor)s returned the item of %(org)s. Comment: %(comment)s"),
    default="immediate",
)
register(
    "items.refused",
    _("My items refused publication"),
    _("Publication refused: “%(title)s”"),
    body=_("%(actor)s refused publication (%(reason)s). Comment: %(comment)s"),
    default="immediate",
)
register(
    "items.published_mine",
    _("My items published"),
    _("Published: “%(title)s”"),
    body=_("The item you proposed for %(org)s is published."),
)
register(
    "items.change_decided",
    _("Decisions on my amendments and revocations"),
    _("%(change)s of “%(title)s”: %(outcome)s"),
    body=_("%(actor)s of %(superior)s decided. Comment: %(comment)s"),
    default="immediate",
)
register(
    "items.objection_lodged",
    _("Objections lodged to my organisation's notices"),
    _("Objection %(receipt)s to “%(title)s”"),
    body=_(
        "An objection to this notice of %(org)s was lodged: record what was checked and "
        "the outcome."
    ),
    default="immediate",
)
register(
    "items.objection_decided",
    _("The outcome of my objections"),
    _("Your objection %(receipt)s: %(outcome)s"),
    body=_("%(org)s recorded the outcome of your objection to “%(title)s”."),
    default="immediate",
)
register(
    "catalogue.to_review",
    _("Catalogue versions for my unit's review"),
    _("To review: catalogue version %(number)s of %(org)s"),
    body=_("%(actor)s submitted it for the unit's review: sign it off or send it back."),
    default="immediate",
)
register(
    "catalogue.submitted",
    _("Catalogue versions submitted to my organisation"),
    _("For your decision: catalogue version %(number)s of %(unit)s"),
    body=_("%(unit)s submits its catalogue to %(org)s for approval."),
    default="immediate",
)
register(
    "catalogue.decided",
    _("Decisions on catalogue versions I submitted"),
    _("Catalogue version %(number)s of %(org)s: %(outcome)s"),
    body=_("%(actor)s decided. Comment: %(comment)s"),
    default="immediate",
)
register(
    "items.notice_ending",
    _("Notice periods ending"),
    _("The notice period of “%(title)s” ends at %(ends_at)s"),
    body=_("The notice of %(org)s closes by itself when its period is over."),
    default="immediate",
)
# disclosure requests
register(
    "requests.submitted",
    _("New disclosure requests to handle"),
    _("New disclosure request to %(org)s: %(subject)s"),
    body=_("Decide by %(deadline_on)s."),
    group="requests",
)
register(
    "requests.extended",
    _("My disclosure request was extended"),
    _("Your disclosure request to %(org)s was extended to %(deadline_on)s"),
    body=_("Reason: %(reason)s"),
    default="immediate",
    group="requests",
)
register(
    "requests.decided",
    _("My disclosure request was decided"),
    _("Your disclosure request to %(org)s was decided: %(outcome)s"),
    body=_("Open the request to read the decision."),
    default="immediate",
    group="requests",
)
register(
    "requests.filed",
    _("Request decisions filed with my organisation"),
    _("Filed with %(org)s: a disclosure request decision of %(unit)s"),
    body=_("Outcome: %(outcome)s"),
    group="requests",
)
register(
    "requests.escalated",
    _("Disclosure requests escalated to my organisation"),
    _("A disclosure request to %(unit)s was escalated to %(org)s"),
    body=_("Subject: %(subject)s"),
    group="requests",
)
register(
    "requests.review_decided",
    _("Reviews of my escalated disclosure requests"),
    _("The review of your disclosure request %(number)s: %(outcome)s"),
    body=_("%(org)s reviewed the decision of %(unit)s. Comment: %(comment)s"),
    default="immediate",
    group="requests",
)
register(
    "requests.reconsider",
    _("Disclosure requests to decide again"),
    _("Decide again: disclosure request %(number)s"),
    body=_(
        "%(superior)s ordered %(org)s to reconsider; decide by %(deadline_on)s. "
        "Comment: %(comment)s"
    ),
    default="immediate",
    group="requests",
)
register(
    "requests.deadline_approaching",
    _("Disclosure request deadlines approaching"),
    _("Disclosure request due on %(deadline_on)s: %(subject)s"),
    body=_("%(org)s: working days left: %(days)s."),
    group="requests",
)
register(
    "requests.deadline_passed",
    _("Disclosure request deadlines passed"),
    _("Disclosure request overdue since %(deadline_on)s: %(subject)s"),
    body=_("%(org)s has not decided this request within its deadline."),
    default="immediate",
    group="requests",
)
# feedback ledger
register(
    "feedback.received",
    _("New feedback"),
    _("New feedback for %(org)s"),
    body=_("“%(excerpt)s”"),
    group="feedback",
)
register(
    "feedback.assigned",
    _("Feedback assigned to me"),
    _("Feedback of %(org)s assigned to you, due on %(due_on)s"),
    body=_("“%(excerpt)s”"),
    default="immediate",
    group="feedback",
)
register(
    "feedback.closed_mine",
    _("Answers to my feedback"),
    _("Your feedback %(receipt)s to %(org)s was answered"),
    body=_("Open it with its receipt number and lookup code to read the answer."),
    default="immediate",
    group="feedback",
)
register(
    "feedback.overdue",
    _("Feedback overdue"),
    _("Feedback of %(org)s overdue since %(due_on)s"),
    body=_("“%(excerpt)s”"),
    group="feedback",
)
# member evaluation
register(
    "evaluation.opened",
    _("Member evaluation rounds opened"),
    _("Member evaluation open: %(title)s"),
    body=_("Rate %(org)s and comment until %(closes_on)s."),
    group="evaluation",
)
register(
    "evaluation.published",
    _("Member evaluation results published"),
    _("Member evaluation results published: %(title)s"),
    body=_("The results for %(org)s can be read now."),
    group="evaluation",
)
# supervision and inspections
register(
    "supervision.inspection_planned",
    _("Inspections of my unit"),
    _("%(org)s will inspect %(unit)s: %(subject)s"),
    body=_("Planned on %(planned_on)s."),
    group="supervision",
)
register(
    "supervision.finding_raised",
    _("Findings my unit must rectify"),
    _("A finding for %(unit)s to rectify by %(deadline_on)s"),
    body=_("Raised by %(org)s: “%(excerpt)s”"),
    default="immediate",
    group="supervision",
)
register(
    "supervision.finding_answered",
    _("Rectifications answered to my organisation"),
    _("%(unit)s answered a finding with its rectification"),
    body=_("“%(excerpt)s” — check it, then close or reopen the finding."),
    group="supervision",
)
register(
    "supervision.finding_decided",
    _("Findings of my unit closed or reopened"),
    _("A finding of %(unit)s was %(decision)s"),
    body=_("“%(excerpt)s”"),
    default="immediate",
    group="supervision",
)
register(
    "supervision.finding_overdue",
    _("Findings past their rectification deadline"),
    _("A finding of %(unit)s is overdue since %(deadline_on)s"),
    body=_("“%(excerpt)s”"),
    group="supervision",
)
register(
    "supervision.flags_waiting",
    _("Automatic flags awaiting my decision"),
    _("Automatic flags awaiting your decision: %(count)s"),
    body=_("Units below %(org)s were flagged by the supervision: confirm or dismiss."),
    group="supervision",
)
# half-year reports, assessments, campaigns, filings (RPT-1, SUP-3, RPT-2)
register(
    "reports.due",
    _("Half-year reports due"),
    _("Half-year report due on %(due_on)s: %(period)s"),
    body=_("The report of %(org)s for %(period)s has not been submitted yet."),
    group="reporting",
)
register(
    "reports.overdue",
    _("Half-year reports overdue"),
    _("Half-year report overdue since %(due_on)s: %(unit)s"),
    body=_("The report of %(unit)s for %(period)s was due on %(due_on)s."),
    default="immediate",
    group="reporting",
)
register(
    "reports.submitted",
    _("Half-year reports submitted to my organisation"),
    _("Half-year report of %(unit)s submitted: %(period)s"),
    body=_("Read it and accept it, or return it with a comment."),
    group="reporting",
)
register(
    "reports.returned",
    _("My organisation's half-year report returned"),
    _("Half-year report returned by %(org)s: %(period)s"),
    body=_("Comment: %(comment)s"),
    default="immediate",
    group="reporting",
)
register(
    "reports.accepted",
    _("My organisation's half-year report accepted"),
    _("Half-year report accepted by %(org)s: %(period)s"),
    group="reporting",
)
register(
    "assessments.opened",
    _("Assessments to complete"),
    _("Assessment open: %(title)s"),
    body=_("Assess %(org)s yourself by %(due_on)s, with evidence for each checklist point."),
    group="reporting",
)
register(
    "assessments.self_due",
    _("Self-assessments due"),
    _("Self-assessment due on %(due_on)s: %(title)s"),
    body=_("%(org)s has not submitted its self-assessment yet."),
    group="reporting",
)
register(
    "assessments.self_assessed",
    _("Self-assessments submitted to my organisation"),
    _("Self-assessment of %(unit)s submitted: %(title)s"),
    body=_("Score it, or return it with a comment."),
    group="reporting",
)
register(
    "assessments.returned",
    _("My organisation's self-assessment returned"),
    _("Self-assessment returned: %(title)s"),
    body=_("Comment: %(comment)s"),
    default="immediate",
    group="reporting",
)
register(
    "assessments.published",
    _("Assessment results published"),
    _("Assessment results published: %(title)s"),
    body=_("The results for %(org)s can be read now."),
    group="reporting",
)
register(
    "campaigns.started",
    _("Campaigns my organisation takes part in"),
    _("Campaign started: %(title)s"),
    body=_("%(org)s takes part; the first stage ends on %(due_on)s."),
    group="reporting",
)
register(
    "campaigns.reminder",
    _("Campaign stages to complete"),
    _("Campaign stage due on %(due_on)s: %(stage)s"),
    body=_("%(title)s: %(org)s has not completed this stage yet."),
    default="immediate",
    group="reporting",
)
register(
    "filings.received",
    _("Catalogues and changes filed with my organisation"),
    _("Filed with %(org)s: %(what)s of %(unit)s"),
    body=_("“%(title)s”"),
    group="reporting",
)
register(
    "requests.grant_to_approve",
    _("Grants awaiting my approval"),
    _("A grant of %(unit)s awaits your approval: %(subject)s"),
    body=_("The applicant is told only after the superior approves the grant."),
    default="immediate",
    group="requests",
)
# platform
register(
    "workdays.year_missing",
    _("Working-day calendar year missing"),
    _("The working-day calendar has no official schedule for %(year)s"),
    body=_(
        "Deadlines in %(year)s count weekends only and are provisional until the year's "
        "official schedule is loaded."
    ),
    default="immediate",
    group="platform",
    platform_only=True,
)


def locale_of(user) -> str:
    return normalise(getattr(user, "locale", None)) or current_app.config["BABEL_DEFAULT_LOCALE"]


def timezone() -> ZoneInfo:
    return ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE") or DISPLAY_TIMEZONE)
