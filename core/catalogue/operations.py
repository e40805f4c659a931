"""Catalogue operations: the only code that changes catalogues.

Versions are edited only as drafts. A unit's first draft derives from the effective template of its
nearest ancestor (or itself) that keeps one, plus the sections its enabled sector plugins add; later
drafts copy the unit's effective version and add any mandatory template entry it lacks.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import gettext
from sqlalchemy import func, select

from core import audit, db, events, localtime
from core.catalogue import workflow as wf

# The catalogue's reading queries, channels, rules and diff live in modules of their own (so that
# the workflow's guards can use them without importing this module back); its callers keep
# finding them here, the catalogue's service module.
from core.catalogue.channels import channel_entries as channel_entries
from core.catalogue.channels import channel_labels as channel_labels
from core.catalogue.channels import channels_for_scope as channels_for_scope
from core.catalogue.channels import plugin_channels as plugin_channels
from core.catalogue.diff import EntryChange as EntryChange
from core.catalogue.diff import diff as diff
from core.catalogue.models import (
    KEY_PATTERN,
    Catalogue,
    CatalogueVersion,
    Category,
    Entry,
)
from core.catalogue.reading import CategoryNode as CategoryNode
from core.catalogue.reading import (
    catalogue_of,
    categories,
    effective_version,
    entries,
    open_version,
    template_source,
)
from core.catalogue.reading import current_versions as current_versions
from core.catalogue.reading import tree as tree
from core.catalogue.reading import unit_catalogue_states as unit_catalogue_states
from core.catalogue.reading import version_by_number as version_by_number
from core.catalogue.reading import versions as versions
from core.catalogue.rules import ENTRY_FIELDS, clean_entry, plugin_sections, texts
from core.catalogue.rules import incomplete_entries as incomplete_entries
from core.catalogue.rules import missing_mandatory as missing_mandatory
from core.catalogue.rules import publishes_by_template as publishes_by_template
from core.errors import Problem, UserError
from core.i18n import _, lazily, locale
from core.workflow import engine
from tenants.models import Organisation

PARTY_SCOPES = ("party_wide", "unit", "specific")


def today_for(org: Organisation) -> date:
    """The organisation's date by the real clock: a catalogue is in force from a calendar day,
    whatever the application's clock (the demo moves it back to date the items' steps)."""
    return localtime.today(org, wall=True)


# --- drafting --------------------------------------------------------------------------------


def _next_number(catalogue: Catalogue) -> int:
    current = db.session.scalar(
        select(func.max(CatalogueVersion.number)).where(
            CatalogueVersion.catalogue_id == catalogue.id
        )
    )
    return (current or 0) + 1


def _copy(src: CatalogueVersion, dst: CatalogueVersion, *, from_template: bool) -> None:
    id_map: dict[int, int] = {}
    pending = categories(src)
    while pending:  # parents before children, whatever their ids
        ready = [c for c in pending if c.parent_id is None or c.parent_id in id_map]
        if not ready:
            raise UserError(_("The category tree of the source version is broken."))
        for c in ready:
            new = Category(
                version_id=dst.id,
                key=c.key,
                titles=dict(c.titles),
                code_2010=c.code_2010,
                code_2017=c.code_2017,
                position=c.position,
                parent_id=id_map[c.parent_id] if c.parent_id else None,
            )
            db.session.add(new)
            db.session.flush()
            id_map[c.id] = new.id
        pending = [c for c in pending if c.id not in id_map]
    for e in entries(src):
        db.session.add(
            Entry(
                version_id=dst.id,
                category_id=id_map[e.category_id],
                key=e.key,
                template_key=e.key if from_template else e.template_key,
                **{
                    f: (
                        dict(v)
                        if isinstance(v := getattr(e, f), dict)
                        else list(v)
                        if isinstance(v, list)
                        else v
                    )
                    for f in ENTRY_FIELDS
                },
                position=e.position,
            )
        )
    db.session.flush()


def _ensure_category(draft: CatalogueVersion, tcat: Category, template_cats: dict[int, Category],
                     by_key: dict[str, Category]) -> Category:  # fmt: skip
    """The draft's category with ``tcat``'s key, made (with its parents) when it is missing."""
    cat = by_key.get(tcat.key)
    if cat is not None:
        return cat
    parent = None
    if tcat.parent_id is not None:
        parent = _ensure_category(draft, template_cats[tcat.parent_id], template_cats, by_key)
    cat = Category(version_id=draft.id, key=tcat.key, titles=dict(tcat.titles),
                   code_2010=tcat.code_2010, code_2017=tcat.code_2017, position=tcat.position,
                   parent_id=parent.id if parent else None)  # fmt: skip
    db.session.add(cat)
    db.session.flush()
    by_key[cat.key] = cat
    return cat


def _add_missing_mandatory(draft: CatalogueVersion, template: CatalogueVersion) -> list[str]:
    """Put back the mandatory template entries a copied draft lacks (an entry of the unit with
    the same key becomes that template entry)."""
    own = {e.key: e for e in entries(draft)}
    present = {e.template_key for e in own.values() if e.template_key}
    by_key = {c.key: c for c in categories(draft)}
    template_cats = {c.id: c for c in categories(template)}
    added = []
    for e in entries(template):
        if not e.mandatory or e.key in present:
            continue
        if e.key in own:
            own[e.key].template_key, own[e.key].mandatory = e.key, True
            continue
        cat = _ensure_category(draft, template_cats[e.category_id], template_cats, by_key)
        fields = {f: getattr(e, f) for f in ENTRY_FIELDS}
        db.session.add(
            Entry(version_id=draft.id, category_id=cat.id, key=e.key, template_key=e.key,
                  position=e.position, **fields)
        )  # fmt: skip
        added.append(e.key)
    db.session.flush()
    return added


def _add_plugin_sections(draft: CatalogueVersion, org: Organisation) -> None:
    existing_cats = {c.key for c in categories(draft)}
    existing_entries = {e.key for e in entries(draft)}
    position = len(existing_cats)
    for section in plugin_sections(org):
        if section["key"] in existing_cats:
            continue
        position += 1
        cat = Category(
            version_id=draft.id,
            key=section["key"],
            titles=dict(section["titles"]),
            code_2010=section.get("code_2010"),
            code_2017=section.get("code_2017"),
            position=position,
        )
        db.session.add(cat)
        db.session.flush()
        for i, data in enumerate(section.get("entries", [])):
            if data["key"] in existing_entries:
                continue
            clean, problems = clean_entry({k: v for k, v in data.items() if k != "key"}, org)
            if problems:
                raise UserError(
                    _("A catalogue section of a plugin is invalid (%(key)s).", key=section["key"]),
                    problems=problems,
                )
            db.session.add(
                Entry(
                    version_id=draft.id,
                    category_id=cat.id,
                    key=data["key"],
                    template_key=data["key"],
                    position=i,
                    **clean,
                )
            )
    db.session.flush()


class CountyCatalogue(UserError):
    """Refused: a county keeps no catalogue of its own (HTTP 409)."""

    status = 409


def start_draft(org: Organisation, kind: str = "unit", *, actor=None) -> CatalogueVersion:
    """Open a new draft: a copy of the effective version, else derived from the template."""
    if kind == "unit" and publishes_by_template(org):
        raise CountyCatalogue(
            gettext(
                "A county keeps no catalogue of its own: it publishes through its catalogue "
                "template, from which its units make their catalogues, and through its units' "
                "catalogues, which it approves. Edit the template instead."
            )
        )
    if open_version(org, kind) is not None:
        raise UserError(
            _("This catalogue already has a version in progress; finish or reopen it first.")
        )
    catalogue = catalogue_of(org, kind, create=True)
    current = effective_version(org, kind)
    template = template_source(org) if kind == "unit" else None
    if kind == "unit" and current is None and template is None:
        raise UserError(_("No superior organisation has published a catalogue template yet."))
    draft = CatalogueVersion(
        catalogue_id=catalogue.id,
        org_id=org.id,
        number=_next_number(catalogue),
        state="draft",
        based_on_id=current.id if current else None,
        template_version_id=template.id if template else None,
        created_by_id=getattr(actor, "id", None),
    )
    db.session.add(draft)
    db.session.flush()
    if current is not None:
        _copy(current, draft, from_template=False)
    elif template is not None:
        _copy(template, draft, from_template=True)
    if template is not None:
        _add_missing_mandatory(draft, template)
    if kind == "unit":
        _add_plugin_sections(draft, org)
    audit.log(
        "catalogue.draft",
        "catalogue_version",
        draft.id,
        org_id=org.id,
        actor=actor,
        changes={"number": [None, draft.number], "kind": [None, kind]},
    )
    return draft


def _require_draft(version: CatalogueVersion) -> None:
    if not version.editable:
        raise UserError(_("Only a draft can be edited; reopen the catalogue first."))


def _check_key(key: str, what: str) -> None:
    if not KEY_PATTERN.match(key or ""):
        raise UserError(
            _("The key “%(key)s” cannot be used: use a–z, 0–9, “.”, “_” and “-”.", key=key),
            problems=[Problem("key", _("Use a–z, 0–9, “.”, “_” and “-”."))],
        )


def add_category(version: CatalogueVersion, *, key: str, titles, parent: Category | None = None,
                 code_2010: str | None = None, code_2017: str | None = None,
                 actor=None) -> Category:  # fmt: skip
    _require_draft(version)
    _check_key(key, "category")
    problems: list[str] = []
    clean = texts(titles, "title", problems, required=True)
    if problems:
        raise UserError(_("The category was not saved."), problems=problems)
    if db.session.scalar(
        select(Category.id).where(Category.version_id == version.id, Category.key == key)
    ):
        raise UserError(
            _("A category with the key “%(key)s” already exists.", key=key),
            problems=[Problem("key", _("This key is taken."))],
        )
    position = 1 + (
        db.session.scalar(
            select(func.max(Category.position)).where(
                Category.version_id == version.id,
                Category.parent_id == (parent.id if parent else None),
            )
        )
        or 0
    )
    cat = Category(
        version_id=version.id,
        key=key,
        titles=clean,
        parent_id=parent.id if parent else None,
        code_2010=code_2010,
        code_2017=code_2017,
        position=position,
    )
    db.session.add(cat)
    db.session.flush()
    audit.log(
        "catalogue.category.add",
        "catalogue_category",
        cat.id,
        org_id=version.org_id,
        actor=actor,
        changes={"key": [None, key], "titles": [None, clean]},
    )
    return cat


def update_category(category: Category, *, titles, actor=None) -> None:
    version = db.session.get(CatalogueVersion, category.version_id)
    _require_draft(version)
    problems: list[str] = []
    clean = texts(titles, "title", problems, required=True)
    if problems:
        raise UserError(_("The category was not saved."), problems=problems)
    before = dict(category.titles)
    category.titles = clean
    db.session.flush()
    audit.log(
        "catalogue.category.update",
        "catalogue_category",
        category.id,
        org_id=version.org_id,
        actor=actor,
        changes={"titles": [before, clean]},
    )


def remove_category(category: Category, *, actor=None) -> None:
    version = db.session.get(CatalogueVersion, category.version_id)
    _require_draft(version)
    ids = {category.id}
    cats = categories(version)
    changed = True
    while changed:
        changed = False
        for c in cats:
            if c.parent_id in ids and c.id not in ids:
                ids.add(c.id)
                changed = True
    inside = [e for e in entries(version) if e.category_id in ids]
    mandatory = [e.key for e in inside if e.mandatory]
    if mandatory:
        raise UserError(
            _("The category holds mandatory entries and cannot be removed: %(entries)s.",
              entries=lazily(lambda: gettext(", ").join(e.title(locale()) for e in inside
                                                        if e.mandatory)))
        )  # fmt: skip
    # Entries first, then the categories deepest first, one flush each: the models declare no
    # relationship between them, so one flush could delete a parent first and let the
    # database's ON DELETE CASCADE take rows the session still means to delete.
    for e in inside:
        db.session.delete(e)
    db.session.flush()
    parent_of = {c.id: c.parent_id for c in cats}

    def depth(c: Category) -> int:
        n, parent = 0, c.parent_id
        while parent is not None:
            n, parent = n + 1, parent_of.get(parent)
        return n

    for c in sorted((c for c in cats if c.id in ids), key=depth, reverse=True):
        db.session.delete(c)
        db.session.flush()
    audit.log(
        "catalogue.category.remove",
        "catalogue_category",
        category.id,
        org_id=version.org_id,
        actor=actor,
        changes={"key": [category.key, None], "entries": [[e.key for e in inside], None]},
    )


def _unique_entry_key(version: CatalogueVersion, base: str) -> str:
    taken = set(db.session.scalars(select(Entry.key).where(Entry.version_id == version.id)))
    n = 1
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def add_entry(version: CatalogueVersion, category: Category, data: dict[str, Any], *,
              key: str | None = None,
              actor=None) -> Entry:  # fmt: skip
    _require_draft(version)
    if category.version_id != version.id:
        raise UserError(_("The category belongs to another version."))
    data = {k: v for k, v in data.items() if k not in ("key", "template_key")}
    clean, problems = clean_entry(data, version.organisation)
    if problems:
        raise UserError(_("The entry was not saved."), problems=problems)
    if key:
        _check_key(key, "entry")
        if db.session.scalar(
            select(Entry.id).where(Entry.version_id == version.id, Entry.key == key)
        ):
            raise UserError(
                _("An entry with the key “%(key)s” already exists.", key=key),
                problems=[Problem("key", _("This key is taken."))],
            )
    else:
        key = _unique_entry_key(version, category.key)
    position = 1 + (
        db.session.scalar(select(func.max(Entry.position)).where(Entry.category_id == category.id))
        or 0
    )
    if version.kind != "template":
        clean["mandatory"] = (
            False  # entries a unit adds are its own: only the template's are mandatory
        )
    entry = Entry(
        version_id=version.id, category_id=category.id, key=key, position=position, **clean
    )
    db.session.add(entry)
    db.session.flush()
    audit.log(
        "catalogue.entry.add",
        "catalogue_entry",
        entry.id,
        org_id=version.org_id,
        actor=actor,
        changes=audit.diff({}, {"key": key, **clean}),
    )
    return entry


def update_entry(entry: Entry, data: dict[str, Any], *, category: Category | None = None,
                 actor=None) -> bool:  # fmt: skip
    """Change an entry's fields and, with ``category``, move it to the end of that category."""
    version = db.session.get(CatalogueVersion, entry.version_id)
    _require_draft(version)
    if category is not None and category.version_id != version.id:
        raise UserError(_("The category belongs to another version."))
    current = {f: getattr(entry, f) for f in ENTRY_FIELDS}
    merged = {**current, **{k: v for k, v in data.items() if k in ENTRY_FIELDS}}
    if version.kind != "template":
        merged["mandatory"] = entry.mandatory  # a unit cannot change what the template requires
    clean, problems = clean_entry(merged, version.organisation, keep=entry.channels or ())
    if problems:
        raise UserError(_("The entry was not saved."), problems=problems)
    delta = audit.diff(current, clean)
    if category is not None and category.id != entry.category_id:
        old_key = db.session.get(Category, entry.category_id).key
        delta["category"] = [old_key, category.key]
        entry.category_id = category.id
        entry.position = 1 + (
            db.session.scalar(
                select(func.max(Entry.position)).where(
                    Entry.category_id == category.id, Entry.id != entry.id
                )
            )
            or 0
        )
    if not delta:
        return False
    for name, value in clean.items():
        setattr(entry, name, value)
    db.session.flush()
    audit.log(
        "catalogue.entry.update",
        "catalogue_entry",
        entry.id,
        org_id=version.org_id,
        actor=actor,
        changes=delta,
    )
    return True


