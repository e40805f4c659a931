"""Catalogue pages: the unit console (``/admin/o/<code>/...``) and the public catalogue.

Console pages need a signed-in user (else the sign-in page) with a role that the action allows
(else 403); versions, categories and entries are looked up inside the organisation of the URL
(else 404). Views parse, authorise, call one operation, then render or redirect; a refused
operation is shown on the same page, with the user's input kept, and a 4xx status (the request's
transaction is then rolled back by the app).
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, g, redirect, request, url_for
from flask_babel import gettext
from flask_login import current_user

from core import db, i18n, permissions, text, web
from core.catalogue import forms, labels, schedule, transfer
from core.catalogue import operations as cat
from core.catalogue import workflow as wf
from core.catalogue.models import CatalogueVersion, Category, Entry
from core.errors import UserError
from core.themes import render
from core.web import navigation, status
from core.workflow import allowed_transitions
from tenants import codelists, hierarchy
from tenants.models import Organisation

bp = web.org_blueprint("catalogue_admin", __name__, console=True)
public_bp = web.org_blueprint("catalogue_public", __name__, console=False)

VERSION_PAGES = tuple(
    f"catalogue_admin.{name}"
    for name in ("version", "diff", "category_new", "category_edit", "category_remove",
                 "entry_new", "entry_edit", "entry_remove")
)  # fmt: skip
navigation.entry(
    "disclosure", "catalogue", i18n._("Catalogue"), "catalogue_admin.overview",
    action="catalogue.view_console", order=20, args={"kind": "unit"}, match=VERSION_PAGES,
)  # fmt: skip
navigation.entry(
    "disclosure", "schedule", i18n._("Schedule"), "catalogue_admin.schedule_page",
    action="catalogue.view_console", order=30,
)  # fmt: skip
navigation.entry(
    "disclosure", "catalogue.template", i18n._("Catalogue template"), "catalogue_admin.overview",
    action="catalogue.view_console", order=25, args={"kind": "template"}, match=VERSION_PAGES,
    when=navigation.has_units_below,
)  # fmt: skip
navigation.entry(
    "supervision", "catalogue.inbox", i18n._("Catalogue decisions"), "catalogue_admin.inbox",
    action="catalogue.view_console", order=30, when=navigation.has_units_below,
    match=("catalogue_admin.decide",),
)  # fmt: skip

EDIT_ACTION = {"unit": "catalogue.edit", "template": "catalogue.template"}
PREFIX = {"unit": "/catalogue", "template": "/catalogue/template"}


def both_kinds(rule: str, **options):
    """Register a view for the unit catalogue and, under ``/template``, for the template."""

    def decorator(view):
        for kind, prefix in PREFIX.items():
            bp.add_url_rule(prefix + rule, view_func=view, defaults={"kind": kind}, **options)
        return view

    return decorator


@bp.app_context_processor
def console_link():
    return {"console_url": console_url}


def console_url() -> str | None:
    """The console of the page's organisation, for a signed-in user who may use it (on its
    portal pages: the header links it)."""
    org = g.get("org")
    if org is None or not current_user.is_authenticated:
        return None
    if request.path.startswith("/admin/"):
        return None  # already in a console
    if not permissions.may(current_user, "console.view", org):
        return None
    return url_for("org_console.home", org_code=org.code)


# --- helpers ---------------------------------------------------------------------------------


require, may = web.require, web.may


def version_or_404(kind: str, number: int) -> CatalogueVersion:
    version = cat.version_by_number(g.org, kind, number)
    if version is None:
        abort(404)
    return version


def category_or_404(version: CatalogueVersion, category_id: int) -> Category:
    return web.object_or_404(Category, category_id, version_id=version.id)


def entry_or_404(version: CatalogueVersion, entry_id: int) -> Entry:
    return web.object_or_404(Entry, entry_id, version_id=version.id)


def require_draft(version: CatalogueVersion) -> None:
    if not version.editable:
        raise UserError(
            gettext("Only a draft can be edited. Start a new draft or reopen this one.")
        )


def state_label(version: CatalogueVersion, effective: CatalogueVersion | None) -> str:
    if version.state == "approved" and effective is not None:
        if version.id == effective.id:
            return gettext("In force")
        if version.effective_from and version.effective_from > cat.today_for(version.organisation):
            return gettext("Approved, in force from %(date)s", date=version.effective_from)
        return gettext("Superseded")
    return labels.state(version.state, version.kind)


def version_context(kind: str, version: CatalogueVersion | None) -> dict[str, Any]:
    """What the overview and the version page show of one version."""
    if version is None:
        return {"version": None}
    steps = cat.history(version)
    names = web.display_names([s.actor_id for s in steps] + [version.decided_by_id])
    own, superior = [], []
    for t in allowed_transitions(wf.for_version(version), version, actor=current_user):
        (superior if t.where == "superior" else own).append(t)
    return {
        "version": version,
        "nodes": cat.tree(version),
        "editable": version.editable and may(EDIT_ACTION[kind]),
        "steps": steps,
        "names": names,
        "transitions": own,
        "may_decide": bool(superior),
    }


def base_context(kind: str) -> dict[str, Any]:
    org = g.org
    loc = i18n.locale()
    flow = wf.template if kind == "template" else wf.unit_catalogue

    return {
        "org": org,
        "kind": kind,
        "locale": loc,
        "labels": labels,
        "channel_labels": cat.channel_labels(loc),
        "may_edit": may(EDIT_ACTION[kind]),
        "transition_label": flow.label,
    }


def overview_page(kind: str, *, status: int = 200, **extra):
    org = g.org
    if kind == "unit" and cat.publishes_by_template(org):
        return county_page(status=status, **extra)
    effective = cat.effective_version(org, kind)
    open_version = cat.open_version(org, kind)
    versions = cat.versions(org, kind)
    context = base_context(kind)
    context.update(version_context(kind, open_version))
    context.update(
        effective=effective,
        open_version=open_version,
        versions=versions,
        version_states={v.id: state_label(v, effective) for v in versions},
        effective_names=web.display_names([effective.decided_by_id] if effective else []),
        transition_form=forms.TransitionForm(formdata=None),
        errors=[],
    )
    context.update(extra)
    return render("admin/catalogue.html", **context), status


def county_page(*, status: int = 200, **extra):
    """A county's "catalogue": it publishes through its template and its units' catalogues,
    which it approves (:func:`core.catalogue.rules.publishes_by_template`)."""
    org = g.org
    effective = cat.effective_version(org, "template")
    waiting = [v for v in cat.inbox(current_user) if v.organisation.path.startswith(org.path)]
    context = base_context("template")
    context.update(
        effective=effective,
        open_version=cat.open_version(org, "template"),
        waiting=waiting,
        may_edit_template=may(EDIT_ACTION["template"]),
        errors=[],
    )
    context.update(extra)
    return render("admin/catalogue_county.html", **context), status


def version_page(kind: str, version: CatalogueVersion, *, status: int = 200, **extra):
    effective = cat.effective_version(g.org, kind)
    context = base_context(kind)
    context.update(version_context(kind, version))
    context.update(
        effective=effective,
        state=state_label(version, effective),
        transition_form=forms.TransitionForm(formdata=None),
        errors=[],
    )
    context.update(extra)
    return render("admin/version.html", **context), status


def to_version(kind: str, version: CatalogueVersion):
    return redirect(url_for(".version", kind=kind, number=version.number))


# --- overview, versions, workflow -----------------------------------------------------------


@both_kinds("", endpoint="overview")
def overview(kind: str):
    require("catalogue.view_console")
    return overview_page(kind)


@both_kinds("/drafts", endpoint="start_draft", methods=["POST"])
def start_draft(kind: str):
    require(EDIT_ACTION[kind])
    form = forms.ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        draft = cat.start_draft(g.org, kind, actor=current_user)
    except UserError as exc:
        return overview_page(kind, status=exc.status, errors=web.refusal(exc))
    flash(gettext("Draft %(number)s is open for editing.", number=draft.number), "success")
    return to_version(kind, draft)


@both_kinds("/versions/<int:number>", endpoint="version")
def version(kind: str, number: int):
    require("catalogue.view_console")
    return version_page(kind, version_or_404(kind, number))


@both_kinds("/versions/<int:number>/transition", endpoint="transition", methods=["POST"])
def transition(kind: str, number: int):
    require("catalogue.view_console")
    version = version_or_404(kind, number)
    form = forms.TransitionForm()
    if (
        not form.validate_on_submit()
        or form.transition.data not in wf.for_version(version).transitions
    ):
        abort(400)
    name = form.transition.data
    try:
        cat.transition(version, name, actor=current_user, comment=form.comment.data or None)
    except UserError as exc:
        return version_page(
            kind,
            version,
            status=exc.status,
            errors=web.refusal(exc),
            transition_form=form,
            failed=name,
        )
    flash(
        gettext(
            "Version %(number)s: %(state)s.",
            number=version.number,
            state=labels.state(version.state, kind),
        ),
        "success",
    )
    return redirect(url_for(".overview", kind=kind))


@both_kinds("/versions/<int:number>/import", endpoint="import_file", methods=["GET", "POST"])
def import_file(kind: str, number: int):
    """Replace the content of a draft with a catalogue file (YAML or XLSX): all or nothing,
    a refused file with every problem in file order, each with its place in words."""
    require(EDIT_ACTION[kind])
    version = version_or_404(kind, number)
    require_draft(version)
    form = forms.ImportForm()
    status, errors = 200, []
    if form.validate_on_submit():
        upload = form.file.data
        name = getattr(upload, "filename", None) or ""
        try:
            if not name:
                raise UserError(i18n._("Choose a catalogue file to import."))
            result = transfer.import_file(version, name, upload.read(), actor=current_user)
        except UserError as exc:
            status, errors = exc.status, web.refusal(exc)
        else:
            flash(gettext("%(file)s was imported: %(summary)s", file=name,
                          summary=result.summary()), "success")  # fmt: skip
            return to_version(kind, version)
    elif request.method == "POST":
        status = 400
    context = base_context(kind)
    context.update(version=version, form=form, errors=errors)
    return render("admin/catalogue_import.html", **context), status


@both_kinds("/versions/<int:number>/diff", endpoint="diff")
def diff(kind: str, number: int):
    require("catalogue.view_console")
    version = version_or_404(kind, number)
    return render("admin/diff.html", **diff_context(kind, version))


def diff_context(kind: str, version: CatalogueVersion) -> dict[str, Any]:
    effective = cat.effective_version(g.org, kind)
    against = effective
    if effective is not None and effective.id == version.id:
        against = (
            db.session.get(CatalogueVersion, version.based_on_id) if version.based_on_id else None
        )
    context = base_context(kind)
    loc = context["locale"]
    rows = []
    for change in cat.diff(version, against, loc):
        fields = [
            (
                labels.FIELDS.get(name, name),
                labels.value(name, before, context["channel_labels"], loc),
                labels.value(name, after, context["channel_labels"], loc),
            )
            for name, (before, after) in change.fields.items()
        ]
        rows.append(
            {"kind": change.kind, "key": change.key, "title": change.title, "fields": fields}
        )
    context.update(
        version=version,
        against=against,
        effective=effective,
        rows=rows,
        state=state_label(version, effective),
    )
    return context


# --- categories ------------------------------------------------------------------------------


@both_kinds(
    "/versions/<int:number>/categories/new", endpoint="category_new", methods=["GET", "POST"]
)
def category_new(kind: str, number: int):
    require(EDIT_ACTION[kind])
    version = version_or_404(kind, number)
    require_draft(version)
    form = forms.CategoryForm(categories=cat.categories(version))
    if request.method == "GET":
        form.parent.data = request.args.get("parent", 0, type=text.db_int)
    status, errors = 200, []
    if form.validate_on_submit():
        parent = category_or_404(version, form.parent.data) if form.parent.data else None
        try:
            category = cat.add_category(
                version,
                key=form.key.data.strip(),
                titles=form.titles(),
                parent=parent,
                code_2010=form.code_2010.data or None,
                code_2017=form.code_2017.data or None,
                actor=current_user,
            )
        except UserError as exc:
            status, errors = exc.status, web.refusal(exc)
        else:
            flash(
                gettext("The category “%(title)s” was added.", title=category.title(i18n.locale())),
                "success",
            )
            return to_version(kind, version)
    elif request.method == "POST":
        status = 400
    return render(
        "admin/category_form.html",
        form=form,
        version=version,
        category=None,
        errors=errors,
        **base_context(kind),
    ), status


@both_kinds(
    "/versions/<int:number>/categories/<int:category_id>/edit",
    endpoint="category_edit",
    methods=["GET", "POST"],
)
def category_edit(kind: str, number: int, category_id: int):
    require(EDIT_ACTION[kind])
    version = version_or_404(kind, number)
    category = category_or_404(version, category_id)
    require_draft(version)
    if request.method == "GET":
        data = {f"title_{loc}": (category.titles or {}).get(loc, "") for loc in forms.LOCALES}
        form = forms.CategoryForm(data=data, editing=True)
    else:
        form = forms.CategoryForm(editing=True)
    status, errors = 200, []
    if form.validate_on_submit():
        try:
            cat.update_category(category, titles=form.titles(), actor=current_user)
        except UserError as exc:
            status, errors = exc.status, web.refusal(exc)
        else:
            flash(gettext("The category was saved."), "success")
            return to_version(kind, version)
    elif request.method == "POST":
        status = 400
    return render(
        "admin/category_form.html",
        form=form,
        version=version,
        category=category,
        errors=errors,
        **base_context(kind),
    ), status


@both_kinds(
    "/versions/<int:number>/categories/<int:category_id>/remove",
    endpoint="category_remove",
    methods=["GET", "POST"],
)
def category_remove(kind: str, number: int, category_id: int):
    require(EDIT_ACTION[kind])
    version = version_or_404(kind, number)
    category = category_or_404(version, category_id)
    require_draft(version)
    form = forms.ConfirmForm()
    status, errors = 200, []
    if form.validate_on_submit():
        try:
            cat.remove_category(category, actor=current_user)
        except UserError as exc:
            status, errors = exc.status, web.refusal(exc)
        else:
            flash(gettext("The category was removed."), "success")
            return to_version(kind, version)
    elif request.method == "POST":
        status = 400
    inside = [e for e in cat.entries(version) if e.category_id == category.id]
    return render(
        "admin/confirm_remove.html",
        form=form,
        version=version,
        what="category",
        title=category.title(i18n.locale()),
        inside=inside,
        errors=errors,
        action=url_for(".category_remove", kind=kind, number=number, category_id=category.id),
        **base_context(kind),
    ), status


@both_kinds(
    "/versions/<int:number>/categories/<int:category_id>/move",
    endpoint="category_move",
    methods=["POST"],
)
def category_move(kind: str, number: int, category_id: int):
    require(EDIT_ACTION[kind])
    version = version_or_404(kind, number)
    category = category_or_404(version, category_id)
    return move(kind, version, category)


def move(kind: str, version: CatalogueVersion, obj: Category | Entry):
    form = forms.MoveForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        cat.move(obj, -1 if form.direction.data == "up" else 1, actor=current_user)
    except UserError as exc:
        return version_page(kind, version, status=exc.status, errors=web.refusal(exc))
    return redirect(url_for(".version", kind=kind, number=version.number) + f"#{anchor(obj)}")


def anchor(obj: Category | Entry) -> str:
    return f"{'entry' if isinstance(obj, Entry) else 'category'}-{obj.id}"


# --- entries ---------------------------------------------------------------------------------


@both_kinds("/versions/<int:number>/entries/new", endpoint="entry_new", methods=["GET", "POST"])
def entry_new(kind: str, number: int):
    require(EDIT_ACTION[kind])
    version = version_or_404(kind, number)
    require_draft(version)
    categories = cat.categories(version)
    if not categories:
        flash(gettext("Add a category first: every entry belongs to a category."), "info")
        return redirect(url_for(".category_new", kind=kind, number=number))
    form = forms.entry_form(version)
    if request.method == "GET":
        form.category.data = request.args.get("category", categories[0].id, type=text.db_int)
    status, errors = 200, []
    if form.validate_on_submit():
        category = category_or_404(version, form.category.data)
        try:
            entry = cat.add_entry(
                version,
                category,
                form.to_data(template=kind == "template"),
                key=(form.key.data or "").strip() or None,
                actor=current_user,
            )
        except UserError as exc:
            status, errors = exc.status, forms.attach_problems(form, web.refusal(exc))
        else:
            flash(
                gettext("The entry “%(title)s” was added.", title=entry.title(i18n.locale())),
                "success",
            )
            return redirect(url_for(".version", kind=kind, number=number) + f"#{anchor(entry)}")
    elif request.method == "POST":
        status = 400
    return render(
        "admin/entry_form.html",
        form=form,
        version=version,
        entry=None,
        errors=errors,
        **base_context(kind),
    ), status


@both_kinds(
    "/versions/<int:number>/entries/<int:entry_id>/edit",
    endpoint="entry_edit",
    methods=["GET", "POST"],
)
def entry_edit(kind: str, number: int, entry_id: int):
    require(EDIT_ACTION[kind])
    version = version_or_404(kind, number)
    entry = entry_or_404(version, entry_id)
    require_draft(version)
    if request.method == "GET":
        form = forms.entry_form(version, entry=entry, data=forms.EntryForm.initial(entry))
    else:
        form = forms.entry_form(version, entry=entry)
    status, errors = 200, []
    if form.validate_on_submit():
        category = category_or_404(version, form.category.data)
        try:
            cat.update_entry(
                entry,
                form.to_data(template=kind == "template"),
                category=category,
                actor=current_user,
            )
        except UserError as exc:
            status, errors = exc.status, forms.attach_problems(form, web.refusal(exc))
        else:
            flash(gettext("The entry was saved."), "success")
            return redirect(url_for(".version", kind=kind, number=number) + f"#{anchor(entry)}")
    elif request.method == "POST":
        status = 400
    return render(
        "admin/entry_form.html",
        form=form,
        version=version,
        entry=entry,
        errors=errors,
        **base_context(kind),
    ), status


@both_kinds(
    "/versions/<int:number>/entries/<int:entry_id>/remove",
    endpoint="entry_remove",
    methods=["GET", "POST"],
)
def entry_remove(kind: str, number: int, entry_id: int):
    require(EDIT_ACTION[kind])
    version = version_or_404(kind, number)
    entry = entry_or_404(version, entry_id)
    require_draft(version)
    form = forms.ConfirmForm()
    status, errors = 200, []
    if form.validate_on_submit():
        try:
            cat.remove_entry(entry, actor=current_user)
        except UserError as exc:
            status, errors = exc.status, web.refusal(exc)
        else:
            flash(gettext("The entry was removed."), "success")
            return to_version(kind, version)
    elif request.method == "POST":
        status = 400
    return render(
        "admin/confirm_remove.html",
        form=form,
        version=version,
        what="entry",
        title=entry.title(i18n.locale()),
        inside=[],
        errors=errors,
        mandatory=entry.mandatory and kind == "unit",
        action=url_for(".entry_remove", kind=kind, number=number, entry_id=entry.id),
        **base_context(kind),
    ), status


@both_kinds(
    "/versions/<int:number>/entries/<int:entry_id>/move", endpoint="entry_move", methods=["POST"]
)
def entry_move(kind: str, number: int, entry_id: int):
    require(EDIT_ACTION[kind])
    version = version_or_404(kind, number)
    return move(kind, version, entry_or_404(version, entry_id))


# --- the superior: inbox and decision -------------------------------------------------------


@bp.route("/catalogue/inbox")
def inbox():
    require("catalogue.view_console")
    org = g.org
    waiting = [
        v
        for v in cat.inbox(current_user)
        if v.org_id != org.id and v.organisation.path.startswith(org.path)
    ]
    return render("admin/inbox.html", org=org, kind="unit", waiting=waiting, locale=i18n.locale())


def reviewer_home(org) -> str | None:
    """The nearest superior of ``org`` where the current user decides on catalogues (inbox)."""
    org_id = permissions.nearest_superior(current_user, "catalogue.decide", org)
    return db.session.get(Organisation, org_id).code if org_id is not None else None


def submission(version: CatalogueVersion) -> dict[str, Any] | None:
    """The step that submitted ``version`` last: who, when, and the submitter's comment."""
    steps = [s for s in cat.history(version) if s.transition in ("submit", "sign_off")]
    if not steps:
        return None
    step = steps[-1]
    names = web.display_names([step.actor_id] if step.actor_id else [])
    return {
        "name": names.get(step.actor_id, step.actor_label),
        "at": step.at,
        "comment": ((step.inputs or {}).get("comment") or "").strip(),
    }


