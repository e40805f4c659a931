"""The questionnaires' sweep, run by ``gongkai scheduler`` (or in-process in the embedded mode)."""

from __future__ import annotations

from core import jobs
from core.questionnaires import operations


@jobs.periodic(interval=600, name="close_questionnaires")
def close_questionnaires() -> int:
    """Close the open questionnaires whose last day is over."""
    return operations.close_due()
