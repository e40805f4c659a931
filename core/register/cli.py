"""``gongkai register``: verify the hash chains (here, or a remote deployment through its public
register), sign checkpoints, make a signing key, export a year (CSV or XLSX)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from core.cliutil import operation
from core.config import SUPPORTED_LOCALES
from core.errors import UserError
from core.i18n import _, normalise
from core.register import operations as ops
from tenants import operations as tenants

FORMATS = {".csv": "csv", ".xlsx": "xlsx"}


def _org(code: str):
    org = tenants.get_org(code)
    if org is None:
        raise UserError(_("No organisation with code “%(code)s”.", code=code))
    return org


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


@click.group("register")
def register_group():
    """The register (党务公开工作登记簿): verify and export."""


@register_group.command("verify")
@click.option("--org", "code", help="Only this organisation (default: every organisation).")
@click.option(
    "--remote",
    metavar="URL",
    help="Check a deployment from the outside, over HTTP only (needs --org): its public "
    "register, signed checkpoints and keys.",
)
@click.option(
    "--state",
    "state_file",
    type=click.Path(dir_okay=False),
    help="With --remote: a file keeping what this check saw; the next check compares with it "
    "(written only when nothing was found).",
)
@operation
def register_verify(code: str | None, remote: str | None, state_file: str | None):
    """Check that no entry was edited, deleted, reordered or cut off; exit 1 naming every
    problem."""
    if remote is not None or state_file is not None:
        _verify_remote(remote, code, state_file)
        return
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
            raise UserError(
                _("Unknown language; use one of %(codes)s.", codes=", ".join(SUPPORTED_LOCALES))
            )
    fmt = fmt or (FORMATS.get(Path(output).suffix.lower(), "csv") if output else "csv")
    if fmt == "xlsx":
        if not output:
            raise UserError(_("An XLSX export needs a file: use -o FILE.xlsx."))
        Path(output).write_bytes(ops.export_xlsx(org, year, locale=locale))
    else:
        text = ops.export_csv(org, year, locale=locale)
        if not output:
            click.echo(text, nl=False)
            return
        Path(output).write_text(text, encoding="utf-8", newline="")
    click.echo(f"Register of {code} for {year} written to {output}.")


def _verify_remote(url: str | None, code: str | None, state_file: str | None) -> None:
    from core.register import remote as rv

    if not url or not code:
        raise UserError(_("A remote check needs --remote URL and --org CODE."))
    path = Path(state_file) if state_file else None
    try:
        state = rv.load_state(path) if path else None
        report = rv.verify_remote(url, code, state=state)
    except rv.RemoteError as exc:
        raise UserError(_("Cannot read the remote register: %(error)s", error=exc)) from exc
    for finding in report.findings:
        click.echo(f"{code} {finding}")
    if report.findings:
        click.echo(f"FAILED: {_plural(len(report.findings), 'problem', 'problems')}.", err=True)
        sys.exit(1)
    latest = report.latest
    covered = (
        f"the latest signed {latest.get('signed_at')} covers seq {latest.get('seq')}"
        if latest
        else "none signed yet"
    )
    opaque = f", {report.opaque} of format 1 (not checkable from outside)" if report.opaque else ""
    click.echo(
        f"OK: {_plural(report.entries, 'entry', 'entries')} of {code} "
        f"({report.public} public{opaque}); "
        f"{_plural(report.checkpoints, 'checkpoint', 'checkpoints')}, {covered}"
    )
    if path:
        rv.save_state(path, report)
        click.echo(f"State kept in {path}.")


@register_group.command("checkpoint")
@click.option("--org", "code", help="Only this organisation (default: every organisation).")
@operation
def register_checkpoint(code: str | None):
    """Sign the head of the register now (of every unit whose head moved since its latest
    checkpoint), with the deployment's key."""
    from core.register import checkpoints

    if code:
        org = _org(code)
        signed = checkpoints.sign(org)
        if signed is None:
            last = checkpoints.latest(org)
            if last is None:
                click.echo(f"{code}: the register has no entries yet; nothing to sign.")
            else:
                click.echo(
                    f"{code}: nothing new; the checkpoint of {last.signed_at:%Y-%m-%d %H:%M} UTC "
                    f"already covers seq {last.seq}."
                )
            return
        done = [signed]
    else:
        done = checkpoints.sign_all()
    for cp in done:
        click.echo(
            f"{cp.org_code}: signed seq {cp.seq} ({cp.head_hash[:16]}…) with key {cp.key_id}"
        )
    click.echo(f"{_plural(len(done), 'checkpoint', 'checkpoints')} signed.")


@register_group.command("keygen")
def register_keygen():
    """Print a new Ed25519 signing key for GONGKAI_REGISTER_SIGNING_KEY (nothing is stored)."""
    from core.register import signing

    text = signing.generate()
    kid = signing.key_id(signing.public_raw(signing.parse_private_key(text)))
    click.echo(f"# key id {kid}: keep this secret; set it in the environment and restart.")
    click.echo(f"{signing.ENV}={text}")


@register_group.command("keys")
@operation
def register_keys():
    """The public keys of the register checkpoints: the current one and the retired ones."""
    from core.register import checkpoints

    rows = checkpoints.signing_keys()
    if not rows:
        click.echo("No key has signed a checkpoint yet.")
    for key in rows:
        status = f"retired {key.retired_at:%Y-%m-%d %H:%M} UTC" if key.retired_at else "current"
        click.echo(f"{key.key_id}  {key.public_key}  since {key.created_at:%Y-%m-%d}  {status}")


COMMANDS = (register_group,)
"""The commands this module adds to ``gongkai`` (found by ``core.cli``)."""
