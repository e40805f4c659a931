"""Tree queries over the materialised path: each is one SQL statement.

``path`` holds the ids from the root down to the node itself, ``/1/5/12/``; a node's subtree
is every row whose path starts with the node's path, its ancestors are the ids in its path.
"""

from __future__ import annotations

from sqlalchemy import Select, inspect, select
from sqlalchemy.orm.util import identity_key

from core import db
from tenants.models import Organisation


def subtree_query(org: Organisation, *, include_self: bool = True) -> Select:
    """Organisations in the subtree of ``org`` (one statement, ordered by path)."""
    query = select(Organisation).where(Organisation.path.startswith(org.path, autoescape=True))
    if not include_self:
        query = query.where(Organisation.id != org.id)
    return query.order_by(Organisation.depth, Organisation.position, Organisation.code)


def subtree(org: Organisation, *, include_self: bool = True) -> list[Organisation]:
    return list(db.session.scalars(subtree_query(org, include_self=include_self)))


def subtree_ids_query(org: Organisation) -> Select:
    """Ids of ``org`` and its descendants, for use as a subquery in tenant-scoped queries."""
    return select(Organisation.id).where(Organisation.path.startswith(org.path, autoescape=True))


def ancestors(org: Organisation, *, include_self: bool = False) -> list[Organisation]:
    """Ancestors from the root down (one statement)."""
    ids = org.ancestor_ids + ([org.id] if include_self else [])
    if not ids:
        return []
    known = db.session.identity_map
    rows = [known.get(identity_key(Organisation, i)) for i in ids]
    if any(row is None or inspect(row).expired_attributes for row in rows):  # not loaded
        rows = db.session.scalars(select(Organisation).where(Organisation.id.in_(ids)))
    return sorted(rows, key=lambda o: o.depth)


def nearest_above(org: Organisation, type_code: str | None) -> Organisation | None:
    """The nearest strict ancestor of ``org`` of type ``type_code`` (``None``: the parent); the
    parent when no ancestor is of that type; None for a root (one statement at most)."""
    if org.parent_id is None:
        return None
    if type_code is not None:
        for ancestor in reversed(ancestors(org)):
            if ancestor.type_code == type_code:
                return ancestor
    return db.session.get(Organisation, org.parent_id)


def children(org: Organisation) -> list[Organisation]:
    return list(
        db.session.scalars(
            select(Organisation)
            .where(Organisation.parent_id == org.id)
            .order_by(Organisation.position, Organisation.code)
        )
    )


def is_in_subtree(org: Organisation, root: Organisation) -> bool:
    """True when ``org`` is ``root`` or one of its descendants (no query)."""
    return org.path.startswith(root.path)


def roots() -> list[Organisation]:
    """The hosted counties (enabled roots)."""
    return list(
        db.session.scalars(
            select(Organisation)
            .where(Organisation.parent_id.is_(None), Organisation.enabled.is_(True))
            .order_by(Organisation.position, Organisation.code)
        )
    )


def build_tree(nodes: list[Organisation]) -> list[tuple[Organisation, list]]:
    """Nest a path-ordered list of organisations into ``(org, children)`` pairs, in memory."""
    by_id: dict[int, tuple[Organisation, list]] = {}
    top: list[tuple[Organisation, list]] = []
    for org in sorted(nodes, key=lambda o: (o.depth, o.position, o.code)):
        node = (org, [])
        by_id[org.id] = node
        parent = by_id.get(org.parent_id) if org.parent_id else None
        (parent[1] if parent else top).append(node)
    return top
