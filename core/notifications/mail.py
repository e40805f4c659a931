"""E-mail: composing in the recipient's language and sending with :mod:`smtplib`, from jobs on the
``mail`` queue (:func:`send_notification`, :func:`send_digest`).

Settings (the application's config, else the environment):

* ``GONGKAI_SMTP_URL``: ``smtp://[user:password@]host[:port][?starttls=1]`` or
  ``smtps://...``. Unset: mail is written to ``<instance>/mail/`` (development and tests; in
  production nothing is sent and the notifications stay in-app).
* ``GONGKAI_MAIL_FROM``: the sender (default ``Gongkai <noreply@localhost>``).
* ``GONGKAI_BASE_URL``: what the links in mails start with (default ``http://127.0.0.1:5000``).

A message has a plain-text and a simple HTML part, both rendered from the templates
``notifications/mail/*`` of the base theme with Flask-Babel's ``force_locale`` (the user's language,
else the platform's). A job that cannot send records the error and returns; the retry sweep
(:func:`core.notifications.operations.retry_mail`) queues it again later.
"""

from __future__ import annotations

import logging
import os
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid, parseaddr
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from babel import Locale
from flask import current_app, render_template
from flask_babel import force_locale, gettext, ngettext
from sqlalchemy import select

from core import db, jobs
from core.notifications import debug_smtp, kinds
from core.notifications.models import Notification, NotificationDigest
from tenants.models import User

log = logging.getLogger(__name__)

DEFAULT_FROM = "Gongkai <noreply@localhost>"
DEFAULT_BASE_URL = "http://127.0.0.1:5000"
TEMPLATES = "theme:base/notifications/mail/"


class MailNotConfigured(RuntimeError):
    """Production without ``GONGKAI_SMTP_URL``: mail cannot be sent."""


def setting(name: str, default: str | None = None) -> str | None:
    value = current_app.config.get(name)
    if value is None:
        value = os.environ.get(name)
    return value or default


def mail_dir() -> Path:
    return Path(current_app.instance_path) / "mail"


@dataclass(frozen=True)
class SMTPSettings:
    host: str
    port: int
    ssl: bool
    starttls: bool
    username: str | None
    password: str | None


