"""``gongkai plugins ...``: what is installed and where it is enabled; enable a plugin for an
organisation; scaffold a new plugin package; generate a plugin's migration."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from core import db
from core.cliutil import operation, refuse
from core.errors import UserError
from tenants.models import Organisation

SCAFFOLD = Path(__file__).resolve().parent / "scaffold"
NAME = re.compile(r"^[a-z][a-z0-9_]{1,39}$")


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


# --- enablement per organisation -------------------------------------------------------------


def _set_choice(name: str, org_code: str, choice: str) -> None:
    from core.plugins import operations
    from tenants.operations import get_org

    org = get_org(org_code)
    if org is None:
        raise UserError(f"No organisation with the code {org_code!r}.")
    changed = operations.set_choice(org, name, choice)
    state = (
        "enabled"
        if current_app.extensions["gongkai.plugins"].is_enabled(org, name)
        else ("not enabled")
    )
    click.echo(f"{name} for {org.code}: {choice} ({state}){'' if changed else ', unchanged'}.")


@plugins_group.command("enable")
@click.argument("name")
@click.option("--org", "org_code", required=True, help="The organisation's code.")
@operation
def plugins_enable(name: str, org_code: str):
    """Enable the plugin NAME for an organisation (whatever its sector's defaults)."""
    _set_choice(name, org_code, "enabled")


@plugins_group.command("disable")
@click.argument("name")
@click.option("--org", "org_code", required=True, help="The organisation's code.")
@operation
def plugins_disable(name: str, org_code: str):
    """Disable the plugin NAME for an organisation (even if its sector enables it)."""
    _set_choice(name, org_code, "disabled")


@plugins_group.command("default")
@click.argument("name")
@click.option("--org", "org_code", required=True, help="The organisation's code.")
@operation
def plugins_default(name: str, org_code: str):
    """Let the organisation's sector decide again whether the plugin NAME is enabled."""
    _set_choice(name, org_code, "default")


# --- developing plugins ----------------------------------------------------------------------


def core_head() -> str:
    """Core's latest schema revision (a new plugin's migration branch depends on it)."""
    from alembic.script import ScriptDirectory

    from core import migrations

    return ScriptDirectory.from_config(migrations.alembic_config("sqlite://")).get_current_head()


def _title(name: str, title: str | None) -> str:
    """The plugin's human name: ``title``, or its name in words (``zz_probe`` → ``Zz probe``)."""
    if title is None:
        return " ".join(part for part in name.split("_") if part).capitalize()
    title = " ".join(title.split())
    if not title or len(title) > 80 or any(unicodedata.category(c) == "Cc" for c in title):
        raise UserError(f"{title!r} is not a title: 1 to 80 characters on one line.")
    return title


def _quoted(text: str) -> str:
    """``text`` inside a double-quoted Python, TOML or gettext string."""
    return text.replace("\\", "\\\\").replace('"', '\\"')


def scaffold(name: str, target: Path, *, title: str | None = None) -> Path:
    """Write a new plugin package ``gongkai-<name>`` into ``target``; return its folder.

    Every name the pattern allows works: the distribution's name joins its words with ``-``
    (``zz_probe`` → ``gongkai-zz-probe``), and the generated tests make organisations whose
    codes spell the name with ``-`` (codes have no ``_``)."""
    if not NAME.match(name):
        raise UserError(
            f"{name!r} is not a plugin name: lower-case letters, digits and _, starting with a "
            "letter (2 to 40 characters)."
        )
    human = _title(name, title)
    values = {
        "__PACKAGE__": f"gongkai_{name}",
        "__DIST__": "gongkai-" + "-".join(part for part in name.split("_") if part),
        "__ORG__": name.replace("_", "-"),
        "__NAME__": name,
        "__TITLE__": human,
        "__CORE_HEAD__": core_head(),
    }
    root = target / values["__DIST__"]
    if root.exists():
        raise UserError(f"{root} exists already; choose another folder or name.")

    def fill(text: str, *, quoted: bool = False) -> str:
        for key, value in values.items():
            text = text.replace(key, _quoted(value) if quoted else value)
        return text

    for source in sorted(SCAFFOLD.rglob("*.tmpl")):
        relative = fill(str(source.relative_to(SCAFFOLD)).removesuffix(".tmpl"))
        destination = root / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        quoted = destination.suffix in (".py", ".po", ".toml")
        destination.write_text(
            fill(source.read_text(encoding="utf-8"), quoted=quoted), encoding="utf-8"
        )
    return root


@plugins_group.command("new")
@click.argument("name")
@click.option("--dir", "target", default=".", show_default=True,
              type=click.Path(file_okay=False, path_type=Path),
              help="The folder to write the package into.")  # fmt: skip
@click.option("--title", default=None, help="A human name for the plugin.")
def plugins_new(name: str, target: Path, title: str | None):
    """Scaffold a plugin package NAME: pyproject with its entry point, a hook, a test, its
    translation domain and migration branch."""

    try:
        root = scaffold(name, target, title=title)
    except UserError as exc:
        refuse(exc)
    click.echo(f"Created {root}")
    click.echo(f"Next: pip install -e {root} && (cd {root} && pytest)")


@plugins_group.command("revision")
@click.argument("name")
@click.option("-m", "--message", required=True)
@with_appcontext
def plugins_revision(name: str, message: str):
    """Autogenerate a migration of the plugin NAME's own branch from its models."""
    from core import migrations

    migrations.plugin_revision(current_app.config["DATABASE_URL"], name, message)


COMMANDS = (plugins_group,)
"""The commands this module adds to ``gongkai`` (found by ``core.cli``)."""
