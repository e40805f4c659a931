"""The plugins' one import surface: everything a Gongkai plugin may use of the project.

A plugin imports from this module (and nothing else of the project; libraries such as Flask,
click and SQLAlchemy are its own business); every other module is private and may change without
notice. Every name is documented in the toolkit table of ``plugins/README.md`` (a meta-test
checks it)::

    from core.toolkit import Markup, _, force_locale, hookimpl

    @hookimpl
    def portal_panels(org, locale):
        with force_locale(locale):
            return [{"title": _("Notice"), "html": Markup("<p>…</p>")}]

What is here:

* ``hookimpl`` — the marker for hook implementations (project ``gongkai``).
* ``register_action(name, roles, where, plugin_grant=...)`` — register a plugin's own action
  for the permission function; ``may(actor, action, obj)`` asks it.
* ``Organisation``, ``User``, ``Membership``, ``Item`` — models (read them; change them only
  through operations); ``get_org(code)``; ``subtree``, ``ancestors``, ``children`` — tree queries.
* ``current_org()`` — the organisation of the request (``/o/<code>/...`` routes) or job;
  ``require(action)`` — 403 unless the signed-in user may (returns the organisation);
  ``object_or_404(Model, id)`` — a row of the request's organisation, else 404;
  ``local_zone(org)``, ``local_date(moment, org)`` — the organisation's time zone and dates.
* ``is_enabled(org, name)`` — whether ``org`` enables the plugin ``name``.
* ``notice_board(org)`` — the printed notice board's content (``/o/<code>/board.pdf``) as the
  context of a page of the plugin's own (template ``portal/_board.html``).
* ``create_item(org, data, actor=...)``, ``item_step(item, step, actor=...)``, ``SYSTEM`` — draft
  a disclosure item and run its workflow steps; the actor of scheduled jobs.
* ``catalogue_version(org, which)``, ``start_catalogue_draft(org, actor=...)``,
  ``catalogue_step(version, step, actor=...)`` — a unit catalogue and its workflow.
* ``session`` — the database session of the current request, command or job. Flush if you
  must; never commit (the request, command or job commits once). ``Base``, ``utcnow``,
  ``UTCDateTime`` — for a plugin's own models and migrations; ``CountyKey`` — the mixin every
  model of an organisation's data carries (its ``county_id``, set on insert), and
  ``add_county_key(tables)``, ``drop_county_key(tables)`` — the migration steps that add
  and fill it (and remove it).
* ``audit_log(...)`` — write an audit entry (its action, kind of object and fields in words
  through the hook ``audit_labels``); ``enqueue(func, *args, org_id=...)`` — a background job
  after the commit; ``operation`` — a command as one unit of work.
* ``render(template, **context)`` — render a template through the organisation's theme chain;
  ``require_sign_in`` — ``before_request`` of a console blueprint.
* ``UserError``, ``NotFound``, ``Forbidden`` — errors whose message is shown to the user.
* ``_``/``gettext``, ``ngettext`` (translate now) and ``_l``/``lazy_gettext`` (module-level
  text); ``force_locale(locale)``; ``localised(texts, locale)`` — pick a text of a
  ``{locale: text}`` dict; ``lazily(func, *args)`` — a text computed when it is read (a
  placeholder's value in the reader's language); ``cadence_label(code)`` — a cadence in words.
* ``Markup``, ``escape`` — mark HTML safe / escape text for the ``html`` of panels.
* ``http_request(method, url, **kwargs)`` — call another system (a webhook …) through the
  platform's guarded client (public addresses only, timeouts, size limit); ``OutboundError`` /
  ``AddressRefused`` when it fails (show their ``public`` text, log the rest); ``url_allowed(url)``
  — check an address a person typed before saving it.
* ``ascii_int(value, minimum=0, maximum=2**31 - 1)`` — a number typed in a form or a URL, or
  None (never raises: ``²`` is no number); ``clean(value, strip=False)`` — a text without
  bidirectional controls (every text is cleaned on flush anyway).
* ``SigninProvider``, ``SigninError`` — the base class of a sign-in provider kind (hook
  ``signin_provider_kinds``) and the error its ``start``/``finish`` raise.
* ``register_notification_kind(name, label, title, ...)`` and ``notify(users, kind, org=...)`` —
  tell people (inbox, and mail by their preference), in their language;
  ``NotificationChannel`` — the base class of a way of telling them (hook
  ``notification_channels``: SMS, a work-messaging app).
"""

from __future__ import annotations

import sys
from typing import Any

from flask import current_app, g, has_app_context
from flask_babel import force_locale, ngettext
from flask_babel.speaklater import LazyString
from markupsafe import Markup, escape

