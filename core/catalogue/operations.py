"""Catalogue operations: the only code that changes catalogues.

Versions are edited only as drafts. A unit's first draft derives from the effective template of its
nearest ancestor (or itself) that keeps one, plus the sections its enabled sector plugins add; later
drafts copy the unit's effective version and add any mandatory template entry it lacks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app, g, has_app_context
from sqlalchemy import func, select

from core import audit, db, events
from core.catalogue import workflow as wf
from core.catalogue.models import (
    CADENCES,
    OPEN_STATES,
    SCOPES,
    Catalogue,
    CatalogueVersion,
    Category,
    Entry,
    localised,
)
from core.config import SUPPORTED_LOCALES
from core.errors import UserError
from core.params import operations as params
from core.workflow import engine
from tenants import codelists
from tenants.models import Organisation

KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,59}$")
ENTRY_FIELDS = (
    "titles",
    "content",
    "scope",
    "channels",
    "cadence",
    "due_days",
    "notice_days",
    "responsible",
    "mandatory",
    "item_type",
)
CHANNEL_LIST = "channel"
PARTY_SCOPES = ("party_wide", "unit", "specific")


def today_for(org: Organisation) -> date:
    return datetime.now(ZoneInfo(org.timezone or "Asia/Shanghai")).date()


# --- reading ---------------------------------------------------------------------------------


def catalogue_of(
    org: Organisation, kind: str = "unit", *, create: bool = False
) -> Catalogue | None:
    cat = db.session.scalar(
        select(Catalogue).where(Catalogue.org_id == org.id, Catalogue.kind == kind)
    )
    if cat is None and create:
        cat = Catalogue(org_id=org.id, kind=kind)
        db.session.add(cat)
        db.session.flush()
    return cat


def versions(org: Organisation, kind: str = "unit") -> list[CatalogueVersion]:
    return list(
        db.session.scalars(
            select(CatalogueVersion)
            .join(Catalogue)
            .where(Catalogue.org_id == org.id, Catalogue.kind == kind)
            .order_by(CatalogueVersion.number.desc())
        )
    )


def effective_version(
    org: Organisation, kind: str = "unit", on: date | None = None
) -> CatalogueVersion | None:
    """The one effective version: the approved version whose effective date came last (CAT-1)."""
    on = on or today_for(org)
    return db.session.scalar(
        select(CatalogueVersion)
        .join(Catalogue)
        .where(
            Catalogue.org_id == org.id,
            Catalogue.kind == kind,
            CatalogueVersion.state == "approved",
            CatalogueVersion.effective_from <= on,
        )
        .order_by(CatalogueVersion.effective_from.desc(), CatalogueVersion.number.desc())
        .limit(1)
    )


def version_by_number(org: Organisation, kind: str, number: int) -> CatalogueVersion | None:
    """Version ``number`` of ``org``'s catalogue of ``kind`` (None when it has no such version)."""
    return db.session.scalar(
        select(CatalogueVersion)
        .join(Catalogue)
        .where(
            Catalogue.org_id == org.id, Catalogue.kind == kind, CatalogueVersion.number == number
        )
    )


def open_version(org: Organisation, kind: str = "unit") -> CatalogueVersion | None:
    return db.session.scalar(
        select(CatalogueVersion)
        .join(Catalogue)
        .where(
            Catalogue.org_id == org.id,
            Catalogue.kind == kind,
            CatalogueVersion.state.in_(OPEN_STATES),
        )
        .order_by(CatalogueVersion.number.desc())
        .limit(1)
    )


def template_source(org: Organisation) -> CatalogueVersion | None:
    """The effective template of the nearest organisation up the tree (itself included)."""
    chain = [org.id, *reversed(org.ancestor_ids)]
    rows = db.session.execute(
        select(Catalogue.org_id, CatalogueVersion)
        .join(CatalogueVersion, CatalogueVersion.catalogue_id == Catalogue.id)
        .where(
            Catalogue.kind == "template",
            Catalogue.org_id.in_(chain),
            CatalogueVersion.state == "approved",
        )
        .order_by(CatalogueVersion.effective_from.desc(), CatalogueVersion.number.desc())
    ).all()
    by_org: dict[int, CatalogueVersion] = {}
    for org_id, version in rows:
        if version.effective_from <= today_for(org):
            by_org.setdefault(org_id, version)
    for org_id in chain:
        if org_id in by_org:
            return by_org[org_id]
    return None


def categories(version: CatalogueVersion) -> list[Category]:
    return list(
        db.session.scalars(
            select(Category)
            .where(Category.version_id == version.id)
            .order_by(Category.position, Category.id)
        )
    )


