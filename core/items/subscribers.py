"""Reactions to item events, in the sender's transaction: a withheld item is filed with the
superior (PUB-6), whose reviewers are told (:mod:`core.notifications`); a unit catalogue
approved changes what the unit is expected to disclose, so its stored schedule is rebuilt
(:func:`core.items.timeliness.refresh_schedule`)."""

from __future__ import annotations

from core import events
from core.items import timeliness
from core.notifications import operations as ops


@events.catalogue_approved.connect
def on_catalogue_approved(version, **_kw) -> None:
    """The unit's expected disclosures follow its effective catalogue (CAT-5)."""
    if version.kind == "unit":
        timeliness.refresh_schedule(version.organisation)


@events.item_withheld.connect
def on_item_withheld(item, *, actor, reason, filed_with, **_kw) -> None:
    """A withheld item is filed with the superior (PUB-6): its reviewers are told."""
    if filed_with is None:
        return
    org = item.organisation
    ops.notify(
        ops.recipients("items.decide", org, at=filed_with),
        "items.filed",
        org=filed_with,
        params={
            "title": dict(item.current_version.titles) if item.current_version else {},
            "org": ops.org_names(filed_with),
            "unit": ops.org_names(org),
            "reason": ops.excerpt(reason, 200),
        },
        link=ops.path_for("items_admin.filings", org_code=filed_with.code),
        about=("item", item.id),
        exclude=[actor],
    )
