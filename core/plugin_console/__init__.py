"""Per-organisation enablement of plugins: the console page ``/admin/o/<code>/plugins`` and the
commands ``gongkai plugins enable/disable/default NAME --org CODE``.

The action ``plugins.manage``: admins of the organisation or of an ancestor (and platform admins).
"""

from __future__ import annotations

from core import permissions

permissions.register("plugins.manage", {"admin"}, "unit_or_superior", platform=True)
