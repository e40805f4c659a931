"""Campaign pages of the console (``/admin/o/<code>/campaigns...``, RPT-2).

* ``/campaigns`` — the campaigns the organisation runs, and those it takes part in;
* ``/campaigns/new``, ``/campaigns/<id>/edit`` — a draft's title, stages and units;
* ``/campaigns/<id>`` — for the superior that runs it: its steps (start, close), the progress of
  every unit in every stage, and a button per stage that reminds the units behind; for a unit that
  takes part: its stages and checklists, to mark each item done with its evidence;
* ``/campaigns/<id>/evidence/<file>`` — a file given as evidence.

Signed-in users only, with ``campaigns.view`` (the staff of the organisation and of its
superiors; else 403). A campaign is one the URL's organisation runs or takes part in (else 404).
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, g, redirect, request, url_for
from flask_babel import format_percent, gettext
from flask_login import current_user

from core import db, evidence, i18n, web
from core.campaigns import forms, reading
from core.campaigns import operations as ops
from core.campaigns import workflow as wf
from core.campaigns.models import Campaign, CampaignEvidence, CampaignStage
from core.errors import UserError
from core.i18n import _
from core.themes import render
from core.web import navigation
from core.web.forms import uploads
from core.workflow import allowed_transitions

bp = web.org_blueprint(
    "campaigns_admin", __name__, console=True, prefix="/campaigns", access="campaigns.view"
)

navigation.entry(
    "supervision", "campaigns", _("Campaigns"), "campaigns_admin.index",
    action="campaigns.view", order=40,
)  # fmt: skip
navigation.quick(
    "campaigns.new", _("New campaign"), "campaigns_admin.new",
    action="campaigns.manage", order=40,
    when=navigation.has_units_below,
)  # fmt: skip


def base_context() -> dict[str, Any]:
    return {
        "org": g.org,
        "locale": i18n.locale(),
        "cp": forms,
        "today": ops.today(g.org),
        "percent": lambda v: format_percent(v, "#,##0%"),
    }


def campaign_or_404(campaign_id: int) -> Campaign:
    return web.object_or_404(Campaign, campaign_id)


def taking_part_or_404(campaign_id: int) -> Campaign:
    """A started campaign the URL's unit takes part in (else 404)."""
    found = db.session.get(Campaign, campaign_id) if 0 < campaign_id < 2**31 else None
    if found is None or found.state == "draft" or not reading.takes_part(found, g.org):
        abort(404)
    return found


def stage_or_404(campaign: Campaign, stage_id: int) -> CampaignStage:
    return web.object_or_404(CampaignStage, stage_id, campaign_id=campaign.id)


@bp.route("")
def index():
    return render(
        "admin/campaigns.html",
        own=reading.campaigns_of(g.org),
        taking_part=reading.campaigns_including(g.org),
        may_manage=web.may("campaigns.manage"),
        has_units=bool(ops.candidate_units(g.org)),
        **base_context(),
    )


def form_page(form, campaign=None, *, status=200, errors=()):
    return render(
        "admin/campaign_form.html",
        form=form,
        campaign=campaign,
        errors=list(errors),
        **base_context(),
    ), status


def save(form, run, campaign=None):
    if not form.validate_on_submit():
        return form_page(form, campaign, status=400)
    try:
        result = run(form)
    except UserError as exc:
        return form_page(
            form, campaign, status=exc.status, errors=forms.attach(form, web.refusal(exc))
        )
    return result


@bp.route("/new", methods=["GET", "POST"])
def new():
    web.require("campaigns.manage")
    units = ops.candidate_units(g.org)
    if request.method == "GET":
        data = forms.CampaignForm.initial({}, {}, ops.default_stages(ops.today(g.org)), [], True)
        return form_page(forms.CampaignForm(data=data, candidates=units))

    def run(form):
        campaign = ops.create(g.org, form.to_data(), actor=current_user)
        flash(gettext("The campaign was saved as a draft."), "success")
        return redirect(url_for(".detail", campaign_id=campaign.id))

    return save(forms.CampaignForm(candidates=units), run)


@bp.route("/<int:campaign_id>/edit", methods=["GET", "POST"])
def edit(campaign_id: int):
    web.require("campaigns.manage")
    campaign = campaign_or_404(campaign_id)
    if campaign.state != "draft":
        flash(
            gettext("Only a draft campaign can be changed; a running one keeps its terms."), "info"
        )
        return redirect(url_for(".detail", campaign_id=campaign.id))
    units = ops.candidate_units(g.org)
    stages = reading.stages(campaign)
    if request.method == "GET":
        data = forms.CampaignForm.initial(
            campaign.titles,
            campaign.notes,
            [
                {"titles": s.titles, "deadline": s.deadline, "checklist": s.checklist}
                for s in stages
            ],
            [u.organisation.code for u in reading.units(campaign)],
        )
        return form_page(forms.CampaignForm(data=data, candidates=units), campaign)

    def run(form):
        changed = ops.update(
            campaign, form.to_data([s.item_keys() for s in stages]), actor=current_user
        )
        flash(
            gettext("The campaign was saved.") if changed else gettext("Nothing was changed."),
            "success" if changed else "info",
        )
        return redirect(url_for(".detail", campaign_id=campaign.id))

    return save(forms.CampaignForm(candidates=units), run, campaign)


