"""An organisation's appearance: the theme its pages use (``base``, ``classic`` …), chosen in its
console (``/admin/o/<code>/appearance``) by its admins, a superior's admins or a platform admin
(``appearance.manage``). The theme's templates and static files then take precedence over the
enabled plugins' and the base theme's (:mod:`core.themes`).

Modules: ``operations`` (the themes offered with their words, choosing one), ``forms``, ``views``.
"""

from core import permissions

permissions.register("appearance.manage", {"admin"}, "unit_or_superior", platform=True)
