"""The parameters page of the unit console (``/admin/o/<code>/parameters``): every policy
parameter with its value and where the value comes from (the organisation itself, an ancestor, or
the default); its admins set, lock or clear the organisation's own value.

``parameters.view``: the staff of the unit and of its superiors; ``parameters.edit``: the unit's
admins (:mod:`core.params.registry`). A refused value comes back under its parameter with what
was typed, and a 4xx status.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, g, redirect, request, url_for
from flask_babel import gettext
from flask_login import current_user

from core import web
from core.errors import UserError
from core.i18n import _, locale, yes_no
from core.params import forms, registry
from core.params import operations as params
from core.themes import render
from core.web import navigation

bp = web.org_blueprint("params_admin", __name__, console=True, access="parameters.view")

navigation.entry("settings", "parameters", _("Parameters"), "params_admin.parameters",
                 action="parameters.view", order=20)  # fmt: skip


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
        rows=parameter_rows(errors, kept),
        may_edit=web.may("parameters.edit"),
        locale=locale(),
    ), status
