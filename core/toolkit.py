"""The plugins' one import surface: everything a Gongkai plugin may use.

A plugin imports from this module (and nothing else of the project); every other module is
private and may change without notice. Documented in ``plugins/README.md``::

    from core.toolkit import Markup, _, force_locale, hookimpl

    @hookimpl
    def portal_panels(org, locale):
        with force_locale(locale):
            return [{"title": _("Notice"), "html": Markup("<p>…</p>")}]

What is here:

* ``hookimpl`` — the marker for hook implementations (project ``gongkai``).
* ``register_action(name, roles, where, plugin_grant=...)`` — register a plugin's own action
  for the permission function (hook ``permission_decision``).
* ``Organisation``, ``User``, ``Membership`` — the tenant models (read them; change them only
  through operations).
* ``subtree``, ``ancestors``, ``children`` — tree queries over the organisation hierarchy.
* ``session`` — the database session of the current request, command or job. Flush if you
  must; never commit (the request, command or job commits once).
* ``UserError``, ``NotFound``, ``Forbidden`` — errors whose message is shown to the user.
* ``_``/``gettext``, ``ngettext`` (translate now, at request time) and ``_l``/``lazy_gettext``
  (for module-level text: labels, form fields, permission titles); ``force_locale(locale)``
  to translate in the ``locale`` a hook was given (it also works outside a request: jobs, CLI).
* ``Markup``, ``escape`` — mark HTML safe / escape text for the ``html`` of panels.
* ``SigninProvider``, ``SigninError`` — the base class of a sign-in provider kind (hook
  ``signin_provider_kinds``) and the error its ``start``/``finish`` raise.
"""

from __future__ import annotations

from flask_babel import force_locale, gettext, lazy_gettext, ngettext
from markupsafe import Markup, escape

from core.db import session
from core.errors import Forbidden, NotFound, UserError
from core.hookspecs import hookimpl
from core.permissions import register as register_action
from core.sso.providers import SigninError, SigninProvider
from tenants.hierarchy import ancestors, children, subtree
from tenants.models import Membership, Organisation, User

_ = gettext
_l = lazy_gettext

__all__ = [
    "Forbidden",
    "Markup",
    "Membership",
    "NotFound",
    "Organisation",
    "SigninError",
    "SigninProvider",
    "User",
    "UserError",
    "_",
    "_l",
    "ancestors",
    "children",
    "escape",
    "force_locale",
    "gettext",
    "hookimpl",
    "lazy_gettext",
    "ngettext",
    "register_action",
    "session",
    "subtree",
]
