"""``gongkai register``: verify the hash chains, export a year (CSV or XLSX)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from core.cliutil import operation
from core.config import SUPPORTED_LOCALES
from core.errors import UserError
from core.i18n import normalise
from core.register import operations as ops
from tenants import operations as tenants

FORMATS = {".csv": "csv", ".xlsx": "xlsx"}


def _org(code: str):
    org = tenants.get_org(code)
    if org is None:
        raise UserError(f"No organisation with code {code!r}.")
    return org


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


@click.group("register")
def register_group():
    """The register (党务公开工作登记簿): verify and export."""


@register_group.command("verify")
@click.option("--org", "code", help="Only this organisation (default: every organisation).")
@operation
def register_verify(code: str | None):
    """Check that no entry was edited, deleted or reordered; exit 1 naming every problem."""
    org = _org(code) if code else None
    problems = ops.verify(org)
    if problems:
        for problem in problems:
            click.echo(str(problem))
        click.echo(f"FAILED: {_plural(len(problems), 'problem', 'problems')}.", err=True)
        sys.exit(1)
    entries, orgs = ops.count(org)
    if org is not None:
        orgs = 1
    click.echo(
        f"OK: {_plural(entries, 'entry', 'entries')} in "
        f"{_plural(orgs, 'organisation', 'organisations')}"
    )


@register_group.command("export")
@click.argument("code")
@click.option("--year", type=int, required=True, help="Calendar year in the unit's timezone.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "xlsx"]),
    help="Default: from the extension of -o, else csv.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True),
    help="File to write (default: standard output, CSV only).",
)
@click.option("--locale", help="Language of the headers and labels (default: the unit's).")
@operation
def register_export(code: str, year: int, fmt: str | None, output: str | None, locale):
    """Export the register entries of organisation CODE for one year."""
    org = _org(code)
    if locale is not None:
        locale = normalise(locale)
        if locale is None:
            raise UserError(f"Unknown language; use one of {', '.join(SUPPORTED_LOCALES)}.")
    fmt = fmt or (FORMATS.get(Path(output).suffix.lower(), "csv") if output else "csv")
    if fmt == "xlsx":
        if not output:
            raise UserError("An XLSX export needs a file: use -o FILE.xlsx.")
        Path(output).write_bytes(ops.export_xlsx(org, year, locale=locale))
    else:
        text = ops.export_csv(org, year, locale=locale)
        if not output:
            click.echo(text, nl=False)
            return
        Path(output).write_text(text, encoding="utf-8", newline="")
    click.echo(f"Register of {code} for {year} written to {output}.")


COMMANDS = (register_group,)
"""The commands this module adds to ``gongkai`` (found by ``core.cli``)."""
