"""Campaigns' group of My work (:mod:`core.web.work`): the stages of running campaigns that a
unit where the person marks progress has not completed, earliest deadline first."""

from __future__ import annotations

from flask import url_for
from sqlalchemy import and_, func, select

from core import db
from core.campaigns.models import Campaign, CampaignCheck, CampaignStage, CampaignUnit
from core.i18n import _
from core.web import work
from tenants.models import Organisation

PROGRESS = frozenset({"admin", "editor"})


@work.provider(
    "campaigns.stages", _("Campaign stages due"), action=_("Mark progress"), roles=PROGRESS,
    order=84,
)  # fmt: skip
def stages_due(ctx: work.Context):
    done = (
        select(func.count(CampaignCheck.id))
        .where(
            and_(
                CampaignCheck.stage_id == CampaignStage.id,
                CampaignCheck.org_id == CampaignUnit.org_id,
            )
        )
        .correlate(CampaignStage, CampaignUnit)
        .scalar_subquery()
    )
    query = (
        select(Campaign, CampaignStage, Organisation, done)
        .join(CampaignStage, CampaignStage.campaign_id == Campaign.id)
        .join(CampaignUnit, CampaignUnit.campaign_id == Campaign.id)
        .join(Organisation, Organisation.id == CampaignUnit.org_id)
        .where(Campaign.state == "running", CampaignUnit.org_id.in_(ctx.org_ids(PROGRESS)))
        .order_by(CampaignStage.deadline, CampaignStage.id)
    )
    for campaign, stage, org, checked in db.session.execute(query):
        if checked >= len(stage.item_keys()):
            continue
        yield work.Row(
            org,
            f"{campaign.title(ctx.locale)} · {stage.title(ctx.locale)}",
            url_for("campaigns_admin.detail", org_code=org.code, campaign_id=campaign.id)
            + f"#stage-{stage.id}",
            due=stage.deadline,
            urgency=work.urgency(stage.deadline, ctx.today),
        )
