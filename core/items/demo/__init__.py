"""The demo items: a year of disclosures for every demo unit with a catalogue.

Loaded by ``gongkai demo load`` after the demo counties, their accounts and their catalogues
(:mod:`tenants.demo`, :mod:`core.catalogue.demo`).

For every demo unit with an effective catalogue, the expected disclosures of the last twelve
months (:func:`core.catalogue.schedule.expected`, this year and the tail of last year) are met by
items that go through the real workflow (:mod:`core.items.operations`) with the unit's demo
accounts: ``<code>-admin`` drafts, proposes, approves and schedules, ``<code>-reviewer`` records
the secrecy review with its basis, the scheduled job (the system actor) publishes, and the
parent's ``<parent>-reviewer`` decides what the catalogue owner decides (off-catalogue items,
amendments, revocations). A few expected disclosures per unit stay unmet (overdue) and some are
published after their due date (late). Event-driven entries get a few items: a practical matter
done for the people, a decision, a notice (公示) that closed after its period.

One unit per county (:data:`SHOWCASE`) also has: a notice still in its period with an objection,
a withheld item (filed with the parent), an amended item (two versions), a revoked item, an
off-catalogue item approved by the parent, and one item in each state before publication (a draft
returned by the reviewer, proposed, reviewed, approved, waiting for the parent, scheduled for
next week).

Times: each step runs at the time it would have happened. While the items are made, the clock
of :func:`core.db.utcnow` is set to each step's time (:func:`simulated_clock`), so the workflow
history, the register entries, the audit log and the publication dates all tell the same story
(the steps of a unit run in time order, so its register chain stays in order too). The catalogue
dates (``today_for``) keep the real clock: the catalogues are effective from today.

Finally the sweeps run as the scheduler would run them (close notices, widen scopes, flag overdue
disclosures). Running it again changes nothing: a unit that already has items is left as it is.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select

from core import db, localtime
from core.catalogue import operations as catalogue
from core.catalogue import schedule
from core.catalogue.demo import demo_codes
from core.errors import UserError
from core.items import operations as items
from core.items import timeliness
from core.items.demo import content
from core.items.demo.content import Period, Text
from core.items.models import DisclosureFlag, Item
from core.params import operations as params
from core.progress import progress
from tenants import operations as tenants

SHOWCASE = {  # county: the unit that shows every kind of item
    "kashgar": "kashgar-kg3",
    "hongjiang": "hongjiang-agri",
    "xiaoyi": "xiaoyi-landscape",
    "chenggong": "chenggong-aic",
    "hengdong": "hengdong-tts",
}
BILINGUAL_UG = {"kashgar-kg3"}  # the kindergarten discloses in Chinese and Uyghur
WINDOW_DAYS = 365
COMMITTEES = {
    "general_branch": "党总支委员会",
    "party_committee": "党委会",
    "working_committee": "工委会",
}


# --- the clock -------------------------------------------------------------------------------


@dataclass
class Clock:
    moment: datetime | None = None


@contextmanager
def simulated_clock() -> Iterator[Clock]:
    """Within the block, :func:`core.db.utcnow` (every ``created_at``, step time and register
    time) returns ``clock.moment`` when it is set, the real time otherwise."""
    real = db.datetime
    clock = Clock()

    class Simulated(real):
        @classmethod
        def now(cls, tz=None):
            if clock.moment is None:
                return real.now(tz)
            return clock.moment.astimezone(tz or UTC)

    db.datetime = Simulated
    try:
        yield clock
    finally:
        db.datetime = real


# --- stories: the steps of one item, each at its time ----------------------------------------


@dataclass
class Story:
    plan: dict[str, Any]
    steps: list[tuple[datetime, str, dict[str, Any]]] = field(default_factory=list)
    item: Item | None = None
    published_at: datetime | None = None
    topic: str = ""

    def add(self, at: datetime, action: str, **kwargs: Any) -> datetime:
        self.steps.append((at, action, kwargs))
        return at


class Unit:
    """One demo unit while its items are planned: its people, catalogue and calendar."""

    def __init__(self, org, parent, version, now: datetime, today: date) -> None:
        self.org, self.parent, self.version = org, parent, version
        self.now, self.today = now, today
        self.zone = localtime.zone(org)
        self.rng = random.Random(f"gongkai-demo-items-{org.code}")  # noqa: S311 - not secret
        self.admin = _user(f"{org.code}-admin")
        self.reviewer = _user(f"{org.code}-reviewer")
        self.parent_reviewer = _user(f"{parent.code}-reviewer")
        self.entries = catalogue.entries(version)
        self.notice_min = params.value(org, "notice.min_days")
        contacts = org.contacts or {}
        officers = org.officers or {}
        group = org.leading_group or {}
        self.text = content.Unit(
            code=org.code,
            name=org.name("zh_Hans_CN"),
            short=org.name("zh_Hans_CN", "short"),
            name_ug=(org.names.get("ug") or {}).get("full"),
            sector=org.sector,
            members=org.full_members or self.rng.randint(8, 30),
            secretary=content.clean_name(
                officers.get("secretary") or (group.get("leader") or {}).get("name", "")
            )
            or "支部书记",
            hotline=contacts.get("hotline") or (parent.contacts or {}).get("hotline") or "（略）",
            suggestion_box=contacts.get("suggestion_box"),
            reception_day=contacts.get("reception_day"),
            leading_group=group,
            rng=self.rng,
            committee=COMMITTEES.get(org.type_code, "支部委员会"),
        )
        self.stories: list[Story] = []

    # time
    def at(self, day: date, hour: int, minute: int = 0) -> datetime:
        return datetime.combine(day, time(hour, minute), tzinfo=self.zone).astimezone(UTC)

    def minutes(self, low: int, high: int) -> timedelta:
        return timedelta(minutes=self.rng.randint(low, high))

    def entry(self, topic: str, *, public: bool = False):
        for e in self.entries:
            if content.topic_of(e.key) == topic and (not public or e.scope == "public"):
                return e
        return None

    # texts
    def texts(self, text: Text, entry, period: Period | None, notice: bool) -> dict[str, Any]:
        titles = {"zh_Hans_CN": text.zh_title}
        bodies = {"zh_Hans_CN": text.zh_body}
        bilingual = self.org.code in SHOWCASE or self.rng.random() < 0.3
        if text.en_title and (bilingual or self.org.code in BILINGUAL_UG):
            titles["en"] = text.en_title
            if text.en_body and self.rng.random() < 0.5:
                bodies["en"] = text.en_body
        if self.org.code in BILINGUAL_UG:
            ug = content.ug_text(self.text, entry, period, notice=notice)
            if ug:
                titles["ug"], bodies["ug"] = ug
        return {"titles": titles, "bodies": bodies}

    def plan(self, text: Text, entry, *, period: Period | None = None, **fields: Any) -> dict:
        data = self.texts(text, entry, period, bool(fields.get("is_notice")))
        if entry is not None:
            data.update(entry_key=entry.key, scope=entry.scope, channels=list(entry.channels))
        data.update(fields)
        return data

    # the workflow, step by step
    def lifecycle(
        self,
        story: Story,
        decided: date,
        publish_at: datetime | None,
        *,
        until: str = "publish",
        superior: bool = False,
        returned: str | None = None,
    ) -> Story:
        """Steps from the draft on the decision day to ``until`` (the last step taken)."""
        t = self.at(decided, 9) + self.minutes(0, 90)
        order = ["create", "propose", "review", "approve"]
        order += ["superior"] if superior else []
        order += ["schedule", "publish"]
        times = {"create": t}
        for name in order[1:]:
            if name == "publish":
                t = max(publish_at or t, t + self.minutes(5, 30))
            elif name == "superior":
                t = t + self.minutes(18 * 60, 30 * 60)
            else:
                t = t + self.minutes(15, 150)
            times[name] = t
        story.plan["decision_date"] = decided
        story.plan["planned_at"] = publish_at or times.get("publish")
        for name in order:
            kwargs = {"comment": returned} if name == "review" and returned else {}
            story.add(times[name], "return" if kwargs else name, **kwargs)
            if name == until or kwargs:
                break
        if until == "publish":
            story.published_at = times["publish"]
        self.stories.append(story)
        return story


def _user(username: str):
    user = tenants.get_user(username)
    if user is None:
        raise UserError(f"The demo account {username} is missing: load the demo counties first.")
    return user


# --- planning a unit -------------------------------------------------------------------------


def _candidates(unit: Unit) -> list[schedule.ExpectedDisclosure]:
    """Expected disclosures of the last twelve months that could have been published by now."""
    start = unit.today - timedelta(days=WINDOW_DAYS)
    out = []
    for year in (unit.today.year - 1, unit.today.year):
        for e in schedule.expected(unit.version, year):
            if e.due < start:
                continue
            if e.due < unit.today or (e.cadence != "standing" and e.period_end < unit.today):
                out.append(e)
    return out


def _periodic(unit: Unit, e: schedule.ExpectedDisclosure, *, late: bool) -> Story | None:
    rng, today = unit.rng, unit.today
    standing = e.cadence == "standing"
    low = e.period_start + timedelta(days=3) if standing else e.period_end + timedelta(days=2)
    high = min(e.due, today - timedelta(days=1))
    if late:
        day = e.due + timedelta(days=rng.randint(2, 28))
        if day >= today:
            late, day = False, None
    if not late:
        if low > high:
            return None
        span = (high - low).days
        day = low + timedelta(days=min(rng.randint(0, span), rng.randint(0, span)))
    decided = day - timedelta(days=rng.randint(1, 3))
    period = Period(e.cadence, e.period_key, e.period_start, e.period_end)
    text = content.periodic(unit.text, e.entry, period, decided)
    publish_at = unit.at(day, rng.randint(9, 16), rng.randint(0, 59))
    story = Story(unit.plan(text, e.entry, period=period, period_key=e.period_key))
    story.topic = content.topic_of(e.entry_key)
    return unit.lifecycle(story, decided, publish_at)


def _notice(unit: Unit, entry, published: date, *, close: bool) -> Story:
    rng = unit.rng
    days = max(entry.notice_days or unit.notice_min, unit.notice_min)
    decided = published - timedelta(days=rng.randint(1, 2))
    text = content.notice_text(unit.text, entry, decided, published, days)
    story = Story(unit.plan(text, entry, is_notice=True, notice_days=days))
    story.topic = "notice"
    unit.lifecycle(story, decided, unit.at(published, 10, rng.randint(0, 30)))
    ends = story.published_at + timedelta(days=days)
    if close and ends < unit.now - timedelta(hours=1):  # the sweep closed it after its period
        story.add(ends + unit.minutes(1, 5), "close")
    return story


def _event(unit: Unit, entry, decided: date, *, project: str | None = None, **kw) -> Story:
    text = content.event_text(unit.text, entry, decided, project=project)
    story = Story(unit.plan(text, entry))
    story.topic = content.topic_of(entry.key)
    publish = decided + timedelta(days=unit.rng.randint(1, 4))
    return unit.lifecycle(story, decided, unit.at(publish, unit.rng.randint(9, 16)), **kw)


def plan_unit(unit: Unit) -> None:
    rng, today = unit.rng, unit.today
    candidates = _candidates(unit)
    flagged_years = {today.year, today.year - 1 if today.month == 1 else today.year}
    overdue_pool = [
        e
        for e in candidates
        if e.due < today
        and e.period_start.year in flagged_years  # the sweep flags these years
        and content.topic_of(e.entry_key) != "dues"
    ]
    unmet = set(
        (e.entry_key, e.period_key)
        for e in rng.sample(overdue_pool, min(len(overdue_pool), rng.randint(2, 4)))
    )
    for e in candidates:
        if (e.entry_key, e.period_key) in unmet or rng.random() < 0.03:
            continue
        _periodic(unit, e, late=rng.random() < 0.1)

    # event-driven entries: a practical matter, a decision, a closed notice
    start = today - timedelta(days=WINDOW_DAYS - 30)

    def some_day(low: int, high: int) -> date:
        return start + timedelta(days=rng.randint(low, high))

    practical = unit.entry("practical")
    if practical is not None:
        _event(unit, practical, some_day(60, 150))
    major = unit.entry("major")
    if major is not None and rng.random() < 0.7:
        _event(unit, major, some_day(100, 250))
    notice = (
        unit.entry("recruitment", public=True)
        or unit.entry("selection", public=True)
        or unit.entry("models", public=True)
    )
    if notice is not None:
        _notice(unit, notice, some_day(120, 280), close=True)
    election = unit.entry("election")
    if election is not None and rng.random() < 0.3:
        _notice(unit, election, some_day(30, 100), close=True)

    if unit.org.code in SHOWCASE.values():
        _showcase(unit)


def _showcase(unit: Unit) -> None:
    """The kinds of items every county shows once (see the module's docstring)."""
    rng, today = unit.rng, unit.today
    u = unit.text

    # a notice in its period, with an objection lodged
    entry = (
        unit.entry("recruitment", public=True)
        or unit.entry("selection", public=True)
        or unit.entry("models", public=True)
    )
    if entry is not None:
        story = _notice(unit, entry, today - timedelta(days=2), close=False)
        story.add(
            unit.at(today - timedelta(days=1), 15, rng.randint(0, 50)),
            "objection",
            text=(
                "公示对象中有一名同志近半年参加组织生活次数偏少，"
                "建议支部在讨论前进一步听取所在党小组意见。"
            ),
            name=rng.choice(["一名党员", None]),
            contact=None,
        )

    # withheld: filed with the parent
    entry = unit.entry("discipline")
    if entry is not None:
        decided = today - timedelta(days=35)
        story = Story(unit.plan(content.event_text(u, entry, decided), entry))
        unit.lifecycle(story, decided, unit.at(decided + timedelta(days=5), 10), until="review")
        story.add(
            unit.at(decided + timedelta(days=2), 11),
            "withhold",
            reason=(
                "该党员对处理意见提出申诉，上级党组织正在复核，处理决定尚未生效。"
                "依照《中国共产党党务公开条例（试行）》第十一条暂不公开，已报上级党组织备案，"
                "复核结束后按程序公开。"
            ),
        )

    # amended: a recent periodic item corrected, approved by the parent
    published = sorted(
        (s for s in unit.stories if s.published_at and s.plan.get("period_key")),
        key=lambda s: (s.topic != "dues", -s.published_at.timestamp()),
    )
    target = next(
        (s for s in published if s.published_at < unit.at(today - timedelta(days=25), 0)), None
    )
    if target is not None:
        when = target.published_at + timedelta(days=rng.randint(4, 12), hours=2)
        supplement, explanation = content.amendment(u, target.topic, _local_day(unit, when))
        bodies = dict(target.plan["bodies"])
        text, footer, rest = bodies["zh_Hans_CN"].partition("\n> ")
        bodies["zh_Hans_CN"] = f"{text.rstrip()}\n\n{supplement}\n\n{footer}{rest}"
        target.add(when, "amend", bodies=bodies, explanation=explanation)
        target.add(when + timedelta(hours=20), "approve_amendment", comment="同意更正。")

    # revoked: a practical matter dropped, with the parent's approval
    entry = unit.entry("practical")
    if entry is not None:
        story = _event(unit, entry, today - timedelta(days=80), project=None)
        when = today - timedelta(days=40)
        story.add(
            unit.at(when, 10),
            "revoke",
            explanation=(
                "该项目已纳入上级部门统一实施的民生工程，本单位不再单独实施，原公开内容予以撤销。"
            ),
        )
        story.add(unit.at(when + timedelta(days=1), 15), "approve_revocation", comment="同意撤销。")

    # off-catalogue items: the parent approves them (PUB-3)
    july = date(today.year, 6, 22)
    if july > today - timedelta(days=10):
        july = date(today.year - 1, 6, 22)
    text = Text(
        f"关于开展{july.year}年“七一”主题党日活动的安排",
        (
            f"为庆祝中国共产党成立{july.year - 1921}周年，"
            f"{u.short}定于7月1日上午开展主题党日活动：\n\n"
            "1. 重温入党誓词；\n2. 为党龄满50年的老党员颁发纪念章；\n"
            "3. 开展“我为群众办实事”志愿服务。\n\n欢迎党员群众参加和监督。\n\n"
            f"{u.name}\n{content.d(july)}\n"
        ),
        f"Party Day activities for 1 July {july.year}",
    )
    story = Story(unit.plan(text, None, scope="public", channels=["notice_board", "website"]))
    unit.lifecycle(story, july, unit.at(july + timedelta(days=3), 9, 30), superior=True)
    if unit.org.code == "hongjiang-agri":  # the demonstration sites of source plan 2
        decided = today - timedelta(days=150)
        text = Text(
            "关于确定党务公开工作联系点的通知",
            (
                "局党委研究决定，确定农技推广中心、八面山农垦场为全局党务公开工作联系点，"
                "按照“八有”标准加强指导，发挥示范带动作用。\n\n"
                f"{u.name}\n{content.d(decided)}\n"
            ),
        )
        story = Story(
            unit.plan(
                text,
                None,
                scope="specific",
                channels=["document", "meeting"],
                audience={"orgs": ["hongjiang-agritech", "hongjiang-bamianshan"]},
            )
        )
        unit.lifecycle(story, decided, unit.at(decided + timedelta(days=3), 9), superior=True)

    # one item in each state before publication
    practical, major = unit.entry("practical"), unit.entry("major") or unit.entry("practical")
    if practical is not None:
        _event(
            unit,
            practical,
            today - timedelta(days=6),
            until="review",
            returned="正文中包含服务对象的姓名和联系电话，涉及个人信息，请删除后重新提交。",
        )
        _event(unit, practical, today - timedelta(days=1), until="create")
        story = _event(unit, practical, today - timedelta(days=4), until="schedule")
        story.plan["planned_at"] = unit.at(today + timedelta(days=5), 9)
    if major is not None:
        _event(unit, major, today - timedelta(days=2), until="propose")
        _event(unit, major, today - timedelta(days=3), until="review")
        _event(unit, major, today - timedelta(days=5), until="approve")
    text = Text(
        "关于开展党务公开工作满意度测评的通知",
        (
            f"为了解党员群众对{u.short}党务公开工作的意见，定于下月组织开展满意度测评，"
            "测评采取无记名问卷方式，结果将在公开栏公布。\n\n"
            f"{u.name}\n{content.d(today - timedelta(days=3))}\n"
        ),
        "Survey on the disclosure work",
    )
    story = Story(unit.plan(text, None, scope="public", channels=["notice_board", "website"]))
    unit.lifecycle(story, today - timedelta(days=3), None, until="approve")


def _local_day(unit: Unit, moment: datetime) -> date:
    return moment.astimezone(unit.zone).date()


# --- running the stories ---------------------------------------------------------------------

BASES = content.BASES


def _run_step(unit: Unit, story: Story, action: str, kwargs: dict[str, Any]) -> None:
    item = story.item
    if action == "create":
        story.item = items.create(unit.org, story.plan, actor=unit.admin)
    elif action == "propose":
        items.propose(item, actor=unit.admin)
    elif action in ("review", "return"):
        items.review(
            item,
            actor=unit.reviewer,
            secrecy_passed=action == "review",
            secrecy_basis=unit.rng.choice(BASES),
            necessity_ok=True,
            accuracy_ok=True,
            comment=kwargs.get("comment"),
        )
    elif action == "approve":
        items.approve(item, actor=unit.admin)
    elif action == "superior":
        items.superior_decide(item, actor=unit.parent_reviewer, approve=True, comment="同意公开。")
    elif action == "schedule":
        items.schedule_publication(item, actor=unit.admin)
    elif action == "publish":
        items.publish(item)
    elif action == "close":
        items.close(item)
    elif action == "withhold":
        items.withhold(item, actor=unit.admin, reason=kwargs["reason"])
    elif action == "amend":
        items.request_amendment(item, actor=unit.admin, **kwargs)
    elif action == "approve_amendment":
        items.decide_amendment(item, actor=unit.parent_reviewer, approve=True, **kwargs)
    elif action == "revoke":
        items.request_revocation(item, actor=unit.admin, **kwargs)
    elif action == "approve_revocation":
        items.decide_revocation(item, actor=unit.parent_reviewer, approve=True, **kwargs)
    elif action == "objection":
        items.lodge_objection(item, **kwargs)
    else:  # pragma: no cover - a typo in this module
        raise ValueError(f"unknown demo step {action!r}")


def run_unit(unit: Unit, clock: Clock) -> None:
    """Run every step of the unit's stories in time order, each at its time."""
    steps = sorted(
        (
            (min(at, unit.now), i, n, story, action, kwargs)
            for i, story in enumerate(unit.stories)
            for n, (at, action, kwargs) in enumerate(story.steps)
        ),
        key=lambda s: (s[0], s[1], s[2]),
    )
    for at, _i, _n, story, action, kwargs in steps:
        clock.moment = at
        _run_step(unit, story, action, kwargs)


# --- loading ---------------------------------------------------------------------------------


def load(today: date | None = None) -> str:
    """Load the demo items (see the module's docstring); ``today`` is the day the demo is "now"
    (default: today). Returns a one-line summary."""
    real_now = db.utcnow()
    loaded = kept = 0
    codes = list(demo_codes())
    with simulated_clock() as clock, progress("items (units)", total=len(codes)) as bar:
        for code, parent_code in codes:
            bar.advance()
            org = tenants.get_org(code)
            if org is None:
                raise UserError(f"The demo organisation {code} is missing: load the demo first.")
            if parent_code is None:
                continue  # a county keeps no unit catalogue
            version = catalogue.effective_version(org)
            if version is None:
                continue
            if db.session.scalar(select(func.count(Item.id)).where(Item.org_id == org.id)):
                kept += 1
                continue
            day = today or localtime.date_of(real_now, org)
            now = min(real_now, localtime.start_of(day, org) + timedelta(hours=18))
            unit = Unit(org, tenants.get_org(parent_code), version, now, day)
            plan_unit(unit)
            run_unit(unit, clock)
            clock.moment = None
            loaded += 1
    if loaded:
        items.close_notices()
        items.widen_scopes()
        timeliness.refresh_all(today=today)
    return summary(loaded, kept)


def summary(loaded: int, kept: int) -> str:
    rows = db.session.execute(select(Item.state, func.count()).group_by(Item.state)).all()
    states = Counter(dict(rows))
    flags = Counter(
        dict(
            db.session.execute(
                select(DisclosureFlag.kind, func.count())
                .where(DisclosureFlag.resolved_at.is_(None))
                .group_by(DisclosureFlag.kind)
            ).all()
        )
    )
    total = sum(states.values())
    shown = ", ".join(f"{n} {state}" for state, n in states.most_common())
    return (
        f"Demo items: {loaded} units loaded, {kept} had items already; {total} items ({shown}); "
        f"{flags['overdue']} overdue and {flags['late']} late flags."
    )
