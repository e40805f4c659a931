"""The calendar's sweep, run by ``gongkai scheduler`` (or in-process in the embedded mode)."""

from __future__ import annotations

from core import jobs
from core.workdays import operations


@jobs.periodic(interval=6 * 3600, name="check_working_day_calendar")
def check_working_day_calendar() -> dict[str, list[int]]:
    """Load the years a newer chinese-calendar knows; alert the platform admins when this year
    (or, in December, the next one) is not loaded."""
    return operations.check_calendar()