def superior_page(campaign: Campaign, *, status=200, errors=()):
    steps = ops.history(campaign)
    return render(
        "admin/campaign_detail.html",
        campaign=campaign,
        stages=reading.stages(campaign),
        units=reading.units(campaign),
        cells=reading.progress(campaign),
        can={t.name for t in allowed_transitions(wf.campaign, campaign, actor=current_user)},
        may_manage=web.may("campaigns.manage"),
        steps=steps,
        names=web.display_names([s.actor_id for s in steps] + [campaign.created_by_id]),
        confirm=forms.ConfirmForm(),
        errors=list(errors),
        **base_context(),
    ), status


def unit_page(campaign: Campaign, *, status=200, errors=(), form=None, failed=None):
    return render(
        "admin/campaign_unit.html",
        campaign=campaign,
        stages=reading.stages(campaign),
        cells=reading.progress(campaign),
        checks=reading.checks(campaign, g.org),
        files=reading.evidence(campaign, g.org),
        may_progress=campaign.state == "running" and web.may("campaigns.progress"),
        check_form=form if form is not None else forms.CheckForm(formdata=None),
        failed=failed,
        errors=list(errors),
        **base_context(),
    ), status


@bp.route("/<int:campaign_id>")
def detail(campaign_id: int):
    own = reading.get(g.org, campaign_id)
    if own is not None:
        return superior_page(own)
    return unit_page(taking_part_or_404(campaign_id))


@bp.route("/<int:campaign_id>/<any(start, close):step>", methods=["POST"])
def step(campaign_id: int, step: str):
    campaign = campaign_or_404(campaign_id)
    web.require_step(wf.campaign, campaign, step)
    run = ops.start if step == "start" else ops.close
    done = (
        gettext("The campaign has started: its units were told.")
        if step == "start"
        else gettext("The campaign is closed.")
    )
    return web.form_step(
        forms.ConfirmForm(),
        lambda _f: run(campaign, actor=current_user),
        page=lambda **kw: superior_page(
            campaign, status=kw.get("status", 200), errors=kw.get("errors", ())
        ),
        done=done,
        to=url_for(".detail", campaign_id=campaign.id),
    )


@bp.route("/<int:campaign_id>/delete", methods=["POST"])
def delete(campaign_id: int):
    web.require("campaigns.manage")
    campaign = campaign_or_404(campaign_id)
    if not forms.ConfirmForm().validate_on_submit():
        abort(400)
    try:
        ops.delete_draft(campaign, actor=current_user)
    except UserError as exc:
        return superior_page(campaign, status=exc.status, errors=web.refusal(exc))
    flash(gettext("The draft campaign was removed."), "success")
    return redirect(url_for(".index"))


@bp.route("/<int:campaign_id>/stages/<int:stage_id>/remind", methods=["POST"])
def remind(campaign_id: int, stage_id: int):
    web.require("campaigns.manage")
    campaign = campaign_or_404(campaign_id)
    stage = stage_or_404(campaign, stage_id)
    if not forms.ConfirmForm().validate_on_submit():
        abort(400)
    try:
        units = ops.remind(campaign, stage, actor=current_user)
    except UserError as exc:
        return superior_page(campaign, status=exc.status, errors=web.refusal(exc))
    if units:
        flash(
            gettext(
                "%(n)s units were reminded of “%(stage)s”.",
                n=len(units),
                stage=stage.title(i18n.locale()),
            ),
            "success",
        )
    else:
        flash(gettext("Every unit has completed this stage: nobody to remind."), "info")
    return redirect(url_for(".detail", campaign_id=campaign.id))


@bp.route("/<int:campaign_id>/stages/<int:stage_id>/check", methods=["POST"])
def check(campaign_id: int, stage_id: int):
    campaign = taking_part_or_404(campaign_id)
    web.require("campaigns.progress")
    stage = stage_or_404(campaign, stage_id)
    form = forms.CheckForm()
    failed = f"{stage.id}:{form.item.data}"
    return web.form_step(
        form,
        lambda f: ops.check(
            campaign,
            stage,
            g.org,
            f.item.data,
            actor=current_user,
            note=f.note.data,
            files=uploads(f.files),
            taken_on=f.taken_on.data,
        ),
        page=lambda **kw: unit_page(
            campaign,
            status=kw.get("status", 200),
            errors=kw.get("errors", ()),
            form=form,
            failed=failed,
        ),
        done=gettext("The progress was saved."),
        to=url_for(".detail", campaign_id=campaign.id) + f"#stage-{stage.id}",
    )


@bp.route("/<int:campaign_id>/stages/<int:stage_id>/uncheck", methods=["POST"])
def uncheck(campaign_id: int, stage_id: int):
    campaign = taking_part_or_404(campaign_id)
    web.require("campaigns.progress")
    stage = stage_or_404(campaign, stage_id)
    form = forms.ItemForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        ops.uncheck(campaign, stage, g.org, form.item.data, actor=current_user)
    except UserError as exc:
        return unit_page(campaign, status=exc.status, errors=web.refusal(exc))
    flash(gettext("The mark was undone."), "success")
    return redirect(url_for(".detail", campaign_id=campaign.id) + f"#stage-{stage.id}")


@bp.route("/<int:campaign_id>/evidence/<int:evidence_id>")
def evidence_file(campaign_id: int, evidence_id: int):
    """A unit's own evidence under its code; the superior's reads any unit's under its own."""
    own = reading.get(g.org, campaign_id)
    if own is not None:
        row = web.object_or_404(CampaignEvidence, evidence_id, campaign_id=own.id)
    else:
        campaign = taking_part_or_404(campaign_id)
        row = web.object_or_404(
            CampaignEvidence, evidence_id, campaign_id=campaign.id, org_id=g.org.id
        )
    return evidence.response(row)
