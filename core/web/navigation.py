"""The side navigation of an organisation's console, and the quick actions of its home.

Entries are declared by the areas themselves, next to their views (no module lists them all)::

    from core.web import navigation

    navigation.entry("disclosure", "items", _l("Items"), "items_admin.index",
                     action="items.view_console", order=10,
                     match=("items_admin.detail", "items_admin.edit"))
    navigation.quick("items.new", _l("New item"), "items_admin.new", action="items.edit")

Pages of the platform console are declared with ``navigation.platform(key, label, endpoint)``
(platform admins only).

Groups, in this order (:data:`GROUPS`): ``disclosure`` (items, catalogue, schedule, notices),
``participation`` (requests, feedback, objections, evaluation), ``supervision`` (units below,
filings, timeliness), ``sector`` (the sector plugins' consoles) and ``settings`` (members,
parameters, plugins).

An entry is shown when the signed-in user may do its ``action`` in the organisation (the one
access decision, :func:`core.permissions.may`) and its ``when(org)`` (if any) is true — e.g.
"units below" only where there are units below. Plugins add theirs through the tenant hook
``console_navigation(org, user)`` (only the plugins the organisation enables are asked; they
decide themselves whether the user may use their pages).

:func:`for_org` computes the navigation once per request (kept in the request's environ): the
console layout, the organisation's home and the breadcrumbs read it from there. The entry marked
current is the one whose endpoint (or one of whose ``match`` endpoints) is the request's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import current_app, request, url_for

from core import permissions
from core.i18n import _

GROUPS: dict[str, Any] = {
    "disclosure": _("Disclosure"),
    "participation": _("Requests, feedback and evaluation"),
    "supervision": _("Supervision"),
    "sector": _("Sector affairs"),
    "settings": _("Settings"),
}
"""The groups of the side navigation, in their order, with their (lazy) headings."""


@dataclass(frozen=True)
class Entry:
    """One link of the side navigation (or, with ``quick``, a quick action of the home)."""

    group: str
    key: str
    label: Any  # a lazy string
    endpoint: str
    action: str | None = None
    order: int = 100
    args: tuple[tuple[str, Any], ...] = ()
    when: Callable[[Any], bool] | None = None
    match: tuple[str, ...] = ()


@dataclass
class Link:
    """A navigation link as the templates show it."""

    key: str
    label: str
    url: str
    current: bool = False


@dataclass
class Group:
    key: str
    label: str
    links: list[Link] = field(default_factory=list)


@dataclass
class Navigation:
    """The side navigation of one organisation for the signed-in user (one request)."""

    groups: list[Group]
    quick: list[Link]
    current: Link | None

    def __bool__(self) -> bool:
        return bool(self.groups)

    def link(self, key: str) -> Link | None:
        return next((x for grp in self.groups for x in grp.links if x.key == key), None)


_entries: dict[str, Entry] = {}
_quick: dict[str, Entry] = {}
_platform: dict[str, Entry] = {}


def entry(
    group: str,
    key: str,
    label,
    endpoint: str,
    *,
    action: str | None = None,
    order: int = 100,
    args: dict[str, Any] | None = None,
    when: Callable[[Any], bool] | None = None,
    match: tuple[str, ...] = (),
) -> Entry:
    """Declare a link of the side navigation (at import time, next to the views).

    ``group``: a key of :data:`GROUPS`; ``key``: unique (``"items"``, ``"requests.filings"``);
    ``label``: a lazy string; ``endpoint`` (and its ``args``) is linked with the organisation's
    code; ``action``: shown only to users who may do it in the organisation; ``when(org)``:
    shown only where it is true (cheap: no query); ``match``: further endpoints under which
    this entry is the current one (the pages below it: an item's page under "Items").
    """
    if group not in GROUPS:
        raise ValueError(f"unknown navigation group {group!r}; one of {tuple(GROUPS)}")
    found = Entry(
        group, key, label, endpoint, action, order, tuple(sorted((args or {}).items())), when,
        tuple(match),
    )  # fmt: skip
    _entries[key] = found
    return found


def quick(
    key: str,
    label,
    endpoint: str,
    *,
    action: str | None = None,
    order: int = 100,
    args: dict[str, Any] | None = None,
    when: Callable[[Any], bool] | None = None,
) -> Entry:
    """Declare a quick action of the organisation's home (a button: "New item" …)."""
    found = Entry(
        "quick", key, label, endpoint, action, order, tuple(sorted((args or {}).items())), when
    )
    _quick[key] = found
    return found


def platform(key: str, label, endpoint: str, *, order: int = 100) -> Entry:
    """Declare a page of the platform console (platform admins only): My work links them for
    platform admins, and the platform console's navigation lists them."""
    found = Entry("platform", key, label, endpoint, "platform.manage", order)
    _platform[key] = found
    return found


def platform_links(user) -> list[Link]:
    """The platform console's pages, for a platform admin (else none)."""
    if not permissions.may(user, "platform.manage", None):
        return []
    endpoints = current_app.view_functions
    here = request.endpoint if request else None
    return [
        Link(e.key, str(e.label), url_for(e.endpoint), current=e.endpoint == here)
        for e in sorted(_platform.values(), key=lambda e: (e.order, e.key))
        if e.endpoint in endpoints
    ]


def entries() -> dict[str, Entry]:
    """Every declared entry by key (documentation and tests)."""
    return dict(_entries)


def quick_actions() -> dict[str, Entry]:
    return dict(_quick)


# --- for one organisation and the signed-in user -------------------------------------------


def _visible(e: Entry, org, user, endpoints) -> bool:
    if e.endpoint not in endpoints:  # a blueprint this application does not serve
        return False
    if e.when is not None and not e.when(org):
        return False
    return e.action is None or permissions.may(user, e.action, org)


_URLS: dict[tuple, str] = {}
"""Links of the entries per (script root, endpoint, organisation code, args): URL rules do not
change while the process runs, so each is built once (``url_for`` is a measurable share of a
console page)."""
_URLS_MAX = 20_000


def _url(endpoint: str, code: str, args: tuple) -> str:
    key = (request.script_root, endpoint, code, args)
    found = _URLS.get(key)
    if found is None:
        found = url_for(endpoint, org_code=code, **dict(args))
        if len(_URLS) >= _URLS_MAX:
            _URLS.clear()
        _URLS[key] = found
    return found


def _plugin_links(org, user) -> list[tuple[str, Link, int]]:
    """The enabled plugins' entries (hook ``console_navigation``): (group, link, order)."""
    plugins = current_app.extensions.get("gongkai.plugins")
    if plugins is None:
        return []
    out = []
    for batch in plugins.relay(org).console_navigation(org=org, user=user):
        for n, answer in enumerate(batch or []):
            group = answer.get("group", "sector")
            if group not in GROUPS:
                group = "sector"
            url = answer.get("url") or url_for(
                answer["endpoint"], org_code=org.code, **(answer.get("args") or {})
            )
            key = answer.get("key") or answer.get("endpoint") or url
            link = Link(key, str(answer["label"]), url)
            link.endpoint = answer.get("endpoint")  # type: ignore[attr-defined]
            out.append((group, link, int(answer.get("order", 500 + n))))
    return out


def for_org(org, user=None) -> Navigation:
    """The side navigation and quick actions of ``org`` for ``user`` (default: the signed-in
    user), computed once per request."""
    if user is None:
        from flask_login import current_user

        user = current_user
    cache = request.environ.setdefault("gongkai.navigation", {})  # this request's
    found = cache.get(org.id)
    if found is not None:
        return found
    endpoints = current_app.view_functions
    here = request.endpoint if request else None
    placed: dict[str, list[tuple[int, Link]]] = {k: [] for k in GROUPS}
    best: tuple[int, Link] | None = None  # the current page: the entry that matches most
    for e in sorted(_entries.values(), key=lambda e: (e.order, e.key)):
        if not _visible(e, org, user, endpoints):
            continue
        link = Link(e.key, str(e.label), _url(e.endpoint, org.code, e.args))
        if here is not None and (here == e.endpoint or here in e.match) and _args_match(e.args):
            score = len(e.args) * 2 + (here == e.endpoint)
            if best is None or score > best[0]:
                best = (score, link)
        placed[e.group].append((e.order, link))
    for group, link, order in _plugin_links(org, user):
        if best is None and here is not None and getattr(link, "endpoint", None) == here:
            best = (0, link)
        placed[group].append((order, link))
    current = best[1] if best is not None else None
    if current is not None:
        current.current = True
    groups = [
        Group(k, str(label), [link for _, link in sorted(placed[k], key=lambda p: p[0])])
        for k, label in GROUPS.items()
        if placed[k]
    ]
    quick_links = [
        Link(e.key, str(e.label), _url(e.endpoint, org.code, e.args))
        for e in sorted(_quick.values(), key=lambda e: (e.order, e.key))
        if _visible(e, org, user, endpoints)
    ]
    found = Navigation(groups, quick_links, current)
    cache[org.id] = found
    return found


def _args_match(args: tuple) -> bool:
    """Does the request carry the entry's arguments (``kind=template`` …)?"""
    if not args:
        return True
    values = request.view_args or {}
    return all(values.get(k, request.args.get(k)) == v for k, v in args)


# --- breadcrumbs ----------------------------------------------------------------------------

permissions.register("console.view", permissions.STAFF, "unit_or_superior")
"""Using an organisation's console (its home and side navigation): its staff and supervisors,
and those of the organisations above it."""


def crumbs(org, user=None) -> list[Link]:
    """The breadcrumb trail down to ``org``'s console: My work, then the county and each
    organisation down to ``org`` (linked to its console home where the user may use it), once
    per request."""
    if user is None:
        from flask_login import current_user

        user = current_user
    cache = request.environ.setdefault("gongkai.crumbs", {})
    found = cache.get(org.id)
    if found is not None:
        return found
    from core.i18n import locale
    from tenants.hierarchy import ancestors

    loc = locale()
    found = [Link("my_work", str(_("My work")), url_for("console.my_work"))]
    for node in ancestors(org, include_self=True) if org.parent_id else [org]:
        url = None
        if permissions.may(user, "console.view", node):
            url = _url("org_console.home", node.code, ())
        found.append(Link(node.code, node.name(loc, "short"), url or ""))
    cache[org.id] = found
    return found


def has_units_below(org) -> bool:
    """Does ``org`` have units below it? (One query per request and organisation: a ``when``
    for the pages of a superior — decisions, filings, units below.)"""
    cache = request.environ.setdefault("gongkai.units_below", {})
    found = cache.get(org.id)
    if found is None:
        from sqlalchemy import select

        from core import db
        from tenants.models import Organisation

        found = cache[org.id] = (
            db.session.scalar(
                select(Organisation.id).where(Organisation.parent_id == org.id).limit(1)
            )
            is not None
        )
    return found
