"""Feedback operations: the only code that changes the ledger.

Each function validates, runs at most one workflow transition (:mod:`core.feedback.workflow`),
writes the audit entry and sends the domain event (``core.events.feedback_*``) in the caller's
unit of work. Nothing here commits: a submission is committed by its request *before* anything
reacting to the event leaves (notifications are jobs, sent from the outbox after the commit), so
a submission is never lost because Redis or the mail server is down.

Texts from visitors are plain text: :func:`clean_text` keeps line breaks and tabs, drops other
control and direction-override characters; pages escape them (Jinja autoescape) and exports
neutralise spreadsheet formulas (:mod:`core.spreadsheets`).

The honeypot: a form field that people never see (hidden by the style sheet) and bots fill. A
submission with it filled is answered like any other (the bot learns nothing) and stored flagged
``spam``: it has no due date, sends no event, stays out of the ledger's default view and the
statistics, and an admin can take the flag off (:func:`set_spam`) — nothing a person submitted is
ever silently dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from core import audit, db, events, localtime, permissions, receipts
from core import text as text_cleaning
from core.errors import Problem, UserError
from core.feedback import workflow as wf

# The ledger's queries and the rules its workflow shares live in core.feedback.ledger and
# core.feedback.rules; callers keep finding them here.
from core.feedback.ledger import Filters as Filters
from core.feedback.ledger import count as count
from core.feedback.ledger import handles_any as handles_any
from core.feedback.ledger import ledger_query as ledger_query
from core.feedback.ledger import overdue as overdue
from core.feedback.ledger import published_query as published_query
from core.feedback.models import (
    ANSWER_CHANNELS,
    CONTACT_MAX,
    CONTENT_MAX,
    NAME_MAX,
    STAFF_CHANNELS,
    TEXT_MAX,
    FeedbackEntry,
    FeedbackNote,
)
from core.feedback.rules import can_handle as can_handle
from core.feedback.rules import can_view as can_view
from core.feedback.rules import closing_problems as closing_problems
from core.i18n import _
from core.items.models import Item
from core.params import operations as params
from core.workflow import engine
from core.workflow.engine import SYSTEM
from tenants.models import Membership, Organisation, User

ANONYMOUS = "anonymous"  # the audit label of a visitor without an account
FEEDBACK_LIMIT = "20 per hour;5 per minute"
"""Feedback one address may send (the form and the API together): no account is needed."""
LOOKUP_LIMIT = "60 per hour;10 per minute"
"""Receipt look-ups one address may make (they need the receipt and its code)."""


# --- small helpers ---------------------------------------------------------------------------


today_for = localtime.today
"""The organisation's date now (through :func:`core.db.utcnow`, so the demo's clock works)."""


def clean_text(value: Any) -> str:
    """Plain text as stored: line ends made ``\\n``, control characters other than new lines and
    tabs and the bidirectional controls removed (:func:`core.text.clean`), outer blank space
    stripped."""
    return text_cleaning.clean(value, strip=True)


def _line(value: Any) -> str:
    """One line of plain text (a name, contact details)."""
    return re.sub(r"\s+", " ", clean_text(value)).strip()


def _as_date(value: Any, field: str, problems: list[str]) -> date | None:
    try:
        return text_cleaning.as_date(value)
    except (TypeError, ValueError):
        problems.append(Problem(field, _("not a date (YYYY-MM-DD).")))
        return None


def _new_receipt() -> str:
    return receipts.new_receipt(
        "FK",
        lambda r: (
            db.session.scalar(select(FeedbackEntry.id).where(FeedbackEntry.receipt == r))
            is not None
        ),
    )


def normalise_receipt(value: str | None) -> str:
    """What a person types (lower case, spaces, no dashes) as the stored form ``FK-XXXX-XXXX``."""
    return receipts.normalise("FK", value)


def default_due(org: Organisation, start: date) -> tuple[date, bool]:
    """The answer's due date: ``feedback.answer_days`` working days after ``start`` with the
    working-day calendar (:mod:`core.workdays`) when it is installed, else calendar days.
    Returns ``(due, provisional)``; provisional when the calendar lacks the year."""
    days = params.value(org, "feedback.answer_days")
    try:
        from core.workdays.operations import add_working_days  # type: ignore[import-not-found]
    except ImportError:
        return start + timedelta(days=days), False
    deadline = add_working_days(start, days)
    return deadline.due, bool(getattr(deadline, "provisional", False))


# --- who may do what (the object rules of core.permissions) ----------------------------------


def _require(actor, action: str, obj, message: str) -> None:
    if actor is SYSTEM:
        return
    if not permissions.may(actor, action, obj):
        raise UserError(message)


# --- reading ---------------------------------------------------------------------------------


def get(org: Organisation, entry_id: int) -> FeedbackEntry | None:
    """The entry ``entry_id`` if it belongs to ``org`` (views 404 otherwise)."""
    found = db.session.get(FeedbackEntry, entry_id)
    return found if found is not None and found.org_id == org.id else None


def by_receipt(org: Organisation, receipt: str | None, code: str | None) -> FeedbackEntry | None:
    """The online entry with this receipt and lookup code in ``org`` (None for any mismatch)."""
    receipt = normalise_receipt(receipt)
    code = (code or "").strip()
    if not receipts.usable(receipt, code):
        return None
    entry = db.session.scalar(
        select(FeedbackEntry).where(
            FeedbackEntry.org_id == org.id, FeedbackEntry.receipt == receipt
        )
    )
    stored = entry.lookup_hash if entry is not None else None
    return entry if receipts.matches(stored, receipt, code) else None


def notes(entry: FeedbackEntry) -> list[FeedbackNote]:
    return list(
        db.session.scalars(
            select(FeedbackNote).where(FeedbackNote.entry_id == entry.id).order_by(FeedbackNote.id)
        )
    )


def history(entry: FeedbackEntry):
    return engine.history(wf.feedback, entry)


def handlers(org: Organisation) -> list[User]:
    """The people who may be assigned an entry of ``org``: anyone with a role in it."""
    return list(
        db.session.scalars(
            select(User)
            .where(
                User.id.in_(select(Membership.user_id).where(Membership.org_id == org.id)),
                User.active.is_(True),
            )
            .order_by(User.display_name, User.username)
        )
    )


def items_to_choose(user, org: Organisation, limit: int = 50) -> list[Item]:
    """The newest disclosed items of ``org`` itself that ``user`` may see (the form's choice)."""
    from core.items.visibility import visible_items

    query = (
        visible_items(user)
        .where(Item.org_id == org.id)
        .order_by(Item.published_at.desc(), Item.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(query))


def _item(org: Organisation, item_id: Any, user, problems: list[str]) -> Item | None:
    """The item the feedback is about: one of ``org``'s disclosed items that ``user`` may see."""
    if item_id in (None, ""):
        return None
    try:
        number = int(item_id)
    except (TypeError, ValueError):
        number = 0
    found = db.session.get(Item, number) if 0 < number <= 2**31 - 1 else None
    if found is None or found.org_id != org.id or not permissions.may(user, "items.view", found):
        problems.append(Problem("item", _("no such disclosed item of this organisation.")))
        return None
    return found


def _texts(
    content: Any, name: Any, contact: Any, problems: list[str]
) -> tuple[str, str | None, str | None]:
    text = clean_text(content)
    if not text:
        problems.append(Problem("content", _("please write your opinion or suggestion.")))
    elif len(text) > CONTENT_MAX:
        problems.append(Problem("content", _("at most %(n)d characters.", n=CONTENT_MAX)))
    name_text = _line(name)
    if len(name_text) > NAME_MAX:
        problems.append(Problem("name", _("at most %(n)d characters.", n=NAME_MAX)))
    contact_text = _line(contact)
    if len(contact_text) > CONTACT_MAX:
        problems.append(Problem("contact", _("at most %(n)d characters.", n=CONTACT_MAX)))
    return text, name_text or None, contact_text or None


# --- receiving -------------------------------------------------------------------------------


@dataclass
class Submission:
    entry: FeedbackEntry
    lookup_code: str


def submit_online(
    org: Organisation,
    *,
    content: Any,
    name: Any = None,
    contact: Any = None,
    item_id: Any = None,
    user=None,
    honeypot: Any = None,
) -> Submission:
    """Feedback given online, by anyone (FB-1): stored in ``received`` with a receipt number
    and a lookup code (returned once; only its digest is kept). A signed-in ``user`` is
    recorded as the submitter. ``honeypot``: the hidden field's value (see the module)."""
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None
    problems: list[str] = []
    text, name_text, contact_text = _texts(content, name, contact, problems)
    item = _item(org, item_id, user, problems)
    if problems:
        raise UserError(_("Your feedback was not sent."), problems=problems)
    spam = bool(str(honeypot or "").strip())
    code = receipts.new_code()
    receipt = _new_receipt()
    received_on = today_for(org)
    due, provisional = (None, False) if spam else default_due(org, received_on)
    entry = _store(
        org, "feedback.receive", audit_actor=user or ANONYMOUS, event_actor=user,
        receipt=receipt, lookup_hash=receipts.digest(receipt, code), channel="online", spam=spam,
        item=item, texts=(text, name_text, contact_text), user_id=getattr(user, "id", None),
        received_on=received_on, due=(due, provisional),
    )  # fmt: skip
    return Submission(entry, code)


def _store(org, action: str, *, audit_actor, event_actor, item, texts, due, **fields):
    """Add a received entry (online or recorded), audit it and announce it unless it is spam."""
    text, name_text, contact_text = texts
    entry = FeedbackEntry(
        org_id=org.id,
        state="received",
        item_id=item.id if item else None,
        content=text,
        submitter_name=name_text,
        submitter_contact=contact_text,
        due_on=due[0],
        due_provisional=due[1],
        **fields,
    )
    db.session.add(entry)
    db.session.flush()
    changes = {"channel": [None, entry.channel], "receipt": [None, entry.receipt]}
    if action == "feedback.receive":
        changes["spam"] = [None, entry.spam]
    audit.log(action, "feedback", entry.id, org_id=org.id, actor=audit_actor, changes=changes)
    if not entry.spam:
        events.feedback_received.send(entry, actor=event_actor)
    return entry


def record(
    org: Organisation,
    *,
    actor,
    channel: str,
    content: Any,
    received_on: Any = None,
    name: Any = None,
    contact: Any = None,
    item_id: Any = None,
) -> FeedbackEntry:
    """Feedback received by the hotline, the suggestion box, a reception day, letters and
    visits or a meeting, recorded by the unit's staff (FB-1); the submitter is optional."""
    _require(
        actor,
        "feedback.record",
        org,
        _("Only an admin or editor of this unit may record feedback."),
    )
    problems: list[str] = []
    if channel not in STAFF_CHANNELS:
        problems.append(Problem("channel", _("choose how the feedback arrived.")))
    text, name_text, contact_text = _texts(content, name, contact, problems)
    today = today_for(org)
    day = _as_date(received_on, "received_on", problems) or today
    if day > today:
        problems.append(Problem("received_on", _("the date is in the future.")))
    item = _item(org, item_id, actor, problems)
    if problems:
        raise UserError(_("The feedback was not recorded."), problems=problems)
    due, provisional = default_due(org, day)
    return _store(
        org, "feedback.record", audit_actor=actor, event_actor=actor,
        receipt=_new_receipt(), channel=channel, spam=False, item=item,
        texts=(text, name_text, contact_text), received_on=day,
        recorded_by_id=getattr(actor, "id", None), due=(due, provisional),
    )  # fmt: skip


def set_spam(entry: FeedbackEntry, *, actor, spam: bool) -> FeedbackEntry:
    """Flag an entry as spam, or take the flag off (then it is due and announced as received)."""
    _require(
        actor,
        "feedback.assign",
        entry.organisation,
        _("Only an admin or editor of this unit may do this."),
    )
    if entry.spam == spam:
        return entry
    if spam and entry.state != "received":
        raise UserError(_("Only an entry that nobody handles yet can be marked as spam."))
    entry.spam = spam
    if spam:
        entry.due_on, entry.due_provisional = None, False
    elif entry.due_on is None:
        entry.due_on, entry.due_provisional = default_due(entry.organisation, entry.received_on)
    db.session.flush()
    audit.log(
        "feedback.spam",
        "feedback",
        entry.id,
        org_id=entry.org_id,
        actor=actor,
        changes={"spam": [not spam, spam]},
    )
    if not spam:
        events.feedback_received.send(entry, actor=actor)
    return entry


# --- handling --------------------------------------------------------------------------------


def _handler(org: Organisation, handler: Any) -> User:
    user = handler if isinstance(handler, User) else None
    if user is None and handler not in (None, ""):
        try:
            user = db.session.get(User, int(handler))
        except (TypeError, ValueError):
            user = None
    if user is None or not user.active or not permissions.roles_by_org(user).get(org.id):
        raise UserError(
            _("The entry was not assigned."),
            problems=["handler: " + _("choose a person with a role in this unit.")],
        )
    return user


def assign(entry: FeedbackEntry, *, actor, handler: Any, due_on: Any = None) -> FeedbackEntry:
    """Assign the entry to a handler (anyone with a role in the unit) with a due date (default:
    the parameter ``feedback.answer_days`` from receipt). An assigned entry may be reassigned."""
    org = entry.organisation
    _require(
        actor,
        "feedback.assign",
        org,
        _("Only an admin or editor of this unit may assign feedback."),
    )
    if entry.spam:
        raise UserError(_("This entry is marked as spam: take the mark off first."))
    person = _handler(org, handler)
    problems: list[str] = []
    due = _as_date(due_on, "due_on", problems)
    if due is not None and due < entry.received_on:
        problems.append(Problem("due_on", _("before the day the feedback was received.")))
    if problems:
        raise UserError(_("The entry was not assigned."), problems=problems)
    provisional = entry.due_provisional
    if due is None:
        due, provisional = entry.due_on, entry.due_provisional
        if due is None:
            due, provisional = default_due(org, entry.received_on)
    elif due != entry.due_on:
        provisional = False
    before = {"handler_id": entry.handler_id, "due_on": entry.due_on}

    def effect(e: FeedbackEntry) -> None:
        e.handler_id, e.due_on, e.due_provisional = person.id, due, provisional
        e.assigned_at = db.utcnow()

    if entry.state == "received":
        engine.run(
            wf.feedback,
            entry,
            "assign",
            actor=actor,
            inputs={"handler": person.username, "due_on": due.isoformat()},
            effect=effect,
        )
    elif entry.state in ("assigned", "rectifying"):
        effect(entry)
        db.session.flush()
        audit.log(
            "feedback.reassign",
            "feedback",
            entry.id,
            org_id=entry.org_id,
            actor=actor,
            changes=audit.diff(
                {k: str(v) for k, v in before.items()},
                {"handler_id": str(person.id), "due_on": str(due)},
            ),
        )
    else:
        raise UserError(_("An answered or closed entry is not reassigned."))
    events.feedback_assigned.send(entry, actor=actor, handler=person, due=due)
    return entry


def _require_handling(entry: FeedbackEntry, actor) -> None:
    if actor is not SYSTEM and not permissions.may(actor, "feedback.handle", entry):
        raise UserError(
            _("Only the entry's handler, or an admin or editor of the unit, may do this.")
        )


def _staff_text(value: Any, field: str, problems: list[str], *, required: bool = True) -> str:
    text = clean_text(value)
    if required and not text:
        problems.append(Problem(field, _("is required.")))
    if len(text) > TEXT_MAX:
        problems.append(Problem(field, _("at most %(n)d characters.", n=TEXT_MAX)))
    return text


def add_note(entry: FeedbackEntry, *, actor, text: Any) -> FeedbackNote:
    """A handling note (办理情况), timestamped; notes are kept as written."""
    _require_handling(entry, actor)
    if entry.state == "closed":
        raise UserError(_("A closed entry takes no more notes."))
    problems: list[str] = []
    body = _staff_text(text, "note", problems)
    if problems:
        raise UserError(_("The note was not saved."), problems=problems)
    note = FeedbackNote(
        entry_id=entry.id,
        org_id=entry.org_id,
        text=body,
        author_id=getattr(actor, "id", None),
        author_label=getattr(actor, "display_name", None) or getattr(actor, "username", "system"),
    )
    db.session.add(note)
    db.session.flush()
    audit.log(
        "feedback.note",
        "feedback",
        entry.id,
        org_id=entry.org_id,
        actor=actor,
        changes={"note": [None, note.id]},
    )
    return note


def start_rectification(
    entry: FeedbackEntry, *, actor, measures: Any, deadline: Any
) -> FeedbackEntry:
    """The feedback needs a rectification (整改): its measures and deadline."""
    _require_handling(entry, actor)
    problems: list[str] = []
    text = _staff_text(measures, "measures", problems)
    day = _as_date(deadline, "deadline", problems)
    if day is None and not problems:
        problems.append(Problem("deadline", _("is required.")))
    elif day is not None and day < entry.received_on:
        problems.append(Problem("deadline", _("before the feedback was received.")))
    if problems:
        raise UserError(_("The rectification was not started."), problems=problems)

    def effect(e: FeedbackEntry) -> None:
        e.rectification_measures, e.rectification_deadline = text, day

    engine.run(
        wf.feedback,
        entry,
        "start_rectification",
        actor=actor,
        inputs={"measures": text, "deadline": day.isoformat()},
        effect=effect,
    )
    return entry


def record_rectification(
    entry: FeedbackEntry,
    *,
    actor,
    result: Any,
    done_on: Any = None,
    public: bool = True,
    reason: Any = None,
) -> FeedbackEntry:
    """The rectification's result and the day it was done. The result is published with the
    entry unless the unit decides otherwise and records why (FB-2)."""
    _require_handling(entry, actor)
    if not entry.has_rectification:
        raise UserError(_("This entry has no rectification."))
    if entry.state == "closed":
        raise UserError(_("A closed entry is not changed."))
    problems: list[str] = []
    text = _staff_text(result, "result", problems)
    day = _as_date(done_on, "done_on", problems) or today_for(entry.organisation)
    if day > today_for(entry.organisation):
        problems.append(Problem("done_on", _("the date is in the future.")))
    why = _staff_text(reason, "reason", problems, required=not public)
    if problems:
        raise UserError(_("The rectification result was not saved."), problems=problems)
    before = {
        "result": entry.rectification_result,
        "done_on": entry.rectification_done_on,
        "public": entry.rectification_public,
        "reason": entry.rectification_private_reason,
    }
    entry.rectification_result, entry.rectification_done_on = text, day
    entry.rectification_public = bool(public)
    entry.rectification_private_reason = None if public else why
    db.session.flush()
    after = {
        "result": text,
        "done_on": day,
        "public": bool(public),
        "reason": None if public else why,
    }
    audit.log(
        "feedback.rectification",
        "feedback",
        entry.id,
        org_id=entry.org_id,
        actor=actor,
        changes=audit.diff(
            {k: str(v) for k, v in before.items()}, {k: str(v) for k, v in after.items()}
        ),
    )
    return entry


def answer(
    entry: FeedbackEntry,
    *,
    actor,
    text: Any,
    channel: str | None = None,
    answered_on: Any = None,
) -> FeedbackEntry:
    """The answer to the submitter and how it reached them (for an entry with contact details or
    a signed-in submitter the channel is required; an anonymous entry's answer reaches the public
    when it is published). An answered entry's answer may be corrected until it is closed."""
    _require_handling(entry, actor)
    problems: list[str] = []
    body = _staff_text(text, "answer", problems)
    if channel in (None, ""):
        channel = None
        if not entry.anonymous:
            problems.append(
                Problem("answer_channel", _("say how the answer reached the submitter."))
            )
    elif channel not in ANSWER_CHANNELS:
        problems.append(Problem("answer_channel", _("not a known way.")))
    today = today_for(entry.organisation)
    day = _as_date(answered_on, "answered_on", problems) or today
    if day > today:
        problems.append(Problem("answered_on", _("the date is in the future.")))
    elif day < entry.received_on:
        problems.append(Problem("answered_on", _("before the feedback was received.")))
    if problems:
        raise UserError(_("The answer was not saved."), problems=problems)

    def effect(e: FeedbackEntry) -> None:
        e.answer, e.answer_channel, e.answered_on = body, channel, day
        e.answered_by_id = getattr(actor, "id", None)

    if entry.state == "answered":
        before = {"answer": entry.answer, "channel": entry.answer_channel, "on": entry.answered_on}
        effect(entry)
        db.session.flush()
        audit.log(
            "feedback.answer_update",
            "feedback",
            entry.id,
            org_id=entry.org_id,
            actor=actor,
            changes=audit.diff(
                {k: str(v) for k, v in before.items()},
                {"answer": body, "channel": str(channel), "on": str(day)},
            ),
        )
        return entry
    engine.run(
        wf.feedback,
        entry,
        "answer",
        actor=actor,
        inputs={"channel": channel or "", "answered_on": day.isoformat()},
        effect=effect,
    )
    return entry


def publish(
    entry: FeedbackEntry, *, actor, public_question: Any, include_answer: bool = True
) -> FeedbackEntry:
    """Publish the entry on the unit's answers page: a public summary of the feedback (never the
    submitter's name or contact), the answer (``include_answer``) and, unless the unit decided
    otherwise, the rectification's result. Publishing again updates what is shown."""
    _require(
        actor,
        "feedback.publish",
        entry.organisation,
        _("Only an admin or editor of this unit may publish answers."),
    )
    if entry.state not in ("answered", "closed"):
        raise UserError(_("Only an answered entry can be published."))
    problems: list[str] = []
    question = clean_text(public_question)
    if not question:
        problems.append(
            Problem(
                "public_question",
                _("write what the feedback was about, without personal details."),
            )
        )
    elif len(question) > CONTENT_MAX:
        problems.append(Problem("public_question", _("at most %(n)d characters.", n=CONTENT_MAX)))
    shows_rectification = bool(entry.rectification_result) and entry.rectification_public
    if not include_answer and not shows_rectification:
        problems.append(
            _("Publish the answer, or a rectification result: there is nothing else to show.")
        )
    if problems:
        raise UserError(_("Nothing was published."), problems=problems)
    before = {
        "question": entry.public_question,
        "answer": entry.answer_published,
        "published": entry.published_at,
    }
    entry.public_question = question
    entry.answer_published = bool(include_answer)
    entry.published_at = entry.published_at or db.utcnow()
    db.session.flush()
    audit.log(
        "feedback.publish",
        "feedback",
        entry.id,
        org_id=entry.org_id,
        actor=actor,
        changes=audit.diff(
            {k: str(v) for k, v in before.items()},
            {
                "question": question,
                "answer": str(bool(include_answer)),
                "published": str(entry.published_at),
            },
        ),
    )
    return entry


def withdraw_publication(entry: FeedbackEntry, *, actor) -> FeedbackEntry:
    """Take an entry off the answers page (before it is closed)."""
    _require(
        actor,
        "feedback.publish",
        entry.organisation,
        _("Only an admin or editor of this unit may publish answers."),
    )
    if entry.state == "closed":
        raise UserError(_("A closed entry's publication stays: it closed on it."))
    if not entry.published:
        return entry
    entry.published_at, entry.answer_published = None, False
    db.session.flush()
    audit.log(
        "feedback.unpublish",
        "feedback",
        entry.id,
        org_id=entry.org_id,
        actor=actor,
        changes={"published": ["True", "False"]},
    )
    return entry


def close(entry: FeedbackEntry, *, actor) -> FeedbackEntry:
    """Close an answered entry (FB-2); the register records it (ARC-1)."""

    def effect(e: FeedbackEntry) -> None:
        e.closed_at = db.utcnow()

    engine.run(wf.feedback, entry, "close", actor=actor, effect=effect)
    events.feedback_closed.send(entry, actor=actor)
    return entry
