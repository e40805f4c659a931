"""The compliance table of a subtree: its units, every registered column's values (one aggregate
query each), each row's state, the filters and the order a page asks for, and the monthly
trends. No writes; no loop of queries over units."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Text, and_, case, cast, func, select

from core import db, localtime
from core.compliance import columns as registry
from core.compliance.columns import STATES, Context, Limits, Period
from core.items.models import ScheduledDisclosure
from tenants.models import Organisation

SEVERITY = {state: n for n, state in enumerate(STATES)}
IDENTITY_SORTS = ("unit", "state", "level", "sector")


@dataclass(slots=True)
class Row:
    """One unit of the table: who it is, its values per column, the words added to some, its
    state and the columns that made it."""

    id: int
    code: str
    names_json: str | None  # read when a name is asked for: most rows are never shown
    default_locale: str
    type_code: str
    sector: str
    depth: int
    parent_id: int | None
    path: str
    values: dict[str, Any] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    state: str = "on_track"
    reasons: list[str] = field(default_factory=list)
    _names: dict | None = field(default=None, repr=False, compare=False)

    name = Organisation.name  # the same rule as an organisation's name

    @property
    def names(self) -> dict:
        if self._names is None:
            self._names = json.loads(self.names_json) if self.names_json else {}
        return self._names


def context(org: Organisation, period: Period, *, today: date | None = None) -> Context:
    return Context(org, period, today or localtime.today(org), Limits.of(org))


def units(org: Organisation) -> list[Row]:
    """The enabled units of ``org``'s subtree, ``org`` first, in tree order (one query)."""
    o = Organisation
    rows = db.rows(
        select(
            o.id,
            o.code,
            cast(o.names, Text),  # the JSON's text, read by Row.names when needed
            o.default_locale,
            o.type_code,
            o.sector,
            o.depth,
            o.parent_id,
            o.path,
        )
        .where(o.path.startswith(org.path, autoescape=True), o.enabled.is_(True))
        .order_by(o.depth, o.position, o.code)
    )
    found = [Row(*r) for r in rows]
    by_id = {r.id: r for r in found}
    ordered: list[Row] = []
    children: dict[int | None, list[Row]] = {}
    for r in found:
        children.setdefault(r.parent_id, []).append(r)

    def walk(row: Row) -> None:
        ordered.append(row)
        for child in children.get(row.id, []):
            walk(child)

    root = by_id.get(org.id)
    if root is not None:
        walk(root)
    return ordered


def table(ctx: Context, rows: list[Row]) -> list[Row]:
    """Fill every row with the registered columns' values and the row's state: one aggregate
    query per column (shared figures once). The notes are added to the rows shown
    (:func:`annotate`)."""
    for column in registry.registered():
        values = column.values(ctx)
        key, default, judge = column.key, column.default, column.judge
        for row in rows:
            value = values.get(row.id, default)
            row.values[key] = value
            if judge is not None:
                verdict = judge(ctx, row.id, value)
                if verdict is not None:
                    row.reasons.append(key)
                    if SEVERITY[verdict] > SEVERITY[row.state]:
                        row.state = verdict
    return rows


def annotate(ctx: Context, rows: list[Row]) -> list[Row]:
    """Add the columns' notes (``2 overdue``) to ``rows``: the few a page shows, of thousands."""
    noting = [c for c in registry.registered() if c.note is not None]
    for row in rows:
        for column in noting:
            words = column.note(ctx, row.id, row.values.get(column.key, column.default))
            if words:
                row.notes[column.key] = words
    return rows


def matches(row: Row, *, q: str = "", level: str = "", sector: str = "", state: str = "") -> bool:
    if level and row.type_code != level:
        return False
    if sector and row.sector != sector:
        return False
    if state and row.state != state:
        return False
    if q:
        needle = q.casefold()
        texts = [row.code] + [
            v for names in (row.names or {}).values() for v in (names or {}).values()
        ]
        return any(needle in str(t).casefold() for t in texts)
    return True


