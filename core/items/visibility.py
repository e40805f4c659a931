"""What an actor may see (SCOPE-1): the one query every page, feed, search, sitemap, API and
export goes through.

* anonymous: ``public`` items only;
* signed in, additionally: ``party_wide`` items of the counties where the user holds any role;
  ``unit`` items of organisations above or below (or at) one where the user holds a role;
  ``specific`` items naming the user, or an organisation at or above one of theirs;
* superiors (a staff role — admin, editor, reviewer, supervisor — in an ancestor) see every
  disclosed item of their subtree.

Only disclosed states count (published, closed, revoked ...): drafts and plans are console
business, decided by ``core.permissions``.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import g, has_request_context
from sqlalchemy import Select, and_, false, or_, select

from core import db, permissions
from core.items.models import VISIBLE_STATES, Item, ItemAudience
from tenants.models import Organisation


@dataclass(frozen=True)
class Viewer:
    user_id: int | None
    org_ids: frozenset[int]  # where the user holds a role
    staff: tuple[tuple[int, str], ...]  # (id, path) where the user holds a staff role
    lineage_ids: frozenset[int]  # those organisations and all their ancestors
    root_ids: frozenset[int]

    @property
    def anonymous(self) -> bool:
        return self.user_id is None


ANONYMOUS = Viewer(None, frozenset(), (), frozenset(), frozenset())
STAFF_ROLES = frozenset({"admin", "editor", "reviewer", "supervisor"})


def viewer(user) -> Viewer:
    """The facts about ``user`` the visibility rules need (two queries, cached per request)."""
    held = permissions.roles_by_org(user)
    if not held:
        return ANONYMOUS
    cache = g.setdefault("_viewers", {}) if has_request_context() else {}
    if user.id in cache:
        return cache[user.id]
    orgs = list(
        db.session.execute(
            select(Organisation.id, Organisation.path, Organisation.root_id).where(
                Organisation.id.in_(held)
            )
        )
    )
    lineage = {int(p) for _id, path, _root in orgs for p in path.strip("/").split("/") if p}
    result = Viewer(
        user.id,
        frozenset(o[0] for o in orgs),
        tuple((o[0], o[1]) for o in orgs if held[o[0]] & STAFF_ROLES),
        frozenset(lineage),
        frozenset(o[2] for o in orgs),
    )
    cache[user.id] = result
    return result


def scope_condition(v: Viewer):
    """SQL condition on ``Item`` (joined with its ``Organisation``) for what ``v`` may see."""
    public = Item.visible_scope == "public"
    if v.anonymous:
        return public
    superior = or_(
        false(),
        *(
            and_(Organisation.path.startswith(path, autoescape=True), Organisation.id != org_id)
            for org_id, path in v.staff
        ),
    )
    party_wide = and_(Item.visible_scope == "party_wide", Item.root_id.in_(v.root_ids))
    unit = and_(Item.visible_scope == "unit", or_(superior, Item.org_id.in_(v.lineage_ids)))
    named = (
        select(ItemAudience.id)
        .where(
            ItemAudience.item_id == Item.id,
            or_(ItemAudience.user_id == v.user_id, ItemAudience.org_id.in_(v.lineage_ids)),
        )
        .exists()
    )
    specific = and_(Item.visible_scope == "specific", named)
    return or_(public, party_wide, unit, specific, superior)


def visible_items(user, *, within: Organisation | None = None, lean: bool = False) -> Select:
    """``select(Item)`` of the disclosed items ``user`` may see (in ``within``'s subtree),
    joined with their ``Organisation``.

    ``lean``: without the join where the rule does not need the organisation's path (no
    ``within``, no superior's role): the items of the disabled organisations (read first, as a
    list; usually none) are left out by their ids — for the search, whose per-match join with
    ``organisations`` PostgreSQL planned as a scan of the whole table for every match (and a
    subquery of the disabled ones as a scan of every item). The caller must not refer to
    ``Organisation`` then."""
    v = viewer(user)
    query = select(Item).where(Item.state.in_(VISIBLE_STATES))
    if lean and within is None and not v.staff:
        disabled = db.session.scalars(
            select(Organisation.id).where(Organisation.enabled.is_(False))
        ).all()
        if disabled:
            query = query.where(Item.org_id.not_in(disabled))
        return query.where(scope_condition(v))
    query = query.join(Organisation, Organisation.id == Item.org_id).where(
        Organisation.enabled.is_(True), scope_condition(v)
    )
    if within is not None:
        query = query.where(Organisation.path.startswith(within.path, autoescape=True))
    return query


def can_see(user, item: Item) -> bool:
    """The same rule for one item (one query)."""
    return db.session.scalar(visible_items(user).where(Item.id == item.id).limit(1)) is not None
