"""``gongkai params``: what a policy parameter is for an organisation, and why; set and clear."""

from __future__ import annotations

import click

from core.cliutil import operation
from core.errors import UserError
from core.params import operations, registry
from tenants import operations as tenants


def _org(code: str):
    org = tenants.get_org(code)
    if org is None:
        raise UserError(f"No organisation with code {code!r}.")
    return org


@click.group("params")
def params_group():
    """Policy parameters, inherited down the organisation tree."""


@params_group.command("show")
@click.argument("code")
@click.argument("key", required=False)
@operation
def params_show(code: str, key: str | None):
    """Every parameter of organisation CODE (or only KEY), with where its value comes from."""
    org = _org(code)
    keys = [key] if key else sorted(registry.PARAMETERS)
    for name in keys:
        resolved = operations.resolve(org, name)
        source = "default" if resolved.is_default else f"set by {resolved.source.code}"
        lock = ", locked" if resolved.locked else ""
        click.echo(f"{name} = {resolved.value!r}  ({source}{lock})")


@params_group.command("set")
@click.argument("code")
@click.argument("key")
@click.argument("value")
@click.option("--lock", is_flag=True, help="Descendants cannot set their own value.")
@operation
def params_set(code: str, key: str, value: str, lock: bool):
    """Set KEY to VALUE for organisation CODE and its subtree."""
    resolved = operations.set_value(_org(code), key, value, locked=lock)
    click.echo(f"{key} = {resolved.value!r} for {code}" + (" (locked)" if lock else "") + ".")


@params_group.command("clear")
@click.argument("code")
@click.argument("key")
@operation
def params_clear(code: str, key: str):
    """Remove CODE's own value of KEY: it inherits again."""
    org = _org(code)
    if not operations.clear_value(org, key):
        raise UserError(f"{code} has no value of its own for {key}.")
    resolved = operations.resolve(org, key)
    source = "default" if resolved.is_default else resolved.source.code
    click.echo(f"{key} = {resolved.value!r} for {code} (from {source}).")


COMMANDS = (params_group,)
"""The commands this module adds to ``gongkai`` (found by ``core.cli``)."""
