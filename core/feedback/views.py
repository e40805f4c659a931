"""The feedback ledger in the unit console (``/admin/o/<code>/feedback...``): the list with
filters, its export, statistics, recording feedback from the other channels, one entry with its
handling.

Like the items console: a signed-in user with ``feedback.view`` (the unit's staff and its
superiors', SUP-1) — or the handler of some entry of the unit, who sees their own entries — else
403; entries are looked up inside the URL's organisation (else 404). Refused operations come back
on the same page with the input kept. The visitor's pages are :mod:`core.feedback.public`.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Response, abort, flash, g, redirect, request, url_for
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import case, func, select

from core import db, localtime, permissions, text, web
from core.errors import UserError
from core.feedback import export, forms, labels, ledger, stats
from core.feedback import operations as feedback
from core.feedback import rules as feedback_rules
from core.feedback import workflow as wf
from core.feedback.models import CHANNELS, OPEN_STATES, STATES, FeedbackEntry
from core.i18n import _, locale
from core.items.models import Item
from core.themes import render
from core.web import navigation, status
from core.web.forms import attach_problems
from core.workflow import allowed_transitions
from tenants import hierarchy
from tenants.models import Organisation

admin = web.org_blueprint("feedback_admin", __name__, console=True, prefix="/feedback")

navigation.entry(
    "participation", "feedback", _("Feedback ledger"), "feedback_admin.ledger",
    action="feedback.view", order=20,
    match=("feedback_admin.detail", "feedback_admin.new", "feedback_admin.statistics"),
)  # fmt: skip
navigation.quick(
    "feedback.new", _("Record feedback"), "feedback_admin.new", action="feedback.record", order=30
)  # fmt: skip

LEDGER_PER_PAGE = 25


def ledger_access() -> int | None:
    """Who reads this ledger: None for its readers (``feedback.view``), the user's id for a
    handler who sees only their own entries; 403 for anyone else."""
    if web.may("feedback.view"):
        return None
    if ledger.handles_any(current_user, g.org):
        return current_user.id
    abort(403)


def entry_or_404(feedback_id: int) -> FeedbackEntry:
    ledger_access()
    entry = web.object_or_404(FeedbackEntry, feedback_id)
    web.require("feedback.view", entry)
    return entry


def console_context(**extra) -> dict[str, Any]:
    today = localtime.today(g.org)
    return {
        "org": g.org,
        "locale": locale(),
        "feedback_labels": labels,
        "today": today,
        "may_record": web.may("feedback.record"),
        "may_view": web.may("feedback.view"),
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


def ledger_filters(only_handler_id: int | None, errors: list[str]) -> ledger.Filters:
    args = request.args
    handler = args.get("handler", type=text.db_int)
    filters = ledger.Filters(
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


def filter_args(filters: ledger.Filters) -> dict[str, Any]:
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


@admin.route("", endpoint="ledger")
def ledger_page():
    only = ledger_access()
    errors: list[str] = []
    filters = ledger_filters(only, errors)
    query = ledger.ledger_query(g.org, filters)
    page = web.paginate(query, LEDGER_PER_PAGE, total=ledger.count(query))
    rows = page.rows
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
        spam_count = ledger.count(
            ledger.ledger_query(g.org, ledger.Filters(spam=True, subtree=filters.subtree))
        )
    return render(
        "admin/feedback.html",
        entries=rows,
        filters=filters,
        args=filter_args(filters),
        total=page.total,
        page=page.number,
        pages=page.pages,
        errors=errors,
        names=web.display_names(e.handler_id for e in rows),
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
    query = ledger.ledger_query(g.org, filters)
    loc = locale()
    name = export.filename(g.org, fmt, localtime.today(g.org))
    if fmt == "csv":
        body: str | bytes = export.export_csv(query, locale=loc)
        mimetype = "text/csv; charset=utf-8"
    else:
        body = export.export_xlsx(query, locale=loc, title=f"{g.org.code}")
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@admin.route("/stats")
def statistics():
    if not web.may("feedback.view"):
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
        today=localtime.today(g.org),
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
    form.set_items(feedback.items_to_choose(current_user, g.org), locale())
    return form


@admin.route("/new", methods=["GET", "POST"])
def new():
    if not web.may("feedback.record"):
        abort(403)
    if request.method == "GET":
        form = record_form(data={"received_on": localtime.today(g.org)})
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
            status, errors = exc.status, attach_problems(form, web.refusal(exc))
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
    names = web.display_names(
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
        may_assign=web.may("feedback.assign", entry.organisation)
        and entry.state in ("received", "assigned", "rectifying")
        and not entry.spam,
        may_publish=web.may("feedback.publish", entry.organisation)
        and entry.state in ("answered", "closed"),
        may_spam=web.may("feedback.assign", entry.organisation) and entry.state == "received",
        closing_problems=feedback_rules.closing_problems(entry)
        if entry.state == "answered"
        else [],
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
    """One console step with a small form (:func:`core.web.form_step`): on a refusal the entry
    comes back with the input kept and the reason."""
    entry = entry_or_404(feedback_id)
    form = form_cls()
    if form_name == "assign_form":
        form.set_handlers(feedback.handlers(entry.organisation))
    return web.form_step(
        form,
        lambda f: call(entry, f),
        page=lambda **kw: detail_page(entry, **kw),
        done=done,
        to=url_for(".detail", feedback_id=entry.id) + anchor,
        name=form_name,
        failed=failed,
    )


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


# --- the organisation's home: the ledger's open entries ---------------------------------------


@status.section("feedback", _("Feedback ledger"), action="feedback.view", order=50)
def feedback_status(org, user):
    """Open entries and those past their answer's due date (one query)."""
    today = localtime.today(org)
    total, late = db.session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(case((FeedbackEntry.due_on < today, 1), else_=0)), 0),
        ).where(
            FeedbackEntry.org_id == org.id,
            FeedbackEntry.state.in_(OPEN_STATES),
            FeedbackEntry.spam.is_(False),
        )
    ).one()
    link = url_for("feedback_admin.ledger", org_code=org.code)
    return [
        status.Fact(_("Open"), total, link=link),
        status.Fact(_("Past the due date"), late, link=link, tone="bad" if late else "ok"),
    ]
