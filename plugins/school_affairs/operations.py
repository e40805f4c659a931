"""School affairs operations: the only code of the plugin that changes state (all audited)."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
from datetime import date, datetime, timedelta

from sqlalchemy import select

from core.toolkit import (
    SYSTEM,
    AddressRefused,
    Item,
    NotFound,
    OutboundError,
    Problem,
    UserError,
    _l,
    add_working_days,
    audit_log,
    clear_param,
    enqueue,
    http_request,
    param_value,
    session,
    set_param,
    url_allowed,
    utcnow,
    workday_today,
)
from core.toolkit import local_date as toolkit_local_date
from plugins.school_affairs.models import Deliberation, Delivery, OverdueFlag, SchoolSettings

NAME = "school_affairs"
ITEM_TYPE = "school_affairs.item"

# SCH-3: request deadline profiles (decision days, extension days); None: the Party default.
PROFILES: dict[str, tuple[int, int] | None] = {
    "party": None,
    "higher_education": (15, 15),
    "government": (20, 20),
}
BODIES = ("committee", "staff_congress")
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2))
MAX_ATTEMPTS = len(BACKOFF) + 1
PENDING_STATES = ("draft", "proposed", "reviewed", "superior_review", "approved", "scheduled")
SIGNATURE_HEADER = "X-Gongkai-Signature"
TIMEOUT = 10
ERRORS = {
    # what the delivery log shows (the details are in the server's log only)
    "address_refused": _l("The address is not allowed (not a public internet address)"),
    "unreachable": _l("The school affairs system could not be reached"),
    "no_secret": _l("No signing secret is configured"),
}
log = logging.getLogger(__name__)


# --- settings and the request deadline profile (SCH-3) -----------------------------------------


def settings_of(org, *, create: bool = False) -> SchoolSettings | None:
    row = session.scalar(select(SchoolSettings).where(SchoolSettings.org_id == org.id))
    if row is None and create:
        row = SchoolSettings(org_id=org.id, school_type="party")
        session.add(row)
        session.flush()
    return row


def set_school_type(org, school_type: str, *, actor=None) -> SchoolSettings:
    """Choose the school type: its profile sets the organisation's request deadline params."""
    if school_type not in PROFILES:
        raise UserError(
            _l("Unknown school type “%(type)s”.", type=school_type),
            problems=[Problem("school_type", _l("unknown type"))],
        )
    row = settings_of(org, create=True)
    before = row.school_type
    row.school_type = school_type
    row.updated_at = utcnow()
    profile = PROFILES[school_type]
    if profile is None:
        clear_param(org, "request.decision_working_days", actor=actor)
        clear_param(org, "request.extension_working_days", actor=actor)
    else:
        set_param(org, "request.decision_working_days", profile[0], actor=actor)
        set_param(org, "request.extension_working_days", profile[1], actor=actor)
    audit_log(
        "school_affairs.school_type",
        "organisation",
        org.id,
        org_id=org.id,
        actor=actor,
        changes={"school_type": [before, school_type]},
    )
    return row


def configure_sync(org, url: str, *, actor=None, new_secret: bool = False) -> SchoolSettings:
    """Set the school affairs system's webhook URL; a secret is made on first use (or anew)."""
    url = (url or "").strip()
    if url and not url.startswith(("http://", "https://")):
        raise UserError(
            _l("The address was not saved."),
            problems=[Problem("url", _l("The address must start with http:// or https://."))],
        )
    if url and not url_allowed(url):
        raise UserError(
            _l("The address was not saved."), problems=[Problem("url", ERRORS["address_refused"])]
        )
    row = settings_of(org, create=True)
    before = row.sync_url
    row.sync_url = url or None
    if url and (new_secret or not row.sync_secret):
        row.sync_secret = secrets.token_hex(32)
    row.updated_at = utcnow()
    audit_log(
        "school_affairs.sync",
        "organisation",
        org.id,
        org_id=org.id,
        actor=actor,
        changes={"sync_url": [before, row.sync_url]},
    )
    return row


# --- proactive disclosure deadline (SCH-2) ------------------------------------------------------


def due_on(org, changed_on: date) -> date:
    """The last day to publish: ``school_affairs.proactive_days`` working days after the change."""
    return add_working_days(changed_on, param_value(org, "school_affairs.proactive_days")).due