@bp.route("/catalogue/versions/<int:number>/decide", methods=["GET", "POST"])
def decide(number: int):
    require("catalogue.decide")  # before the lookup: a refusal says nothing of what exists
    version = version_or_404("unit", number)
    require("catalogue.decide", version)
    form = forms.DecisionForm()
    decision = request.form.get("decision") if request.method == "POST" else None
    status, errors = 200, []
    if request.method == "POST":
        if decision not in ("approve", "return"):
            abort(400)
        status = 400
        if form.validate_on_submit():
            comment = (form.comment.data or "").strip()
            if "comment" in wf.unit_catalogue.transitions[decision].requires and not comment:
                form.comment.errors = [
                    gettext("Write a comment that tells the unit what to change.")
                ]
            else:
                try:
                    cat.transition(
                        version,
                        decision,
                        actor=current_user,
                        comment=comment or None,
                        effective_from=form.effective_from.data if decision == "approve" else None,
                    )
                except UserError as exc:
                    status, errors = exc.status, web.refusal(exc)
                else:
                    names = {"number": version.number, "org": g.org.name(i18n.locale())}
                    if decision == "approve":
                        flash(
                            gettext("Version %(number)s of %(org)s is approved.", **names),
                            "success",
                        )
                    else:
                        flash(
                            gettext(
                                "Version %(number)s of %(org)s was returned to the unit.", **names
                            ),
                            "success",
                        )
                    home = reviewer_home(g.org)
                    if home:
                        return redirect(url_for(".inbox", org_code=home))
                    return redirect(url_for(".overview", kind="unit"))
    context = diff_context("unit", version)
    blank = forms.DecisionForm(formdata=None)
    context.update(
        submission=submission(version),
        approve_form=form if decision == "approve" else blank,
        return_form=form if decision == "return" else blank,
        decision=decision,
        errors=errors,
        open_for_decision=version.state == "submitted",
    )
    return render("admin/decide.html", **context), status


