"""The plugins page of the unit console: ``/admin/o/<code>/plugins``.

Every installed plugin with its description, whether the organisation's sector enables it by
default, and the organisation's choice: enable, disable, or follow the sector default
(``plugins.manage``: admins of the organisation or of a superior). The latest changes are
listed from the audit log.
"""

from __future__ import annotations

from flask import abort, current_app, flash, g, redirect, request, url_for
from flask_babel import gettext
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField
from wtforms.validators import DataRequired, Length

from core import i18n, web
from core.errors import UserError
from core.i18n import _, localised
from core.plugins import operations
from core.themes import render
from core.web import navigation
from core.web.forms import choice

bp = web.org_blueprint("plugins_admin", __name__, console=True, access="plugins.manage")

navigation.entry("settings", "plugins", _("Plugins"), "plugins_admin.index",
                 action="plugins.manage", order=30)  # fmt: skip

CHOICE_LABELS = {
    "enabled": _("Enabled by this organisation"),
    "disabled": _("Disabled by this organisation"),
    "default": _("As the sector decides"),
}


class ChoiceForm(FlaskForm):
    plugin = HiddenField(validators=[DataRequired(), Length(max=100)])
    choice = SelectField(choices=[choice(c, c) for c in operations.CHOICES])


def history_text(entry) -> str:
    changes = entry.changes or {}
    name = (changes.get("plugin") or [None, ""])[-1]
    enabled = (changes.get("enabled") or [None, None])[-1]
    choice = (changes.get("choice") or [None, "default"])[-1]
    if choice == "default":
        return gettext(
            "%(plugin)s follows the sector default again (now %(state)s).",
            plugin=name,
            state=gettext("enabled") if enabled else gettext("disabled"),
        )
    if choice == "enabled":
        return gettext("%(plugin)s was enabled.", plugin=name)
    return gettext("%(plugin)s was disabled.", plugin=name)


@bp.route("/plugins", methods=["GET", "POST"])
def index():
    org = g.org
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        form = ChoiceForm()
        if not form.validate_on_submit():
            abort(400)
        try:
            changed = operations.set_choice(
                org, form.plugin.data, form.choice.data, actor=current_user
            )
        except UserError as exc:
            errors, status = web.refusal(exc), exc.status
        else:
            if changed:
                flash(gettext("The plugin settings were saved."), "success")
            else:
                flash(gettext("Nothing was changed."), "info")
            return redirect(url_for(".index"))
    sectors = current_app.extensions["gongkai.plugins"].sectors()
    locale = i18n.locale()
    return render(
        "admin/plugins.html",
        org=org,
        locale=locale,
        states=operations.states(org),
        history=operations.history(org),
        history_text=history_text,
        sector=localised(sectors.get(org.sector), locale) or org.sector,
        choice_labels=CHOICE_LABELS,
        form=ChoiceForm(formdata=None),
        errors=errors,
    ), status
