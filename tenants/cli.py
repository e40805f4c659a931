"""``gongkai orgs`` and ``gongkai users`` commands (``gongkai demo`` lives in ``core.cli``)."""

from __future__ import annotations

import sys

import click
from flask import current_app

from core import db
from core.cliutil import operation
from core.errors import UserError
from tenants import hierarchy, operations, provisioning
from tenants.models import ROLES


def _known() -> dict:
    return {
        "sectors": set(current_app.extensions["gongkai.plugins"].sectors()),
        "themes": set(current_app.extensions["gongkai.themes"]),
    }


# --- orgs ------------------------------------------------------------------------------------


@click.group("orgs")
def orgs_group():
    """Organisation trees: import, export, list."""


@orgs_group.command("import")
@click.argument("file", type=click.File("rb"))
@click.option("--dry-run", is_flag=True, help="Validate and report, write nothing.")
@operation
def orgs_import(file, dry_run: bool):
    """Import organisations from a YAML FILE (all or nothing; re-importing changes nothing)."""
    try:
        text = file.read().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise provisioning.ImportRejected(
            "The file is not UTF-8 text; nothing was imported.",
            problems=[f"file, encoding: byte {exc.start} is not UTF-8"],
        ) from None
    report = provisioning.import_yaml(text, **_known())
    for kind in ("created", "updated", "moved"):
        codes = getattr(report, kind)
        if codes:
            click.echo(f"{kind}: {', '.join(codes)}")
    click.echo(
        f"{len(report.created)} created, {len(report.updated)} updated, "
        f"{len(report.moved)} moved, {len(report.unchanged)} unchanged."
    )
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)
    if dry_run:
        db.session.rollback()
        click.echo("Dry run: nothing was written.")


@orgs_group.command("export")
@click.option("--root", "root_code", help="Export the subtree of this organisation only.")
@click.option("-o", "--output", type=click.File("w", encoding="utf-8"), default="-")
@operation
def orgs_export(root_code: str | None, output):
    """Export organisations as YAML (every county, or the subtree of --root)."""
    root = None
    if root_code:
        root = operations.get_org(root_code)
        if root is None:
            raise UserError(f"No organisation with code {root_code!r}.")
    output.write(provisioning.export_yaml(root))


@orgs_group.command("list")
@click.option("--root", "root_code")
@operation
def orgs_list(root_code: str | None):
    """List organisations as an indented tree."""
    if root_code:
        root = operations.get_org(root_code)
        if root is None:
            raise UserError(f"No organisation with code {root_code!r}.")
        nodes = hierarchy.subtree(root)
    else:
        nodes = [o for r in hierarchy.roots() for o in hierarchy.subtree(r)]
    base = min((o.depth for o in nodes), default=0)
    for org in nodes:
        click.echo(
            f"{'  ' * (org.depth - base)}{org.code}\t{org.type_code}\t{org.name('zh_Hans_CN')}"
        )


# --- users -----------------------------------------------------------------------------------


def _parse_role(value: str) -> tuple[str, str]:
    role, sep, code = value.partition("@")
    if not sep or role not in ROLES or not code:
        raise UserError(
            f"--role takes ROLE@CODE with ROLE one of {', '.join(ROLES)}, not {value!r}."
        )
    return role, code


@click.group("users")
def users_group():
    """User accounts and memberships."""


@users_group.command("create")
@click.argument("username")
@click.option("--name", "display_name", default="", help="Display name.")
@click.option("--email")
@click.option("--password", help="Password (prefer --password-stdin).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--platform-admin", is_flag=True)
@click.option("--locale", type=click.Choice(["zh_Hans_CN", "en", "ug"]))
@click.option(
    "--role",
    "roles",
    multiple=True,
    metavar="ROLE@CODE",
    help=f"Grant a role in an organisation ({', '.join(ROLES)}); repeatable.",
)
@operation
def users_create(
    username, display_name, email, password, password_stdin, platform_admin, locale, roles
):
    """Create a user with optional memberships."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    grants = [_parse_role(r) for r in roles]
    orgs = {}
    for _role, code in grants:
        orgs[code] = operations.get_org(code)
        if orgs[code] is None:
            raise UserError(f"No organisation with code {code!r}.")
    user = operations.create_user(
        username, password=password, display_name=display_name, email=email,
        platform_admin=platform_admin, locale=locale,
    )  # fmt: skip
    for role, code in grants:
        operations.grant_membership(user, orgs[code], role)
    click.echo(f"Created user {username}" + (f" with {', '.join(roles)}" if roles else "") + ".")


def _user_and_org(username: str, code: str):
    user = operations.get_user(username)
    if user is None:
        raise UserError(f"No user {username!r}.")
    org = operations.get_org(code)
    if org is None:
        raise UserError(f"No organisation with code {code!r}.")
    return user, org


@users_group.command("grant")
@click.argument("username")
@click.argument("role", type=click.Choice(ROLES))
@click.argument("code")
@operation
def users_grant(username, role, code):
    """Grant ROLE in organisation CODE to USERNAME."""
    user, org = _user_and_org(username, code)
    operations.grant_membership(user, org, role)
    click.echo(f"{username} is {role} of {code}.")


@users_group.command("revoke")
@click.argument("username")
@click.argument("role", type=click.Choice(ROLES))
@click.argument("code")
@operation
def users_revoke(username, role, code):
    """Revoke ROLE in organisation CODE from USERNAME."""
    user, org = _user_and_org(username, code)
    if not operations.revoke_membership(user, org, role):
        raise UserError(f"{username} is not {role} of {code}.")
    click.echo(f"{username} is no longer {role} of {code}.")


@users_group.command("set-password")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@operation
def users_set_password(username, password_stdin):
    """Set the password of USERNAME (prompted, or read from standard input)."""
    user = operations.get_user(username)
    if user is None:
        raise UserError(f"No user {username!r}.")
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("New password", hide_input=True, confirmation_prompt=True)
    operations.set_password(user, password)
    click.echo(f"Password of {username} changed.")


def _set_active(username: str, active: bool) -> None:
    user = operations.get_user(username)
    if user is None:
        raise UserError(f"No user {username!r}.")
    changed = operations.set_active(user, active)
    state = "active" if active else "deactivated"
    click.echo(f"{username} is {state}." if changed else f"{username} was {state} already.")


@users_group.command("deactivate")
@click.argument("username")
@operation
def users_deactivate(username):
    """Deactivate USERNAME: no sign-in, sessions ended, API tokens refused."""
    _set_active(username, False)


@users_group.command("activate")
@click.argument("username")
@operation
def users_activate(username):
    """Activate USERNAME again (sessions ended at deactivation stay ended)."""
    _set_active(username, True)


@users_group.command("list")
@operation
def users_list():
    """List users and their memberships."""
    from sqlalchemy import select

    from tenants.models import User

    for user in db.session.scalars(select(User).order_by(User.username)):
        roles = ", ".join(
            f"{m.role}@{m.organisation.code}" for m in operations.memberships_of(user)
        )
        admin = " [platform admin]" if user.is_platform_admin else ""
        click.echo(f"{user.username}{admin}\t{user.display_name}\t{roles}")


COMMANDS = (orgs_group, users_group)
