"""Campaign operations (RPT-2): the only code that changes campaigns and their progress.

A superior's admin drafts a campaign for units of its subtree — its title, stages (each with a
deadline and a checklist) and units (:func:`create`, :func:`update`), starts it (:func:`start`:
the units are told), reminds the units that have not completed a stage (:func:`remind`) and
closes it (:func:`close`). While it runs, a unit's admins and editors mark the checklist items
done, each with its evidence — a written account, photos or documents (:func:`check`) — or undo
a mark (:func:`uncheck`). Every step runs in the caller's unit of work and is audited.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask_babel import gettext
from sqlalchemy import select

from core import audit, cleaning, db, events, evidence, localtime, permissions
from core.campaigns import reading
from core.campaigns import workflow as wf
from core.campaigns.models import (
    MAX_CHECKS,
    MAX_STAGES,
    Campaign,
    CampaignCheck,
    CampaignEvidence,
    CampaignStage,
    CampaignUnit,
)
from core.errors import UserError
from core.workflow import engine
from tenants import hierarchy
from tenants.models import Organisation

MAX_TITLE = 200
MAX_NOTE = 2000
MAX_ITEM = 200
MAX_ACCOUNT = 2000
MAX_FILES = 5

get = reading.get
today = localtime.today


def candidate_units(org: Organisation) -> list[Organisation]:
    """The units a campaign of ``org`` may include: its enabled subordinates, direct or not."""
    return [u for u in hierarchy.subtree(org, include_self=False) if u.enabled]


def default_stages(start: date) -> list[dict[str, Any]]:
    """The three stages of the source plans (宣传发动, 组织实施, 检查验收)."""

    def items(*rows):
        return [{"key": f"c{n}", "labels": labels} for n, labels in enumerate(rows, start=1)]

    return [
        {
            "titles": {"zh_Hans_CN": "宣传发动阶段", "en": "Mobilise", "ug": "تەشۋىق-سەپەرۋەرلىك"},
            "deadline": start + timedelta(days=30),
            "checklist": items(
                {"zh_Hans_CN": "召开动员会议，传达上级精神", "en": "Hold the mobilisation meeting"},
                {"zh_Hans_CN": "成立党务公开工作领导小组", "en": "Set up the leading group"},
                {"zh_Hans_CN": "制定本单位实施细则", "en": "Write the unit's implementing rules"},
            ),
        },
        {
            "titles": {"zh_Hans_CN": "组织实施阶段", "en": "Implement", "ug": "ئىجرا قىلىش"},
            "deadline": start + timedelta(days=90),
            "checklist": items(
                {
                    "zh_Hans_CN": "制定并报批党务公开目录",
                    "en": "Draw up the catalogue for approval",
                },
                {"zh_Hans_CN": "设置党务公开栏和意见箱", "en": "Put up the notice board and box"},
                {"zh_Hans_CN": "按目录实行公开", "en": "Disclose by the catalogue"},
            ),
        },
        {
            "titles": {"zh_Hans_CN": "检查验收阶段", "en": "Inspect", "ug": "تەكشۈرۈش"},
            "deadline": start + timedelta(days=150),
            "checklist": items(
                {"zh_Hans_CN": "开展自查并整改问题", "en": "Check yourself and rectify"},
                {"zh_Hans_CN": "形成工作总结报上级", "en": "Report the results to the superior"},
            ),
        },
    ]


# --- the campaign ----------------------------------------------------------------------------


def _checklist(value: Any, name: str, problems: list[str]) -> list[dict[str, Any]]:
    if isinstance(value, dict):  # {locale: [lines]}
        value = cleaning.labelled_lines({k: list(v or []) for k, v in value.items()}, "c")
    if not isinstance(value, list) or not value:
        problems.append(cleaning.problem(name, gettext("give at least one checklist item")))
        return []
    if len(value) > MAX_CHECKS:
        problems.append(cleaning.problem(name, gettext("at most %(n)s items", n=MAX_CHECKS)))
    out, seen = [], set()
    for n, raw in enumerate(value[:MAX_CHECKS], start=1):
        if isinstance(raw, str):
            raw = {"labels": {"zh_Hans_CN": raw}}
        if not isinstance(raw, dict):
            problems.append(cleaning.problem(name, gettext("item %(n)s is not understood", n=n)))
            continue
        key = str(raw.get("key") or f"c{n}")[:40]
        if key in seen:
            key = f"c{n}"
        seen.add(key)
        labels = cleaning.texts(raw.get("labels"), name, MAX_ITEM, problems, required=True)
        out.append({"key": key, "labels": labels})
    return out


def _stages(value: Any, problems: list[str]) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not value:
        problems.append(cleaning.problem("stages", gettext("give at least one stage")))
        return []
    if len(value) > MAX_STAGES:
        problems.append(cleaning.problem("stages", gettext("at most %(n)s stages", n=MAX_STAGES)))
    out = []
    previous: date | None = None
    for n, raw in enumerate(value[:MAX_STAGES], start=1):
        name = f"stages-{n - 1}"
        raw = raw if isinstance(raw, dict) else {}
        titles = cleaning.texts(
            raw.get("titles"), f"{name}-title", MAX_TITLE, problems, required=True
        )
        deadline = cleaning.day(raw.get("deadline"), f"{name}-deadline", problems)
        if deadline and previous and deadline < previous:
            problems.append(
                cleaning.problem(
                    f"{name}-deadline", gettext("a stage ends no earlier than the one before it")
                )
            )
        previous = deadline or previous
        checklist = _checklist(raw.get("checklist"), f"{name}-checklist", problems)
        out.append({"titles": titles, "deadline": deadline, "checklist": checklist})
    return out


def clean(org: Organisation, data: dict[str, Any]):
    """The campaign's fields, stages and units from ``data``, and what is wrong with them."""
    problems: list[str] = []
    fields = {
        "titles": cleaning.texts(data.get("titles"), "title", MAX_TITLE, problems, required=True),
        "notes": cleaning.texts(data.get("notes"), "note", MAX_NOTE, problems, required=False),
    }
    stages = _stages(data.get("stages"), problems)
    units = cleaning.chosen(
        candidate_units(org), data.get("units"), bool(data.get("all_units")), problems
    )
    return fields, stages, units, problems


