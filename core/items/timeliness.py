"""Timeliness (CAT-5, SUP-2): match published items to the expected disclosures of the schedule.

An expected disclosure (entry, period) is met by an item of that entry and period in a disclosed
state. It is *overdue* when its due date has passed unmet; an item is *late* when it was published
after the due date. Flags are kept in ``disclosure_flags`` (raised by the sweep, resolved when
met) so the unit and its superiors see them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from core import db
from core.catalogue import operations as catalogue
from core.catalogue import schedule
from core.items.models import VISIBLE_STATES, DisclosureFlag, Item
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


def refresh(org: Organisation, year: int, *, today: date | None = None) -> tuple[int, int]:
    """Raise and resolve the flags of ``org`` for ``year``; return (raised, resolved)."""
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
    for s in status(org, year, today=today):
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
    """The sweep: every enabled organisation, the current year (and last year in January)."""
    raised = resolved = 0
    for root in hierarchy.roots():
        for org in hierarchy.subtree(root):
            day = today or catalogue.today_for(org)
            for year in {day.year, (day.year - 1) if day.month == 1 else day.year}:
                r, s = refresh(org, year, today=day)
                raised, resolved = raised + r, resolved + s
    return raised, resolved
