"""What the platform console reads: the hosted counties with their counts, users, the job
queues and the audit log. Queries only; :mod:`core.platform.operations` changes things.

Every list is one query (or one page query and one count) whatever the number of counties,
units or users: the counts of the counties come from correlated subqueries of one statement.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import gettext
from sqlalchemy import Select, and_, distinct, false, func, or_, select
from sqlalchemy.orm import aliased

from core import db, jobs, localtime
from core.audit import AuditEntry
from tenants.models import Membership, Organisation, User

log = logging.getLogger(__name__)

FAILED_SHOWN = 50
"""Failed jobs listed per queue (the count says how many there are)."""
OUTBOX_SHOWN = 50
"""Outbox rows listed that could not be sent (the count says how many there are)."""


# --- counties ----------------------------------------------------------------------------------


@dataclass
class CountyRow:
    county: Organisation
    units: int
    users: int


def counties() -> list[CountyRow]:
    """Every hosted county (enabled or not) with its number of units (organisations below it)
    and of people holding a role in it or below: one query."""
    unit = aliased(Organisation)
    held = aliased(Organisation)
    units = (
        select(func.count(unit.id))
        .where(unit.root_id == Organisation.id, unit.id != Organisation.id)
        .correlate(Organisation)
        .scalar_subquery()
    )
    users = (
        select(func.count(distinct(Membership.user_id)))
        .join(held, held.id == Membership.org_id)
        .where(held.root_id == Organisation.id)
        .correlate(Organisation)
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(Organisation, units, users)
        .where(Organisation.parent_id.is_(None))
        .order_by(Organisation.enabled.desc(), Organisation.position, Organisation.code)
    )
    return [CountyRow(county, n_units or 0, n_users or 0) for county, n_units, n_users in rows]


@dataclass
class Totals:
    users: int = 0
    active: int = 0
    platform_admins: int = 0


def user_totals() -> Totals:
    """How many accounts, active ones and platform admins (one query)."""
    row = db.session.execute(
        select(
            func.count(User.id),
            func.count(User.id).filter(User.active.is_(True)),
            func.count(User.id).filter(User.is_platform_admin.is_(True)),
        )
    ).one()
    return Totals(*row)


def county_by_code(code: str) -> Organisation | None:
    """The hosted county ``code`` (enabled or not); None for an unknown code or a unit."""
    if not code or len(code) > 63:
        return None
    return db.session.scalar(
        select(Organisation).where(Organisation.code == code, Organisation.parent_id.is_(None))
    )


def county_users(county: Organisation) -> int:
    held = aliased(Organisation)
    return db.session.scalar(
        select(func.count(distinct(Membership.user_id)))
        .join(held, held.id == Membership.org_id)
        .where(held.root_id == county.id)
    )


# --- users -------------------------------------------------------------------------------------


def users_query(text: str = "", county: Organisation | None = None) -> Select:
    """Users whose name, user name or e-mail contains ``text`` (any case), optionally only those
    holding a role in ``county`` or below; with the number of their memberships. Ordered by
    user name."""
    memberships = (
        select(func.count(Membership.id))
        .where(Membership.user_id == User.id)
        .correlate(User)
        .scalar_subquery()
    )
    query = select(User, memberships.label("roles"))
    text = (text or "").strip().lower()
    if text:
        query = query.where(
            or_(
                func.lower(User.username).contains(text, autoescape=True),
                func.lower(User.display_name).contains(text, autoescape=True),
                func.lower(func.coalesce(User.email, "")).contains(text, autoescape=True),
            )
        )
    if county is not None:
        held = aliased(Organisation)
        query = query.where(
            User.id.in_(
                select(Membership.user_id)
                .join(held, held.id == Membership.org_id)
                .where(held.root_id == county.id)
            )
        )
    return query.order_by(User.username)


def memberships(user: User) -> list[Membership]:
    """The user's roles across counties, by county and organisation (one query)."""
    return list(
        db.session.scalars(
            select(Membership)
            .join(Organisation, Organisation.id == Membership.org_id)
            .where(Membership.user_id == user.id)
            .order_by(Organisation.path, Membership.role)
        )
    )


def county_names(ids) -> dict[int, Organisation]:
    ids = {i for i in ids if i}
    if not ids:
        return {}
    return {
        o.id: o for o in db.session.scalars(select(Organisation).where(Organisation.id.in_(ids)))
    }


