"""Feedback pages: the visitor's (give feedback, the confirmation with the receipt, the receipt's
page, the published answers) and the unit console's ledger (list with filters, export,
statistics, recording, one entry with its handling).

Visitor pages (``/o/<code>/feedback...``) need no account. The form is an anonymous write: its
CSRF token is checked inside the view, and it is rate limited per address, so that whatever goes
wrong (an expired form, too many submissions, a missing text) the page comes back with what the
visitor wrote; a submission is stored, then the visitor is redirected (303) to the confirmation
with the receipt number and the lookup code. The receipt's page (``/feedback/lookup?receipt=
&code=``) shows that submission's state and answer to whoever holds both; it is rate limited too.
The answers page lists published entries only, never a submitter's name or contact.

Console pages (``/admin/o/<code>/feedback...``) follow the items console: a signed-in user with
``feedback.view`` (the unit's staff and its superiors', SUP-1) — or the handler of some entry of
the unit, who sees their own entries — else 403; entries are looked up inside the URL's
organisation (else 404). Refused operations come back on the same page with the input kept.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    request,
    session,
    url_for,
)
from flask_babel import gettext
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy import select

from core import db, i18n, permissions, ratelimit
from core.errors import UserError
from core.feedback import export, forms, labels, stats
from core.feedback import operations as feedback
from core.feedback import workflow as wf
from core.feedback.models import CHANNELS, STATES, FeedbackEntry
from core.items import reading
from core.items.models import Item
from core.items.visibility import visible_items
from core.themes import render
from core.web import display_names, refusal, require_sign_in
from core.workflow import allowed_transitions
from tenants import hierarchy, resolution
from tenants.models import Organisation

bp = Blueprint("feedback", __name__, url_prefix="/o/<org_code>/feedback")
bp.url_value_preprocessor(resolution.pull_org)
bp.url_defaults(resolution.add_org_code)

admin = Blueprint("feedback_admin", __name__, url_prefix="/admin/o/<org_code>/feedback")
admin.url_value_preprocessor(resolution.pull_org)
admin.url_defaults(resolution.add_org_code)
admin.before_request(require_sign_in)

FEEDBACK_LIMIT = "20 per hour;5 per minute"
"""Feedback one address may send (the form and the API together): no account is needed."""
LOOKUP_LIMIT = "60 per hour;10 per minute"
"""Receipt look-ups one address may make (they need the receipt and its code)."""
ANSWERS_PER_PAGE = 20
LEDGER_PER_PAGE = 25
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
        "locale": i18n.locale(),
        "ancestors": hierarchy.ancestors(org),
        "when": reading.when,
        "day": reading.day,
        "feedback_labels": labels,
        **extra,
    }


def chosen_items(user, org: Organisation, wanted: str | None) -> list[Item]:
    """The items the form offers: the unit's newest disclosed ones the visitor may see, and the
    one asked for (``?item=``) when the visitor may see it."""
    found = feedback.items_to_choose(user, org)
    if wanted and wanted.isdigit() and all(str(i.id) != wanted for i in found):
        number = int(wanted)
        if number <= 2**31 - 1:
            extra = db.session.scalar(
                visible_items(user).where(Item.org_id == org.id, Item.id == number)
            )
            if extra is not None:
                found.append(extra)
    return found


def form_page(form: forms.FeedbackForm, *, status: int = 200, errors=()):
    user = current_user if current_user.is_authenticated else None
    locale = i18n.locale()
    form.set_items(chosen_items(user, g.org, form.item.data), locale)
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
        with ratelimit.limit(FEEDBACK_LIMIT, scope="feedback"):
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
        return form_page(form, status=exc.status, errors=forms.attach_problems(form, refusal(exc)))
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
    if not receipt and not code:
        return private(render("feedback/lookup.html", **context))
    try:
        with ratelimit.limit(LOOKUP_LIMIT, scope="feedback-lookup"):
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
    query = feedback.published_query(g.org)
    total = feedback.count(query)
    pages = max(1, -(-total // ANSWERS_PER_PAGE))
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), pages)
    rows = list(
        db.session.scalars(query.limit(ANSWERS_PER_PAGE).offset((page - 1) * ANSWERS_PER_PAGE))
    )
    return render(
        "feedback/answers.html",
        entries=rows,
        items=public_items(rows),
        total=total,
        page=page,
        pages=pages,
        **visitor_context(),
    )


# --- the console -----------------------------------------------------------------------------


def console_may(action: str, obj=None) -> bool:
    return permissions.may(current_user, action, g.org if obj is None else obj)


def ledger_access() -> int | None:
    """Who reads this ledger: None for its readers (``feedback.view``), the user's id for a
    handler who sees only their own entries; 403 for anyone else."""
    if console_may("feedback.view"):
        return None
    if feedback.handles_any(current_user, g.org):
        return current_user.id
    abort(403)


def entry_or_404(feedback_id: int) -> FeedbackEntry:
    ledger_access()
    entry = feedback.get(g.org, feedback_id)
    if entry is None:
        abort(404)
    if not permissions.may(current_user, "feedback.view", entry):
        abort(403)
    return entry


def console_context(**extra) -> dict[str, Any]:
    today = feedback.today_for(g.org)
    return {
        "org": g.org,
        "locale": i18n.locale(),
        "feedback_labels": labels,
        "when": reading.when,
        "day": reading.day,
        "today": today,
        "may_record": console_may("feedback.record"),
        "may_view": console_may("feedback.view"),
        **extra,
    }


def parse_day(value: str | None, what: str, errors: list[str]) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        errors.append(
            gettext("%(what)s: “%(value)s” is not a date (YYYY-MM-DD).", what=what, value=value)
        )
        return None


def ledger_filters(only_handler_id: int | None, errors: list[str]) -> feedback.Filters:
    args = request.args
    handler = args.get("handler", type=int)
    filters = feedback.Filters(
        state=args.get("state") or None,
        channel=args.get("channel") or None,
        overdue=args.get("overdue") == "1",
        handler_id=handler if handler and 0 < handler <= 2**31 - 1 else None,
        date_from=parse_day(args.get("from"), gettext("Received from"), errors),
        date_to=parse_day(args.get("to"), gettext("Received until"), errors),
        subtree=args.get("subtree") == "1" and only_handler_id is None,
        spam=args.get("spam") == "1" and only_handler_id is None,
        only_handler_id=only_handler_id,
    )
    errors.extend(filters.problems())
    if errors:
        filters.state = filters.state if filters.state in STATES else None
        filters.channel = filters.channel if filters.channel in CHANNELS else None
    return filters


def filter_args(filters: feedback.Filters) -> dict[str, Any]:
    """The query string of ``filters`` (for page links and the export)."""
    values = {
        "state": filters.state,
        "channel": filters.channel,
        "overdue": "1" if filters.overdue else None,
        "handler": filters.handler_id,
        "from": filters.date_from.isoformat() if filters.date_from else None,
        "to": filters.date_to.isoformat() if filters.date_to else None,
        "subtree": "1" if filters.subtree else None,
        "spam": "1" if filters.spam else None,
    }
    return {k: v for k, v in values.items() if v}


@admin.route("")
def ledger():
    only = ledger_access()
    errors: list[str] = []
    filters = ledger_filters(only, errors)
    query = feedback.ledger_query(g.org, filters)
    total = feedback.count(query)
    pages = max(1, -(-total // LEDGER_PER_PAGE))
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), pages)
    rows = list(
        db.session.scalars(query.limit(LEDGER_PER_PAGE).offset((page - 1) * LEDGER_PER_PAGE))
    )
    orgs = {}
    if filters.subtree and rows:
        orgs = {
            o.id: o
            for o in db.session.scalars(
                select(Organisation).where(Organisation.id.in_({e.org_id for e in rows}))
            )
        }
    spam_count = 0
    if only is None and not filters.spam:
        spam_count = feedback.count(
            feedback.ledger_query(g.org, feedback.Filters(spam=True, subtree=filters.subtree))
        )
    return render(
        "admin/feedback.html",
        entries=rows,
        filters=filters,
        args=filter_args(filters),
        total=total,
        page=page,
        pages=pages,
        errors=errors,
        names=display_names(e.handler_id for e in rows),
        orgs=orgs,
        only_own=only is not None,
        has_subtree=bool(hierarchy.children(g.org)),
        handlers=feedback.handlers(g.org),
        states=STATES,
        channels=CHANNELS,
        spam_count=spam_count,
        **console_context(),
    ), 400 if errors else 200


@admin.route("/export.<any(csv, xlsx):fmt>")
def ledger_export(fmt: str):
    """The ledger as CSV or XLSX, with the page's filters and the same access rules."""
    only = ledger_access()
    errors: list[str] = []
    filters = ledger_filters(only, errors)
    if errors:
        abort(400)
    query = feedback.ledger_query(g.org, filters)
    locale = i18n.locale()
    name = export.filename(g.org, fmt, feedback.today_for(g.org))
    if fmt == "csv":
        body: str | bytes = export.export_csv(query, locale=locale)
        mimetype = "text/csv; charset=utf-8"
    else:
        body = export.export_xlsx(query, locale=locale, title=f"{g.org.code}")
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@admin.route("/stats")
def statistics():
    if not console_may("feedback.view"):
        abort(403)
    errors: list[str] = []
    date_from = parse_day(request.args.get("from"), gettext("Received from"), errors)
    date_to = parse_day(request.args.get("to"), gettext("Received until"), errors)
    if date_from and date_to and date_from > date_to:
        errors.append(gettext("The start date is after the end date."))
        date_from = date_to = None
    subtree = request.args.get("subtree") == "1"
    total, per_org = stats.compute(
        g.org,
        subtree=subtree,
        today=feedback.today_for(g.org),
        date_from=date_from,
        date_to=date_to,
    )
    units = []
    if subtree:
        nodes = {o.id: o for o in hierarchy.subtree(g.org)}
        units = sorted(
            ((nodes[i], s) for i, s in per_org.items() if i in nodes),
            key=lambda pair: pair[0].path,
        )
    return render(
        "admin/feedback_stats.html",
        total=total,
        units=units,
        subtree=subtree,
        has_subtree=bool(hierarchy.children(g.org)),
        date_from=request.args.get("from", ""),
        date_to=request.args.get("to", ""),
        errors=errors,
        states=STATES,
        channels=CHANNELS,
        **console_context(),
    ), 400 if errors else 200


