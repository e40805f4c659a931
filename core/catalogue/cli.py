"""``gongkai catalogue export`` and ``gongkai catalogue import`` (YAML or XLSX)."""

from __future__ import annotations

from pathlib import Path

import click

from core.catalogue import operations as ops
from core.catalogue import transfer
from core.catalogue.models import CatalogueVersion
from core.cliutil import operation
from core.errors import UserError
from tenants import operations as tenants

FORMATS = {".yaml": "yaml", ".yml": "yaml", ".xlsx": "xlsx"}


@click.group("catalogue")
def catalogue_group():
    """Disclosure catalogues: export and import (YAML or XLSX)."""


def _org(code: str):
    org = tenants.get_org(code)
    if org is None:
        raise UserError(f"No organisation with code {code!r}.")
    return org


def _kind(template: bool) -> str:
    return "template" if template else "unit"


def _version(org, kind: str, number: int | None) -> CatalogueVersion:
    what = "catalogue template" if kind == "template" else "catalogue"
    if number is not None:
        version = ops.version_by_number(org, kind, number)
        if version is None:
            raise UserError(f"{org.code} has no {what} version {number}.")
        return version
    versions = ops.versions(org, kind)
    version = ops.effective_version(org, kind) or (versions[0] if versions else None)
    if version is None:
        raise UserError(f"{org.code} has no {what} yet.")
    return version


@catalogue_group.command("export")
@click.argument("code")
@click.option("--template", is_flag=True, help="The catalogue template (基本目录) CODE keeps.")
@click.option(
    "--version",
    "number",
    type=int,
    help="Version number (default: the effective one, else the newest).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["yaml", "xlsx"]),
    help="Default: from the extension of -o, else yaml.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True),
    help="File to write (default: standard output, YAML only).",
)
@operation
def catalogue_export(code: str, template: bool, number: int | None, fmt: str | None, output):
    """Export the catalogue of organisation CODE."""
    version = _version(_org(code), _kind(template), number)
    fmt = fmt or (FORMATS.get(Path(output).suffix.lower(), "yaml") if output else "yaml")
    if fmt == "xlsx":
        if not output:
            raise UserError("An XLSX export needs a file: use -o FILE.xlsx.")
        Path(output).write_bytes(transfer.export_xlsx(version))
    elif output:
        Path(output).write_text(transfer.export_yaml(version), encoding="utf-8")
    else:
        click.echo(transfer.export_yaml(version), nl=False)
    if output:
        click.echo(f"Exported version {version.number} ({version.state}) of {code} to {output}.")


@catalogue_group.command("import")
@click.argument("code")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--template", is_flag=True, help="Import into the catalogue template CODE keeps.")
@operation
def catalogue_import(code: str, file: str, template: bool):
    """Replace the open draft of CODE's catalogue with FILE (.yaml, .yml or .xlsx).

    A draft is started when none is open. All or nothing: a bad file is refused with every problem.
    """
    org, kind = _org(code), _kind(template)
    fmt = FORMATS.get(Path(file).suffix.lower())
    if fmt is None:
        raise UserError(f"Cannot tell the format of {file}: name it .yaml, .yml or .xlsx.")
    version = ops.open_version(org, kind)
    started = version is None
    if version is None:
        version = ops.start_draft(org, kind)
    elif version.state != "draft":
        raise UserError(
            f"Version {version.number} of {code} is {version.state!r}, not a draft; it must be "
            "decided (or reopened) before an import."
        )
    data = Path(file).read_bytes()
    if fmt == "xlsx":
        result = transfer.import_xlsx(version, data)
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise transfer.ImportRejected(
                "The file is not UTF-8 text; nothing was imported.",
                problems=[f"file, encoding: byte {exc.start} is not UTF-8"],
            ) from None
        result = transfer.import_yaml(version, text)
    if started:
        click.echo(f"Started draft version {version.number} of {code}.")
    click.echo(f"Imported {file} into draft version {version.number} of {code}: {result.summary()}")


COMMANDS = (catalogue_group,)
"""The commands this module adds to ``gongkai`` (found by ``core.cli``)."""
