"""A believable inbox after the demo: what the demo's own past steps told people is read.

``gongkai demo load`` drives the real workflows, and every step it takes notifies the people
the next step waits for, as it would in use: a unit's admin finds well over a hundred hand-offs
of steps the demo completed long ago. :func:`settle` runs last and marks those as read, so that
an inbox shows what a person would find on a working day: one unread notification for each
piece of work that is actually waiting for them (its link is a row of their My work,
:mod:`core.web.work`), the newest one when several point at the same work. Only the
notifications made by this run of the demo (``after_id``) are touched; what people already had
stays as it is.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import func, select

from core import db
from core.notifications.models import Notification
from core.web import work
from tenants.models import User


def last_id() -> int:
    """The newest notification's id (0 when there is none): :func:`settle`'s ``after_id``."""
    return db.session.scalar(select(func.max(Notification.id))) or 0


def _path(link: str | None) -> str:
    return urlsplit(link or "").path.rstrip("/")


def waiting_links(user) -> set[str]:
    """The paths of the work waiting for ``user`` (the rows of their My work)."""
    with current_app.test_request_context("/admin"):  # the rows' links are built with url_for
        groups = work.collect(work.context_for(user, "zh_Hans_CN"))
    return {_path(row.link) for group in groups for row in group.rows}


def settle(after_id: int = 0) -> str:
    """Mark read every unread notification made after ``after_id`` that no waiting work
    explains; of several about the same waiting work, the newest stays unread."""
    unread = db.session.scalars(
        select(Notification)
        .where(Notification.id > after_id, Notification.read_at.is_(None))
        .order_by(Notification.user_id, Notification.id.desc())
    ).all()
    now = db.utcnow()
    kept = read = 0
    by_user: dict[int, list[Notification]] = {}
    for note in unread:
        by_user.setdefault(note.user_id, []).append(note)
    for user_id, notes in by_user.items():
        links = waiting_links(db.session.get(User, user_id))
        seen: set[str] = set()
        for note in notes:  # newest first
            path = _path(note.link)
            if path and path in links and path not in seen:
                seen.add(path)
                kept += 1
            else:
                note.read_at = max(now, note.created_at)
                read += 1
    db.session.flush()
    return (
        f"Demo inboxes: {read} notifications of steps the demo completed marked read; "
        f"{kept} wait with the work they announce."
    )
