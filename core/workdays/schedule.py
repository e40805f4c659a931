"""Reading a year's official schedule from a small CSV or YAML text (pure: no database).

CSV, one special day a line (``#`` starts a comment line; a first line ``date,kind,name`` is a
header)::

    date,kind,name,name_en
    2027-10-01,holiday,国庆节,National Day
    2027-10-09,workday,国庆节,National Day

YAML, the same fields (``year`` and ``note`` are optional)::

    year: 2027
    note: 国办发明电〔2026〕N号
    days:
      - {date: 2027-10-01, kind: holiday, name: 国庆节, name_en: National Day}
      - {date: 2027-10-09, kind: workday, name: 国庆节}

``kind`` is ``holiday`` (a weekday off; also 休, 放假) or ``workday`` (a Saturday or Sunday
worked, 调休; also 班, 上班). Weekend days inside a holiday break are weekends anyway and are not
listed. The examples above show the format only; they are not an official schedule.

:func:`parse` checks everything and raises one :class:`~core.errors.UserError` listing every
problem with its line: a bad date, an unknown kind, a missing name, a date outside the year, a
holiday on a weekend, a workday on a weekday, a date listed twice. Nothing is loaded then.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from typing import Any

from flask_babel import format_date, gettext

from core.errors import UserError

MAX_TEXT = 64 * 1024
MAX_DAYS = 200
MAX_PROBLEMS = 50
DATE_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}$")
KIND_ALIASES = {
    "holiday": "holiday",
    "休": "holiday",
    "放假": "holiday",
    "workday": "workday",
    "班": "workday",
    "上班": "workday",
}
NAME_MAX = 100


@dataclass(frozen=True)
class DayRow:
    """One special day of a schedule (``line``: where it was read, 0 when not from a file)."""

    day: date
    kind: str
    name: str
    name_en: str = ""
    line: int = 0


@dataclass
class Schedule:
    year: int | None
    days: list[DayRow] = field(default_factory=list)
    note: str = ""


def weekday_name(day: date) -> str:
    """The day of the week in the language of the page (Babel's names)."""
    return format_date(day, "EEEE")


def guess_format(text: str) -> str:
    """``csv`` when the first meaningful line starts with a date or the ``date`` header."""
    for raw in text.splitlines():
        line = raw.strip().lstrip("\ufeff")
        if not line or line.startswith("#"):
            continue
        return "csv" if re.match(r"^(\d{4}-|date\s*,)", line, re.IGNORECASE) else "yaml"
    return "csv"


def refuse(problems: list[str]) -> UserError:
    if len(problems) > MAX_PROBLEMS:
        more = len(problems) - MAX_PROBLEMS
        problems = [
            *problems[:MAX_PROBLEMS],
            gettext("… and %(count)s more problems.", count=more),
        ]
    return UserError(
        gettext("The schedule was not imported; nothing was changed."), problems=problems
    )


def parse(text: str, *, year: int | None = None, fmt: str | None = None) -> Schedule:
    """Read and check a schedule; ``year`` is the year it must be for (else the file's
    ``year``, else the year of its first date)."""
    if len(text) > MAX_TEXT:
        raise refuse([gettext("The text is longer than %(size)s characters.", size=MAX_TEXT)])
    fmt = fmt or guess_format(text)
    problems: list[str] = []
    if fmt == "yaml":
        declared, note, raw = _read_yaml(text, problems)
    else:
        declared, note, raw = None, "", _read_csv(text, problems)
    if year is not None and declared is not None and declared != year:
        problems.append(
            gettext("The file is for %(file_year)s, not %(year)s.", file_year=declared, year=year)
        )
    schedule = Schedule(year=year if year is not None else declared, note=note)
    schedule.days = _check(raw, schedule, problems)
    if not problems and not schedule.days:
        problems.append(gettext("The file lists no days."))
    if not problems and len(schedule.days) > MAX_DAYS:
        problems.append(gettext("More than %(count)s days are listed.", count=MAX_DAYS))
    if problems:
        raise refuse(problems)
    return schedule


def _at(line: int, message: str) -> str:
    return gettext("line %(line)s: %(problem)s", line=line, problem=message)


def _read_csv(text: str, problems: list[str]) -> list[tuple[int, dict[str, Any]]]:
    rows = []
    seen_content = False
    for number, raw in enumerate(text.lstrip("\ufeff").splitlines(), start=1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        cells = [c.strip() for c in next(csv.reader([raw]))]
        if not seen_content and cells and cells[0].lower() == "date":
            seen_content = True
            continue  # the header
        seen_content = True
        if len(cells) < 3 or len(cells) > 4:
            problems.append(
                _at(number, gettext("expected date,kind,name (and an English name, optional)"))
            )
            continue
        fields = dict(zip(("date", "kind", "name", "name_en"), cells, strict=False))
        rows.append((number, fields))
    return rows


def _yaml_loader():
    from ruamel.yaml import YAML
    from ruamel.yaml.constructor import RoundTripConstructor

    class Constructor(RoundTripConstructor):
        """Dates stay text, so that a bad one is a located problem, not a crash."""

    Constructor.add_constructor("tag:yaml.org,2002:timestamp", Constructor.construct_yaml_str)
    yaml = YAML(typ="rt")
    yaml.Constructor = Constructor
    return yaml


def _read_yaml(text: str, problems: list[str]):
    from ruamel.yaml.error import YAMLError

    try:
        doc = _yaml_loader().load(text)
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark is not None else 1
        problems.append(_at(line, gettext("this is not valid YAML")))
        return None, "", []
    declared, note, days = None, "", doc
    if isinstance(doc, dict):
        unknown = sorted(str(k) for k in doc if k not in ("year", "note", "days"))
        if unknown:
            problems.append(
                _at(doc.lc.line + 1, gettext("unknown keys: %(keys)s", keys=", ".join(unknown)))
            )
        if "year" in doc:
            value = doc["year"]
            if isinstance(value, int) and not isinstance(value, bool):
                declared = value
            else:
                problems.append(_at(doc.lc.key("year")[0] + 1, gettext("year must be a number")))
        note = str(doc.get("note") or "")[:500]
        days = doc.get("days")
    if not isinstance(days, list):
        problems.append(
            _at(1, gettext("expected a list of days (date, kind, name), or a mapping with days"))
        )
        return declared, note, []
    rows = []
    for index, entry in enumerate(days):
        line = days.lc.item(index)[0] + 1
        if not isinstance(entry, dict):
            problems.append(_at(line, gettext("expected date, kind and name")))
            continue
        unknown = sorted(str(k) for k in entry if k not in ("date", "kind", "name", "name_en"))
        if unknown:
            problems.append(_at(line, gettext("unknown keys: %(keys)s", keys=", ".join(unknown))))
            continue
        rows.append((line, {k: "" if v is None else str(v).strip() for k, v in entry.items()}))
    return declared, note, rows


def _check(raw, schedule: Schedule, problems: list[str]) -> list[DayRow]:
    rows: list[DayRow] = []
    for line, fields in raw:
        text = fields.get("date", "")
        day = None
        if DATE_PATTERN.match(text):
            try:
                day = date.fromisoformat(text)
            except ValueError:
                day = None
        if day is None:
            problems.append(
                _at(line, gettext("%(value)s is not a date (use YYYY-MM-DD)", value=text or "—"))
            )
        kind = KIND_ALIASES.get(fields.get("kind", "").lower())
        if kind is None:
            problems.append(
                _at(
                    line,
                    gettext(
                        "the kind %(value)s is neither holiday nor workday",
                        value=fields.get("kind") or "—",
                    ),
                )
            )
        if day is None:
            continue
        if schedule.year is None:
            schedule.year = day.year
        name, name_en = fields.get("name", ""), fields.get("name_en", "")
        rows.append(DayRow(day, kind or "", name, name_en, line))
    assert schedule.year is not None or not rows
    problems.extend(check_rows(schedule.year or 0, rows))
    if problems:
        return []
    return sorted(rows, key=lambda r: r.day)


def _where(row: DayRow, message: str) -> str:
    return _at(row.line, message) if row.line else f"{row.day.isoformat()}: {message}"


def check_rows(year: int, rows: list[DayRow] | tuple[DayRow, ...]) -> list[str]:
    """The problems of ``rows`` as the special days of ``year`` (located by line when read
    from a file); an empty list when they are right."""
    problems: list[str] = []
    first_line: dict[date, int] = {}
    for row in rows:
        at = partial(_where, row)
        text = row.day.isoformat()
        if not row.name:
            problems.append(at(gettext("the name is missing")))
        elif len(row.name) > NAME_MAX or len(row.name_en) > NAME_MAX:
            problems.append(at(gettext("a name is longer than %(n)s characters", n=NAME_MAX)))
        if row.day.year != year:
            problems.append(at(gettext("%(day)s is not in %(year)s", day=text, year=year)))
        weekend = row.day.weekday() >= 5
        if row.kind == "holiday" and weekend:
            problems.append(
                at(
                    gettext(
                        "%(day)s is a %(weekday)s: a holiday must be a weekday (weekend days "
                        "of a holiday break are days off anyway; do not list them)",
                        day=text,
                        weekday=weekday_name(row.day),
                    )
                )
            )
        elif row.kind == "workday" and not weekend:
            problems.append(
                at(
                    gettext(
                        "%(day)s is a %(weekday)s: a make-up working day must be a Saturday "
                        "or a Sunday",
                        day=text,
                        weekday=weekday_name(row.day),
                    )
                )
            )
        elif row.kind not in ("holiday", "workday") and not row.line:
            problems.append(at(gettext("the kind must be holiday or workday")))
        if row.day in first_line:
            problems.append(
                at(
                    gettext(
                        "%(day)s is listed twice (first on line %(first)s)",
                        day=text,
                        first=first_line[row.day],
                    )
                    if first_line[row.day]
                    else gettext("%(day)s is listed twice", day=text)
                )
            )
        else:
            first_line[row.day] = row.line
    return problems


def to_csv(days) -> str:
    """A year's special days as the CSV :func:`parse` reads (for editing and re-importing)."""
    lines = ["date,kind,name,name_en"]
    for d in days:
        cells = [d.day.isoformat(), d.kind, d.name, d.name_en or ""]
        lines.append(",".join(_csv_cell(c) for c in cells))
    return "\n".join(lines) + "\n"


def _csv_cell(value: str) -> str:
    if any(ch in value for ch in ',"\n'):
        return '"' + value.replace('"', '""') + '"'
    return value
