"""Reactions to campaigns: the units' admins and editors are told when a campaign they take part
in starts, and when they are reminded of a stage they have not completed (once a day)."""

from __future__ import annotations

from core import events
from core.campaigns import reading
from core.notifications import operations as notify


def _path(campaign, unit) -> str | None:
    return notify.path_for("campaigns_admin.detail", org_code=unit.code, campaign_id=campaign.id)


@events.campaign_started.connect
def on_started(campaign, *, actor=None, **_kw) -> None:
    stages = reading.stages(campaign)
    first = stages[0].deadline.isoformat() if stages else ""
    for entry in reading.units(campaign):
        unit = entry.organisation
        notify.notify(
            notify.recipients("campaigns.progress", unit),
            "campaigns.started",
            org=unit,
            params={
                "title": dict(campaign.titles or {}),
                "org": notify.org_names(unit),
                "due_on": first,
            },
            link=_path(campaign, unit),
            about=("campaign", campaign.id),
            exclude=[actor],
        )


@events.campaign_reminded.connect
def on_reminded(campaign, *, actor=None, stage, units, **_kw) -> None:
    day = notify.local_day()
    for unit in units:
        notify.notify(
            notify.recipients("campaigns.progress", unit),
            "campaigns.reminder",
            org=unit,
            params={
                "title": dict(campaign.titles or {}),
                "stage": dict(stage.titles or {}),
                "org": notify.org_names(unit),
                "due_on": stage.deadline.isoformat(),
            },
            link=_path(campaign, unit),
            about=("campaign", campaign.id),
            dedup=f"campaigns.reminder:{stage.id}:{unit.id}:{day.isoformat()}",
            exclude=[actor],
        )
