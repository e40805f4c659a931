"""The campaigns' reminder (RPT-2): the units of a running campaign that have not completed a
stage are reminded from three days before its deadline, and after it every seventh day."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from core import db
from core.campaigns import operations
from core.campaigns.models import Campaign, CampaignStage
from core.notifications import operations as notify
from core.notifications import reminders

BEFORE_DAYS = 3


@reminders.register("campaigns.stages")
def campaign_stages(now: datetime | None = None) -> int:
    day = notify.local_day(now)
    made = 0
    rows = db.session.execute(
        select(Campaign, CampaignStage)
        .join(CampaignStage, CampaignStage.campaign_id == Campaign.id)
        .where(
            Campaign.state == "running", CampaignStage.deadline <= day + timedelta(days=BEFORE_DAYS)
        )
        .order_by(CampaignStage.deadline, CampaignStage.id)
    ).all()
    for campaign, stage in rows:
        overdue = (day - stage.deadline).days
        if overdue > 0 and (overdue - 1) % 7:
            continue  # overdue: the day after the deadline and every seventh day after
        made += len(operations.remind(campaign, stage))
    return made
