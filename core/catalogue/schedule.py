"""The cadence schedule (CAT-5): every expected disclosure of a catalogue in a year.

For each entry of a version and a year: ``standing`` once, due on the parameter
``catalogue.standing_due`` (default Jan 31); ``monthly``, ``quarterly``, ``half_yearly`` and
``yearly`` once per period, due ``catalogue.period_due_days`` (default 10) days after the period
ends, or the entry's own ``due_days``; ``on_progress`` and ``immediate`` follow events (an
immediate item is due ``catalogue.immediate_due_days`` after its decision) and have no fixed date.

Each expected disclosure has a stable ``period_key`` (``2026``, ``2026-M03``, ``2026-Q1``,
``2026-H2``) so that published items can be matched to it by (entry key, period key).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from core.catalogue.models import CatalogueVersion, Entry
from core.catalogue.operations import entries
from core.params import operations as params

PERIODS_PER_YEAR = {"monthly": 12, "quarterly": 4, "half_yearly": 2, "yearly": 1}
EVENT_CADENCES = ("on_progress", "immediate")


@dataclass(frozen=True)
class ExpectedDisclosure:
    entry_key: str
    entry: Entry
    cadence: str
    period_key: str
    period_start: date
    period_end: date
    due: date


def _period_bounds(year: int, cadence: str, index: int) -> tuple[str, date, date]:
    months = 12 // PERIODS_PER_YEAR[cadence]
    first_month = index * months + 1
    last_month = first_month + months - 1
    start = date(year, first_month, 1)
    end = date(year, last_month, calendar.monthrange(year, last_month)[1])
    key = {
        "monthly": f"{year}-M{first_month:02d}",
        "quarterly": f"{year}-Q{index + 1}",
        "half_yearly": f"{year}-H{index + 1}",
        "yearly": f"{year}",
    }[cadence]
    return key, start, end


def periods(cadence: str | None, year: int) -> list[tuple[str, date, date]]:
    """The periods ``(key, start, end)`` of ``cadence`` in ``year`` (none for event cadences)."""
    if cadence == "standing":
        return [(f"{year}", date(year, 1, 1), date(year, 12, 31))]
    if cadence not in PERIODS_PER_YEAR:
        return []
    return [_period_bounds(year, cadence, i) for i in range(PERIODS_PER_YEAR[cadence])]


def due_date(entry: Entry, period_end: date, *, period_due_days: int) -> date:
    days = entry.due_days if entry.due_days is not None else period_due_days
    return period_end + timedelta(days=days)


def expected(version: CatalogueVersion, year: int) -> list[ExpectedDisclosure]:
    """Every expected disclosure of ``version`` in ``year``, ordered by due date."""
    org = version.organisation
    period_due_days = params.value(org, "catalogue.period_due_days")
    standing_month, standing_day = (
        int(p) for p in params.value(org, "catalogue.standing_due").split("-")
    )
    out: list[ExpectedDisclosure] = []
    for entry in entries(version):
        if entry.cadence in EVENT_CADENCES:
            continue
        if entry.cadence == "standing":
            day = min(standing_day, calendar.monthrange(year, standing_month)[1])
            due = date(year, standing_month, day)
            if entry.due_days is not None:
                due = date(year, 1, 1) + timedelta(days=entry.due_days)
            out.append(
                ExpectedDisclosure(
                    entry.key,
                    entry,
                    entry.cadence,
                    f"{year}",
                    date(year, 1, 1),
                    date(year, 12, 31),
                    due,
                )
            )
            continue
        for index in range(PERIODS_PER_YEAR[entry.cadence]):
            key, start, end = _period_bounds(year, entry.cadence, index)
            out.append(
                ExpectedDisclosure(
                    entry.key,
                    entry,
                    entry.cadence,
                    key,
                    start,
                    end,
                    due_date(entry, end, period_due_days=period_due_days),
                )
            )
    return sorted(out, key=lambda e: (e.due, e.entry.position, e.entry_key))


def event_driven(version: CatalogueVersion) -> list[Entry]:
    """Entries published on events (stages of work, ad hoc decisions) rather than on dates."""
    return [e for e in entries(version) if e.cadence in EVENT_CADENCES]


def due_rule(entry: Entry, org) -> dict:
    """The due rule of ``entry`` as data, resolved with the parameters of ``org``.

    ``{"cadence": "quarterly", "due_days_after_period": 10, "source": "parameter"}``;
    ``standing`` gives ``due_each_year`` (month-day) or ``due_days_after_year_start``;
    ``immediate`` gives ``due_days_after_decision``; ``on_progress`` is ``event_driven``.
    """
    rule: dict = {"cadence": entry.cadence}
    own = entry.due_days is not None
    if entry.cadence in PERIODS_PER_YEAR:
        days = entry.due_days if own else params.value(org, "catalogue.period_due_days")
        rule["due_days_after_period"] = days
    elif entry.cadence == "standing":
        if own:
            rule["due_days_after_year_start"] = entry.due_days
        else:
            rule["due_each_year"] = params.value(org, "catalogue.standing_due")
    elif entry.cadence == "immediate":
        days = entry.due_days if own else params.value(org, "catalogue.immediate_due_days")
        rule["due_days_after_decision"] = days
        rule["event_driven"] = True
    else:
        rule["event_driven"] = True
    if "event_driven" not in rule or entry.cadence == "immediate":
        rule["source"] = "entry" if own else "parameter"
    return rule
