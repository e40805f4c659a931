"""The evaluation sweep, run by ``gongkai scheduler`` (or in-process in the embedded mode)."""

from __future__ import annotations

from core import jobs
from core.evaluation import operations


@jobs.periodic(interval=600, name="close_evaluation_rounds")
def close_evaluation_rounds() -> int:
    """Close the open rounds whose last day is over."""
    return operations.close_due()
