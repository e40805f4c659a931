"""The unit console's pages of disclosure requests (``/admin/o/<code>/requests/...``): the
requests of the unit and its subtree (superiors and supervisors read them, SUP-1), a request with
its history and the form of each step, recording an oral or paper request, and the superior's
pages — filed decisions (REQ-5) with their acknowledgement and the escalations waiting for a
review. The applicant's pages are :mod:`core.disclosure_requests.public`.

Views parse, authorise (:func:`core.permissions.may` with the ``requests.*`` actions), call one
operation, then render or redirect; a refused operation shows the same page with the input kept
and a 4xx status (the app then rolls back).
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, g, redirect, request, url_for
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import case, func, select

from core import db, i18n, permissions, web
from core.catalogue import labels
from core.disclosure_requests import forms
from core.disclosure_requests import operations as ops
from core.disclosure_requests import workflow as wf
from core.disclosure_requests.models import OPEN_STATES, DisclosureRequest, RequestDecision
from core.disclosure_requests.pages import helpers, item_link, request_view, send_attachment
from core.errors import UserError
from core.i18n import _
from core.items.models import Item
from core.themes import render
from core.web import navigation, status
from core.web.forms import attach_problems
from core.workflow import allowed_transitions
from tenants.models import Organisation

admin = web.org_blueprint("requests_admin", __name__, console=True, prefix="/requests")

navigation.entry(
    "participation", "requests", _("Disclosure requests"), "requests_admin.index",
    action="requests.view", order=10, match=("requests_admin.detail", "requests_admin.record"),
)  # fmt: skip
navigation.entry(
    "supervision", "requests.filings", _("Filings: request decisions"), "requests_admin.filings",
    action="requests.view", order=45, when=navigation.has_units_below,
)  # fmt: skip
navigation.entry(
    "supervision", "requests.escalations", _("Escalated requests"), "requests_admin.escalations",
    action="requests.view", order=50, when=navigation.has_units_below,
)  # fmt: skip
navigation.quick(
    "requests.record", _("Record a request"), "requests_admin.record",
    action="requests.handle", order=20,
)  # fmt: skip

PER_PAGE = 25


# --- the console: helpers --------------------------------------------------------------------

require, may = web.require, web.may


def request_or_404(request_id: int) -> DisclosureRequest:
    return web.object_or_404(DisclosureRequest, request_id)


def base_context() -> dict[str, Any]:
    return {
        "org": g.org,
        "may_handle": may("requests.handle"),
        "labels": labels,
        **helpers(),
    }


# --- the console: the list -------------------------------------------------------------------

GROUPS = {
    "open": (_("Open"), OPEN_STATES),
    "submitted": (_("To accept"), ("submitted",)),
    "awaiting_amendment": (_("Waiting for the applicant"), ("awaiting_amendment",)),
    "escalated": (_("Escalated"), ("escalated",)),
    "closed": (_("Closed"), ("decided", "rejected_invalid", "lapsed")),
    "all": (_("All"), None),
}


def subtree_condition():
    return Organisation.path.startswith(g.org.path, autoescape=True)


@admin.route("")
def index():
    require("requests.view")
    group = request.args.get("state", "open")
    if group not in GROUPS:
        group = "open"
    only_overdue = request.args.get("overdue") == "1"
    only_provisional = request.args.get("provisional") == "1"
    states = GROUPS[group][1]
    conditions = [subtree_condition()]
    if states is not None:
        conditions.append(DisclosureRequest.state.in_(states))
    if only_overdue:
        conditions += [
            DisclosureRequest.state.in_(("submitted", "accepted")),
            DisclosureRequest.deadline < ops.today(g.org),
        ]
    if only_provisional:
        conditions += [
            DisclosureRequest.deadline_provisional.is_(True),
            DisclosureRequest.state.in_(OPEN_STATES),
        ]
    base = (
        select(DisclosureRequest)
        .join(Organisation, Organisation.id == DisclosureRequest.org_id)
        .where(*conditions)
    )
    found = web.paginate(
        base.order_by(DisclosureRequest.created_at.desc(), DisclosureRequest.id.desc()), PER_PAGE
    )
    rows, page, pages = found.rows, found.number, found.pages
    by_state = dict(
        db.session.execute(
            select(DisclosureRequest.state, func.count())
            .join(Organisation, Organisation.id == DisclosureRequest.org_id)
            .where(subtree_condition())
            .group_by(DisclosureRequest.state)
        ).all()
    )
    counts = {
        key: sum(n for s, n in by_state.items() if states_ is None or s in states_)
        for key, (_label, states_) in GROUPS.items()
    }

    page_args = {
        "state": group,
        "overdue": "1" if only_overdue else None,
        "provisional": "1" if only_provisional else None,
    }

    def page_url(**changes) -> str:
        """The list with other filters (the tabs)."""
        args = {**page_args, "page": page, **changes}
        return url_for(".index", **{k: v for k, v in args.items() if v})

    return render(
        "admin/requests.html",
        requests=rows,
        groups=GROUPS,
        group=group,
        counts=counts,
        only_overdue=only_overdue,
        only_provisional=only_provisional,
        page=page,
        pages=pages,
        page_args={k: v for k, v in page_args.items() if v},
        page_url=page_url,
        **base_context(),
    )


# --- the console: recording a request --------------------------------------------------------


@admin.route("/new", methods=["GET", "POST"])
def record():
    require("requests.handle")
    form = forms.RecordForm()
    status, errors = 200, []
    if request.method == "GET":
        form.received_on.data = ops.today(g.org)
    elif form.validate_on_submit():
        try:
            req = ops.record(g.org, form.to_data(), actor=current_user)
        except UserError as exc:
            status, errors = exc.status, attach_problems(form, web.refusal(exc))
        else:
            flash(gettext("The request was recorded: number %(number)s.", number=req.number),
                  "success")  # fmt: skip
            return redirect(url_for(".detail", request_id=req.id))
    else:
        status = 400
    return render("admin/requests_record.html", form=form, errors=errors, **base_context()), status


# --- the console: one request ----------------------------------------------------------------


def decision_form(outcome: str, *, blank: bool = True) -> forms.DecisionForm:
    """The decision form of ``outcome`` (its fields prefixed: several on one page)."""
    org = g.org
    loc = i18n.locale()
    published = [  # only what the applicant may open: public items (SCOPE-1)
        forms.choice(str(item.id), f"{item.id} · {item.title(loc)}")
        for item in db.session.scalars(
            ops.public_items(org)
            .where(Item.org_id == org.id)
            .order_by(Item.published_at.desc())
            .limit(100)
        )
    ]
    organisations = [
        forms.choice(o.code, o.name(loc))
        for o in db.session.scalars(
            select(Organisation)
            .where(Organisation.root_id == org.root_id, Organisation.id != org.id)
            .order_by(Organisation.path)
            .limit(500)
        )
    ]
    kwargs = {"formdata": None} if blank else {}
    return forms.DecisionForm(
        prefix=outcome, published=published, organisations=organisations, **kwargs
    )


def detail_page(req: DisclosureRequest, *, status: int = 200, **extra):
    names = {t.name for t in allowed_transitions(wf.request, req, actor=current_user)}
    steps = ops.history(req)
    view = request_view(req)
    context = base_context()
    outcomes = [o for o in forms.OUTCOME_FIELDS if o == "unclear" or f"decide_{o}" in names]
    if "ask_amendment" not in names:
        outcomes = [o for o in outcomes if o != "unclear"]
    open_outcome = extra.pop("open_outcome", None)
    decision_forms = {
        o: extra.pop("decision_form") if o == open_outcome else decision_form(o) for o in outcomes
    }
    context.update(
        can=names,
        steps=steps,
        names=web.display_names(
            [s.actor_id for s in steps]
            + [d.decided_by_id for d in view["decisions"]]
            + [req.recorded_by_id]
        ),
        extend_form=forms.ExtendForm(
            formdata=None,
            data={"days": ops.params.value(req.organisation, "request.extension_working_days")},
        ),
        reject_form=forms.RejectForm(formdata=None),
        consult_form=forms.ConsultForm(formdata=None),
        end_form=forms.EndConsultForm(formdata=None),
        review_form=forms.ReviewForm(formdata=None),
        decision_forms=decision_forms,
        open_outcome=open_outcome,
        may_review=may("requests.review_escalation", req),
        pending=ops.pending_escalation(req),
        extension_limit=ops.params.value(req.organisation, "request.extension_working_days"),
        item_link=item_link,
        file_url=lambda a: url_for(".attachment_file", request_id=a.request_id, attachment_id=a.id),
        errors=[],
        failed=None,
        **view,
    )
    context.update(extra)
    return render("admin/requests_detail.html", **context), status


@admin.route("/<int:request_id>")
def detail(request_id: int):
    require("requests.view")
    req = request_or_404(request_id)
    return detail_page(req)


def handle_step(request_id: int):
    require("requests.handle")
    return request_or_404(request_id)


def step_form(request_id: int, form_cls, form_name: str, call, done: str):
    """A console step with one small form (:func:`core.web.form_step`): on a refusal the detail
    page again with the input kept."""
    req = handle_step(request_id)
    return web.form_step(
        form_cls(),
        lambda form: call(req, form),
        page=lambda **kw: detail_page(req, **kw),
        done=done,
        to=url_for(".detail", request_id=req.id),
        name=form_name,
        failed=form_name,
    )


@admin.route("/<int:request_id>/accept", methods=["POST"])
def accept(request_id: int):
    return step_form(
        request_id, forms.ConfirmForm, "confirm_form",
        lambda req, form: ops.accept(req, actor=current_user),
        gettext("The request is accepted."),
    )  # fmt: skip


@admin.route("/<int:request_id>/reject", methods=["POST"])
def reject(request_id: int):
    return step_form(
        request_id, forms.RejectForm, "reject_form",
        lambda req, form: ops.reject_invalid(
            req, actor=current_user, reason=forms.text(form.reason)
        ),
        gettext("The request was rejected and filed with the superior organisation."),
    )  # fmt: skip


@admin.route("/<int:request_id>/extend", methods=["POST"])
def extend(request_id: int):
    return step_form(
        request_id, forms.ExtendForm, "extend_form",
        lambda req, form: ops.extend(
            req, actor=current_user, reason=forms.text(form.reason), days=form.days.data
        ),
        gettext("The deadline is extended; the applicant is told."),
    )  # fmt: skip


@admin.route("/<int:request_id>/consultation", methods=["POST"])
def consult(request_id: int):
    return step_form(
        request_id, forms.ConsultForm, "consult_form",
        lambda req, form: ops.start_consultation(
            req, actor=current_user, third_party=forms.text(form.third_party),
            question=forms.text(form.question),
        ),
        gettext("The consultation started: the clock is paused."),
    )  # fmt: skip


@admin.route("/<int:request_id>/consultation/end", methods=["POST"])
def end_consultation(request_id: int):
    return step_form(
        request_id, forms.EndConsultForm, "end_form",
        lambda req, form: ops.end_consultation(
            req, actor=current_user, opinion=forms.text(form.opinion)
        ),
        gettext("The consultation ended: the clock runs again."),
    )  # fmt: skip


@admin.route(
    "/<int:request_id>/decide/<any({}):outcome>".format(", ".join(forms.OUTCOME_FIELDS)),
    methods=["POST"],
)
def decide(request_id: int, outcome: str):
    req = handle_step(request_id)
    form = decision_form(outcome, blank=False)
    if not form.validate_on_submit():
        return detail_page(req, status=400, open_outcome=outcome, decision_form=form)
    with_files = "attachments" in forms.OUTCOME_FIELDS[outcome]
    files = forms.uploads(form.attachments) if with_files else []
    try:
        ops.decide(req, outcome, form.to_data(), actor=current_user, files=files)
    except UserError as exc:
        rest = attach_problems(form, web.refusal(exc))
        return detail_page(
            req, status=exc.status, errors=rest, open_outcome=outcome, decision_form=form
        )
    flash(
        gettext("Decided: %(outcome)s.", outcome=forms.outcome(outcome)),
        "success",
    )
    return redirect(url_for(".detail", request_id=req.id))


@admin.route("/<int:request_id>/review", methods=["POST"])
def review(request_id: int):
    """The superior's decision on an escalation."""
    require("requests.review_escalation")  # before the lookup: a refusal says nothing
    req = request_or_404(request_id)
    form = forms.ReviewForm()
    if not form.validate_on_submit():
        return detail_page(req, status=400, review_form=form, failed="review_form")
    try:
        ops.decide_escalation(
            req,
            actor=current_user,
            uphold=form.decision.data == "uphold",
            comment=forms.text(form.comment),
        )
    except UserError as exc:
        return detail_page(
            req, status=exc.status, errors=web.refusal(exc), review_form=form, failed="review_form"
        )
    if form.decision.data == "uphold":
        flash(gettext("The decision is upheld."), "success")
    else:
        flash(gettext("The unit must reconsider the request by its new deadline."), "success")
    return redirect(url_for(".detail", request_id=req.id))


