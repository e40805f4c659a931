"""Supervision pages of the console (``/admin/o/<code>/inspections...``, SUP-1 and SUP-2).

* the overview: findings the organisation must rectify, findings it raised, its inspections and
  the inspections of it, and its flags;
* an inspection: its facts, findings and steps (start, conclude, cancel), a form for findings;
* a finding, under the code of the unit responsible for it (which answers it) or of the
  organisation that raised it (which closes or reopens it);
* the automatic flags of the units below (and of the organisation itself), each decided — as a
  superior — on a page of its own: confirmed as a finding or dismissed with a reason.

Every page needs ``inspections.view`` in the organisation of the URL (its staff and those of its
superiors; else 403); objects of another organisation are 404.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import abort, g, request, url_for
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import select

from core import db, i18n, permissions, text, web
from core.catalogue import labels
from core.supervision import forms, reading
from core.supervision import operations as ops
from core.supervision import workflow as wf
from core.supervision.models import FLAG_KINDS, FLAG_STATES, Finding, Inspection, SupervisionFlag
from core.themes import render
from core.web import navigation
from core.workflow import allowed_transitions, engine
from tenants import hierarchy
from tenants.models import Membership, Organisation, User

bp = web.org_blueprint(
    "supervision_admin", __name__, console=True, prefix="/inspections", access="inspections.view"
)
navigation.entry(
    "supervision", "inspections", i18n._("Inspections"), "supervision_admin.index",
    action="inspections.view", order=40,
    match=tuple(f"supervision_admin.{name}" for name in (
        "new", "inspection", "finding", "flags", "flag")),
)  # fmt: skip
navigation.quick(
    "inspections.new", i18n._("Record an inspection"), "supervision_admin.new",
    action="inspections.manage", order=50, when=navigation.has_units_below,
)  # fmt: skip

PER_PAGE = 50


# --- helpers ---------------------------------------------------------------------------------


def base_context(**extra) -> dict[str, Any]:
    context = {
        "org": g.org,
        "locale": i18n.locale(),
        "labels": labels,
        "sv": forms,
        "today": ops.today(g.org),
        "may_manage": web.may("inspections.manage"),
        "localised": i18n.localised,
        "wf_inspection": wf.inspection,
        "wf_finding": wf.finding,
        "wf_flag": wf.flag,
        "iso_day": iso_day,
    }
    context.update(extra)
    return context


def iso_day(value: str | None) -> str:
    """A date kept as ISO text (a flag's facts) in the reader's language."""
    try:
        return web.day(date.fromisoformat(value)) if value else ""
    except (TypeError, ValueError):
        return str(value)


def unit_choices(root: Organisation) -> list:
    loc = i18n.locale()
    return [
        forms.choice(o.code, ("\u00a0\u00a0" * (o.depth - root.depth)) + o.name(loc))
        for o in hierarchy.subtree(root)
        if o.enabled
    ]


def org_by_code(code: str | None) -> Organisation | None:
    if not code:
        return None
    return db.session.scalar(select(Organisation).where(Organisation.code == code))


def inspectors(org: Organisation) -> list[User]:
    """People who may inspect for ``org``: its and its superiors' admins, reviewers and
    supervisors."""
    ids = [org.id, *org.ancestor_ids]
    return list(
        db.session.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(
                Membership.org_id.in_(ids),
                Membership.role.in_(wf.MANAGERS),
                User.active.is_(True),
            )
            .distinct()
            .order_by(User.display_name, User.username)
        )
    )


def inspection_or_404(inspection_id: int) -> Inspection:
    return web.object_or_404(Inspection, inspection_id)


def finding_or_404(finding_id: int) -> Finding:
    """A finding of the unit responsible for it, or of the organisation that raised it."""
    if not isinstance(finding_id, int) or not 0 < finding_id <= text.DB_INT_MAX:
        abort(404)
    found = db.session.get(Finding, finding_id)
    if found is None or g.org.id not in (found.org_id, found.supervisor_org_id):
        abort(404)
    return found


def flag_or_404(flag_id: int) -> SupervisionFlag:
    """A flag of the organisation itself or of a unit below it."""
    if not isinstance(flag_id, int) or not 0 < flag_id <= text.DB_INT_MAX:
        abort(404)
    found = db.session.get(SupervisionFlag, flag_id)
    if found is None or not hierarchy.is_in_subtree(found.organisation, g.org):
        abort(404)
    return found


# --- the overview ----------------------------------------------------------------------------


@bp.route("")
def index():
    has_units = bool(hierarchy.children(g.org))
    rectify = reading.findings_of(g.org)
    raised = reading.findings_raised_by(g.org)
    own_flags = db.session.scalars(reading.flags_query(g.org, below=False).limit(20)).all()
    return render(
        "admin/supervision.html",
        rectify=rectify,
        raised=raised,
        inspections=reading.inspections_by(g.org),
        inspected=reading.inspections_of(g.org),
        flag_counts=reading.flag_counts_below(g.org) if has_units else {},
        own_flags=own_flags,
        entry_titles=entry_titles(own_flags),
        has_units=has_units,
        may_respond=web.may("inspections.respond"),
        **base_context(),
    )


# --- inspections -----------------------------------------------------------------------------


def inspection_form(*, formdata=None, target: str | None = None) -> forms.InspectionForm:
    kwargs = {} if formdata is None else {"formdata": formdata}
    form = forms.InspectionForm(**kwargs)
    form.target.choices = unit_choices(g.org)
    people = inspectors(g.org)
    form.inspector.choices = [forms.choice("", gettext("Myself"))] + [
        forms.choice(str(u.id), u.display_name or u.username) for u in people
    ]
    if formdata is None:
        form.planned_on.data = ops.today(g.org)
        if target:
            form.target.data = target
    return form


@bp.route("/new", methods=["GET", "POST"])
def new():
    web.require("inspections.manage")
    if request.method == "GET":
        form = inspection_form(formdata=None, target=request.args.get("target"))
        return form_page(form=form)
    form = inspection_form(formdata=request.form)

    def run(f):
        person = db.session.get(User, int(f.inspector.data)) if f.inspector.data else None
        return ops.record_inspection(
            g.org,
            {
                "kind": f.kind.data,
                "target": org_by_code(f.target.data),
                "subject": f.subject.data,
                "basis": f.basis.data,
                "planned_on": f.planned_on.data,
                "inspector": person,
            },
            actor=current_user,
        )

    return web.form_step(
        form,
        run,
        page=form_page,
        done=gettext("The inspection is recorded."),
        to=lambda inspection: url_for(".inspection", inspection_id=inspection.id),
    )


def form_page(*, form, status: int = 200, errors=()):
    return render(
        "admin/supervision_form.html", form=form, errors=list(errors), **base_context()
    ), status


def inspection_page(inspection: Inspection, *, status: int = 200, errors=(), **forms_given):
    findings = reading.findings_of_inspection(inspection)
    steps = engine.history(wf.inspection, inspection)
    finding_form = forms_given.pop("finding_form", None) or forms.FindingForm(formdata=None)
    finding_form.unit.choices = unit_choices(inspection.target)
    if not finding_form.unit.data:
        finding_form.unit.data = inspection.target.code
    if finding_form.deadline.data is None and not finding_form.errors:
        finding_form.deadline.data = ops.default_deadline(inspection.organisation)
    context = base_context(
        inspection=inspection,
        findings=findings,
        steps=steps,
        names=web.display_names(
            [s.actor_id for s in steps] + [inspection.inspector_id, inspection.created_by_id]
        ),
        can={t.name for t in allowed_transitions(wf.inspection, inspection, actor=current_user)},
        finding_form=finding_form,
        conclude_form=forms_given.pop("conclude_form", None) or forms.ConcludeForm(formdata=None),
        cancel_form=forms_given.pop("cancel_form", None) or forms.CancelForm(formdata=None),
        start_form=forms.ConfirmForm(formdata=None),
        errors=list(errors),
        **forms_given,
    )
    return render("admin/supervision_inspection.html", **context), status


@bp.route("/<int:inspection_id>")
def inspection(inspection_id: int):
    return inspection_page(inspection_or_404(inspection_id))


STEP_DONE = {
    "start": lambda: gettext("The inspection is underway: record its findings."),
    "conclude": lambda: gettext(
        "The inspection is concluded; its findings stay open until each is rectified and closed."
    ),
    "cancel": lambda: gettext("The inspection is cancelled."),
}


@bp.route("/<int:inspection_id>/<any(start, conclude, cancel):step>", methods=["POST"])
def inspection_step(inspection_id: int, step: str):
    found = inspection_or_404(inspection_id)
    web.require_step(wf.inspection, found, step)
    to = url_for(".inspection", inspection_id=found.id)
    if step == "start":
        form: Any = forms.ConfirmForm()
        run = lambda f: ops.start(found, actor=current_user)  # noqa: E731
    elif step == "conclude":
        form = forms.ConcludeForm()
        run = lambda f: ops.conclude(found, actor=current_user, summary=f.summary.data)  # noqa: E731
    else:
        form = forms.CancelForm()
        run = lambda f: ops.cancel(found, actor=current_user, reason=f.reason.data)  # noqa: E731
    return web.form_step(
        form,
        run,
        page=lambda **kw: inspection_page(found, **kw),
        done=STEP_DONE[step](),
        to=to,
        name=f"{step}_form",
        failed=step,
    )


@bp.route("/<int:inspection_id>/findings", methods=["POST"])
def add_finding(inspection_id: int):
    web.require("inspections.manage")
    found = inspection_or_404(inspection_id)
    form = forms.FindingForm()
    form.unit.choices = unit_choices(found.target)
    return web.form_step(
        form,
        lambda f: ops.add_finding(
            found,
            {
                "unit": org_by_code(f.unit.data),
                "description": f.description.data,
                "requirement": f.requirement.data,
                "deadline": f.deadline.data,
            },
            actor=current_user,
        ),
        page=lambda **kw: inspection_page(found, **kw),
        done=gettext("The finding is recorded; the responsible unit is told."),
        to=url_for(".inspection", inspection_id=found.id) + "#findings",
        name="finding_form",
        failed="finding",
    )


# --- findings --------------------------------------------------------------------------------


def finding_page(finding: Finding, *, status: int = 200, errors=(), **forms_given):
    steps = engine.history(wf.finding, finding)
    may_decide = permissions.may(current_user, "inspections.manage", finding.supervisor)
    can = {t.name for t in allowed_transitions(wf.finding, finding, actor=current_user)}
    if not may_decide:
        can -= {"close", "reopen"}
    flag = db.session.get(SupervisionFlag, finding.flag_id) if finding.flag_id else None
    context = base_context(
        finding=finding,
        inspection=db.session.get(Inspection, finding.inspection_id)
        if finding.inspection_id
        else None,
        flag=flag,
        steps=steps,
        names=web.display_names(
            [s.actor_id for s in steps] + [finding.created_by_id, finding.answered_by_id]
        ),
        can=can,
        answer_form=forms_given.pop("answer_form", None) or forms.AnswerForm(formdata=None),
        close_form=forms_given.pop("close_form", None) or forms.CloseFindingForm(formdata=None),
        reopen_form=forms_given.pop("reopen_form", None) or forms.ReopenFindingForm(formdata=None),
        errors=list(errors),
        **forms_given,
    )
    return render("admin/supervision_finding.html", **context), status


@bp.route("/findings/<int:finding_id>")
def finding(finding_id: int):
    return finding_page(finding_or_404(finding_id))


FINDING_DONE = {
    "answer": lambda: gettext("Your answer is sent to the organisation that raised the finding."),
    "close": lambda: gettext("The finding is closed."),
    "reopen": lambda: gettext("The finding is open again; the unit is told."),
}


@bp.route("/findings/<int:finding_id>/<any(answer, close, reopen):step>", methods=["POST"])
def finding_step(finding_id: int, step: str):
    found = finding_or_404(finding_id)
    web.require_step(wf.finding, found, step)
    if step == "answer":
        form: Any = forms.AnswerForm()
        run = lambda f: ops.answer(found, actor=current_user, rectification=f.rectification.data)  # noqa: E731
    elif step == "close":
        web.require("inspections.manage", found.supervisor)
        form = forms.CloseFindingForm()
        run = lambda f: ops.close(found, actor=current_user, comment=f.comment.data)  # noqa: E731
    else:
        web.require("inspections.manage", found.supervisor)
        form = forms.ReopenFindingForm()
        run = lambda f: ops.reopen(  # noqa: E731
            found, actor=current_user, comment=f.reopen_comment.data, deadline=f.new_deadline.data
        )
    return web.form_step(
        form,
        run,
        page=lambda **kw: finding_page(found, **kw),
        done=FINDING_DONE[step](),
        to=url_for(".finding", finding_id=found.id),
        name=f"{step}_form",
        failed=step,
    )


# --- automatic flags -------------------------------------------------------------------------


@bp.route("/flags")
def flags():
    kind = request.args.get("kind") or None
    state = request.args.get("state") or "open"
    if kind not in (None, *FLAG_KINDS) or state not in (*FLAG_STATES, "all"):
        abort(400)
    states = None if state == "all" else (state,)
    has_units = bool(hierarchy.children(g.org))
    page = web.paginate(reading.flags_query(g.org, below=True, states=states, kind=kind), PER_PAGE)
    own = db.session.scalars(reading.flags_query(g.org, below=False, states=None)).all()
    return render(
        "admin/supervision_flags.html",
        page=page,
        own=own,
        kind=kind,
        state=state,
        has_units=has_units,
        may_decide=web.may("inspections.manage") and has_units,
        entry_titles=entry_titles([*page.rows, *own]),
        **base_context(),
    )


def entry_titles(flags: list[SupervisionFlag]) -> dict[tuple[int, str], dict]:
    """``{(org id, entry key): titles}`` of the catalogue entries the overdue flags name (one
    query: the entries of the units' approved catalogues)."""
    from core.catalogue.models import Catalogue, CatalogueVersion, Entry

    wanted = {(f.org_id, f.facts.get("entry_key")) for f in flags if f.kind == "overdue_disclosure"}
    if not wanted:
        return {}
    rows = db.session.execute(
        select(Catalogue.org_id, Entry.key, Entry.titles)
        .join(CatalogueVersion, CatalogueVersion.catalogue_id == Catalogue.id)
        .join(Entry, Entry.version_id == CatalogueVersion.id)
        .where(
            Catalogue.kind == "unit",
            Catalogue.org_id.in_({org_id for org_id, _key in wanted}),
            CatalogueVersion.state == "approved",
            Entry.key.in_({key for _org, key in wanted}),
        )
        .order_by(CatalogueVersion.number)
    )
    return {(org_id, key): dict(titles or {}) for org_id, key, titles in rows}


def flag_page(flag: SupervisionFlag, *, status: int = 200, errors=(), **forms_given):
    may_decide = (
        flag.state == "open"
        and flag.org_id != g.org.id
        and web.may("inspections.manage")
        and permissions.may(current_user, "supervision.decide_flags", flag)
    )
    confirm_form = forms_given.pop("confirm_form", None)
    if confirm_form is None:
        confirm_form = forms.ConfirmFlagForm(formdata=None)
        confirm_form.description.data = describe(flag)
        confirm_form.deadline.data = ops.default_deadline(g.org)
    finding = (
        db.session.scalar(select(Finding).where(Finding.flag_id == flag.id))
        if flag.state == "confirmed"
        else None
    )
    steps = engine.history(wf.flag, flag)
    context = base_context(
        flag=flag,
        finding=finding,
        may_decide=may_decide,
        confirm_form=confirm_form,
        dismiss_form=forms_given.pop("dismiss_form", None) or forms.DismissFlagForm(formdata=None),
        entry_titles=entry_titles([flag]),
        steps=steps,
        names=web.display_names([s.actor_id for s in steps]),
        errors=list(errors),
        **forms_given,
    )
    return render("admin/supervision_flag.html", **context), status


def describe(flag: SupervisionFlag) -> str:
    """The flag in a sentence (the confirmed finding's description, editable)."""
    loc = i18n.locale()
    facts = flag.facts or {}
    title = i18n.localised(facts.get("titles") or {}, loc)
    entry = i18n.localised(entry_titles([flag]).get((flag.org_id, facts.get("entry_key")), {}), loc)
    texts = {
        "overdue_disclosure": lambda: gettext(
            "“%(entry)s” of %(period)s was due on %(due)s and has not been disclosed.",
            entry=entry or facts.get("entry_key", ""),
            period=facts.get("period_key", ""),
            due=facts.get("due_on", ""),
        ),
        "correction": lambda: gettext(
            "“%(title)s” had to be corrected (version %(version)s): its content was false.",
            title=title,
            version=facts.get("version", ""),
        ),
        "late_request": lambda: gettext(
            "The disclosure request %(number)s was not answered by its deadline %(due)s.",
            number=facts.get("number", ""),
            due=facts.get("deadline_on", ""),
        ),
        "late_feedback": lambda: gettext(
            "The feedback %(receipt)s was not answered by its due date %(due)s.",
            receipt=facts.get("receipt", ""),
            due=facts.get("due_on", ""),
        ),
        "early_close": lambda: gettext(
            "Someone tried to close the notice “%(title)s” before its period ended "
            "(%(attempts)s attempts).",
            title=title,
            attempts=facts.get("attempts", 1),
        ),
        "secrecy_revocation": lambda: gettext(
            "“%(title)s” was revoked because it disclosed what must not be disclosed.",
            title=title,
        ),
    }
    return texts[flag.kind]() if flag.kind in texts else flag.kind


@bp.route("/flags/<int:flag_id>")
def flag(flag_id: int):
    return flag_page(flag_or_404(flag_id))


def require_decider(found: SupervisionFlag) -> None:
    """403 unless the user decides on the flag here: a superior of the flagged unit who may
    manage inspections in this organisation."""
    web.require("inspections.manage")
    if found.org_id == g.org.id or not permissions.may(
        current_user, "supervision.decide_flags", found
    ):
        abort(403)


@bp.route("/flags/<int:flag_id>/confirm", methods=["POST"])
def confirm_flag(flag_id: int):
    found = flag_or_404(flag_id)
    require_decider(found)
    return web.form_step(
        forms.ConfirmFlagForm(),
        lambda f: ops.confirm_flag(
            found,
            g.org,
            {
                "description": f.description.data,
                "requirement": f.requirement.data,
                "deadline": f.deadline.data,
            },
            actor=current_user,
        ),
        page=lambda **kw: flag_page(found, **kw),
        done=gettext("The flag is confirmed as a finding; the unit is told."),
        to=lambda finding: url_for(".finding", finding_id=finding.id),
        name="confirm_form",
        failed="confirm",
    )


@bp.route("/flags/<int:flag_id>/dismiss", methods=["POST"])
def dismiss_flag(flag_id: int):
    found = flag_or_404(flag_id)
    require_decider(found)
    return web.form_step(
        forms.DismissFlagForm(),
        lambda f: ops.dismiss_flag(found, g.org, actor=current_user, reason=f.reason.data),
        page=lambda **kw: flag_page(found, **kw),
        done=gettext("The flag is dismissed."),
        to=url_for(".flags"),
        name="dismiss_form",
        failed="dismiss",
    )