def _require(actor, org: Organisation) -> None:
    if not permissions.may(actor, "campaigns.manage", org):
        raise UserError(gettext("Only an admin of this organisation runs its campaigns."))


def _snapshot(campaign: Campaign) -> dict[str, Any]:
    return {
        "titles": campaign.titles,
        "notes": campaign.notes,
        "stages": [
            {"titles": s.titles, "deadline": s.deadline.isoformat(), "checklist": s.checklist}
            for s in reading.stages(campaign)
        ],
        "units": [u.organisation.code for u in reading.units(campaign)],
    }


def _replace(campaign: Campaign, stages: list[dict], units: list[Organisation]) -> None:
    for old in reading.stages(campaign):
        db.session.delete(old)
    for position, stage in enumerate(stages):
        db.session.add(
            CampaignStage(
                campaign_id=campaign.id, org_id=campaign.org_id, position=position, **stage
            )
        )
    wanted = {u.id for u in units}
    current = {u.org_id: u for u in reading.units(campaign)}
    for org_id, entry in current.items():
        if org_id not in wanted:
            db.session.delete(entry)
    for unit in units:
        if unit.id not in current:
            db.session.add(CampaignUnit(campaign_id=campaign.id, org_id=unit.id))
    db.session.flush()


def create(org: Organisation, data: dict[str, Any], *, actor) -> Campaign:
    """A new campaign in ``draft`` (see :func:`clean` for ``data``)."""
    _require(actor, org)
    fields, stages, units, problems = clean(org, data)
    if problems:
        raise UserError(gettext("The campaign was not saved."), problems=problems)
    campaign = Campaign(
        org_id=org.id,
        root_id=org.root_id or org.id,
        state="draft",
        created_by_id=getattr(actor, "id", None),
        **fields,
    )
    db.session.add(campaign)
    db.session.flush()
    _replace(campaign, stages, units)
    audit.log(
        "campaign.create",
        "campaign",
        campaign.id,
        org_id=org.id,
        actor=actor,
        changes={k: [None, v] for k, v in _snapshot(campaign).items()},
    )
    return campaign


def update(campaign: Campaign, data: dict[str, Any], *, actor) -> bool:
    """Change a draft campaign; False when nothing changed."""
    org = campaign.organisation
    _require(actor, org)
    if campaign.state != "draft":
        raise UserError(
            gettext("Only a draft campaign can be changed; a running one keeps its terms.")
        )
    fields, stages, units, problems = clean(org, data)
    if problems:
        raise UserError(gettext("The campaign was not saved."), problems=problems)
    before = _snapshot(campaign)
    for name, value in fields.items():
        setattr(campaign, name, value)
    _replace(campaign, stages, units)
    changes = audit.diff(before, _snapshot(campaign))
    if not changes:
        return False
    audit.log(
        "campaign.update", "campaign", campaign.id, org_id=org.id, actor=actor, changes=changes
    )
    return True


def delete_draft(campaign: Campaign, *, actor) -> None:
    _require(actor, campaign.organisation)
    if campaign.state != "draft":
        raise UserError(gettext("Only a draft campaign can be removed."))
    audit.log(
        "campaign.delete",
        "campaign",
        campaign.id,
        org_id=campaign.org_id,
        actor=actor,
        changes={"titles": [campaign.titles, None]},
    )
    db.session.delete(campaign)
    db.session.flush()


def start(campaign: Campaign, *, actor) -> Campaign:
    def effect(c: Campaign) -> None:
        c.started_at = db.utcnow()

    engine.run(wf.campaign, campaign, "start", actor=actor, effect=effect)
    events.campaign_started.send(campaign, actor=actor)
    return campaign


