"""Timeliness (CAT-5, SUP-2): match published items to the expected disclosures of the schedule.

An expected disclosure (entry, period) is met by an item of that entry and period in a disclosed
state. It is *overdue* when its due date has passed unmet; an item is *late* when it was published
after the due date. Flags are kept in ``disclosure_flags`` (raised by the sweep, resolved when
met) so the unit and its superiors see them.

The schedule itself is kept in ``scheduled_disclosures`` (:class:`ScheduledDisclosure`), one row
per expected disclosure with the item that met it, so that the compliance of a subtree is a few
aggregate queries, not a loop over its units: the sweep (:func:`refresh_all`) and the approval of
a catalogue (:func:`refresh_schedule`) rebuild a unit's years from its effective catalogue, and a
publication fills its row at once (:func:`record_publication`). A unit's schedule starts in the
year its first catalogue took effect (the catalogue in force is taken to cover that whole year,
as :func:`status` does).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select, update

from core import db, localtime
from core.catalogue import operations as catalogue
from core.catalogue import schedule
from core.catalogue.models import Catalogue, CatalogueVersion
from core.items.models import VISIBLE_STATES, DisclosureFlag, Item, ScheduledDisclosure
from tenants import hierarchy
from tenants.models import Organisation


@dataclass(frozen=True)
class Status:
    expected: schedule.ExpectedDisclosure
    item: Item | None
    overdue: bool
    late: bool


def status(org: Organisation, year: int, *, today: date | None = None) -> list[Status]:
    """Every expected disclosure of ``org`` in ``year`` with the item that met it, if any."""
    version = catalogue.effective_version(org)
    if version is None:
        return []
    today = today or catalogue.today_for(org)
    met: dict[tuple[str, str], Item] = {}
    rows = db.session.scalars(
        select(Item).where(
            Item.org_id == org.id, Item.state.in_(VISIBLE_STATES), Item.period_key.like(f"{year}%")
        )
    )
    for item in rows:
        met.setdefault((item.entry_key, item.period_key), item)
    out = []
    for expected in schedule.expected(version, year):
        item = met.get((expected.entry_key, expected.period_key))
        overdue = item is None and expected.due < today
        out.append(Status(expected, item, overdue, bool(item and item.late)))
    return out


@dataclass(frozen=True)
class Summary:
    """Counts of :func:`status` for a home page: this period's expected disclosures (``due``)
    and how many of them are published (``met``); overdue and late over the whole year, of the
    ``expected`` disclosures of the year."""

    expected: int
    due: int
    met: int
    overdue: int
    late: int


def summary(org: Organisation, year: int, *, today: date) -> Summary | None:
    """What :func:`status` counts, reading only the items' keys (no item is loaded): None when
    ``org`` has no effective catalogue."""
    version = catalogue.effective_version(org)
    if version is None:
        return None
    met: dict[tuple[str, str], bool] = {}
    rows = db.session.execute(
        select(Item.entry_key, Item.period_key, Item.late)
        .where(
            Item.org_id == org.id, Item.state.in_(VISIBLE_STATES), Item.period_key.like(f"{year}%")
        )
        .order_by(Item.id)
    )
    for entry_key, period_key, late in rows:
        met.setdefault((entry_key, period_key), bool(late))
    due = published = overdue = late_count = total = 0
    for expected in schedule.expected(version, year):
        total += 1
        late = met.get((expected.entry_key, expected.period_key))
        if expected.period_start <= today <= expected.period_end:
            due += 1
            published += late is not None
        overdue += late is None and expected.due < today
        late_count += bool(late)
    return Summary(total, due, published, overdue, late_count)


def flags(
    org: Organisation, *, subtree: bool = True, open_only: bool = True
) -> list[DisclosureFlag]:
    """Flags of ``org`` (and its subtree: a superior sees its units' flags)."""
    query = select(DisclosureFlag).join(Organisation, Organisation.id == DisclosureFlag.org_id)
    if subtree:
        query = query.where(Organisation.path.startswith(org.path, autoescape=True))
    else:
        query = query.where(DisclosureFlag.org_id == org.id)
    if open_only:
        query = query.where(DisclosureFlag.resolved_at.is_(None))
    return list(db.session.scalars(query.order_by(DisclosureFlag.due_on, DisclosureFlag.id)))


def refresh(
    org: Organisation, year: int, *, today: date | None = None, flags: bool = True
) -> tuple[int, int]:
    """Keep the stored schedule of ``org``'s ``year`` and (``flags``) raise and resolve its
    flags; return (flags raised, resolved)."""
    statuses = status(org, year, today=today)
    first = first_year(org)
    keep_schedule(org, year, statuses if first is not None and year >= first else [])
    return _flag(org, year, statuses) if flags else (0, 0)


def _flag(org: Organisation, year: int, statuses: list[Status]) -> tuple[int, int]:
    existing = {
        (f.entry_key, f.period_key, f.kind): f
        for f in db.session.scalars(
            select(DisclosureFlag).where(
                DisclosureFlag.org_id == org.id, DisclosureFlag.period_key.like(f"{year}%")
            )
        )
    }
    raised = resolved = 0
    now = db.utcnow()
    for s in statuses:
        e = s.expected
        for kind, active in (("overdue", s.overdue), ("late", s.late)):
            flag = existing.get((e.entry_key, e.period_key, kind))
            if active and flag is None:
                db.session.add(
                    DisclosureFlag(
                        org_id=org.id,
                        entry_key=e.entry_key,
                        period_key=e.period_key,
                        kind=kind,
                        due_on=e.due,
                        item_id=s.item.id if s.item else None,
                    )
                )
                raised += 1
            elif active and flag is not None and flag.resolved_at is not None:
                flag.resolved_at = None
                raised += 1
            elif not active and flag is not None and flag.resolved_at is None:
                flag.resolved_at = now
                flag.item_id = s.item.id if s.item else flag.item_id
                resolved += 1
    db.session.flush()
    return raised, resolved


def refresh_all(*, today: date | None = None) -> tuple[int, int]:
    """The sweep: every enabled organisation, the current year (and last year in January) for
    the flags; the stored schedule of this year and the last (for trends over 12 months)."""
    raised = resolved = 0
    for root in hierarchy.roots():
        for org in hierarchy.subtree(root):
            day = today or catalogue.today_for(org)
            for year in (day.year - 1, day.year):
                flags = year == day.year or day.month == 1
                r, s = refresh(org, year, today=day, flags=flags)
                raised, resolved = raised + r, resolved + s
    return raised, resolved


# --- the stored schedule ---------------------------------------------------------------------


def first_year(org: Organisation) -> int | None:
    """The year the first approved version of ``org``'s own catalogue took effect (None: none
    has been approved)."""
    first = db.session.scalar(
        select(func.min(CatalogueVersion.effective_from))
        .join(Catalogue, Catalogue.id == CatalogueVersion.catalogue_id)
        .where(
            Catalogue.org_id == org.id,
            Catalogue.kind == "unit",
            CatalogueVersion.state == "approved",
        )
    )
    return first.year if first is not None else None


def keep_schedule(org: Organisation, year: int, statuses: list[Status]) -> None:
    """Make the stored schedule of ``org``'s ``year`` what ``statuses`` say (insert, update and
    delete only what differs)."""
    existing = {
        (row.entry_key, row.period_key): row
        for row in db.session.scalars(
            select(ScheduledDisclosure).where(
                ScheduledDisclosure.org_id == org.id,
                ScheduledDisclosure.period_key.like(f"{year}%"),
            )
        )
    }
    seen = set()
    for s in statuses:
        e = s.expected
        key = (e.entry_key, e.period_key)
        seen.add(key)
        published = s.item.published_at if s.item is not None else None
        values = {
            "cadence": e.cadence,
            "due_on": e.due,
            "due_month": e.due.year * 100 + e.due.month,
            "item_id": s.item.id if s.item is not None else None,
            "published_on": localtime.date_of(published, org) if published else None,
            "late": bool(s.late),
        }
        row = existing.get(key)
        if row is None:
            db.session.add(
                ScheduledDisclosure(
                    org_id=org.id, entry_key=e.entry_key, period_key=e.period_key, **values
                )
            )
        else:
            for name, value in values.items():
                if getattr(row, name) != value:
                    setattr(row, name, value)
    for key, row in existing.items():
        if key not in seen:
            db.session.delete(row)
    db.session.flush()


def refresh_schedule(org: Organisation, *, today: date | None = None) -> None:
    """Rebuild ``org``'s stored schedule of this year and the last (its catalogue changed)."""
    day = today or catalogue.today_for(org)
    first = first_year(org)
    for year in (day.year - 1, day.year):
        keep_schedule(org, year, status(org, year, today=day) if first and year >= first else [])


def record_publication(item: Item) -> None:
    """The expected disclosure ``item`` meets is met now (unless another item met it first):
    late when published after its due day."""
    if not (item.entry_key and item.period_key and item.published_at):
        return
    published = localtime.date_of(item.published_at, item.organisation)
    db.session.execute(
        update(ScheduledDisclosure)
        .where(
            ScheduledDisclosure.org_id == item.org_id,
            ScheduledDisclosure.entry_key == item.entry_key,
            ScheduledDisclosure.period_key == item.period_key,
            ScheduledDisclosure.item_id.is_(None),
        )
        .values(
            item_id=item.id, published_on=published, late=ScheduledDisclosure.due_on < published
        )
        .execution_options(synchronize_session=False)
    )
