"""The leading group in the organisation's settings (``/admin/o/<code>/leading-group``).

* ``/leading-group`` — the group in force, its versions (who, when, how, the note), a link to
  the portal where the public reads it (``leading_group.view``);
* ``/leading-group/edit`` — the form (``leading_group.edit``); saving makes a new version;
  the button "More rows" shows more blank rows without saving;
* ``/leading-group/versions/<number>`` — an earlier version, and what changed from the one
  before it.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, g, redirect, request, url_for
from flask_babel import gettext
from flask_login import current_user

from core import text, web
from core.errors import UserError
from core.i18n import _, locale
from core.leading_group.forms import MORE_ROWS, ROLE_LABELS, SOURCE_LABELS, LeadingGroupForm
from core.themes import render
from core.web import navigation
from tenants import leading_group as lg
from tenants import operations

bp = web.org_blueprint(
    "leading_group_admin", __name__, console=True, prefix="/leading-group",
    access="leading_group.view",
)  # fmt: skip

navigation.entry(
    "settings", "leading_group", _("Disclosure leading group"), "leading_group_admin.index",
    action="leading_group.view", order=15,
    match=("leading_group_admin.edit", "leading_group_admin.version"),
)  # fmt: skip


def common(**extra: Any) -> dict[str, Any]:
    return {
        "org": g.org,
        "locale": locale(),
        "labels": ROLE_LABELS,
        "source_labels": SOURCE_LABELS,
        "fields": lg.FIELDS,
        "person_roles": lg.PERSON_ROLES,
        "list_roles": lg.LIST_ROLES,
        "person_text": lg.person_text,
        "may_edit": web.may("leading_group.edit"),
        **extra,
    }


@bp.route("/")
def index():
    versions = operations.leading_group_versions(g.org)
    return render(
        "admin/leading_group.html",
        **common(
            group=g.org.leading_group or {},
            versions=versions,
            current=versions[0] if versions else None,
            names=web.display_names(v.created_by_id for v in versions),
        ),
    )


def edit_page(form: LeadingGroupForm, *, status: int = 200, errors=()):
    return render("admin/leading_group_form.html", **common(form=form, errors=list(errors))), status


@bp.route("/edit", methods=["GET", "POST"])
def edit():
    web.require("leading_group.edit")
    org = g.org
    if request.method == "GET":
        form = LeadingGroupForm(formdata=None)
        form.fill(org.leading_group or {})
        form.based_on.data = str(operations.latest_leading_group_number(org))
        return edit_page(form)
    form = LeadingGroupForm()
    more = request.form.get("more")
    if more is not None:  # more blank rows, nothing saved
        if more not in lg.LIST_ROLES:
            abort(400)
        form.validate()  # (shows what is wrong already; saves nothing)
        form.add_blank_rows({more: MORE_ROWS})
        return edit_page(form)
    if not form.validate_on_submit():
        form.add_blank_rows()
        return edit_page(form, status=400)
    try:
        based_on = int(form.based_on.data or "0")
    except ValueError:
        abort(400)
    try:
        version = operations.set_leading_group(
            org, form.group(), actor=current_user, source="console",
            note=form.note.data or "", based_on=based_on,
        )  # fmt: skip
    except UserError as exc:
        form.add_blank_rows()
        return edit_page(form, status=exc.status, errors=web.refusal(exc))
    if version is None:
        flash(gettext("Nothing changed."), "info")
    else:
        flash(
            gettext("The leading group is saved as version %(number)s. The portal shows it now.",
                    number=version.number),
            "success",
        )  # fmt: skip
    return redirect(url_for(".index"))


@bp.route("/versions/<int:number>")
def version(number: int):
    if not 0 < number <= text.DB_INT_MAX:
        abort(404)
    found = operations.leading_group_version(g.org, number)
    if found is None:
        abort(404)
    previous = operations.leading_group_version(g.org, number - 1) if number > 1 else None
    latest = operations.latest_leading_group_number(g.org)
    before = previous.content if previous else {}
    return render(
        "admin/leading_group_version.html",
        **common(
            version=found,
            previous=previous,
            latest=latest,
            group=found.content or {},
            changed=lg.changed_fields(before, found.content),
            before=before,
            names=web.display_names([found.created_by_id]),
        ),
    )
