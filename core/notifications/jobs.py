"""The notification sweeps, run by ``gongkai scheduler`` (or in-process in the embedded mode).

The mail jobs themselves (queue ``mail``) are :func:`core.notifications.mail.send_notification`
and :func:`core.notifications.mail.send_digest`.
"""

from __future__ import annotations

from core import jobs
from core.notifications import operations, reminders


@jobs.periodic(interval=600, name="notification_digests")
def send_daily_digests() -> int:
    return operations.build_digests()


@jobs.periodic(interval=3600, name="notification_reminders")
def send_reminders() -> dict[str, int]:
    return reminders.run_all()


@jobs.periodic(interval=900, name="notification_mail_retry")
def retry_mail() -> int:
    return operations.retry_mail()
