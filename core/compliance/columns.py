"""The registry of compliance columns, the period a page looks at, and the row states.

A column is declared once, by the package that knows the measure (core's in
:mod:`core.compliance.measures`; the half-year report's in its own package)::

    from core.compliance import columns

    columns.register(columns.Column(
        "report", _("Last half-year report"),
        values=lambda ctx: {...},            # {org id: value} for every unit of ctx's subtree:
                                             # ONE aggregate query (ctx.subtree_ids() in SQL)
        kind="text", text=report_label,      # "count", "rate" (0..1) or "text" (with text())
        judge=lambda ctx, org_id, value: "attention" if value == "missing" else None,
        entries=report_entries,              # the drill-down: the entries behind the value
        order=130,
    ))

``values`` runs once per page for the whole subtree (the page's query count does not grow with
the units; a test holds every registered column to that). ``judge(ctx, org_id, value)`` turns
a unit's value into a state (``"attention"``, ``"behind"`` or None) with the thresholds
``ctx.limits`` (:class:`Limits`); the row's state is the worst of its columns. ``note(ctx,
org_id, value)`` may add a few words to the value (``2 overdue``). ``entries(ctx, org)`` lists
what is behind a unit's value (a query or two for one unit): :class:`Entry` rows with a link.
"""

from __future__ import annotations

import calendar
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from babel import Locale
from babel.numbers import parse_pattern
from flask_babel import get_locale, gettext
from sqlalchemy import Select

from core import permissions
from core.i18n import _
from core.params import operations as params
from core.params import registry
from tenants import hierarchy
from tenants.models import Organisation

# Reading a subtree's compliance: the staff of the organisation and of its superiors (SUP-1).
permissions.register("compliance.view", permissions.STAFF, "unit_or_superior")

STATES = ("on_track", "attention", "behind")
STATE_LABELS = {
    "on_track": _("On track"),
    "attention": _("Needs attention"),
    "behind": _("Behind"),
}
KINDS = ("count", "rate", "text")


def state_label(code: str) -> str:
    return str(STATE_LABELS.get(code, code))


# --- the thresholds (policy parameters) ------------------------------------------------------

registry.define(
    "compliance.on_track_rate",
    "int",
    95,
    _("Compliance: disclosure rate (%) at or above which a unit is on track"),
    rule="SUP-1",
    minimum=0,
    maximum=100,
)
registry.define(
    "compliance.behind_rate",
    "int",
    80,
    _("Compliance: disclosure rate (%) below which a unit is behind"),
    rule="SUP-1",
    minimum=0,
    maximum=100,
)
registry.define(
    "compliance.behind_overdue",
    "int",
    3,
    _("Compliance: overdue disclosures from which a unit is behind"),
    rule="SUP-1",
    minimum=1,
    maximum=1000,
)
registry.define(
    "compliance.due_soon_days",
    "int",
    3,
    _("Compliance: days before a deadline from which a request counts as due soon"),
    rule="REQ-2",
    minimum=0,
    maximum=30,
)


@dataclass(frozen=True)
class Limits:
    """The thresholds a page judges by: the parameters of the page's organisation (the
    superior's standard for its subtree), with the organisation they come from."""

    on_track_rate: int
    behind_rate: int
    behind_overdue: int
    due_soon_days: int

    @classmethod
    def of(cls, org: Organisation) -> Limits:
        return cls(
            on_track_rate=params.value(org, "compliance.on_track_rate"),
            behind_rate=params.value(org, "compliance.behind_rate"),
            behind_overdue=params.value(org, "compliance.behind_overdue"),
            due_soon_days=params.value(org, "compliance.due_soon_days"),
        )


