"""My work (``/admin``): everything waiting for the signed-in person, across their organisations.

Each area registers the groups of work it knows, from its own ``work.py`` (found by name when
the application starts; no module imports every area)::

    from core.web import work

    @work.provider("items.review", _l("Items to review"), action=_l("Review"),
                   roles={"reviewer"}, order=10)
    def items_to_review(ctx: work.Context):
        query = (select(Item, Organisation).join(Organisation, Organisation.id == Item.org_id)
                 .where(Item.state == "proposed", Item.org_id.in_(ctx.org_ids({"reviewer"}))))
        for item, org in db.session.execute(query):
            if ctx.may("item.review", item):          # plugins may veto (no query)
                yield work.Row(org, item.title(ctx.locale),
                               url_for("items_admin.detail", org_code=org.code, item_id=item.id))

A provider runs **one query** whatever the number of organisations (the count of its group
is the number of rows it yields; tests hold it to that with 3 and 30 units). ``roles``: the
provider is skipped (no query at all) for a person who holds none of these roles anywhere;
``platform=True``: it is asked only for platform admins.

A row carries the organisation, a title, the link to the page where the action is taken, and
optionally a due date and an urgency (``"soon"``: due within 3 working days; ``"overdue"``:
past due), which My work marks. The :class:`Context` gives a provider what it needs without
further queries: the person's roles per organisation, those organisations (loaded once for all
groups), the subtrees where the person acts as a superior, today's date and the locale.

Plugins add groups through the tenant hook ``my_work(org, user)`` (asked for each organisation
where the person holds a role, through its relay).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Any

from sqlalchemy import false, or_, select

from core import db, localtime, permissions
from tenants.models import Organisation

URGENCIES = ("overdue", "soon")
SOON_WORKING_DAYS = 3
"""A deadline within this many working days is marked "soon"."""


@dataclass
class Row:
    """One thing waiting: in ``org``, ``title``, acted on at ``link``."""

    org: Any
    title: str
    link: str
    due: date | None = None
    urgency: str | None = None  # None, "soon" or "overdue"
    note: str = ""  # one line more: "proposed by …", "notice ends …"
    sort: Any = None  # the order within the group (default: due date, then title)


@dataclass(frozen=True)
class Provider:
    key: str
    label: Any  # a lazy string: the group's heading ("Items to review")
    query: Callable[[Context], Iterable[Row]]
    action: Any = None  # a lazy string: the verb of each row's link ("Review")
    roles: frozenset[str] | None = None
    platform: bool = False
    order: int = 100
    empty: Any = None  # what to say when there is nothing (default: the group is left out)


@dataclass
class Group:
    """A provider's answer for one person: its rows, counted."""

    key: str
    label: str
    action: str
    rows: list[Row]

    @property
    def count(self) -> int:
        return len(self.rows)

    @property
    def urgent(self) -> int:
        return sum(1 for r in self.rows if r.urgency == "overdue")

    @property
    def soon(self) -> int:
        return sum(1 for r in self.rows if r.urgency == "soon")


_providers: dict[str, Provider] = {}


def provider(
    key: str,
    label,
    query: Callable[[Context], Iterable[Row]] | None = None,
    *,
    action=None,
    roles=None,
    platform: bool = False,
    order: int = 100,
):
    """Register a group of My work: ``provider(key, label, query, action=...)``, or as a
    decorator of the query. ``key`` is ``<area>.<what>`` (``items.review``)."""

    def register(func: Callable[[Context], Iterable[Row]]):
        _providers[key] = Provider(
            key, label, func, action, frozenset(roles) if roles is not None else None,
            platform, order,
        )  # fmt: skip
        return func

    if query is not None:
        register(query)
        return _providers[key]
    return register


def providers() -> dict[str, Provider]:
    """Every registered provider by key (documentation and tests)."""
    return dict(_providers)


def unregister(key: str) -> None:
    """Remove a provider (tests)."""
    _providers.pop(key, None)


# --- the person's context ---------------------------------------------------------------------


