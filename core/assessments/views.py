"""Assessment pages of the console (``/admin/o/<code>/assessments...``, SUP-3).

* ``/assessments`` — the schemes the organisation sets, the sheets it is assessed on, the
  published results it may read, and its contact points and model units;
* ``/assessments/new``, ``/assessments/<id>/edit`` — a draft scheme and its criteria;
* ``/assessments/<id>`` — the superior's view: the criteria, every unit's sheet with its
  self-assessed and scored totals, the steps (open, publish) and, once published, the ranking;
  ``.xlsx`` — the subtree's scoring sheet;
* ``/assessments/sheets/<id>`` — one unit's sheet: the unit assesses itself (scores, notes,
  evidence of the checklist points) and submits; the superior scores it or returns it;
* ``/assessments/sheets/<id>/evidence/<file>`` — a file given as evidence;
* ``/assessments/designations`` (POST) and ``.../<id>/end`` — contact points and model units.

Signed-in users only, with ``assessments.view_console`` (the staff of the organisation and of its
superiors; else 403). A scheme is one the URL's organisation sets; a sheet is the URL's unit's
own or one of its schemes' (else 404).
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, g, redirect, request, url_for
from flask_babel import gettext
from flask_login import current_user

from core import db, evidence, i18n, pdf, spreadsheets, web
from core.assessments import forms, metrics, standards, visibility
from core.assessments import operations as ops
from core.assessments import workflow as wf
from core.assessments.models import TOTAL_WEIGHT, AssessmentScheme, Designation
from core.errors import UserError
from core.i18n import _
from core.themes import render
from core.web import navigation
from core.web.forms import uploads
from core.workflow import allowed_transitions

bp = web.org_blueprint(
    "assessments_admin",
    __name__,
    console=True,
    prefix="/assessments",
    access="assessments.view_console",
)

navigation.entry(
    "supervision", "assessments", _("Assessment"), "assessments_admin.index",
    action="assessments.view_console", order=50,
)  # fmt: skip
navigation.quick(
    "assessments.new", _("New assessment scheme"), "assessments_admin.new",
    action="assessments.manage", order=50,
    when=navigation.has_units_below,
)  # fmt: skip


def base_context() -> dict[str, Any]:
    return {
        "org": g.org,
        "locale": i18n.locale(),
        "af": forms,
        "standard_label": standards.label,
        "today": ops.today(g.org),
    }


def scheme_or_404(scheme_id: int) -> AssessmentScheme:
    found = ops.get(g.org, scheme_id)
    if found is None:
        abort(404)
    return found


def sheet_or_404(sheet_id: int):
    found = ops.sheet_in(g.org, sheet_id)
    if found is None or found.scheme.state == "draft":
        abort(404)
    return found


@bp.route("")
def index(*, status=200, errors=(), form=None):
    units = ops.units(g.org)
    published = db.session.scalars(
        visibility.visible_schemes(current_user)
        .where(AssessmentScheme.root_id == (g.org.root_id or g.org.id))
        .order_by(AssessmentScheme.year.desc(), AssessmentScheme.id.desc())
        .limit(20)
    ).all()
    return render(
        "admin/assessments.html",
        own=ops.schemes_of(g.org),
        mine=ops.sheets_of_unit(g.org),
        published=published,
        designations=ops.designations(g.org),
        may_manage=web.may("assessments.manage"),
        may_designate=web.may("assessments.designate") and bool(units),
        has_units=bool(units),
        designation_form=form or forms.DesignationForm(candidates=units, formdata=None),
        confirm=forms.ConfirmForm(),
        errors=list(errors),
        **base_context(),
    ), status


def form_page(form, scheme=None, *, status=200, errors=()):
    return render(
        "admin/assessment_form.html",
        form=form,
        scheme=scheme,
        errors=list(errors),
        total=TOTAL_WEIGHT,
        **base_context(),
    ), status


def save(form, run, scheme=None):
    if not form.validate_on_submit():
        return form_page(form, scheme, status=400)
    try:
        return run(form)
    except UserError as exc:
        return form_page(
            form, scheme, status=exc.status, errors=forms.attach(form, web.refusal(exc))
        )


def _criteria_rows(scheme) -> list[dict[str, Any]]:
    return [
        {
            "key": c.key,
            "labels": c.labels,
            "weight": c.weight,
            "method": c.method,
            "metric": c.metric,
            "standard": c.standard,
        }
        for c in ops.criteria(scheme)
    ]


@bp.route("/new", methods=["GET", "POST"])
def new():
    web.require("assessments.manage")
    found = metrics.available(g.org)
    if not ops.units(g.org):
        flash(gettext("This organisation has no units below it to assess."), "info")
        return redirect(url_for(".index"))
    today = ops.today(g.org)
    rows = [
        {"labels": {"zh_Hans_CN": "公开及时率", "en": "Timeliness"}, "weight": 30,
         "method": "metric", "metric": "timeliness"},
        {"labels": {"zh_Hans_CN": "“五有”阵地建设", "en": "Five haves"}, "weight": 30,
         "method": "checklist", "standard": "five_haves"},
        {"labels": {"zh_Hans_CN": "工作落实情况", "en": "Work done"}, "weight": 40,
         "method": "manual"},
    ]  # fmt: skip
    if request.method == "GET":
        data = forms.SchemeForm.initial(None, rows, year=today.year, due=today.replace(day=1))
        return form_page(forms.SchemeForm(data=data, metrics=found))

    def run(form):
        scheme = ops.create(g.org, form.to_data(), actor=current_user)
        flash(gettext("The assessment scheme was saved as a draft."), "success")
        return redirect(url_for(".detail", scheme_id=scheme.id))

    return save(forms.SchemeForm(metrics=found), run)


@bp.route("/<int:scheme_id>/edit", methods=["GET", "POST"])
def edit(scheme_id: int):
    web.require("assessments.manage")
    scheme = scheme_or_404(scheme_id)
    if scheme.state != "draft":
        flash(gettext("An open assessment scheme cannot be changed."), "info")
        return redirect(url_for(".detail", scheme_id=scheme.id))
    found = metrics.available(g.org)
    if request.method == "GET":
        data = forms.SchemeForm.initial(scheme, _criteria_rows(scheme), year=0, due=None)
        return form_page(forms.SchemeForm(data=data, metrics=found), scheme)

    def run(form):
        changed = ops.update(scheme, form.to_data(), actor=current_user)
        flash(
            gettext("The assessment scheme was saved.")
            if changed
            else gettext("Nothing was changed."),
            "success" if changed else "info",
        )
        return redirect(url_for(".detail", scheme_id=scheme.id))

    return save(forms.SchemeForm(metrics=found), run, scheme)


def scheme_page(scheme: AssessmentScheme, *, status=200, errors=()):
    steps = ops.history(scheme)
    return render(
        "admin/assessment_detail.html",
        scheme=scheme,
        criteria=ops.criteria(scheme),
        sheets=ops.sheets(scheme),
        metrics=metrics.available(g.org),
        can={t.name for t in allowed_transitions(wf.scheme, scheme, actor=current_user)},
        may_manage=web.may("assessments.manage"),
        steps=steps,
        names=web.display_names([s.actor_id for s in steps] + [scheme.created_by_id]),
        confirm=forms.ConfirmForm(),
        errors=list(errors),
        **base_context(),
    ), status


@bp.route("/<int:scheme_id>")
def detail(scheme_id: int):
    return scheme_page(scheme_or_404(scheme_id))


@bp.route("/<int:scheme_id>/<any(open, publish):step>", methods=["POST"])
def step(scheme_id: int, step: str):
    scheme = scheme_or_404(scheme_id)
    web.require_step(wf.scheme, scheme, step)
    run = ops.open_scheme if step == "open" else ops.publish
    done = (
        gettext("The assessment is open: its units were told.")
        if step == "open"
        else gettext("The results are published.")
    )
    return web.form_step(
        forms.ConfirmForm(),
        lambda _f: run(scheme, actor=current_user),
        page=lambda **kw: scheme_page(
            scheme, status=kw.get("status", 200), errors=kw.get("errors", ())
        ),
        done=done,
        to=url_for(".detail", scheme_id=scheme.id),
    )


@bp.route("/<int:scheme_id>/measure", methods=["POST"])
def measure(scheme_id: int):
    web.require("assessments.manage")
    scheme = scheme_or_404(scheme_id)
    if not forms.ConfirmForm().validate_on_submit():
        abort(400)
    if scheme.state != "open":
        abort(409)
    n = ops.measure(scheme)
    flash(gettext("The metrics were measured again: %(n)s scores changed.", n=n), "success")
    return redirect(url_for(".detail", scheme_id=scheme.id))


@bp.route("/<int:scheme_id>/delete", methods=["POST"])
def delete(scheme_id: int):
    web.require("assessments.manage")
    scheme = scheme_or_404(scheme_id)
    if not forms.ConfirmForm().validate_on_submit():
        abort(400)
    try:
        ops.delete_draft(scheme, actor=current_user)
    except UserError as exc:
        return scheme_page(scheme, status=exc.status, errors=web.refusal(exc))
    flash(gettext("The draft assessment scheme was removed."), "success")
    return redirect(url_for(".index"))


@bp.route("/<int:scheme_id>.xlsx")
def scheme_xlsx(scheme_id: int):
    scheme = scheme_or_404(scheme_id)
    if scheme.state == "draft":
        abort(404)
    loc = i18n.locale()
    rows = ops.criteria(scheme)
    header = [
        gettext("Rank"),
        gettext("Unit"),
        gettext("State"),
        *[f"{c.label(loc)} ({c.weight})" for c in rows],
        gettext("Self-assessed total"),
        gettext("Total"),
    ]
    body = []
    for n, sheet in enumerate(ops.sheets(scheme), start=1):
        found = ops.scores(sheet)
        body.append(
            [
                n if sheet.total is not None else "",
                sheet.organisation.name(loc),
                forms.word(forms.SHEET_STATES, sheet.state),
                *[found[c.id].score if c.id in found else None for c in rows],
                sheet.self_total,
                sheet.total,
            ]
        )
    data = spreadsheets.xlsx_bytes(
        header, body, sheet_title=scheme.title(loc), title=scheme.title(loc), rtl=loc == "ug"
    )
    return spreadsheets.xlsx_response(data, f"assessment-{scheme.year}-{scheme.id}.xlsx")


@bp.route("/<int:scheme_id>.pdf")
def scheme_pdf(scheme_id: int):
    scheme = scheme_or_404(scheme_id)
    if scheme.state == "draft":
        abort(404)
    sheets = ops.sheets(scheme)
    data = pdf.print_document(
        "print/assessment.html",
        footer=scheme.title(i18n.locale()),
        scheme=scheme,
        criteria=ops.criteria(scheme),
        sheets=sheets,
        scores={s.id: ops.scores(s) for s in sheets},
        **base_context(),
    )
    return pdf.response(data, f"assessment-{scheme.year}-{scheme.id}.pdf")


# --- a unit's sheet --------------------------------------------------------------------------


def scores_shown(sheet) -> bool:
    """The superior's scores: to the superior always, to the unit once the results are
    published in a scope that reaches the reader (SUP-3)."""
    if g.org.id == sheet.scheme.org_id:
        return True
    scheme = sheet.scheme
    return scheme.state == "published" and visibility.can_see_results(current_user, scheme)


def sheet_page(sheet, *, status=200, errors=(), return_form=None, evidence_form=None, failed=None):
    superior = g.org.id == sheet.scheme.org_id
    scheme = sheet.scheme
    criteria = ops.criteria(scheme)
    steps = ops.history(sheet)
    can = {t.name for t in allowed_transitions(wf.sheet, sheet, actor=current_user)}
    return render(
        "admin/assessment_sheet.html",
        sheet=sheet,
        scheme=scheme,
        superior=superior,
        criteria=criteria,
        scores=ops.scores(sheet),
        proofs=ops.evidence_of(sheet),
        can=can,
        may_self_assess=(
            not superior
            and scheme.state == "open"
            and sheet.state == "pending"
            and web.may("assessments.self_assess")
        ),
        show_scores=scores_shown(sheet),
        steps=steps,
        names=web.display_names([s.actor_id for s in steps]),
        confirm=forms.ConfirmForm(),
        return_form=return_form or forms.ReturnForm(formdata=None),
        evidence_form=evidence_form or forms.EvidenceForm(formdata=None, criteria=criteria),
        failed=failed,
        errors=list(errors),
        **base_context(),
    ), status


@bp.route("/sheets/<int:sheet_id>")
def sheet(sheet_id: int):
    return sheet_page(sheet_or_404(sheet_id))


def sheet_filename(sheet, suffix: str) -> str:
    return f"assessment-{sheet.scheme.year}-{sheet.scheme.id}-{sheet.organisation.code}.{suffix}"


@bp.route("/sheets/<int:sheet_id>.xlsx")
def sheet_xlsx(sheet_id: int):
    """One unit's scoring sheet: each criterion with its points, the self-assessment and (where
    the reader may see it) the superior's score and note, with the evidence counted."""
    sheet = sheet_or_404(sheet_id)
    loc = i18n.locale()
    shown = scores_shown(sheet)
    found, proofs = ops.scores(sheet), ops.evidence_of(sheet)
    criteria = ops.criteria(sheet.scheme)
    unit = sheet.organisation.name(loc)
    header = [
        gettext("Unit"),
        gettext("Criterion"),
        gettext("Points"),
        gettext("Scored"),
        gettext("Self-assessment"),
        gettext("The unit's note"),
        *([gettext("Score"), gettext("The superior's note")] if shown else []),
        gettext("Evidence"),
    ]
    body = []
    for c in criteria:
        score = found.get(c.id)
        evidence = sum(len(v) for (cid, _point), v in proofs.items() if cid == c.id)
        body.append(
            [
                unit,
                c.label(loc),
                c.weight,
                forms.word(forms.METHODS, c.method),
                score.self_score if score else None,
                score.self_note if score else None,
                *([score.score if score else None, score.note if score else None] if shown else []),
                evidence,
            ]
        )
    totals = [
        unit,
        gettext("Total"),
        sum(c.weight for c in criteria),
        "",
        sheet.self_total,
        "",
    ]
    body.append([*totals, *([sheet.total, ""] if shown else []), ""])
    title = f"{sheet.scheme.title(loc)} · {unit}"
    data = spreadsheets.xlsx_bytes(
        header, body, sheet_title=sheet.organisation.name(loc, "short"), title=title,
        rtl=loc == "ug",
    )  # fmt: skip
    return spreadsheets.xlsx_response(data, sheet_filename(sheet, "xlsx"))


