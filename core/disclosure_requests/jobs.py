"""The request sweeps, run by ``gongkai scheduler`` (or in-process in the embedded mode)."""

from __future__ import annotations

from core import jobs
from core.disclosure_requests import operations


@jobs.periodic(interval=3600, name="lapse_unclear_requests")
def lapse_unclear_requests() -> int:
    """Unclear requests not amended within ``request.amend_lapse_days`` lapse (REQ-3)."""
    return operations.lapse_due()


@jobs.periodic(interval=3600, name="refresh_consultation_deadlines")
def refresh_consultation_deadlines() -> int:
    """While a third party is consulted the clock stands still: its deadline moves each day."""
    return operations.refresh_consulting()
