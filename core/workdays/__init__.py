"""The working-day calendar: official Chinese holidays and make-up working days (调休).

Deadlines in working days (REQ-2, SCH-2) count Monday to Friday, skip the official holidays and
count the weekend days worked in their place. The State Council announces each year's schedule
in November, so the calendar is data:

* ``workday_years`` lists the *loaded* years (a year is known only when it is there), with where
  it came from: ``chinese-calendar`` (seeded from the maintained package of that name),
  ``import`` (a file, ``gongkai calendar import``) or ``manual`` (pasted in the platform console
  at ``/admin/platform/calendar``).
* ``workday_special_days`` holds a loaded year's exceptions: ``holiday`` (a weekday off) and
  ``workday`` (a Saturday or Sunday worked). A weekend day inside a holiday break is a weekend
  anyway and is not stored.
* ``workday_missing_years`` remembers the day a computation last alerted the platform admins
  about a year that is not loaded (at most one alert per year per day, across processes).

Seeding. The migration creates the tables only (it does not depend on the package's version).
:func:`operations.seed_from_package` loads every year the installed package knows and the
database does not hold; it runs from ``gongkai demo load``, ``gongkai calendar seed``, the
daily sweep ``workdays_check`` (so a newer package adds its new year by itself) and lazily at
first use: the first computation on a calendar with no loaded year at all seeds it. A loaded
year is never overwritten by seeding; an import replaces a year as a whole.

The public API for deadlines is in :mod:`core.workdays.operations`: :func:`is_working_day`,
:func:`year_known`, :func:`add_working_days` (a :class:`Deadline`) and
:func:`working_days_between`.
"""
