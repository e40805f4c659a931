"""Notifications listen to the domain events (:mod:`core.events`).

Each receiver runs in the sender's transaction: the notifications commit with their cause (or
roll back with it) and their mails leave after that commit, through the outbox. The actor is
never told of their own action. Items and catalogues awaiting a decision are not told per event:
the daily reminder sweep derives them from the superiors' inboxes (:mod:`.reminders`).

Senders' packages are read through their objects' attributes and imported lazily, so that a
package being written does not stop this one from loading.
"""

from __future__ import annotations

from sqlalchemy import select

from core import db, events
from core.notifications import operations as ops
from core.notifications.reminders import optional
from tenants.models import Organisation, User


def _user(user_id: int | None) -> User | None:
    return db.session.get(User, user_id) if user_id is not None else None


def _org(obj) -> Organisation:
    org = getattr(obj, "organisation", None)
    return org if org is not None else db.session.get(Organisation, obj.org_id)


# --- items -----------------------------------------------------------------------------------


@events.item_withheld.connect
def on_item_withheld(item, *, actor, reason, filed_with, **_kw) -> None:
    """A withheld item is filed with the superior (PUB-6): its reviewers are told."""
    if filed_with is None:
        return
    org = item.organisation
    ops.notify(
        ops.recipients("items.decide", org, at=filed_with),
        "items.filed",
        org=filed_with,
        params={
            "title": dict(item.current_version.titles) if item.current_version else {},
            "org": ops.org_names(filed_with),
            "unit": ops.org_names(org),
            "reason": ops.excerpt(reason, 200),
        },
        link=ops.path_for("items_admin.filings", org_code=filed_with.code),
        about=("item", item.id),
        exclude=[actor],
    )


# --- disclosure requests ---------------------------------------------------------------------


def request_params(req, org: Organisation, **extra) -> dict:
    return {
        "org": ops.org_names(org),
        "subject": ops.excerpt(getattr(req, "content", ""), 60),
        "number": getattr(req, "number", ""),
        "deadline_on": req.deadline.isoformat() if getattr(req, "deadline", None) else "",
        **extra,
    }


def request_link(req, org: Organisation, *, applicant: bool = False) -> str | None:
    """The request's page: the applicant's own view, or the unit's console."""
    endpoint = "requests.detail" if applicant else "requests_admin.detail"
    return ops.path_for(endpoint, org_code=org.code, request_id=req.id)


def outcome_label(outcome: str | None) -> dict[str, str] | str:
    """The outcome's label in every language (the label the request pages show)."""
    forms = optional("core.disclosure_requests.forms")
    found = getattr(forms, "OUTCOMES", None) if forms is not None else None
    if found and outcome in found:
        return ops.texts(found[outcome])
    return outcome or ""


@events.request_submitted.connect
def on_request_submitted(req, *, actor=None, **_kw) -> None:
    org = _org(req)
    ops.notify(
        ops.recipients("requests.handle", org),
        "requests.submitted",
        org=org,
        params=request_params(req, org),
        link=request_link(req, org),
        about=("disclosure_request", req.id),
        exclude=[actor],
    )


@events.request_extended.connect
def on_request_extended(req, *, actor=None, reason="", **_kw) -> None:
    org = _org(req)
    ops.notify(
        [_user(req.applicant_id)],
        "requests.extended",
        org=org,
        params=request_params(req, org, reason=ops.excerpt(reason, 300)),
        link=request_link(req, org, applicant=True),
        about=("disclosure_request", req.id),
        exclude=[actor],
    )


@events.request_decided.connect
def on_request_decided(req, *, actor=None, outcome=None, filed_with=None, **_kw) -> None:
    org = _org(req)
    params = request_params(req, org, outcome=outcome_label(outcome or req.outcome))
    ops.notify(
        [_user(req.applicant_id)],
        "requests.decided",
        org=org,
        params=params,
        link=request_link(req, org, applicant=True),
        about=("disclosure_request", req.id),
        exclude=[actor],
    )
    if filed_with is not None:
        ops.notify(
            ops.recipients("requests.receive_filing", org, at=filed_with),
            "requests.filed",
            org=filed_with,
            params={**params, "org": ops.org_names(filed_with), "unit": ops.org_names(org)},
            link=ops.path_for("requests_admin.filings", org_code=filed_with.code),
            about=("disclosure_request", req.id),
            exclude=[actor],
        )


