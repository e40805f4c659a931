"""Plugin enablement per organisation: the only code that changes ``plugin_settings``.

``enabled(org) = (sector defaults ∪ settings.enabled) − settings.disabled`` (``core.plugins``).
An organisation's choice for one plugin is one of :data:`CHOICES`: ``enabled`` (listed in
``enabled``), ``disabled`` (listed in ``disabled``) or ``default`` (in neither list: the sector
decides). Every change is audited (``organisation.plugins``).

The action ``plugins.manage`` (the console page ``/admin/o/<code>/plugins`` and the commands
``gongkai plugins enable/disable/default NAME --org CODE``): admins of the organisation or of an
ancestor, and platform admins.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select

from core import audit, db, permissions
from core.errors import Forbidden, UserError
from tenants.models import Organisation

CHOICES = ("enabled", "disabled", "default")

permissions.register("plugins.manage", {"admin"}, "unit_or_superior", platform=True)


@dataclass(frozen=True)
class PluginState:
    name: str
    description: str
    version: str | None
    distribution: str | None
    hooks: tuple[str, ...]
    sector_default: bool  # enabled by default for the organisation's sector
    choice: str  # the organisation's choice: enabled, disabled or default
    enabled: bool  # the outcome


def _plugins():
    return current_app.extensions["gongkai.plugins"]


def choice_of(org: Organisation, name: str) -> str:
    settings = org.plugin_settings or {}
    if name in settings.get("disabled", []):
        return "disabled"
    if name in settings.get("enabled", []):
        return "enabled"
    return "default"


def states(org: Organisation) -> list[PluginState]:
    """Every installed plugin with its description, the sector default and the org's choice."""
    plugins = _plugins()
    defaults = plugins.sector_defaults(org.sector)
    enabled = plugins.enabled_for(org)
    return [
        PluginState(
            name=info.name,
            description=plugins.describe(info.name),
            version=info.version,
            distribution=info.distribution,
            hooks=info.hooks,
            sector_default=info.name in defaults,
            choice=choice_of(org, info.name),
            enabled=info.name in enabled,
        )
        for info in plugins.info()
    ]


def set_choice(org: Organisation, name: str, choice: str, *, actor=None) -> bool:
    """Enable, disable or return to the sector default the plugin ``name`` for ``org``.

    ``actor`` (a user; ``None`` for an operator's command) needs ``plugins.manage``. Returns
    whether anything changed."""
    if actor is not None and not permissions.may(actor, "plugins.manage", org):
        raise Forbidden("Only an admin of this organisation or of a superior may do this.")
    plugins = _plugins()
    if name not in plugins.installed():
        raise UserError(f"No plugin named {name!r} is installed.", problems=["plugin: unknown"])
    if choice not in CHOICES:
        raise UserError(f"Choose one of: {', '.join(CHOICES)}.", problems=["choice: unknown"])
    settings = dict(org.plugin_settings or {})
    before = {"choice": choice_of(org, name), "enabled": plugins.is_enabled(org, name)}
    lists = {
        key: [n for n in settings.get(key, []) if n != name] for key in ("enabled", "disabled")
    }
    if choice != "default":
        lists[choice].append(name)
    for key, names in lists.items():
        if names:
            settings[key] = sorted(names)
        else:
            settings.pop(key, None)
    if settings == (org.plugin_settings or {}):
        return False
    org.plugin_settings = settings  # a new dict: the JSON column sees the change
    db.session.flush()
    after = {"choice": choice, "enabled": plugins.is_enabled(org, name)}
    audit.log(
        "organisation.plugins",
        "organisation",
        org.id,
        org_id=org.id,
        actor=actor,
        changes={
            "plugin": [name, name],
            "choice": [before["choice"], after["choice"]],
            "enabled": [before["enabled"], after["enabled"]],
        },
    )
    return True


def history(org: Organisation, limit: int = 20) -> list[audit.AuditEntry]:
    """The latest enablement changes of ``org`` (newest first)."""
    return list(
        db.session.scalars(
            select(audit.AuditEntry)
            .where(
                audit.AuditEntry.org_id == org.id,
                audit.AuditEntry.action == "organisation.plugins",
            )
            .order_by(audit.AuditEntry.id.desc())
            .limit(limit)
        )
    )