from core.audit import log as audit_log
from core.catalogue.labels import cadence as cadence_label
from core.cliutil import operation
from core.db import Base, CountyKey, UTCDateTime, session, utcnow
from core.errors import Forbidden, NotFound, Problem, UserError
from core.feedback.models import OPEN_STATES as FEEDBACK_OPEN_STATES
from core.feedback.models import FeedbackEntry
from core.hookspecs import hookimpl
from core.i18n import LazyText, lazily, localised, plugin_gettext
from core.items.models import Item
from core.jobs import enqueue
from core.migrations.county_key import add_county_key, drop_county_key
from core.notifications.channels import Channel as NotificationChannel
from core.outbound import AddressRefused, OutboundError, url_allowed
from core.outbound import request as http_request
from core.permissions import may
from core.permissions import register as register_action
from core.sso.providers import SigninError, SigninProvider
from core.text import ascii_int, clean
from core.themes import render
from core.web import require_sign_in
from core.workflow.engine import SYSTEM
from tenants.hierarchy import ancestors, children, subtree
from tenants.models import Membership, Organisation, User
from tenants.operations import create_organisation, create_user, get_org, grant_membership


def _caller() -> str | None:
    """The module that called the function that calls this one (a plugin's, usually)."""
    return sys._getframe(2).f_globals.get("__name__")


def gettext(string: str, **variables) -> str:
    """Translate ``string`` now, with the calling plugin's own domain first (in a command or a
    job too, where no organisation of a page puts it first: :func:`core.i18n.plugin_gettext`)."""
    return plugin_gettext(_caller(), string, **variables)


def lazy_gettext(string: str, **variables) -> LazyText:
    """A translation made when it is read, with the calling plugin's domain first (module-level
    text, refusals); escaped on pages like any text (:class:`core.i18n.LazyText`)."""
    return LazyText(plugin_gettext, _caller(), string, **variables)


_ = gettext
_l = lazy_gettext


def current_org() -> Organisation | None:
    """The organisation of the current request (routes with ``<org_code>``) or job."""
    return g.get("org")


def require(action: str, obj: Any = None) -> Organisation | None:
    """In a view: 403 unless the signed-in user may do ``action`` to ``obj`` (default: the
    request's organisation); returns the request's organisation."""
    from core import web

    web.require(action, obj if obj is not None else current_org())
    return current_org()


def object_or_404(model: type, ident: Any, **owner: Any) -> Any:
    """In a view: the row ``ident`` of ``model`` (one of your models, with an ``org_id``) if it
    belongs to the request's organisation, or to the ``owner`` given as attribute values; else
    404."""
    from core import web

    return web.object_or_404(model, ident, **owner)


def local_zone(org: Organisation | None = None):
    """The time zone of ``org`` (its own, else Beijing: also the official calendar's)."""
    from core import localtime

    return localtime.zone(org)


def local_date(moment, org: Organisation | None = None):
    """The date of ``moment`` (an aware datetime) in ``org``'s time zone (default: Beijing)."""
    from core import localtime

    return localtime.date_of(moment, org)


def is_enabled(org: Organisation, name: str) -> bool:
    """Whether ``org`` enables the plugin ``name`` (sector defaults and its settings)."""
    return current_app.extensions["gongkai.plugins"].is_enabled(org, name)


def catalogue_tree(version):
    """The categories of a catalogue version, nested, each with its entries (``CategoryNode``s:
    ``category``, ``children``, ``entries``)."""
    from core.catalogue import operations

    return operations.tree(version)


def define_param(key: str, kind: str, default: Any, label, **kwargs):
    """Define a parameter (``<plugin>.<name>``; kinds ``int``, ``bool`` ...) that organisations
    may set and that their subtree inherits (``gongkai params set``). Call it at import time."""
    from core.params.registry import define

    return define(key, kind, default, label, **kwargs)


def param_value(org: Organisation, key: str) -> Any:
    """The value of the parameter ``key`` for ``org`` (its own, inherited, or the default)."""
    from core.params.operations import value

    return value(org, key)


def set_param(org: Organisation, key: str, value: Any, *, actor=None) -> Any:
    """Set ``key`` for ``org`` (audited); ``UserError`` if invalid or locked above."""
    from core.params import operations

    return operations.set_value(org, key, value, actor=actor).value


def clear_param(org: Organisation, key: str, *, actor=None) -> bool:
    """Remove ``org``'s own value of ``key`` (audited): it inherits again."""
    from core.params import operations

    return operations.clear_value(org, key, actor=actor)


def add_working_days(start, n: int):
    """The ``n``-th working day after the date ``start`` on the official calendar (a
    ``Deadline``: ``.due`` is the date); ``workday_today()`` is today in Beijing."""
    from core.workdays import operations

    return operations.add_working_days(start, n)


def workday_today():
    """Today's date in Beijing (the calendar of working-day deadlines)."""
    from core.workdays import operations

    return operations.today()


def _in_domain_of(plugin: str, text) -> str:
    """``text`` (a lazy string) translated with the plugin's domain first."""
    if not has_app_context():
        return str(text)
    from core.i18n import as_plugin

    with as_plugin(plugin):
        return str(text)


