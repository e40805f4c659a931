"""The platform console (``/admin/platform/...``): platform admins only (``platform.manage``;
everyone else 403, anonymous visitors the sign-in page).

* ``/`` — the hosted counties with their numbers of units and of people (one query), the
  accounts, the failed jobs, and the other pages;
* ``/counties/<code>`` — one county: its details, its tree, enable or disable it (a
  confirmation page; a county is disabled, never deleted);
* ``/users/`` — accounts by name, user name or e-mail (paginated); ``/users/<id>`` — one
  account: its roles across counties, deactivate or activate it, a one-time link to choose a new
  password, give it a role (revoking one is done on the unit's members page);
* ``/jobs/`` — job health: the queues (with ``REDIS_URL``), the outbox, the failed jobs, each
  with a retry button;
* ``/audit/`` — the audit log, searched by who, organisation, action, object and days, and
  exported as CSV or XLSX (:mod:`core.spreadsheets`).

The sign-in providers (``/admin/platform/sso``, :mod:`core.sso`) and the working-day calendar
(``/admin/platform/calendar``, :mod:`core.workdays`) are pages of the console too; every page
declares itself with :func:`core.web.navigation.platform`.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from flask import Response, abort, flash, redirect, request, url_for
from flask_babel import force_locale, gettext
from flask_login import current_user
from sqlalchemy import select

from core import db, localtime, spreadsheets, text, web
from core.errors import UserError
from core.i18n import _, locale
from core.platform import forms, reading
from core.platform import operations as ops
from core.themes import render
from core.web import audit as audit_words
from core.web import navigation
from tenants import hierarchy
from tenants import operations as tenants
from tenants.models import User

bp = web.platform_blueprint("platform_admin", __name__)
jobs_bp = web.platform_blueprint("platform_jobs", __name__, prefix="/jobs")
audit_bp = web.platform_blueprint("platform_audit", __name__, prefix="/audit")
users_bp = web.platform_blueprint("platform_users", __name__, prefix="/users")

navigation.platform("overview", _("Overview"), "platform_admin.index", order=10)
navigation.platform("users", _("Users"), "platform_users.index", order=20)
navigation.platform("jobs", _("Job health"), "platform_jobs.index", order=40)
navigation.platform("audit", _("Audit log"), "platform_audit.index", order=50)

USERS_PER_PAGE = 50
AUDIT_PER_PAGE = 50
AUDIT_EXPORT_MAX = 100_000


@bp.app_template_global("platform_navigation")
def platform_navigation() -> list[navigation.Link]:
    """The platform console's pages, for the side navigation of its layout: the page of this
    blueprint is the current one (a county's page is under the overview)."""
    here = (request.endpoint or "").split(".")[0]
    links = navigation.platform_links(current_user)
    if any(link.current for link in links):
        return links
    return [
        dataclasses.replace(link, current=link.key == CURRENT_BY_BLUEPRINT.get(here, here))
        for link in links
    ]


CURRENT_BY_BLUEPRINT = {"platform_admin": "overview", "platform_users": "users",
                        "platform_jobs": "jobs", "platform_audit": "audit",
                        "sso_admin": "sso", "workdays_admin": "calendar"}  # fmt: skip


def page_of(query, total: int, per_page: int) -> web.Page:
    """A page of a query whose rows are tuples (``web.paginate`` reads the first column)."""
    pages = max(1, math.ceil(total / per_page))
    number = web.page_number(pages)
    rows = [
        tuple(r) for r in db.session.execute(query.limit(per_page).offset((number - 1) * per_page))
    ]
    return web.Page(rows, number, pages, total, per_page)


# --- home and counties -----------------------------------------------------------------------


@bp.route("/")
def index():
    return render(
        "admin/platform_home.html",
        counties=reading.counties(),
        totals=reading.user_totals(),
        failed=reading.failed_count(),
        embedded=reading.jobs.embedded(),
        locale=locale(),
    )


def county_or_404(org_code: str):
    county = reading.county_by_code(org_code)
    if county is None:
        abort(404)
    return county


@bp.route("/counties/<org_code>")
def county(org_code: str):
    found = county_or_404(org_code)
    units = hierarchy.subtree(found, include_self=False)
    from core.sso import operations as sso

    return render(
        "admin/platform_county.html",
        county=found,
        tree=hierarchy.build_tree(units),
        units=len(units),
        disabled_units=sum(1 for u in units if not u.enabled),
        users=reading.county_users(found),
        providers=[p for p in sso.list_providers() if p.root_id == found.id],
        org_types=_org_types(),
        locale=locale(),
    )


def _org_types() -> dict[str, str]:
    from tenants import codelists

    return codelists.labels(codelists.ORG_TYPE, locale())


@bp.route("/counties/<org_code>/<any(disable, enable):change>", methods=["GET", "POST"])
def county_state(org_code: str, change: str):
    found = county_or_404(org_code)
    enable = change == "enable"
    form = forms.CountyStateForm()
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        status = 400
        if form.validate_on_submit():
            typed = (form.confirm_code.data or "").strip()
            if not enable and typed != found.code:
                form.confirm_code.errors = [
                    gettext("Type %(code)s to confirm.", code=found.code)
                ]  # fmt: skip
            else:
                try:
                    ops.set_county_enabled(found, enable, actor=current_user,
                                           reason=form.reason.data or "")  # fmt: skip
                except UserError as exc:
                    status, errors = exc.status, web.refusal(exc)
                else:
                    name = found.name(locale())
                    flash(
                        gettext("%(county)s is enabled: its portal and consoles are open again.",
                                county=name)
                        if enable
                        else gettext("%(county)s is disabled. Its data is kept; its pages are "
                                     "closed until it is enabled again.", county=name),
                        "success",
                    )  # fmt: skip
                    return redirect(url_for(".county", org_code=found.code))
    elif found.enabled == enable:
        return redirect(url_for(".county", org_code=found.code))
    return render(
        "admin/platform_county_state.html",
        county=found,
        enable=enable,
        form=form,
        errors=errors,
        units=len(hierarchy.subtree(found, include_self=False)),
        locale=locale(),
    ), status


# --- users -----------------------------------------------------------------------------------


def role_label(role: str | None) -> str:
    from core.members.forms import ROLE_LABELS

    return str(ROLE_LABELS.get(role, role or ""))


@users_bp.route("/", endpoint="index")
def users_page():
    form = forms.UserSearchForm(request.args)
    counties = reading.counties()
    form.county.choices = [("", gettext("All counties"))] + [
        (row.county.code, row.county.name(locale(), "short")) for row in counties
    ]
    if not form.validate():
        return render("admin/platform_users.html", form=form, page=None, args={},
                      locale=locale()), 400  # fmt: skip
    county = reading.county_by_code(form.county.data) if form.county.data else None
    query = reading.users_query(form.q.data or "", county)
    page = page_of(query, reading.count(query), USERS_PER_PAGE)
    args = {k: request.args[k] for k in ("q", "county") if request.args.get(k)}
    return render("admin/platform_users.html", form=form, page=page, args=args, locale=locale())


def user_or_404(user_id: int) -> User:
    found = db.session.get(User, user_id) if 0 < user_id <= text.DB_INT_MAX else None
    if found is None:
        abort(404)
    return found


def user_page(user: User, *, status: int = 200, grant_form=None, errors=(), new_link=None,
              state_form=None):  # fmt: skip
    from tenants.models import PasswordReset

    resets = list(
        db.session.scalars(
            select(PasswordReset)
            .where(PasswordReset.user_id == user.id)
            .order_by(PasswordReset.id.desc())
            .limit(5)
        )
    )
    held = reading.memberships(user)
    return render(
        "admin/platform_user.html",
        person=user,
        memberships=held,
        counties=reading.county_names(m.organisation.root_id or m.org_id for m in held),
        grant_form=grant_form or forms.GrantForm(prefix="grant"),
        state_form=state_form or forms.UserStateForm(prefix="state"),
        reset_form=forms.ConfirmForm(prefix="reset"),
        resets=resets,
        names=web.display_names(r.created_by_id for r in resets),
        new_link=new_link,
        errors=list(errors),
        role_label=role_label,
        own=user.id == current_user.id,
        locale=locale(),
    ), status


@users_bp.route("/<int:user_id>")
def user(user_id: int):
    return user_page(user_or_404(user_id))


@users_bp.route("/<int:user_id>/<any(deactivate, activate):change>", methods=["POST"])
def user_state(user_id: int, change: str):
    found = user_or_404(user_id)
    form = forms.UserStateForm(prefix="state")
    if not form.validate_on_submit():
        return user_page(found, status=400, state_form=form)
    try:
        tenants.set_user_active(found, change == "activate", actor=current_user,
                                reason=form.reason.data or "")  # fmt: skip
    except UserError as exc:
        return user_page(found, status=exc.status, state_form=form, errors=web.refusal(exc))
    name = found.display_name or found.username
    flash(
        gettext("%(person)s can sign in again.", person=name)
        if change == "activate"
        else gettext("%(person)s can no longer sign in; their roles and records are kept.",
                     person=name),
        "success",
    )  # fmt: skip
    return redirect(url_for(".user", user_id=found.id))


@users_bp.route("/<int:user_id>/password-link", methods=["POST"])
def password_link(user_id: int):
    found = user_or_404(user_id)
    form = forms.ConfirmForm(prefix="reset")
    if not form.validate_on_submit():
        abort(400)
    try:
        _reset, token = tenants.create_password_reset(found, actor=current_user)
    except UserError as exc:
        return user_page(found, status=exc.status, errors=web.refusal(exc))
    link = url_for("auth.password_reset", token=token, _external=True)
    return user_page(found, new_link=link)


@users_bp.route("/<int:user_id>/grant", methods=["POST"])
def grant(user_id: int):
    found = user_or_404(user_id)
    form = forms.GrantForm(prefix="grant")
    if not form.validate_on_submit():
        return user_page(found, status=400, grant_form=form)
    org = tenants.get_org((form.org_code.data or "").strip())
    if org is None:
        form.org_code.errors = [gettext("There is no organisation with this code.")]
        return user_page(found, status=404, grant_form=form)
    role = form.role.data
    name = found.display_name or found.username
    if any(m.org_id == org.id and m.role == role for m in reading.memberships(found)):
        flash(gettext("%(user)s already holds the role %(role)s.", user=name,
                      role=role_label(role)), "info")  # fmt: skip
    else:
        tenants.grant_membership(found, org, role, actor=current_user)
        flash(gettext("%(user)s now holds the role %(role)s in %(org)s.", user=name,
                      role=role_label(role), org=org.name(locale(), "short")),
              "success")  # fmt: skip
    return redirect(url_for(".user", user_id=found.id))


# --- job health --------------------------------------------------------------------------------


QUEUE_LABELS = {
    "default": _("Notifications and checks"),
    "mail": _("Mail"),
    "render": _("Files (exports, PDFs)"),
}
"""What each queue of core.jobs.QUEUES runs, in the reader's words (the code shown beside)."""


@jobs_bp.route("/", endpoint="index")
def jobs_page():
    health = reading.health()
    orgs = reading.county_names(
        [j.org_id for j in health.failed] + [e.org_id for e in health.outbox_failed]
    )
    return render(
        "admin/platform_jobs.html",
        health=health,
        orgs=orgs,
        retry_form=forms.RetryForm(formdata=None),
        queue_labels=QUEUE_LABELS,
        locale=locale(),
    )


@jobs_bp.route("/retry", methods=["POST"])
def retry():
    form = forms.RetryForm()
    if not form.validate_on_submit() or form.kind.data not in ("rq", "outbox"):
        abort(400)
    try:
        if form.kind.data == "rq":
            func = ops.retry_failed_job(form.queue.data or "", form.job.data, actor=current_user)
        else:
            typed = form.job.data
            entry_id = int(typed) if typed.isascii() and typed.isdigit() and len(typed) < 11 else 0
            func = ops.retry_outbox_entry(entry_id, actor=current_user).func
    except UserError as exc:
        flash(exc.message, "error")
        return redirect(url_for(".index")), exc.status
    flash(gettext("The job %(name)s was sent again.", name=func), "success")
    return redirect(url_for(".index"))


# --- the audit log -----------------------------------------------------------------------------


def audit_filter(form: forms.AuditSearchForm, errors: list[str]) -> reading.AuditFilter | None:
    """The filter the search form describes (None when the form is wrong: ``errors``)."""
    if not form.validate():
        return None
    found = reading.AuditFilter(
        actor=(form.actor.data or "").strip(),
        subtree=bool(form.subtree.data),
        action=(form.action.data or "").strip(),
        object_type=(form.object_type.data or "").strip(),
        object_id=(form.object_id.data or "").strip(),
        since=form.since.data,
        until=form.until.data,
    )
    code = (form.org.data or "").strip()
    if code:
        found.org = tenants.get_org(code)
        if found.org is None:
            form.org.errors = [gettext("There is no organisation with this code.")]
            errors.append(gettext("There is no organisation with this code."))
            return None
    return found


def audit_args() -> dict[str, Any]:
    """The search's query string (for the pages' and the export's links)."""
    keys = ("actor", "org", "subtree", "action", "object_type", "object_id", "since", "until")
    return {k: request.args[k] for k in keys if request.args.get(k)}


@audit_bp.route("/", endpoint="index")
def audit_page():
    form = forms.AuditSearchForm(request.args)
    errors: list[str] = []
    found = audit_filter(form, errors)
    if found is None:
        return render(
            "admin/platform_audit.html", form=form, page=None, names={}, args=audit_args(),
            filtered=True, locale=locale(), words=audit_words, object_names={}, superiors={},
        ), 400  # fmt: skip
    query = reading.audit_query(found)
    page = page_of(query, reading.count(query), AUDIT_PER_PAGE)
    return render(
        "admin/platform_audit.html",
        form=form,
        page=page,
        names=web.display_names(entry.actor_id for entry, _org in page.rows),
        args=audit_args(),
        filtered=found.active,
        locale=locale(),
        words=audit_words,
        object_names=audit_words.user_names(entry for entry, _org in page.rows),
        superiors=audit_words.superiors(entry for entry, _org in page.rows),
    )


def audit_table(query, loc: str) -> tuple[list[str], list[list[Any]]]:
    with force_locale(loc):
        header = [
            gettext("When"), gettext("Who"), gettext("User name"), gettext("Organisation"),
            gettext("Organisation code"), gettext("Action"), gettext("Action (code)"),
            gettext("Kind of object"), gettext("Kind of object (code)"), gettext("Object number"),
            gettext("Changes"), gettext("Address"),
        ]  # fmt: skip
    rows = reading.audit_rows(query, AUDIT_EXPORT_MAX)
    names = web.display_names(entry.actor_id for entry, _org in rows)
    zone = localtime.zone(None)
    superiors = audit_words.superiors(entry for entry, _org in rows)
    out = []
    with force_locale(loc):
        for entry, org in rows:
            changes = "; ".join(
                f"{c.label or c.key}: {c.text}"
                for c in audit_words.changes(entry, org, superiors, platform=True)
            )
            out.append([
                entry.at.astimezone(zone).replace(tzinfo=None),
                names.get(entry.actor_id, "") if entry.actor_id else "",
                entry.actor_label,
                org.name(loc, "short") if org else "",
                org.code if org else "",
                audit_words.action(entry.action),
                entry.action,
                audit_words.object_type(entry.object_type),
                entry.object_type,
                entry.object_id,
                changes,
                entry.ip or "",
            ])  # fmt: skip
    return header, out


@audit_bp.route("/export.<any(csv, xlsx):fmt>")
def export(fmt: str):
    form = forms.AuditSearchForm(request.args)
    found = audit_filter(form, [])
    if found is None:
        abort(400)
    query = reading.audit_query(found)
    total = reading.count(query)
    if total > AUDIT_EXPORT_MAX:
        flash(
            gettext("%(count)s entries match: narrow the search to at most %(max)s to export them.",
                    count=total, max=AUDIT_EXPORT_MAX),
            "error",
        )  # fmt: skip
        return redirect(url_for(".index", **audit_args()))
    loc = locale()
    header, rows = audit_table(query, loc)
    name = f"audit-{localtime.today().isoformat()}.{fmt}"
    if fmt == "csv":
        body: str | bytes = spreadsheets.csv_text(header, rows)
        mimetype = "text/csv; charset=utf-8"
    else:
        with force_locale(loc):
            title = gettext("Audit log")
        body = spreadsheets.xlsx_bytes(header, rows, sheet_title=title, title=title,
                                       rtl=loc == "ug")  # fmt: skip
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(
        body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )
