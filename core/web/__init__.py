"""The shared web layer: what every page of the console and the portal stands on.

An area declares what differs; what every area would otherwise write again lives here, once.

**Organisation blueprints.** ``org_blueprint(name, __name__, console=True)`` serves
``/admin/o/<code>/...`` (the console) and ``console=False`` serves ``/o/<code>/...`` (the portal).
The organisation of the URL is ``g.org`` (404 for an unknown or disabled one, see
:mod:`tenants.resolution`) and links within its pages keep its code. A console blueprint sends
anonymous visitors to the sign-in page; with ``access="items.view_console"`` every page of it
also needs that action (else 403). A public blueprint only resolves the organisation.

``platform_blueprint(name, __name__, prefix="/calendar")`` serves the platform console
(``/admin/platform/...``), for platform admins only.

**Access.** ``may(action, obj=None)`` and ``require(action, obj=None)`` (403) ask
:func:`core.permissions.may` for the signed-in user on ``obj``, by default the page's
organisation. Templates get ``console_may(action)``.

``require_step(workflow, obj, *steps)`` answers 403 unless the user may start one of the steps
(the workflow engine decides; the operation's run reuses that decision).

**This object of this organisation, or 404.** ``object_or_404(Item, item_id)`` loads a row and
answers 404 unless it belongs to ``g.org`` (or to the owner given: ``object_or_404(Entry, id,
version_id=version.id)``); an id beyond the database's integer range is a 404 too.

**A workflow step from a posted form.** ``form_step(form, run, page=..., done=..., to=...)``
validates the form, calls the operation, flashes ``done`` and redirects to ``to``; on invalid
input or a refusal (:class:`core.errors.UserError`) it renders ``page`` again with the user's
input kept, the refusal's lines (those that name a field go under it) and a 4xx status. Whether
the step may run is the operation's business (the workflow engine decides it, once).

**Paging.** ``paginate(query, per_page)`` → :class:`Page` (the page asked for with ``?page=``,
clamped; one count and one page query); the template macro ``pager`` (``_web.html``) links the
pages.

**The organisation's local time, in the reader's language.** ``when(moment)`` and ``day(value)``
(also template globals); the zone comes from :mod:`core.localtime`.

**Form fields** shared by the areas' forms are in :mod:`core.web.forms`.

**The console's registries.** The side navigation and the quick actions of an organisation's
console (:mod:`core.web.navigation`), the groups of My work (:mod:`core.web.work`) and the
sections of an organisation's status panel (:mod:`core.web.status`) are declared by the areas;
the console pages (:mod:`core.console`) show them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, g, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import Select, func, select

from core import db, localtime, permissions, text
from core.errors import UserError
from core.i18n import _, format_day, format_moment, locale
from tenants import resolution
from tenants.models import User

CONSOLE_PREFIX = "/admin/o/<org_code>"
PORTAL_PREFIX = "/o/<org_code>"
PLATFORM_PREFIX = "/admin/platform"


# --- organisation blueprints and access ------------------------------------------------------


def require_sign_in():
    """``before_request`` of a console blueprint: anonymous visitors go to the sign-in page."""
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    return None


def org_blueprint(
    name: str, import_name: str, *, console: bool, prefix: str = "", access: str | None = None
) -> Blueprint:
    """A blueprint of one organisation's pages: ``/admin/o/<code><prefix>`` (``console``) or
    ``/o/<code><prefix>``; ``access``: an action every page of a console blueprint needs."""
    bp = Blueprint(
        name, import_name, url_prefix=(CONSOLE_PREFIX if console else PORTAL_PREFIX) + prefix
    )
    bp.url_value_preprocessor(resolution.pull_org)
    bp.url_defaults(resolution.add_org_code)
    if console:
        bp.before_request(require_sign_in)
        if access is not None:
            bp.before_request(lambda: require(access))
    elif access is not None:
        raise ValueError("access applies to console blueprints (public pages decide per object)")
    return bp


def platform_blueprint(name: str, import_name: str, *, prefix: str = "") -> Blueprint:
    """A blueprint of the platform console, ``/admin/platform<prefix>``: signed-in platform
    admins only (``platform.manage``; others 403, anonymous visitors the sign-in page)."""
    bp = Blueprint(name, import_name, url_prefix=PLATFORM_PREFIX + prefix)
    bp.before_request(require_sign_in)

    @bp.before_request
    def require_platform_admin():
        if not permissions.may(current_user, "platform.manage", None):
            abort(403)

    return bp


def may(action: str, obj: Any = None) -> bool:
    """May the signed-in user do ``action`` to ``obj`` (default: the page's organisation)?"""
    return permissions.may(current_user, action, g.org if obj is None else obj)


def require(action: str, obj: Any = None) -> None:
    """403 unless the signed-in user may do ``action`` to ``obj`` (default: the organisation)."""
    if not may(action, obj):
        abort(403)


def require_step(workflow, obj, *names: str) -> None:
    """403 unless the signed-in user may start one of the steps ``names`` of ``workflow`` on
    ``obj`` (the workflow engine decides, once per request: :func:`core.workflow.may_start`); a
    step refused for the object's state or inputs is explained by the operation instead."""
    from core.workflow import may_start

    if not any(may_start(workflow, obj, name, actor=current_user) for name in names):
        abort(403)


def console_may(action: str) -> bool:
    """For templates: may the signed-in user do ``action`` in the page's organisation?"""
    org = g.get("org")
    return org is not None and permissions.may(current_user, action, org)


def object_or_404(model: type, ident: Any, **owner: Any) -> Any:
    """The row ``ident`` of ``model`` if it belongs to the page's organisation (``org_id``), or to
    the ``owner`` given as attribute values; else 404."""
    # an id larger than the database holds is a 404 too, not a database error
    if not isinstance(ident, int) or not 0 < ident <= text.DB_INT_MAX:
        abort(404)
    found = db.session.get(model, ident)
    if not owner:
        owner = {"org_id": g.org.id}
    if found is None or any(getattr(found, k) != v for k, v in owner.items()):
        abort(404)
    return found


# --- a workflow step from a posted form -------------------------------------------------------


def refusal(exc: UserError) -> list:
    """The lines a refused operation shows: its message (as text in the reader's language) and
    every problem (:func:`core.web.forms.attach_problems` places those that name a field)."""
    return [str(exc.message), *exc.problems]


def form_step(
    form,
    run: Callable[[Any], Any],
    *,
    page: Callable[..., Any],
    done: str | Callable[[Any], str],
    to: str | Callable[[Any], str],
    name: str = "form",
    failed: str | None = None,
    attach: Callable[[Any, list[str]], list[str]] | None = None,
    code: int = 302,
):
    """Run one step of a page from a posted ``form``.

    ``run(form)`` calls the operation. On success: flash ``done`` and redirect to ``to`` (each a
    value, or a function of what ``run`` returned). On invalid input (400) or a refusal (its
    status): ``page(status=..., errors=..., **{name: form})`` renders the page again, with
    ``failed`` (which form of the page failed) when given; the refusal's lines that name a field
    go under it (``attach``, default :func:`core.web.forms.attach_problems`).
    """
    from core.web.forms import attach_problems

    extra: dict[str, Any] = {name: form}
    if failed is not None:
        extra["failed"] = failed
    if not form.validate_on_submit():
        return page(status=400, **extra)
    try:
        result = run(form)
    except UserError as exc:
        errors = (attach or attach_problems)(form, refusal(exc))
        return page(status=exc.status, errors=errors, **extra)
    flash(done(result) if callable(done) else done, "success")
    return redirect(to(result) if callable(to) else to, code=code)


# --- paging ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    """One page of a list: its ``rows``, its ``number`` (from 1), how many ``pages`` and rows."""

    rows: list
    number: int
    pages: int
    total: int
    per_page: int


def page_number(pages: int, arg: str = "page") -> int:
    """The page asked for (``?page=``), clamped to ``1..pages``."""
    asked = request.args.get(arg, 1, type=text.db_int) or 1
    return min(max(asked, 1), max(pages, 1))


def paginate(query: Select, per_page: int, *, total: int | None = None) -> Page:
    """The page of ``query`` (already ordered) asked for: a count (unless ``total`` is known) and
    one page query."""
    if total is None:
        total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    pages = max(1, math.ceil(total / per_page))
    number = page_number(pages)
    rows = list(db.session.scalars(query.limit(per_page).offset((number - 1) * per_page)))
    return Page(rows, number, pages, total, per_page)


# --- the organisation's local time, in the reader's language --------------------------------


def year_arg(arg: str = "year") -> int:
    """The year asked for (``?year=``, 2000 to 2100), else this year in the page's organisation."""
    this_year = localtime.today(g.get("org")).year
    year = request.args.get(arg, this_year, type=text.db_int)
    return year if year is not None and 2000 <= year <= 2100 else this_year


def when(moment: datetime | None, fmt: str = "short", org: Any = None) -> str:
    """A stored (UTC) moment in ``org``'s time zone (default: the page's organisation), in the
    reader's language; "" for None."""
    if moment is None:
        return ""
    zone = localtime.zone(org if org is not None else g.get("org"))
    return format_moment(moment, fmt, zone.key, locale())


def day(value: date | datetime | None, fmt: str = "medium", org: Any = None) -> str:
    """A date (or a moment's date in ``org``'s zone) in the reader's language; "" for None."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = localtime.date_of(value, org if org is not None else g.get("org"))
    return format_day(value, fmt, locale())


def safe_target(target: str | None) -> str | None:
    """``target`` if it is a same-site relative path, else None (only those are followed after
    sign-in)."""
    if target:
        parts = urlsplit(target)
        if (
            not parts.scheme
            and not parts.netloc
            and target.startswith("/")
            and not target.startswith("//")
            and "\\" not in target
        ):
            return target
    return None


def safe_next(target: str | None) -> str:
    """Only same-site relative paths are followed after sign-in (else the home page)."""
    return safe_target(target) or url_for("core.home")


def landing(user, next_url: str | None = None, back: str | None = None) -> str:
    """Where sign-in lands: the page that asked for it (``next``: a console page, a link from
    a notification …); else My work, for anyone with a role (a platform admin, or a member of
    an organisation); else the page the person came from (``back``); else the home page. Only
    same-site paths are followed."""
    target = safe_target(next_url)
    if target is not None:
        return target
    if getattr(user, "is_platform_admin", False) or permissions.roles_by_org(user):
        return url_for("console.my_work")
    return safe_target(back) or url_for("core.home")


def display_names(ids) -> dict[int, str]:
    """``{user id: display name}`` of the given ids (one query)."""
    ids = {i for i in ids if i}
    if not ids:
        return {}
    users = db.session.scalars(select(User).where(User.id.in_(ids)))
    return {u.id: u.display_name or u.username for u in users}


SYSTEM_ACTOR = _("the system (a scheduled job)")
"""How a page names the actor ``system`` of the audit log, the register and workflow steps."""


def who(label: str | None) -> str:
    """The name of whoever did something, as a page shows it: the actor recorded as ``system``
    (a scheduled job, a command) in words."""
    return str(SYSTEM_ACTOR) if label in (None, "", "system") else label


FILE_KINDS = {
    "application/pdf": "PDF",
    "image/png": "PNG",
    "image/jpeg": "JPEG",
    "image/gif": "GIF",
    "application/msword": "Word",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Word",
    "application/vnd.ms-excel": "Excel",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "Excel",
    "application/vnd.ms-powerpoint": "PowerPoint",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "PowerPoint",
    "application/vnd.ms-works": "WPS",
}


def file_kind(content_type: str | None) -> str:
    """What kind of file an attachment is, as people name it (PDF, Word …), not its media type
    (``application/pdf``); a type not listed: ``_("file")``."""
    kind = FILE_KINDS.get((content_type or "").split(";", 1)[0].strip().lower())
    if kind:
        return kind
    if "wps" in (content_type or "").lower():
        return "WPS"
    return str(_("file"))


def console_org():
    """For templates: the page's organisation (``g.org``)."""
    return g.get("org")


def init_app(app) -> None:
    """Template globals of every page: ``console_may``, ``when``, ``day``, ``who``,
    ``state_label(object_type, state)``, ``file_kind``, and those of the console layout:
    ``console_org``, ``console_navigation(org)``, ``console_crumbs(org)``."""
    from core.web import navigation
    from core.workflow import engine

    app.jinja_env.globals.update(
        console_may=console_may,
        when=when,
        day=day,
        who=who,
        state_label=engine.state_label,
        file_kind=file_kind,
        console_org=console_org,
        console_navigation=navigation.for_org,
        console_crumbs=navigation.crumbs,
    )