@bp.route("/sheets/<int:sheet_id>.pdf")
def sheet_pdf(sheet_id: int):
    sheet = sheet_or_404(sheet_id)
    proofs = ops.evidence_of(sheet)
    data = pdf.print_document(
        "print/assessment_sheet.html",
        footer=f"{sheet.scheme.title(i18n.locale())} · {sheet.organisation.name(i18n.locale())}",
        scheme=sheet.scheme,
        sheet=sheet,
        criteria=ops.criteria(sheet.scheme),
        scores=ops.scores(sheet),
        evidence={cid: sum(len(v) for (c, _p), v in proofs.items() if c == cid)
                  for cid in {c for c, _p in proofs}},
        show_scores=scores_shown(sheet),
        **base_context(),
    )  # fmt: skip
    return pdf.response(data, sheet_filename(sheet, "pdf"))


def _sheet_step(sheet, run, done: str, form=None):
    return web.form_step(
        form or forms.ConfirmForm(),
        run,
        page=lambda **kw: sheet_page(
            sheet, status=kw.get("status", 200), errors=kw.get("errors", ())
        ),
        done=done,
        to=url_for(".sheet", sheet_id=sheet.id),
    )


@bp.route("/sheets/<int:sheet_id>/self", methods=["POST"])
def self_assess(sheet_id: int):
    sheet = sheet_or_404(sheet_id)
    if g.org.id != sheet.org_id:
        abort(404)
    web.require("assessments.self_assess")
    data = forms.sheet_data(ops.criteria(sheet.scheme))
    return _sheet_step(
        sheet,
        lambda _f: ops.self_assess(sheet, data, actor=current_user),
        gettext("The self-assessment was saved."),
    )


