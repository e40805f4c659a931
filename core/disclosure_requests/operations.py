"""Disclosure request operations: the only code that changes requests.

Each public function validates, runs at most one workflow transition (:mod:`.workflow`) and sends
its domain event (``core.events.request_*``) in the caller's unit of work; the register, the
notifications and the year-loaded recompute listen to them (``subscribers`` modules).

Deadlines (REQ-2, REQ-4) are working days of the official calendar (:mod:`core.workdays`):
``decision_days`` working days from ``clock_start`` (the day the request was received, amended,
or sent back for reconsideration), then — after the one extension — ``extension_days`` more from
that due date; the days of a third-party consultation do not count (a consultation still running
counts as ending today). A deadline that reaches a year the calendar does not hold yet is
*provisional* (weekends only) until the year is loaded; then it is computed again.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from blinker import Namespace
from flask_babel import gettext
from sqlalchemy import func, select

from core import audit, db, events, permissions
from core import text as text_cleaning
from core.disclosure_requests import workflow as wf
from core.disclosure_requests.models import (
    DECISIONS,
    DECLINE_REASONS,
    DELIVERIES,
    ESCALABLE_OUTCOMES,
    FILED_OUTCOMES,
    OPEN_STATES,
    STAFF_CHANNELS,
    DisclosureRequest,
    RequestAttachment,
    RequestConsultation,
    RequestDecision,
    RequestEscalation,
)
from core.errors import NotFound, UserError
from core.items import content as item_content
from core.items import operations as items
from core.items import visibility
from core.items.models import Item
from core.params import operations as params
from core.storage import storage
from core.workdays import operations as workdays
from core.workflow import engine
from core.workflow.engine import SYSTEM, TransitionRefused
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

signals = Namespace()
review_decided = signals.signal("request-review-decided")
"""``sender``: the DisclosureRequest; ``actor``, ``escalation``: the decided RequestEscalation
(its ``state`` is ``upheld`` or ``reconsider``). The register writes it in the superior's book."""


# --- reading ---------------------------------------------------------------------------------


def today(org: Organisation) -> date:
    """The organisation's date now (the clock of :func:`core.db.utcnow`)."""
    return items.local_date(org, db.utcnow())


def get(org: Organisation, request_id: int) -> DisclosureRequest | None:
    """The request ``request_id`` if it belongs to ``org`` (views 404 otherwise)."""
    found = db.session.get(DisclosureRequest, request_id)
    return found if found is not None and found.org_id == org.id else None


def is_applicant(user, req: DisclosureRequest) -> bool:
    return bool(
        user is not None
        and getattr(user, "is_authenticated", False)
        and req.applicant_id is not None
        and req.applicant_id == getattr(user, "id", None)
    )


def may_read(user, req: DisclosureRequest) -> bool:
    """The applicant, or those who read the unit's requests in the console (its staff and
    supervisors and those of its superiors)."""
    return is_applicant(user, req) or permissions.may(user, "requests.view", req)


