"""The parameters page of the unit console (``/admin/o/<code>/parameters``): every policy
parameter with its value and where the value comes from (the organisation itself, an ancestor, or
the default); its admins set, lock or clear the organisation's own value.

``parameters.view``: the staff of the unit and of its superiors; ``parameters.edit``: the unit's
admins (:mod:`core.params.registry`). A refused value comes back under its parameter with what
was typed, and a 4xx status.
"""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, g, redirect, request, url_for
from flask_babel import gettext
from flask_login import current_user

from core import web
from core.errors import UserError
from core.i18n import _, as_plugin, locale, yes_no
from core.params import forms, registry
from core.params import operations as params
from core.themes import render
from core.web import navigation

bp = web.org_blueprint("params_admin", __name__, console=True, access="parameters.view")

navigation.entry("settings", "parameters", _("Parameters"), "params_admin.parameters",
                 action="parameters.view", order=20)  # fmt: skip


AREAS = {
    "catalogue": _("Catalogue"),
    "items": _("Publication"),
    "notice": _("Publication"),
    "scope": _("Publication"),
    "request": _("Disclosure requests"),
    "feedback": _("Feedback"),
    "evaluation": _("Member evaluation"),
    "filing": _("Filings with the superior"),
    "report": _("Reports"),
    "compliance": _("Compliance"),
    "supervision": _("Supervision"),
    "archive": _("Register"),
    "auth": _("Sign-in"),
}
"""The area of each parameter (its key's first part), in the order of the page; a plugin's
parameters form an area named by the plugin."""

LEVEL_TEXTS = {
    "unit": _("Each organisation may set it for itself and the units below it."),
    "county": _("Only the county committee sets it, for the whole county."),
}


def _label(param: registry.Parameter) -> str:
    """A parameter's label, a plugin's in the plugin's own words (whether or not this
    organisation enables the plugin)."""
    if param.area in AREAS:
        return str(param.label)
    with as_plugin(param.area):
        return str(param.label)


def _area(param: registry.Parameter) -> str:
    if param.area in AREAS:
        return str(AREAS[param.area])
    plugins = current_app.extensions.get("gongkai.plugins")
    with as_plugin(param.area):
        described = str(plugins.describe(param.area)) if plugins is not None else ""
    return described.split(":", 1)[0].split("：", 1)[0] or param.area


def parameter_groups(rows: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    """The rows grouped by area: core's areas in the order of :data:`AREAS`, then plugins'."""
    order = {str(label): n for n, label in enumerate(dict.fromkeys(map(str, AREAS.values())))}
    groups: dict[str, list] = {}
    for row in rows:
        groups.setdefault(row["area"], []).append(row)
    return sorted(groups.items(), key=lambda item: (order.get(item[0], len(order)), item[0]))


def parameter_rows(errors: dict[str, list[str]], kept: dict[str, dict]) -> list[dict[str, Any]]:
    org = g.org
    rows = []
    for resolved in params.all_for(org):
        param = registry.get(resolved.key)
        locked_above = (
            resolved.locked and resolved.source is not None and resolved.source.id != org.id
        )
        rows.append(
            {
                "param": param,
                "resolved": resolved,
                "shown": show_value(param, resolved.value),
                "own": resolved.source is not None and resolved.source.id == org.id,
                "locked_above": locked_above,
                "errors": errors.get(param.key, []),
                "kept": kept.get(param.key),
                "input": input_value(param, resolved.value),
                "id": param.key.replace(".", "-"),
                "label": _label(param),
                "area": _area(param),
                "who": LEVEL_TEXTS[param.level],
                "settable": params.may_set(org, param),
            }
        )
    return rows


def show_value(param: registry.Parameter, value: Any) -> str:
    if param.kind == "bool":
        return yes_no(value)
    if param.kind == "choice":
        return param.choice_label(value)
    if param.kind == "months":
        return ", ".join(str(m) for m in value)
    return str(value)


def input_value(param: registry.Parameter, value: Any) -> str:
    if param.kind == "bool":
        return "yes" if value else "no"
    if param.kind == "months":
        return ", ".join(str(m) for m in value)
    return str(value)


@bp.route("/parameters", methods=["GET", "POST"])
def parameters():
    status, errors, kept = 200, {}, {}
    if request.method == "POST":
        web.require("parameters.edit")
        form = forms.ParameterForm()
        clear = request.form.get("action") == "clear"
        if not form.validate_on_submit() or form.key.data not in registry.PARAMETERS:
            abort(400)
        key = form.key.data
        try:
            if clear:
                params.clear_value(g.org, key, actor=current_user)
            else:
                params.set_value(
                    g.org, key, form.value.data or "", locked=form.locked.data, actor=current_user
                )
        except UserError as exc:
            status = exc.status
            errors[key] = web.refusal(exc)
            kept[key] = {"value": form.value.data or "", "locked": form.locked.data}
        else:
            flash(
                gettext("The parameter was saved.")
                if not clear
                else gettext(
                    "The organisation's own value was removed; the inherited value applies."
                ),
                "success",
            )
            return redirect(url_for(".parameters") + f"#param-{key.replace('.', '-')}")
    return render(
        "admin/parameters.html",
        org=g.org,
        kind="unit",
        groups=parameter_groups(parameter_rows(errors, kept)),
        may_edit=web.may("parameters.edit"),
        locale=locale(),
    ), status
