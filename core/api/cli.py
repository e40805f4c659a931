"""``gongkai tokens``: API tokens (create, list, revoke).

``create`` prints the token once: only its hash is kept. A refused command (unknown user,
organisation or scope; an organisation where the user holds no role) exits with code 2.
"""

from __future__ import annotations

import click

from core.api import operations
from core.cliutil import operation
from core.errors import UserError
from core.i18n import _
from tenants import operations as tenants


@click.group("tokens")
def tokens_group():
    """API tokens for Authorization: Bearer (shown once, stored hashed)."""


@tokens_group.command("create")
@click.option("--user", "username", required=True, help="The user the token acts as.")
@click.option("--org", "org_code", help="Make a service token limited to this subtree.")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    metavar="SCOPE",
    help=f"Grant a scope ({', '.join(operations.SCOPES)}); repeatable. read is always granted.",
)
@click.option("--name", default="", help="What the token is for (shown in lists).")
@click.option(
    "--expires-days",
    type=int,
    default=operations.DEFAULT_EXPIRES_DAYS,
    show_default=True,
    help=f"Days until the token expires (1-{operations.MAX_EXPIRES_DAYS}).",
)
@operation
def tokens_create(username, org_code, scopes, name, expires_days):
    """Create a token and print it (once: it cannot be shown again)."""
    user = tenants.get_user(username)
    if user is None:
        raise UserError(_("No user “%(name)s”.", name=username))
    org = None
    if org_code:
        org = tenants.get_org(org_code)
        if org is None:
            raise UserError(_("No organisation with code “%(code)s”.", code=org_code))
    token, secret = operations.create(
        user, org=org, scopes=scopes, name=name, expires_days=expires_days
    )
    where = f" for {org.code}" if org is not None else ""
    click.echo(
        f"Token {token.id} of {user.username}{where}, scopes {' '.join(token.scopes)}, "
        f"expires {token.expires_at:%Y-%m-%d}.",
        err=True,
    )
    click.echo("Copy it now: it is shown only once.", err=True)
    click.echo(secret)


def _state(token, now) -> str:
    if token.revoked_at is not None:
        return f"revoked {token.revoked_at:%Y-%m-%d}"
    if token.expires_at <= now:
        return "expired"
    return f"expires {token.expires_at:%Y-%m-%d}"


@tokens_group.command("list")
@click.option("--user", "username", help="Only the tokens of this user.")
@operation
def tokens_list(username):
    """List tokens (id, prefix, user, organisation, scopes, state, last use); never secrets."""
    from core import db

    user = None
    if username:
        user = tenants.get_user(username)
        if user is None:
            raise UserError(_("No user “%(name)s”.", name=username))
    now = db.utcnow()
    rows = operations.tokens(user)
    for t in rows:
        fields = (
            t.id,
            f"{t.prefix}…",
            t.user.username,
            t.organisation.code if t.organisation else "-",
            ",".join(t.scopes),
            _state(t, now),
            f"used {t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "never used",
            t.name,
        )
        click.echo("\t".join(str(f) for f in fields))
    click.echo(f"{len(rows)} token(s).")


@tokens_group.command("revoke")
@click.argument("token_id", type=int)
@operation
def tokens_revoke(token_id):
    """Revoke the token TOKEN_ID for good."""
    token = operations.get(token_id)
    if token is None:
        raise UserError(_("No token %(id)s.", id=token_id))
    if operations.revoke(token):
        click.echo(f"Token {token_id} ({token.prefix}…) is revoked.")
    else:
        click.echo(f"Token {token_id} was revoked already.")


COMMANDS = (tokens_group,)
"""The commands this module adds to ``gongkai`` (found by ``core.cli``)."""