def parse_smtp_url(url: str) -> SMTPSettings:
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ValueError("GONGKAI_SMTP_URL must look like smtp://host:port or smtps://host:port")
    query = parse_qs(parts.query)
    secure = parts.scheme == "smtps"
    return SMTPSettings(
        host=parts.hostname,
        port=parts.port or (465 if secure else 25),
        ssl=secure,
        starttls=query.get("starttls", ["0"])[0].lower() in ("1", "true", "yes"),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


def deliver(message: EmailMessage) -> str:
    """Send ``message`` by SMTP, or write it to the instance's ``mail/`` folder when no SMTP
    server is configured (not in production). Returns where it went."""
    url = setting("GONGKAI_SMTP_URL")
    if not url:
        if current_app.config.get("GONGKAI_ENV") == "production":
            raise MailNotConfigured("GONGKAI_SMTP_URL is not set: mail cannot be sent")
        path = debug_smtp.store(
            mail_dir(), message.as_bytes(), mail_from=message["From"], rcpt_tos=[message["To"]]
        )
        return str(path)
    smtp = parse_smtp_url(url)
    if smtp.ssl:
        client = smtplib.SMTP_SSL(
            smtp.host, smtp.port, timeout=15, context=ssl.create_default_context()
        )
    else:
        client = smtplib.SMTP(smtp.host, smtp.port, timeout=15)
    with client:
        if smtp.starttls:
            client.starttls(context=ssl.create_default_context())
        if smtp.username:
            client.login(smtp.username, smtp.password or "")
        client.send_message(message)
    return f"{smtp.host}:{smtp.port}"


# --- composing -------------------------------------------------------------------------------


def absolute(link: str | None) -> str:
    base = setting("GONGKAI_BASE_URL", DEFAULT_BASE_URL).rstrip("/")
    return base + (link or "/notifications")


def _entry(note: Notification, locale: str) -> dict:
    title, body = kinds.render(note.kind, note.params, locale)
    return {
        "title": title,
        "body": body,
        "url": absolute(note.link),
        "when": format_local(note.created_at, locale),
    }


def format_local(moment, locale: str) -> str:
    return kinds.format_moment(moment, locale, str(kinds.timezone()))


def compose(
    user: User, subject: str, template: str, locale: str, *, key: str | None = None, **context
) -> EmailMessage:
    """A message to ``user`` with the text and HTML parts of ``template`` (under force_locale).

    ``key`` (``notification.12``) names what the message is about: its ``Message-ID`` is made
    from it, the same every time it is sent. Should a job die after the SMTP server accepted a
    message and before it recorded that (delivery is at least once), the message sent again
    carries the same id, and mail servers and readers that drop duplicates by id show it
    once."""
    direction = Locale.parse(locale).text_direction
    context.update(
        user=user,
        locale=locale,
        lang=locale.replace("_", "-"),
        direction=direction,
        inbox_url=absolute("/notifications"),
        settings_url=absolute("/notifications/settings"),
        subject=subject,
    )
    text = render_template(f"{TEMPLATES}{template}.txt", **context)
    html = render_template(f"{TEMPLATES}{template}.html", **context)
    sender = setting("GONGKAI_MAIL_FROM", DEFAULT_FROM)
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = sender
    msg["To"] = formataddr((user.display_name or user.username, user.email))
    msg["Date"] = format_datetime(db.utcnow())
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    msg["Message-ID"] = f"<gongkai.{key}@{domain}>" if key else make_msgid(domain=domain)
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    msg["Content-Language"] = context["lang"]  # after the parts: Content-* headers move into them
    return msg


def notification_message(note: Notification, user: User) -> EmailMessage:
    locale = kinds.locale_of(user)
    with force_locale(locale):
        entry = _entry(note, locale)
        return compose(
            user, entry["title"], "notification", locale, key=f"notification.{note.id}",
            entry=entry,
        )  # fmt: skip


def digest_message(
    user: User, notes: list[Notification], *, key: str | None = None
) -> EmailMessage:
    locale = kinds.locale_of(user)
    with force_locale(locale):
        subject = ngettext(
            "Your daily summary: %(num)d notification",
            "Your daily summary: %(num)d notifications",
            len(notes),
        )
        entries = [_entry(n, locale) for n in notes]
        return compose(
            user,
            subject,
            "digest",
            locale,
            key=key,
            entries=entries,
            intro=gettext("What happened since your last summary:"),
        )


# --- the jobs (queue "mail") -----------------------------------------------------------------


def _failed(obj, exc: Exception, attempts_attr: str, error_attr: str) -> None:
    setattr(obj, attempts_attr, (getattr(obj, attempts_attr) or 0) + 1)
    setattr(obj, error_attr, f"{type(exc).__name__}: {exc}"[:2000])
    log.warning("mail not sent (%s %s): %s", type(obj).__name__, obj.id, exc)


def once_key(kind: str, row) -> str:
    """What :func:`core.jobs.once` remembers a sending by: the row, and its creation (an id
    alone comes back when a database is loaded again)."""
    return f"{kind}.{row.id}.{row.created_at:%Y%m%d%H%M%S%f}"


def send_notification(notification_id: int) -> bool:
    """Mail one notification now (at most once); True when it went.

    The notification's row stays locked until the job commits, so two deliveries of its job
    (or the job and the retry sweep's) send it once; a run again after the commit failed finds
    the sending remembered (:func:`core.jobs.once`) and only records it."""
    note = db.session.get(Notification, notification_id, with_for_update={"of": Notification})
    if note is None or note.emailed_at is not None or note.email != "immediate":
        return False
    user = db.session.get(User, note.user_id)
    if user is None or not user.active or not user.email:
        note.email = "none"
        return False
    try:
        message = notification_message(note, user)
        jobs.once(once_key("notification", note), lambda: deliver(message))
    except MailNotConfigured as exc:
        _failed(note, exc, "mail_attempts", "mail_error")
        note.mail_attempts = MAX_ATTEMPTS  # nothing to retry until configured
        return False
    except Exception as exc:  # SMTP down, refused ...: recorded; the retry sweep tries again
        _failed(note, exc, "mail_attempts", "mail_error")
        return False
    note.emailed_at = db.utcnow()
    note.mail_error = None
    return True


def send_digest(digest_id: int) -> bool:
    """Mail one user's digest of the day (at most once); True when it went."""
    digest = db.session.get(
        NotificationDigest, digest_id, with_for_update={"of": NotificationDigest}
    )
    if digest is None or digest.sent_at is not None:
        return False
    user = db.session.get(User, digest.user_id)
    notes = digest_notifications(digest)
    if user is None or not user.active or not user.email or not notes:
        digest.sent_at = db.utcnow()
        digest.last_error = "nothing to send or no address"
        return False
    try:
        message = digest_message(user, notes, key=f"digest.{digest.id}")
        jobs.once(once_key("digest", digest), lambda: deliver(message))
    except MailNotConfigured as exc:
        _failed(digest, exc, "attempts", "last_error")
        digest.attempts = MAX_ATTEMPTS
        return False
    except Exception as exc:
        _failed(digest, exc, "attempts", "last_error")
        return False
    now = db.utcnow()
    digest.sent_at, digest.last_error = now, None
    for note in notes:
        note.emailed_at = now
    return True


def test_message(address: str, locale: str) -> EmailMessage:
    """A message to check the mail settings (``gongkai notifications test-mail``)."""
    user = User(username="test", display_name=address, email=address, locale=locale)
    with force_locale(locale):
        entry = {
            "title": gettext("Test message from Gongkai"),
            "body": gettext("If you can read this, the mail settings work."),
            "url": absolute("/notifications"),
            "when": "",
        }
        return compose(user, entry["title"], "notification", locale, entry=entry)


MAX_ATTEMPTS = 5


def digest_notifications(digest: NotificationDigest) -> list[Notification]:
    return list(
        db.session.scalars(
            select(Notification)
            .where(Notification.digest_id == digest.id)
            .order_by(Notification.created_at, Notification.id)
        )
    )
