"""Membership administration: the members page of the unit console (grant, revoke, invite) and
the redemption of invitations (``/auth/invitations/<token>``).

Who may do what (registered here, decided by :func:`core.permissions.may`):

* ``members.view`` — staff (admin, editor, reviewer, supervisor) of the unit or of a superior,
  and platform admins: the list of members, pending invitations and the latest changes;
* ``members.manage`` — admins of the unit or of a superior, and platform admins: grant and revoke
  roles, invite, withdraw invitations. Whoever may manage a unit's members may grant every role
  there, ``admin`` included, so an admin can hand the unit over; the only refusal is to give up
  one's own admin role when nobody else holds it in that organisation (the unit would be left
  without an admin; :class:`tenants.operations.LastAdmin`). A superior's admin may still revoke
  a unit's last admin, since the superior keeps managing the unit.
"""

from __future__ import annotations

from core import permissions

STAFF = {"admin", "editor", "reviewer", "supervisor"}

permissions.register("members.view", STAFF, "unit_or_superior", platform=True)
permissions.register("members.manage", {"admin"}, "unit_or_superior", platform=True)