def sort(rows: list[Row], key: str | None, descending: bool, locale: str) -> list[Row]:
    """Rows in the order of ``key`` (a column's key, or unit, state, level, sector; None: the
    tree order); empty values last either way; the tree order breaks ties."""
    if not key:
        return list(reversed(rows)) if descending else list(rows)
    if key == "unit":
        return sorted(rows, key=lambda r: r.name(locale), reverse=descending)
    if key in ("state", "level", "sector"):
        attr = {
            "state": lambda r: SEVERITY[r.state],
            "level": lambda r: r.type_code,
            "sector": lambda r: r.sector,
        }[key]
        return sorted(rows, key=attr, reverse=descending)
    column = registry.get(key)
    present = [r for r in rows if r.values.get(key) is not None]
    empty = [r for r in rows if r.values.get(key) is None]
    present.sort(key=lambda r: column.sort_key(r.values[key]), reverse=descending)
    return present + empty


@dataclass(frozen=True)
class Summary:
    units: int
    states: dict[str, int]
    due: int
    met: int
    on_time: int
    overdue: int
    late: int

    @property
    def disclosure_rate(self) -> float | None:
        return self.met / self.due if self.due else None

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.due if self.due else None


def summary(ctx: Context, rows: list[Row]) -> Summary:
    """The subtree in figures (from what the table already holds: no query)."""
    from core.compliance.measures import schedule_figures

    figures = schedule_figures(ctx).values()
    states = {s: 0 for s in STATES}
    for r in rows:
        states[r.state] += 1
    total = {k: sum(f[k] for f in figures) for k in ("due", "met", "on_time", "overdue", "late")}
    return Summary(len(rows), states, **total)


# --- trends ----------------------------------------------------------------------------------


def last_months(today: date, count: int = 12) -> list[int]:
    """``year * 100 + month`` of the ``count`` months ending with ``today``'s."""
    months = []
    year, month = today.year, today.month
    for _ in range(count):
        months.append(year * 100 + month)
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return list(reversed(months))


@dataclass(frozen=True)
class Month:
    key: int  # year * 100 + month
    due: int
    met: int
    on_time: int

    @property
    def day(self) -> date:
        return date(self.key // 100, self.key % 100, 1)

    @property
    def rate(self) -> float | None:
        return self.met / self.due if self.due else None

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.due if self.due else None


def _months(ctx: Context, by_org: bool, org_ids: list[int] | None) -> dict[Any, list[Month]]:
    sd = ScheduledDisclosure
    keys = last_months(ctx.today)
    group = [sd.org_id, sd.due_month] if by_org else [sd.due_month]
    first_day = date(keys[0] // 100, keys[0] % 100, 1)
    query = select(
        *group,
        func.count(),  # (not of the id: the index ix_scheduled_disclosures_due suffices)
        func.count(sd.item_id),
        func.sum(case((and_(sd.item_id.is_not(None), sd.late.is_(False)), 1), else_=0)),
    ).where(
        sd.due_month >= keys[0],
        sd.due_month <= keys[-1],
        sd.due_on >= first_day,  # the same rows (due_month is due_on's), found by the index
        sd.due_on < ctx.today,
    )
    if org_ids is None:
        query = query.where(sd.org_id.in_(ctx.subtree_ids()))
    else:
        query = query.where(sd.org_id.in_(org_ids))
    found: dict[Any, dict[int, tuple[int, int, int]]] = {}
    for row in db.rows(query.group_by(*group)):
        owner = row[0] if by_org else None
        month, due, met, on_time = row[-4:]
        found.setdefault(owner, {})[month] = (due, met, int(on_time or 0))
    return {
        owner: [Month(k, *months.get(k, (0, 0, 0))) for k in keys]
        for owner, months in found.items()
    }


def subtree_trend(ctx: Context) -> list[Month]:
    """The subtree's 12 months (one query)."""
    found = _months(ctx, False, None)
    return found.get(None) or [Month(k, 0, 0, 0) for k in last_months(ctx.today)]


def unit_trends(ctx: Context, org_ids: list[int]) -> dict[int, list[Month]]:
    """Each unit's 12 months (one query for all of them)."""
    if not org_ids:
        return {}
    found = _months(ctx, True, org_ids)
    empty = [Month(k, 0, 0, 0) for k in last_months(ctx.today)]
    return {org_id: found.get(org_id, empty) for org_id in org_ids}