@admin.route("/<int:request_id>/attachments/<int:attachment_id>")
def attachment_file(request_id: int, attachment_id: int):
    require("requests.view")
    return send_attachment(request_or_404(request_id), attachment_id)


# --- the console: the superior ---------------------------------------------------------------


@admin.route("/filings")
def filings():
    """Decisions of the units below that were filed with their superior (REQ-5)."""
    require("requests.view")
    rows = ops.filings(g.org)
    return render(
        "admin/requests_filings.html",
        filings=rows,
        names=web.display_names(
            [d.decided_by_id for d in rows] + [d.acknowledged_by_id for d in rows]
        ),
        may_acknowledge=may("requests.receive_filing")
        or bool(permissions.orgs_holding(current_user, "requests.receive_filing")),
        ack_form=forms.AcknowledgeForm(formdata=None),
        **base_context(),
    )


@admin.route("/filings/<int:decision_id>/acknowledge", methods=["POST"])
def acknowledge(decision_id: int):
    require("requests.view")
    decision = db.session.get(RequestDecision, decision_id)
    below = decision is not None and decision.filed_with_id is not None
    if below:
        unit = decision.request.organisation
        below = unit.id != g.org.id and unit.path.startswith(g.org.path)
    if not below:
        abort(404)
    if not permissions.may(current_user, "requests.receive_filing", decision.request):
        abort(403)
    form = forms.AcknowledgeForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        ops.acknowledge_filing(decision, actor=current_user, note=forms.text(form.note))
    except UserError as exc:
        flash(exc.message, "error")
        return redirect(url_for(".filings"))
    flash(gettext("The filing is acknowledged."), "success")
    return redirect(url_for(".filings") + f"#filing-{decision.id}")


@admin.route("/escalations")
def escalations():
    """Escalations of requests of the units below, waiting for the superior's review."""
    require("requests.view")
    rows = ops.waiting_escalations(g.org)
    return render("admin/requests_escalations.html", escalations=rows, **base_context())


# --- the organisation's home: open requests -------------------------------------------------


@status.section("requests", _("Disclosure requests"), action="requests.view", order=40)
def requests_status(org, user):
    """Open requests and those past their deadline (one query)."""
    today = ops.today(org)
    total, late = db.session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(case((DisclosureRequest.deadline < today, 1), else_=0)), 0),
        ).where(DisclosureRequest.org_id == org.id, DisclosureRequest.state.in_(OPEN_STATES))
    ).one()
    link = url_for("requests_admin.index", org_code=org.code)
    return [
        status.Fact(_("Open"), total, link=link),
        status.Fact(_("Past the deadline"), late, link=link, tone="bad" if late else "ok"),
    ]