# --- the period ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """What a page looks at: the expected disclosures due from ``start`` to ``end`` (those due
    before today). ``key``: ``current`` (this quarter), ``2026-Q3``, ``2026-H2`` or ``2026``."""

    key: str
    start: date
    end: date

    def label(self) -> str:
        year = self.start.year
        if self.key == "current":
            return gettext("This quarter (%(quarter)s)", quarter=quarter_label(self.start))
        if "-Q" in self.key:
            return quarter_label(self.start)
        if "-H" in self.key:
            n = 1 if self.start.month == 1 else 2
            return gettext("Half year %(n)s of %(year)s", n=n, year=year)
        return gettext("Year %(year)s", year=year)


def quarter_label(day: date) -> str:
    return gettext("Quarter %(n)s of %(year)s", n=(day.month - 1) // 3 + 1, year=day.year)


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def period(key: str | None, today: date) -> Period | None:
    """The period of ``key`` (None or "" for ``current``), or None for a key that is not one."""
    key = (key or "current").strip()
    if key == "current":
        first = (today.month - 1) // 3 * 3 + 1
        return Period("current", date(today.year, first, 1), _month_end(today.year, first + 2))
    year_text, _sep, part = key.partition("-")
    if not (year_text.isascii() and year_text.isdigit() and len(year_text) == 4):
        return None
    year = int(year_text)
    if not 2000 <= year <= 2100:
        return None
    if not part:
        return Period(key, date(year, 1, 1), date(year, 12, 31))
    if part in ("Q1", "Q2", "Q3", "Q4"):
        first = (int(part[1]) - 1) * 3 + 1
        return Period(key, date(year, first, 1), _month_end(year, first + 2))
    if part in ("H1", "H2"):
        first = 1 if part == "H1" else 7
        return Period(key, date(year, first, 1), _month_end(year, first + 5))
    return None


def period_choices(today: date) -> list[Period]:
    """The periods a page offers: this quarter, then the quarters, half-years and years of this
    year and the last (the newest first)."""
    found = [period("current", today)]
    for year in (today.year, today.year - 1):
        keys = [f"{year}-Q{n}" for n in (4, 3, 2, 1)] + [f"{year}-H2", f"{year}-H1", f"{year}"]
        found += [p for p in (period(k, today) for k in keys) if p and p.start <= today]
    return [p for p in found if p is not None]


# --- a page's context ------------------------------------------------------------------------


@dataclass
class Context:
    """What the columns of one page share: the subtree's organisation, the period, today, the
    thresholds, and the results of shared queries (:meth:`once`)."""

    org: Organisation
    period: Period
    today: date
    limits: Limits
    cache: dict[str, Any] = field(default_factory=dict)

    def subtree_ids(self) -> Select:
        """The ids of the subtree, for ``column.in_(ctx.subtree_ids())``."""
        return hierarchy.subtree_ids_query(self.org)

    @property
    def window_end(self) -> date:
        """The last due day counted: the period's end, or yesterday while it runs."""
        return min(self.period.end, date.fromordinal(self.today.toordinal() - 1))

    def once(self, key: str, compute: Callable[[], Any]) -> Any:
        """``compute()`` once per page (a query several columns read)."""
        if key not in self.cache:
            self.cache[key] = compute()
        return self.cache[key]


@dataclass(frozen=True)
class Entry:
    """One thing behind a unit's value: a title, where to act on it, and facts."""

    title: str
    link: str | None = None
    facts: tuple[str, ...] = ()
    due: date | None = None
    urgent: bool = False


@dataclass(frozen=True)
class Column:
    key: str
    label: Any  # a lazy string
    values: Callable[[Context], dict[int, Any]]
    kind: str = "count"
    text: Callable[[Any], str] | None = None  # "text" columns: the words for a value
    judge: Callable[[Context, int, Any], str | None] | None = None
    note: Callable[[Context, int, Any], str | None] | None = None
    entries: Callable[[Context, Organisation], list[Entry]] | None = None
    description: Any = None  # a lazy string: what the number means
    order: int = 100
    default: Any = None  # a unit without a value (None: "—"; counts: 0)

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}")

    def display(self, value: Any, locale: str | None = None) -> str:
        """The value as the page shows it, in the reader's language (``locale``: the page's,
        given once for its hundreds of cells)."""
        if value is None:
            return "—"
        if self.kind == "rate":
            return percent(value, locale)
        if self.kind == "text":
            return self.text(value) if self.text else str(value)
        return number(value, locale)

    def export(self, value: Any) -> Any:
        """The value in a spreadsheet: numbers stay numbers (a rate as a percentage)."""
        if value is None:
            return None
        if self.kind == "rate":
            return round(value * 100, 1)
        if self.kind == "text":
            return self.text(value) if self.text else str(value)
        return value

    def sort_key(self, value: Any):
        """Sorting by this column: None after every value."""
        if value is None:
            return (1, 0)
        if self.kind == "text":
            return (0, self.display(value))
        return (0, value)


# Numbers in the reader's language, with patterns parsed once: a page shows hundreds of them
# (flask_babel's format_percent parses its pattern again for every number).
PERCENT_PATTERN = parse_pattern("#,##0.0%")
NUMBER_PATTERN = parse_pattern("#,##0.###")


@functools.lru_cache(maxsize=16)
def _locale(code: str) -> Locale:
    return Locale.parse(code)


def percent(value: float, locale: str | None = None) -> str:
    """``0.953`` as "95.3%" in ``locale`` (default: the reader's)."""
    return _formatted(True, value, locale or str(get_locale()))


def number(value: Any, locale: str | None = None) -> str:
    return _formatted(False, value, locale or str(get_locale()))


@functools.lru_cache(maxsize=4096)
def _formatted(rate: bool, value: Any, locale: str) -> str:
    """A number's words, kept: the cells of a page repeat the same few counts and rates."""
    return (PERCENT_PATTERN if rate else NUMBER_PATTERN).apply(value, _locale(locale))


_columns: dict[str, Column] = {}


def register(column: Column) -> Column:
    """Add a column to every compliance page (at import time; the key is unique)."""
    _columns[column.key] = column
    return column


def unregister(key: str) -> None:
    """Remove a column (tests)."""
    _columns.pop(key, None)


def registered() -> list[Column]:
    """The columns in their order."""
    return sorted(_columns.values(), key=lambda c: (c.order, c.key))


def get(key: str) -> Column | None:
    return _columns.get(key)
