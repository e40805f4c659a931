"""Demo data of the school affairs plugin: the school types of 喀什市第三幼儿园 and
衡东县教师进修学校 and a few school affairs items (drafts) of each. Running it again changes
nothing."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from core.toolkit import SYSTEM, Item, create_item, get_org, is_enabled, session, workday_today
from plugins.school_affairs import operations as ops

SCHOOLS = {
    "kashgar-kg3": "party",
    "hengdong-tts": "government",
}

ITEMS = [
    {
        "entry_key": "school_affairs.fees",
        "titles": {"zh_Hans_CN": "秋季学期保育教育费和住宿费标准"},
        "bodies": {"zh_Hans_CN": "按物价部门核定的标准收费，投诉电话见公开栏。"},
        "scope": "public",
        "channels": ["school_affairs_website", "school_affairs_broadcast"],
        "extra": {"joint": True},
        "days_ago": 3,
    },
    {
        "entry_key": "school_affairs.appraisal",
        "titles": {"zh_Hans_CN": "教职工年度考核和评优办法（修订）"},
        "bodies": {"zh_Hans_CN": "修订后的考核和评优办法，提交教职工代表大会审议。"},
        "scope": "specific",
        "channels": ["notice_board", "school_affairs_periodical"],
        "extra": {"major": True},
        "days_ago": 5,
    },
]


def load() -> str:
    made = kept = 0
    for code, school_type in SCHOOLS.items():
        org = get_org(code)
        if org is None or not is_enabled(org, ops.NAME):
            continue
        if ops.settings_of(org) is None:
            ops.set_school_type(org, school_type, actor=SYSTEM)
        exists = session.scalar(
            select(Item.id).where(Item.org_id == org.id, Item.item_type == ops.ITEM_TYPE).limit(1)
        )
        if exists is not None:
            kept += 1
            continue
        for spec in ITEMS:
            data = {k: v for k, v in spec.items() if k != "days_ago"}
            changed = workday_today() - timedelta(days=spec["days_ago"])
            data["extra"] = {**spec["extra"], "changed_on": changed.isoformat()}
            data["decision_date"] = changed
            create_item(org, data, actor=SYSTEM)
        made += 1
    session.flush()
    return f"school affairs: {made} schools with new items, {kept} kept"
