"""The organisation's local date and time (kernel): one home for time zones.

Times are stored in UTC; people and rules think in the organisation's days. An organisation has a
``timezone`` (an IANA name; most are ``Asia/Shanghai``); without one, or with a name the system
does not know, it is :data:`DEFAULT_ZONE`. "Now" is :func:`core.db.utcnow`, so a test or the demo
that moves the application's clock moves every date below with it::

    localtime.today(org)                 # the organisation's date now
    localtime.today(org, wall=True)      # ... by the real clock, whatever the application's
    localtime.now(org)                   # an aware datetime in its zone
    localtime.date_of(moment, org)       # the organisation's date of a stored UTC moment
    localtime.start_of(day, org)         # the UTC moment its day begins (for range queries)

``org`` may be ``None`` (a platform page, a job without an organisation): the default zone, which
is also the zone of the official working-day calendar (``core.workdays``).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core import db

DEFAULT_ZONE = "Asia/Shanghai"
"""The zone of an organisation without one, and of the official calendar (Beijing time)."""


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_ZONE)


def zone(org: Any = None) -> ZoneInfo:
    """The time zone of ``org`` (an object with a ``timezone``, or None): its own, else Beijing."""
    return _zone(getattr(org, "timezone", None) or DEFAULT_ZONE)


def now(org: Any = None, *, wall: bool = False) -> datetime:
    """The current moment in ``org``'s zone, by :func:`core.db.utcnow` (the application's clock,
    which tests and the demo may move), or with ``wall`` by the real clock."""
    moment = datetime.now(UTC) if wall else db.utcnow()
    return moment.astimezone(zone(org))


def today(org: Any = None, *, wall: bool = False) -> date:
    """The organisation's date now (``wall``: by the real clock, see :func:`now`)."""
    return now(org, wall=wall).date()


def date_of(moment: datetime, org: Any = None) -> date:
    """The organisation's date of ``moment`` (an aware datetime)."""
    if moment.tzinfo is None:
        raise ValueError("date_of() needs an aware datetime")
    return moment.astimezone(zone(org)).date()


def start_of(day: date | datetime, org: Any = None, *, next_day: bool = False) -> datetime:
    """The UTC moment ``day`` (or, with ``next_day``, the day after) begins in ``org``'s zone."""
    if isinstance(day, datetime):
        day = day.date()
    if next_day:
        day = day + timedelta(days=1)
    return datetime.combine(day, time(0, 0), tzinfo=zone(org)).astimezone(UTC)


def local_naive(moment: datetime | None, org: Any = None) -> datetime | None:
    """A stored UTC moment as the organisation's wall-clock time without a zone, to the minute
    (the value of a ``datetime-local`` input)."""
    if moment is None:
        return None
    return moment.astimezone(zone(org)).replace(tzinfo=None, second=0, microsecond=0)
