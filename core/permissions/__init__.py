"""The one access decision: may actor A do action X to object O?

:func:`may` answers every such question, for pages, the API, jobs and exports::

    may(actor, "items.edit", org)          # in an organisation
    may(actor, "items.view", item)         # on an object that has an organisation
    may(actor, "platform.manage", None)    # a platform action (no organisation)

``actor`` is a ``User``, an anonymous user (or ``None``) or the system actor of jobs
(:data:`core.workflow.SYSTEM`, recognised by its ``is_system`` attribute). ``obj`` is an
``Organisation``, an object with an organisation (``obj.organisation``, or ``obj.org_id``:
``Item``, ``CatalogueVersion``, ``Membership``, ``Invitation`` ...) or ``None``.

Actions are registered (:func:`register`; engine packages at import time, plugins the same way)
with the roles that may run them and where those roles must be held:

* ``unit`` — in the organisation itself;
* ``superior`` — in a strict ancestor (a superior's action: approve, receive a filing, assess).
  A role held in an organisation applies to its whole subtree for superior actions, and only
  for those (like Indico, which cascades only full management): an editor of a county is not
  an editor of its branches;
* ``unit_or_superior`` — either (reading a unit's console, managing its members).

The decision, in this order:

1. **Limits of the request.** Functions registered with :func:`register_limit` may forbid the
   action for the current request: the API token's scopes (``core.api.auth`` registers
   ``token_permits`` for requests authenticated by a token). A limit only ever restricts what
   the actor may do; it never grants. (Like plugin decisions, limits come from the packages
   that know them: this module imports none of them.)
2. **The base answer.**
   * The system actor (scheduled jobs) may run the actions registered with ``system=True`` and
     nothing else (workflow transitions: those listing the role ``"system"``); it holds no
     role anywhere. (Some item operations that only jobs start skip their role check for it
     before the workflow engine decides the transition itself.)
   * A platform admin may run every action registered with ``platform=True`` (operator actions:
     ``platform.manage``, the members of any unit), in every organisation.
   * An action with an object ``rule`` decides on objects by that rule: ``items.view`` on an
     ``Item`` is :func:`core.items.visibility.can_see` (SCOPE-1), so that a page, the API or an
     export asking ``may(user, "items.view", item)`` gets exactly what the portal lists show.
   * Otherwise the roles: :func:`holds` with the action's roles and ``where``.
3. **Plugins.** The tenant hook ``permission_decision(actor, action, org, obj)`` is called
   through the organisation's relay (only plugins the organisation enables). An answer of
   ``False`` vetoes — any one of them denies. ``True`` grants what the base answer refused only
   for actions registered with ``plugin_grant=True`` (a plugin's own actions, typically); for
   the others a ``True`` changes nothing, so that no plugin can widen a core rule such as
   SCOPE-1 or the superior's approval. ``None`` means no view. Platform actions without an
   organisation (``obj is None``) consult no plugin. The hook is not called when its answer
   cannot change the outcome (a refusal of an action plugins cannot grant).

Workflow transitions carry their own roles (``core.workflow``); the engine decides them with
:func:`may_run`, which takes the same steps (system actor, roles, limits of the request,
plugins) with the action name ``"<workflow>.<transition>"`` (e.g. ``"item.publish"``,
``"catalogue.approve"``).

Memberships are loaded once per request (one query); role decisions need no further query
(ancestors come from the organisation's materialised path).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import current_app, g, has_app_context, has_request_context, request
from sqlalchemy import select

from core import db
from core.errors import Forbidden
from core.i18n import _
from tenants.models import ROLES, Membership, Organisation

WHERE = ("unit", "superior", "unit_or_superior")
STAFF = frozenset({"admin", "editor", "reviewer", "supervisor"})

Rule = Callable[[Any, Any], bool]
"""``rule(actor, obj) -> bool``: the answer for one object (scopes)."""


@dataclass(frozen=True)
class Action:
    name: str
    roles: frozenset[str]
    where: str = "unit"
    platform: bool = False
    system: bool = False
    plugin_grant: bool = False
    rule: Rule | str | None = None  # a callable or "module:function" (imported when first used)

    def __post_init__(self):
        if self.where not in WHERE:
            raise ValueError(f"where must be one of {WHERE}")

    def object_rule(self) -> Rule | None:
        if self.rule is None or callable(self.rule):
            return self.rule
        module, _, attr = self.rule.partition(":")
        return getattr(importlib.import_module(module), attr)


_actions: dict[str, Action] = {}


def register(
    name: str,
    roles,
    where: str = "unit",
    *,
    platform: bool = False,
    system: bool = False,
    plugin_grant: bool = False,
    rule: Rule | str | None = None,
) -> Action:
    """Register an action (engine packages do this at import time; plugins the same way).

    ``platform``: platform admins may run it everywhere. ``system``: scheduled jobs (the system
    actor) may run it. ``plugin_grant``: a plugin's ``permission_decision`` may grant it to
    actors the roles refuse. ``rule``: the decision on objects (not organisations).
    """
    act = Action(name, frozenset(roles), where, platform, system, plugin_grant, rule)
    _actions[name] = act
    return act


def action(name: str) -> Action:
    try:
        return _actions[name]
    except KeyError:
        raise KeyError(f"unknown action {name!r}; register it in core.permissions") from None


def actions() -> dict[str, Action]:
    """Every registered action by name (for documentation and tests)."""
    return dict(_actions)


# --- the facts: memberships ------------------------------------------------------------------


def is_system(actor) -> bool:
    return bool(getattr(actor, "is_system", False))


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


def forget_roles(user=None) -> None:
    """Drop the request's cached roles (after a grant or a revocation in the same request)."""
    if has_request_context():
        cache = g.get("_roles_by_org")
        if cache is not None:
            if user is None:
                cache.clear()
            else:
                cache.pop(getattr(user, "id", None), None)
        viewers = g.get("_viewers")
        if viewers is not None:
            viewers.clear()
        request.environ.pop("gongkai.workflow_decisions", None)  # core.workflow.may_start


