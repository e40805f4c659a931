"""Reading catalogues: the catalogue of a unit, its versions (the effective one, the open one),
their categories and entries as a tree. Queries only (``catalogue_of`` may create the empty
catalogue row a first draft needs).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Select, or_, select

from core import db, localtime
from core.catalogue.models import OPEN_STATES, Catalogue, CatalogueVersion, Category, Entry
from tenants.models import Organisation


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


def _versions_of(org: Organisation, kind: str, *where) -> Select:
    """The versions of ``org``'s catalogue of ``kind`` that meet ``where``."""
    return (
        select(CatalogueVersion)
        .join(Catalogue)
        .where(Catalogue.org_id == org.id, Catalogue.kind == kind, *where)
    )


def versions(org: Organisation, kind: str = "unit") -> list[CatalogueVersion]:
    return list(
        db.session.scalars(_versions_of(org, kind).order_by(CatalogueVersion.number.desc()))
    )


def effective_version(
    org: Organisation, kind: str = "unit", on: date | None = None
) -> CatalogueVersion | None:
    """The one effective version: the approved version whose effective date came last (CAT-1)."""
    on = on or localtime.today(org, wall=True)
    return db.remembered(
        ("effective_version", org.id, kind, on),
        lambda: db.session.scalar(
            _versions_of(
                org,
                kind,
                CatalogueVersion.state == "approved",
                CatalogueVersion.effective_from <= on,
            )
            .order_by(CatalogueVersion.effective_from.desc(), CatalogueVersion.number.desc())
            .limit(1)
        ),
    )


def current_versions(
    org: Organisation, kinds: tuple[str, ...] = ("unit",)
) -> dict[str, tuple[CatalogueVersion | None, CatalogueVersion | None]]:
    """For each kind: (the effective version, the open one) in one statement — what
    :func:`effective_version` and :func:`open_version` answer (and remember for the
    transaction)."""
    on = localtime.today(org, wall=True)
    rows = db.session.execute(
        select(Catalogue.kind, CatalogueVersion)
        .join(Catalogue)
        .where(
            Catalogue.org_id == org.id,
            Catalogue.kind.in_(kinds),
            or_(
                (CatalogueVersion.state == "approved") & (CatalogueVersion.effective_from <= on),
                CatalogueVersion.state.in_(OPEN_STATES),
            ),
        )
    ).all()
    out = {}
    for kind in kinds:
        mine = [v for k, v in rows if k == kind]
        approved = [v for v in mine if v.state == "approved"]
        pending = [v for v in mine if v.state in OPEN_STATES]
        effective = max(approved, key=lambda v: (v.effective_from, v.number), default=None)
        opened = max(pending, key=lambda v: v.number, default=None)
        db.remembered(("effective_version", org.id, kind, on), lambda v=effective: v)
        db.remembered(("open_version", org.id, kind), lambda v=opened: v)
        out[kind] = (effective, opened)
    return out


def version_by_number(org: Organisation, kind: str, number: int) -> CatalogueVersion | None:
    """Version ``number`` of ``org``'s catalogue of ``kind`` (None when it has no such version)."""
    return db.session.scalar(_versions_of(org, kind, CatalogueVersion.number == number))


def open_version(org: Organisation, kind: str = "unit") -> CatalogueVersion | None:
    return db.remembered(
        ("open_version", org.id, kind),
        lambda: db.session.scalar(
            _versions_of(org, kind, CatalogueVersion.state.in_(OPEN_STATES))
            .order_by(CatalogueVersion.number.desc())
            .limit(1)
        ),
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
        if version.effective_from <= localtime.today(org, wall=True):
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


def unit_catalogue_states(org_ids) -> Select:
    """``(org id, state, number)`` of the unit catalogue versions of the organisations
    ``org_ids`` that are in force or waiting for the superior: approved ones whose effective
    date has come, and submitted ones (one query for a list of units)."""
    today = localtime.today(wall=True)
    return (
        select(CatalogueVersion.org_id, CatalogueVersion.state, CatalogueVersion.number)
        .join(Catalogue, Catalogue.id == CatalogueVersion.catalogue_id)
        .where(
            Catalogue.kind == "unit",
            CatalogueVersion.org_id.in_(list(org_ids)),
            or_(
                (CatalogueVersion.state == "approved") & (CatalogueVersion.effective_from <= today),
                CatalogueVersion.state == "submitted",
            ),
        )
    )