def remove_entry(entry: Entry, *, actor=None) -> None:
    version = db.session.get(CatalogueVersion, entry.version_id)
    _require_draft(version)
    if entry.mandatory and version.kind != "template":
        raise UserError(
            _("“%(entry)s” is a mandatory entry of the template and cannot be removed.",
              entry=lazily(lambda: entry.title(locale())))
        )  # fmt: skip
    db.session.delete(entry)
    db.session.flush()
    audit.log(
        "catalogue.entry.remove",
        "catalogue_entry",
        entry.id,
        org_id=version.org_id,
        actor=actor,
        changes={"key": [entry.key, None]},
    )


def move(obj: Entry | Category, direction: int, *, actor=None) -> None:
    """Swap ``obj`` with its neighbour above (-1) or below (+1) among its siblings."""
    version = db.session.get(CatalogueVersion, obj.version_id)
    _require_draft(version)
    if isinstance(obj, Entry):
        siblings = [e for e in entries(version) if e.category_id == obj.category_id]
    else:
        siblings = [c for c in categories(version) if c.parent_id == obj.parent_id]
    for i, sibling in enumerate(siblings):
        sibling.position = i
    index = siblings.index(obj)
    other = index + direction
    if 0 <= other < len(siblings):
        siblings[index].position, siblings[other].position = other, index
    db.session.flush()


