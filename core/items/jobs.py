"""The item sweeps, run by ``gongkai scheduler`` (or in-process in the embedded mode)."""

from __future__ import annotations

from core import jobs
from core.items import operations, timeliness


@jobs.periodic(interval=60, name="publish_scheduled_items")
def publish_scheduled_items() -> int:
    return operations.publish_due()


@jobs.periodic(interval=300, name="widen_item_scopes")
def widen_item_scopes() -> int:
    return operations.widen_scopes()


@jobs.periodic(interval=300, name="close_notices")
def close_notices() -> int:
    return operations.close_notices()


@jobs.periodic(interval=3600, name="flag_overdue_disclosures")
def flag_overdue_disclosures() -> tuple[int, int]:
    return timeliness.refresh_all()
