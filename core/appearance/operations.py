"""The themes an organisation may choose, and choosing one (audited as an organisation update)."""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext

from core.errors import UserError
from core.i18n import _
from tenants import operations as tenants
from tenants.models import Organisation

LABELS = {
    "base": (_("Standard"), _("Plain, high-contrast pages: the platform's own look.")),
    "classic": (
        _("Classic (red and gold)"),
        _("The red and gold of printed notice boards, on a warm paper background."),
    ),
}
"""The words of the themes shipped with Gongkai; another installed theme shows its
``theme.toml`` title."""


def offered() -> list[tuple[str, str, str]]:
    """``(name, label, description)`` of every installed theme, ``base`` first."""
    installed = current_app.extensions["gongkai.themes"]
    out = []
    for name in sorted(installed, key=lambda n: (n != "base", n)):
        label, description = LABELS.get(name, (None, None))
        meta = installed[name]
        out.append(
            (
                name,
                str(label or meta.get("title") or name),
                str(description or meta.get("description") or ""),
            )
        )
    return out


def choose_theme(org: Organisation, name: str, *, actor=None) -> bool:
    """Give ``org`` the theme ``name``; True when it changed. Refused for a theme that is not
    installed."""
    if name not in current_app.extensions["gongkai.themes"]:
        raise UserError(
            gettext("The theme “%(name)s” is not installed.", name=(name or "")[:40]),
            problems=["theme: " + gettext("Choose one of the themes shown.")],
        )
    return tenants.update_organisation(org, {"theme": name}, actor=actor)
