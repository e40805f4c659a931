"""``gongkai county``: what a hosted county holds, and deleting it after the register's
retention period (ARC-2)."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext
from flask_babel import force_locale
from flask_babel import gettext as _

from core import db
from core.config import SUPPORTED_LOCALES
from core.counties import operations as ops
from core.counties import transfer


@click.group("county")
def county_group():
    """A hosted county as a whole (the root of an organisation tree)."""


def _refuse(exc: ops.CountyRefused, locale: str) -> None:
    db.session.rollback()
    with force_locale(locale):
        click.echo(_("Error: %(message)s", message=str(exc.message)), err=True)
    sys.exit(2)


def _locale(root, chosen: str | None) -> str:
    return chosen or (root.default_locale if root is not None else "zh_Hans_CN")


@county_group.command("delete")
@click.argument("code")
@click.option("--yes", is_flag=True, help="Delete (without it: show what would be deleted).")
@click.option("--locale", type=click.Choice(SUPPORTED_LOCALES), help="Language of the messages "
              "(default: the county's).")  # fmt: skip
@with_appcontext
def county_delete(code: str, yes: bool, locale: str | None):
    """Delete the county CODE with all of its units and data — refused while its register is
    kept (ARC-2: archived the year after, then kept archive.retention_years years)."""
    root = None
    try:
        root = ops.county(code)
        locale = _locale(root, locale)
        if not yes:
            kept = ops.retention(root)
            with force_locale(locale):
                for table, n in sorted(ops.counts(root).items()):
                    click.echo(f"{table}\t{n}")
                if kept.deletable_from is not None:
                    click.echo(_("The county can be deleted from %(date)s (the register is "
                                 "kept until then).",
                                 date=kept.deletable_from.isoformat()))  # fmt: skip
                click.echo(_("Nothing was deleted: run again with --yes to delete."))
            return
        deleted = ops.delete_county(root)
        db.commit()
    except ops.CountyRefused as exc:
        _refuse(exc, _locale(root, locale))
    finally:
        db.session.remove()
    with force_locale(locale):
        click.echo(_("The county %(code)s was deleted: %(rows)s rows.", code=code,
                     rows=sum(deleted.values())))  # fmt: skip


@county_group.command("export")
@click.argument("code")
@click.argument("archive", type=click.Path(dir_okay=False, writable=True))
@click.option("--locale", type=click.Choice(SUPPORTED_LOCALES), help="Language of the messages.")
@with_appcontext
def county_export(code: str, archive: str, locale: str | None):
    """Write the county CODE — its units, every row of its data, the people it names and its
    files — to the zip ARCHIVE, for `gongkai county import` in another deployment."""
    root = None
    try:
        root = ops.county(code)
        counts = transfer.export_county(root, archive)
    except ops.CountyRefused as exc:
        _refuse(exc, _locale(root, locale))
    finally:
        db.session.remove()
    with force_locale(_locale(root, locale)):
        click.echo(_("The county %(code)s was written to %(archive)s: %(rows)s rows.",
                     code=code, archive=archive, rows=sum(counts.values())))  # fmt: skip


@county_group.command("import")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False))
@click.option("--locale", type=click.Choice(SUPPORTED_LOCALES), default="zh_Hans_CN",
              show_default=True, help="Language of the messages.")  # fmt: skip
@with_appcontext
def county_import(archive: str, locale: str):
    """Load a county from ARCHIVE (written by `gongkai county export`); all or nothing. Then
    run `gongkai register verify`."""
    try:
        counts = transfer.import_county(archive)
        db.commit()
    except ops.CountyRefused as exc:
        _refuse(exc, locale)
    finally:
        db.session.remove()
    with force_locale(locale):
        click.echo(_("The county was imported: %(rows)s rows.", rows=sum(counts.values())))


COMMANDS = (county_group,)
