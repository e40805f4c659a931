"""The data of the browser tests: the world of the items tests (tests.items_helpers) under the
names of the Kashgar demo, with public items and a notice in its period."""

from __future__ import annotations

from tests.items_helpers import build_world, plan, published

# Realistic names (those of the Kashgar demo) for the world of tests.items_helpers.
NAMES = {
    "it-county": {
        "zh_Hans_CN": {"full": "中共喀什市委员会", "short": "喀什市委"},
        "ug": {
            "full": "جۇڭگو كوممۇنىستىك پارتىيىسى قەشقەر شەھەرلىك كومىتېتى",
            "short": "قەشقەر شەھەرلىك پارتكوم",
        },
        "en": {"full": "CPC Kashgar City Committee", "short": "Kashgar City Committee"},
    },
    "it-bureau": {
        "zh_Hans_CN": {"full": "中共喀什市教育系统工作委员会", "short": "市教育系统工委"},
        "ug": {
            "full": "جۇڭگو كوممۇنىستىك پارتىيىسى قەشقەر شەھەرلىك مائارىپ سىستېمىسى خىزمەت كومىتېتى",
            "short": "مائارىپ خىزمەت كومىتېتى",
        },
        "en": {
            "full": "CPC Kashgar Education Working Committee",
            "short": "Education Working Committee",
        },
    },
    "it-unit": {
        "zh_Hans_CN": {"full": "喀什市第三幼儿园党支部", "short": "三幼党支部"},
        "ug": {
            "full": "قەشقەر شەھەرلىك 3-يەسلى پارتىيە ياچېيكىسى",
            "short": "3-يەسلى ياچېيكىسى",
        },
        "en": {
            "full": "Party Branch of Kashgar No. 3 Kindergarten",
            "short": "No. 3 Kindergarten Branch",
        },
    },
}
UNIT_DETAILS = {
    "contacts": {
        "hotline": "0998-0000003",
        "suggestion_box": "幼儿园大门左侧党务公开栏旁",
        "reception_day": "每月第一个星期三",
        "address": "喀什市（演示地址）第三幼儿园",
    },
    "leading_group": {
        "leader": "阿依古丽（支部书记、园长）",
        "deputies": ["王晓燕（副园长）"],
        "members": ["麦合木提（支部委员）", "刘芳（支部委员）"],
        "office": "园党务公开工作办公室",
        "liaison": "刘芳",
    },
}

PUBLIC = {"entry_key": "org.election", "scope": "public", "channels": ["notice_board", "website"]}
NOTICE_TITLE = "关于拟接收古丽娜同志为中共预备党员的公示"
DUES_TITLE = "2026年上半年党费收缴、使用和管理情况"
ELECTION_TITLE = "支部委员会换届选举结果公告"
INTERNAL_DUES_TITLE = "内部通报：党费补缴名单"  # party_wide: never shown to a visitor


def seed(make_org) -> dict[str, int]:
    """The world of the items tests, with public items and a notice in its period."""
    world = build_world(make_org)
    body = "本页面为浏览器测试数据。\n\n"
    notice = published(
        world,
        **PUBLIC,
        titles={"zh_Hans_CN": NOTICE_TITLE},
        bodies={
            "zh_Hans_CN": body + "经支部委员会研究，拟接收古丽娜同志为中共预备党员，现予公示。"
            "公示期间如有异议，可在本页提出。"
        },
        is_notice=True,
    )
    dues = published(
        world,
        **PUBLIC,
        titles={"zh_Hans_CN": DUES_TITLE},
        bodies={"zh_Hans_CN": body + "上半年应缴党费 **3600** 元，实缴 3600 元，全部按规定使用。"},
    )
    election = published(
        world,
        **PUBLIC,
        titles={"zh_Hans_CN": ELECTION_TITLE},
        bodies={"zh_Hans_CN": body + "支部党员大会选举产生新一届支部委员会。"},
    )
    internal = published(
        world,
        **plan(titles={"zh_Hans_CN": INTERNAL_DUES_TITLE}, bodies={"zh_Hans_CN": "党费补缴。"}),
    )
    return {"notice": notice.id, "dues": dues.id, "election": election.id, "internal": internal.id}


def fill_item_form(page, title: str, body: str, now) -> None:
    """Fill the console's new-item form for a public item of ``org.election`` planned a few
    minutes before ``now`` (the unit's local time), and send it."""
    from datetime import timedelta

    page.select_option("#entry_key", "org.election")
    page.fill("#title_zh_Hans_CN", title)
    page.fill("#body_zh_Hans_CN", body)
    page.select_option("#scope", "public")
    page.check("input[name=channels][value=website]")
    page.uncheck("#internal_first")
    page.fill("#decision_date", now.date().isoformat())
    page.fill("#planned_at", (now - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M"))
    page.locator("#save-item").click()
