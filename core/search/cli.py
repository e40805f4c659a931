"""``gongkai search``: maintain the full-text index."""

from __future__ import annotations

import click

from core.cliutil import operation
from core.progress import progress
from core.search import operations


@click.group("search")
def search_group():
    """Full-text search of disclosed items."""


@search_group.command("reindex")
@operation
def search_reindex():
    """Rebuild the search documents (and SQLite's FTS index) from every disclosed item."""
    with progress("search documents") as bar:
        count = operations.reindex_all(progress=bar.set)
    click.echo(f"{count} item(s) indexed.")


COMMANDS = (search_group,)
"""The commands this module adds to ``gongkai`` (found by ``core.cli``)."""