# --- recording feedback from the other channels ----------------------------------------------


def record_form(**kwargs) -> forms.RecordForm:
    form = forms.RecordForm(**kwargs)
    form.set_items(feedback.items_to_choose(current_user, g.org), i18n.locale())
    return form


@admin.route("/new", methods=["GET", "POST"])
def new():
    if not console_may("feedback.record"):
        abort(403)
    if request.method == "GET":
        form = record_form(data={"received_on": feedback.today_for(g.org)})
    else:
        form = record_form()
    status, errors = 200, []
    if form.validate_on_submit():
        try:
            entry = feedback.record(
                g.org,
                actor=current_user,
                channel=form.channel.data,
                content=form.content.data,
                received_on=form.received_on.data,
                name=form.name.data,
                contact=form.contact.data,
                item_id=form.item.data or None,
            )
        except UserError as exc:
            status, errors = exc.status, forms.attach_problems(form, refusal(exc))
        else:
            flash(
                gettext("The feedback was recorded as %(receipt)s.", receipt=entry.receipt),
                "success",
            )
            return redirect(url_for(".detail", feedback_id=entry.id))
    elif request.method == "POST":
        status = 400
    return render("admin/feedback_form.html", form=form, errors=errors, **console_context()), status


# --- one entry -------------------------------------------------------------------------------