@bp.route("/sheets/<int:sheet_id>/submit", methods=["POST"])
def submit(sheet_id: int):
    sheet = sheet_or_404(sheet_id)
    if g.org.id != sheet.org_id:
        abort(404)
    web.require_step(wf.sheet, sheet, "submit")
    return _sheet_step(
        sheet,
        lambda _f: ops.submit(sheet, actor=current_user),
        gettext("The self-assessment was submitted to the superior."),
    )


@bp.route("/sheets/<int:sheet_id>/score", methods=["POST"])
def score(sheet_id: int):
    sheet = sheet_or_404(sheet_id)
    if g.org.id != sheet.scheme.org_id:
        abort(404)
    web.require_step(wf.sheet, sheet, "score")
    data = forms.sheet_data(ops.criteria(sheet.scheme))
    return _sheet_step(
        sheet,
        lambda _f: ops.score(sheet, data, actor=current_user),
        gettext("The scores were saved."),
    )


@bp.route("/sheets/<int:sheet_id>/return", methods=["POST"])
def return_sheet(sheet_id: int):
    sheet = sheet_or_404(sheet_id)
    if g.org.id != sheet.scheme.org_id:
        abort(404)
    web.require_step(wf.sheet, sheet, "return")
    form = forms.ReturnForm()
    return web.form_step(
        form,
        lambda f: ops.return_sheet(sheet, actor=current_user, comment=f.comment.data),
        page=lambda **kw: sheet_page(
            sheet,
            status=kw.get("status", 200),
            errors=kw.get("errors", ()),
            return_form=form,
        ),
        done=gettext("The self-assessment was returned to the unit."),
        to=url_for(".sheet", sheet_id=sheet.id),
    )


