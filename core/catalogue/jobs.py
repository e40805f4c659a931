"""The catalogue's reminder (:mod:`core.notifications.reminders`): each superior reviewer is told,
once a day, how many unit catalogues wait for their decision (the catalogue inbox)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from core.catalogue.models import Catalogue, CatalogueVersion
from core.notifications import reminders
from tenants.models import Organisation


@reminders.register("catalogue.awaiting_decision")
def awaiting_decision(now: datetime | None = None) -> int:
    query = (
        select(CatalogueVersion.id, Organisation)
        .join(Catalogue, Catalogue.id == CatalogueVersion.catalogue_id)
        .join(Organisation, Organisation.id == CatalogueVersion.org_id)
        .where(Catalogue.kind == "unit", CatalogueVersion.state == "submitted")
    )
    return reminders.tell_waiting(
        "catalogue.awaiting_decision", "catalogue.decide", "catalogue_admin.inbox", query, now
    )
