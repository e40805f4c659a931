"""Building blocks of the notification and mail tests: a world of people with e-mail addresses
and languages, a debugging SMTP server on a free loopback port, and the clock of the digest."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select

from core import db, jobs
from core.notifications.debug_smtp import DebugSMTPServer
from core.notifications.models import Notification
from tests.items_helpers import build_world, user
from tests.services import free_port

SHANGHAI = ZoneInfo("Asia/Shanghai")


def world(make_org) -> dict:
    """items_helpers' world (county › bureau › unit, sibling; another county) plus a sibling
    admin, a county reviewer, another county's unit with its reviewer; everyone has an address."""
    w = build_world(make_org)
    w["other_unit"] = make_org("it-other-unit", parent=w["other_county"])
    w["sibling_admin"] = user("it-sibling-admin", ("admin", w["sibling"]))
    w["county_reviewer"] = user("it-county-reviewer", ("reviewer", w["county"]))
    w["other_reviewer"] = user("it-other-reviewer", ("reviewer", w["other_county"]))
    w["other_admin"] = user("it-other-admin", ("admin", w["other_unit"]))
    for value in list(w.values()):
        if hasattr(value, "username"):
            value.email = f"{value.username}@example.org"
    # the world's own steps (the unit's catalogue submitted and approved) told people: every
    # test starts from empty inboxes
    db.session.execute(delete(Notification))
    db.session.commit()
    return w


def fresh() -> None:
    """End the test's transaction and forget what it read: see what jobs committed since (a
    rollback without a transaction expires nothing, and the session keeps objects on commit)."""
    db.session.rollback()
    db.session.expire_all()


def notes_of(u, kind: str | None = None) -> list[Notification]:
    """``u``'s (a user or an id) notifications (fresh read), oldest first."""
    user_id = u if isinstance(u, int) else u.id
    fresh()
    query = select(Notification).where(Notification.user_id == user_id)
    if kind:
        query = query.where(Notification.kind == kind)
    return list(db.session.scalars(query.order_by(Notification.id)))


def told(kind: str) -> set[str]:
    """User names told ``kind`` (fresh read)."""
    from tenants.models import User

    fresh()
    rows = db.session.scalars(
        select(User.username)
        .join(Notification, Notification.user_id == User.id)
        .where(Notification.kind == kind)
    )
    return set(rows)


def local(days: int = 0, hour: int = 8) -> datetime:
    """A moment ``days`` from today at ``hour`` o'clock in Shanghai (UTC-aware)."""
    today = datetime.now(SHANGHAI).date() + timedelta(days=days)
    return datetime(today.year, today.month, today.day, hour, tzinfo=SHANGHAI).astimezone(UTC)


def run_jobs() -> None:
    """Run every queued job (the mail queue too) in this thread, as a worker would."""
    jobs.work_burst()
    fresh()


def reset_jobs(app) -> None:
    """Empty embedded queues bound to ``app`` (at the start and the end of a test)."""
    jobs.init_app(app)
    jobs.reset_embedded()


@contextmanager
def debug_smtp(app, folder):
    """A debugging SMTP server on a free loopback port; the application sends to it."""
    server = DebugSMTPServer(folder, port=free_port()).start()
    app.config["GONGKAI_SMTP_URL"] = server.url
    app.config["GONGKAI_BASE_URL"] = "https://gongkai.example.org"
    try:
        yield server
    finally:
        server.stop()
        app.config.pop("GONGKAI_SMTP_URL", None)


def recipients_of(messages) -> list[str]:
    return sorted(str(m["To"].addresses[0].addr_spec) for m in messages)


def text_of(message) -> str:
    return message.get_body(("plain",)).get_content()


def html_of(message) -> str:
    return message.get_body(("html",)).get_content()
