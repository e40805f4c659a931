"""Helpers for commands (kernel): one unit of work per command, exit code 2 on a refusal."""

from __future__ import annotations

import sys
from functools import wraps

import click
from flask.cli import with_appcontext

from core import db
from core.errors import UserError


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
            click.echo(f"Error: {exc}", err=True)
            sys.exit(2)
        finally:
            db.session.remove()

    return wrapper
