"""Working days: the deadline arithmetic (public API) and the operations that load the calendar.

Public API (used by disclosure requests and every other deadline in working days)::

    from core.workdays import operations as workdays
    workdays.is_working_day(day) -> bool
    workdays.year_known(year) -> bool
    workdays.add_working_days(start, n, *, paused=()) -> Deadline
    workdays.working_days_between(start, end, *, paused=()) -> int
    workdays.local_date(moment) -> date     # an aware datetime's day in Beijing

A day is a working day when it is a ``workday`` row (a weekend day worked, 调休), else when it is
Monday to Friday and not a ``holiday`` row. For a year that is not loaded only weekends are off:
a deadline that touches such a year is *provisional*, names the year in ``missing_years``, and
the platform admins are alerted (:data:`core.events.workdays_year_missing`, at most once per year
per day: the day is kept in ``workday_missing_years``, so every process and every test database
agrees). Loading the year (:func:`load_year`) sends :data:`core.events.workdays_year_loaded`,
on which open deadlines are recomputed.

Pauses (REQ-4): ``paused`` holds ``(first, last)`` pairs; the clock stops on every day from
``first`` to ``last`` inclusive, whatever the day is (a working day inside a pause does not
count). ``last=None`` is a pause still running: the deadline is computed as if it ended today
(the date moves by one working day for each further working day it lasts) and the deadline says
so (``open_pause``). A pause that has not started yet (``first`` after today) is taken as one day.

Queries: a computation reads the loaded years (one small query) and the special days of the years
it may reach (one query), cached for the unit of work (the session: one request, command or
job); a computation that touches a missing year adds the alert's bookkeeping. The first
computation on an empty calendar seeds it from the ``chinese-calendar`` package
(:func:`seed_from_package`; see :mod:`core.workdays`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import get_locale, gettext, ngettext
from sqlalchemy import delete, event, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import audit, db, events, localtime
from core.errors import UserError
from core.i18n import _
from core.workdays import schedule, seed
from core.workdays.models import MissingYear, SpecialDay, WorkdayYear
from core.workdays.schedule import DayRow

TIMEZONE = localtime.zone()
"""The official calendar's time zone: "today" is the day in Beijing."""

_CACHE_KEY = "gongkai.workdays"

# Names of the official holidays in the languages of the platform; the stored name is Chinese.
HOLIDAY_LABELS = {
    "元旦": _("New Year's Day"),
    "春节": _("Spring Festival"),
    "清明节": _("Qingming Festival"),
    "劳动节": _("Labour Day"),
    "端午节": _("Dragon Boat Festival"),
    "中秋节": _("Mid-Autumn Festival"),
    "国庆节": _("National Day"),
}
_ENGLISH_TO_CHINESE = {v: k for k, v in seed.CHINESE_NAMES.items()}


def today() -> date:
    """Today in Beijing (by the real clock)."""
    return localtime.today(wall=True)


def local_date(moment: datetime) -> date:
    """The calendar day of ``moment`` (an aware datetime, e.g. a request's receipt) in Beijing."""
    return localtime.date_of(moment)


def _plain_date(value: Any, what: str) -> date:
    # a datetime is a date too, but would never match a calendar day: refuse it loudly
    if isinstance(value, datetime) or not isinstance(value, date):
        raise TypeError(f"{what} must be a date (use local_date() for a datetime), not {value!r}")
    return value


def holiday_label(name: str, name_en: str = "") -> str:
    """A holiday's name in the language of the page (Chinese: the official name as stored)."""
    locale = str(get_locale() or "")
    if locale.startswith("zh"):
        return name
    chinese = name if name in HOLIDAY_LABELS else _ENGLISH_TO_CHINESE.get(name_en or name)
    if chinese in HOLIDAY_LABELS:
        return str(HOLIDAY_LABELS[chinese])
    return name_en or name


