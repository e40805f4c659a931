"""The questionnaires of the demo: the Kashgar kindergarten's branch asks parents how they read
its disclosure (open now, a few answers in) and published the results of an earlier survey."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from core import db
from core.questionnaires import operations
from core.questionnaires.models import Questionnaire
from tenants import operations as tenants

UNIT = "kashgar-kg3"


def _options(*rows: tuple[str, str, str]) -> list[dict]:
    return [{"labels": {"zh_Hans_CN": zh, "en": en, "ug": ug}} for zh, en, ug in rows]


CHANNELS = {
    "kind": "multiple",
    "texts": {
        "zh_Hans_CN": "您通过哪些渠道了解本支部的党务公开？",
        "en": "Where do you read the branch's disclosures?",
        "ug": "شۆبىنىڭ ئاشكارىلىغانلىرىنى قەيەردىن ئوقۇيسىز؟",
    },
    "options": _options(
        ("公开栏", "The notice board", "ئېلان تاختىسى"),
        ("网站", "The website", "تور بېكەت"),
        ("家长会", "Parents' meetings", "ئاتا-ئانىلار يىغىنى"),
        ("微信群", "The WeChat group", "ئۈندىدار گۇرۇپپىسى"),
    ),
}
SATISFIED = {
    "kind": "single",
    "texts": {
        "zh_Hans_CN": "您对党务公开的及时性是否满意？",
        "en": "Are you satisfied with how promptly things are disclosed?",
        "ug": "ئاشكارىلاشنىڭ ۋاقتىدا بولۇشىدىن رازىمۇسىز؟",
    },
    "options": _options(
        ("满意", "Satisfied", "رازى"),
        ("基本满意", "Basically satisfied", "ئاساسەن رازى"),
        ("不满意", "Dissatisfied", "رازى ئەمەس"),
    ),
}
SUGGESTION = {
    "kind": "text",
    "texts": {
        "zh_Hans_CN": "您还有什么意见建议？",
        "en": "Any other opinion or suggestion?",
        "ug": "باشقا پىكىر-تەكلىپىڭىز بارمۇ؟",
    },
    "options": [],
}
ANSWERS = (
    {"q1": "o1", "q2": ["o1", "o3"], "q3": "希望公开栏的内容更新得再快一些。"},
    {"q1": "o1", "q2": ["o3"]},
    {"q1": "o2", "q2": ["o1", "o4"], "q3": "建议在家长群同步公开内容。"},
    {"q1": "o1", "q2": ["o2"]},
    {"q1": "o3", "q2": ["o1"]},
)


def load() -> str:
    org = tenants.get_org(UNIT)
    if org is None:
        return ""
    has = db.session.scalar(
        select(func.count(Questionnaire.id)).where(Questionnaire.org_id == org.id)
    )
    if has:
        return "Demo questionnaires: already loaded."
    admin = tenants.get_user(f"{UNIT}-admin")
    today = operations.today(org)
    earlier = operations.create(
        org,
        {
            "titles": {"zh_Hans_CN": "2026年上半年党务公开满意度调查",
                       "en": "Disclosure satisfaction survey, first half of 2026",
                       "ug": "2026-يىلى يىل بېشىدىكى ئاشكارىلاشتىن رازى بولۇش ئەھۋالى تەكشۈرۈشى"},
            "intros": {"zh_Hans_CN": "感谢您抽出时间填写本调查表，所有答卷均匿名。"},
            "questions": [SATISFIED, CHANNELS, SUGGESTION],
        },
        actor=admin,
    )  # fmt: skip
    operations.open_questionnaire(
        earlier, opens_on=today, closes_on=today + timedelta(days=30), actor=admin
    )
    for n, answers in enumerate(ANSWERS):
        operations.answer(earlier, answers, address=f"demo-earlier-{n}")
    operations.close(earlier, actor=admin)
    operations.publish(earlier, actor=admin)
    current = operations.create(
        org,
        {
            "titles": {"zh_Hans_CN": "公开栏与家长会公开方式调查",
                       "en": "How should we disclose: notice board or parents' meetings?",
                       "ug": "ئاشكارىلاش ئۇسۇلى ھەققىدە تەكشۈرۈش"},
            "intros": {"zh_Hans_CN": "请选择您最常用的了解渠道，并提出建议。"},
            "questions": [CHANNELS, SATISFIED, SUGGESTION],
        },
        actor=admin,
    )  # fmt: skip
    operations.open_questionnaire(
        current, opens_on=today, closes_on=today + timedelta(days=21), actor=admin
    )
    for n, answers in enumerate(ANSWERS[:3]):
        swapped = {
            "q1": answers["q2"],
            "q2": answers["q1"],
            **({"q3": answers["q3"]} if "q3" in answers else {}),
        }
        operations.answer(current, swapped, address=f"demo-current-{n}")
    return "Demo questionnaires: one published with its results, one open."
