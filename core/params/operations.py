"""Reading (resolution down the tree) and setting policy parameters."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from flask import g, has_app_context, has_request_context
from sqlalchemy import select

from core import audit, db
from core.errors import UserError
from core.i18n import _, lazily, locale
from core.params import registry
from core.params.models import OrgParameter
from tenants.models import Organisation


@dataclass(frozen=True)
class Resolved:
    key: str
    value: Any
    source: Organisation | None  # None: the default
    locked: bool = False

    @property
    def is_default(self) -> bool:
        return self.source is None


def _rows_for(org: Organisation) -> dict[int, dict[str, OrgParameter]]:
    """Explicit values of ``org`` and its ancestors ``{org_id: {key: row}}`` (one query, cached
    for the request, or inside :func:`cached`)."""
    caching = has_request_context() or (has_app_context() and g.get("_param_rows_batch"))
    cache = g.setdefault("_param_rows", {}) if caching else {}
    if org.id in cache:
        return cache[org.id]
    ids = [*org.ancestor_ids, org.id]
    rows: dict[int, dict[str, OrgParameter]] = {i: {} for i in ids}
    for row in db.session.scalars(select(OrgParameter).where(OrgParameter.org_id.in_(ids))):
        rows[row.org_id][row.key] = row
    cache[org.id] = rows
    return rows


def _forget() -> None:
    if has_app_context():
        g.pop("_param_rows", None)


@contextmanager
def cached():
    """Remember the parameters read inside the block, as a request does (long commands such as
    ``gongkai demo load`` resolve the same few parameters thousands of times); setting one
    forgets them."""
    before = g.get("_param_rows_batch")
    g._param_rows_batch = True
    try:
        yield
    finally:
        g._param_rows_batch = before
        g.pop("_param_rows", None)


def resolve(org: Organisation, key: str) -> Resolved:
    """The value of parameter ``key`` for ``org`` and where it comes from."""
    param = registry.get(key)
    rows = _rows_for(org)
    chain = [*org.ancestor_ids, org.id]  # root first
    for org_id in chain[:-1]:  # the highest lock wins
        row = rows[org_id].get(key)
        if row is not None and row.locked:
            return Resolved(key, row.value, db.session.get(Organisation, org_id), True)
    for org_id in reversed(chain):  # nearest explicit value
        row = rows[org_id].get(key)
        if row is not None:
            source = org if org_id == org.id else db.session.get(Organisation, org_id)
            return Resolved(key, row.value, source, row.locked)
    return Resolved(key, param.default, None)


def value(org: Organisation, key: str) -> Any:
    return resolve(org, key).value


def filing_target(org: Organisation, key: str) -> Organisation | None:
    """Where ``org`` files what parameter ``key`` routes (``filing.requests``,
    ``filing.withheld``, ``filing.catalogue``, ``filing.changes``): its parent, or the nearest
    organisation above it of the level the parameter names (the parent when there is none of
    that level); None for a county (it has no superior on the platform)."""
    from tenants import hierarchy

    level = value(org, key)
    return hierarchy.nearest_above(org, None if level == "parent" else level)


def all_for(org: Organisation) -> list[Resolved]:
    return [resolve(org, key) for key in sorted(registry.PARAMETERS)]


def may_set(org: Organisation, param: registry.Parameter) -> bool:
    """Whether ``org`` may hold its own value of ``param``: a county's parameter is set by the
    county committee (the root of the tree) only."""
    return param.level == "unit" or org.parent_id is None


def refuse_level(org: Organisation, param: registry.Parameter) -> None:
    if not may_set(org, param):
        raise UserError(
            _("This setting belongs to the county: only the county committee changes it.")
        )


def set_value(
    org: Organisation, key: str, raw: Any, *, locked: bool = False, actor=None
) -> Resolved:
    """Set ``key`` explicitly for ``org`` (and its subtree, unless they set their own)."""
    param = registry.get(key)
    refuse_level(org, param)
    current = resolve(org, key)
    if current.locked and current.source is not None and current.source.id != org.id:
        raise UserError(
            _("This value is locked by %(org)s: only that organisation can change it.",
              org=lazily(lambda: current.source.name(locale())))
        )  # fmt: skip
    new = param.convert(raw)
    row = db.session.scalar(
        select(OrgParameter).where(OrgParameter.org_id == org.id, OrgParameter.key == key)
    )
    before = {"value": row.value, "locked": row.locked} if row else {}
    if row is None:
        row = OrgParameter(org_id=org.id, key=key)
        db.session.add(row)
    row.value, row.locked = new, locked
    row.set_by_id = getattr(actor, "id", None)
    row.set_at = db.utcnow()
    db.session.flush()
    _forget()
    audit.log(
        "parameter.set",
        "parameter",
        key,
        org_id=org.id,
        actor=actor,
        changes=audit.diff(before, {"value": new, "locked": locked}),
    )
    return resolve(org, key)


def clear_value(org: Organisation, key: str, *, actor=None) -> bool:
    """Remove ``org``'s own value: it inherits again."""
    refuse_level(org, registry.get(key))
    row = db.session.scalar(
        select(OrgParameter).where(OrgParameter.org_id == org.id, OrgParameter.key == key)
    )
    if row is None:
        return False
    db.session.delete(row)
    db.session.flush()
    _forget()
    audit.log(
        "parameter.clear",
        "parameter",
        key,
        org_id=org.id,
        actor=actor,
        changes={"value": [row.value, None]},
    )
    return True
