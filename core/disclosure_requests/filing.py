"""Filing a disclosure request (REQ-1): an applicant's online request, or one that staff record
for an applicant (oral, paper, letter); each gets its yearly number and its deadline.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select

from core import audit, db, events, permissions
from core.disclosure_requests.deadlines import compute, today
from core.disclosure_requests.models import DELIVERIES, STAFF_CHANNELS, DisclosureRequest
from core.errors import Problem, UserError
from core.i18n import _
from core.params import operations as params
from tenants.models import Organisation, User

MAX = {
    "content": 5000,
    "purpose": 2000,
    "name": 200,
    "phone": 40,
    "email": 254,
    "address": 500,
    "text": 10000,
    "short": 300,
    "url": 500,
}


PHONE = re.compile(r"^[0-9+()\- ]{5,40}$")


EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


NUMBER = re.compile(r"^(\d{4})-(\d{1,6})$")


def text_field(data: dict, key: str, problems: list, *, required: bool, limit: int) -> str | None:
    value = data.get(key)
    if value is None:
        value = ""
    if not isinstance(value, str):
        problems.append(Problem(key, _("must be text")))
        return None
    value = value.replace("\r\n", "\n").strip()
    if "\x00" in value:
        problems.append(Problem(key, _("contains a NUL character")))
        return None
    if required and not value:
        problems.append(Problem(key, _("is required")))
    if len(value) > limit:
        problems.append(Problem(key, _("at most %(n)s characters", n=limit)))
    return value or None


def clean_filing(data: dict[str, Any]) -> tuple[dict[str, Any], list[Problem]]:
    """Check what an applicant (or staff for them) gives: content, purpose, contact, delivery."""
    problems: list[Problem] = []
    out: dict[str, Any] = {
        "content": text_field(data, "content", problems, required=True, limit=MAX["content"]),
        "purpose": text_field(data, "purpose", problems, required=True, limit=MAX["purpose"]),
        "contact_phone": text_field(
            data, "contact_phone", problems, required=False, limit=MAX["phone"]
        ),
        "contact_email": text_field(
            data, "contact_email", problems, required=False, limit=MAX["email"]
        ),
        "contact_address": text_field(
            data, "contact_address", problems, required=False, limit=MAX["address"]
        ),
    }
    delivery = data.get("delivery") or "electronic"
    if delivery not in DELIVERIES:
        problems.append(Problem("delivery", _("one of %(codes)s", codes=", ".join(DELIVERIES))))
    out["delivery"] = delivery
    phone, email, address = out["contact_phone"], out["contact_email"], out["contact_address"]
    if phone and not PHONE.match(phone):
        problems.append(Problem("contact_phone", _("digits, spaces, +, - and brackets only")))
    if email and not EMAIL.match(email):
        problems.append(Problem("contact_email", _("not an e-mail address")))
    if not (phone or email or address):
        problems.append(
            Problem("contact", _("give a phone number, an e-mail address or a postal address"))
        )
    if delivery == "electronic" and not email:
        problems.append(Problem("contact_email", _("electronic delivery needs an e-mail address")))
    if delivery == "paper" and not address:
        problems.append(Problem("contact_address", _("delivery on paper needs a postal address")))
    return out, problems


def _lock(org: Organisation) -> None:
    """Serialise the numbering of ``org``'s requests (PostgreSQL: a row lock on the organisation;
    SQLite has one writer at a time)."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(
            select(Organisation.id).where(Organisation.id == org.id).with_for_update(key_share=True)
        )


def _next_seq(org: Organisation, year: int) -> int:
    _lock(org)
    last = db.session.scalar(
        select(func.max(DisclosureRequest.seq)).where(
            DisclosureRequest.org_id == org.id, DisclosureRequest.year == year
        )
    )
    return (last or 0) + 1


def realname_problem(user, org: Organisation) -> Any:
    """Why ``user`` may not file a request at ``org`` (IAM-2), or None."""
    from core.sso import operations as sso

    if sso.meets_realname_level(user, org):
        return None
    return _(
        "This unit accepts requests only from applicants verified at real-name level "
        "%(required)s or higher (yours: %(level)s).",
        required=params.value(org, "request.min_realname_level"),
        level=sso.realname_level(user),
    )