# --- job health --------------------------------------------------------------------------------


@dataclass
class QueueState:
    name: str
    waiting: int = 0
    running: int = 0
    scheduled: int = 0
    failed: int = 0


@dataclass
class FailedJob:
    """A job RQ gave up on (its retries used up), as the console shows it."""

    queue: str
    id: str
    func: str
    org_id: int | None
    outbox_id: int | None
    ended_at: datetime | None
    error: str  # the last line of the exception
    trace: str  # the whole traceback


@dataclass
class Health:
    embedded: bool
    redis_error: str | None = None
    queues: list[QueueState] = field(default_factory=list)
    workers: int = 0
    scheduler: str | None = None  # who holds the scheduler's lock
    failed: list[FailedJob] = field(default_factory=list)
    failed_total: int = 0
    outbox_unsent: int = 0
    outbox_oldest: datetime | None = None
    outbox_failed: list[jobs.OutboxEntry] = field(default_factory=list)
    outbox_failed_total: int = 0


def outbox_backlog(health: Health) -> None:
    """Unsent outbox rows (how many, the oldest) and those whose sending failed (one query for
    the counts, one for the rows shown)."""
    unsent = jobs.OutboxEntry.sent_at.is_(None)
    failed = and_(unsent, jobs.OutboxEntry.last_error.is_not(None))
    total, oldest, failed_total = db.session.execute(
        select(
            func.count(jobs.OutboxEntry.id).filter(unsent),
            func.min(jobs.OutboxEntry.created_at).filter(unsent),
            func.count(jobs.OutboxEntry.id).filter(failed),
        )
    ).one()
    health.outbox_unsent, health.outbox_oldest = total or 0, oldest
    health.outbox_failed_total = failed_total or 0
    if failed_total:
        health.outbox_failed = list(
            db.session.scalars(
                select(jobs.OutboxEntry)
                .where(failed)
                .order_by(jobs.OutboxEntry.id.desc())
                .limit(OUTBOX_SHOWN)
            )
        )


def failed_job(job, queue: str) -> FailedJob:
    args = list(job.args or ())
    func_path = args[0] if args and isinstance(args[0], str) else (job.func_name or "")
    org_id = args[3] if len(args) > 3 and isinstance(args[3], int) else None
    outbox_id = args[4] if len(args) > 4 and isinstance(args[4], int) else None
    if outbox_id is None and job.id.startswith("outbox-") and job.id[7:].isdigit():
        outbox_id = int(job.id[7:])
    try:
        result = job.latest_result()
        trace = (result.exc_string if result is not None else "") or ""
    except Exception:  # a result RQ cannot read back
        trace = ""
    lines = [line for line in trace.strip().splitlines() if line.strip()]
    return FailedJob(
        queue=queue, id=job.id, func=func_path, org_id=org_id, outbox_id=outbox_id,
        ended_at=job.ended_at, error=lines[-1] if lines else "", trace=trace,
    )  # fmt: skip


def rq_state(health: Health) -> None:
    """The queues' lengths, the workers, the scheduler and the failed jobs, from Redis."""
    from rq import Worker
    from rq.job import Job
    from rq.registry import (
        FailedJobRegistry,
        ScheduledJobRegistry,
        StartedJobRegistry,
    )

    conn = jobs.redis_connection()
    for name in jobs.QUEUES:
        q = jobs.queue(name)
        failed = FailedJobRegistry(queue=q)
        state = QueueState(
            name,
            waiting=q.count,
            running=StartedJobRegistry(queue=q).count,
            scheduled=ScheduledJobRegistry(queue=q).count,
            failed=failed.count,
        )
        health.queues.append(state)
        health.failed_total += state.failed
        if state.failed:
            ids = failed.get_job_ids(0, FAILED_SHOWN - 1, desc=True)
            for job in Job.fetch_many(ids, connection=conn):
                if job is not None:
                    health.failed.append(failed_job(job, name))
    health.workers = len(Worker.all(connection=conn))
    holder = conn.get(jobs.SCHEDULER_LOCK)
    health.scheduler = holder.decode(errors="replace") if isinstance(holder, bytes) else holder
    health.failed.sort(key=lambda j: j.ended_at.timestamp() if j.ended_at else 0, reverse=True)


