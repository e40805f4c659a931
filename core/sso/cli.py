"""``gongkai sso``: sign-in providers (government portals) from the command line."""

from __future__ import annotations

import sys

import click
from sqlalchemy import func, select

from core import db
from core.cliutil import operation, say, words
from core.config import SUPPORTED_LOCALES
from core.errors import UserError
from core.i18n import _
from core.sso import crypto
from core.sso import operations as sso
from core.sso.models import CLAIM_FIELDS, Identity, SsoProvider
from tenants.models import Organisation


def _claims(pairs: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        field, sep, claim = pair.partition("=")
        if not sep or field not in CLAIM_FIELDS or not claim:
            raise UserError(
                _("--claim “%(pair)s”: use FIELD=CLAIM with FIELD one of %(fields)s.",
                  pair=pair, fields=", ".join(CLAIM_FIELDS))
            )  # fmt: skip
        out[field] = claim
    return out


def _labels(texts: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for text in texts:
        locale, sep, label = text.partition("=")
        if sep and locale in SUPPORTED_LOCALES:
            out[locale] = label
        else:
            out["zh_Hans_CN"] = text
    return out


def _secret(value: str | None, from_stdin: bool) -> str | None:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return value


def _provider(name: str) -> SsoProvider:
    row = sso.get_provider(name)
    if row is None:
        raise UserError(
            _("No sign-in provider named “%(name)s” (see gongkai sso list).", name=name)
        )
    return row


@click.group("sso")
def sso_group():
    """Sign-in providers (government portals: OIDC, or a kind a plugin adds)."""


_common = [
    click.option("--issuer", help="The portal's issuer URL (discovery at ISSUER/.well-known/...)."),
    click.option("--client-id", help="Our client id at the portal."),
    click.option("--client-secret", help="Our client secret (stored encrypted)."),
    click.option("--client-secret-stdin", is_flag=True,
                 help="Read the client secret from the first line of standard input."),
    click.option("--scopes", help='Scopes to ask for (default "openid profile email").'),
    click.option("--org-claim", help="Claim holding an organisation code: grants membership "
                                     "'member' there (inside the provider's county only)."),
    click.option("--claim", "claims", multiple=True, metavar="FIELD=CLAIM",
                 help=f"Claim name for a field ({', '.join(CLAIM_FIELDS)}); repeatable."),
    click.option("--label", "labels", multiple=True, metavar="[LOCALE=]TEXT",
                 help="Button label (Chinese, or LOCALE=TEXT for en/ug); repeatable."),
    click.option("--kind", help="Provider kind (default oidc; plugins may add kinds)."),
]  # fmt: skip


def common_options(command):
    for option in reversed(_common):
        command = option(command)
    return command


@sso_group.command("add")
@click.argument("name")
@click.option(
    "--root",
    "root_code",
    metavar="CODE",
    help="The hosted county (root organisation) whose sign-in page offers it.",
)
@click.option(
    "--platform",
    "platform_wide",
    is_flag=True,
    help="Offer it on every sign-in page of the platform (instead of --root).",
)
@common_options
@click.option("--disabled", is_flag=True, help="Add it switched off.")
@operation
def sso_add(name, root_code, platform_wide, issuer, client_id, client_secret, client_secret_stdin,
            scopes, org_claim, claims, labels, kind, disabled):  # fmt: skip
    """Add the sign-in provider NAME, for one county (--root CODE) or the whole platform
    (--platform). Its callback address is /auth/callback/NAME."""
    if bool(root_code) == bool(platform_wide):
        raise UserError(_("Give either --root CODE (a hosted county) or --platform."))
    secret = _secret(client_secret, client_secret_stdin)
    missing = [o for o, v in (("--issuer", issuer), ("--client-id", client_id),
                              ("--client-secret", secret)) if not v]  # fmt: skip
    if missing:
        raise UserError(_("Missing %(options)s.", options=", ".join(missing)))
    row = sso.create_provider(
        name,
        root=sso.county(root_code) if root_code else None,
        kind=kind or "oidc",
        issuer=issuer,
        client_id=client_id,
        client_secret=secret,
        scopes=scopes,
        org_claim=org_claim,
        claim_map=_claims(claims),
        labels=_labels(labels),
        enabled=not disabled,
    )
    if root_code:
        say(_("Added sign-in provider %(name)s (%(kind)s) for the county %(code)s.",
              name=row.name, kind=row.kind, code=root_code))  # fmt: skip
    else:
        say(_("Added sign-in provider %(name)s (%(kind)s) for the whole platform.",
              name=row.name, kind=row.kind))  # fmt: skip
    say(_("Register this callback at the portal: %(path)s", path=f"/auth/callback/{row.name}"))


@sso_group.command("set")
@click.argument("name")
@click.option("--root", "root_code", metavar="CODE", help="Move it to this hosted county.")
@click.option("--platform", "platform_wide", is_flag=True, help="Make it platform-wide.")
@common_options
@click.option("--enable/--disable", "enabled", default=None, help="Switch it on or off.")
@operation
def sso_set(name, root_code, platform_wide, issuer, client_id, client_secret, client_secret_stdin,
            scopes, org_claim, claims, labels, kind, enabled):  # fmt: skip
    """Change the sign-in provider NAME (only the options given; a new secret replaces the
    stored one)."""
    row = _provider(name)
    if root_code and platform_wide:
        raise UserError(_("Give --root CODE or --platform, not both."))
    changes: dict = {}
    if root_code:
        changes["root_id"] = sso.county(root_code).id
    if platform_wide:
        changes["root_id"] = None
    for key, value in (("issuer", issuer), ("client_id", client_id), ("scopes", scopes),
                       ("org_claim", org_claim), ("kind", kind), ("enabled", enabled)):  # fmt: skip
        if value is not None:
            changes[key] = value
    if claims:
        changes["claim_map"] = _claims(claims)
    if labels:
        changes["labels"] = _labels(labels)
    changed = sso.update_provider(
        row, changes, client_secret=_secret(client_secret, client_secret_stdin)
    )
    if changed:
        say(_("%(name)s: changed.", name=row.name))
    else:
        say(_("%(name)s: nothing changed.", name=row.name))


@sso_group.command("disable")
@click.argument("name")
@operation
def sso_disable(name):
    """Switch the sign-in provider NAME off (its button disappears; its identities stay)."""
    row = _provider(name)
    sso.update_provider(row, {"enabled": False})
    say(_("%(name)s: disabled.", name=row.name))


@sso_group.command("enable")
@click.argument("name")
@operation
def sso_enable(name):
    """Switch the sign-in provider NAME on again."""
    row = _provider(name)
    sso.update_provider(row, {"enabled": True})
    say(_("%(name)s: enabled.", name=row.name))


@sso_group.command("remove")
@click.argument("name")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@operation
def sso_remove(name, yes):
    """Remove the sign-in provider NAME (the identities stay: keyed by issuer and subject)."""
    row = _provider(name)
    if not yes:
        click.confirm(words(_("Remove sign-in provider %(name)s?", name=row.name)), abort=True)
    sso.remove_provider(row)
    say(_("Removed sign-in provider %(name)s.", name=name))


@sso_group.command("list")
@operation
def sso_list():
    """The sign-in providers (the client secret is never shown)."""
    rows = sso.list_providers()
    codes = dict(db.session.execute(select(Organisation.id, Organisation.code)).all())
    counts = dict(
        db.session.execute(
            select(Identity.provider_id, func.count()).group_by(Identity.provider_id)
        ).all()
    )
    for row in rows:
        where = f"county {codes.get(row.root_id)}" if row.root_id else "platform"
        try:
            crypto.decrypt(row.secret_encrypted)
            stored = "secret stored"
        except UserError:
            stored = "SECRET UNREADABLE (wrong encryption key)"
        state = "enabled" if row.enabled else "disabled"
        identities = counts.get(row.id, 0)
        click.echo(
            f"{row.name}\t{row.kind}\t{where}\t{state}\t{row.issuer}\t"
            f"client {row.client_id}\t{stored}\t{identities} identities"
        )
        extras = []
        if row.org_claim:
            extras.append(f"org claim {row.org_claim}")
        extras.append("claims " + ", ".join(f"{f}={row.claim(f)}" for f in CLAIM_FIELDS))
        if row.labels:
            extras.append("labels " + ", ".join(f"{k}={v}" for k, v in sorted(row.labels.items())))
        click.echo("  " + "; ".join(extras))
    say(_("Sign-in providers: %(count)s.", count=len(rows)))


@sso_group.command("demo")
@click.option(
    "--issuer",
    default="http://127.0.0.1:9400",
    show_default=True,
    help="Where the local oidc-provider-mock runs.",
)
@click.option(
    "--users/--no-users",
    default=True,
    show_default=True,
    help="Define the demo people at the running provider (PUT /users/<sub>).",
)
@operation
def sso_demo(issuer, users):
    """Register the platform-wide demo provider demo-portal (for `make demo-sso`)."""
    import requests

    from core.sso import demo

    row, created = demo.register(issuer)
    if created:
        say(_("Added sign-in provider %(name)s: %(issuer)s", name=row.name, issuer=row.issuer))
    else:
        say(_("Updated sign-in provider %(name)s: %(issuer)s", name=row.name, issuer=row.issuer))
    if users:
        try:
            subs = demo.seed_users(issuer)
        except requests.RequestException as exc:
            raise UserError(
                _("The demo provider at %(issuer)s does not answer: %(error)s", issuer=issuer,
                  error=exc)
            ) from None  # fmt: skip
        say(_("Demo people at the portal (type one on its sign-in form): %(people)s",
              people=", ".join(subs)))  # fmt: skip
        for sub, claims in demo.USERS:
            org = claims.get("org_code")
            if org:
                say(_("  %(sub)s: %(name)s, member of %(code)s", sub=sub, name=claims["name"],
                      code=org))  # fmt: skip
            else:
                click.echo(f"  {sub}: {claims['name']}")


@sso_group.command("demo-portal")
@click.option("--port", default=9400, show_default=True, type=int)
def sso_demo_portal(port):
    """Run the local demo portal (oidc-provider-mock, from the test extra) in the foreground,
    with the demo people predefined."""
    import os
    import shutil

    from core.sso import demo

    command = demo.provider_command(port)
    if not (os.path.exists(command[0]) or shutil.which(command[0])):
        raise click.ClickException(
            "oidc-provider-mock is not installed: pip install -e '.[test]' (make install)."
        )  # no application here to translate with: a developer's tool, in English
    os.execv(command[0], command)  # noqa: S606 - a fixed program and arguments, no shell


COMMANDS = (sso_group,)
"""The commands this module adds to ``gongkai`` (found by ``core.cli``)."""