def entries(version: CatalogueVersion) -> list[Entry]:
    return list(
        db.session.scalars(
            select(Entry).where(Entry.version_id == version.id).order_by(Entry.position, Entry.id)
        )
    )


@dataclass
class CategoryNode:
    category: Category
    children: list[CategoryNode] = field(default_factory=list)
    entries: list[Entry] = field(default_factory=list)


def tree(version: CatalogueVersion) -> list[CategoryNode]:
    """Categories nested, each with its entries (two queries)."""
    nodes = {c.id: CategoryNode(c) for c in categories(version)}
    top: list[CategoryNode] = []
    for node in nodes.values():
        parent = nodes.get(node.category.parent_id) if node.category.parent_id else None
        (parent.children if parent else top).append(node)
    for entry in entries(version):
        nodes[entry.category_id].entries.append(entry)
    return top


_SCOPE_AUDIENCES = {"public": ("society", "both"), "party": ("party", "both")}
CHANNEL_AUDIENCES = ("party", "society", "both")


@dataclass(frozen=True)
class PluginChannel:
    """A channel a plugin adds (hook ``publication_channels``), shaped like a code list entry."""

    code: str
    labels: dict[str, str]
    attributes: dict[str, str]

    def label(self, locale: str) -> str:
        return localised(self.labels, locale) or self.code


def _org_or_current(org: Organisation | None) -> Organisation | None:
    if org is None and has_app_context():
        return g.get("org")
    return org


def plugin_channels(org: Organisation | None = None) -> list[PluginChannel]:
    """The channels the plugins ``org`` enables add (default: the request's organisation).

    A channel is ``{"code", "labels", "audience"}``; ``audience`` (``party``, ``society`` or
    ``both``) decides the scopes it suits (CAT-6). Core's channels keep their codes."""
    org = _org_or_current(org)
    if org is None or not has_app_context():
        return []
    plugins = current_app.extensions.get("gongkai.plugins")
    if plugins is None:
        return []
    found: dict[str, PluginChannel] = {}
    for batch in plugins.relay(org).publication_channels(org=org):
        for raw in batch or []:
            code, audience = raw.get("code"), raw.get("audience", "both")
            if not isinstance(code, str) or not KEY_PATTERN.match(code):
                raise ValueError(f"a publication channel needs a code like {KEY_PATTERN.pattern}")
            if audience not in CHANNEL_AUDIENCES:
                raise ValueError(f"channel {code!r}: audience must be one of {CHANNEL_AUDIENCES}")
            found.setdefault(
                code,
                PluginChannel(code, dict(raw.get("labels") or {}), {"audience": audience}),
            )
    return list(found.values())


def channel_entries(org: Organisation | None = None) -> list:
    """The channels offered to ``org``: the code list's, then those of its plugins."""
    core_entries = codelists.entries(CHANNEL_LIST)
    known = {e.code for e in core_entries}
    return [*core_entries, *(c for c in plugin_channels(org) if c.code not in known)]


def channel_labels(locale: str, org: Organisation | None = None) -> dict[str, str]:
    return {
        **{c.code: c.label(locale) for c in plugin_channels(org)},
        **codelists.labels(CHANNEL_LIST, locale),
    }


def _channel_audiences(org: Organisation | None = None) -> dict[str, str]:
    """``{channel code: audience}`` (one query, cached for the request or command), with the
    channels of ``org``'s plugins (default: the request's organisation)."""
    cache = g.get("_channel_audiences") if has_app_context() else None
    if cache is None:
        cache = {
            e.code: (e.attributes or {}).get("audience", "both")
            for e in codelists.entries(CHANNEL_LIST)
        }
        if has_app_context():
            g._channel_audiences = cache
    extra = {c.code: c.attributes["audience"] for c in plugin_channels(org)}
    return {**extra, **cache} if extra else cache


def channels_for_scope(scope: str, org: Organisation | None = None) -> list[str]:
    """Channels that suit a scope (CAT-6): intra-Party channels for Party scopes, society ones
    for public (with the channels of ``org``'s plugins; default: the request's organisation)."""
    wanted = _SCOPE_AUDIENCES["public" if scope == "public" else "party"]
    return [code for code, audience in _channel_audiences(org).items() if audience in wanted]


# --- validation ------------------------------------------------------------------------------


