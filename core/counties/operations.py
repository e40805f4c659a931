"""A hosted county as a whole (the root of an organisation tree and everything under it).

Every row of a county carries its county key (:class:`core.db.CountyKey`), so the county's data
is one ``WHERE county_id = …`` per table, whatever the table.

Deleting a county (ARC-2): nothing is deleted before the register's retention ends. An entry
recorded in year *Y* is archived in the following year and kept ``archive.retention_years``
years (the unit's parameter, at least 5): the county can go from 1 January of *Y* + years + 1
of its latest entry, in the county's time zone. Before that :func:`delete_county` refuses and
says from which day it can; after, it deletes every row of the county — its register too,
under :func:`core.register.models.purge_allowed` — and writes a platform audit entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, or_, select

from core import audit, db, localtime
from core.errors import UserError
from core.params import operations as params
from core.register.models import RegisterEntry, purge_allowed
from tenants import operations as tenants
from tenants.models import Organisation

RETENTION_KEY = "archive.retention_years"


class CountyRefused(UserError):
    """A refusal about a county; ``message`` is a lazy string, read in the locale of the
    reader (:func:`core.counties.cli` prints it in the county's language or ``--locale``)."""

    status = 409

    def __str__(self) -> str:
        return str(self.message)  # in the locale of the moment it is read


@dataclass(frozen=True)
class Retention:
    last_year: int | None
    """The year of the county's latest register entry (None: no entry)."""
    years: int
    """The retention years that apply (the longest of the units with entries)."""
    deletable_from: date | None
    """The first day the county may be deleted (None: at once)."""


def county(code: str) -> Organisation:
    """The hosted county ``code``: refused when there is no such organisation or when it is a
    unit inside a county."""
    org = tenants.get_org(code)
    if org is None:
        raise CountyRefused(_l("No organisation has the code %(code)s.", code=code))
    if org.parent_id is not None:
        root = db.session.get(Organisation, org.root_id)
        raise CountyRefused(
            _l(
                "%(code)s is a unit of the county %(county)s, not a hosted county.",
                code=code,
                county=root.code if root else "?",
            )
        )
    return org


def keyed_models() -> list[type]:
    """Every county-keyed model, children before the tables they point to."""
    by_table = {
        m.local_table: m.class_
        for m in db.Base.registry.mappers
        if issubclass(m.class_, db.CountyKey)
    }
    return [by_table[t] for t in reversed(db.Base.metadata.sorted_tables) if t in by_table]


def counts(root: Organisation) -> dict[str, int]:
    """Rows of the county per table (tables with rows only), and its organisations."""
    found = {}
    for model in keyed_models():
        n = db.session.scalar(
            select(func.count()).select_from(model).where(model.county_id == root.id)
        )
        if n:
            found[model.__tablename__] = n
    found["organisations"] = db.session.scalar(
        select(func.count()).select_from(Organisation).where(_in_county(root))
    )
    return found


def _in_county(root: Organisation):
    return or_(Organisation.id == root.id, Organisation.root_id == root.id)


def retention(root: Organisation) -> Retention:
    """Until when the county's register must be kept (ARC-2)."""
    rows = db.session.execute(
        select(RegisterEntry.org_id, func.max(RegisterEntry.year))
        .where(RegisterEntry.county_id == root.id)
        .group_by(RegisterEntry.org_id)
    ).all()
    years = int(params.value(root, RETENTION_KEY))
    if not rows:
        return Retention(None, years, None)
    ends = []
    for org_id, last in rows:
        org = root if org_id == root.id else db.session.get(Organisation, org_id)
        kept = max(years, int(params.value(org, RETENTION_KEY)))
        ends.append((last + kept + 1, last, kept))
    first_year, last_year, kept = max(ends)
    return Retention(last_year, kept, date(first_year, 1, 1))


def delete_county(root: Organisation, *, actor=None, today: date | None = None) -> dict[str, int]:
    """Delete the county ``root`` and all of its data; refused while its register is kept.

    Returns what was deleted (rows per table). Flushes; the command commits.
    """
    kept = retention(root)
    today = today or localtime.today(root)
    if kept.deletable_from is not None and today < kept.deletable_from:
        raise CountyRefused(
            _l(
                "The county %(county)s cannot be deleted before %(date)s: its register holds "
                "entries of %(year)s, which are kept %(years)s years after they are archived.",
                county=root.code,
                date=kept.deletable_from.isoformat(),
                year=kept.last_year,
                years=kept.years,
            )
        )
    deleted = counts(root)
    code, county_id = root.code, root.id
    db.session.flush()
    db.session.expunge_all()  # the rows go by statement, not one object at a time
    with purge_allowed():
        for model in keyed_models():
            db.session.execute(delete(model).where(model.county_id == county_id))
        # the tree: one statement, so that parents and children go together
        db.session.execute(
            delete(Organisation).where(
                or_(Organisation.id == county_id, Organisation.root_id == county_id)
            )
        )
    audit.log(
        "county.deleted", "organisation", county_id, actor=actor,
        changes={"code": code, "deleted": deleted, "retention_years": kept.years,
                 "last_register_year": kept.last_year},
    )  # fmt: skip
    return deleted
