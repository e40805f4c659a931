"""The 三重一大 demo: a year of decisions of 洪江市八面山农垦场 (hongjiang-bamianshan).

Loaded by ``gongkai demo load`` after the core demos: an approved item list with thresholds, four
meetings of the Party branch committee and the farm director's office meeting with their
decisions voted item by item, a board-style decision studied first by the Party committee, and
an emergency decision (flood relief) taken by the director and ratified at the next meeting; one
decision spawns a disclosure item (scope ``unit``, a draft). Running it again changes nothing: an
organisation that already has meetings is left as it is.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from core.toolkit import SYSTEM, get_org, session

from . import operations as ops
from .models import Meeting

CODE = "hongjiang-bamianshan"
COMMITTEE = ["冯德明", "李建国", "王秀英", "张海波", "刘志强"]  # 冯德明 chairs (branch secretary)
OFFICE = ["李建国", "冯德明", "王秀英", "张海波", "陈桂香"]  # 李建国 chairs (farm director)


def _at(month: int, day: int, hour: int = 1) -> datetime:
    return datetime(2026, month, day, hour, 30, tzinfo=UTC)


def _votes(members: list[str], chair: str, disagree: tuple[str, ...] = ()) -> list[dict]:
    order = [m for m in members if m != chair] + [chair]
    return [
        {
            "member": m,
            "opinion": "disagree" if m in disagree else "agree",
            "text": "建议压缩预算" if m in disagree else "",
        }
        for m in order
    ]


def _meeting(body, members, chair, when, absent=None, **extra):
    present = [m for m in members if m != absent]
    return ops.record_meeting(
        get_org(CODE),
        {
            "body": body,
            "held_at": when,
            "place": "场部二楼会议室",
            "chair": chair,
            "expected_members": members,
            "present_members": present,
            "absentees": [{"name": absent, "reason": "外出学习"}] if absent else [],
            "attendees": ["场纪检委员"],
            "note_taker": "场办公室文书",
            **extra,
        },
        actor=SYSTEM,
    )


def load() -> str:
    org = get_org(CODE)
    if org is None:
        return f"three_important demo: {CODE} is missing; load the tenants demo first."
    count = session.scalar(select(func.count()).where(Meeting.org_id == org.id))
    if count:
        return f"three_important demo: {CODE} already has {count} meetings."
    items = ops.draft_item_list(
        org,
        {"large_funds": "300000", "major_project": "800000"},
        actor=SYSTEM,
        year=2026,
        items=[
            {"category": "major_project", "text": "基础设施和农田水利建设项目"},
            {"category": "large_funds", "text": "单笔30万元以上的资金支出"},
        ],
    )
    ops.approve_item_list(items, actor=SYSTEM)

    january = _meeting("party_committee", COMMITTEE, "冯德明", _at(1, 16))
    ops.record_decision(
        january,
        {
            "category": "major_decision",
            "title": "2026年度生产经营计划",
            "decision_text": "同意2026年度生产经营计划，提交场长办公会组织实施。",
            "opinions": _votes(COMMITTEE, "冯德明"),
        },
        actor=SYSTEM,
    )
    ops.record_decision(
        january,
        {
            "category": "appointment",
            "title": "任命生产科科长",
            "decision_text": "同意任命张海波同志为生产科科长。",
            "opinions": _votes(COMMITTEE, "冯德明"),
        },
        actor=SYSTEM,
    )
    march = _meeting("gm_office", OFFICE, "李建国", _at(3, 10), absent="陈桂香")
    ops.record_decision(
        march,
        {
            "category": "major_decision",
            "title": "柑橘品种改良实施方案",
            "decision_text": "通过柑橘品种改良实施方案。",
            "opinions": _votes([m for m in OFFICE if m != "陈桂香"], "李建国"),
            "study_meeting_id": january.id,
        },
        actor=SYSTEM,
    )
    machinery = ops.record_decision(
        march,
        {
            "category": "large_funds",
            "title": "购置农业机械设备",
            "amount": "680000",
            "decision_text": "同意购置，按政府采购程序办理。",
            "opinions": _votes([m for m in OFFICE if m != "陈桂香"], "李建国", ("王秀英",)),
        },
        actor=SYSTEM,
    )
    emergency = ops.record_emergency(
        org,
        {
            "category": "large_funds",
            "title": "抗洪抢险物资紧急采购",
            "amount": "420000",
            "decided_by": "李建国",
            "decided_at": _at(6, 22),
            "decision_text": "汛情紧急，场长决定先行采购抗洪物资。",
        },
        actor=SYSTEM,
    )
    july = _meeting("party_committee", COMMITTEE, "冯德明", _at(7, 3), absent="刘志强")
    ops.ratify(emergency, july, actor=SYSTEM)
    ops.record_decision(
        july,
        {
            "category": "major_project",
            "title": "灾后水渠修复工程",
            "amount": "950000",
            "decision_text": "同意实施灾后水渠修复工程。",
            "opinions": _votes([m for m in COMMITTEE if m != "刘志强"], "冯德明"),
        },
        actor=SYSTEM,
    )
    _meeting("gm_office", OFFICE, "李建国", _at(10, 14))
    ops.spawn_item(machinery, actor=SYSTEM)
    return f"three_important demo: {CODE}: 4 meetings, 6 decisions, 1 emergency ratified."
