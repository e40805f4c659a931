"""Member evaluation pages (评议, SUP-3).

* Console (``/admin/o/<code>/evaluations...``): the rounds the organisation opened — list, new
  round, a round with its units, participation and results, its edit form and its steps (open,
  close, publish, remove a draft), each confirmed on a page of its own — and, for an evaluated
  unit, its own results once a round closed. Signed-in users only (else the sign-in page), with
  ``evaluation.view_console`` (else 403); rounds are looked up inside the URL's organisation
  (else 404).
* Members (``/o/<unit>/evaluations/<id>/rate``): the secret ballot, once per round and unit, for
  the people on the unit's roll.
* Results (``/o/<superior>/evaluations/<id>``): a published round's tallies, in the scope the
  superior chose (:mod:`core.evaluation.visibility`); comments are never on it.

While a round is open its console shows the participation only: answers counted as they come in
would let someone who watches the count pair a vote with the voter who just voted.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import abort, current_app, flash, g, redirect, request, url_for
from flask_babel import format_percent, gettext
from flask_login import current_user
from sqlalchemy import or_, select

from core import db, i18n, permissions, web
from core.catalogue import labels
from core.errors import UserError
from core.evaluation import forms, visibility
from core.evaluation import operations as ops
from core.evaluation import workflow as wf
from core.evaluation.models import (
    ANSWERS,
    OPEN_STATES,
    OVERALL,
    RESULT_STATES,
    EvaluationRound,
    EvaluationUnit,
)
from core.i18n import _
from core.themes import render
from core.web import navigation
from core.workflow import allowed_transitions
from tenants import hierarchy

bp = web.org_blueprint("evaluation_admin", __name__, console=True)
portal = web.org_blueprint("evaluation", __name__, console=False)

navigation.entry(
    "participation", "evaluation", _("Member evaluation"), "evaluation_admin.index",
    action="evaluation.view_console", order=40,
    match=tuple(f"evaluation_admin.{n}" for n in ("detail", "new", "edit", "step")),
)  # fmt: skip
navigation.quick(
    "evaluation.new", _("New evaluation round"), "evaluation_admin.new",
    action="evaluation.manage", order=40,
)  # fmt: skip

STEPS = {
    "open": lambda r: ops.open_round(r, actor=current_user),
    "close": lambda r: ops.close(r, actor=current_user),
    "publish": lambda r: ops.publish(r, actor=current_user),
}
DONE = {
    "open": lambda: gettext("The round is open: the members of its units may rate now."),
    "close": lambda: gettext("The round is closed; its results are counted."),
    "publish": lambda: gettext("The results are published."),
}


# --- helpers ---------------------------------------------------------------------------------


require = web.require


def percent(value: float | None) -> str:
    if value is None:
        return "—"
    return format_percent(value, "#,##0.0%")


def base_context() -> dict[str, Any]:
    loc = i18n.locale()
    return {
        "org": g.org,
        "locale": loc,
        "labels": labels,
        "ev": forms,
        "answers": ANSWERS,
        "overall": OVERALL,
        "percent": percent,
    }


def round_or_404(round_id: int) -> EvaluationRound:
    return web.object_or_404(EvaluationRound, round_id)


def candidates():
    return ops.candidate_units(g.org)


# --- the console -----------------------------------------------------------------------------


@bp.route("/evaluations")
def index():
    require("evaluation.view_console")
    own = ops.rounds_of(g.org)
    counts = {}
    if own:
        rows = db.session.execute(
            select(EvaluationUnit.round_id, EvaluationUnit.id).where(
                EvaluationUnit.round_id.in_([r.id for r in own])
            )
        ).all()
        for round_id, _id in rows:
            counts[round_id] = counts.get(round_id, 0) + 1
    return render(
        "admin/evaluation.html",
        rounds=own,
        unit_counts=counts,
        evaluated=ops.rounds_including(g.org),
        may_manage=permissions.may(current_user, "evaluation.manage", g.org),
        has_units=bool(candidates()),
        **base_context(),
    )


def form_page(form, round_=None, *, status=200, errors=()):
    return render(
        "admin/evaluation_form.html",
        form=form,
        round=round_,
        errors=list(errors),
        **base_context(),
    ), status


@bp.route("/evaluations/new", methods=["GET", "POST"])
def new():
    require("evaluation.manage")
    units = candidates()
    if request.method == "GET":
        start = ops.today(g.org)
        data = forms.RoundForm.defaults(ops.default_criteria(), start, start + timedelta(days=14))
        form = forms.RoundForm(data=data, candidates=units)
        keys = [c["key"] for c in ops.default_criteria()]
    else:
        keys = [c["key"] for c in ops.default_criteria()]
        form = forms.RoundForm(candidates=units, criterion_keys=keys)
    status, errors = 200, []
    if form.validate_on_submit():
        try:
            round_ = ops.create(g.org, form.to_data(), actor=current_user)
        except UserError as exc:
            status, errors = exc.status, forms.attach_problems(form, web.refusal(exc))
        else:
            flash(gettext("The round was saved as a draft."), "success")
            return redirect(url_for(".detail", round_id=round_.id))
    elif request.method == "POST":
        status = 400
    return form_page(form, status=status, errors=errors)


@bp.route("/evaluations/<int:round_id>/edit", methods=["GET", "POST"])
def edit(round_id: int):
    require("evaluation.manage")
    round_ = round_or_404(round_id)
    if round_.state != "draft":
        flash(gettext("Only a draft round can be changed; an open round keeps its terms."), "info")
        return redirect(url_for(".detail", round_id=round_.id))
    units = candidates()
    keys = round_.criterion_keys()
    if request.method == "GET":
        codes = [u.organisation.code for u in ops.round_units(round_)]
        form = forms.RoundForm(
            data=forms.RoundForm.initial(round_, codes), candidates=units, criterion_keys=keys
        )
    else:
        form = forms.RoundForm(candidates=units, criterion_keys=keys)
    status, errors = 200, []
    if form.validate_on_submit():
        try:
            changed = ops.update(round_, form.to_data(), actor=current_user)
        except UserError as exc:
            status, errors = exc.status, forms.attach_problems(form, web.refusal(exc))
        else:
            flash(
                gettext("The round was saved.") if changed else gettext("Nothing was changed."),
                "success" if changed else "info",
            )
            return redirect(url_for(".detail", round_id=round_.id))
    elif request.method == "POST":
        status = 400
    return form_page(form, round_, status=status, errors=errors)


def detail_context(round_: EvaluationRound, **extra) -> dict[str, Any]:
    steps = ops.history(round_)
    results = ops.results(round_)
    context = base_context()
    context.update(
        round=round_,
        units=ops.round_units(round_),
        results=results,
        show_results=round_.state in RESULT_STATES,
        comments=(
            {r.unit.id: ops.comments(round_, r.unit) for r in results}
            if round_.state in RESULT_STATES
            else {}
        ),
        steps=steps,
        names=web.display_names([s.actor_id for s in steps] + [round_.created_by_id]),
        can={t.name for t in allowed_transitions(wf.evaluation, round_, actor=current_user)},
        may_manage=permissions.may(current_user, "evaluation.manage", g.org),
        accepting=ops.accepting(round_),
        today=ops.today(round_.organisation),
        errors=[],
    )
    context.update(extra)
    return context


@bp.route("/evaluations/<int:round_id>")
def detail(round_id: int):
    require("evaluation.view_console")  # before the lookup: a refusal says nothing
    round_ = ops.get(g.org, round_id)
    if round_ is not None:
        return render("admin/evaluation_detail.html", **detail_context(round_))
    # an evaluated unit's staff: the unit's own participation, and its results once closed
    round_ = db.session.get(EvaluationRound, round_id)
    if round_ is None or round_.state == "draft" or ops.unit_entry(round_, g.org) is None:
        abort(404)
    closed = round_.state in RESULT_STATES
    return render(
        "admin/evaluation_unit.html",
        round=round_,
        result=ops.results(round_, unit=g.org)[0],
        show_results=closed,
        comments=ops.comments(round_, g.org) if closed else [],
        superior=round_.organisation,
        **base_context(),
    )


@bp.route(
    "/evaluations/<int:round_id>/<any(open, close, publish, delete):step>",
    methods=["GET", "POST"],
)
def step(round_id: int, step: str):
    require("evaluation.publish" if step == "publish" else "evaluation.manage")
    round_ = round_or_404(round_id)
    form = forms.ConfirmForm()
    status, errors = 200, []
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        try:
            if step == "delete":
                ops.delete_draft(round_, actor=current_user)
            else:
                STEPS[step](round_)
        except UserError as exc:
            status, errors = exc.status, web.refusal(exc)
        else:
            if step == "delete":
                flash(gettext("The draft round was removed."), "success")
                return redirect(url_for(".index"))
            flash(DONE[step](), "success")
            return redirect(url_for(".detail", round_id=round_.id))
    results = ops.results(round_)
    return render(
        "admin/evaluation_confirm.html",
        form=form,
        round=round_,
        step=step,
        errors=errors,
        units=ops.round_units(round_),
        results=results,
        today=ops.today(round_.organisation),
        **base_context(),
    ), status


# --- members: the ballot ---------------------------------------------------------------------


def rate_target(round_id: int) -> tuple[EvaluationRound, EvaluationUnit]:
    """The round and the URL's unit in it, for a person who holds a role in that unit (404
    otherwise, whatever exists)."""
    round_ = db.session.get(EvaluationRound, round_id)
    if round_ is None or round_.state == "draft":
        abort(404)
    if not permissions.may(current_user, "evaluation.rate", g.org):
        abort(404)
    entry = ops.unit_entry(round_, g.org)
    if entry is None:
        abort(404)
    return round_, entry


def rate_page(round_: EvaluationRound, form, *, status: int = 200, errors=()):
    voter = ops.roll_entry(round_, g.org, current_user)
    loc = i18n.locale()
    context = base_context()
    context.update(
        round=round_,
        unit=g.org,
        superior=round_.organisation,
        form=form,
        voter=voter,
        accepting=ops.accepting(round_),
        today=ops.today(round_.organisation),
        results_visible=round_.state == "published"
        and permissions.may(current_user, "evaluation.view", round_),
        note=round_.note(loc),
        errors=list(errors),
        ancestors=hierarchy.ancestors(g.org),
    )
    return render("evaluation/rate.html", **context), status


@portal.route("/evaluations/<int:round_id>/rate", methods=["GET", "POST"])
def rate(round_id: int):
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    round_, _entry = rate_target(round_id)
    loc = i18n.locale()
    if request.method == "GET":
        return rate_page(round_, forms.rate_form(round_, loc, formdata=None))
    form = forms.rate_form(round_, loc)
    if not form.validate_on_submit():
        return rate_page(round_, form, status=400)
    try:
        ops.cast(
            round_, g.org, actor=current_user, answers=form.answers(), comment=form.comment.data
        )
    except UserError as exc:
        return rate_page(
            round_, form, status=exc.status, errors=forms.attach_problems(form, web.refusal(exc))
        )
    flash(gettext("Thank you: your rating was recorded. It is secret and cannot be changed."),
          "success")  # fmt: skip
    return redirect(url_for(".rate", round_id=round_.id))


# --- results ---------------------------------------------------------------------------------


@portal.route("/evaluations/<int:round_id>")
def results(round_id: int):
    round_ = ops.get(g.org, round_id)
    if round_ is None or not permissions.may(current_user, "evaluation.view", round_):
        abort(404)
    context = base_context()
    context.update(
        round=round_,
        results=ops.results(round_),
        ancestors=hierarchy.ancestors(g.org),
    )
    return render("evaluation/results.html", **context)


# --- the unit portal: open rounds to rate, published results to read --------------------------


@portal.app_context_processor
def portal_helpers():
    return {"evaluation_portal": evaluation_portal}


def evaluation_portal(org) -> dict[str, list]:
    """For the unit portal: the open rounds the visitor may rate on ``org`` (and has not yet),
    and the published rounds opened by or evaluating ``org`` whose results the visitor may read
    (the same visibility rule as the results page). Three queries at most."""
    to_rate = [r for r, voter in ops.rateable(current_user, org) if voter.voted_at is None]
    evaluated = select(EvaluationUnit.round_id).where(EvaluationUnit.org_id == org.id)
    published = db.session.scalars(
        visibility.visible_rounds(current_user)
        .where(or_(EvaluationRound.org_id == org.id, EvaluationRound.id.in_(evaluated)))
        .order_by(EvaluationRound.published_at.desc(), EvaluationRound.id.desc())
        .limit(10)
    ).all()
    return {"to_rate": to_rate, "results": list(published), "open_states": OPEN_STATES}
