"""The channels page of a county's console (``/admin/o/<county>/channels``): the county's own
channels of disclosure — list, add, edit, retire (or offer again), delete one nothing chose —
beside the channels every unit has (the code list's and the plugins').

Who: ``channels.manage`` (the county's admins, platform admins); 404 in any other
organisation's console.
"""

from __future__ import annotations

from flask import abort, flash, g, redirect, request, url_for
from flask_babel import gettext
from flask_login import current_user

from core import web
from core.catalogue import county_channels as ops
from core.catalogue.channels import CHANNEL_LIST, plugin_channels
from core.catalogue.labels import AUDIENCES
from core.catalogue.models import CountyChannel
from core.channels import forms
from core.errors import UserError
from core.i18n import _, locale
from core.themes import render
from core.web import navigation
from core.web.forms import ConfirmForm, attach_problems
from tenants import codelists

bp = web.org_blueprint(
    "channels_admin", __name__, console=True, prefix="/channels", access="channels.manage"
)

navigation.entry(
    "settings", "channels", _("Channels"), "channels_admin.index", action="channels.manage",
    order=35, when=ops.is_county, match=("channels_admin.new", "channels_admin.edit"),
)  # fmt: skip


@bp.before_request
def county_only():
    if not ops.is_county(g.org):
        abort(404)


def attach(form, problems):
    return attach_problems(form, problems, localised={"label": "label"})


def list_page(*, status: int = 200, errors=()):
    loc = locale()
    everywhere = [
        (e.label(loc), (e.attributes or {}).get("audience", "both"))
        for e in codelists.entries(CHANNEL_LIST)
    ]
    everywhere += [(c.label(loc), c.attributes["audience"]) for c in plugin_channels(g.org)]
    return render(
        "admin/channels.html",
        org=g.org,
        locale=loc,
        rows=ops.channels_of(g.org),
        everywhere=everywhere,
        audiences=AUDIENCES,
        confirm=ConfirmForm(),
        errors=list(errors),
    ), status


def form_page(form: forms.ChannelForm, channel: CountyChannel | None, *, status=200, errors=()):
    return render(
        "admin/channel_form.html",
        org=g.org,
        locale=locale(),
        form=form,
        channel=channel,
        errors=list(errors),
    ), status


@bp.get("")
def index():
    return list_page()


@bp.route("/new", methods=["GET", "POST"])
def new():
    if request.method == "GET":
        return form_page(forms.ChannelForm(data={"audience": "both"}), None)
    return web.form_step(
        forms.ChannelForm(),
        lambda f: ops.add(g.org, f.to_data(), actor=current_user),
        page=lambda **kw: form_page(kw.pop("form"), None, **kw),
        done=lambda c: gettext("The channel “%(name)s” was added.", name=c.label(locale())),
        to=url_for(".index"),
        attach=attach,
    )


@bp.route("/<int:channel_id>/edit", methods=["GET", "POST"])
def edit(channel_id: int):
    channel = web.object_or_404(CountyChannel, channel_id)
    if request.method == "GET":
        return form_page(
            forms.ChannelForm(data=forms.ChannelForm.initial(channel), channel=channel), channel
        )
    return web.form_step(
        forms.ChannelForm(channel=channel),
        lambda f: ops.update(channel, f.to_data(), actor=current_user),
        page=lambda **kw: form_page(kw.pop("form"), channel, **kw),
        done=lambda changed: (
            gettext("The channel was saved.") if changed else gettext("Nothing was changed.")
        ),
        to=url_for(".index"),
        attach=attach,
    )


@bp.post("/<int:channel_id>/<any(retire, reactivate):step>")
def activity(channel_id: int, step: str):
    channel = web.object_or_404(CountyChannel, channel_id)
    return web.form_step(
        ConfirmForm(),
        lambda _f: ops.set_active(channel, step == "reactivate", actor=current_user),
        page=lambda **kw: list_page(status=kw.get("status", 400), errors=kw.get("errors", ())),
        done=(
            gettext("“%(name)s” is offered again.", name=channel.label(locale()))
            if step == "reactivate"
            else gettext(
                "“%(name)s” is retired: it stays where it was chosen and is no longer offered.",
                name=channel.label(locale()),
            )
        ),
        to=url_for(".index"),
    )


@bp.post("/<int:channel_id>/delete")
def delete(channel_id: int):
    channel = web.object_or_404(CountyChannel, channel_id)
    name = channel.label(locale())
    form = ConfirmForm()
    if not form.validate_on_submit():
        return list_page(status=400)
    try:
        ops.delete(channel, actor=current_user)
    except UserError as exc:
        return list_page(status=exc.status, errors=web.refusal(exc))
    flash(gettext("The channel “%(name)s” was deleted.", name=name), "success")
    return redirect(url_for(".index"))