# --- schedule -----------------------------------------------------------------


@bp.route("/catalogue/schedule")
def schedule_page():
    require("catalogue.view_console")
    org = g.org
    loc = i18n.locale()
    today = cat.today_for(org)
    year = request.args.get("year", today.year, type=text.db_int)
    if not 2000 <= year <= 2100:
        year = today.year
    version = cat.effective_version(org)
    months: list[dict[str, Any]] = []
    events: list[Entry] = []
    if version is not None:
        for item in schedule.expected(version, year):
            key = (item.due.year, item.due.month)
            if not months or months[-1]["key"] != key:
                months.append(
                    {"key": key, "title": labels.month_heading(item.due, loc), "items": []}
                )
            months[-1]["items"].append(
                {"item": item, "period": labels.period(item, loc), "overdue": item.due < today}
            )
        events = schedule.event_driven(version)
    return render(
        "admin/schedule.html",
        org=org,
        kind="unit",
        version=version,
        year=year,
        months=months,
        events=events,
        locale=loc,
        labels=labels,
        today=today,
        due_words={e.key: labels.due(schedule.due_rule(e, org)) for e in events},
    )


# --- public ----------------------------------------------------------------------------------


def entry_words(entry: Entry, org, channel_labels: dict[str, str]) -> dict[str, str]:
    return {
        "scope": labels.scope(entry.scope),
        "channels": labels.channels(entry.channels, channel_labels),
        "cadence": labels.cadence(entry.cadence),
        "due": labels.due(schedule.due_rule(entry, org)),
    }


