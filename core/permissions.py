"""The one access decision: may this user do that action in this organisation?

Roles are held per organisation (``Membership``). An action names the roles that may run it and
where they must be held:

* ``unit`` — in the organisation itself;
* ``superior`` — in a strict ancestor (a superior's action: approve, receive a filing, assess);
  a role held in an organisation applies to its whole subtree for superior actions;
* ``unit_or_superior`` — either.

Platform admins run operator actions (``platform=True``) everywhere. Memberships are loaded once
per request (one query) and decisions need no further query: ancestors come from the
organisation's materialised path.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import g, has_request_context
from sqlalchemy import select

from core import db
from core.errors import Forbidden
from tenants.models import Membership, Organisation

WHERE = ("unit", "superior", "unit_or_superior")


@dataclass(frozen=True)
class Action:
    name: str
    roles: frozenset[str]
    where: str = "unit"
    platform: bool = False

    def __post_init__(self):
        if self.where not in WHERE:
            raise ValueError(f"where must be one of {WHERE}")


_actions: dict[str, Action] = {}


def register(name: str, roles, where: str = "unit", *, platform: bool = False) -> Action:
    """Register an action (engine packages do this at import time; plugins through a hook)."""
    action = Action(name, frozenset(roles), where, platform)
    _actions[name] = action
    return action


def action(name: str) -> Action:
    try:
        return _actions[name]
    except KeyError:
        raise KeyError(f"unknown action {name!r}; register it in core.permissions") from None


def roles_by_org(user) -> dict[int, frozenset[str]]:
    """``{org_id: roles}`` of ``user`` (cached for the request)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return {}
    cache = g.setdefault("_roles_by_org", {}) if has_request_context() else {}
    if user.id not in cache:
        rows = db.session.execute(
            select(Membership.org_id, Membership.role).where(Membership.user_id == user.id)
        )
        found: dict[int, set[str]] = {}
        for org_id, role in rows:
            found.setdefault(org_id, set()).add(role)
        cache[user.id] = {k: frozenset(v) for k, v in found.items()}
    return cache[user.id]


def holds(user, org: Organisation, roles, where: str = "unit") -> bool:
    """True when ``user`` holds one of ``roles`` in ``org`` (``unit``) or above (``superior``)."""
    held = roles_by_org(user)
    if not held:
        return False
    roles = frozenset(roles)
    if where in ("unit", "unit_or_superior") and held.get(org.id, frozenset()) & roles:
        return True
    if where in ("superior", "unit_or_superior"):
        return any(held.get(ancestor, frozenset()) & roles for ancestor in org.ancestor_ids)
    return False


def may(user, name: str, org: Organisation) -> bool:
    act = action(name)
    if act.platform and getattr(user, "is_platform_admin", False):
        return True
    return holds(user, org, act.roles, act.where)


def require(user, name: str, org: Organisation) -> None:
    if not may(user, name, org):
        raise Forbidden("You are not allowed to do this in this organisation.")
