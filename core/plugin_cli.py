"""``gongkai plugins ...``: what is installed and where it is enabled."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from core import db
from tenants.models import Organisation


@click.group("plugins")
def plugins_group():
    """Installed plugins and their enablement."""


@plugins_group.command("list")
@with_appcontext
def plugins_list():
    """Installed plugins: version, hooks, and the organisations that enable them."""
    plugins = current_app.extensions["gongkai.plugins"]
    orgs = list(db.session.scalars(select(Organisation).order_by(Organisation.path)))
    infos = plugins.info()
    if not infos:
        click.echo("No plugins installed.")
        return
    enabled = {org.code: plugins.enabled_for(org) for org in orgs}
    for info in infos:
        where = [code for code, names in enabled.items() if info.name in names]
        click.echo(f"{info.name} {info.version or ''} ({info.distribution or 'not packaged'})")
        click.echo(f"  hooks: {', '.join(info.hooks) or '-'}")
        click.echo(f"  enabled for: {', '.join(where) if where else 'no organisation'}")