@public_bp.route("/catalogue")
def catalogue():
    org = g.org
    loc = i18n.locale()
    county = cat.publishes_by_template(org)
    # a county publishes through its template (the basic catalogue) and its units' catalogues
    version = cat.effective_version(org, "template" if county else "unit")
    nodes = cat.tree(version) if version else []
    channel_labels = cat.channel_labels(loc)
    words = {}
    pending = list(nodes)
    while pending:
        node = pending.pop()
        pending.extend(node.children)
        for e in node.entries:
            words[e.id] = entry_words(e, org, channel_labels)
    org_types = codelists.labels(codelists.ORG_TYPE, loc)
    return render(
        "catalogue/public.html",
        org=org,
        version=version,
        nodes=nodes,
        words=words,
        locale=loc,
        county=county,
        units=hierarchy.build_tree(hierarchy.subtree(org, include_self=False)) if county else [],
        ancestors=hierarchy.ancestors(org),
        org_types=org_types,
    )


# --- the organisation's home: the catalogue's status ------------------------------------------


@status.section("catalogue", i18n._("Catalogue"), action="catalogue.view_console", order=10)
def catalogue_status(org, user):
    """The version in force and the one being worked on (and, for a superior, its template)."""
    facts = []
    kinds = ["unit"] + (["template"] if navigation.has_units_below(org) else [])
    current = cat.current_versions(org, tuple(kinds))
    for kind in kinds:
        effective, pending = current[kind]
        label = i18n._("Catalogue in force") if kind == "unit" else i18n._("Template in force")
        working = i18n._("Being prepared") if kind == "unit" else i18n._("Template being prepared")
        if effective is not None:
            facts.append(
                status.Fact(
                    str(label),
                    gettext("Version %(number)s", number=effective.number),
                    link=url_for("catalogue_admin.version", org_code=org.code, kind=kind,
                                 number=effective.number),
                    note=gettext("since %(date)s", date=web.day(effective.effective_from)),
                    tone="ok",
                )
            )  # fmt: skip
        elif kind == "unit" and org.parent_id is not None:
            facts.append(
                status.Fact(
                    str(label), gettext("None approved yet"),
                    link=url_for("catalogue_admin.overview", org_code=org.code, kind=kind),
                    tone="bad",
                )
            )  # fmt: skip
        if pending is not None:
            facts.append(
                status.Fact(
                    str(working),
                    gettext("Version %(number)s: %(state)s", number=pending.number,
                            state=labels.state(pending.state, kind)),
                    link=url_for("catalogue_admin.version", org_code=org.code, kind=kind,
                                 number=pending.number),
                    tone="warn" if pending.state in ("submitted", "returned") else None,
                )
            )  # fmt: skip
    return facts
