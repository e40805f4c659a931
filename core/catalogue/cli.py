"""``gongkai catalogue export`` and ``gongkai catalogue import`` (YAML or XLSX)."""

from __future__ import annotations

from pathlib import Path

import click

from core.catalogue import labels, transfer
from core.catalogue import operations as ops
from core.catalogue.models import CatalogueVersion
from core.cliutil import operation, say
from core.errors import UserError
from core.i18n import _
from tenants import operations as tenants

FORMATS = transfer.FORMATS


@click.group("catalogue")
def catalogue_group():
    """Disclosure catalogues: export and import (YAML or XLSX)."""


def _org(code: str):
    org = tenants.get_org(code)
    if org is None:
        raise UserError(_("No organisation with code “%(code)s”.", code=code))
    return org


def _kind(template: bool) -> str:
    return "template" if template else "unit"


def _state(version: CatalogueVersion):
    """The state of ``version`` in words."""
    states = labels.TEMPLATE_STATES if version.kind == "template" else labels.STATES
    return states.get(version.state, version.state)


def _version(org, kind: str, number: int | None) -> CatalogueVersion:
    if number is not None:
        version = ops.version_by_number(org, kind, number)
        if version is None:
            if kind == "template":
                raise UserError(_("%(code)s has no catalogue template version %(number)s.",
                                  code=org.code, number=number))  # fmt: skip
            raise UserError(
                _("%(code)s has no catalogue version %(number)s.", code=org.code, number=number)
            )
        return version
    versions = ops.versions(org, kind)
    version = ops.effective_version(org, kind) or (versions[0] if versions else None)
    if version is None:
        if kind == "template":
            raise UserError(_("%(code)s has no catalogue template yet.", code=org.code))
        raise UserError(_("%(code)s has no catalogue yet.", code=org.code))
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
            raise UserError(_("An XLSX export needs a file: use -o FILE.xlsx."))
        Path(output).write_bytes(transfer.export_xlsx(version))
    elif output:
        Path(output).write_text(transfer.export_yaml(version), encoding="utf-8")
    else:
        click.echo(transfer.export_yaml(version), nl=False)
    if output:
        say(_("Exported version %(number)s (%(state)s) of %(code)s to %(file)s.",
              number=version.number, state=_state(version), code=code, file=output))  # fmt: skip


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
        raise UserError(
            _("Cannot tell the format of %(file)s: name it .yaml, .yml or .xlsx.", file=file)
        )
    version = ops.open_version(org, kind)
    started = version is None
    if version is None:
        version = ops.start_draft(org, kind)
    elif version.state != "draft":
        raise UserError(
            _("Version %(number)s of %(code)s is “%(state)s”, not a draft; it must be decided "
              "(or reopened) before an import.", number=version.number, code=code,
              state=_state(version))
        )  # fmt: skip
    result = transfer.import_file(version, file, Path(file).read_bytes())
    if started:
        say(_("Started draft version %(number)s of %(code)s.", number=version.number, code=code))
    say(_("Imported %(file)s into draft version %(number)s of %(code)s: %(summary)s",
          file=file, number=version.number, code=code, summary=result.summary()))  # fmt: skip


COMMANDS = (catalogue_group,)
"""The commands this module adds to ``gongkai`` (found by ``core.cli``)."""
