"""Helpers for commands (kernel): one unit of work per command, exit code 2 on a refusal.

Commands are operators' tools: what they print of their own is English. A refusal of an
operation (the same translated messages the pages show) is printed in the operator's language:
``GONGKAI_CLI_LOCALE``, else the terminal's (``LC_ALL``, ``LC_MESSAGES``, ``LANG``) when it is
one of the shipped languages, else English.
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
from core.i18n import normalise


def cli_locale() -> str:
    """The language of the refusals a command prints (see the module's docstring)."""
    for name in ("GONGKAI_CLI_LOCALE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name, "").split(".", 1)[0]
        if value:
            return normalise(value) or "en"
    return "en"


def refuse(exc: UserError, prefix: str = "Error: ") -> None:
    """Print a refusal (in :func:`cli_locale`) on standard error and exit with code 2."""
    with force_locale(cli_locale()):
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