@bp.route("/sheets/<int:sheet_id>/evidence", methods=["POST"])
def add_evidence(sheet_id: int):
    sheet = sheet_or_404(sheet_id)
    if g.org.id != sheet.org_id:
        abort(404)
    web.require("assessments.self_assess")
    form = forms.EvidenceForm(criteria=ops.criteria(sheet.scheme))

    def run(f):
        criterion_id, key = f.chosen()
        return ops.add_evidence(
            sheet,
            criterion_id,
            key,
            actor=current_user,
            files=uploads(f.files),
            taken_on=f.taken_on.data,
            note=f.note.data,
        )

    return web.form_step(
        form,
        run,
        page=lambda **kw: sheet_page(
            sheet,
            status=kw.get("status", 200),
            errors=kw.get("errors", ()),
            evidence_form=form,
        ),
        done=gettext("The evidence was saved: the point is claimed."),
        to=url_for(".sheet", sheet_id=sheet.id),
    )


@bp.route("/sheets/<int:sheet_id>/evidence/<int:evidence_id>")
def evidence_file(sheet_id: int, evidence_id: int):
    sheet = sheet_or_404(sheet_id)
    row = ops.evidence_file(g.org, evidence_id)
    if row is None or row.sheet_id != sheet.id:
        abort(404)
    return evidence.response(row)


