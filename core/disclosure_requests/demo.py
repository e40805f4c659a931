"""The demo disclosure requests (依申请公开): every state and every outcome, in two units.

Loaded by ``gongkai demo load`` after the demo counties, accounts, catalogues, items and the
working-day calendar. Each request goes through the real operations (:mod:`.operations`) at the
time each step would have happened (the items demo's simulated clock), so the history, the
deadlines, the filings with the superior and the register entries are real:

* ``hongjiang-agri`` (the Hongjiang agriculture bureau's committee): one request in each state —
  submitted, accepted, extended, with a third party consulted, waiting for an amendment, lapsed,
  escalated and rejected — and one decision of each outcome of REQ-3 (already public, granted
  with a document, granted and published, partly granted, declined and acknowledged by the
  county, not held, not this unit, duplicate), one of them recorded by staff from a visit;
* ``kashgar-kg3`` (the Kashgar kindergarten's branch): a new request, a granted one, a decline
  the superior sent back for reconsideration, an amended one and an overdue one.

The applicants are the demo members of the units and a demo applicant without any role,
``demo-applicant`` (password as for every demo account). Running it again changes nothing: a
unit that already has requests is left as it is.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import func, select

from core import db, localtime
from core.disclosure_requests import operations as ops
from core.disclosure_requests.models import DisclosureRequest
from core.errors import UserError
from core.items.demo import simulated_clock
from core.items.models import Item
from tenants import operations as tenants

UNITS = ("hongjiang-agri", "kashgar-kg3")
APPLICANT = "demo-applicant"
APPLICANT_NAME = "张明（演示申请人）"
PDF = (
    b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
    b"trailer << /Root 1 0 R >>\n%%EOF\n"
)


def _user(username: str):
    user = tenants.get_user(username)
    if user is None:
        raise UserError(f"The demo account {username} is missing: load the demo counties first.")
    return user


def _applicant():
    from tenants.demo import DEMO_PASSWORD

    user = tenants.get_user(APPLICANT)
    if user is None:
        user = tenants.create_user(
            APPLICANT,
            password=DEMO_PASSWORD,
            display_name=APPLICANT_NAME,
            email="demo-applicant@example.org",
        )
    return user


class Story:
    """The requests of one unit, each step at its time (``at(days ago, hour)``)."""

    def __init__(self, org, clock) -> None:
        self.org, self.clock = org, clock
        self.zone = localtime.zone(org)
        self.today = localtime.today(org, wall=True)
        parent = self.parent = db.session.get(type(org), org.parent_id)
        self.admin = _user(f"{org.code}-admin")
        self.reviewer = _user(f"{org.code}-reviewer")
        self.member = _user(f"{org.code}-member")
        self.superior = _user(f"{parent.code}-reviewer")
        self.superior_admin = _user(f"{parent.code}-admin")
        self.public = _applicant()

    def at(self, days_ago: int, hour: int = 10, minute: int = 0) -> None:
        day = self.today - timedelta(days=days_ago)
        moment = datetime.combine(day, time(hour, minute), tzinfo=self.zone).astimezone(UTC)
        self.clock.moment = min(moment, datetime.now(UTC) - timedelta(minutes=1))

    def file(self, days_ago: int, content: str, purpose: str, *, applicant=None, **contact):
        self.at(days_ago, 9, 30)
        applicant = applicant or self.public
        data = {
            "content": content,
            "purpose": purpose,
            "contact_email": contact.get("email", f"{applicant.username}@example.org"),
            "contact_phone": contact.get("phone", "13800000000"),
            "contact_address": contact.get("address"),
            "delivery": contact.get("delivery", "electronic"),
        }
        return ops.file(self.org, data, applicant=applicant)

    def accept(self, req, days_ago: int):
        self.at(days_ago, 11)
        return ops.accept(req, actor=self.reviewer)

    def decide(self, req, days_ago: int, outcome: str, data: dict, **kwargs):
        self.at(days_ago, 15)
        return ops.decide(req, outcome, data, actor=kwargs.pop("actor", self.admin), **kwargs)


def hongjiang(s: Story) -> list[tuple[int, Callable[[], object]]]:
    """The agriculture bureau's requests: ``(days ago it was received, its story)``."""
    member, public = s.member, s.public
    found: dict[str, DisclosureRequest] = {}

    def submitted():
        s.file(1, "请公开本局2026年度党员发展计划及各支部名额分配情况。", "了解入党程序和名额安排",
               applicant=member)  # fmt: skip

    def accepted():
        req = s.file(
            6, "请提供本局党委2026年第三季度“三会一课”开展情况统计。", "监督支部组织生活开展"
        )
        s.accept(req, 5)

    def extended():
        req = s.file(
            24, "请公开2021年至2025年本局党费收缴、使用和管理的年度明细。", "研究党费使用情况",
            applicant=member,
        )  # fmt: skip
        s.accept(req, 23)
        s.at(4, 16)
        ops.extend(req, actor=s.admin, days=10, reason="涉及五个年度的档案，需从档案室调阅核对。")

    def consulting():
        req = s.file(
            12, "请公开局机关食堂2026年服务外包合同的党风廉政审查意见。", "了解廉政审查情况"
        )
        s.accept(req, 11)
        s.at(4, 14)
        ops.start_consultation(
            req, actor=s.reviewer, third_party="洪江市某餐饮服务有限公司",
            question="合同中的报价和人员信息是否涉及贵公司商业秘密？是否同意公开？",
        )  # fmt: skip

    def awaiting_amendment():
        req = s.file(5, "请公开有关材料。", "工作需要")
        s.accept(req, 4)
        s.decide(req, 3, "unclear", {"explanation": "请说明所需材料的名称、年份和所属事项。"})

    def lapsed():  # never amended: the sweep after the stories lets it lapse
        req = s.file(45, "请公开那个文件。", "了解")
        s.decide(req, 44, "unclear", {"explanation": "请说明所需文件的标题或文号。"},
                 actor=s.reviewer)  # fmt: skip

    def rejected():
        req = s.file(30, "投诉某支部书记工作作风问题，请严肃处理。", "反映问题")
        s.at(29, 10)
        ops.reject_invalid(req, actor=s.admin, reason="该来信属于投诉举报，已转纪检部门按信访程序"
                           "办理，不属于党务公开申请。")  # fmt: skip

    def already_public():
        item = db.session.scalar(
            select(Item)
            .where(
                Item.org_id == s.org.id, Item.state == "published", Item.visible_scope == "public"
            )
            .order_by(Item.published_at.desc())
            .limit(1)
        )
        req = s.file(40, "请公开本局党委最近一次换届选举的结果。", "了解党委班子组成")
        s.accept(req, 39)
        link = (
            {"public_item_id": item.id}
            if item is not None
            else {"public_url": "/o/hongjiang-agri/"}
        )
        answer = "该信息已在本单位党务公开栏目公开，请点击链接查看。"
        s.decide(req, 37, "already_public", {**link, "answer": answer})

    def granted():
        req = found["granted"] = s.file(
            35, "请提供2025年度本局党员教育培训经费使用情况。", "了解教育培训投入"
        )
        s.accept(req, 34)
        s.decide(
            req, 28, "granted",
            {"answer": "2025年度党员教育培训经费共计3.2万元，使用明细见附件。"},
            files=[("2025年党员教育培训经费明细.pdf", PDF)],
        )  # fmt: skip

    def granted_published():
        req = s.file(33, "请公开2025年度本局党组织为群众办实事清单及完成情况。", "了解办实事进展",
                     applicant=member)  # fmt: skip
        s.accept(req, 32)
        s.decide(req, 26, "granted_published", {
            "item_title": "2025年度为群众办实事清单及完成情况",
            "answer": "根据党员申请，现将2025年度为群众办实事清单及完成情况予以公开：\n\n"
                      "- 建成高标准农田示范片3处，已完成；\n- 开展农技下乡服务42场次，已完成。",
        })  # fmt: skip

    def partly_granted():
        req = s.file(31, "请公开2025年发展党员工作中各名发展对象的考察材料。", "了解发展党员程序")
        s.accept(req, 30)
        s.decide(req, 20, "partly_granted", {
            "answer": "2025年发展党员工作的程序、名额和时间安排见附件。",
            "declined_part": "各名发展对象的个人考察材料",
            "reason_code": "personal_privacy",
            "explanation": "考察材料含有发展对象的个人信息，公开会损害其合法权益，依规不予公开。",
        }, files=[("2025年发展党员工作安排.pdf", PDF)])  # fmt: skip

    def declined():  # filed with the county, which acknowledges it
        req = s.file(29, "请公开本局党委会2026年第5次会议的全部讨论记录。", "了解决策过程")
        s.accept(req, 28)
        decision = s.decide(req, 18, "declined", {
            "reason_code": "process_information",
            "explanation": "会议讨论记录属于决策过程中的内部研究讨论材料，依规不予公开；"
                           "会议形成的决定已按目录公开。",
        })  # fmt: skip
        s.at(15, 9)
        ops.acknowledge_filing(decision, actor=s.superior, note="已阅，同意该答复意见。")

    def not_held():
        req = s.file(27, "请公开本局2019年机构改革前的党员花名册。", "核对个人党籍信息")
        s.accept(req, 26)
        s.decide(req, 16, "not_held", {
            "explanation": "本局未保存机构改革前的党员花名册，相关档案已移交市委组织部。",
            "referred_to": "中共洪江市委组织部",
        })  # fmt: skip

    def not_this_unit():
        req = s.file(25, "请公开洪江市全市农村基层党组织书记名单。", "了解基层党组织情况")
        s.accept(req, 24)
        s.decide(req, 22, "not_this_unit", {
            "referred_org": s.parent.code,
            "explanation": "全市农村基层党组织信息由市委负责公开，请向市委申请。",
        })  # fmt: skip

    def duplicate():
        req = s.file(21, "请提供2025年度本局党员教育培训经费的使用情况。", "了解教育培训投入")
        s.accept(req, 20)
        s.decide(req, 19, "duplicate", {"duplicate_of": found["granted"].number,
                 "explanation": "您已于此前提出相同申请并已获答复。"})  # fmt: skip

    def escalated():  # a visit recorded by staff, declined, escalated: the county reviews
        s.at(14, 10)
        visit = ops.record(
            s.org,
            {
                "content": "请公开2026年局机关党支部评先评优的评审打分表。",
                "purpose": "了解评选过程是否公平",
                "applicant_name": "李桂兰",
                "applicant_username": member.username,
                "channel": "oral",
                "received_on": (s.today - timedelta(days=14)).isoformat(),
                "contact_phone": "0745-0000099",
                "delivery": "collect",
            },
            actor=s.reviewer,
        )
        s.accept(visit, 14)
        s.decide(visit, 8, "declined", {
            "reason_code": "internal_affairs",
            "explanation": "评审打分表属于内部管理信息，评选结果已公示。",
        })  # fmt: skip
        s.at(3, 20)
        ops.escalate(visit, user=member, grounds="评选结果公示时未说明评分标准，希望上级审查。")

    del public
    return [
        (45, lapsed), (40, already_public), (35, granted), (33, granted_published),
        (31, partly_granted), (30, rejected), (29, declined), (27, not_held),
        (25, not_this_unit), (24, extended), (21, duplicate), (14, escalated),
        (12, consulting), (6, accepted), (5, awaiting_amendment), (1, submitted),
    ]  # fmt: skip


