"""The visitor's questionnaire pages (``/o/<code>/questionnaires...``): the list (open
questionnaires and those with published results), one questionnaire to answer without an
account, the thanks page, the published results.

Answering: the form carries its CSRF token; answers are rate limited per address
(:data:`core.questionnaires.operations.SUBMIT_LIMIT`) and taken once per address and
questionnaire (only a keyed hash of the address is kept). A draft is not found (404); a
questionnaire that does not take answers says so (409) and shows no form; results are shown only
once published, and never the free-text answers.
"""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, g, redirect, request, url_for
from flask_babel import format_percent, gettext

from core import ratelimit, web
from core.errors import UserError
from core.i18n import locale
from core.questionnaires import forms
from core.questionnaires import operations as ops
from core.questionnaires import workflow as wf
from core.questionnaires.models import Questionnaire
from core.themes import render
from tenants import hierarchy

bp = web.org_blueprint("questionnaires", __name__, console=False, prefix="/questionnaires")

PRIVATE = "private, no-store"


def percent(value: float | None) -> str:
    return "—" if value is None else format_percent(value, "#,##0.0%")


def context(**extra) -> dict[str, Any]:
    return {
        "org": g.org,
        "locale": locale(),
        "ancestors": hierarchy.ancestors(g.org),
        "wf": wf.questionnaire,
        "percent": percent,
        **extra,
    }


def private(body, status: int = 200):
    response = current_app.make_response((body, status))
    response.headers["Cache-Control"] = PRIVATE
    return response


def visible_or_404(questionnaire_id: int) -> Questionnaire:
    """The URL's organisation's questionnaire, unless a draft (404 for a draft or another
    organisation's)."""
    q = ops.get(g.org, questionnaire_id)
    if q is None or q.state == "draft":
        abort(404)
    return q


@bp.route("")
def index():
    found = ops.public(g.org)
    return render(
        "questionnaires/index.html",
        questionnaires=found,
        accepting={q.id for q in found if ops.accepting(q)},
        **context(),
    )


def answer_page(q: Questionnaire, form, *, status: int = 200, errors=()):
    return private(
        render(
            "questionnaires/answer.html",
            questionnaire=q,
            form=form,
            accepting=ops.accepting(q),
            errors=list(errors),
            **context(),
        ),
        status,
    )


@bp.route("/<int:questionnaire_id>", methods=["GET", "POST"])
def answer(questionnaire_id: int):
    q = visible_or_404(questionnaire_id)
    loc = locale()
    if request.method == "GET":
        status = 200 if ops.accepting(q) or q.state == "published" else 409
        return answer_page(q, forms.answer_form(q, loc, formdata=None), status=status)
    if not ops.accepting(q):
        return answer_page(q, forms.answer_form(q, loc, formdata=None), status=409)
    form = forms.answer_form(q, loc)
    try:
        with ratelimit.limit(ops.SUBMIT_LIMIT, scope="questionnaires"):
            pass
    except ratelimit.RateLimitExceeded:
        message = gettext("Too many answers were sent from your address: please try again later.")
        return answer_page(q, form, status=429, errors=[message])
    if not form.validate_on_submit():
        return answer_page(q, form, status=400)
    try:
        ops.answer(q, forms.answers_of(form), address=ratelimit.client_address())
    except UserError as exc:
        errors = forms.web_forms.attach_problems(form, web.refusal(exc))
        return answer_page(q, form, status=exc.status, errors=errors)
    return redirect(url_for(".thanks", questionnaire_id=q.id), code=303)


@bp.route("/<int:questionnaire_id>/thanks")
def thanks(questionnaire_id: int):
    q = visible_or_404(questionnaire_id)
    return private(render("questionnaires/thanks.html", questionnaire=q, **context()))


@bp.route("/<int:questionnaire_id>/results")
def results(questionnaire_id: int):
    q = visible_or_404(questionnaire_id)
    if q.state != "published":
        abort(404)
    return render(
        "questionnaires/results.html", questionnaire=q, results=ops.results(q), **context()
    )