def close(campaign: Campaign, *, actor) -> Campaign:
    def effect(c: Campaign) -> None:
        c.closed_at = db.utcnow()

    engine.run(wf.campaign, campaign, "close", actor=actor, effect=effect)
    return campaign


def remind(campaign: Campaign, stage: CampaignStage, *, actor=None) -> list[Organisation]:
    """Remind the units that have not completed ``stage`` (the event tells their admins and
    editors, once a day); returns those units."""
    if actor is not None:
        _require(actor, campaign.organisation)
    if campaign.state != "running":
        raise UserError(gettext("Only the units of a running campaign are reminded."))
    units = reading.laggards(campaign, stage)
    if units:
        audit.log(
            "campaign.remind",
            "campaign",
            campaign.id,
            org_id=campaign.org_id,
            actor=actor,
            changes={"stage": [None, stage.id], "units": [None, [u.code for u in units]]},
        )
        events.campaign_reminded.send(campaign, actor=actor, stage=stage, units=units)
    return units


# --- a unit's progress -----------------------------------------------------------------------


def _progress_target(
    campaign: Campaign, stage: CampaignStage, unit: Organisation, key: str, actor
) -> None:
    if not permissions.may(actor, "campaigns.progress", unit):
        raise UserError(gettext("Only the admins and editors of this unit mark its progress."))
    if campaign.state != "running":
        raise UserError(gettext("Progress is marked while the campaign runs."))
    if stage.campaign_id != campaign.id or not reading.takes_part(campaign, unit):
        raise UserError(gettext("This unit does not take part in this campaign."))
    if key not in stage.item_keys():
        raise UserError(gettext("This stage has no such checklist item."))


def check(
    campaign: Campaign,
    stage: CampaignStage,
    unit: Organisation,
    key: str,
    *,
    actor,
    note: str | None = None,
    files=(),
    taken_on: date | None = None,
) -> CampaignCheck:
    """Mark ``key`` of ``stage`` done for ``unit`` with its evidence: a written account of what
    was done, and photos or documents (at least one of the two). Marking it again adds to it."""
    _progress_target(campaign, stage, unit, key, actor)
    problems: list[str] = []
    note = (note or "").replace("\r\n", "\n").strip()
    if len(note) > MAX_ACCOUNT:
        problems.append(
            cleaning.problem("note", gettext("at most %(n)s characters", n=MAX_ACCOUNT))
        )
    files = [(name, data) for name, data in files if data]
    existing = reading.checks(campaign, unit).get((stage.id, unit.id, key))
    if not note and not files and existing is None:
        problems.append(
            cleaning.problem(
                "note", gettext("give evidence: say what was done, or add a photo or a document")
            )
        )
    on = today(unit)
    accepted = evidence.accept_files(files, taken_on, on, problems, limit=MAX_FILES)
    if problems:
        raise UserError(gettext("The progress was not saved."), problems=problems)
    if existing is None:
        existing = CampaignCheck(
            campaign_id=campaign.id,
            stage_id=stage.id,
            org_id=unit.id,
            item_key=key,
            note=note or None,
            done_on=on,
            done_by_id=getattr(actor, "id", None),
        )
        db.session.add(existing)
    elif note:
        existing.note = note
    for found, day in accepted:
        row = CampaignEvidence(
            campaign_id=campaign.id, stage_id=stage.id, org_id=unit.id, item_key=key
        )
        row.fill(found, taken_on=day, note=None, actor=actor)
        db.session.add(row)
    db.session.flush()
    audit.log(
        "campaign.check",
        "campaign",
        campaign.id,
        org_id=unit.id,
        actor=actor,
        changes={
            "stage": [None, stage.id],
            "item": [None, key],
            "files": [None, [f.filename for f, _d in accepted]],
        },
    )
    return existing


def uncheck(
    campaign: Campaign, stage: CampaignStage, unit: Organisation, key: str, *, actor
) -> None:
    """Undo a mark (its evidence goes with it)."""
    _progress_target(campaign, stage, unit, key, actor)
    existing = reading.checks(campaign, unit).get((stage.id, unit.id, key))
    if existing is None:
        raise UserError(gettext("This item is not marked done."))
    for row in db.session.scalars(
        select(CampaignEvidence).where(
            CampaignEvidence.stage_id == stage.id,
            CampaignEvidence.org_id == unit.id,
            CampaignEvidence.item_key == key,
        )
    ):
        db.session.delete(row)
    db.session.delete(existing)
    db.session.flush()
    audit.log(
        "campaign.uncheck",
        "campaign",
        campaign.id,
        org_id=unit.id,
        actor=actor,
        changes={"stage": [stage.id, None], "item": [key, None]},
    )


def history(campaign: Campaign):
    return engine.history(wf.campaign, campaign)