# --- workflow --------------------------------------------------------------------------------


def transition(version: CatalogueVersion, name: str, *, actor, comment: str | None = None,
               effective_from: date | None = None) -> CatalogueVersion:  # fmt: skip
    """Run a workflow transition on a version (submit, approve, return, ...)."""
    flow = wf.for_version(version)
    today = today_for(version.organisation)

    def effect(v: CatalogueVersion) -> None:
        now = db.utcnow()
        if name in ("submit", "sign_off"):
            v.submitted_at = now
        if name in ("approve", "return", "publish"):
            v.decided_at, v.decided_by_id = now, getattr(actor, "id", None)
            v.decision_comment = comment or None
        if name in ("approve", "publish"):
            start = effective_from or today
            if start < today:
                raise UserError(
                    _("The effective date cannot be in the past."),
                    problems=[Problem("effective_from", _("Choose today or a later day."))],
                )
            v.effective_from = start

    inputs = {
        "comment": comment,
        "effective_from": effective_from.isoformat() if effective_from else None,
    }
    engine.run(flow, version, name, actor=actor, inputs=inputs, effect=effect)
    if name in ("approve", "publish"):
        events.catalogue_approved.send(version, actor=actor)
    return version


def history(version: CatalogueVersion):
    return engine.history(wf.for_version(version), version)


def inbox(user) -> list[CatalogueVersion]:
    """Submitted unit catalogues that ``user`` may decide on (``catalogue.decide``): the query
    looks in the subtrees where the user holds the action's roles, each row is decided by
    :func:`core.permissions.may`."""
    from core import permissions

    reviewer_orgs = permissions.orgs_holding(user, "catalogue.decide")
    if not reviewer_orgs:
        return []
    paths = db.session.scalars(
        select(Organisation.path).where(Organisation.id.in_(reviewer_orgs))
    ).all()
    conditions = [Organisation.path.startswith(p, autoescape=True) for p in paths]
    from sqlalchemy import or_

    query = (
        select(CatalogueVersion)
        .join(Catalogue)
        .join(Organisation, Organisation.id == CatalogueVersion.org_id)
        .where(
            Catalogue.kind == "unit",
            CatalogueVersion.state == "submitted",
            or_(*conditions),
            Organisation.id.not_in(reviewer_orgs),
        )
        .order_by(CatalogueVersion.submitted_at)
    )
    return [v for v in db.session.scalars(query) if permissions.may(user, "catalogue.decide", v)]