def of_applicant(user) -> list[DisclosureRequest]:
    """Every request of ``user`` across units, newest first."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    return list(
        db.session.scalars(
            select(DisclosureRequest)
            .where(DisclosureRequest.applicant_id == user.id)
            .order_by(DisclosureRequest.created_at.desc(), DisclosureRequest.id.desc())
        )
    )


def history(req: DisclosureRequest):
    return engine.history(wf.request, req)


def decisions(req: DisclosureRequest) -> list[RequestDecision]:
    return list(
        db.session.scalars(
            select(RequestDecision)
            .where(RequestDecision.request_id == req.id)
            .order_by(RequestDecision.id)
        )
    )


def current_decision(req: DisclosureRequest) -> RequestDecision | None:
    """The decision in force (None while undecided, or after a reconsideration was ordered)."""
    if req.outcome is None:
        return None
    return db.session.scalar(
        select(RequestDecision)
        .where(RequestDecision.request_id == req.id)
        .order_by(RequestDecision.id.desc())
        .limit(1)
    )


def attachments(req: DisclosureRequest, decision: RequestDecision | None = None):
    query = select(RequestAttachment).where(RequestAttachment.request_id == req.id)
    if decision is not None:
        query = query.where(RequestAttachment.decision_id == decision.id)
    return list(db.session.scalars(query.order_by(RequestAttachment.id)))


def attachment(req: DisclosureRequest, attachment_id: int) -> RequestAttachment | None:
    found = db.session.get(RequestAttachment, attachment_id)
    return found if found is not None and found.request_id == req.id else None


def consultations(req: DisclosureRequest) -> list[RequestConsultation]:
    return list(
        db.session.scalars(
            select(RequestConsultation)
            .where(RequestConsultation.request_id == req.id)
            .order_by(RequestConsultation.id)
        )
    )


def open_consultation(req: DisclosureRequest) -> RequestConsultation | None:
    return db.session.scalar(
        select(RequestConsultation).where(
            RequestConsultation.request_id == req.id, RequestConsultation.ended_on.is_(None)
        )
    )


def escalations(req: DisclosureRequest) -> list[RequestEscalation]:
    return list(
        db.session.scalars(
            select(RequestEscalation)
            .where(RequestEscalation.request_id == req.id)
            .order_by(RequestEscalation.id)
        )
    )


def pending_escalation(req: DisclosureRequest) -> RequestEscalation | None:
    return db.session.scalar(
        select(RequestEscalation).where(
            RequestEscalation.request_id == req.id, RequestEscalation.state == "pending"
        )
    )


def parent_of(org: Organisation) -> Organisation | None:
    return db.session.get(Organisation, org.parent_id) if org.parent_id else None


def overdue(req: DisclosureRequest, on: date | None = None) -> bool:
    """The deadline passed without a decision (a paused clock is never overdue)."""
    on = on or today(req.organisation)
    return req.state in ("submitted", "accepted") and req.deadline < on


# --- deadlines -------------------------------------------------------------------------------


def pauses(req: DisclosureRequest) -> list[tuple[date, date | None]]:
    """The consultations as paused periods of the clock (``None``: still running)."""
    if req.id is None:
        return []
    return [(c.started_on, c.ended_on) for c in consultations(req)]


@dataclass(frozen=True)
class Computed:
    """A request's deadline and how it came about: ``base`` counts ``decision_days`` from the
    clock's start, ``extension`` (after the one extension) counts on from ``base.due``."""

    base: Any  # core.workdays Deadline
    extension: Any | None

    @property
    def due(self) -> date:
        return (self.extension or self.base).due

    @property
    def provisional(self) -> bool:
        return bool(self.base.provisional or (self.extension and self.extension.provisional))


def compute(req: DisclosureRequest, *, on: date | None = None) -> Computed:
    """The deadline of ``req``; a consultation still running counts as ending on ``on``
    (default: the organisation's today)."""
    on = on or today(req.organisation)
    paused = pauses(req)
    base = workdays.add_working_days(req.clock_start, req.decision_days, paused=paused, today=on)
    extension = None
    if req.extension_days:
        extension = workdays.add_working_days(base.due, req.extension_days, paused=paused, today=on)
    return Computed(base, extension)


def refresh_deadline(req: DisclosureRequest, *, on: date | None = None) -> bool:
    """Compute the deadline again; True when it (or its provisional mark) changed."""
    computed = compute(req, on=on)
    before = (req.deadline, req.deadline_provisional)
    after = (computed.due, computed.provisional)
    if before == after:
        return False
    req.deadline, req.deadline_provisional = after
    return True


def explain(req: DisclosureRequest) -> list[str]:
    """How the deadline is computed, line by line, in the reader's language."""
    computed = compute(req)
    lines = []
    if req.clock_start != req.received_on:
        lines.append(
            gettext(
                "Received on %(received)s; the clock started again on %(start)s (amended, or "
                "sent back for reconsideration).",
                received=req.received_on.isoformat(),
                start=req.clock_start.isoformat(),
            )
        )
    lines += [str(line) for line in computed.base.explain()]
    if computed.extension is not None:
        lines.append(
            gettext(
                "Extended once, by %(days)d working days from %(due)s. Reason: %(reason)s",
                days=req.extension_days,
                due=computed.base.due.isoformat(),
                reason=req.extension_reason or "",
            )
        )
        lines += [str(line) for line in computed.extension.explain()]
    for start, end in pauses(req):
        if end is None:
            lines.append(
                gettext(
                    "A third party is consulted since %(start)s: the clock is paused.",
                    start=start.isoformat(),
                )
            )
        else:
            lines.append(
                gettext(
                    "The clock was paused from %(start)s to %(end)s for a third-party "
                    "consultation.",
                    start=start.isoformat(),
                    end=end.isoformat(),
                )
            )
    return list(dict.fromkeys(lines))


