"""The appearance page of the unit console (``/admin/o/<code>/appearance``): the theme.

Who: ``appearance.manage`` (the unit's admins, its superiors' admins, platform admins).
"""

from __future__ import annotations

from flask import g, request, url_for
from flask_babel import gettext
from flask_login import current_user

from core import web
from core.appearance import operations
from core.appearance.forms import ThemeForm
from core.i18n import _, locale
from core.themes import render
from core.web import navigation

bp = web.org_blueprint("appearance_admin", __name__, console=True, access="appearance.manage")

navigation.entry("settings", "appearance", _("Appearance"), "appearance_admin.index",
                 action="appearance.manage", order=40)  # fmt: skip


def page(form: ThemeForm, *, status: int = 200, errors=()):
    offered = operations.offered()
    form.set_themes(offered)
    return render(
        "admin/appearance.html",
        org=g.org,
        locale=locale(),
        form=form,
        offered=offered,
        errors=list(errors),
    ), status


@bp.route("/appearance", methods=["GET", "POST"])
def index():
    if request.method == "GET":
        return page(ThemeForm(data={"theme": g.org.theme or "base"}))
    form = ThemeForm()
    form.set_themes(operations.offered())
    return web.form_step(
        form,
        lambda f: operations.choose_theme(g.org, f.theme.data, actor=current_user),
        page=page,
        done=lambda changed: (
            gettext("The theme was changed.") if changed else gettext("The theme is unchanged.")
        ),
        to=url_for(".index"),
    )
