"""The demo feedback: two units' ledgers with entries in every state and from every channel.

Loaded by ``gongkai demo load`` after the demo items. For each unit of :data:`UNITS` the stories
below go through the real operations (:mod:`core.feedback.operations`) with the unit's demo
accounts — ``<code>-admin`` records, assigns, publishes and closes, ``<code>-reviewer``
handles — each step at the time it would have happened (the items demo's simulated clock): an
online entry just received, an overdue hotline entry, a rectification under way, an answered
entry, entries closed with an answer to the submitter, with a published answer, with a published
rectification result, and one caught by the honeypot. Running it again changes nothing: a unit
that already has feedback is left as it is.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select

from core import db, localtime
from core.errors import UserError
from core.feedback import operations as feedback
from core.feedback.models import FeedbackEntry
from core.items.demo import simulated_clock
from tenants import operations as tenants

UNITS = ("kashgar-kg3", "hongjiang-agri")


@dataclass
class Story:
    """One entry: how it arrived ``ago`` days before today, and how far it got."""

    channel: str
    ago: int
    content: str
    until: str  # received | assigned | rectifying | answered | closed
    name: str | None = None
    contact: str | None = None
    rectification: tuple[str, str] | None = None  # measures, result (None: still under way)
    answer: str | None = None
    answer_channel: str | None = None
    publish: str | None = None  # the public summary
    rectification_private: str | None = None  # the reason not to publish the result
    spam: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def stories(short: str) -> list[Story]:
    return [
        Story("online", 1, f"建议{short}在网站上公开党组织活动照片，让群众看得见。", "received"),
        Story(
            "hotline",
            45,
            f"来电反映{short}公开栏的党费收缴情况已三个月未更新。",
            "assigned",
            name="李先生",
            contact="139****2231",
        ),
        Story(
            "suggestion_box",
            20,
            "意见箱来信：希望把“三会一课”记录摘要张贴到公开栏。",
            "rectifying",
            rectification=("制作“三会一课”摘要公开专栏，每月更新。", ""),
        ),
        Story(
            "reception_day",
            14,
            "接待日群众提出：公示期只有七天太短，外出务工人员看不到。",
            "answered",
            name="王女士",
            contact="0998-2526118",
            answer="已向上级请示，拟对涉及群众切身利益的事项延长公示期至十五天，结果将另行告知。",
            answer_channel="phone",
        ),
        Story(
            "letters_visits",
            60,
            "来信询问入党积极分子培养考察的公开范围。",
            "closed",
            name="张同志",
            contact="zhang@example.org",
            answer="入党积极分子名单在党员大会和公开栏公示，考察材料在党内公开。已书面答复。",
            answer_channel="letter",
        ),
        Story(
            "meeting",
            50,
            "党员大会上有党员提出：支部委员分工应在公开栏公开。",
            "closed",
            rectification=(
                "在公开栏增设支部委员分工栏目。",
                "支部委员分工已于公开栏公开并长期保留。",
            ),
            answer="已采纳，支部委员分工及联系方式已在公开栏公开。",
            publish="关于在公开栏公开支部委员分工的建议",
        ),
        Story(
            "online",
            35,
            f"匿名留言：{short}的公开目录在哪里可以看到？",
            "closed",
            answer="公开目录可在本平台“公开目录”栏目查看，也张贴在单位公开栏。",
            publish="公开目录在哪里可以查看？",
        ),
        Story(
            "hotline",
            25,
            "来电建议公开困难党员帮扶名单，但涉及个人情况。",
            "closed",
            name="赵先生",
            contact="138****5507",
            rectification=("完善帮扶工作公开方式。", "帮扶工作情况以汇总形式公开。"),
            answer="帮扶工作已以汇总形式公开，具体名单涉及个人隐私不予公开。已电话答复。",
            answer_channel="phone",
            rectification_private="整改结果涉及帮扶对象个人情况，经支委会研究不单独公开。",
        ),
        Story("online", 3, "buy cheap followers http://spam.example", "received", spam=True),
    ]


def _user(username: str):
    user = tenants.get_user(username)
    if user is None:
        raise UserError(f"The demo account {username} is missing: load the demo counties first.")
    return user


def _at(org, day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour, 0), tzinfo=localtime.zone(org)).astimezone(UTC)


def run_story(org, story: Story, clock, today: date, admin, handler) -> FeedbackEntry:
    received = today - timedelta(days=story.ago)
    clock.moment = _at(org, received, 10)
    if story.channel == "online":
        entry = feedback.submit_online(
            org,
            content=story.content,
            name=story.name,
            contact=story.contact,
            honeypot="http://spam.example" if story.spam else None,
        ).entry
    else:
        entry = feedback.record(
            org,
            actor=admin,
            channel=story.channel,
            content=story.content,
            received_on=received,
            name=story.name,
            contact=story.contact,
        )
    if story.until == "received":
        return entry
    step = received + timedelta(days=1)
    clock.moment = _at(org, step, 9)
    feedback.assign(entry, actor=admin, handler=handler)
    feedback.add_note(entry, actor=handler, text="已登记并分办，正在核实情况。")
    if story.until == "assigned":
        return entry
    if story.rectification:
        measures, result = story.rectification
        step += timedelta(days=2)
        clock.moment = _at(org, step, 15)
        feedback.start_rectification(
            entry, actor=handler, measures=measures, deadline=received + timedelta(days=30)
        )
        if result:
            step += timedelta(days=3)
            clock.moment = _at(org, step, 16)
            feedback.record_rectification(
                entry,
                actor=handler,
                result=result,
                done_on=step,
                public=story.rectification_private is None,
                reason=story.rectification_private,
            )
    if story.until == "rectifying":
        return entry
    step += timedelta(days=1)
    clock.moment = _at(org, step, 11)
    feedback.answer(
        entry, actor=handler, text=story.answer, channel=story.answer_channel, answered_on=step
    )
    if story.publish:
        clock.moment = _at(org, step, 17)
        feedback.publish(entry, actor=admin, public_question=story.publish)
    if story.until == "answered":
        return entry
    step += timedelta(days=1)
    clock.moment = _at(org, step, 10)
    feedback.close(entry, actor=admin)
    return entry


def load(today: date | None = None) -> str:
    """Load the demo feedback (see the module's docstring). Returns a one-line summary."""
    loaded = kept = 0
    with simulated_clock() as clock:
        for code in UNITS:
            org = tenants.get_org(code)
            if org is None:
                raise UserError(f"The demo organisation {code} is missing: load the demo first.")
            if db.session.scalar(
                select(func.count(FeedbackEntry.id)).where(FeedbackEntry.org_id == org.id)
            ):
                kept += 1
                continue
            day = today or localtime.today(org)
            admin, handler = _user(f"{code}-admin"), _user(f"{code}-reviewer")
            for story in stories(org.name("zh_Hans_CN", "short")):
                run_story(org, story, clock, day, admin, handler)
            clock.moment = None
            loaded += 1
    rows = db.session.execute(
        select(FeedbackEntry.state, func.count()).group_by(FeedbackEntry.state)
    ).all()
    states = Counter(dict(rows))
    shown = ", ".join(f"{n} {state}" for state, n in states.most_common())
    return (
        f"Demo feedback: {loaded} units loaded, {kept} had feedback already; "
        f"{sum(states.values())} entries ({shown})."
    )