def refresh_open_deadlines(*, states=OPEN_STATES, actor=None) -> int:
    """Compute the deadline of every request in ``states`` again (after a calendar year was
    loaded; and for running consultations); audits each change. Returns how many changed."""
    changed = 0
    for req in db.session.scalars(
        select(DisclosureRequest).where(DisclosureRequest.state.in_(states))
    ):
        before = (req.deadline.isoformat(), req.deadline_provisional)
        if refresh_deadline(req):
            changed += 1
            audit.log(
                "request.deadline",
                "disclosure_request",
                req.id,
                org_id=req.org_id,
                actor=actor,
                changes={
                    "deadline": [before[0], req.deadline.isoformat()],
                    "provisional": [before[1], req.deadline_provisional],
                },
            )
    db.session.flush()
    return changed


# --- filing (REQ-1) --------------------------------------------------------------------------


def _text(data: dict, key: str, problems: list[str], *, required: bool, limit: int) -> str | None:
    value = data.get(key)
    if value is None:
        value = ""
    if not isinstance(value, str):
        problems.append(f"{key}: must be text")
        return None
    value = value.replace("\r\n", "\n").strip()
    if "\x00" in value:
        problems.append(f"{key}: contains a NUL character")
        return None
    if required and not value:
        problems.append(f"{key}: is required")
    if len(value) > limit:
        problems.append(f"{key}: at most {limit} characters")
    return value or None


