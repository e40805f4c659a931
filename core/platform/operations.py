"""What the platform console changes: a hosted county enabled or disabled, a failed job sent
again. Operations validate, change, flush and audit; they never commit. What touches Redis
(sending a job again) happens after the request's transaction commits, so that a retry that
was refused or rolled back sends nothing.
"""

from __future__ import annotations

import logging

from flask_babel import gettext
from sqlalchemy import event
from sqlalchemy.orm import Session

from core import audit, db, jobs
from core.errors import NotFound, UserError
from tenants.models import Organisation

log = logging.getLogger(__name__)

_AFTER_COMMIT = "gongkai_platform_after_commit"  # Session.info: what to do once committed


class StateUnchanged(UserError):
    """Refused: the county (or the account) is already in that state (HTTP 409)."""

    status = 409


# --- hosted counties -------------------------------------------------------------------------


def set_county_enabled(county: Organisation, enabled: bool, *, actor, reason: str = "") -> None:
    """Enable or disable a hosted county. A disabled county is never deleted: its data stays
    (until retention ends), but its portal, its units' pages and consoles answer 404 and it is
    no longer listed on the platform's home page. Disabling needs a reason (audited)."""
    if county.parent_id is not None:
        raise UserError(gettext("Only a hosted county can be enabled or disabled here."))
    if county.enabled == enabled:
        raise StateUnchanged(
            gettext("The county is enabled already.")
            if enabled
            else gettext("The county is disabled already.")
        )
    reason = (reason or "").strip()
    if not enabled and not reason:
        raise UserError(
            gettext("The county was not disabled."),
            problems=[gettext("reason: say why the county is disabled.")],
        )
    if len(reason) > 500:
        raise UserError(
            gettext("The county was not changed."),
            problems=[gettext("reason: at most 500 characters.")],
        )
    county.enabled = enabled
    db.session.flush()
    audit.log(
        "organisation.enable" if enabled else "organisation.disable", "organisation", county.id,
        org_id=county.id, actor=actor,
        changes={"enabled": [not enabled, enabled], "reason": [None, reason or None]},
    )  # fmt: skip


# --- jobs ------------------------------------------------------------------------------------


def retry_failed_job(queue: str, job_id: str, *, actor) -> str:
    """Send a job RQ gave up on back to its queue (after the commit); its function's name is
    returned. 404 for a queue or job that is not (or no longer) in a failed registry."""
    from rq.exceptions import NoSuchJobError
    from rq.job import Job
    from rq.registry import FailedJobRegistry

    if queue not in jobs.QUEUES or not job_id or len(job_id) > 100:
        raise NotFound(gettext("There is no such failed job."))
    registry = FailedJobRegistry(queue=jobs.queue(queue))
    gone = gettext("There is no such failed job: it may have been retried already.")
    try:
        if job_id not in registry:
            raise NotFound(gone)
        job = Job.fetch(job_id, connection=jobs.redis_connection())
    except NoSuchJobError:
        raise NotFound(gone) from None
    except UserError:
        raise
    except Exception as exc:  # Redis does not answer
        raise UserError(
            gettext("Redis does not answer: nothing was retried. %(error)s",
                    error=f"{type(exc).__name__}")
        ) from None  # fmt: skip
    args = list(job.args or ())
    func = args[0] if args and isinstance(args[0], str) else job.func_name or ""
    org_id = args[3] if len(args) > 3 and isinstance(args[3], int) else None
    audit.log("job.retry", "job", job_id, org_id=_existing_org(org_id), actor=actor,
              changes={"queue": [None, queue], "function": [None, func]})  # fmt: skip
    _after_commit(("rq", queue, job_id))
    return func


def retry_outbox_entry(entry_id: int, *, actor) -> jobs.OutboxEntry:
    """Send a job that could not be handed to its queue (it waits in the outbox) now, after the
    commit, instead of at the next run of the ``resend_outbox`` sweep."""
    entry = db.session.get(jobs.OutboxEntry, entry_id) if 0 < entry_id <= 2**31 - 1 else None
    if entry is None or entry.sent_at is not None:
        raise NotFound(gettext("This job is no longer waiting in the outbox: it was sent."))
    audit.log("job.retry", "job_outbox", entry.id, org_id=_existing_org(entry.org_id),
              actor=actor, changes={"queue": [None, entry.queue], "function": [None, entry.func],
                                    "attempts": [None, entry.attempts]})  # fmt: skip
    _after_commit(("outbox", entry.id))
    return entry


def _existing_org(org_id: int | None) -> int | None:
    if org_id is None:
        return None
    return org_id if db.session.get(Organisation, org_id) is not None else None


def _after_commit(task: tuple) -> None:
    db.session.info.setdefault(_AFTER_COMMIT, []).append(task)


@event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return
    tasks = session.info.pop(_AFTER_COMMIT, None)
    if not tasks:
        return
    bind = session.get_bind()
    for task in tasks:
        try:
            if task[0] == "rq":
                from rq.registry import FailedJobRegistry

                _kind, queue, job_id = task
                FailedJobRegistry(queue=jobs.queue(queue)).requeue(job_id)
            else:
                jobs.send([task[1]], bind=bind)
        except Exception:  # committed already: the job stays failed (the page still lists it)
            log.exception("retrying %s failed", task)


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(_AFTER_COMMIT, None)
