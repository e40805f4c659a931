"""The demo rounds of member evaluation (评议): every state, for two superiors.

Loaded by ``gongkai demo load`` after the demo counties, accounts, catalogues and items. For each
superior of :data:`SUPERIORS` (its demo admin ``<code>-admin`` runs the round), through the real
operations and at the times they would have happened (the items demo's simulated clock):

* a round whose results are **published** (public), rated two months ago;
* a **closed** round (results for the members of the county), closed by the sweep after its last
  day and not yet published;
* an **open** round (results for the superior's subtree) with some ballots cast;
* a **draft** for next month.

The people who rate are the demo accounts of each unit (``<unit>-admin``, ``-reviewer``,
``-member``: everyone holding a role in the unit is on its roll); a few of them do not rate.
Running it again changes nothing: a superior that already has rounds is left as it is.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select

from core import db, localtime
from core.errors import UserError
from core.evaluation import operations as ops
from core.evaluation.models import ANSWERS, EvaluationRound
from core.items.demo import simulated_clock
from tenants import operations as tenants

SUPERIORS = ("hongjiang-agri", "kashgar-edu")
COMMENTS = (
    "希望党费收缴和使用情况公开得再细一些。",
    "公开栏内容更新及时，点赞。",
    "建议在主题党日上集中通报公开事项。",
    "意见建议的答复可以再快一些。",
    "手机上查看公开内容很方便。",
)
NOTE = "请对本单位党务公开工作进行评议，每名党员每轮评议一次，评议结果不记名。"
WEIGHTS = (6, 3, 1)  # satisfied, basically satisfied, dissatisfied


def _user(username: str):
    user = tenants.get_user(username)
    if user is None:
        raise UserError(f"The demo account {username} is missing: load the demo counties first.")
    return user


class Story:
    """One superior's rounds, each step at its time."""

    def __init__(self, org, clock, today: date) -> None:
        self.org, self.clock, self.today = org, clock, today
        self.zone = localtime.zone(org)
        self.admin = _user(f"{org.code}-admin")
        self.rng = random.Random(f"gongkai-demo-evaluation-{org.code}")  # noqa: S311 - not secret

    def at(self, day: date, hour: int, minute: int = 0) -> None:
        self.clock.moment = datetime.combine(day, time(hour, minute), tzinfo=self.zone).astimezone(
            UTC
        )

    def create(self, titles: dict, start: date, end: date, scope: str) -> EvaluationRound:
        return ops.create(
            self.org,
            {
                "titles": titles,
                "notes": {"zh_Hans_CN": NOTE},
                "opens_on": start,
                "closes_on": end,
                "result_scope": scope,
                "all_units": True,
            },
            actor=self.admin,
        )

    def ballots(self, round_: EvaluationRound, *, share: float) -> None:
        """Some people of every unit rate, on the days of the period (time order kept)."""
        days = (round_.closes_on - round_.opens_on).days + 1
        plans = []
        for unit in ops.units_of(round_):
            for role in ("member", "reviewer", "admin"):
                if self.rng.random() < share:
                    # on the days of the period that are over (an open round: before today)
                    last = min(days, (self.today - round_.opens_on).days)
                    day = round_.opens_on + timedelta(days=self.rng.randrange(max(last, 1)))
                    plans.append((day, self.rng.randint(8, 20), unit, f"{unit.code}-{role}"))
        for day, hour, unit, username in sorted(plans, key=lambda p: (p[0], p[1], p[3])):
            user = tenants.get_user(username)
            if user is None:
                continue
            self.at(day, hour, self.rng.randint(0, 59))
            answers = {
                key: self.rng.choices(ANSWERS, weights=WEIGHTS)[0]
                for key in [*round_.criterion_keys(), "overall"]
            }
            comment = self.rng.choice(COMMENTS) if self.rng.random() < 0.4 else None
            ops.cast(round_, unit, actor=user, answers=answers, comment=comment)

    def published(self) -> None:
        start = self.today - timedelta(days=75)
        end = start + timedelta(days=14)
        year = start.year
        self.at(start - timedelta(days=3), 10)
        round_ = self.create(
            {
                "zh_Hans_CN": f"{year}年党务公开工作党员评议",
                "en": f"Member evaluation of the disclosure work, {year}",
            },
            start,
            end,
            "public",
        )
        self.at(start, 9)
        ops.open_round(round_, actor=self.admin)
        self.ballots(round_, share=0.8)
        self.at(end + timedelta(days=1), 0, 10)
        ops.close(round_)  # as the sweep does once the last day is over
        self.at(end + timedelta(days=4), 15)
        ops.publish(round_, actor=self.admin)

    def closed(self) -> None:
        start = self.today - timedelta(days=30)
        end = start + timedelta(days=10)
        self.at(start - timedelta(days=2), 11)
        round_ = self.create(
            {
                "zh_Hans_CN": "“三会一课”情况公开专项评议",
                "en": "Special evaluation: disclosure of the “three meetings and one lesson”",
            },
            start,
            end,
            "party_wide",
        )
        self.at(start, 9)
        ops.open_round(round_, actor=self.admin)
        self.ballots(round_, share=0.7)
        self.at(end + timedelta(days=1), 0, 10)
        ops.close(round_)

    def open(self) -> None:
        start = self.today - timedelta(days=4)
        end = self.today + timedelta(days=10)
        self.at(start - timedelta(days=1), 16)
        year, quarter = self.today.year, (self.today.month - 1) // 3 + 1
        round_ = self.create(
            {
                "zh_Hans_CN": f"{year}年第{quarter}季度党务公开满意度评议",
                "en": f"Satisfaction with the disclosure work, quarter {quarter} of {year}",
            },
            start,
            end,
            "unit",
        )
        self.at(start, 9)
        ops.open_round(round_, actor=self.admin)
        self.ballots(round_, share=0.35)

    def draft(self) -> None:
        start = self.today + timedelta(days=30)
        self.at(self.today - timedelta(days=1), 10)
        self.create(
            {"zh_Hans_CN": "年度党务公开工作民主评议（草稿）", "en": "Annual evaluation (draft)"},
            start,
            start + timedelta(days=14),
            "public",
        )


def load(today: date | None = None) -> str:
    """Load the demo rounds (see the module's docstring); returns a one-line summary."""
    loaded = kept = 0
    with simulated_clock() as clock:
        for code in SUPERIORS:
            org = tenants.get_org(code)
            if org is None:
                raise UserError(f"The demo organisation {code} is missing: load the demo first.")
            if db.session.scalar(
                select(func.count(EvaluationRound.id)).where(EvaluationRound.org_id == org.id)
            ):
                kept += 1
                continue
            story = Story(org, clock, today or ops.today(org))
            story.published()
            story.closed()
            story.open()
            story.draft()
            clock.moment = None
            loaded += 1
    rows = db.session.execute(
        select(EvaluationRound.state, func.count()).group_by(EvaluationRound.state)
    ).all()
    shown = ", ".join(f"{n} {state}" for state, n in sorted(rows))
    return (
        f"Demo evaluation rounds: {loaded} superiors loaded, {kept} had rounds already ({shown})."
    )