def clean_filing(data: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Check what an applicant (or staff for them) gives: content, purpose, contact, delivery."""
    problems: list[str] = []
    out: dict[str, Any] = {
        "content": _text(data, "content", problems, required=True, limit=MAX["content"]),
        "purpose": _text(data, "purpose", problems, required=True, limit=MAX["purpose"]),
        "contact_phone": _text(data, "contact_phone", problems, required=False, limit=MAX["phone"]),
        "contact_email": _text(data, "contact_email", problems, required=False, limit=MAX["email"]),
        "contact_address": _text(
            data, "contact_address", problems, required=False, limit=MAX["address"]
        ),
    }
    delivery = data.get("delivery") or "electronic"
    if delivery not in DELIVERIES:
        problems.append(f"delivery: one of {', '.join(DELIVERIES)}")
    out["delivery"] = delivery
    phone, email, address = out["contact_phone"], out["contact_email"], out["contact_address"]
    if phone and not PHONE.match(phone):
        problems.append("contact_phone: digits, spaces, +, - and brackets only")
    if email and not EMAIL.match(email):
        problems.append("contact_email: not an e-mail address")
    if not (phone or email or address):
        problems.append("contact: give a phone number, an e-mail address or a postal address")
    if delivery == "electronic" and not email:
        problems.append("contact_email: electronic delivery needs an e-mail address")
    if delivery == "paper" and not address:
        problems.append("contact_address: delivery on paper needs a postal address")
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


def realname_problem(user, org: Organisation) -> str | None:
    """Why ``user`` may not file a request at ``org`` (IAM-2), or None."""
    from core.sso import operations as sso

    if sso.meets_realname_level(user, org):
        return None
    return (
        f"This unit accepts requests only from applicants verified at real-name level "
        f"{params.value(org, 'request.min_realname_level')} or higher "
        f"(yours: {sso.realname_level(user)})."
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
        raise UserError("Sign in to file a disclosure request.")
    problem = realname_problem(applicant, org)
    if problem:
        raise UserError(problem, problems=["applicant: real-name level too low"])
    if channel not in ("online", "api"):
        raise UserError(f"Unknown channel {channel!r}.")
    cleaned, problems = clean_filing(data)
    if problems:
        raise UserError("The request was not filed.", problems=problems)
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
        raise UserError("Only an admin, editor or reviewer of this unit may record requests.")
    cleaned, problems = clean_filing(data)
    channel = data.get("channel")
    if channel not in STAFF_CHANNELS:
        problems.append(f"channel: one of {', '.join(STAFF_CHANNELS)}")
    name = _text(data, "applicant_name", problems, required=False, limit=MAX["name"])
    applicant = None
    username = (data.get("applicant_username") or "").strip()
    if username:
        applicant = db.session.scalar(select(User).where(User.username == username))
        if applicant is None:
            problems.append(f"applicant_username: no user {username!r}")
    if not name and applicant is not None:
        name = applicant.display_name or applicant.username
    if not name:
        problems.append("applicant_name: is required")
    received = data.get("received_on") or today(org)
    if isinstance(received, str):
        try:
            received = date.fromisoformat(received)
        except ValueError:
            problems.append("received_on: not a date (YYYY-MM-DD)")
            received = today(org)
    if received > today(org):
        problems.append("received_on: cannot be in the future")
    elif received < today(org) - timedelta(days=366):
        problems.append("received_on: more than a year ago")
    if problems:
        raise UserError("The request was not recorded.", problems=problems)
    return _create(
        org,
        cleaned,
        applicant=applicant,
        applicant_name=name,
        channel=channel,
        received_on=received,
        actor=actor,
    )


# --- the workflow: the unit ------------------------------------------------------------------


def _require_state(req: DisclosureRequest, name: str) -> None:
    transition = wf.request.transition(name)
    if req.state not in transition.source:
        raise TransitionRefused(
            "The action was refused.",
            problems=[f"This action is not possible in state {req.state!r}."],
        )


def accept(req: DisclosureRequest, *, actor) -> DisclosureRequest:
    engine.run(wf.request, req, "accept", actor=actor)
    return req


def extend(req: DisclosureRequest, *, actor, reason: str, days: int | None = None):
    """The one extension (REQ-2): up to ``request.extension_working_days`` working days from the
    original due date, with a reason; the applicant is told (event ``request_extended``)."""
    _require_state(req, "extend")
    limit = params.value(req.organisation, "request.extension_working_days")
    days = limit if days in (None, "") else days
    problems = []
    try:
        days = int(days)
    except (TypeError, ValueError):
        problems.append("days: a whole number")
        days = 0
    if not problems and not 1 <= days <= limit:
        problems.append(f"days: from 1 to {limit} working days")
    if not (reason or "").strip():
        problems.append("reason: an extension needs a reason")
    if problems:
        raise UserError("The deadline was not extended.", problems=problems)
    reason = reason.strip()[: MAX["text"]]
    on = today(req.organisation)

    def effect(r: DisclosureRequest) -> None:
        r.extension_days, r.extension_reason, r.extended_on = days, reason, on
        refresh_deadline(r)

    engine.run(
        wf.request, req, "extend", actor=actor, inputs={"reason": reason, "days": days},
        effect=effect,
    )  # fmt: skip
    events.request_extended.send(req, actor=actor, reason=reason)
    return req


def start_consultation(
    req: DisclosureRequest, *, actor, third_party: str, question: str, started_on=None
) -> RequestConsultation:
    """Consult a third party (REQ-4): the clock pauses from ``started_on`` (today)."""
    _require_state(req, "start_consultation")
    problems = []
    third_party = (third_party or "").strip()
    question = (question or "").strip()
    if not third_party:
        problems.append("third_party: name the third party")
    if len(third_party) > 200:
        problems.append("third_party: at most 200 characters")
    if not question:
        problems.append("question: what is the third party asked?")
    if problems:
        raise UserError("The consultation was not started.", problems=problems)
    started_on = started_on or today(req.organisation)
    consultation = RequestConsultation(
        request_id=req.id,
        org_id=req.org_id,
        third_party=third_party,
        question=question[: MAX["text"]],
        started_on=started_on,
        started_by_id=getattr(actor, "id", None),
    )

    def effect(r: DisclosureRequest) -> None:
        db.session.add(consultation)
        db.session.flush()
        refresh_deadline(r)

    engine.run(
        wf.request, req, "start_consultation", actor=actor,
        inputs={"third_party": third_party, "comment": question}, effect=effect,
    )  # fmt: skip
    return consultation


def end_consultation(req: DisclosureRequest, *, actor, opinion: str = "", ended_on=None):
    """The third party answered (or the time for it is over): the clock runs again."""
    _require_state(req, "end_consultation")
    consultation = open_consultation(req)
    if consultation is None:
        raise UserError("No consultation is running.")
    ended_on = ended_on or today(req.organisation)
    if ended_on < consultation.started_on:
        raise UserError("The consultation cannot end before it started.")

    def effect(r: DisclosureRequest) -> None:
        consultation.ended_on = ended_on
        consultation.opinion = (opinion or "").strip()[: MAX["text"]] or None
        consultation.ended_by_id = getattr(actor, "id", None)
        db.session.flush()
        refresh_deadline(r)

    engine.run(
        wf.request, req, "end_consultation", actor=actor,
        inputs={"comment": opinion}, effect=effect,
    )  # fmt: skip
    return consultation


def _filed_with(req: DisclosureRequest, outcome: str) -> Organisation | None:
    return parent_of(req.organisation) if outcome in FILED_OUTCOMES else None


def reject_invalid(req: DisclosureRequest, *, actor, reason: str) -> RequestDecision:
    """Not a disclosure request (e.g. a complaint, or no content at all): rejected with the
    reason, and filed with the superior."""
    _require_state(req, "reject_invalid")
    reason = (reason or "").strip()
    if not reason:
        raise UserError("Rejecting a request needs a reason.", problems=["reason: is required"])
    return _decide(req, "rejected_invalid", "reject_invalid", {"explanation": reason}, (), actor)


def ask_amendment(req: DisclosureRequest, *, actor, explanation: str) -> RequestDecision:
    """Unclear (REQ-3): the applicant is asked to amend within ``request.amend_lapse_days``
    days, else the request lapses."""
    _require_state(req, "ask_amendment")
    explanation = (explanation or "").strip()
    if not explanation:
        raise UserError(
            "Say what the applicant should make clear.", problems=["explanation: is required"]
        )
    return _decide(req, "unclear", "ask_amendment", {"explanation": explanation}, (), actor)


def _request_ref(org: Organisation, value: Any) -> DisclosureRequest | None:
    """An earlier request of ``org`` by id or number (``2026-0003``)."""
    if value in (None, ""):
        return None
    text = str(value).strip()
    match = NUMBER.match(text)
    if match:
        return db.session.scalar(
            select(DisclosureRequest).where(
                DisclosureRequest.org_id == org.id,
                DisclosureRequest.year == int(match[1]),
                DisclosureRequest.seq == int(match[2]),
            )
        )
    number = text_cleaning.ascii_int(text, minimum=1)
    return get(org, number) if number is not None else None


def _org_ref(org: Organisation, value: Any) -> Organisation | None:
    """An organisation of ``org``'s county by id or code."""
    if value in (None, ""):
        return None
    text = str(value).strip()
    query = select(Organisation).where(Organisation.root_id == org.root_id)
    number = text_cleaning.ascii_int(text, minimum=1)
    if number is not None:
        return db.session.scalar(query.where(Organisation.id == number))
    return db.session.scalar(query.where(Organisation.code == text))


def public_items(org: Organisation):
    """``select(Item)`` of the items an "already public" decision of ``org`` may name: disclosed
    items of its county that **anyone** may read (SCOPE-1 for an anonymous visitor), since the
    applicant — and whoever the applicant shows the answer — must be able to open the link."""
    return visibility.visible_items(None).where(Item.root_id == org.root_id)


def linkable_items(reader, ids) -> dict[int, Item]:
    """Of the items ``ids`` a decision links to, those ``reader`` may see (``{id: item}``): an
    answer never shows the title or link of an item its reader cannot open."""
    ids = {i for i in ids if i}
    if not ids:
        return {}
    query = visibility.visible_items(reader).where(Item.id.in_(ids))
    return {item.id: item for item in db.session.scalars(query)}


def _public_item(org: Organisation, value: Any) -> Item | None:
    if value in (None, ""):
        return None
    item_id = text_cleaning.ascii_int(value, minimum=1)
    if item_id is None:
        return None
    return db.session.scalar(public_items(org).where(Item.id == item_id))


def _file_problems(files) -> list[str]:
    problems = []
    for filename, data in files:
        try:
            item_content.check_attachment(filename, data)
        except UserError as exc:
            problems.append(f"attachments: {exc.message}")
    return problems


def clean_decision(
    req: DisclosureRequest, outcome: str, data: dict[str, Any], files=()
) -> tuple[dict[str, Any], list[str]]:
    """The fields ``outcome`` requires (REQ-3), checked: ``answer``, ``declined_part``,
    ``reason_code``, ``explanation``, ``public_item_id``/``public_url``, ``item_title``,
    ``referred_org``/``referred_to``, ``duplicate_of``; ``files`` are ``[(name, bytes)]``."""
    problems: list[str] = []
    org = req.organisation
    out: dict[str, Any] = {
        "answer": _text(data, "answer", problems, required=False, limit=MAX["text"]),
        "explanation": _text(data, "explanation", problems, required=False, limit=MAX["text"]),
    }
    problems += _file_problems(files)
    if outcome not in DECISIONS or outcome in ("unclear", "rejected_invalid"):
        problems.append(f"outcome: one of {', '.join(wf.DECIDE)}")
        return out, problems
    if outcome == "already_public":
        item = _public_item(org, data.get("public_item_id"))
        url = _text(data, "public_url", problems, required=False, limit=MAX["url"])
        if data.get("public_item_id") not in (None, "") and item is None:
            problems.append(
                "public_item_id: no item of this county that the public may read has that number"
            )
        if url and not (url.startswith(("https://", "http://")) or url.startswith("/")):
            problems.append("public_url: an address starting with https://, http:// or /")
        if item is None and not url:
            problems.append("link: give the published item or the address where it is public")
        out.update(public_item_id=item.id if item else None, public_url=url)
    elif outcome == "granted":
        if not out["answer"] and not files:
            problems.append("answer: give the answer, or attach the documents (or both)")
    elif outcome == "granted_published":
        title = _text(data, "item_title", problems, required=True, limit=MAX["short"])
        if not out["answer"]:
            problems.append("answer: the text to publish is required")
        out["item_title"] = title
    elif outcome in ("partly_granted", "declined"):
        reason = data.get("reason_code") or None
        if reason not in DECLINE_REASONS:
            problems.append(f"reason_code: one of {', '.join(DECLINE_REASONS)}")
        if not out["explanation"]:
            problems.append("explanation: a written explanation is required")
        out["reason_code"] = reason if reason in DECLINE_REASONS else None
        if outcome == "partly_granted":
            out["declined_part"] = _text(
                data, "declined_part", problems, required=True, limit=MAX["text"]
            )
            if not out["answer"] and not files:
                problems.append("answer: say what is granted, or attach it")
    elif outcome in ("not_held", "not_this_unit"):
        referred = _org_ref(org, data.get("referred_org"))
        if data.get("referred_org") not in (None, "") and referred is None:
            problems.append("referred_org: no organisation with that code in this county")
        elif referred is not None and referred.id == org.id:
            problems.append("referred_org: name another organisation than this one")
        referred_to = _text(data, "referred_to", problems, required=False, limit=MAX["short"])
        if outcome == "not_this_unit" and referred is None and not referred_to:
            problems.append("referred_to: name the organisation responsible")
        if outcome == "not_held" and not out["explanation"]:
            problems.append("explanation: a written explanation is required")
        out.update(referred_org_id=referred.id if referred else None, referred_to=referred_to)
    elif outcome == "duplicate":
        earlier = _request_ref(org, data.get("duplicate_of"))
        if earlier is None or earlier.id == req.id or earlier.received_on > req.received_on:
            problems.append("duplicate_of: the number of an earlier request of this unit")
        out["duplicate_of_id"] = earlier.id if earlier is not None else None
    return out, problems


def _published_item(req: DisclosureRequest, fields: dict[str, Any], actor) -> Item:
    """granted_published: a draft item in the unit, prefilled from the request and the answer;
    staff take it through review, approval and publication as usual."""
    org = req.organisation
    author = actor if permissions.may(actor, "items.edit", org) else SYSTEM
    item = items.create(
        org,
        {
            "titles": {"zh_Hans_CN": fields["item_title"]},
            "bodies": {"zh_Hans_CN": fields["answer"]},
            "scope": "public",
            "channels": ["website"],
            "decision_date": today(org),
        },
        actor=author,
    )
    if author is SYSTEM:
        item.created_by_id = getattr(actor, "id", None)
    return item


def _decide(req, outcome, transition, fields, files, actor) -> RequestDecision:
    org = req.organisation
    on = today(org)
    filed_with = _filed_with(req, outcome)
    item_title = fields.pop("item_title", None)
    decision = RequestDecision(
        request_id=req.id,
        org_id=org.id,
        outcome=outcome,
        decided_on=on,
        decided_by_id=getattr(actor, "id", None),
        filed_with_id=filed_with.id if filed_with is not None else None,
        **fields,
    )

    def effect(r: DisclosureRequest) -> None:
        if outcome == "granted_published":
            item = _published_item(r, {**fields, "item_title": item_title}, actor)
            decision.item_id = item.id
        db.session.add(decision)
        db.session.flush()
        for filename, data in files:
            _store(r, decision, filename, data, actor)
        r.outcome, r.decided_on = outcome, on
        if outcome == "unclear":
            days = params.value(org, "request.amend_lapse_days")
            r.amend_request, r.amend_due = fields.get("explanation"), on + timedelta(days=days)

    inputs = {
        "outcome": outcome,
        "reason": fields.get("reason_code") or fields.get("explanation"),
        "explanation": fields.get("explanation"),
    }
    if transition in ("reject_invalid",):
        inputs = {"reason": fields.get("explanation")}
    engine.run(wf.request, req, transition, actor=actor, inputs=inputs, effect=effect)
    events.request_decided.send(req, actor=actor, outcome=outcome, filed_with=filed_with)
    return decision


def _store(req, decision, filename: str, data: bytes, actor) -> RequestAttachment:
    suffix, content_type = item_content.check_attachment(filename, data)
    key = storage().put(data, suffix)
    name = filename.replace("\\", "/").rsplit("/", 1)[-1][:255]
    att = RequestAttachment(
        request_id=req.id,
        decision_id=decision.id,
        org_id=req.org_id,
        filename=name,
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        storage_key=key,
        uploaded_by_id=getattr(actor, "id", None),
    )
    db.session.add(att)
    db.session.flush()
    return att


def decide(
    req: DisclosureRequest, outcome: str, data: dict[str, Any] | None = None, *, actor, files=()
) -> RequestDecision:
    """Decide with one of the outcomes of REQ-3 and the fields it requires
    (:func:`clean_decision`); ``unclear`` asks the applicant to amend. Declines, partial grants
    and "not held" are filed with the superior (REQ-5); ``granted_published`` drafts the item."""
    data = dict(data or {})
    if outcome == "unclear":
        return ask_amendment(req, actor=actor, explanation=data.get("explanation") or "")
    if outcome not in wf.DECIDE:
        raise UserError(f"Unknown outcome {outcome!r}.", problems=["outcome: unknown"])
    name = f"decide_{outcome}"
    _require_state(req, name)
    if not permissions.may_run(actor, wf.request.name, wf.request.transitions[name], req):
        raise TransitionRefused(
            "The action was refused.", problems=["Only the unit's handlers may decide."]
        )
    fields, problems = clean_decision(req, outcome, data, files)
    if problems:
        raise UserError("The decision was not recorded.", problems=problems)
    return _decide(req, outcome, name, fields, list(files), actor)


# --- the applicant's steps -------------------------------------------------------------------


def amend(req: DisclosureRequest, *, user, amendment: str) -> DisclosureRequest:
    """The applicant makes an unclear request clear: the clock starts again today."""
    if not is_applicant(user, req):
        raise NotFound("There is no such request.")
    _require_state(req, "amend")
    amendment = (amendment or "").strip()
    problems = []
    if not amendment:
        problems.append("amendment: write what you want to make clear")
    if len(amendment) > MAX["content"]:
        problems.append(f"amendment: at most {MAX['content']} characters")
    if problems:
        raise UserError("The amendment was not sent.", problems=problems)
    org = req.organisation
    on = today(org)

    def effect(r: DisclosureRequest) -> None:
        r.amendment, r.amended_on = amendment, on
        r.outcome = r.decided_on = None
        _restart_clock(r, on)

    engine.run(
        wf.request, req, "amend", actor=wf.Applicant(user), inputs={"comment": amendment},
        effect=effect,
    )  # fmt: skip
    events.request_submitted.send(req, actor=user)
    return req


def _restart_clock(req: DisclosureRequest, on: date) -> None:
    req.clock_start = on
    req.decision_days = params.value(req.organisation, "request.decision_working_days")
    req.extension_days = req.extension_reason = req.extended_on = None
    refresh_deadline(req, on=on)


def escalation_refusal(req: DisclosureRequest, *, on: date | None = None) -> str | None:
    """Why the applicant may not escalate ``req`` now (None: they may)."""
    org = req.organisation
    if org.parent_id is None:
        return gettext("This organisation has no superior to escalate to.")
    if pending_escalation(req) is not None:
        return gettext("The superior organisation is already reviewing this request.")
    if req.state == "decided":
        if req.outcome not in ESCALABLE_OUTCOMES:
            return gettext("Only a decline, a partial grant or “not held” can be escalated.")
        decision = current_decision(req)
        if decision is not None and db.session.scalar(
            select(func.count())
            .select_from(RequestEscalation)
            .where(RequestEscalation.decision_id == decision.id)
        ):
            return gettext("The superior organisation already reviewed this decision.")
        return None
    if req.state in ("submitted", "accepted"):
        if overdue(req, on):
            return None
        return gettext("You may escalate when the deadline has passed without a decision.")
    return gettext("This request cannot be escalated in its present state.")


def escalate(req: DisclosureRequest, *, user, grounds: str) -> RequestEscalation:
    """The applicant asks the next level to review a decline, partial grant or "not held", or a
    request whose deadline passed without a decision (REQ-5)."""
    if not is_applicant(user, req):
        raise NotFound("There is no such request.")
    grounds = (grounds or "").strip()
    refusal = escalation_refusal(req)
    problems = []
    if refusal:
        raise TransitionRefused("The request was not escalated.", problems=[refusal])
    if not grounds:
        problems.append("grounds: say why the superior should review it")
    if len(grounds) > MAX["content"]:
        problems.append(f"grounds: at most {MAX['content']} characters")
    if problems:
        raise UserError("The request was not escalated.", problems=problems)
    parent = parent_of(req.organisation)
    decision = current_decision(req) if req.state == "decided" else None
    escalation = RequestEscalation(
        request_id=req.id,
        org_id=req.org_id,
        to_org_id=parent.id,
        decision_id=decision.id if decision is not None else None,
        from_state=req.state,
        grounds=grounds,
        escalated_by_id=user.id,
    )

    def effect(_r: DisclosureRequest) -> None:
        db.session.add(escalation)
        db.session.flush()

    engine.run(
        wf.request, req, "escalate", actor=wf.Applicant(user), inputs={"reason": grounds},
        effect=effect,
    )  # fmt: skip
    events.request_escalated.send(req, actor=user, to_org=parent)
    return escalation


# --- the superior ----------------------------------------------------------------------------


def decide_escalation(
    req: DisclosureRequest, *, actor, uphold: bool, comment: str | None = None
) -> RequestEscalation:
    """The superior's review: uphold the decision, or order the unit to reconsider (back to
    accepted with a new deadline counted from today)."""
    escalation = pending_escalation(req)
    name = "uphold" if uphold else "reconsider"
    _require_state(req, name)
    if escalation is None:
        raise UserError("There is no escalation to decide.")
    comment = (comment or "").strip() or None
    on = today(req.organisation)

    def effect(r: DisclosureRequest) -> None:
        escalation.state = "upheld" if uphold else "reconsider"
        escalation.decided_at = db.utcnow()
        escalation.decided_by_id = getattr(actor, "id", None)
        escalation.comment = comment
        if not uphold:
            r.outcome = r.decided_on = None
            _restart_clock(r, on)

    engine.run(wf.request, req, name, actor=actor, inputs={"comment": comment}, effect=effect)
    review_decided.send(req, actor=actor, escalation=escalation)
    return escalation


def acknowledge_filing(decision: RequestDecision, *, actor, note: str | None = None):
    """The superior acknowledges a filed decision (read; the filing itself changes nothing)."""
    if decision.filed_with_id is None:
        raise NotFound("This decision was not filed with a superior.")
    if not permissions.may(actor, "requests.receive_filing", decision.request):
        raise UserError("Only an admin or reviewer of a superior organisation may acknowledge.")
    if decision.acknowledged_at is not None:
        raise TransitionRefused("This filing was acknowledged already.")
    decision.acknowledged_at = db.utcnow()
    decision.acknowledged_by_id = getattr(actor, "id", None)
    decision.acknowledgement = (note or "").strip()[: MAX["text"]] or None
    db.session.flush()
    audit.log(
        "request.filing_acknowledged",
        "disclosure_request",
        decision.request_id,
        org_id=decision.filed_with_id,
        actor=actor,
        changes={"decision": [None, decision.id], "note": [None, decision.acknowledgement]},
    )
    return decision


def filings(org: Organisation) -> list[RequestDecision]:
    """Filed decisions of the units strictly below ``org`` (SUP-1), newest first."""
    return list(
        db.session.scalars(
            select(RequestDecision)
            .join(Organisation, Organisation.id == RequestDecision.org_id)
            .where(
                RequestDecision.filed_with_id.is_not(None),
                Organisation.path.startswith(org.path, autoescape=True),
                Organisation.id != org.id,
            )
            .order_by(RequestDecision.decided_at.desc(), RequestDecision.id.desc())
        )
    )


def waiting_escalations(org: Organisation) -> list[RequestEscalation]:
    """Pending escalations of requests of the units strictly below ``org``."""
    return list(
        db.session.scalars(
            select(RequestEscalation)
            .join(Organisation, Organisation.id == RequestEscalation.org_id)
            .where(
                RequestEscalation.state == "pending",
                Organisation.path.startswith(org.path, autoescape=True),
                Organisation.id != org.id,
            )
            .order_by(RequestEscalation.escalated_at, RequestEscalation.id)
        )
    )


# --- sweeps (jobs) ---------------------------------------------------------------------------


def lapse_due() -> int:
    """Unclear requests not amended within their days lapse."""
    count = 0
    candidates = db.session.scalars(
        select(DisclosureRequest).where(DisclosureRequest.state == "awaiting_amendment")
    ).all()
    for req in candidates:
        if req.amend_due is not None and req.amend_due >= today(req.organisation):
            continue
        engine.run(wf.request, req, "lapse", actor=SYSTEM)
        count += 1
    return count


def refresh_consulting() -> int:
    """Keep the deadlines of requests in consultation as if it ended today."""
    return refresh_open_deadlines(states=("consulting",))
