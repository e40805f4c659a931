"""The reporting periods of a unit (RPT-1), from the parameters ``report.months`` (the months
in which a period ends; default June and December: two half-years), ``report.due_days`` (the
report is due that many days after its period; default 10: early July and early January) and
``report.remind_days`` (reminders begin that many days before the due date)."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import format_date, gettext

from core.params import operations as params
from tenants.models import Organisation


@dataclass(frozen=True)
class Period:
    key: str  # the last month of the period: "2026-06"
    starts_on: date
    ends_on: date
    due_on: date
    remind_from: date
    halves: bool  # the periods are the two half-years (report.months = 6, 12)

    def label(self) -> str:
        """ "The first half of 2026", or the months it spans, in the reader's language."""
        return label(self.key, self.starts_on, self.ends_on, halves=self.halves)


def label(key: str, starts_on: date, ends_on: date, *, halves: bool | None = None) -> str:
    if halves is None:
        halves = (starts_on.month, ends_on.month) in ((1, 6), (7, 12))
    if halves and (starts_on.month, ends_on.month) == (1, 6):
        return gettext("The first half of %(year)s", year=ends_on.year)
    if halves and (starts_on.month, ends_on.month) == (7, 12):
        return gettext("The second half of %(year)s", year=ends_on.year)
    return gettext(
        "%(start)s to %(end)s",
        start=format_date(starts_on, "yyyy-MM"),
        end=format_date(ends_on, "yyyy-MM"),
    )


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def period_ending(org: Organisation, year: int, month: int) -> Period:
    """The period of ``org`` that ends with ``month`` of ``year`` (a month of ``report.months``)."""
    months = sorted(params.value(org, "report.months"))
    ends_on = _month_end(year, month)
    earlier = [m for m in months if m < month]
    if earlier:
        starts_on = _month_end(year, earlier[-1]) + timedelta(days=1)
    else:  # the first period of the year begins after the last one of the year before
        starts_on = _month_end(year - 1, months[-1]) + timedelta(days=1)
    due = ends_on + timedelta(days=params.value(org, "report.due_days"))
    remind = due - timedelta(days=params.value(org, "report.remind_days"))
    key = f"{year}-{month:02d}"
    return Period(key, starts_on, ends_on, due, remind, months == [6, 12])


def current(org: Organisation, today: date) -> Period:
    """The period ``today`` falls in."""
    months = sorted(params.value(org, "report.months"))
    for month in months:
        if today <= _month_end(today.year, month):
            return period_ending(org, today.year, month)
    return period_ending(org, today.year + 1, months[0])


def last_ended(org: Organisation, today: date) -> Period:
    """The latest period that is over on ``today`` (the one being reported on)."""
    months = sorted(params.value(org, "report.months"))
    for year in (today.year, today.year - 1):
        for month in reversed(months):
            if _month_end(year, month) < today:
                return period_ending(org, year, month)
    return period_ending(org, today.year - 2, months[-1])


def recent(org: Organisation, today: date, count: int = 4) -> list[Period]:
    """The ``count`` latest periods that are over, newest first."""
    found: list[Period] = []
    day = today
    while len(found) < count:
        period = last_ended(org, day)
        found.append(period)
        day = period.starts_on
    return found


def parse_key(key: str | None) -> tuple[int, int] | None:
    """``(year, month)`` of a period key ``YYYY-MM``; None when it is not one."""
    if not key or len(key) != 7 or key[4] != "-" or not (key[:4] + key[5:]).isdigit():
        return None
    year, month = int(key[:4]), int(key[5:])
    return (year, month) if 2000 <= year <= 2100 and 1 <= month <= 12 else None