def item_due_on(item) -> date | None:
    value = (item.extra or {}).get("changed_on")
    if item.item_type != ITEM_TYPE or not value:
        return None
    return due_on(item.organisation, date.fromisoformat(value))


def flag_overdue(org) -> int:
    """Flag the school affairs items of ``org`` not published by their due date (periodic job)."""
    today = workday_today()
    flagged = {
        f.item_id for f in session.scalars(select(OverdueFlag).where(OverdueFlag.org_id == org.id))
    }
    query = select(Item).where(
        Item.org_id == org.id,
        Item.item_type == ITEM_TYPE,
        Item.published_at.is_(None),
        Item.state.in_(
            ("draft", "proposed", "reviewed", "superior_review", "approved", "scheduled")
        ),
    )
    count = 0
    for item in session.scalars(query):
        due = item_due_on(item)
        if item.id in flagged or due is None or due >= today:
            continue
        session.add(OverdueFlag(org_id=org.id, item_id=item.id, due_on=due))
        audit_log(
            "school_affairs.overdue",
            "item",
            item.id,
            org_id=org.id,
            actor=SYSTEM,
            changes={"due_on": [None, due.isoformat()]},
        )
        count += 1
    session.flush()
    return count


def overdue_items(org) -> dict[int, date]:
    rows = session.scalars(select(OverdueFlag).where(OverdueFlag.org_id == org.id))
    return {r.item_id: r.due_on for r in rows}


# --- deliberation (SCH-4) -----------------------------------------------------------------------


def school_items(org) -> list:
    query = select(Item).where(Item.org_id == org.id, Item.item_type == ITEM_TYPE)
    return list(session.scalars(query.order_by(Item.id.desc())))


def get_item(org, item_id: int):
    item = session.get(Item, item_id)
    if item is None or item.org_id != org.id or item.item_type != ITEM_TYPE:
        raise NotFound(_l("No such school affairs item."))
    return item


def deliberations(item) -> list[Deliberation]:
    query = select(Deliberation).where(Deliberation.item_id == item.id)
    return list(session.scalars(query.order_by(Deliberation.id)))


def is_major(item) -> bool:
    return item.item_type == ITEM_TYPE and bool((item.extra or {}).get("major"))


def record_deliberation(item, data: dict, *, actor) -> Deliberation:
    """Record the deliberation of a major matter (date, body, minutes reference)."""
    problems = []
    body = data.get("body")
    if body not in BODIES:
        problems.append(
            Problem("body", _l("choose the school affairs committee or the staff congress"))
        )
    held_on = data.get("held_on")
    if isinstance(held_on, str):
        try:
            held_on = date.fromisoformat(held_on)
        except ValueError:
            held_on = None
    if not isinstance(held_on, date):
        problems.append(Problem("held_on", _l("a date is required")))
    elif held_on > workday_today():
        problems.append(Problem("held_on", _l("a deliberation cannot be in the future")))
    minutes_ref = str(data.get("minutes_ref") or "").strip()
    if not minutes_ref:
        problems.append(Problem("minutes_ref", _l("the reference of the minutes is required")))
    elif len(minutes_ref) > 200:
        problems.append(Problem("minutes_ref", _l("at most %(n)s characters", n=200)))
    if problems:
        raise UserError(_l("The deliberation was not recorded."), problems=problems)
    row = Deliberation(
        org_id=item.org_id,
        item_id=item.id,
        body=body,
        held_on=held_on,
        minutes_ref=minutes_ref,
        recorded_by_id=getattr(actor, "id", None),
    )
    session.add(row)
    session.flush()
    audit_log(
        "school_affairs.deliberation",
        "item",
        item.id,
        org_id=item.org_id,
        actor=actor,
        changes={"body": [None, body], "held_on": [None, held_on.isoformat()]},
    )
    return row


# --- outbound sync (SCH-5) ----------------------------------------------------------------------


def is_joint(item) -> bool:
    return item.item_type == ITEM_TYPE and bool((item.extra or {}).get("joint"))


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _payload(item, event: str) -> dict:
    return {
        "event": event,
        "organisation": item.organisation.code,
        "item": {
            "id": item.id,
            "titles": dict(item.current_version.titles) if item.current_version else {},
            "scope": item.scope,
            "changed_on": (item.extra or {}).get("changed_on"),
            "published_at": item.published_at.isoformat() if item.published_at else None,
        },
    }


