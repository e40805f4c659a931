"""An organisation's appearance: the theme its pages use (``base``, ``classic`` …), chosen in its
console (``/admin/o/<code>/appearance``) by its admins, a superior's admins or a platform admin
(``appearance.manage``). The theme's templates and static files then take precedence over the
enabled plugins' and the base theme's (:mod:`core.themes`).

A county (a root organisation) also sets its branding (``/admin/o/<code>/appearance/branding``,
its own admins and platform admins: ``appearance.brand``): a display name per language, an
emblem and two colours whose contrast is checked (BRAND-1). Every public and console page of its
subtree shows them, on top of the theme chosen (:mod:`core.appearance.public`).

Modules: ``operations`` (the themes offered with their words, choosing one), ``branding`` (the
county's branding: checks and writes), ``contrast`` (WCAG 2.1 contrast ratio), ``models``,
``forms``, ``views`` (console), ``public`` (the stylesheet, the emblem, the header's branding).
"""

from core import permissions

permissions.register("appearance.manage", {"admin"}, "unit_or_superior", platform=True)
permissions.register("appearance.brand", {"admin"}, "unit", platform=True)
