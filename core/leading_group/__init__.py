"""The disclosure leading group (党务公开工作领导小组, docs/rules.md ORG-2) in the organisation's
settings: ``/admin/o/<code>/leading-group`` shows the group in force and every earlier version
(who changed it, when, how, with what note), and its admins edit it; the portal's unit page shows
the group in force with its office's contact.

The group and its versions are the organisation's (:class:`tenants.models.LeadingGroupVersion`);
one operation writes them, :func:`tenants.operations.set_leading_group`, for the console, the
YAML import (``gongkai orgs import``) and the demo alike.

Who may (registered here, decided by :func:`core.permissions.may`):

* ``leading_group.view`` — staff of the unit or of a superior, and platform admins: the page
  and the earlier versions;
* ``leading_group.edit`` — admins of the unit or of a superior, and platform admins.
"""

from __future__ import annotations

from core import permissions

STAFF = {"admin", "editor", "reviewer", "supervisor"}

permissions.register("leading_group.view", STAFF, "unit_or_superior", platform=True)
permissions.register("leading_group.edit", {"admin"}, "unit_or_superior", platform=True)
