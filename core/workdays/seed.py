"""What the installed ``chinese-calendar`` package knows (read only; loading is an operation).

The package (``chinese_calendar.holidays`` and ``chinese_calendar.workdays``: date → English
holiday name) lists every day of a holiday break, weekends included; the calendar keeps only the
weekdays off and the weekend days worked (see :mod:`core.workdays.models`).
"""

from __future__ import annotations

from functools import cache
from importlib import metadata

from core.workdays.schedule import DayRow

SOURCE = "chinese-calendar"

# the official Chinese names (the package's own Chinese names are short: 清明, 端午, 中秋)
CHINESE_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "Mid-autumn Festival": "中秋节",
    "National Day": "国庆节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}


def package_version() -> str:
    try:
        return metadata.version("chinese-calendar")
    except metadata.PackageNotFoundError:  # pragma: no cover - a declared dependency
        return "unknown"


def chinese_name(english: str) -> str:
    if english in CHINESE_NAMES:
        return CHINESE_NAMES[english]
    from chinese_calendar.constants import Holiday

    for holiday in Holiday:
        if holiday.value == english:
            return holiday.chinese
    return english


@cache
def _by_year() -> dict[int, tuple[DayRow, ...]]:
    import chinese_calendar

    found: dict[int, list[DayRow]] = {}
    for day, english in chinese_calendar.holidays.items():
        found.setdefault(day.year, [])
        if day.weekday() < 5:
            found[day.year].append(DayRow(day, "holiday", chinese_name(english), english or ""))
    for day, english in chinese_calendar.workdays.items():
        found.setdefault(day.year, [])
        if day.weekday() >= 5:
            found[day.year].append(DayRow(day, "workday", chinese_name(english), english or ""))
    return {year: tuple(sorted(rows, key=lambda r: r.day)) for year, rows in found.items()}


def package_years() -> list[int]:
    """The years the installed package knows."""
    return sorted(_by_year())


def package_days(year: int) -> tuple[DayRow, ...]:
    """The special days of ``year`` as the package has them (empty if it does not know it)."""
    return _by_year().get(year, ())