# --- the deadline ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Deadline:
    """A deadline in working days and how it was computed."""

    due: date
    """the ``working_days``-th working day after ``start`` (``start`` itself not counted)"""
    provisional: bool
    """some day counted lies in a year that is not loaded (weekends only were used there)"""
    missing_years: tuple[int, ...]
    paused_days: int
    """calendar days skipped because of pauses"""
    skipped: tuple[tuple[date, str], ...]
    """the days off skipped and the make-up working days counted, in order: ``(day, name)``
    with the holiday's (Chinese) name for a holiday and a make-up working day (a Saturday or
    Sunday with a name), ``""`` for a plain weekend day"""
    start: date | None = None
    working_days: int = 0
    open_pause: bool = False
    """a pause is still running: the date assumes it ended today"""

    @property
    def makeup_days(self) -> tuple[tuple[date, str], ...]:
        return tuple((d, n) for d, n in self.skipped if n and d.weekday() >= 5)

    def _off_groups(self) -> tuple[list[tuple[list[str], date, date]], int]:
        """Runs of consecutive days off with holiday names, and the other weekend days."""
        runs: list[list[tuple[date, str]]] = []
        for day, name in self.skipped:
            if name and day.weekday() >= 5:
                continue  # a make-up working day: counted, not skipped
            if runs and runs[-1][-1][0] + timedelta(days=1) == day:
                runs[-1].append((day, name))
            else:
                runs.append([(day, name)])
        holidays, weekend_days = [], 0
        for run in runs:
            names = list(dict.fromkeys(n for _d, n in run if n))
            if names:
                holidays.append((names, run[0][0], run[-1][0]))
            else:
                weekend_days += len(run)
        return holidays, weekend_days

    def explain(self) -> list[str]:
        """How the date was computed, one translated sentence a line (for the request page)."""
        lines = []
        if self.start is not None:
            lines.append(
                ngettext(
                    "%(num)s working day from %(start)s (the start day is not counted): due on "
                    "%(due)s.",
                    "%(num)s working days from %(start)s (the start day is not counted): due on "
                    "%(due)s.",
                    self.working_days,
                    start=self.start.isoformat(),
                    due=self.due.isoformat(),
                )
            )
        holidays, weekend_days = self._off_groups()
        for names, first, last in holidays:
            label = ", ".join(holiday_label(n) for n in names)
            if first == last:
                lines.append(gettext("Skipped %(name)s: %(day)s.", name=label, day=first))
            else:
                lines.append(
                    gettext(
                        "Skipped %(name)s: %(first)s – %(last)s.",
                        name=label,
                        first=first.isoformat(),
                        last=last.isoformat(),
                    )
                )
        if weekend_days:
            lines.append(
                ngettext(
                    "Skipped %(num)s weekend day.", "Skipped %(num)s weekend days.", weekend_days
                )
            )
        for day, name in self.makeup_days:
            lines.append(
                gettext(
                    "Counted the make-up working day %(day)s (%(name)s).",
                    day=day.isoformat(),
                    name=holiday_label(name),
                )
            )
        if self.paused_days:
            lines.append(
                ngettext(
                    "The clock was stopped for %(num)s calendar day.",
                    "The clock was stopped for %(num)s calendar days.",
                    self.paused_days,
                )
            )
        if self.open_pause:
            lines.append(
                gettext(
                    "The clock is still stopped: this date assumes it restarts tomorrow and "
                    "moves on with every further working day it stays stopped."
                )
            )
        if self.provisional:
            lines.append(
                gettext(
                    "Provisional: the official holidays of %(years)s are not loaded yet, so "
                    "only weekends were skipped there.",
                    years=", ".join(str(y) for y in self.missing_years),
                )
            )
        return lines


# --- the calendar of the unit of work --------------------------------------------------------


