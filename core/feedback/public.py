"""The visitor's feedback pages (``/o/<code>/feedback...``): give feedback, the confirmation with
the receipt, the receipt's page, the published answers. No account is needed.

The form is an anonymous write: its CSRF token is checked inside the view, and it is rate limited
per address, so that whatever goes wrong (an expired form, too many submissions, a missing text)
the page comes back with what the visitor wrote; a submission is stored, then the visitor is
redirected (303) to the confirmation with the receipt number and the lookup code. The receipt's
page (``/feedback/lookup?receipt=&code=``) shows that submission's state and answer to whoever
holds both; it is rate limited too. The answers page lists published entries only, never a
submitter's name or contact.

The ledger in the unit console is :mod:`core.feedback.views`.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, g, redirect, request, session, url_for
from flask_babel import gettext
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from core import db, ratelimit, text, web
from core.errors import UserError
from core.feedback import forms, labels, ledger
from core.feedback import operations as feedback
from core.feedback.models import FeedbackEntry
from core.i18n import locale
from core.items.models import Item
from core.items.visibility import visible_items
from core.themes import render
from core.web.forms import attach_problems
from tenants import hierarchy
from tenants.models import Organisation

bp = web.org_blueprint("feedback", __name__, console=False, prefix="/feedback")

ANSWERS_PER_PAGE = 20
RECEIVED_KEY = "feedback_received"
PRIVATE = "private, no-store"


@bp.record_once
def _set_up(state) -> None:
    csrf = state.app.extensions.get("csrf")
    if csrf is not None:  # the form's view checks the token itself, to keep the text
        csrf.exempt(give)


# --- visitor pages ---------------------------------------------------------------------------


def visitor_context(**extra) -> dict[str, Any]:
    org = g.org
    return {
        "org": org,
        "locale": locale(),
        "ancestors": hierarchy.ancestors(org),
        "feedback_labels": labels,
        **extra,
    }


def chosen_items(user, org: Organisation, wanted: str | None) -> list[Item]:
    """The items the form offers: the unit's newest disclosed ones the visitor may see, and the
    one asked for (``?item=``) when the visitor may see it."""
    found = feedback.items_to_choose(user, org)
    number = text.ascii_int(wanted, minimum=1)
    if number is not None and all(i.id != number for i in found):
        extra = db.session.scalar(
            visible_items(user).where(Item.org_id == org.id, Item.id == number)
        )
        if extra is not None:
            found.append(extra)
    return found


def form_page(form: forms.FeedbackForm, *, status: int = 200, errors=()):
    user = current_user if current_user.is_authenticated else None
    form.set_items(chosen_items(user, g.org, form.item.data), locale())
    return render("feedback/give.html", form=form, errors=list(errors), **visitor_context()), status


@bp.route("", methods=["GET", "POST"])
def give():
    """Online feedback from anyone (FB-1): no account; whatever goes wrong, the text is kept."""
    if request.method == "GET":
        form = forms.FeedbackForm(formdata=None, item=request.args.get("item", ""))
        return form_page(form)
    form = forms.FeedbackForm()
    try:
        current_app.extensions["csrf"].protect()
    except CSRFError:
        message = gettext("The form had expired. Your text is kept below: please send it again.")
        return form_page(form, status=400, errors=[message])
    try:
        with ratelimit.limit(feedback.FEEDBACK_LIMIT, scope="feedback"):
            pass
    except ratelimit.RateLimitExceeded:
        message = gettext(
            "Too many submissions were sent from your address. Your text is kept below: "
            "please try again later."
        )
        return form_page(form, status=429, errors=[message])
    if not form.validate():
        return form_page(form, status=400)
    try:
        sent = feedback.submit_online(
            g.org,
            content=form.content.data,
            name=form.name.data,
            contact=form.contact.data,
            item_id=form.item.data or None,
            user=current_user if current_user.is_authenticated else None,
            honeypot=request.form.get(forms.HONEYPOT),
        )
    except UserError as exc:
        return form_page(form, status=exc.status, errors=attach_problems(form, web.refusal(exc)))
    # redirect after the POST, so that reloading the confirmation does not send it again
    session[RECEIVED_KEY] = [g.org.id, sent.entry.id, sent.entry.receipt, sent.lookup_code]
    return redirect(url_for(".received"), code=303)


def private(response_tuple):
    body, status = response_tuple if isinstance(response_tuple, tuple) else (response_tuple, 200)
    response = current_app.make_response((body, status))
    response.headers["Cache-Control"] = PRIVATE
    return response


@bp.route("/received")
def received():
    """The confirmation of the feedback this visitor has just sent: its receipt and code."""
    kept = session.get(RECEIVED_KEY)
    if not kept or kept[0] != g.org.id:
        return redirect(url_for(".give"))
    entry = db.session.get(FeedbackEntry, kept[1])
    if entry is None or entry.org_id != g.org.id:
        return redirect(url_for(".give"))
    lookup = url_for(".lookup", receipt=kept[2], code=kept[3], _external=True)
    return private(
        render(
            "feedback/received.html",
            entry=entry,
            receipt=kept[2],
            code=kept[3],
            lookup_url=lookup,
            **visitor_context(),
        )
    )


@bp.route("/lookup")
def lookup():
    """A submission's state and answer, for whoever holds its receipt number and lookup code."""
    receipt = (request.args.get("receipt") or "").strip()[:40]
    code = (request.args.get("code") or "").strip()[:40]
    context = visitor_context(receipt=receipt, code=code, entry=None, item=None, errors=[])
    if not code:  # nothing to look up yet (a link may carry the receipt alone)
        return private(render("feedback/lookup.html", **context))
    try:
        with ratelimit.limit(feedback.LOOKUP_LIMIT, scope="feedback-lookup"):
            pass
    except ratelimit.RateLimitExceeded:
        context["errors"] = [gettext("Too many look-ups from your address: try again later.")]
        return private((render("feedback/lookup.html", **context), 429))
    entry = feedback.by_receipt(g.org, receipt, code)
    if entry is None or entry.spam:
        context["errors"] = [
            gettext("No feedback of this organisation has this receipt number and code.")
        ]
        return private((render("feedback/lookup.html", **context), 404))
    user = current_user if current_user.is_authenticated else None
    item = None
    if entry.item_id:
        item = db.session.scalar(visible_items(user).where(Item.id == entry.item_id))
    context.update(entry=entry, item=item)
    return private(render("feedback/lookup.html", **context))


def public_items(entries: list[FeedbackEntry]) -> dict[int, Item]:
    """The items the entries are about that the visitor may see (one query)."""
    ids = {e.item_id for e in entries if e.item_id}
    if not ids:
        return {}
    user = current_user if current_user.is_authenticated else None
    return {i.id: i for i in db.session.scalars(visible_items(user).where(Item.id.in_(ids)))}


@bp.route("/answers")
def answers():
    """Published answers and rectification results (FB-2), newest first."""
    query = ledger.published_query(g.org)
    page = web.paginate(query, ANSWERS_PER_PAGE, total=ledger.count(query))
    return render(
        "feedback/answers.html",
        entries=page.rows,
        items=public_items(page.rows),
        total=page.total,
        page=page.number,
        pages=page.pages,
        **visitor_context(),
    )
