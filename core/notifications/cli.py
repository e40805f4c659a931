"""``gongkai notifications ...`` and ``gongkai mail-debug``."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from core import db, jobs
from core.cliutil import failure, operation, say
from core.config import SUPPORTED_LOCALES
from core.errors import UserError
from core.i18n import _
from core.notifications import debug_smtp, kinds, mail, operations, reminders
from tenants import operations as tenants


@click.group("notifications")
def notifications_group():
    """Notifications: list a user's, run the digest and reminders now, check the mail settings."""


@notifications_group.command("list")
@click.argument("username")
@click.option("--unread", is_flag=True, help="Only the unread ones.")
@operation
def list_command(username: str, unread: bool):
    """A user's notifications, newest first (rendered in the user's language)."""
    user = tenants.get_user(username)
    if user is None:
        raise UserError(_("No user “%(username)s”.", username=username))
    notes, _more = operations.inbox(user, unread_only=unread)
    locale = kinds.locale_of(user)
    for note in notes:
        title, _body = operations.render(note, locale)
        flag = " " if note.read_at else "*"
        click.echo(f"{flag} {note.id}\t{note.created_at:%Y-%m-%d %H:%M}\t{note.kind}\t{title}")
    say(_("Unread: %(count)s.", count=operations.unread_count(user)))


def _send_now() -> None:
    """Embedded mode: the queues live in this process, so run the mail jobs before it ends
    (with Redis, the workers send them)."""
    if jobs.embedded():
        db.commit()
        jobs.work_burst()


@notifications_group.command("digest")
@operation
def digest_command():
    """Make today's digests now (once per user and day; the mails leave after the commit)."""
    say(_("Digests queued: %(count)s.", count=operations.build_digests()))
    _send_now()


@notifications_group.command("remind")
@operation
def remind_command():
    """Run the reminder sweeps now (each reminder once per object and day)."""
    for name, count in reminders.run_all().items():
        click.echo(f"{name}: {count}")
    _send_now()


@notifications_group.command("test-mail")
@click.argument("address")
@click.option("--locale", type=click.Choice(SUPPORTED_LOCALES), default="zh_Hans_CN")
@with_appcontext
def test_mail_command(address: str, locale: str):
    """Send a test message to ADDRESS now, with the configured mail settings."""
    try:
        where = mail.deliver(mail.test_message(address, locale))
    except Exception as exc:
        raise failure(
            _("could not send: %(error)s", error=f"{type(exc).__name__}: {exc}")
        ) from None
    say(_("Sent to %(address)s via %(where)s.", address=address, where=where))


@click.command("mail-debug")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8025, show_default=True, type=int)
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where to write the messages [default: <instance>/mail].",
)
@with_appcontext
def mail_debug_command(host: str, port: int, directory: Path | None):
    """A local debugging SMTP server: writes every message to a folder and logs one line.

    Point the application at it with GONGKAI_SMTP_URL=smtp://HOST:PORT.
    """
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    folder = directory or Path(current_app.instance_path) / "mail"
    server = debug_smtp.DebugSMTPServer(folder, host=host, port=port).start()
    click.echo(f"Debugging SMTP server on {server.url}, writing to {folder} (Ctrl-C stops it).")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


COMMANDS = (notifications_group, mail_debug_command)
"""The commands this module adds to ``gongkai`` (found by ``core.cli``)."""