class _Calendar:
    """What one unit of work has read of the calendar (dropped when its transaction ends)."""

    def __init__(self) -> None:
        self.years: dict[int, str] | None = None  # loaded year: source
        self.days: dict[date, tuple[str, str]] = {}  # special day: (kind, name)
        self.fetched: set[int] = set()
        self.alerted: set[int] = set()

    def ensure(self, years: Iterable[int]) -> None:
        """Read the special days of the loaded ones of ``years`` (one query)."""
        assert self.years is not None
        wanted = {y for y in years if y not in self.fetched}
        if not wanted:
            return
        self.fetched |= wanted
        loaded = sorted(y for y in wanted if y in self.years)
        if not loaded:
            return
        rows = db.session.execute(
            select(SpecialDay.day, SpecialDay.kind, SpecialDay.name).where(
                SpecialDay.year.in_(loaded)
            )
        )
        for day, kind, name in rows:
            self.days[day] = (kind, name)

    def known(self, year: int) -> bool:
        assert self.years is not None
        return year in self.years

    def working(self, day: date) -> bool:
        special = self.days.get(day)
        if special is not None:
            return special[0] == "workday"
        return day.weekday() < 5


def _forget() -> None:
    db.session.info.pop(_CACHE_KEY, None)


@event.listens_for(Session, "after_transaction_end")
def _drop_cache(session: Session, transaction) -> None:
    # the outermost transaction ended: the next one reads the calendar again
    if transaction.parent is None:
        session.info.pop(_CACHE_KEY, None)


def _calendar(*, autoseed: bool = True) -> _Calendar:
    cal = db.session.info.get(_CACHE_KEY)
    if cal is None:
        cal = db.session.info[_CACHE_KEY] = _Calendar()
    if cal.years is None:
        cal.years = dict(db.session.execute(select(WorkdayYear.year, WorkdayYear.source)).all())
        if not cal.years and autoseed:
            seed_from_package()  # the first use of a new installation
            return _calendar(autoseed=False)
    return cal


def _alert(cal: _Calendar, years: Iterable[int]) -> None:
    """Tell the platform admins about missing years, once per year per day."""
    todo = sorted(set(years) - cal.alerted)
    if not todo:
        return
    cal.alerted.update(todo)
    day = today()
    last = dict(
        db.session.execute(
            select(MissingYear.year, MissingYear.alerted_on).where(MissingYear.year.in_(todo))
        ).all()
    )
    for year in todo:
        if year in last and last[year] >= day:
            continue
        try:
            with db.session.begin_nested():
                if year in last:  # claim today's alert (another process may be at it too)
                    claimed = (
                        db.session.execute(
                            update(MissingYear)
                            .where(MissingYear.year == year, MissingYear.alerted_on < day)
                            .values(alerted_on=day)
                        ).rowcount
                        == 1
                    )
                else:
                    db.session.add(MissingYear(year=year, alerted_on=day))
                    db.session.flush()
                    claimed = True
        except IntegrityError:
            claimed = False
        if claimed:
            events.workdays_year_missing.send(year)


# --- the public API --------------------------------------------------------------------------


def is_working_day(day: date) -> bool:
    """Whether ``day`` is a working day (for a year that is not loaded: Monday to Friday)."""
    _plain_date(day, "day")
    cal = _calendar()
    cal.ensure([day.year])
    return cal.working(day)


def year_known(year: int) -> bool:
    """Whether the official schedule of ``year`` is loaded."""
    return _calendar().known(year)


def _pauses(
    paused: Sequence[tuple[date, date | None]], on: date | None
) -> tuple[list[tuple[date, date]], bool]:
    result, still_open = [], False
    for first, last in paused:
        _plain_date(first, "a pause's first day")
        if last is not None:
            _plain_date(last, "a pause's last day")
        if last is None:
            still_open = True
            last = max(first, on or today())
        if last < first:
            raise ValueError(f"a pause ends ({last}) before it starts ({first})")
        result.append((first, last))
    return sorted(result), still_open


def _paused(day: date, pauses: list[tuple[date, date]]) -> bool:
    return any(first <= day <= last for first, last in pauses)