@events.request_escalated.connect
def on_request_escalated(req, *, actor=None, to_org=None, **_kw) -> None:
    org = _org(req)
    if to_org is None:
        return
    ops.notify(
        ops.recipients("requests.review_escalation", org, at=to_org),
        "requests.escalated",
        org=to_org,
        params={
            **request_params(req, org),
            "org": ops.org_names(to_org),
            "unit": ops.org_names(org),
        },
        link=ops.path_for("requests_admin.escalations", org_code=to_org.code),
        about=("disclosure_request", req.id),
        exclude=[actor],
    )


# --- feedback ledger -------------------------------------------------------------------------


def feedback_link(entry, org: Organisation) -> str | None:
    return ops.path_for("feedback_admin.detail", org_code=org.code, feedback_id=entry.id)


def feedback_params(entry, org: Organisation) -> dict:
    return {
        "org": ops.org_names(org),
        "excerpt": ops.excerpt(getattr(entry, "content", ""), 80),
        "receipt": getattr(entry, "receipt", ""),
        "due_on": entry.due_on.isoformat() if getattr(entry, "due_on", None) else "",
    }


@events.feedback_received.connect
def on_feedback_received(entry, *, actor=None, **_kw) -> None:
    if getattr(entry, "spam", False):
        return
    org = _org(entry)
    ops.notify(
        ops.recipients("feedback.assign", org),
        "feedback.received",
        org=org,
        params=feedback_params(entry, org),
        link=feedback_link(entry, org),
        about=("feedback", entry.id),
        exclude=[actor],
    )


@events.feedback_assigned.connect
def on_feedback_assigned(entry, *, actor=None, handler=None, due=None, **_kw) -> None:
    org = _org(entry)
    params = feedback_params(entry, org)
    if due is not None:
        params["due_on"] = due.isoformat()
    ops.notify(
        [handler],
        "feedback.assigned",
        org=org,
        params=params,
        link=feedback_link(entry, org),
        about=("feedback", entry.id),
        exclude=[actor],
    )


# --- member evaluation -----------------------------------------------------------------------


def round_voters(round_) -> list[tuple[int, User]]:
    """``(unit id, user)`` of the round's roll (fixed when the round opened)."""
    models = optional("core.evaluation.models")
    if models is None:
        return []
    voter = models.EvaluationVoter
    return list(
        db.session.execute(
            select(voter.org_id, User)
            .join(User, User.id == voter.user_id)
            .where(voter.round_id == round_.id, User.active.is_(True))
            .order_by(voter.org_id, User.id)
        )
    )


def _tell_roll(round_, kind: str, link, actor) -> None:
    """Tell the people on each unit's roll; ``link(round_, unit)`` is their page."""
    by_unit: dict[int, list[User]] = {}
    for unit_id, user in round_voters(round_):
        by_unit.setdefault(unit_id, []).append(user)
    if not by_unit:
        return
    units = {
        o.id: o
        for o in db.session.scalars(select(Organisation).where(Organisation.id.in_(by_unit)))
    }
    for unit_id, users in by_unit.items():
        unit = units[unit_id]
        ops.notify(
            users,
            kind,
            org=unit,
            params={
                "title": dict(round_.titles or {}),
                "org": ops.org_names(unit),
                "closes_on": round_.closes_on.isoformat() if round_.closes_on else "",
            },
            link=link(round_, unit),
            about=("evaluation_round", round_.id),
            exclude=[actor],
        )


@events.evaluation_opened.connect
def on_evaluation_opened(round_, *, actor=None, **_kw) -> None:
    """The people on a unit's roll are told they may rate it."""
    _tell_roll(
        round_,
        "evaluation.opened",
        lambda r, unit: ops.path_for("evaluation.rate", org_code=unit.code, round_id=r.id),
        actor,
    )


@events.evaluation_published.connect
def on_evaluation_published(round_, *, actor=None, **_kw) -> None:
    """The people on the roll (who may all read the results) are told they are out."""
    _tell_roll(
        round_,
        "evaluation.published",
        lambda r, _unit: ops.path_for(
            "evaluation.results", org_code=r.organisation.code, round_id=r.id
        ),
        actor,
    )


# --- the working-day calendar ----------------------------------------------------------------


@events.workdays_year_missing.connect
def on_workdays_year_missing(year, **_kw) -> None:
    """A deadline reached a year the calendar does not hold: the platform admins, once a day."""
    ops.notify(
        ops.recipients("platform.manage", None),
        "workdays.year_missing",
        params={"year": str(year)},
        link=ops.path_for("workdays_admin.index"),
        about=("workday_year", year),
        dedup=f"workdays.year_missing:{year}:{ops.local_day().isoformat()}",
    )
