"""Item pages of the unit console (``/admin/o/<code>/...``): the items of a unit, the item form,
an item with its workflow steps, the superior's inbox, decisions and filings, timeliness. (The
register's page is :mod:`core.register.views`.)

As in the catalogue console: pages need a signed-in user (else the sign-in page) with a role that
the action allows (else 403); items are looked up inside the organisation of the URL (else 404).
Views parse, authorise, call one operation, then render or redirect; a refused operation is shown
on the same page with the user's input kept and a 4xx status (the app then rolls back).
"""

from __future__ import annotations

import difflib
import io
from typing import Any

from flask import (
    abort,
    flash,
    g,
    redirect,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext, ngettext
from flask_login import current_user
from sqlalchemy import and_, case, func, or_, select
from werkzeug.exceptions import RequestEntityTooLarge

from core import db, i18n, localtime, permissions, text, web
from core.catalogue import labels, schedule
from core.catalogue import operations as cat
from core.config import SUPPORTED_LOCALES
from core.errors import UserError
from core.i18n import LANGUAGE_NAMES, _
from core.items import content, forms, timeliness
from core.items import operations as items
from core.items import types as item_types
from core.items import workflow as wf
from core.items.models import Attachment, DisclosureFlag, Item, ItemVersion, Objection
from core.params import operations as params
from core.storage import request_limit_text, storage
from core.themes import render
from core.web import navigation, status
from core.workflow import allowed_transitions, may_start
from core.workflow.models import WorkflowStep
from tenants import codelists
from tenants.models import Organisation

bp = web.org_blueprint("items_admin", __name__, console=True)

ITEM_PAGES = ("items_admin.detail", "items_admin.edit", "items_admin.amend", "items_admin.new")
navigation.entry(
    "disclosure", "items", _("Disclosure items"), "items_admin.index",
    action="items.view_console", order=10, match=ITEM_PAGES,
)  # fmt: skip
navigation.entry(
    "disclosure", "notices", _("Notices in their period"), "items_admin.index",
    action="items.view_console", order=40, args={"state": "notices"},
)  # fmt: skip
navigation.entry(
    "supervision", "items.inbox", _("Item decisions"), "items_admin.inbox",
    action="items.view_console", order=20, when=navigation.has_units_below,
    match=("items_admin.decide",),
)  # fmt: skip
navigation.entry(
    "supervision", "items.filings", _("Filings: withheld items"), "items_admin.filings",
    action="items.view_console", order=40, when=navigation.has_units_below,
)  # fmt: skip
navigation.entry(
    "supervision", "timeliness", _("Timeliness"), "items_admin.timeliness_page",
    action="items.view_console", order=60,
)  # fmt: skip
navigation.entry(
    "participation", "objections", _("Objections"), "items_admin.objections",
    action="items.view_console", order=30,
)  # fmt: skip
navigation.quick("items.new", _("New item"), "items_admin.new", action="items.edit", order=10)

PER_PAGE = 25
EDITABLE_STATES = ("draft", "proposed", *items.REPLAN_STATES)
UPLOAD_STATES = ("draft", "proposed", "amendment_pending")
DECISION_STATES = items.DECISION_STATES
SUPERIOR_STEPS = {
    "superior_review": ("superior_approve", "superior_return"),
    "amendment_pending": ("approve_amendment", "reject_amendment"),
    "revocation_pending": ("approve_revocation", "reject_revocation"),
}
# The steps behind a plain button: the operation each one runs.
STEPS = {
    "propose": items.propose,
    "approve": items.approve,
    "schedule": items.schedule_publication,
    "publish": items.publish,
    "close": items.close,
}
STEP_TRANSITIONS = {"approve": ("approve", "escalate")}


# --- helpers ---------------------------------------------------------------------------------


require, may = web.require, web.may


def item_or_404(item_id: int) -> Item:
    return web.object_or_404(Item, item_id)


def require_step(item: Item, *names: str) -> None:
    """403 unless the user may start one of the item's steps ``names`` (the engine decides)."""
    web.require_step(wf.item, item, *names)


_ENTRY_TITLES: dict[tuple, dict[str, str]] = {}


def entry_titles(org: Organisation) -> dict[str, str]:
    """``{entry key: title}`` of the catalogue in force (one query; an approved version's
    entries never change, so they are read once per process)."""
    version = cat.effective_version(org)
    if version is None:
        return {}
    loc = i18n.locale()
    key = (version.id, version.decided_at, loc)
    titles = _ENTRY_TITLES.get(key)
    if titles is None:
        titles = {e.key: e.title(loc) for e in cat.entries(version)}
        if len(_ENTRY_TITLES) > 2000:
            _ENTRY_TITLES.clear()
        _ENTRY_TITLES[key] = titles
    return titles


def base_context() -> dict[str, Any]:
    loc = i18n.locale()
    return {
        "org": g.org,
        "locale": loc,
        "labels": labels,
        "item_labels": forms,
        "channel_labels": cat.channel_labels(loc),
        "transition_label": wf.item.label,
        "language_names": LANGUAGE_NAMES,
        "render_markdown": content.render,
        "locales": SUPPORTED_LOCALES,
        "may_edit": may("items.edit"),
        "extra_facts": lambda item: item_types.display(item, loc),
    }


# --- the list --------------------------------------------------------------------------------


def group_conditions(group: str) -> list:
    _label, states = forms.GROUPS[group]
    conditions = [Item.org_id == g.org.id]
    if states is not None:
        conditions.append(Item.state.in_(states))
    if group == "notices":
        conditions += [Item.is_notice.is_(True), Item.notice_ends_at > db.utcnow()]
    return conditions


def group_counts() -> dict[str, int]:
    """How many items each tab holds (two queries)."""
    return group_counts_of(g.org)


def group_counts_of(org: Organisation) -> dict[str, int]:
    by_state = dict(
        db.session.execute(
            select(Item.state, func.count()).where(Item.org_id == org.id).group_by(Item.state)
        ).all()
    )
    counts = {}
    for key, (_label, states) in forms.GROUPS.items():
        counts[key] = sum(n for s, n in by_state.items() if states is None or s in states)
    counts["notices"] = db.session.scalar(
        select(func.count())
        .select_from(Item)
        .where(
            Item.org_id == org.id,
            Item.state == "published",
            Item.is_notice.is_(True),
            Item.notice_ends_at > db.utcnow(),
        )
    )
    return counts


@bp.route("/items")
def index():
    require("items.view_console")
    group = request.args.get("state", "all")
    if group not in forms.GROUPS:
        group = "all"
    counts = group_counts()
    query = (
        select(Item)
        .where(*group_conditions(group))
        .order_by(Item.created_at.desc(), Item.id.desc())
    )
    page = web.paginate(query, PER_PAGE, total=counts[group])
    return render(
        "admin/items.html",
        items=page.rows,
        group=group,
        counts=counts,
        page=page.number,
        pages=page.pages,
        entries=entry_titles(g.org),
        **base_context(),
    )


# --- the item form ---------------------------------------------------------------------------


def due_now(org: Organisation, version, today) -> list[schedule.ExpectedDisclosure]:
    """The disclosures of the catalogue in force whose period has begun and whose due date has
    not passed, without an item yet (a revoked or refused one does not count)."""
    if version is None:
        return []
    expected = [
        e
        for year in (today.year - 1, today.year)
        for e in schedule.expected(version, year)
        if e.period_start <= today <= e.due
    ]
    if not expected:
        return []
    done = {
        tuple(row)
        for row in db.session.execute(
            select(Item.entry_key, Item.period_key).where(
                Item.org_id == org.id,
                Item.entry_key.in_({e.entry_key for e in expected}),
                Item.state.not_in(("revoked", "refused")),
            )
        )
    }
    return [e for e in expected if (e.entry_key, e.period_key) not in done]


def item_form(current_period: str | None = None, *, keep=(), **kwargs) -> forms.ItemForm:
    """The item form (``keep``: the item's channels, a retired one of its county stays offered)."""
    org = g.org
    form_class = forms.ItemForm.with_types(item_types.types_for(org))  # plugins' extra fields
    version = cat.effective_version(org)
    today = localtime.today(org)
    form = form_class(
        org=org,
        version=version,
        min_notice_days=params.value(org, "notice.min_days"),
        due=due_now(org, version, today),
        today=today,
        current_period=current_period,
        keep=keep,
        **kwargs,
    )
    days = params.value(org, "scope.internal_first_days")
    form.internal_first.description = (
        ngettext(
            "A public item is published within the Party first and widens to the public after "
            "%(num)s day (this organisation's policy parameter).",
            "A public item is published within the Party first and widens to the public after "
            "%(num)s days (this organisation's policy parameter).",
            days,
        )
        if days
        else gettext(
            "This organisation's policy parameter sets no days inside the Party: a public item "
            "goes to the public at once."
        )
    )
    return form


def form_page(form: forms.ItemForm, item: Item | None, *, status: int = 200, errors=()):
    return render(
        "admin/items_form.html",
        form=form,
        item=item,
        errors=list(errors),
        preview=preview(form) if "preview" in request.form else None,
        **base_context(),
    ), status


def preview(form: forms.ItemForm) -> list[dict[str, Any]]:
    """The title and text in each language as they will be published (sanitised Markdown)."""
    out = []
    for loc in SUPPORTED_LOCALES:
        title = (getattr(form, f"title_{loc}").data or "").strip()
        body = getattr(form, f"body_{loc}").data or ""
        if title or body.strip():
            out.append(
                {"locale": loc, "language": str(forms.BODIES[loc]), "title": title,
                 "html": content.render(body)}
            )  # fmt: skip
    return out


def only_showing() -> bool:
    """A press of “Preview” or “Show its periods”: the form is shown again, nothing is saved."""
    return request.method == "POST" and ("preview" in request.form or "periods" in request.form)


@bp.route("/items/new", methods=["GET", "POST"])
def new():
    require("items.edit")
    form = item_form(data=new_item_defaults()) if request.method == "GET" else item_form()
    status, errors = 200, []
    if only_showing():
        if "periods" in request.form:
            form.suggest_period()
    elif form.validate_on_submit():
        data = form.to_data()
        if form.scope.data == "specific":
            data["audience"] = form.audience()
        try:
            item = items.create(g.org, data, actor=current_user, attachments=form.uploads())
        except UserError as exc:
            status, errors = exc.status, forms.attach_problems(form, web.refusal(exc))
        else:
            flash(gettext("The item was saved as a draft."), "success")
            return redirect(url_for(".detail", item_id=item.id))
    elif request.method == "POST":
        status = 400
    return form_page(form, None, status=status, errors=errors)


def new_item_defaults() -> dict[str, Any]:
    """A new form: the plan of the entry asked for (``?entry=&period=``), else empty."""
    data: dict[str, Any] = {
        "internal_first": True,
        "notice_days": params.value(g.org, "notice.min_days"),
    }
    key = request.args.get("entry")
    version = cat.effective_version(g.org) if key else None
    entry = next((e for e in cat.entries(version) if e.key == key), None) if version else None
    if entry is not None:
        today = localtime.today(g.org)
        due = {d.entry_key: d.period_key for d in due_now(g.org, version, today)}
        data.update(
            entry_key=entry.key,
            period_key=request.args.get("period")
            or due.get(entry.key)
            or items.period_for(entry.cadence, today)
            or "",
            scope=entry.scope,
            channels=list(entry.channels or []),
            title_zh_Hans_CN=entry.titles.get("zh_Hans_CN", ""),
            title_en=entry.titles.get("en", ""),
            title_ug=entry.titles.get("ug", ""),
        )
        if entry.notice_days:
            data.update(is_notice=True, notice_days=entry.notice_days)
    return data


@bp.route("/items/<int:item_id>/edit", methods=["GET", "POST"])
def edit(item_id: int):
    require("items.edit")
    item = item_or_404(item_id)
    if item.state not in EDITABLE_STATES:
        flash(gettext("A published item is changed by an amendment."), "info")
        return redirect(url_for(".detail", item_id=item.id))
    current_audience = items.audience(item)
    zone = localtime.zone(g.org)
    if request.method == "GET":
        initial = forms.ItemForm.initial(item, item.current_version, current_audience, zone)
        form = item_form(current_period=item.period_key, keep=item.channels or (), data=initial)
    else:
        form = item_form(current_period=item.period_key, keep=item.channels or ())
    status, errors = 200, []
    if only_showing():
        if "periods" in request.form:
            form.suggest_period()
    elif form.validate_on_submit():
        data = form.to_data()
        if item.planned_at and data["planned_at"] == localtime.local_naive(
            item.planned_at, g.org
        ).replace(tzinfo=zone):
            data["planned_at"] = item.planned_at  # unchanged to the minute: keep the seconds
        if form.audience() != current_audience:
            data["audience"] = form.audience()
        before = item.state
        try:
            changed = items.update(item, data, actor=current_user, attachments=form.uploads())
        except UserError as exc:
            status, errors = exc.status, forms.attach_problems(form, web.refusal(exc))
        else:
            if not changed:
                flash(gettext("Nothing was changed."), "info")
            elif before in items.REPLAN_STATES:
                flash(gettext("The item was saved; the change returns it to the review."), "info")
            else:
                flash(gettext("The item was saved."), "success")
            return redirect(url_for(".detail", item_id=item.id))
    elif request.method == "POST":
        status = 400
    return form_page(form, item, status=status, errors=errors)


# --- one item --------------------------------------------------------------------------------


def detail_context(item: Item, **extra) -> dict[str, Any]:
    version = item.current_version
    all_versions = items.versions(item)
    newest = all_versions[-1] if all_versions else None
    pending = newest if newest is not None and newest.id != item.current_version_id else None
    names = {t.name for t in allowed_transitions(wf.item, item, actor=current_user)}
    steps = items.history(item)
    reviews = items.reviews(item)
    objections = items.objections(item) if item.is_notice else []
    now = db.utcnow()
    context = base_context()
    context.update(
        item=item,
        version=version,
        versions=all_versions,
        version_numbers={v.id: v.number for v in all_versions},
        pending=pending if item.state == "amendment_pending" else None,
        attachments=items.attachments(item, version) if version else [],
        pending_attachments=(
            items.attachments(item, pending)
            if pending is not None and item.state == "amendment_pending"
            else []
        ),
        reviews=reviews,
        steps=steps,
        names=web.display_names(
            [s.actor_id for s in steps]
            + [r.reviewer_id for r in reviews]
            + [item.created_by_id]
            + [o.handled_by_id for o in objections if o.handled_by_id]
        ),
        objections=objections,
        objection_forms={
            o.id: forms.ObjectionOutcomeForm(formdata=None, prefix=f"objection-{o.id}")
            for o in objections
            if not o.handled
        },
        audience=items.audience(item) if item.scope == "specific" else None,
        entry_title=entry_titles(g.org).get(item.entry_key) if item.entry_key else None,
        needs_superior=items.needs_superior(item),
        parent=(
            db.session.get(Organisation, item.organisation.parent_id)
            if item.organisation.parent_id
            else None
        ),
        can=names,
        superior_steps=bool(names & set(SUPERIOR_STEPS.get(item.state, ()))),
        planned_time_reached=item.planned_at is not None and item.planned_at <= now,
        notice_over=not item.is_notice
        or (item.notice_ends_at is not None and item.notice_ends_at <= now),
        notice_open=items.notice_open(item, now),
        editable=item.state in EDITABLE_STATES and may("items.edit"),
        uploadable=item.state in UPLOAD_STATES and may("items.edit"),
        may_handle_objections=may("items.edit"),
        review_form=forms.ReviewForm(formdata=None),
        return_form=forms.ReturnForm(formdata=None),
        withhold_form=forms.WithholdForm(formdata=None),
        revocation_form=forms.RevocationForm(formdata=None),
        objection_labels=OBJECTION_LABELS,
        upload_form=forms.UploadForm(formdata=None),
        errors=[],
        failed=None,
    )
    context["objection_failed"] = extra.pop("objection_failed", None)
    failed_objection = extra.pop("objection_form", None)
    if failed_objection is not None:
        context["objection_forms"][context["objection_failed"]] = failed_objection
    context.update(extra)
    return context


def detail_page(item: Item, *, status: int = 200, **extra):
    return render("admin/items_detail.html", **detail_context(item, **extra)), status


@bp.route("/items/<int:item_id>")
def detail(item_id: int):
    require("items.view_console")
    return detail_page(item_or_404(item_id))


STEP_MESSAGES = {
    "propose": lambda: gettext("The item was proposed for the review."),
    "schedule": lambda: gettext("The publication is scheduled."),
    "publish": lambda: gettext("The item is published."),
    "close": lambda: gettext("The item is closed."),
}


@bp.route(
    "/items/<int:item_id>/<any(propose, approve, schedule, publish, close):step>",
    methods=["POST"],
)
def run_step(item_id: int, step: str):
    require("items.view_console")
    item = item_or_404(item_id)
    require_step(item, *STEP_TRANSITIONS.get(step, (step,)))
    if not forms.ConfirmForm().validate_on_submit():
        abort(400)
    try:
        STEPS[step](item, actor=current_user)
    except UserError as exc:
        return detail_page(item, status=exc.status, errors=web.refusal(exc), failed=step)
    if step == "approve":
        if item.state == "superior_review":
            flash(gettext("The item was submitted to the superior organisation."), "success")
        else:
            flash(gettext("The item is approved."), "success")
    else:
        flash(STEP_MESSAGES[step](), "success")
    return redirect(url_for(".detail", item_id=item.id))


@bp.route("/items/<int:item_id>/review", methods=["POST"])
def review(item_id: int):
    require("items.view_console")
    item = item_or_404(item_id)
    require_step(item, "review", "refuse")
    form = forms.ReviewForm()
    if not form.validate_on_submit():
        return detail_page(item, status=400, review_form=form, failed="review")
    try:
        record = items.review(item, actor=current_user, **form.to_kwargs())
    except UserError as exc:
        return detail_page(
            item, status=exc.status, errors=web.refusal(exc), review_form=form, failed="review"
        )
    if item.state == "reviewed":
        flash(gettext("The review is recorded: the item may be approved."), "success")
    elif item.state == "refused":
        flash(gettext("Publication was refused."), "success")
    else:
        flash(gettext("The item was returned to the editor."), "success")
    return redirect(url_for(".detail", item_id=item.id) + f"#review-{record.id}")


def form_step(item_id: int, step: str, form_cls, form_name: str, failed: str, call, done: str):
    """A console step that takes one small form (a comment, a reason, an explanation): check it,
    run the operation, and on a refusal show the detail page again with the input kept."""
    require("items.view_console")
    item = item_or_404(item_id)
    require_step(item, step)
    return web.form_step(
        form_cls(),
        lambda form: call(item, form),
        page=lambda **kw: detail_page(item, **kw),
        done=done,
        to=url_for(".detail", item_id=item.id),
        name=form_name,
        failed=failed,
        attach=lambda form, lines: lines,
    )


@bp.route("/items/<int:item_id>/return", methods=["POST"])
def return_to_draft(item_id: int):
    return form_step(
        item_id, "return_to_draft", forms.ReturnForm, "return_form", "return",
        lambda item, form: items.return_to_draft(
            item, actor=current_user, comment=form.return_comment.data.strip()
        ),
        gettext("The item was returned to the editor."),
    )  # fmt: skip


@bp.route("/items/<int:item_id>/withhold", methods=["POST"])
def withhold(item_id: int):
    return form_step(
        item_id, "withhold", forms.WithholdForm, "withhold_form", "withhold",
        lambda item, form: items.withhold(
            item, actor=current_user, reason=form.reason.data.strip()
        ),
        gettext("The item is withheld and filed with the superior organisation."),
    )  # fmt: skip


@bp.route("/items/<int:item_id>/revoke", methods=["POST"])
def revoke(item_id: int):
    return form_step(
        item_id, "request_revocation", forms.RevocationForm, "revocation_form", "revoke",
        lambda item, form: items.request_revocation(
            item, actor=current_user, explanation=form.explanation.data.strip(),
            reason=form.reason.data,
        ),
        gettext("The revocation waits for the superior organisation's approval."),
    )  # fmt: skip


OBJECTION_LABELS = {
    "upheld": _("Upheld"),
    "dismissed": _("Dismissed"),
    "amendment": _("amendment"),
    "withholding": _("withholding"),
    "revocation": _("revocation"),
}


@bp.route("/items/<int:item_id>/objections/<int:objection_id>", methods=["POST"])
def handle_objection(item_id: int, objection_id: int):
    """Record what was checked and the outcome of one objection (the unit's admins and
    editors); an upheld one is then carried out by the item's own steps on the same page."""
    require("items.edit")
    item = item_or_404(item_id)
    objection = items.objection_of(item, objection_id)
    if objection is None:
        abort(404)
    form = forms.ObjectionOutcomeForm(prefix=f"objection-{objection.id}")
    if not form.validate_on_submit():
        if "csrf_token" in form.errors or objection.handled:
            abort(400)
        return detail_page(
            item, status=400, objection_form=form, objection_failed=objection.id,
            errors=[gettext("The outcome was not recorded.")],
        )  # fmt: skip
    try:
        items.handle_objection(objection, actor=current_user, **form.to_kwargs())
    except UserError as exc:
        return detail_page(
            item, status=exc.status, errors=web.refusal(exc), objection_form=form,
            objection_failed=objection.id,
        )  # fmt: skip
    flash(
        gettext("The outcome of objection %(receipt)s is recorded.", receipt=objection.receipt),
        "success",
    )
    return redirect(url_for(".detail", item_id=item.id) + "#objections-h")


@bp.route("/objections")
def objections():
    """The objections to the unit's notices: those to handle first (oldest first), then those
    handled (newest first), each linked to its notice's page where the outcome is recorded."""
    require("items.view_console")
    to_handle = items.objections_to_handle([g.org.id])
    query = (
        select(Objection)
        .where(Objection.org_id == g.org.id, Objection.handled.is_(True))
        .order_by(Objection.handled_at.desc(), Objection.id.desc())
    )
    page = web.paginate(query, PER_PAGE)
    notices = {
        i.id: i
        for i in db.session.scalars(select(Item).where(Item.id.in_({o.item_id for o in page.rows})))
    }
    return render(
        "admin/objections.html",
        to_handle=to_handle,
        handled=[(o, notices.get(o.item_id)) for o in page.rows],
        page=page.number,
        pages=page.pages,
        objection_labels=OBJECTION_LABELS,
        **base_context(),
    )


@bp.route("/items/<int:item_id>/attachments", methods=["POST"])
def upload(item_id: int):
    require("items.edit")
    item = item_or_404(item_id)
    form = forms.UploadForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        added = items.add_attachments(item, form.uploads(), actor=current_user)
    except UserError as exc:
        rest = forms.attach_problems(form, web.refusal(exc))
        return detail_page(item, status=exc.status, errors=rest, upload_form=form, failed="upload")
    flash(gettext("Attached: %(names)s.", names=", ".join(a.filename for a in added)), "success")
    return redirect(url_for(".detail", item_id=item.id) + "#item-attachments")


@bp.errorhandler(RequestEntityTooLarge)
def too_large(exc):
    """A form larger than ``MAX_CONTENT_LENGTH`` (an upload): none of it was read and nothing is
    saved. Whoever may see the item gets its page again with the reason; anyone else the error
    page (the check runs before the sign-in and permission checks)."""
    message = gettext(
        "The files are too large: a form takes at most %(size)s in all. Nothing was attached; "
        "choose smaller files, or fewer at once.",
        size=request_limit_text(),
    )
    item_id = (request.view_args or {}).get("item_id")
    if item_id is not None and g.get("org") is not None and current_user.is_authenticated:
        item = items.get(g.org, item_id) if may("items.view_console") else None
        if item is not None:
            return detail_page(item, status=413, errors=[message], failed="upload")
    title = gettext("The upload is too large")
    return render("error.html", status=413, title=title, message=message), 413


@bp.route("/items/<int:item_id>/attachments/<int:attachment_id>")
def attachment(item_id: int, attachment_id: int):
    require("items.view_console")
    item = item_or_404(item_id)
    found = db.session.get(Attachment, attachment_id)
    if found is None or found.item_id != item.id:
        abort(404)
    return send_file(
        io.BytesIO(storage().open(found.storage_key)),
        mimetype=found.content_type,
        as_attachment=True,
        download_name=found.filename,
    )


@bp.route("/items/<int:item_id>/amend", methods=["GET", "POST"])
def amend(item_id: int):
    require("items.view_console")
    item = item_or_404(item_id)
    require_step(item, "request_amendment")
    version = item.current_version
    if request.method == "GET":
        form = forms.AmendmentForm(data=forms.AmendmentForm.initial(version))
    else:
        form = forms.AmendmentForm()
    status, errors = 200, []
    if form.validate_on_submit():
        try:
            items.request_amendment(
                item,
                actor=current_user,
                titles=forms.texts(form, "title"),
                bodies=forms.texts(form, "body"),
                explanation=form.explanation.data.strip(),
                reason=form.reason.data,
            )
        except UserError as exc:
            status, errors = exc.status, forms.attach_problems(form, web.refusal(exc))
        else:
            flash(
                gettext("The amendment waits for the superior organisation's approval."),
                "success",
            )
            return redirect(url_for(".detail", item_id=item.id))
    elif request.method == "POST":
        status = 400
    return render(
        "admin/items_amend.html", form=form, item=item, version=version, errors=errors,
        **base_context(),
    ), status  # fmt: skip


# --- the superior: inbox, decisions, filings -------------------------------------------------


def subtree_items_query(states, *, strict: bool):
    """The items of the organisation's subtree (``strict``: of the units below only) in
    ``states``, the latest changed first."""
    query = (
        select(Item)
        .join(Organisation, Organisation.id == Item.org_id)
        .where(
            Item.state.in_(states),
            Organisation.path.startswith(g.org.path, autoescape=True),
        )
        .order_by(Item.updated_at.desc(), Item.id.desc())
    )
    if strict:
        query = query.where(Organisation.id != g.org.id)
    return query


def subtree_items(states, *, strict: bool) -> list[Item]:
    return list(db.session.scalars(subtree_items_query(states, strict=strict)))


UNIT_STEPS = {
    "to_review": ("proposed", ("review", "refuse", "return_to_draft")),
    "to_approve": ("reviewed", ("approve", "escalate")),
    "to_schedule": ("approved", ("schedule",)),
}
"""The unit's own hand-offs in its inbox: items in a state, and the steps that take them on."""


def unit_waiting() -> dict[str, list[Item]]:
    """The unit's own items that wait for a step the signed-in user may take (one query)."""
    states = {state: group for group, (state, _steps) in UNIT_STEPS.items()}
    rows = db.session.scalars(
        select(Item)
        .where(Item.org_id == g.org.id, Item.state.in_(states))
        .order_by(Item.updated_at, Item.id)
    )
    waiting: dict[str, list[Item]] = {group: [] for group in UNIT_STEPS}
    for item in rows:
        group = states[item.state]
        steps = UNIT_STEPS[group][1]
        if any(may_start(wf.item, item, step, actor=current_user) for step in steps):
            waiting[group].append(item)
    return waiting


@bp.route("/items/inbox")
def inbox():
    """What waits for the signed-in user here: the unit's own items to review, approve or
    schedule, and the items of the units below to decide on as their superior."""
    require("items.view_console")
    waiting = [
        item
        for item in subtree_items(DECISION_STATES, strict=False)
        if permissions.may(current_user, "items.decide", item)
    ]
    return render("admin/items_inbox.html", waiting=waiting, unit=unit_waiting(), **base_context())


def reviewer_home(org: Organisation) -> str | None:
    """The nearest superior of ``org`` where the current user decides on items (for the inbox)."""
    org_id = permissions.nearest_superior(current_user, "items.decide", org)
    return db.session.get(Organisation, org_id).code if org_id is not None else None


def version_diff(before: ItemVersion, after: ItemVersion) -> list[dict[str, Any]]:
    """Per language, the title and text of two versions, with the changed lines marked."""
    rows = []
    for loc in SUPPORTED_LOCALES:
        for kind, old, new in (
            ("title", before.titles.get(loc, ""), after.titles.get(loc, "")),
            ("body", before.bodies.get(loc, ""), after.bodies.get(loc, "")),
        ):
            if not old and not new:
                continue
            lines = [
                (line[0], line[2:])
                for line in difflib.ndiff(old.splitlines(), new.splitlines())
                if line[:1] in ("-", "+", " ")
            ]
            rows.append(
                {"locale": loc, "kind": kind, "old": old, "new": new,
                 "changed": old != new, "lines": lines}
            )  # fmt: skip
    return rows


@bp.route("/items/<int:item_id>/decide", methods=["GET", "POST"])
def decide(item_id: int):
    require("items.decide")  # before the lookup: a refusal says nothing of what exists
    item = item_or_404(item_id)
    require("items.decide", item)
    form = forms.DecisionForm()
    decision = request.form.get("decision") if request.method == "POST" else None
    status, errors = 200, []
    if request.method == "POST":
        if decision not in ("approve", "return"):
            abort(400)
        status = 400
        if form.validate_on_submit():
            comment = (form.comment.data or "").strip()
            if decision == "return" and not comment:
                form.comment.errors = [
                    gettext("Write a comment that tells the unit why and what to change.")
                ]
            else:
                try:
                    decide_item(item, approve=decision == "approve", comment=comment or None)
                except UserError as exc:
                    status, errors = exc.status, web.refusal(exc)
                else:
                    flash(decision_message(item, decision), "success")
                    home = reviewer_home(g.org)
                    if home:
                        return redirect(url_for(".inbox", org_code=home))
                    return redirect(url_for(".detail", item_id=item.id))
    context = detail_context(item)
    pending = context["pending"]
    blank = forms.DecisionForm(formdata=None)
    context.update(
        approve_form=form if decision == "approve" else blank,
        return_form=form if decision == "return" else blank,
        decision=decision,
        errors=errors,
        diff=version_diff(item.current_version, pending) if pending is not None else [],
        latest_review=context["reviews"][-1] if context["reviews"] else None,
        open_for_decision=item.state in DECISION_STATES,
    )
    return render("admin/items_decide.html", **context), status


def decide_item(item: Item, *, approve: bool, comment: str | None) -> None:
    """The superior's decision on what waits for it (one operation per state)."""
    if item.state == "amendment_pending":
        items.decide_amendment(item, actor=current_user, approve=approve, comment=comment)
    elif item.state == "revocation_pending":
        items.decide_revocation(item, actor=current_user, approve=approve, comment=comment)
    else:
        items.superior_decide(item, actor=current_user, approve=approve, comment=comment)


def decision_message(item: Item, decision: str) -> str:
    title = item.title(i18n.locale())
    if decision == "approve":
        return gettext("Approved: “%(title)s”.", title=title)
    return gettext("Returned to the unit: “%(title)s”.", title=title)


FILINGS_PER_PAGE = 50


def filings_query():
    """The withheld items of the units below: those waiting for an acknowledgement first, then
    the latest changed."""
    return (
        subtree_items_query(("withheld",), strict=True)
        .order_by(None)
        .order_by(Item.filing_acknowledged_at.is_not(None), Item.updated_at.desc(), Item.id.desc())
    )


def filed_here(item: Item) -> bool:
    """``item`` belongs to a unit below the organisation (its filings list shows it)."""
    return item.org_id != g.org.id and item.organisation.path.startswith(g.org.path)


def filing_page(item_id: int) -> int:
    """The page of the filings list that shows the item ``item_id`` (1 when it is not one of
    them): how many come before it in the list's order, in one count."""
    item = db.session.get(Item, item_id)
    if item is None or item.state != "withheld" or not filed_here(item):
        return 1
    later = or_(
        Item.updated_at > item.updated_at,
        and_(Item.updated_at == item.updated_at, Item.id > item.id),
    )
    waiting = Item.filing_acknowledged_at.is_(None)
    before = (
        or_(waiting, later) if item.filing_acknowledged_at is not None else and_(waiting, later)
    )
    count = db.session.scalar(
        select(func.count()).select_from(filings_query().where(before).order_by(None).subquery())
    )
    return (count or 0) // FILINGS_PER_PAGE + 1


@bp.route("/items/filings")
def filings():
    require("items.view_console")
    asked = request.args.get("filing", type=text.db_int)
    if asked is not None:  # a link to one filing (My work): the page that shows it
        page_number = filing_page(asked)
        return redirect(url_for(".filings", page=page_number) + f"#filing-{asked}")
    # a page at a time: a county of 3,000 units has thousands
    page = web.paginate(filings_query(), FILINGS_PER_PAGE)
    withheld = page.rows
    names = web.display_names(i.filing_acknowledged_by_id for i in withheld)
    steps: dict[int, WorkflowStep] = {}  # who withheld each item, and when (one query)
    if withheld:
        for step in db.session.scalars(
            select(WorkflowStep)
            .where(
                WorkflowStep.object_type == "item",
                WorkflowStep.object_id.in_([i.id for i in withheld]),
                WorkflowStep.transition == "withhold",
            )
            .order_by(WorkflowStep.id)
        ):
            steps[step.object_id] = step
    return render(
        "admin/items_filings.html", withheld=withheld, steps=steps, names=names, page=page,
        may_acknowledge=lambda item: permissions.may(current_user, "items.receive_filing", item),
        **base_context(),
    )  # fmt: skip


@bp.route("/items/filings/<int:item_id>/acknowledge", methods=["POST"])
def acknowledge_filing(item_id: int):
    """A superior's admin or reviewer acknowledges a withheld item of a unit below (PUB-6)."""
    require("items.view_console")
    item = web.object_or_404(Item, item_id, state="withheld")
    if not filed_here(item):
        abort(404)
    if not permissions.may(current_user, "items.receive_filing", item):
        abort(403)
    form = forms.AcknowledgeForm()
    if not form.validate_on_submit():
        flash(gettext("The note is too long: at most 2000 characters."), "error")
        return redirect(url_for(".filings", filing=item.id))
    try:
        items.acknowledge_filing(item, actor=current_user, note=form.note.data)
    except UserError as exc:
        flash(str(exc.message), "error")
        return redirect(url_for(".filings", filing=item.id))
    flash(gettext("The filing is acknowledged."), "success")
    return redirect(url_for(".filings") + f"#filing-{item.id}")


# --- timeliness -----------------------------------------------------------------


@bp.route("/timeliness")
def timeliness_page():
    require("items.view_console")
    org = g.org
    year = web.year_arg()
    loc = i18n.locale()
    rows = [
        {
            "status": s,
            "period": labels.period(s.expected, loc),
            "title": s.expected.entry.title(loc),
        }
        for s in timeliness.status(org, year)
    ]
    flags = [f for f in timeliness.flags(org) if f.org_id != org.id]
    flag_orgs = {}
    if flags:
        flag_orgs = {
            o.id: o
            for o in db.session.scalars(
                select(Organisation).where(Organisation.id.in_({f.org_id for f in flags}))
            )
        }
    return render(
        "admin/items_timeliness.html",
        year=year,
        rows=rows,
        flags=flags,
        flag_orgs=flag_orgs,
        today=cat.today_for(org),
        **base_context(),
    )


# --- the organisation's home: status sections, the units below ------------------------------


@status.section("timeliness", _("Timeliness this year"), action="items.view_console", order=20)
def timeliness_status(org, user):
    """This period's expected disclosures against what is published; overdue and late."""
    today = cat.today_for(org)
    counts = timeliness.summary(org, today.year, today=today)
    if counts is None or not counts.expected:
        return None
    met, overdue, late = counts.met, counts.overdue, counts.late
    link = url_for("items_admin.timeliness_page", org_code=org.code)
    return [
        status.Fact(
            _("This period"),
            _("%(met)s of %(due)s published", met=met, due=counts.due),
            link=link,
            tone="ok" if met == counts.due else None,
        ),
        status.Fact(_("Overdue"), overdue, link=link, tone="bad" if overdue else "ok"),
        status.Fact(_("Published late"), late, link=link, tone="warn" if late else None),
    ]


@status.section("items", _("Disclosure items"), action="items.view_console", order=30)
def items_status(org, user):
    """Items in each workflow state (two queries), linking to the list's tabs."""
    counts = group_counts_of(org)
    return [
        status.Fact(
            str(forms.GROUPS[key][0]),
            counts[key],
            link=url_for("items_admin.index", org_code=org.code, state=key),
            tone="warn" if key in ("review", "superior") and counts[key] else None,
        )
        for key in ("notices", "drafts", "review", "superior", "approved", "published", "withheld")
    ]


UNITS_SHOWN = 10
"""Units on the home's "furthest behind" panel; the units page lists them all."""


def behind_query(org: Organisation):
    """The units strictly below ``org`` with open timeliness flags: (unit, overdue, late),
    furthest behind first (one query)."""
    flags = behind_counts()
    return (
        select(Organisation, flags.c.overdue, flags.c.late)
        .join(flags, flags.c.org_id == Organisation.id)
        .where(
            Organisation.path.startswith(org.path, autoescape=True),
            Organisation.id != org.id,
        )
        .order_by(flags.c.overdue.desc(), flags.c.late.desc(), Organisation.path)
    )


def behind_counts():
    """Open overdue and late flags per organisation (a subquery: org_id, overdue, late; grouped
    on the flags alone, since PostgreSQL cannot group on the organisations' JSON columns)."""
    return (
        select(
            DisclosureFlag.org_id,
            func.sum(case((DisclosureFlag.kind == "overdue", 1), else_=0)).label("overdue"),
            func.sum(case((DisclosureFlag.kind == "late", 1), else_=0)).label("late"),
        )
        .where(DisclosureFlag.resolved_at.is_(None))
        .group_by(DisclosureFlag.org_id)
        .subquery()
    )


@status.section(
    "units", _("Units furthest behind"), action="console.view", order=60,
    when=navigation.has_units_below,
)  # fmt: skip
def units_status(org, user):
    loc = i18n.locale()
    rows = db.session.execute(behind_query(org).limit(UNITS_SHOWN)).all()
    units_link = url_for("items_admin.units", org_code=org.code)
    return status.Table(
        [str(_("Unit")), str(_("Overdue")), str(_("Published late"))],
        [
            [
                status.Cell(unit.name(loc, "short"), link=unit_link(unit, user)),
                status.Cell(overdue, tone="bad" if overdue else None),
                status.Cell(late, tone="warn" if late else None),
            ]
            for unit, overdue, late in rows
        ],
        caption=str(_("By disclosures overdue, then published late")),
        more=(str(_("All units below")), units_link),
        empty=str(_("No unit below is behind: every expected disclosure is published on time.")),
    )


def unit_link(unit: Organisation, user) -> str:
    """A unit's console home for someone who may use it, else its timeliness page."""
    return url_for("org_console.home", org_code=unit.code)


UNITS_PER_PAGE = 50


@bp.route("/units")
def units():
    """The units below: their catalogue, timeliness and waiting decisions (SUP-1), in the
    tree's order or furthest behind first; a page at a time (a fixed number of queries)."""
    require("console.view")
    org = g.org
    order = request.args.get("order", "tree")
    if order not in ("tree", "behind"):
        order = "tree"
    below = (
        select(Organisation)
        .where(Organisation.path.startswith(org.path, autoescape=True), Organisation.id != org.id)
        .order_by(Organisation.path)
    )
    if order == "behind":
        flags = behind_counts()
        below = (
            select(Organisation)
            .outerjoin(flags, flags.c.org_id == Organisation.id)
            .where(
                Organisation.path.startswith(org.path, autoescape=True),
                Organisation.id != org.id,
            )
            .order_by(
                func.coalesce(flags.c.overdue, 0).desc(),
                func.coalesce(flags.c.late, 0).desc(),
                Organisation.path,
            )
        )
    page = web.paginate(below, UNITS_PER_PAGE)
    ids = [u.id for u in page.rows]
    facts = unit_facts(ids)
    return render(
        "admin/units.html",
        units=page.rows,
        facts=facts,
        order=order,
        page=page.number,
        pages=page.pages,
        total=page.total,
        depth0=org.depth,
        org_types=codelists.labels(codelists.ORG_TYPE, i18n.locale()),
        **base_context(),
    )


def unit_facts(ids: list[int]) -> dict[int, dict[str, Any]]:
    """Per unit: open overdue and late flags, items awaiting a superior's decision, and the
    catalogue (the number in force, a version submitted) — three queries for a page."""
    out: dict[int, dict[str, Any]] = {
        i: {"overdue": 0, "late": 0, "waiting": 0, "catalogue": None, "submitted": False}
        for i in ids
    }
    if not ids:
        return out
    for org_id, kind, n in db.session.execute(
        select(DisclosureFlag.org_id, DisclosureFlag.kind, func.count())
        .where(DisclosureFlag.org_id.in_(ids), DisclosureFlag.resolved_at.is_(None))
        .group_by(DisclosureFlag.org_id, DisclosureFlag.kind)
    ):
        out[org_id][kind] = n
    for org_id, n in db.session.execute(
        select(Item.org_id, func.count())
        .where(Item.org_id.in_(ids), Item.state.in_(DECISION_STATES))
        .group_by(Item.org_id)
    ):
        out[org_id]["waiting"] = n
    for org_id, state, number in db.session.execute(cat.unit_catalogue_states(ids)):
        if state == "approved":
            out[org_id]["catalogue"] = max(number, out[org_id]["catalogue"] or 0)
        elif state == "submitted":
            out[org_id]["submitted"] = True
    return out


navigation.entry(
    "supervision", "units", _("Units below"), "items_admin.units",
    action="console.view", order=10, when=navigation.has_units_below,
)  # fmt: skip