def _texts(value: Any, name: str, problems: list[str], *, required: bool) -> dict[str, str]:
    if isinstance(value, str):
        value = {"zh_Hans_CN": value}
    if value is None:
        value = {}
    if not isinstance(value, dict):
        problems.append(f"{name}: must be a text or a mapping of language to text")
        return {}
    out = {}
    for loc, text in value.items():
        if loc not in SUPPORTED_LOCALES:
            problems.append(f"{name}.{loc}: unknown language (use {', '.join(SUPPORTED_LOCALES)})")
        elif text is not None and str(text).strip():
            out[loc] = str(text).strip()
    if required and not out.get("zh_Hans_CN"):
        problems.append(f"{name}: the Chinese text is required")
    return out


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "y", "on", "是")
    return bool(value)


def clean_entry(data: dict[str, Any], org: Organisation) -> tuple[dict[str, Any], list[str]]:
    """Check and normalise entry fields (CAT-2: content, scope, channels, cadence, responsible)."""
    problems: list[str] = []
    out: dict[str, Any] = {}
    unknown = set(data) - set(ENTRY_FIELDS) - {"key", "template_key"}
    for name in sorted(unknown):
        problems.append(f"{name}: unknown field")
    out["titles"] = _texts(data.get("titles"), "title", problems, required=True)
    out["content"] = _texts(data.get("content"), "content", problems, required=True)
    scope = data.get("scope")
    if scope not in SCOPES:
        problems.append(
            f"scope: {scope!r} is not one of {', '.join(SCOPES)}" if scope else "scope: is required"
        )
    out["scope"] = scope
    channels = data.get("channels") or []
    if isinstance(channels, str):
        channels = [c.strip() for c in channels.replace("，", ",").split(",") if c.strip()]
    if not isinstance(channels, list | tuple) or not all(isinstance(c, str) for c in channels):
        problems.append("channels: must be a list of channel codes")
        channels = []
    audiences = _channel_audiences(org)
    suitable = _SCOPE_AUDIENCES["public" if scope == "public" else "party"]
    if not channels:
        problems.append("channels: at least one channel is required")
    for channel in channels:
        if channel not in audiences:
            problems.append(f"channels: unknown channel {channel!r}")
        elif scope in SCOPES and audiences[channel] not in suitable:
            problems.append(f"channels: {channel!r} does not suit the scope {scope!r}")
    out["channels"] = list(dict.fromkeys(channels))
    cadence = data.get("cadence")
    if cadence not in CADENCES:
        problems.append(
            f"cadence: {cadence!r} is not one of {', '.join(CADENCES)}"
            if cadence
            else "cadence: is required"
        )
    out["cadence"] = cadence
    responsible = str(data.get("responsible") or "").strip()
    if not responsible:
        problems.append("responsible: the responsible department or person is required")
    elif len(responsible) > 200:
        problems.append("responsible: at most 200 characters")
    out["responsible"] = responsible
    for name, low, high in (("due_days", 0, 365), ("notice_days", 0, 90)):
        value = data.get(name)
        if value in (None, ""):
            out[name] = None
            continue
        try:
            value = int(value)
        except (TypeError, ValueError):
            problems.append(f"{name}: must be a whole number")
            continue
        if not low <= value <= high:
            problems.append(f"{name}: must be between {low} and {high}")
        out[name] = value
    if out.get("notice_days") is not None:
        minimum = params.value(org, "notice.min_days")
        if out["notice_days"] < minimum:
            problems.append(f"notice_days: a notice period lasts at least {minimum} days (PUB-5)")
    out["mandatory"] = _flag(data.get("mandatory", False))
    item_type = data.get("item_type")
    out["item_type"] = str(item_type).strip() if item_type else None
    return out, problems


def incomplete_entries(version: CatalogueVersion) -> list[str]:
    problems = []
    for entry in entries(version):
        _clean, found = clean_entry(
            {f: getattr(entry, f) for f in ENTRY_FIELDS}, version.organisation
        )
        problems += [f"{entry.key}: {p}" for p in found]
    return problems


def missing_mandatory(version: CatalogueVersion) -> list[str]:
    """Keys of mandatory entries the version lacks (CAT-3): those of its template and those the
    sector plugins enabled for the unit require."""
    if version.kind == "template":
        return []
    required = []
    if version.template_version_id is not None:
        template = db.session.get(CatalogueVersion, version.template_version_id)
        required = [e.key for e in entries(template) if e.mandatory]
    required += [
        data["key"]
        for section in _plugin_sections(version.organisation)
        for data in section.get("entries", [])
        if _flag(data.get("mandatory"))
    ]
    present = {e.template_key for e in entries(version) if e.template_key}
    return [key for key in dict.fromkeys(required) if key not in present]


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
            raise UserError("The category tree of the source version is broken.")
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


def _plugin_sections(org: Organisation) -> list[dict]:
    if not has_app_context():
        return []
    relay = current_app.extensions["gongkai.plugins"].relay(org)
    return [s for batch in relay.catalogue_template_sections(org=org) for s in batch or []]


