"""Helpers for commands (kernel): one unit of work per command, exit code 2 on a refusal.

A command speaks the operator's language: ``GONGKAI_CLI_LOCALE``, else the terminal's
(``LC_ALL``, ``LC_MESSAGES``, ``LANG``) when it is one of the shipped languages, else English.
A refusal of an operation (the same translated messages the pages show) is printed in it
(:func:`refuse`, done by :func:`operation`), and so is what a command says of its own when it
prints a translation with :func:`say` (``say(_("Imported %(file)s.", file=…))``) or raises
:func:`failure`. Codes, keys and what the operator typed stay as they are; the help texts of the
options and the tab-separated listings that scripts read stay English.
"""

from __future__ import annotations

import os
import sys
from functools import wraps

import click
from flask.cli import with_appcontext
from flask_babel import force_locale

from core import db
from core.errors import UserError
from core.i18n import _, normalise


def cli_locale() -> str:
    """The language of the refusals a command prints (see the module's docstring)."""
    for name in ("GONGKAI_CLI_LOCALE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name, "").split(".", 1)[0]
        if value:
            return normalise(value) or "en"
    return "en"


def words(message) -> str:
    """``message`` (a lazy translation, or text) as text in the operator's language."""
    with force_locale(cli_locale()):
        return str(message)


def say(message, **kwargs) -> None:
    """``click.echo`` of ``message`` (a lazy translation) in the operator's language."""
    click.echo(words(message), **kwargs)


def failure(message, cls: type[click.ClickException] = click.ClickException):
    """A ``ClickException`` (``cls``) whose message is ``message`` in the operator's language
    (read now: click prints it after the command's application context has ended)."""
    return cls(words(message))


def refuse(exc: UserError, prefix: str | None = None) -> None:
    """Print a refusal (in :func:`cli_locale`) on standard error and exit with code 2."""
    with force_locale(cli_locale()):
        if prefix is None:
            click.echo(str(_("Error: %(message)s", message=exc)), err=True)
        else:
            click.echo(f"{prefix}{exc}", err=True)
    sys.exit(2)


def operation(func):
    """Run a command as one unit of work: commit on success, exit 2 with the message on refusal."""

    @with_appcontext
    @wraps(func)
    def wrapper(*args, **kwargs):
        try:
            result = func(*args, **kwargs)
            db.commit()
            return result
        except UserError as exc:
            db.rollback()
            refuse(exc)
        finally:
            db.session.remove()

    return wrapper