def holds(user, org: Organisation, roles, where: str = "unit") -> bool:
    """True when ``user`` holds one of ``roles`` in ``org`` (``unit``) or above (``superior``).

    A fact about memberships, not a decision: decide with :func:`may` (or :func:`may_run`).
    """
    held = roles_by_org(user)
    if not held:
        return False
    roles = frozenset(roles)
    if where in ("unit", "unit_or_superior") and held.get(org.id, frozenset()) & roles:
        return True
    if where in ("superior", "unit_or_superior"):
        return any(held.get(ancestor, frozenset()) & roles for ancestor in org.ancestor_ids)
    return False


def org_of(obj) -> Organisation | None:
    """The organisation ``obj`` is (an Organisation) or belongs to; None for None."""
    if obj is None or isinstance(obj, Organisation):
        return obj
    org = getattr(obj, "organisation", None)
    if isinstance(org, Organisation):
        return org
    org_id = getattr(obj, "org_id", None)
    if org_id is not None:
        return db.session.get(Organisation, org_id)
    raise TypeError(f"{obj!r} has no organisation: pass an Organisation or an object with one")


# --- the decision ----------------------------------------------------------------------------


Limit = Callable[[str, Organisation | None], bool]
"""``limit(action_name, org) -> bool``: False forbids the action for the current request."""

_limits: list[Limit] = []


def register_limit(limit: Limit) -> Limit:
    """Register a limit of the request (e.g. an API token's scopes): every decision asks it
    first, and a False refuses. A limit never grants. Registering the same function twice
    keeps one."""
    if limit not in _limits:
        _limits.append(limit)
    return limit


def _within_limits(name: str, org: Organisation | None) -> bool:
    return all(limit(name, org) for limit in _limits)