def register_notification_kind(name: str, label, title, *, body=None, default: str = "daily"):
    """Register a kind of notification of the plugin (``<plugin>.<what>``; call it at import
    time): ``label`` names it on the preferences page; ``title`` and ``body`` are lazy strings
    with ``%(name)s`` placeholders, rendered in each reader's language (the plugin's domain
    first); ``default`` is its e-mail channel unless the reader chose (``off``, ``immediate``,
    ``daily``)."""
    from core.notifications import kinds

    plugin = name.split(".", 1)[0]

    def own(text):
        return None if text is None else LazyString(_in_domain_of, plugin, text)

    return kinds.register(
        name, own(label), own(title), body=own(body), default=default, group="plugins"
    )


def notify(users, kind: str, *, org: Organisation, params=None, link=None, about=None, exclude=()):
    """Tell ``users`` about ``org`` with a notification of ``kind`` (registered with
    :func:`register_notification_kind`): in their inbox, and by mail as each one prefers, after
    the commit. ``params`` fill the kind's placeholders (``org`` is the organisation's name
    unless given; a lazy string becomes its text in every language); ``link`` is a path of the
    site; ``about`` an ``(object type, id)``; ``exclude`` users left out (the actor)."""
    from core.notifications import operations

    plugin = kind.split(".", 1)[0]
    values = {"org": operations.org_names(org)}
    for key, value in (params or {}).items():
        if isinstance(value, LazyString):
            value = operations.texts(LazyString(_in_domain_of, plugin, value))
        values[key] = value
    return operations.notify(
        users, kind, org=org, params=values, link=link, about=about, exclude=exclude
    )


def notice_board(org: Organisation) -> dict[str, Any]:
    """The notice board of ``org`` for a page of its own: ``board`` (what ``/o/<code>/board.pdf``
    prints — the portal's notices in their period and current items by catalogue category,
    public ones only: VIL-5, SCOPE-1), ``links`` (its date and PDFs) and what the template
    ``portal/_board.html`` (macro ``board_content``) needs; pass it to ``render``."""
    from core.portal import board

    return board.page_context(org)


def create_item(org: Organisation, data: dict[str, Any], *, actor, attachments=()) -> Item:
    """Draft a disclosure item of ``org`` (see ``core.items.operations.create``); it then goes
    through the normal workflow. ``actor`` is a user, or ``SYSTEM`` in jobs."""
    from core.items import operations

    return operations.create(org, data, actor=actor, attachments=attachments)


def item_step(item: Item, step: str, *, actor=SYSTEM, **inputs) -> Item:
    """Run a workflow step of an item as ``actor`` (``propose``, ``review``, ``approve``,
    ``schedule``, ``publish`` ...; see ``core.items.operations.STEPS``), with its inputs (e.g.
    ``reason="..."``); the workflow decides whether it may run (``UserError`` if not)."""
    from core.items import operations

    return operations.run_step(item, step, actor=actor, **inputs)


def catalogue_version(org: Organisation, which: str = "effective"):
    """The unit catalogue version of ``org`` that is ``effective`` (in force) or ``open`` (a
    draft or a submitted version not yet decided), or None."""
    from core.catalogue import operations

    if which not in ("effective", "open"):
        raise ValueError("which is 'effective' or 'open'")
    find = operations.effective_version if which == "effective" else operations.open_version
    return find(org)


def start_catalogue_draft(org: Organisation, *, actor):
    """Open a draft of ``org``'s catalogue (a copy of the one in force, else from the template)."""
    from core.catalogue import operations

    return operations.start_draft(org, actor=actor)


def catalogue_step(version, step: str, *, actor, comment: str | None = None):
    """Run a workflow step of a catalogue version (``submit``, ``approve``, ``return`` ...)."""
    from core.catalogue import operations

    return operations.transition(version, step, actor=actor, comment=comment)


__all__ = [
    "FEEDBACK_OPEN_STATES",
    "SYSTEM",
    "AddressRefused",
    "Base",
    "CountyKey",
    "FeedbackEntry",
    "Forbidden",
    "Item",
    "Markup",
    "Membership",
    "NotFound",
    "NotificationChannel",
    "Organisation",
    "OutboundError",
    "Problem",
    "SigninError",
    "SigninProvider",
    "UTCDateTime",
    "User",
    "UserError",
    "_",
    "_l",
    "add_county_key",
    "add_working_days",
    "ancestors",
    "ascii_int",
    "audit_log",
    "cadence_label",
    "catalogue_step",
    "catalogue_tree",
    "catalogue_version",
    "children",
    "clean",
    "clear_param",
    "create_item",
    "create_organisation",
    "create_user",
    "current_org",
    "define_param",
    "drop_county_key",
    "enqueue",
    "escape",
    "force_locale",
    "get_org",
    "gettext",
    "grant_membership",
    "hookimpl",
    "http_request",
    "is_enabled",
    "item_step",
    "lazily",
    "lazy_gettext",
    "local_date",
    "local_zone",
    "localised",
    "may",
    "ngettext",
    "notice_board",
    "notify",
    "object_or_404",
    "operation",
    "param_value",
    "register_action",
    "register_notification_kind",
    "render",
    "require",
    "require_sign_in",
    "session",
    "set_param",
    "start_catalogue_draft",
    "subtree",
    "url_allowed",
    "utcnow",
    "workday_today",
]