def health() -> Health:
    """The state of the background jobs: the outbox (both modes) and, with Redis, its queues.
    Redis not answering is a state to show, not an error. Without Redis (embedded mode) the
    queues are the web process's own, in memory."""
    found = Health(embedded=jobs.embedded())
    outbox_backlog(found)
    try:
        rq_state(found)
    except Exception as exc:  # Redis down, timeout, a job RQ cannot read
        log.warning("job health: Redis: %s", exc)
        found.redis_error = f"{type(exc).__name__}: {exc}"[:300]
        found.queues, found.failed = [], []
    return found


def failed_jobs(limit: int) -> list[FailedJob]:
    """The latest failed jobs of each queue (from Redis, no query); none without Redis or
    when it does not answer."""
    from rq.job import Job
    from rq.registry import FailedJobRegistry

    found: list[FailedJob] = []
    try:
        conn = jobs.redis_connection()
        for name in jobs.QUEUES:
            ids = FailedJobRegistry(queue=jobs.queue(name)).get_job_ids(0, limit - 1, desc=True)
            found += [failed_job(j, name) for j in Job.fetch_many(ids, connection=conn) if j]
    except Exception as exc:  # Redis down: the job health page says so
        log.warning("failed jobs: Redis: %s", exc)
        return []
    return found


def failed_count() -> int:
    """Failed jobs (RQ's failed registries) plus outbox rows that could not be sent: 0 when
    Redis does not answer (the job health page says so)."""
    outbox = db.session.scalar(
        select(func.count(jobs.OutboxEntry.id)).where(
            jobs.OutboxEntry.sent_at.is_(None), jobs.OutboxEntry.last_error.is_not(None)
        )
    )
    try:
        from rq.registry import FailedJobRegistry

        return (outbox or 0) + sum(
            FailedJobRegistry(queue=jobs.queue(name)).count for name in jobs.QUEUES
        )
    except Exception:
        return outbox or 0


# --- the audit log -----------------------------------------------------------------------------


@dataclass
class AuditFilter:
    actor: str = ""
    org: Organisation | None = None
    subtree: bool = False
    action: str = ""
    object_type: str = ""
    object_id: str = ""
    since: date | None = None
    until: date | None = None

    @property
    def active(self) -> bool:
        return bool(
            self.actor or self.org or self.action or self.object_type or self.object_id
            or self.since or self.until
        )  # fmt: skip


def audit_query(f: AuditFilter) -> Select:
    """Audit entries matching ``f``, newest first, with their organisation (outer join: one
    query per page). Dates are days of the platform's time zone (Beijing)."""
    query = select(AuditEntry, Organisation).outerjoin(
        Organisation, Organisation.id == AuditEntry.org_id
    )
    if f.actor:
        text = f.actor.strip().lower()
        if text in {"系统", "سىستېما", gettext("the system").lower(), "the system"}:
            text = "system"  # the scheduled jobs, as the hint names them in the reader's words
        people = select(User.id).where(
            or_(func.lower(User.username) == text, func.lower(User.display_name) == text)
        )
        query = query.where(
            or_(AuditEntry.actor_id.in_(people), func.lower(AuditEntry.actor_label) == text)
        )
    if f.org is not None:
        if f.subtree:
            query = query.where(
                AuditEntry.org_id.in_(
                    select(Organisation.id).where(
                        Organisation.path.startswith(f.org.path, autoescape=True)
                    )
                )
            )
        else:
            query = query.where(AuditEntry.org_id == f.org.id)
    if f.action:
        query = query.where(AuditEntry.action.startswith(f.action.strip(), autoescape=True))
    if f.object_type:
        query = query.where(AuditEntry.object_type == f.object_type.strip())
    if f.object_id:
        query = query.where(AuditEntry.object_id == f.object_id.strip())
    if f.since is not None:
        query = query.where(AuditEntry.at >= localtime.start_of(f.since, None))
    if f.until is not None:
        query = query.where(AuditEntry.at < localtime.start_of(f.until, None, next_day=True))
    if f.since and f.until and f.until < f.since:
        query = query.where(false())
    return query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())


def audit_rows(query: Select, limit: int) -> list[tuple[AuditEntry, Organisation | None]]:
    return [tuple(row) for row in db.session.execute(query.limit(limit))]


def count(query: Select) -> int:
    """How many rows ``query`` finds (its page's total)."""
    return db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