def kashgar(s: Story) -> list[tuple[int, Callable[[], object]]]:
    """The kindergarten's requests: ``(days ago it was received, its story)``."""

    def submitted():
        s.file(0, "请公开幼儿园党支部2026年党建工作计划。", "了解支部工作安排", applicant=s.member)

    def granted():
        req = s.file(20, "请提供2025年幼儿园党支部党费收缴情况。", "了解党费收缴")
        s.accept(req, 19)
        s.decide(req, 12, "granted", {"answer": "2025年应缴党费3600元，实缴3600元，明细见附件。"},
                 files=[("2025年党费收缴情况.pdf", PDF)])  # fmt: skip

    def reconsidered():  # declined, escalated, sent back by the superior
        req = s.file(26, "请公开2026年教师职称推荐的支部会议记录。", "了解推荐过程")
        s.accept(req, 25)
        s.decide(req, 15, "declined", {
            "reason_code": "process_information",
            "explanation": "支部会议记录属于内部研究讨论材料，推荐结果已公示。",
        })  # fmt: skip
        s.at(12, 19)
        ops.escalate(req, user=s.public, grounds="推荐结果公示未说明推荐依据，申请上级审查。")
        s.at(6, 10)
        ops.decide_escalation(
            req, actor=s.superior, uphold=False,
            comment="请支部重新审查：推荐依据和程序可以公开，个人评价部分可不予公开。",
        )  # fmt: skip

    def amended():
        req = s.file(10, "请公开那个通知。", "了解情况", applicant=s.member)
        s.decide(req, 9, "unclear", {"explanation": "请说明通知的标题或发布时间。"})
        s.at(7, 18)
        ops.amend(req, user=s.member, amendment="2026年9月发布的关于幼儿园开放日的通知。")

    def overdue():  # accepted and never decided: the applicant may escalate it
        req = s.file(40, "请公开2025年度幼儿园党支部开展主题党日活动的情况。", "了解组织生活")
        s.accept(req, 39)

    return [(40, overdue), (26, reconsidered), (20, granted), (10, amended), (0, submitted)]


def load() -> str:
    """Load the demo requests (see the module's docstring); returns a one-line summary."""
    loaded = kept = 0
    with simulated_clock() as clock:
        for code, build in zip(UNITS, (hongjiang, kashgar), strict=True):
            org = tenants.get_org(code)
            if org is None:
                raise UserError(f"The demo organisation {code} is missing: load the demo first.")
            if db.session.scalar(
                select(func.count(DisclosureRequest.id)).where(DisclosureRequest.org_id == org.id)
            ):
                kept += 1
                continue
            for _days, story in sorted(build(Story(org, clock)), key=lambda p: -p[0]):
                story()
            clock.moment = None
            ops.lapse_due()
            loaded += 1
    rows = db.session.execute(
        select(DisclosureRequest.state, func.count()).group_by(DisclosureRequest.state)
    ).all()
    shown = ", ".join(f"{n} {state}" for state, n in sorted(rows))
    return (
        f"Demo disclosure requests: {loaded} units loaded, {kept} had requests already ({shown})."
    )
