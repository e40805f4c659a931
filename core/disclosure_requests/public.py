"""The applicant's pages of disclosure requests (``/o/<code>/requests/...``, signed in): file a
request, read it with its deadline (and how it was computed), the decision and the documents
given, amend an unclear request, escalate a refusal or an overdue request; "My requests"
(``/requests``) across units. Nobody but the applicant reads these pages: those who read the
unit's requests in the console are sent there, anyone else gets a 404 (which says nothing of what
exists). The console's pages are :mod:`core.disclosure_requests.views`.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, g, redirect, request, url_for
from flask_babel import gettext
from flask_login import current_user

from core import permissions, ratelimit, web
from core.disclosure_requests import forms, limits
from core.disclosure_requests import operations as ops
from core.disclosure_requests.models import DisclosureRequest
from core.disclosure_requests.pages import helpers, item_link, request_view, send_attachment
from core.errors import UserError
from core.themes import render
from core.web.forms import attach_problems
from tenants import hierarchy

portal = web.org_blueprint("requests", __name__, console=False, prefix="/requests")
mine = Blueprint("requests_mine", __name__)


def limited() -> str | None:
    """Count one filing against the address and the user; a message when over a limit."""
    try:
        limits.count_filing(current_user)
    except ratelimit.RateLimitExceeded:
        return gettext(
            "Too many requests were filed from your account or address. Your text is kept "
            "below: please try again later."
        )
    return None


# --- the applicant ---------------------------------------------------------------------------


def applicant_request(request_id: int) -> DisclosureRequest:
    """The request of the URL's unit when the signed-in user filed it; staff who read it in
    the console are sent there; anyone else gets a 404."""
    req = ops.get(g.org, request_id)
    if req is None:
        abort(404)
    if ops.is_applicant(current_user, req):
        return req
    if permissions.may(current_user, "requests.view", req):
        abort(redirect(url_for("requests_admin.detail", request_id=req.id)))
    abort(404)


def applicant_page(req: DisclosureRequest, *, status: int = 200, **extra):
    context = {
        "org": g.org,
        "ancestors": hierarchy.ancestors(g.org),
        "amend_form": forms.AmendForm(formdata=None),
        "escalate_form": forms.EscalateForm(formdata=None),
        "escalation_refusal": ops.escalation_refusal(req),
        "errors": [],
        "item_link": item_link,
        "file_url": lambda a: url_for(
            "requests.attachment", request_id=a.request_id, attachment_id=a.id
        ),
        **request_view(req, reader=current_user),
        **helpers(),
    }
    context.update(extra)
    return render("requests/detail.html", **context), status


def new_page(form, *, status: int = 200, errors=()):
    org = g.org
    return render(
        "requests/new.html",
        org=org,
        ancestors=hierarchy.ancestors(org),
        form=form,
        errors=list(errors),
        decision_days=ops.params.value(org, "request.decision_working_days"),
        **helpers(),
    ), status


@portal.route("/new", methods=["GET", "POST"], endpoint="new")
def file_request():
    """File a request (REQ-1): signed in, at the real-name level the unit requires (IAM-2)."""
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    problem = ops.realname_problem(current_user, g.org)
    if problem:
        from core.sso import operations as sso

        return render(
            "requests/realname.html",
            org=g.org,
            ancestors=hierarchy.ancestors(g.org),
            required=ops.params.value(g.org, "request.min_realname_level"),
            level=sso.realname_level(current_user),
            **helpers(),
        ), 403
    form = forms.RequestForm()
    if request.method == "GET":
        if current_user.email and not form.contact_email.data:
            form.contact_email.data = current_user.email
        return new_page(form)
    message = limited()
    if message:
        return new_page(form, status=429, errors=[message])
    if not form.validate_on_submit():
        return new_page(form, status=400)
    try:
        req = ops.file(g.org, form.to_data(), applicant=current_user)
    except UserError as exc:
        return new_page(form, status=exc.status, errors=attach_problems(form, web.refusal(exc)))
    flash(gettext("Your request was received: number %(number)s.", number=req.number), "success")
    return redirect(url_for(".detail", request_id=req.id, received=1), code=303)


@portal.route("/<int:request_id>", endpoint="detail")
def applicant_detail(request_id: int):
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    req = applicant_request(request_id)
    return applicant_page(req, received=request.args.get("received") == "1")


def applicant_step(request_id: int, form_cls, form_name: str, run, done: str):
    """One of the applicant's own steps on their request page: the form, the operation, the
    page again with the refusal (input kept) or a redirect with ``done``."""
    if not current_user.is_authenticated:
        abort(404)
    req = applicant_request(request_id)
    return web.form_step(
        form_cls(),
        lambda form: run(req, form),
        page=lambda **kw: applicant_page(req, **kw),
        done=done,
        to=url_for(".detail", request_id=req.id),
        name=form_name,
        attach=lambda form, lines: lines,
        code=303,
    )


@portal.route("/<int:request_id>/amend", methods=["POST"], endpoint="amend")
def applicant_amend(request_id: int):
    return applicant_step(
        request_id, forms.AmendForm, "amend_form",
        lambda req, f: ops.amend(req, user=current_user, amendment=forms.text(f.amendment)),
        gettext("Your amendment was sent; the deadline is counted again."),
    )  # fmt: skip


@portal.route("/<int:request_id>/escalate", methods=["POST"], endpoint="escalate")
def applicant_escalate(request_id: int):
    return applicant_step(
        request_id, forms.EscalateForm, "escalate_form",
        lambda req, f: ops.escalate(req, user=current_user, grounds=forms.text(f.grounds)),
        gettext("Your request was sent to the superior organisation for review."),
    )  # fmt: skip


@portal.route("/<int:request_id>/attachments/<int:attachment_id>", endpoint="attachment")
def applicant_attachment(request_id: int, attachment_id: int):
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    return send_attachment(applicant_request(request_id), attachment_id)


@mine.route("/requests")
def my_requests():
    """Every request of the signed-in user, across units."""
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    rows = ops.of_applicant(current_user)
    return render("requests/mine.html", requests=rows, **helpers())
