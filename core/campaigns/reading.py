"""Queries of campaigns (RPT-2): campaigns, stages, units, and each unit's progress per stage,
each in a fixed number of statements."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from core import db, permissions
from core.campaigns.models import (
    Campaign,
    CampaignCheck,
    CampaignEvidence,
    CampaignStage,
    CampaignUnit,
)
from tenants.models import Organisation


def get(org: Organisation, campaign_id: int) -> Campaign | None:
    found = db.session.get(Campaign, campaign_id) if 0 < campaign_id < 2**31 else None
    return found if found is not None and found.org_id == org.id else None


def campaigns_of(org: Organisation) -> list[Campaign]:
    """The campaigns ``org`` runs, newest first."""
    return list(
        db.session.scalars(
            select(Campaign).where(Campaign.org_id == org.id).order_by(Campaign.id.desc())
        )
    )


def campaigns_including(unit: Organisation) -> list[Campaign]:
    """The started campaigns ``unit`` takes part in, newest first."""
    return list(
        db.session.scalars(
            select(Campaign)
            .join(CampaignUnit, CampaignUnit.campaign_id == Campaign.id)
            .where(CampaignUnit.org_id == unit.id, Campaign.state != "draft")
            .order_by(Campaign.id.desc())
        )
    )


def stages(campaign: Campaign) -> list[CampaignStage]:
    return list(
        db.session.scalars(
            select(CampaignStage)
            .where(CampaignStage.campaign_id == campaign.id)
            .order_by(CampaignStage.position, CampaignStage.id)
        )
    )


def units(campaign: Campaign) -> list[CampaignUnit]:
    """The units of the campaign in tree order (one query)."""
    return list(
        db.session.scalars(
            select(CampaignUnit)
            .join(Organisation, Organisation.id == CampaignUnit.org_id)
            .where(CampaignUnit.campaign_id == campaign.id)
            .order_by(Organisation.depth, Organisation.position, Organisation.code)
        )
    )


def takes_part(campaign: Campaign, unit: Organisation) -> bool:
    return (
        db.session.scalar(
            select(CampaignUnit.id).where(
                CampaignUnit.campaign_id == campaign.id, CampaignUnit.org_id == unit.id
            )
        )
        is not None
    )


def checks(campaign: Campaign, unit: Organisation | None = None) -> dict[tuple, CampaignCheck]:
    """``{(stage id, unit id, item key): check}`` of the campaign (or of one unit)."""
    query = select(CampaignCheck).where(CampaignCheck.campaign_id == campaign.id)
    if unit is not None:
        query = query.where(CampaignCheck.org_id == unit.id)
    return {(c.stage_id, c.org_id, c.item_key): c for c in db.session.scalars(query)}


def evidence(campaign: Campaign, unit: Organisation | None = None) -> dict[tuple, list]:
    """``{(stage id, unit id, item key): [files]}`` of the campaign (or of one unit)."""
    query = select(CampaignEvidence).where(CampaignEvidence.campaign_id == campaign.id)
    if unit is not None:
        query = query.where(CampaignEvidence.org_id == unit.id)
    found: dict[tuple, list] = defaultdict(list)
    for row in db.session.scalars(query.order_by(CampaignEvidence.id)):
        found[(row.stage_id, row.org_id, row.item_key)].append(row)
    return found


@dataclass(frozen=True)
class Cell:
    """One unit's progress in one stage."""

    done: int
    total: int
    deadline: date

    @property
    def complete(self) -> bool:
        return self.done >= self.total

    def late(self, on: date) -> bool:
        return not self.complete and on > self.deadline

    @property
    def share(self) -> float:
        return self.done / self.total if self.total else 1.0


def progress(campaign: Campaign) -> dict[tuple[int, int], Cell]:
    """``{(unit id, stage id): Cell}`` for every unit and stage (three queries)."""
    done: dict[tuple[int, int], int] = {}
    rows = db.session.execute(
        select(CampaignCheck.org_id, CampaignCheck.stage_id, CampaignCheck.item_key).where(
            CampaignCheck.campaign_id == campaign.id
        )
    ).all()
    the_stages = stages(campaign)
    valid = {s.id: set(s.item_keys()) for s in the_stages}
    for org_id, stage_id, key in rows:
        if key in valid.get(stage_id, ()):
            done[(org_id, stage_id)] = done.get((org_id, stage_id), 0) + 1
    return {
        (u.org_id, s.id): Cell(done.get((u.org_id, s.id), 0), len(s.item_keys()), s.deadline)
        for u in units(campaign)
        for s in the_stages
    }


def laggards(campaign: Campaign, stage: CampaignStage) -> list[Organisation]:
    """The units that have not completed ``stage`` (in tree order)."""
    cells = progress(campaign)
    return [u.organisation for u in units(campaign) if not cells[(u.org_id, stage.id)].complete]


def stages_due_for(user) -> list[tuple[Campaign, CampaignStage, Organisation]]:
    """Stages of running campaigns that a unit where ``user`` marks progress has not completed
    (My work), earliest deadline first."""
    ids = permissions.orgs_holding(user, "campaigns.progress")
    if not ids:
        return []
    rows = db.session.execute(
        select(Campaign, CampaignStage, Organisation)
        .join(CampaignStage, CampaignStage.campaign_id == Campaign.id)
        .join(CampaignUnit, CampaignUnit.campaign_id == Campaign.id)
        .join(Organisation, Organisation.id == CampaignUnit.org_id)
        .where(Campaign.state == "running", CampaignUnit.org_id.in_(ids))
        .order_by(CampaignStage.deadline, CampaignStage.id)
    ).all()
    done = {
        (stage_id, org_id): n
        for stage_id, org_id, n in db.session.execute(
            select(CampaignCheck.stage_id, CampaignCheck.org_id, func.count(CampaignCheck.id))
            .where(CampaignCheck.org_id.in_(ids))
            .group_by(CampaignCheck.stage_id, CampaignCheck.org_id)
        )
    }
    return [(c, s, o) for c, s, o in rows if done.get((s.id, o.id), 0) < len(s.item_keys())]
