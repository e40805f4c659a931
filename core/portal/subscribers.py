"""Invalidation of the response cache (:mod:`core.portal.response_cache`) by the domain events
that change what a public page shows.

Each receiver marks the county of the sender in the unit of work; the commit bumps its
generation (and the site's: the platform home and the sitemap), a rollback forgets it.
A change of an organisation (names, contact channels, theme, enabled or not, a new unit) is
caught at the flush, since no event announces it.
"""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.orm import Session

from core import db, events
from core.portal.response_cache import invalidate
from tenants.models import Organisation

ITEM_SIGNALS = (
    events.item_published,  # a new item on the portal, the feed, the sitemap, search
    events.item_amended,  # a new text
    events.item_revoked,  # the revocation notice
    events.item_closed,  # notices leave the portal when their period closes
    events.item_widened,  # internal first: the item becomes public
    events.item_withheld,
)


def _root_of(org_id: int | None) -> int | None:
    if org_id is None:
        return None
    org = db.session.get(Organisation, org_id)
    return (org.root_id or org.id) if org is not None else None


def item_changed(item, **_kwargs) -> None:
    invalidate(db.session(), item.root_id or _root_of(item.org_id))


def organisation_changed(sender, **_kwargs) -> None:
    """A catalogue version approved, an evaluation round opened or published, an objection's
    outcome recorded, a county's own channel changed (its name on the item pages)."""
    invalidate(db.session(), _root_of(sender.org_id))


for _signal in ITEM_SIGNALS:
    _signal.connect(item_changed)
for _signal in (
    events.catalogue_approved,
    events.evaluation_opened,
    events.evaluation_published,
    events.objection_handled,  # a closed notice shows its objections' outcomes
    events.county_channel_changed,  # the channel's name on item pages and the catalogue
    events.appearance_changed,  # the county's branding: the header of every page
):
    _signal.connect(organisation_changed)


@event.listens_for(Session, "before_flush")
def _organisations_changed(session: Session, _context, _instances) -> None:
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Organisation) and (obj in session.new or session.is_modified(obj)):
            invalidate(session, obj.root_id or obj.id)