def detail_context(entry: FeedbackEntry, **extra) -> dict[str, Any]:
    steps = feedback.history(entry)
    notes = feedback.notes(entry)
    names = display_names(
        [s.actor_id for s in steps]
        + [entry.handler_id, entry.recorded_by_id, entry.user_id, entry.answered_by_id]
    )
    can = {t.name for t in allowed_transitions(wf.feedback, entry, actor=current_user)}
    handle = permissions.may(current_user, "feedback.handle", entry)
    assign_form = forms.AssignForm(
        formdata=None,
        data={"handler": str(entry.handler_id or ""), "due_on": entry.due_on},
    )
    assign_form.set_handlers(feedback.handlers(entry.organisation))
    user = current_user
    item = None
    if entry.item_id:
        item = db.session.get(Item, entry.item_id)
        if item is not None and not permissions.may(user, "items.view", item):
            item = None
    context = console_context(
        entry=entry,
        item=item,
        steps=steps,
        notes=notes,
        names=names,
        can=can,
        may_handle=handle and entry.state != "closed",
        may_assign=console_may("feedback.assign", entry.organisation)
        and entry.state in ("received", "assigned", "rectifying")
        and not entry.spam,
        may_publish=console_may("feedback.publish", entry.organisation)
        and entry.state in ("answered", "closed"),
        may_spam=console_may("feedback.assign", entry.organisation) and entry.state == "received",
        closing_problems=feedback.closing_problems(entry) if entry.state == "answered" else [],
        assign_form=assign_form,
        note_form=forms.NoteForm(formdata=None),
        rectification_form=forms.RectificationForm(formdata=None),
        result_form=forms.RectificationResultForm(
            formdata=None,
            data={
                "result": entry.rectification_result or "",
                "done_on": entry.rectification_done_on,
                "public": "yes" if entry.rectification_public else "no",
                "reason": entry.rectification_private_reason or "",
            },
        ),
        answer_form=forms.AnswerForm(
            formdata=None,
            data={
                "answer": entry.answer or "",
                "answer_channel": entry.answer_channel or "",
                "answered_on": entry.answered_on,
            },
        ),
        publish_form=forms.PublishForm(
            formdata=None,
            data={
                "public_question": entry.public_question or entry.content,
                "include_answer": entry.answer_published or not entry.published,
            },
        ),
        confirm_form=forms.ConfirmForm(formdata=None),
        errors=[],
        failed=None,
        transition_label=wf.feedback.label,
    )
    context.update(extra)
    return context


