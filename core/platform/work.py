"""My work of platform admins: the failed background jobs, each a row that leads to the job
health page, where it is retried (:mod:`core.web.work`)."""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext
from sqlalchemy import select

from core import db, jobs
from core.i18n import _
from core.platform import reading
from core.web import work
from tenants.models import Organisation

SHOWN = 50
"""Failed jobs listed per kind (outbox, each queue); the job health page has them all."""


class ThePlatform:
    """Stands for the organisation of a job that belongs to none (a platform-wide sweep)."""

    id = None
    timezone = None

    def name(self, locale: str | None = None, form: str = "full") -> str:
        return gettext("The platform")


@work.provider("platform.failed_jobs", _("Failed jobs"), action=_("Retry"), platform=True,
               order=5)  # fmt: skip
def failed_jobs(ctx: work.Context):
    """Outbox rows that could not be sent (one query, with their organisation) and the jobs in
    RQ's failed registries (from Redis, no query; none when Redis does not answer)."""
    link = url_for("platform_jobs.index")
    platform = ThePlatform()
    rows = db.session.execute(
        select(jobs.OutboxEntry, Organisation)
        .outerjoin(Organisation, Organisation.id == jobs.OutboxEntry.org_id)
        .where(jobs.OutboxEntry.sent_at.is_(None), jobs.OutboxEntry.last_error.is_not(None))
        .order_by(jobs.OutboxEntry.id.desc())
        .limit(SHOWN)
    )
    for entry, org in rows:
        yield work.Row(org or platform, entry.func.rsplit(".", 1)[-1],
                       f"{link}#outbox-{entry.id}",
                       note=gettext("Could not be handed to its queue: %(error)s",
                                    error=(entry.last_error or "")[:120]))  # fmt: skip
    for job in reading.failed_jobs(SHOWN):
        yield work.Row(platform, job.func.rsplit(".", 1)[-1], f"{link}#job-{job.id}",
                       note=gettext("Failed in the queue %(queue)s: %(error)s",
                                    queue=job.queue, error=job.error[:120]))  # fmt: skip