def _create(
    org: Organisation,
    cleaned: dict[str, Any],
    *,
    applicant: User | None,
    applicant_name: str,
    channel: str,
    received_on: date,
    actor,
) -> DisclosureRequest:
    days = params.value(org, "request.decision_working_days")
    req = DisclosureRequest(
        org_id=org.id,
        year=received_on.year,
        seq=_next_seq(org, received_on.year),
        state="submitted",
        applicant_id=applicant.id if applicant is not None else None,
        applicant_name=applicant_name,
        channel=channel,
        received_on=received_on,
        clock_start=received_on,
        decision_days=days,
        recorded_by_id=getattr(actor, "id", None) if channel in STAFF_CHANNELS else None,
        **cleaned,
    )
    req.organisation = org
    computed = compute(req, on=today(org))
    req.deadline, req.deadline_provisional = computed.due, computed.provisional
    db.session.add(req)
    db.session.flush()
    audit.log(
        "request.file",
        "disclosure_request",
        req.id,
        org_id=org.id,
        actor=actor,
        changes={
            "number": [None, req.number],
            "channel": [None, channel],
            "applicant": [None, applicant_name],
            "deadline": [None, req.deadline.isoformat()],
        },
    )
    events.request_submitted.send(req, actor=actor)
    return req


def file(org: Organisation, data: dict[str, Any], *, applicant, channel: str = "online"):
    """A request filed by a signed-in applicant (online or through the API)."""
    if applicant is None or not getattr(applicant, "is_authenticated", False):
        raise UserError(_("Sign in to file a disclosure request."))
    problem = realname_problem(applicant, org)
    if problem:
        raise UserError(problem)
    if channel not in ("online", "api"):
        raise UserError(_("Unknown channel “%(channel)s”.", channel=channel))
    cleaned, problems = clean_filing(data)
    if problems:
        raise UserError(_("The request was not filed."), problems=problems)
    return _create(
        org,
        cleaned,
        applicant=applicant,
        applicant_name=applicant.display_name or applicant.username,
        channel=channel,
        received_on=today(org),
        actor=applicant,
    )


def record(org: Organisation, data: dict[str, Any], *, actor) -> DisclosureRequest:
    """An oral, paper or letter request recorded by staff for an applicant (REQ-1): the
    applicant's name and contact, the day it was received, optionally an existing user."""
    if not permissions.may(actor, "requests.handle", org):
        raise UserError(_("Only an admin, editor or reviewer of this unit may record requests."))
    cleaned, problems = clean_filing(data)
    channel = data.get("channel")
    if channel not in STAFF_CHANNELS:
        problems.append(Problem("channel", _("one of %(codes)s", codes=", ".join(STAFF_CHANNELS))))
    name = text_field(data, "applicant_name", problems, required=False, limit=MAX["name"])
    applicant = None
    username = (data.get("applicant_username") or "").strip()
    if username:
        applicant = db.session.scalar(select(User).where(User.username == username))
        if applicant is None:
            problems.append(Problem("applicant_username", _("no user “%(name)s”", name=username)))
    if not name and applicant is not None:
        name = applicant.display_name or applicant.username
    if not name:
        problems.append(Problem("applicant_name", _("is required")))
    received = data.get("received_on") or today(org)
    if isinstance(received, str):
        try:
            received = date.fromisoformat(received)
        except ValueError:
            problems.append(Problem("received_on", _("not a date (YYYY-MM-DD)")))
            received = today(org)
    if received > today(org):
        problems.append(Problem("received_on", _("cannot be in the future")))
    elif received < today(org) - timedelta(days=366):
        problems.append(Problem("received_on", _("more than a year ago")))
    if problems:
        raise UserError(_("The request was not recorded."), problems=problems)
    return _create(
        org,
        cleaned,
        applicant=applicant,
        applicant_name=name,
        channel=channel,
        received_on=received,
        actor=actor,
    )