@bp.route("/sheets/<int:sheet_id>/evidence/<int:evidence_id>/remove", methods=["POST"])
def remove_evidence(sheet_id: int, evidence_id: int):
    sheet = sheet_or_404(sheet_id)
    row = ops.evidence_file(g.org, evidence_id)
    if g.org.id != sheet.org_id or row is None or row.sheet_id != sheet.id:
        abort(404)
    web.require("assessments.self_assess")
    return _sheet_step(
        sheet,
        lambda _f: ops.remove_evidence(sheet, row, actor=current_user),
        gettext("The evidence was removed."),
    )


# --- contact points and model units ----------------------------------------------------------


@bp.route("/designations", methods=["POST"])
def designate():
    web.require("assessments.designate")
    units = ops.units(g.org)
    form = forms.DesignationForm(candidates=units)
    by_code = {u.code: u for u in units}
    return web.form_step(
        form,
        lambda f: ops.designate(
            g.org,
            by_code[f.unit.data],
            f.kind.data,
            standard=f.standard.data or None,
            note=f.note.data,
            actor=current_user,
        ),
        page=lambda **kw: index(
            status=kw.get("status", 200), errors=kw.get("errors", ()), form=form
        ),
        done=gettext("The unit was designated."),
        to=url_for(".index") + "#designations",
    )


@bp.route("/designations/<int:designation_id>/end", methods=["POST"])
def end_designation(designation_id: int):
    web.require("assessments.designate")
    row = web.object_or_404(Designation, designation_id, org_id=g.org.id)
    if not forms.ConfirmForm().validate_on_submit():
        abort(400)
    ops.end_designation(row, actor=current_user)
    flash(gettext("The designation was ended."), "success")
    return redirect(url_for(".index") + "#designations")
