"""The roles a person holds in an organisation, in words (codes: ``tenants.models.ROLES``)."""

from __future__ import annotations

from flask_babel import gettext

from core import audit_labels
from core.i18n import _

ROLE_LABELS = {
    "admin": _("Admin"),
    "editor": _("Editor"),
    "reviewer": _("Reviewer"),
    "supervisor": _("Supervisor"),
    "member": _("Party member"),
}
audit_labels.register_values("role", ROLE_LABELS)


def role_label(role: str | None) -> str:
    """The role ``role`` in the reader's language ("" for none)."""
    return str(ROLE_LABELS.get(role, role or ""))


def either(roles) -> str:
    """Roles in words, joined as alternatives ("Admin or Reviewer"), in a stable order."""
    order = {role: n for n, role in enumerate(ROLE_LABELS)}
    labels = [role_label(r) for r in sorted(roles, key=lambda r: (order.get(r, 99), r))]
    if len(labels) <= 1:
        return "".join(labels)
    return gettext("%(some)s or %(last)s", some=gettext(", ").join(labels[:-1]), last=labels[-1])
