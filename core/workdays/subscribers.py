"""Reactions to the working-day calendar: a deadline that reached a year the calendar does not
hold alerts the platform admins, once a day (:mod:`core.notifications`)."""

from __future__ import annotations

from core import events
from core.notifications import operations as ops


@events.workdays_year_missing.connect
def on_workdays_year_missing(year, **_kw) -> None:
    """A deadline reached a year the calendar does not hold: the platform admins, once a day."""
    ops.notify(
        ops.recipients("platform.manage", None),
        "workdays.year_missing",
        params={"year": str(year)},
        link=ops.path_for("workdays_admin.index"),
        about=("workday_year", year),
        dedup=f"workdays.year_missing:{year}:{ops.local_day().isoformat()}",
    )
