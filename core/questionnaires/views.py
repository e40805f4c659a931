"""Questionnaires in the unit console (``/admin/o/<code>/questionnaires...``): the list, a new
questionnaire, one questionnaire with its questions, answers and steps (open for a period,
close, publish the results), its edit form while a draft.

Readers: ``questionnaires.view`` (the unit's staff and its superiors'), else 403; writers:
``questionnaires.manage``. Questionnaires are looked up inside the URL's organisation (else 404).
Free-text answers are shown here only, escaped and in no telling order.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import flash, g, redirect, request, url_for
from flask_babel import format_percent, gettext
from flask_login import current_user

from core import web
from core.errors import UserError
from core.i18n import _, locale
from core.questionnaires import forms
from core.questionnaires import operations as ops
from core.questionnaires import workflow as wf
from core.questionnaires.models import MAX_PERIOD_DAYS, Questionnaire
from core.themes import render
from core.web import navigation
from core.workflow import allowed_transitions

bp = web.org_blueprint(
    "questionnaires_admin", __name__, console=True, prefix="/questionnaires",
    access="questionnaires.view",
)  # fmt: skip

navigation.entry(
    "participation", "questionnaires", _("Questionnaires"), "questionnaires_admin.index",
    action="questionnaires.view", order=25,
    match=tuple(f"questionnaires_admin.{n}" for n in ("detail", "new", "edit", "open", "step")),
)  # fmt: skip

DONE = {
    "open": lambda: gettext("The questionnaire is open for answers."),
    "close": lambda: gettext("The questionnaire is closed: it takes no more answers."),
    "publish": lambda: gettext("The results are published."),
}


def percent(value: float | None) -> str:
    return "—" if value is None else format_percent(value, "#,##0.0%")


def base_context(**extra) -> dict[str, Any]:
    return {
        "org": g.org,
        "locale": locale(),
        "qf": forms,
        "wf": wf.questionnaire,
        "percent": percent,
        "may_manage": web.may("questionnaires.manage"),
        **extra,
    }


def questionnaire_or_404(questionnaire_id: int) -> Questionnaire:
    return web.object_or_404(Questionnaire, questionnaire_id)


@bp.route("", endpoint="index")
def index():
    found = ops.of(g.org)
    return render(
        "admin/questionnaires.html",
        questionnaires=found,
        counts=ops.response_counts([q.id for q in found]),
        **base_context(),
    )


def form_page(form, q: Questionnaire | None = None, *, status: int = 200, errors=()):
    return render(
        "admin/questionnaire_form.html",
        form=form,
        questionnaire=q,
        errors=list(errors),
        max_questions=forms.MAX_QUESTIONS,
        **base_context(),
    ), status


def save(form: forms.QuestionnaireForm, q: Questionnaire | None):
    """The form's POST: one more slot ("Add a question"), or the operation."""
    if "add_question" in request.form:
        if not form.add_slot():
            return form_page(form, q, errors=[gettext("A questionnaire has at most 10 questions.")])
        return form_page(form, q)
    if not form.validate_on_submit():
        return form_page(form, q, status=400)
    try:
        if q is None:
            q = ops.create(g.org, form.to_data(), actor=current_user)
            message = gettext("The questionnaire was saved as a draft.")
        else:
            changed = ops.update(q, form.to_data(), actor=current_user)
            message = (
                gettext("The draft was saved.") if changed else gettext("Nothing was changed.")
            )
    except UserError as exc:
        errors = forms.attach_problems(form, web.refusal(exc))
        return form_page(form, q, status=exc.status, errors=errors)
    flash(message, "success")
    return redirect(url_for(".detail", questionnaire_id=q.id))


@bp.route("/new", methods=["GET", "POST"])
def new():
    web.require("questionnaires.manage")
    if request.method == "GET":
        form = forms.QuestionnaireForm(formdata=None)
        form.add_slot()
        return form_page(form)
    return save(forms.QuestionnaireForm(), None)


@bp.route("/<int:questionnaire_id>/edit", methods=["GET", "POST"])
def edit(questionnaire_id: int):
    web.require("questionnaires.manage")
    q = questionnaire_or_404(questionnaire_id)
    if q.state != "draft":
        flash(gettext("Only a draft can be changed: an open questionnaire keeps its questions."),
              "info")  # fmt: skip
        return redirect(url_for(".detail", questionnaire_id=q.id))
    if request.method == "GET":
        form = forms.QuestionnaireForm(formdata=None, data=forms.QuestionnaireForm.initial(q))
        return form_page(form, q)
    return save(forms.QuestionnaireForm(), q)


def detail_page(q: Questionnaire, *, status: int = 200, errors=(), **extra):
    steps = ops.history(q)
    today = ops.today(g.org)
    open_form = extra.pop("open_form", None) or forms.OpenForm(
        formdata=None,
        data={"opens_on": today, "closes_on": today + timedelta(days=14)},
    )
    confirm_form = extra.pop("confirm_form", None) or forms.ConfirmForm(formdata=None)
    return render(
        "admin/questionnaire_detail.html",
        questionnaire=q,
        results=ops.results(q, with_texts=True),
        steps=steps,
        names=web.display_names([s.actor_id for s in steps] + [q.created_by_id]),
        can={t.name for t in allowed_transitions(wf.questionnaire, q, actor=current_user)},
        accepting=ops.accepting(q),
        open_form=open_form,
        confirm_form=confirm_form,
        max_days=MAX_PERIOD_DAYS,
        errors=list(errors),
        **base_context(**extra),
    ), status


@bp.route("/<int:questionnaire_id>")
def detail(questionnaire_id: int):
    return detail_page(questionnaire_or_404(questionnaire_id))


@bp.route("/<int:questionnaire_id>/open", methods=["POST"], endpoint="open")
def open_step(questionnaire_id: int):
    q = questionnaire_or_404(questionnaire_id)
    web.require_step(wf.questionnaire, q, "open")
    return web.form_step(
        forms.OpenForm(),
        lambda f: ops.open_questionnaire(
            q, opens_on=f.opens_on.data, closes_on=f.closes_on.data, actor=current_user
        ),
        page=lambda **kw: detail_page(q, **kw),
        done=DONE["open"](),
        to=url_for(".detail", questionnaire_id=q.id),
        name="open_form",
        failed="open",
    )


@bp.route("/<int:questionnaire_id>/<any(close, publish):step>", methods=["POST"])
def step(questionnaire_id: int, step: str):
    q = questionnaire_or_404(questionnaire_id)
    web.require_step(wf.questionnaire, q, step)
    run = ops.close if step == "close" else ops.publish
    return web.form_step(
        forms.ConfirmForm(),
        lambda f: run(q, actor=current_user),
        page=lambda **kw: detail_page(q, **kw),
        done=DONE[step](),
        to=url_for(".detail", questionnaire_id=q.id),
        name="confirm_form",
        failed=step,
    )
