"""The appearance pages of the unit console: the theme (``/admin/o/<code>/appearance``) and, for
a county, its branding (``/admin/o/<code>/appearance/branding``: display name, emblem, colours).

Who: ``appearance.manage`` (the unit's admins, its superiors' admins, platform admins) for the
theme; ``appearance.brand`` (the county's own admins, platform admins) for the branding, which
only a county has (404 for a unit below).
"""

from __future__ import annotations

from flask import abort, flash, g, redirect, request, url_for
from flask_babel import gettext
from flask_login import current_user

from core import web
from core.appearance import branding, operations
from core.appearance.forms import BrandingForm, ThemeForm
from core.i18n import _, locale
from core.themes import render
from core.web import navigation
from core.web.forms import ConfirmForm, texts

bp = web.org_blueprint("appearance_admin", __name__, console=True, access="appearance.manage")

navigation.entry("settings", "appearance", _("Appearance"), "appearance_admin.index",
                 action="appearance.manage", order=40)  # fmt: skip
navigation.entry("settings", "branding", _("County branding"), "appearance_admin.branding_index",
                 action="appearance.brand", order=41, when=lambda org: org.is_root)  # fmt: skip


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
        may_brand=g.org.is_root and web.may("appearance.brand"),
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


# --- the county's branding ------------------------------------------------------------------


def county_only() -> None:
    """404 below the county (the branding is the county's, inherited by its units); 403 for
    anyone but its admins."""
    if not g.org.is_root:
        abort(404)
    web.require("appearance.brand")


def branding_page(form: BrandingForm | None = None, *, status: int = 200, errors=()):
    row = branding.of(g.org)
    if form is None:
        names = dict(row.display_names) if row else {}
        form = BrandingForm(
            data={
                "display_name_zh_Hans_CN": names.get("zh_Hans_CN")
                or g.org.name("zh_Hans_CN", "short"),
                "display_name_en": names.get("en", ""),
                "display_name_ug": names.get("ug", ""),
                "primary": row.primary_colour if row else "",
                "accent": row.accent_colour if row else "",
            }
        )
    return render(
        "admin/branding.html",
        org=g.org,
        locale=locale(),
        form=form,
        row=row,
        confirm=ConfirmForm(),
        errors=list(errors),
    ), status


@bp.route("/appearance/branding", methods=["GET", "POST"])
def branding_index():
    county_only()
    if request.method == "GET":
        return branding_page()
    form = BrandingForm()
    return web.form_step(
        form,
        lambda f: branding.save(
            g.org,
            names=texts(f, "display_name"),
            primary=f.primary.data,
            accent=f.accent.data,
            emblem=f.upload(),
            actor=current_user,
        ),
        page=branding_page,
        done=lambda changed: (
            gettext("The branding was saved.") if changed else gettext("The branding is unchanged.")
        ),
        to=url_for(".branding_index"),
    )


@bp.route("/appearance/branding/emblem/remove", methods=["POST"])
def remove_emblem():
    county_only()
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if branding.remove_emblem(g.org, actor=current_user):
        flash(gettext("The emblem was removed."), "success")
    return redirect(url_for(".branding_index"))


@bp.route("/appearance/branding/colours/reset", methods=["POST"])
def reset_colours():
    county_only()
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if branding.reset_colours(g.org, actor=current_user):
        flash(gettext("The pages use the theme's colours again."), "success")
    return redirect(url_for(".branding_index"))