@dataclass
class Context:
    """What a provider knows of the person without asking the database again."""

    user: Any
    locale: str
    roles: dict[int, frozenset[str]] = field(default_factory=dict)
    memo: dict[str, Any] = field(default_factory=dict)  # what providers share (computed once)

    @cached_property
    def orgs(self) -> dict[int, Organisation]:
        """The (enabled) organisations where the person holds a role (one query, shared)."""
        if not self.roles:
            return {}
        return {
            o.id: o
            for o in db.session.scalars(
                select(Organisation).where(
                    Organisation.id.in_(list(self.roles)), Organisation.enabled
                )
            )
        }

    @cached_property
    def today(self) -> date:
        """Today in Beijing (the official calendar's day; deadlines are dates)."""
        return localtime.today()

    def holds(self, roles) -> bool:
        roles = frozenset(roles)
        return any(held & roles for held in self.roles.values())

    def org_ids(self, roles) -> list[int]:
        """Ids of the organisations where the person holds one of ``roles`` (unit actions)."""
        roles = frozenset(roles)
        return sorted(i for i, held in self.roles.items() if held & roles and i in self.orgs)

    def below(self, roles, column=None):
        """A condition on ``Organisation.path`` (or ``column``): strictly below an organisation
        where the person holds one of ``roles`` (superior actions: approve, receive a filing).
        False when there is none."""
        column = column if column is not None else Organisation.path
        paths = [self.orgs[i].path for i in self.org_ids(roles)]
        if not paths:
            return false()
        return or_(*[column.startswith(p, autoescape=True) & (column != p) for p in paths])

    def within(self, roles, column=None):
        """A condition on ``Organisation.path``: in or below an organisation where the person
        holds one of ``roles`` (``unit_or_superior`` actions: read a unit's console)."""
        column = column if column is not None else Organisation.path
        paths = [self.orgs[i].path for i in self.org_ids(roles)]
        if not paths:
            return false()
        return or_(*[column.startswith(p, autoescape=True) for p in paths])

    def remember(self, key: str, compute: Callable[[], Any]) -> Any:
        """A value the providers share, computed once (``ctx.remember("soon", ...)``)."""
        if key not in self.memo:
            self.memo[key] = compute()
        return self.memo[key]

    def nearest_above(self, org, roles):
        """The nearest organisation strictly above ``org`` where the person holds one of
        ``roles`` (whose console page to link for a superior's action), or None."""
        roles = frozenset(roles)
        for org_id in reversed(org.ancestor_ids):
            if self.roles.get(org_id, frozenset()) & roles and org_id in self.orgs:
                return self.orgs[org_id]
        return None

    def may(self, action: str, obj) -> bool:
        """The one access decision for this person (plugins may veto; no query)."""
        return permissions.may(self.user, action, obj)


def context_for(user, locale: str) -> Context:
    return Context(user=user, locale=locale, roles=permissions.roles_by_org(user))


def urgency(due: date | None, today: date, soon: date | None = None) -> str | None:
    """``"overdue"`` when ``due`` has passed, ``"soon"`` when it is on or before ``soon`` (the
    day 3 working days from today: the provider computes it on the official calendar)."""
    if due is None:
        return None
    if due < today:
        return "overdue"
    if soon is not None and due <= soon:
        return "soon"
    return None


def collect(ctx: Context, *, only: str | None = None) -> list[Group]:
    """The groups of work of the person (those with rows), in the providers' order; one query
    per provider that applies (``only``: that provider alone)."""
    platform_admin = bool(getattr(ctx.user, "is_platform_admin", False))
    out = []
    for p in sorted(_providers.values(), key=lambda p: (p.order, p.key)):
        if only is not None and p.key != only:
            continue
        if p.platform and not platform_admin:
            continue
        if not p.platform and p.roles is not None and not ctx.holds(p.roles):
            continue
        if not p.platform and not ctx.orgs:
            continue
        rows = list(p.query(ctx) or ())
        if rows:
            rows.sort(key=_row_order)
            out.append(Group(p.key, str(p.label), str(p.action or ""), rows))
    return out + _plugin_groups(ctx, only)


def _row_order(row: Row):
    if row.sort is not None:
        return (0, row.sort, "")
    return (1, row.due or date.max, row.title)


def _plugin_groups(ctx: Context, only: str | None) -> list[Group]:
    """The groups of the plugins (hook ``my_work``), asked per organisation of the person."""
    from flask import current_app

    plugins = current_app.extensions.get("gongkai.plugins")
    if plugins is None:
        return []
    groups: dict[str, Group] = {}
    for org in sorted(ctx.orgs.values(), key=lambda o: o.path):
        for batch in plugins.relay(org).my_work(org=org, user=ctx.user):
            for answer in batch or []:
                key = answer["key"]
                if only is not None and key != only:
                    continue
                group = groups.get(key)
                if group is None:
                    group = groups[key] = Group(
                        key, str(answer["label"]), str(answer.get("action") or ""), []
                    )
                for r in answer.get("rows") or []:
                    due = r.get("due")
                    group.rows.append(
                        Row(
                            r.get("org", org), str(r["title"]), r["link"], due=due,
                            urgency=r.get("urgency") or urgency(due, ctx.today),
                            note=str(r.get("note") or ""),
                        )
                    )  # fmt: skip
    for group in groups.values():
        group.rows.sort(key=_row_order)
    return [g for g in groups.values() if g.rows]