def add_working_days(
    start: date,
    n: int,
    *,
    paused: Sequence[tuple[date, date | None]] = (),
    today: date | None = None,
) -> Deadline:
    """The ``n``-th working day after ``start`` (``start`` itself not counted), with the clock
    stopped on the ``paused`` days. ``today`` (default: today in Beijing) ends open pauses."""
    _plain_date(start, "start")
    if n < 0:
        raise ValueError("n must not be negative")
    pauses, still_open = _pauses(paused, today)
    cal = _calendar()
    stopped = sum((last - max(first, start)).days + 1 for first, last in pauses if last > start)
    horizon = start + timedelta(days=n * 7 // 5 + 45 + stopped)
    cal.ensure(range(start.year, horizon.year + 1))
    day, counted, paused_days = start, 0, 0
    skipped: list[tuple[date, str]] = []
    missing: set[int] = set()
    while counted < n:
        day += timedelta(days=1)
        if day.year not in cal.fetched:
            cal.ensure([day.year])
        if not cal.known(day.year):
            missing.add(day.year)
        if _paused(day, pauses):
            paused_days += 1
            continue
        special = cal.days.get(day)
        if cal.working(day):
            counted += 1
            if special is not None:  # a make-up working day
                skipped.append((day, special[1]))
        else:
            skipped.append((day, special[1] if special is not None else ""))
    if missing:
        _alert(cal, missing)
    return Deadline(
        due=day,
        provisional=bool(missing),
        missing_years=tuple(sorted(missing)),
        paused_days=paused_days,
        skipped=tuple(skipped),
        start=start,
        working_days=n,
        open_pause=still_open,
    )


def due_soon_until(today: date, days: int = 3) -> date:
    """The last day of "due soon": ``days`` working days after ``today`` (My work marks the
    deadlines up to it)."""
    return add_working_days(today, days).due


def working_days_between(
    start: date,
    end: date,
    *,
    paused: Sequence[tuple[date, date | None]] = (),
    today: date | None = None,
) -> int:
    """The working days after ``start`` up to and including ``end``, not counting paused days;
    negative when ``end`` is before ``start`` (``-working_days_between(end, start)``): e.g.
    ``working_days_between(today, due)`` is the working days left, below 0 when overdue."""
    _plain_date(start, "start")
    _plain_date(end, "end")
    if end < start:
        return -working_days_between(end, start, paused=paused, today=today)
    pauses, _open = _pauses(paused, today)
    cal = _calendar()
    cal.ensure(range(start.year, end.year + 1))
    count, missing = 0, set()
    day = start
    while day < end:
        day += timedelta(days=1)
        if not cal.known(day.year):
            missing.add(day.year)
        if not _paused(day, pauses) and cal.working(day):
            count += 1
    if missing:
        _alert(cal, missing)
    return count


# --- loading the calendar (operations) -------------------------------------------------------


def _label(actor: Any) -> str:
    return getattr(actor, "username", None) or ("system" if actor is None else str(actor))


def _describe(kind: str, day: date, name: str) -> str:
    return f"{day.isoformat()} {kind} {name}"


def load_year(
    year: int,
    days: Sequence[DayRow],
    *,
    source: str,
    actor: Any = None,
    note: str = "",
) -> WorkdayYear:
    """Load ``year`` with exactly ``days`` as its special days, replacing what it had (the
    whole year at once), audited; sends ``workdays_year_loaded`` in this unit of work."""
    problems = schedule.check_rows(year, days)
    if problems:
        raise schedule.refuse(problems)
    _forget()
    row = db.session.get(WorkdayYear, year)
    before: dict[str, Any] = {}
    if row is not None:
        old = db.session.execute(
            select(SpecialDay.kind, SpecialDay.day, SpecialDay.name)
            .where(SpecialDay.year == year)
            .order_by(SpecialDay.day)
        ).all()
        before = {
            "source": row.source,
            "note": row.note,
            "days": [_describe(*o) for o in old],
        }
        db.session.execute(delete(SpecialDay).where(SpecialDay.year == year))
    else:
        row = WorkdayYear(year=year)
        db.session.add(row)
    row.source = source
    row.note = (note or "")[:500]
    row.loaded_at = db.utcnow()
    row.loaded_by_id = getattr(actor, "id", None)
    row.loaded_by = _label(actor)[:200]
    db.session.flush()
    db.session.add_all(
        SpecialDay(year=year, day=d.day, kind=d.kind, name=d.name, name_en=d.name_en, source=source)
        for d in sorted(days, key=lambda d: d.day)
    )
    db.session.execute(delete(MissingYear).where(MissingYear.year == year))
    db.session.flush()
    after = {
        "source": source,
        "note": row.note,
        "days": [_describe(d.kind, d.day, d.name) for d in sorted(days, key=lambda d: d.day)],
    }
    audit.log(
        "workdays.year.replace" if before else "workdays.year.load",
        "workday_year",
        year,
        actor=actor,
        changes=audit.diff(before, after),
    )
    _forget()
    events.workdays_year_loaded.send(year, actor=actor)
    return row


def import_schedule(
    text: str,
    *,
    year: int | None = None,
    fmt: str | None = None,
    source: str = "import",
    note: str | None = None,
    replace: bool = False,
    actor: Any = None,
) -> WorkdayYear:
    """Load a year from a CSV or YAML schedule (see :mod:`core.workdays.schedule`): all or
    nothing; a year already loaded is replaced as a whole only with ``replace``."""
    parsed = schedule.parse(text, year=year, fmt=fmt)
    assert parsed.year is not None
    existing = db.session.get(WorkdayYear, parsed.year)
    if existing is not None and not replace:
        raise UserError(
            gettext(
                "%(year)s is already loaded (source: %(source)s). Replace it to load it again "
                "as a whole; nothing was changed.",
                year=parsed.year,
                source=existing.source,
            )
        )
    return load_year(
        parsed.year,
        parsed.days,
        source=source,
        actor=actor,
        note=parsed.note if note is None else note,
    )


def seed_from_package(
    years: Iterable[int] | None = None,
    *,
    actor: Any = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[int]:
    """Load every year the ``chinese-calendar`` package knows (or those of ``years``) that the
    calendar does not hold yet; a loaded year is left as it is. Returns the years loaded.
    ``progress(done, total)`` is told after each year (a command shows it)."""
    known = set(seed.package_years())
    wanted = sorted(known if years is None else known & set(years))
    have = set(db.session.scalars(select(WorkdayYear.year)))
    note = f"chinese-calendar {seed.package_version()}"
    loaded = []
    for done, year in enumerate(wanted, start=1):
        if progress is not None:
            progress(done, len(wanted))
        if year in have:
            continue
        try:
            with db.session.begin_nested():
                load_year(year, seed.package_days(year), source=seed.SOURCE, actor=actor, note=note)
            loaded.append(year)
        except IntegrityError:  # loaded meanwhile by another process
            _forget()
    return loaded


def check_calendar(on: date | None = None) -> dict[str, list[int]]:
    """The daily sweep: seed the years a newer package knows, and alert the platform admins
    when this year, or in December the next one, is not loaded."""
    on = on or today()
    seeded = seed_from_package()
    cal = _calendar()
    needed = [on.year] + ([on.year + 1] if on.month == 12 else [])
    missing = [y for y in needed if not cal.known(y)]
    if missing:
        _alert(cal, missing)
    return {"seeded": seeded, "missing": missing}


# --- reading for the console and the commands ------------------------------------------------


@dataclass(frozen=True)
class YearSummary:
    row: WorkdayYear
    holidays: int
    workdays: int


def years() -> list[YearSummary]:
    """The loaded years, newest first, with their counts (two queries)."""
    rows = db.session.scalars(select(WorkdayYear).order_by(WorkdayYear.year.desc())).all()
    counts: dict[tuple[int, str], int] = {
        (y, k): c
        for y, k, c in db.session.execute(
            select(SpecialDay.year, SpecialDay.kind, func.count()).group_by(
                SpecialDay.year, SpecialDay.kind
            )
        )
    }
    return [
        YearSummary(r, counts.get((r.year, "holiday"), 0), counts.get((r.year, "workday"), 0))
        for r in rows
    ]


def get_year(year: int) -> WorkdayYear | None:
    return db.session.get(WorkdayYear, year)


def days_of(year: int) -> list[SpecialDay]:
    return list(
        db.session.scalars(
            select(SpecialDay).where(SpecialDay.year == year).order_by(SpecialDay.day)
        )
    )


def missing_years() -> list[MissingYear]:
    """Years a computation reached that are still not loaded (oldest first)."""
    return list(db.session.scalars(select(MissingYear).order_by(MissingYear.year)))