def _add_plugin_sections(draft: CatalogueVersion, org: Organisation) -> None:
    existing_cats = {c.key for c in categories(draft)}
    existing_entries = {e.key for e in entries(draft)}
    position = len(existing_cats)
    for section in _plugin_sections(org):
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
                    f"The plugin section {section['key']!r} is invalid.", problems=problems
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


def start_draft(org: Organisation, kind: str = "unit", *, actor=None) -> CatalogueVersion:
    """Open a new draft: a copy of the effective version, else derived from the template."""
    if open_version(org, kind) is not None:
        raise UserError(
            "This catalogue already has a version in progress; finish or reopen it first."
        )
    catalogue = catalogue_of(org, kind, create=True)
    current = effective_version(org, kind)
    template = template_source(org) if kind == "unit" else None
    if kind == "unit" and current is None and template is None:
        raise UserError("No superior organisation has published a catalogue template yet.")
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
        raise UserError("Only a draft can be edited; reopen the catalogue first.")


def _check_key(key: str, what: str) -> None:
    if not KEY_PATTERN.match(key or ""):
        raise UserError(f"Invalid {what} key {key!r}: use a-z, 0-9, '.', '_' and '-'.")


def add_category(version: CatalogueVersion, *, key: str, titles, parent: Category | None = None,
                 code_2010: str | None = None, code_2017: str | None = None,
                 actor=None) -> Category:  # fmt: skip
    _require_draft(version)
    _check_key(key, "category")
    problems: list[str] = []
    clean = _texts(titles, "title", problems, required=True)
    if problems:
        raise UserError("The category was not saved.", problems=problems)
    if db.session.scalar(
        select(Category.id).where(Category.version_id == version.id, Category.key == key)
    ):
        raise UserError(f"A category with the key {key!r} already exists.")
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
    clean = _texts(titles, "title", problems, required=True)
    if problems:
        raise UserError("The category was not saved.", problems=problems)
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
            "The category holds mandatory entries and cannot be removed: " + ", ".join(mandatory)
        )
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
        raise UserError("The category belongs to another version.")
    data = {k: v for k, v in data.items() if k not in ("key", "template_key")}
    clean, problems = clean_entry(data, version.organisation)
    if problems:
        raise UserError("The entry was not saved.", problems=problems)
    if key:
        _check_key(key, "entry")
        if db.session.scalar(
            select(Entry.id).where(Entry.version_id == version.id, Entry.key == key)
        ):
            raise UserError(f"An entry with the key {key!r} already exists.")
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
        raise UserError("The category belongs to another version.")
    current = {f: getattr(entry, f) for f in ENTRY_FIELDS}
    merged = {**current, **{k: v for k, v in data.items() if k in ENTRY_FIELDS}}
    if version.kind != "template":
        merged["mandatory"] = entry.mandatory  # a unit cannot change what the template requires
    clean, problems = clean_entry(merged, version.organisation)
    if problems:
        raise UserError("The entry was not saved.", problems=problems)
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
            f"{entry.title('zh_Hans_CN')} is a mandatory entry of the template "
            "and cannot be removed (CAT-3)."
        )
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
                raise UserError("The effective date cannot be in the past.")
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


# --- diff ------------------------------------------------------------------------------------


@dataclass
class EntryChange:
    key: str
    kind: str  # added | removed | changed
    title: str
    fields: dict[str, tuple[Any, Any]] = field(default_factory=dict)


def diff(
    version: CatalogueVersion, against: CatalogueVersion | None, locale: str = "zh_Hans_CN"
) -> list[EntryChange]:
    """Entry-level differences of ``version`` against ``against`` (the effective version)."""
    new = {e.key: e for e in entries(version)}
    old = {e.key: e for e in entries(against)} if against else {}
    new_cats = {c.id: c.title(locale) for c in categories(version)}
    old_cats = {c.id: c.title(locale) for c in categories(against)} if against else {}
    changes = []
    for key, entry in new.items():
        if key not in old:
            changes.append(EntryChange(key, "added", entry.title(locale)))
            continue
        before = old[key]
        fields = {}
        for name in ENTRY_FIELDS:
            if getattr(before, name) != getattr(entry, name):
                fields[name] = (getattr(before, name), getattr(entry, name))
        if old_cats.get(before.category_id) != new_cats.get(entry.category_id):
            fields["category"] = (old_cats.get(before.category_id), new_cats.get(entry.category_id))
        if fields:
            changes.append(EntryChange(key, "changed", entry.title(locale), fields))
    for key, entry in old.items():
        if key not in new:
            changes.append(EntryChange(key, "removed", entry.title(locale)))
    return changes
