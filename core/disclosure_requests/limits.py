"""How many requests one address and one applicant may file (the form and the API together)."""

from __future__ import annotations

from core import ratelimit

ADDRESS_LIMIT = "30 per hour;5 per minute"
"""Requests one address may file (a shared office address files for many people)."""
USER_LIMIT = "10 per day;3 per minute"
"""Requests one applicant may file."""


def count_filing(user) -> None:
    """Count one filing against the client's address and the applicant;
    :class:`core.ratelimit.RateLimitExceeded` beyond a limit."""
    with ratelimit.limit(ADDRESS_LIMIT, scope="requests-address"):
        pass
    if getattr(user, "is_authenticated", False):
        with ratelimit.limit(USER_LIMIT, scope="requests-user", key=f"user:{user.id}"):
            pass