def detail_page(entry: FeedbackEntry, *, status: int = 200, **extra):
    return render("admin/feedback_detail.html", **detail_context(entry, **extra)), status


@admin.route("/<int:feedback_id>")
def detail(feedback_id: int):
    return detail_page(entry_or_404(feedback_id))


def step(feedback_id: int, form_cls, form_name: str, failed: str, call, done: str, anchor=""):
    """One console step with a small form: check it, run the operation; on a refusal show the
    entry again with the input kept and the reason."""
    entry = entry_or_404(feedback_id)
    form = form_cls()
    if form_name == "assign_form":
        form.set_handlers(feedback.handlers(entry.organisation))
    if not form.validate_on_submit():
        return detail_page(entry, status=400, failed=failed, **{form_name: form})
    try:
        call(entry, form)
    except UserError as exc:
        rest = forms.attach_problems(form, refusal(exc))
        return detail_page(
            entry, status=exc.status, errors=rest, failed=failed, **{form_name: form}
        )
    flash(done, "success")
    return redirect(url_for(".detail", feedback_id=entry.id) + anchor)


@admin.route("/<int:feedback_id>/assign", methods=["POST"])
def assign(feedback_id: int):
    return step(
        feedback_id, forms.AssignForm, "assign_form", "assign",
        lambda e, f: feedback.assign(
            e, actor=current_user, handler=f.handler.data, due_on=f.due_on.data
        ),
        gettext("The entry is assigned."),
    )  # fmt: skip


@admin.route("/<int:feedback_id>/notes", methods=["POST"])
def note(feedback_id: int):
    return step(
        feedback_id, forms.NoteForm, "note_form", "note",
        lambda e, f: feedback.add_note(e, actor=current_user, text=f.note.data),
        gettext("The note is saved."), "#feedback-notes",
    )  # fmt: skip


@admin.route("/<int:feedback_id>/rectification", methods=["POST"])
def rectification(feedback_id: int):
    return step(
        feedback_id, forms.RectificationForm, "rectification_form", "rectification",
        lambda e, f: feedback.start_rectification(
            e, actor=current_user, measures=f.measures.data, deadline=f.deadline.data
        ),
        gettext("The rectification is started."),
    )  # fmt: skip


@admin.route("/<int:feedback_id>/rectification/result", methods=["POST"])
def rectification_result(feedback_id: int):
    return step(
        feedback_id, forms.RectificationResultForm, "result_form", "result",
        lambda e, f: feedback.record_rectification(
            e, actor=current_user, result=f.result.data, done_on=f.done_on.data,
            public=f.public.data != "no", reason=f.reason.data,
        ),
        gettext("The rectification result is saved."),
    )  # fmt: skip


@admin.route("/<int:feedback_id>/answer", methods=["POST"])
def answer(feedback_id: int):
    return step(
        feedback_id, forms.AnswerForm, "answer_form", "answer",
        lambda e, f: feedback.answer(
            e, actor=current_user, text=f.answer.data,
            channel=f.answer_channel.data or None, answered_on=f.answered_on.data,
        ),
        gettext("The answer is saved."),
    )  # fmt: skip


@admin.route("/<int:feedback_id>/publish", methods=["POST"])
def publish(feedback_id: int):
    return step(
        feedback_id, forms.PublishForm, "publish_form", "publish",
        lambda e, f: feedback.publish(
            e, actor=current_user, public_question=f.public_question.data,
            include_answer=bool(f.include_answer.data),
        ),
        gettext("Published on the answers page."),
    )  # fmt: skip


@admin.route("/<int:feedback_id>/unpublish", methods=["POST"])
def unpublish(feedback_id: int):
    return step(
        feedback_id, forms.ConfirmForm, "confirm_form", "unpublish",
        lambda e, f: feedback.withdraw_publication(e, actor=current_user),
        gettext("Taken off the answers page."),
    )  # fmt: skip


@admin.route("/<int:feedback_id>/close", methods=["POST"])
def close(feedback_id: int):
    return step(
        feedback_id, forms.ConfirmForm, "confirm_form", "close",
        lambda e, f: feedback.close(e, actor=current_user),
        gettext("The entry is closed and registered."),
    )  # fmt: skip


@admin.route("/<int:feedback_id>/<any(spam, unspam):mark>", methods=["POST"])
def spam(feedback_id: int, mark: str):
    return step(
        feedback_id, forms.ConfirmForm, "confirm_form", "spam",
        lambda e, f: feedback.set_spam(e, actor=current_user, spam=mark == "spam"),
        gettext("Marked as spam.") if mark == "spam" else gettext("The spam mark is taken off."),
    )  # fmt: skip