def queue_delivery(item, event: str = "item.published") -> Delivery | None:
    """Log a delivery of a joint item and queue its first attempt (after the commit)."""
    settings = settings_of(item.organisation)
    if settings is None or not settings.sync_url:
        return None
    row = Delivery(
        org_id=item.org_id,
        item_id=item.id,
        event=event,
        url=settings.sync_url,
        payload=_payload(item, event),
        status="pending",
    )
    session.add(row)
    session.flush()
    audit_log("school_affairs.delivery", "item", item.id, org_id=item.org_id, actor=SYSTEM)
    enqueue(attempt_delivery, row.id, org_id=item.org_id)
    return row


def _post(url: str, body: bytes, signature: str) -> int:
    """POST through the platform's guarded client (public addresses only, on every redirect)."""
    response = http_request(
        "POST",
        url,
        data=body,
        headers={"Content-Type": "application/json", SIGNATURE_HEADER: signature},
        timeout=TIMEOUT,
        max_bytes=64 * 1024,
    )
    return response.status_code


def attempt_delivery(delivery_id: int) -> str:
    """One attempt (a queued job): sign and POST; on failure schedule the next with backoff."""
    row = session.get(Delivery, delivery_id)
    if row is None or row.status in ("delivered", "failed"):
        return row.status if row else "missing"
    settings = session.scalar(select(SchoolSettings).where(SchoolSettings.org_id == row.org_id))
    body = json.dumps(row.payload, ensure_ascii=False, sort_keys=True).encode()
    now = utcnow()
    row.attempts += 1
    row.updated_at = now
    try:
        if settings is None or not settings.sync_secret:
            raise LookupError("no_secret")
        code = _post(row.url, body, sign(settings.sync_secret, body))
        row.response_code = code
        ok = 200 <= code < 300
        row.last_error = None if ok else f"HTTP {code}"
    except (OutboundError, LookupError) as exc:
        ok = False
        row.response_code = None
        # a code the console translates; the details only in the server's log
        row.last_error = (
            "address_refused" if isinstance(exc, AddressRefused)
            else "no_secret" if isinstance(exc, LookupError)
            else "unreachable"
        )  # fmt: skip
        log.warning("school affairs delivery %s to %s failed: %s", row.id, row.url, exc)
    if ok:
        row.status, row.next_attempt_at = "delivered", None
    elif row.attempts >= MAX_ATTEMPTS:
        row.status, row.next_attempt_at = "failed", None
    else:
        row.status = "retrying"
        row.next_attempt_at = now + BACKOFF[row.attempts - 1]
        enqueue(attempt_delivery, row.id, org_id=row.org_id, at=row.next_attempt_at)
    audit_log(
        "school_affairs.delivery_attempt",
        "delivery",
        row.id,
        org_id=row.org_id,
        actor=SYSTEM,
        changes={"status": [None, row.status], "attempts": [None, row.attempts]},
    )
    session.flush()
    return row.status


def deliveries(org, limit: int = 100) -> list[Delivery]:
    query = select(Delivery).where(Delivery.org_id == org.id).order_by(Delivery.id.desc())
    return list(session.scalars(query.limit(limit)))


def replay(org, delivery_id: int, *, actor) -> Delivery:
    """Send a delivery again from the console: its attempts start over."""
    row = session.get(Delivery, delivery_id)
    if row is None or row.org_id != org.id:
        raise NotFound(_l("No such delivery."))
    if row.status in ("pending", "retrying"):
        raise UserError(_l("This delivery is still being attempted."))
    before = row.status
    row.status, row.attempts, row.next_attempt_at = "pending", 0, None
    row.updated_at = utcnow()
    audit_log(
        "school_affairs.replay",
        "delivery",
        row.id,
        org_id=org.id,
        actor=actor,
        changes={"status": [before, "pending"]},
    )
    enqueue(attempt_delivery, row.id, org_id=org.id)
    return row


def local_date(moment: datetime) -> date:
    """The date of ``moment`` in Beijing (the official calendar's zone)."""
    return toolkit_local_date(moment)
