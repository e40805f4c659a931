"""The school affairs catalogue (校务公开目录, SCH-1): level-1 and level-2 items with their
elements, basis, deadline, owner, channels, audience and mode.

The catalogue's entry fields carry what they can (level-2 item → title, elements → content,
deadline → ``due_days``, owner → ``responsible``, channels, audience → scope: society → public,
specific → specific); the basis and the mode are written into the content and kept here for the
plugin's catalogue page.
"""

from __future__ import annotations

SECTION_KEY = "school_affairs"

# level-1 items: key → titles
LEVEL1 = {
    "governance": {"zh_Hans_CN": "学校管理", "en": "School governance", "ug": "مەكتەپ باشقۇرۇشى"},
    "finance": {"zh_Hans_CN": "财务与收费", "en": "Finance and fees", "ug": "مالىيە ۋە ھەق"},
    "staff": {"zh_Hans_CN": "教职工事务", "en": "Staff affairs", "ug": "خىزمەتچىلەر ئىشلىرى"},
}

ROWS = [
    {
        "key": "school_affairs.plan",
        "level1": "governance",
        "titles": {
            "zh_Hans_CN": "学校发展规划和年度工作计划",
            "en": "Development plan and annual work plan",
        },
        "elements": {"zh_Hans_CN": "发展目标、年度重点工作、完成情况"},
        "basis": "《学校信息公开办法》第七条",
        "due_days": 20,
        "owner": "校长办公室",
        "channels": ["school_affairs_website", "notice_board"],
        "audience": "society",
        "mode": "proactive",
    },
    {
        "key": "school_affairs.fees",
        "level1": "finance",
        "titles": {"zh_Hans_CN": "收费项目、依据和标准", "en": "Fees: items, basis and rates"},
        "elements": {"zh_Hans_CN": "收费项目、收费依据、收费标准、投诉电话"},
        "basis": "《教育收费公示制度》",
        "due_days": 20,
        "owner": "财务室",
        "channels": ["school_affairs_website", "school_affairs_broadcast", "notice_board"],
        "audience": "society",
        "mode": "proactive",
    },
    {
        "key": "school_affairs.budget",
        "level1": "finance",
        "titles": {"zh_Hans_CN": "年度经费预决算", "en": "Annual budget and accounts"},
        "elements": {"zh_Hans_CN": "经费来源、支出结构、重大支出项目"},
        "basis": "《学校信息公开办法》第七条",
        "due_days": 20,
        "owner": "财务室",
        "channels": ["school_affairs_website", "school_affairs_periodical"],
        "audience": "society",
        "mode": "proactive",
    },
    {
        "key": "school_affairs.appraisal",
        "level1": "staff",
        "titles": {
            "zh_Hans_CN": "教职工考核、评优和职称评聘",
            "en": "Staff appraisal, awards and titles",
        },
        "elements": {"zh_Hans_CN": "评审办法、评审程序、拟推荐人选"},
        "basis": "《学校教职工代表大会规定》第七条",
        "due_days": 20,
        "owner": "人事处",
        "channels": ["notice_board", "school_affairs_periodical"],
        "audience": "specific",
        "mode": "proactive",
    },
    {
        "key": "school_affairs.records",
        "level1": "staff",
        "titles": {"zh_Hans_CN": "教职工个人相关信息", "en": "Information about individual staff"},
        "elements": {"zh_Hans_CN": "本人工资、考核结果等涉及个人的信息"},
        "basis": "《学校信息公开办法》第十条",
        "due_days": 15,
        "owner": "人事处",
        "channels": ["notice_board"],
        "audience": "specific",
        "mode": "on_request",
    },
]

MODE_TEXT = {"proactive": "主动公开", "on_request": "依申请公开"}
AUDIENCE_TEXT = {"society": "面向社会", "specific": "面向特定对象"}


def section(kindergarten: bool) -> dict:
    """The catalogue section for ``catalogue_template_sections`` (one category per school)."""
    entries = []
    for row in ROWS:
        elements = row["elements"]["zh_Hans_CN"]
        content = (
            f"{LEVEL1[row['level1']]['zh_Hans_CN']}：{elements}。依据：{row['basis']}。"
            f"{AUDIENCE_TEXT[row['audience']]}，{MODE_TEXT[row['mode']]}。"
        )
        entries.append(
            {
                "key": row["key"],
                "titles": row["titles"],
                "content": {"zh_Hans_CN": content},
                "scope": "public" if row["audience"] == "society" else "specific",
                "channels": row["channels"],
                "cadence": "on_progress",
                "responsible": row["owner"],
                "due_days": row["due_days"],
                "item_type": "school_affairs.item",
            }
        )
    if kindergarten:
        titles = {
            "zh_Hans_CN": "园务公开",
            "en": "Kindergarten affairs",
            "ug": "يەسلى ئىشلىرى ئاشكارىلىقى",
        }
    else:
        titles = {
            "zh_Hans_CN": "校务公开",
            "en": "School affairs",
            "ug": "مەكتەپ ئىشلىرى ئاشكارىلىقى",
        }
    return {"key": SECTION_KEY, "titles": titles, "entries": entries}