def _plugin_answers(actor, name: str, org: Organisation | None, obj) -> list:
    if org is None or not has_app_context():
        return []
    plugins = current_app.extensions.get("gongkai.plugins")
    if plugins is None:
        return []
    answers = plugins.relay(org).permission_decision(actor=actor, action=name, org=org, obj=obj)
    return [a for a in answers if a is not None]


def _decide(base: bool, grantable: bool, actor, name: str, org, obj) -> bool:
    if not base and not grantable:
        return False  # no plugin answer could change it
    answers = _plugin_answers(actor, name, org, obj)
    if any(a is False for a in answers):
        return False
    return base or (grantable and any(a is True for a in answers))


def may(actor, name: str, obj=None) -> bool:
    """May ``actor`` do ``name`` to ``obj`` (an organisation, an object of one, or None)?"""
    act = action(name)
    org = org_of(obj)
    if not _within_limits(name, org):
        return False
    if is_system(actor):
        base = act.system
    elif act.platform and getattr(actor, "is_platform_admin", False):
        base = True
    elif act.rule is not None and obj is not None and not isinstance(obj, Organisation):
        base = bool(act.object_rule()(actor, obj))
    elif org is None:
        base = False  # a platform action, and the actor is no platform admin
    else:
        base = holds(actor, org, act.roles, act.where)
    return _decide(base, act.plugin_grant, actor, name, org, obj)


def allowed(users: list, name: str, obj) -> list:
    """Of ``users`` whose roles already answer yes (e.g. recipients found by their roles), those
    no enabled plugin vetoes for ``name`` on ``obj`` (``permission_decision``, as :func:`may`
    asks it)."""
    org = org_of(obj)
    if org is None or not users:
        return list(users)
    return [u for u in users if not any(a is False for a in _plugin_answers(u, name, org, obj))]


def require(actor, name: str, obj=None) -> None:
    """:func:`may`, or :class:`core.errors.Forbidden` (403)."""
    if not may(actor, name, obj):
        raise Forbidden(_("You are not allowed to do this in this organisation."))


def may_run(actor, workflow: str, transition, obj, *, org: Organisation | None = None) -> bool:
    """May ``actor`` run ``transition`` (a ``core.workflow.Transition``) of ``workflow`` on
    ``obj``? Roles as the transition lists them (``"system"`` for jobs), then the limits of the
    request and the plugins' decisions for the action ``"<workflow>.<transition>"`` (plugins
    may veto, not grant: a transition's roles are the workflow's rule)."""
    org = org if org is not None else org_of(obj)
    name = f"{workflow}.{transition.name}"
    if not _within_limits(name, org):
        return False
    if is_system(actor):
        base = "system" in transition.roles
    else:
        base = holds(actor, org, transition.roles, transition.where)
    return _decide(base, False, actor, name, org, obj)


# --- for list pages: where to look -----------------------------------------------------------


def orgs_holding(user, name: str) -> list[int]:
    """Ids of the organisations where ``user`` holds a role of action ``name``.

    For list queries (an inbox over the subtrees where one may decide): they narrow the rows in
    SQL; each row is still decided by :func:`may`.
    """
    roles = action(name).roles
    return sorted(org_id for org_id, held in roles_by_org(user).items() if held & roles)


def nearest_superior(user, name: str, org: Organisation) -> int | None:
    """The nearest strict ancestor of ``org`` where ``user`` holds a role of action ``name``
    (e.g. where to find the inbox that decides on ``org``), or None."""
    roles = action(name).roles
    held = roles_by_org(user)
    for org_id in reversed(org.ancestor_ids):
        if held.get(org_id, frozenset()) & roles:
            return org_id
    return None


# --- actions of the core -----------------------------------------------------------------------

# Reading an item's content (SCOPE-1): the object rule is the visibility layer. On an
# organisation (no item) the roles say who reads its non-public items in general.
register(
    "items.view",
    set(ROLES),
    "unit_or_superior",
    system=True,
    rule="core.items.visibility:can_see",
)

# Operating the platform (hosted counties, sign-in providers, ...): platform admins only.
register("platform.manage", (), "unit", platform=True)
