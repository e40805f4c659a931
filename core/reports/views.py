"""Half-year report pages of the console (``/admin/o/<code>/reports...``, RPT-1).

* ``/reports`` — the unit's own reports (the current one first, with what is left to do), and for
  a superior the units below it for a period: who has submitted, who was returned, who is
  missing, with the subtree summary;
* ``/reports/<id>`` — one report: its statistics, its narrative (written while it is a draft or
  returned), its steps — submit (the unit's admins), accept or return (the superior's admins and
  reviewers, on the same page under the unit's code) — and its history; ``.pdf`` and ``.xlsx``;
* ``/reports/summary?period=YYYY-MM`` — the sum of the units' submitted statistics (``.pdf``,
  ``.xlsx``).

Signed-in users only; every page needs ``reports.view`` (the staff of the unit and of its
superiors; else 403); a report is looked up inside the URL's organisation (else 404).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import abort, flash, g, redirect, request, url_for
from flask_babel import gettext
from flask_login import current_user

from core import i18n, pdf, spreadsheets, web
from core.errors import UserError
from core.i18n import _
from core.params import operations as params
from core.reports import exports, forms, periods
from core.reports import operations as ops
from core.reports import workflow as wf
from core.reports.models import OPEN_STATES, HalfYearReport
from core.themes import render
from core.web import navigation
from core.workflow import allowed_transitions

bp = web.org_blueprint(
    "reports_admin", __name__, console=True, prefix="/reports", access="reports.view"
)

navigation.entry(
    "supervision", "reports", _("Half-year reports"), "reports_admin.index",
    action="reports.view", order=30,
)  # fmt: skip

COUNTED = ("accepted", "submitted", "returned", "draft", "missing", "none")


def base_context() -> dict[str, Any]:
    return {
        "org": g.org,
        "locale": i18n.locale(),
        "rp": forms,
        "period_label": periods.label,
        "rate": exports.rate,
        "today": ops.today(g.org),
    }


def report_or_404(report_id: int) -> HalfYearReport:
    return web.object_or_404(HalfYearReport, report_id)


def chosen_period(org) -> periods.Period:
    """The period of ``?period=YYYY-MM`` (one of the org's periods), else its latest one over."""
    today = ops.today(org)
    parsed = periods.parse_key(request.args.get("period"))
    if parsed is not None:
        months = params.value(org, "report.months")
        if parsed[1] in months and date(*parsed, 1) <= today:
            return periods.period_ending(org, *parsed)
    return periods.last_ended(org, today)


# --- the list --------------------------------------------------------------------------------


@bp.route("")
def index():
    org = g.org
    today = ops.today(org)
    own = ops.reports_of(org) if org.parent_id is not None else []
    current = periods.last_ended(org, today) if org.parent_id is not None else None
    prepared = {r.period_key for r in own}
    period = chosen_period(org)
    units = ops.units_status(org, period.key)
    counts = dict.fromkeys(COUNTED, 0)
    for u in units:
        counts[u.state(today)] += 1
    return render(
        "admin/reports.html",
        own=own,
        current=current,
        may_prepare=current is not None and current.key not in prepared and web.may("reports.edit"),
        period=period,
        choices=periods.recent(org, today, 6),
        units=units,
        counts=counts,
        form=forms.ConfirmForm(),
        **base_context(),
    )


@bp.route("/prepare", methods=["POST"])
def prepare():
    web.require("reports.edit")
    form = forms.ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    period = periods.last_ended(g.org, ops.today(g.org))
    try:
        report = ops.prepare(g.org, period, actor=current_user)
    except UserError as exc:
        for line in web.refusal(exc):
            flash(line, "error")
        return redirect(url_for(".index"))
    flash(gettext("The draft report was prepared with the period's statistics."), "success")
    return redirect(url_for(".detail", report_id=report.id))


# --- one report ------------------------------------------------------------------------------


def detail_page(report: HalfYearReport, *, status: int = 200, errors=(), **forms_given):
    steps = ops.history(report)
    can = {t.name for t in allowed_transitions(wf.report, report, actor=current_user)}
    editable = report.state in OPEN_STATES and web.may("reports.edit", report.organisation)
    narrative = forms_given.get("narrative") or forms.NarrativeForm(
        data=report.narrative(), formdata=None
    )
    return render(
        "admin/report_detail.html",
        report=report,
        tables=exports.tables(report.statistics or {}, report.organisation),
        narrative=narrative,
        return_form=forms_given.get("return_form") or forms.ReturnForm(formdata=None),
        confirm=forms.ConfirmForm(),
        editable=editable,
        can=can,
        steps=steps,
        names=web.display_names([s.actor_id for s in steps]),
        labels=wf.NARRATIVE_LABELS,
        errors=list(errors),
        failed=forms_given.get("failed"),
        **base_context(),
    ), status


@bp.route("/<int:report_id>")
def detail(report_id: int):
    return detail_page(report_or_404(report_id))


@bp.route("/<int:report_id>/narrative", methods=["POST"])
def narrative(report_id: int):
    report = report_or_404(report_id)
    web.require("reports.edit")
    form = forms.NarrativeForm()
    if not form.validate_on_submit():
        return detail_page(report, status=400, narrative=form, failed="narrative")
    try:
        changed = ops.update_narrative(report, form.to_data(), actor=current_user)
    except UserError as exc:
        return detail_page(report, status=exc.status, errors=web.refusal(exc), narrative=form)
    flash(
        gettext("The report was saved.") if changed else gettext("Nothing was changed."),
        "success" if changed else "info",
    )
    return redirect(url_for(".detail", report_id=report.id))


@bp.route("/<int:report_id>/refresh", methods=["POST"])
def refresh(report_id: int):
    report = report_or_404(report_id)
    web.require("reports.edit")
    if not forms.ConfirmForm().validate_on_submit():
        abort(400)
    try:
        ops.refresh(report, actor=current_user)
    except UserError as exc:
        return detail_page(report, status=exc.status, errors=web.refusal(exc))
    flash(gettext("The statistics were drawn again from the data."), "success")
    return redirect(url_for(".detail", report_id=report.id))


STEPS = {
    "submit": lambda r, form: ops.submit(r, actor=current_user),
    "accept": lambda r, form: ops.accept(r, actor=current_user),
    "return": lambda r, form: ops.return_report(r, actor=current_user, comment=form.comment.data),
}
DONE = {
    "submit": lambda: gettext("The report was submitted to the superior."),
    "accept": lambda: gettext("The report was accepted."),
    "return": lambda: gettext("The report was returned to the unit with your comment."),
}


@bp.route("/<int:report_id>/<any(submit, accept, return):step>", methods=["POST"])
def step(report_id: int, step: str):
    report = report_or_404(report_id)
    web.require_step(wf.report, report, step)
    form = forms.ReturnForm() if step == "return" else forms.ConfirmForm()
    return web.form_step(
        form,
        lambda f: STEPS[step](report, f),
        page=lambda **kw: detail_page(report, **kw),
        done=DONE[step](),
        to=url_for(".detail", report_id=report.id),
        name="return_form" if step == "return" else "confirm",
        failed=step,
    )


def download_name(report: HalfYearReport, suffix: str) -> str:
    return f"{report.organisation.code}-report-{report.period_key}.{suffix}"


@bp.route("/<int:report_id>.pdf")
def report_pdf(report_id: int):
    report = report_or_404(report_id)
    data = exports.report_pdf(
        report,
        {
            "org": report.organisation,
            "tables": exports.tables(report.statistics or {}, report.organisation),
            "labels": wf.NARRATIVE_LABELS,
            "rp": forms,
            "period_label": periods.label,
        },
    )
    return pdf.response(data, download_name(report, "pdf"))


@bp.route("/<int:report_id>.xlsx")
def report_xlsx(report_id: int):
    report = report_or_404(report_id)
    data = exports.report_xlsx(report, i18n.locale())
    return spreadsheets.xlsx_response(data, download_name(report, "xlsx"))


# --- the subtree summary ---------------------------------------------------------------------


def summary_context() -> dict[str, Any]:
    org = g.org
    period = chosen_period(org)
    total, reports = ops.summary(org, period.key)
    units = ops.units_status(org, period.key)
    return {
        "period": period,
        "total": total,
        "reports": reports,
        "tables": exports.tables(total, org),
        "unit_count": len(units),
        "choices": periods.recent(org, ops.today(org), 6),
        **base_context(),
    }


@bp.route("/summary")
def summary():
    return render("admin/reports_summary.html", **summary_context())


@bp.route("/summary.pdf")
def summary_pdf():
    context = summary_context()
    data = exports.summary_pdf(context)
    return pdf.response(data, f"{g.org.code}-reports-{context['period'].key}.pdf")


@bp.route("/summary.xlsx")
def summary_xlsx():
    context = summary_context()
    data = exports.summary_xlsx(
        g.org, context["period"].label(), context["total"], context["reports"], i18n.locale()
    )
    return spreadsheets.xlsx_response(data, f"{g.org.code}-reports-{context['period'].key}.xlsx")
