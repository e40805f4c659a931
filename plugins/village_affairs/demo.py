"""The village affairs demo: a township committee under 洪江市委 with two villages.

Loaded by ``gongkai demo load`` after the core demos (hook ``demo_data``). It creates the township
``hongjiang-qiancheng-town`` (which enables the plugin, to see its villages' open queries and
complaints) and the villages ``hongjiang-qiancheng-village1`` and ``-village2`` (sector
``village``), each with the demo accounts ``<code>-admin``, ``-reviewer`` and ``-member``; the
villages' catalogues (approved by the township), their village committees, supervision committees
(the ``-member`` account chairs it) and two items each: one signed off and published, one
waiting for the sign-off. Running it again changes nothing.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from core.toolkit import (
    Item,
    User,
    catalogue_step,
    catalogue_version,
    create_item,
    create_organisation,
    create_user,
    get_org,
    grant_membership,
    item_step,
    session,
    start_catalogue_draft,
    utcnow,
)
from plugins.village_affairs import operations as ops

PARENT = "hongjiang"
TOWN = "hongjiang-qiancheng-town"
PASSWORD = "gongkai-demo"  # noqa: S105 - the documented demo password (tenants demo)
ROLES = {"admin": "管理员", "reviewer": "审核人", "member": "党员"}
VILLAGES = [
    {
        "code": "hongjiang-qiancheng-village1",
        "zh": ("中共洪江市黔城镇东山村支部委员会", "东山村党支部"),
        "en": ("CPC Branch of Dongshan Village, Qiancheng Town", "Dongshan Village"),
        "many_transactions": True,
        "committee": [("王德顺", [("王小军", "child"), ("李桂兰", "spouse")]), ("刘长青", [])],
        "supervisors": ["杨守信", "陈玉梅"],
        "secretary": ("王德顺", "村党支部书记、村委会主任"),
        "group": [("刘长青", "村党支部委员"), ("杨守信", "村务监督委员会主任")],
        "liaison": ("李秀梅", "村文书"),
    },
    {
        "code": "hongjiang-qiancheng-village2",
        "zh": ("中共洪江市黔城镇西溪村支部委员会", "西溪村党支部"),
        "en": ("CPC Branch of Xixi Village, Qiancheng Town", "Xixi Village"),
        "many_transactions": False,
        "committee": [("张光明", [("张光辉", "sibling")])],
        "supervisors": ["周正平", "吴秀英"],
        "secretary": ("张光明", "村党支部书记"),
        "group": [("吴秀英", "村党支部委员"), ("周正平", "村务监督委员会主任")],
        "liaison": ("向小燕", "村文书"),
    },
]
ITEMS = [
    ("2026年第三季度村级重要工作进展", "村道硬化两公里已完工，村民代表会议验收通过。", True),
    ("2026年第三季度惠农补贴发放情况", "耕地地力保护补贴已发放到户，明细见公开栏。", False),
]


def _names(zh, en):
    return {
        "zh_Hans_CN": {"full": zh[0], "short": zh[1]},
        "en": {"full": en[0], "short": en[1]},
    }


def _person(name, post):
    return {"name": name, "post": post}


def _village_group(spec) -> dict:
    """The village's disclosure leading group (ORG-2): the branch secretary leads it."""
    return {
        "leader": _person(*spec["secretary"]),
        "members": [_person(*p) for p in spec["group"]],
        "office": "村党务村务公开工作小组",
        "office_director": _person(spec["liaison"][0], spec["liaison"][1] + "，兼"),
        "liaison": _person(*spec["liaison"]),
    }


TOWN_GROUP = {
    "leader": _person("龙建华", "镇党委书记"),
    "deputies": [_person("蒲志刚", "镇党委副书记、镇长")],
    "members": [_person("杨丽萍", "镇党委组织委员"), _person("舒国平", "镇纪委书记")],
    "office": "镇党政办公室",
    "office_director": _person("杨丽萍", "镇党委组织委员，兼"),
    "liaison": _person("田晓红", "镇党政办干部"),
}


def _org(code, parent, **fields):
    org = get_org(code)
    if org is None:
        org = create_organisation(code, parent=parent, source="demo", **fields)
        return org, True
    return org, False


def _accounts(org) -> dict:
    accounts = {}
    for role, label in ROLES.items():
        username = f"{org.code}-{role}"
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            user = create_user(
                username,
                password=PASSWORD,
                display_name=f"{org.name('zh_Hans_CN', 'short')}{label}",
            )
        grant_membership(user, org, role)
        accounts[role] = user
    return accounts


def _catalogue(village, accounts, town_reviewer) -> None:
    if catalogue_version(village) is not None or catalogue_version(village, "open") is not None:
        return
    draft = start_catalogue_draft(village, actor=accounts["admin"])
    catalogue_step(draft, "submit", actor=accounts["admin"])
    catalogue_step(draft, "approve", actor=town_reviewer)


def _items(village, accounts) -> int:
    if session.scalar(select(func.count()).where(Item.org_id == village.id)):
        return 0
    now = utcnow()
    for title, body, signed in ITEMS:
        item = create_item(
            village,
            {
                "titles": {"zh_Hans_CN": title},
                "bodies": {"zh_Hans_CN": body},
                "entry_key": "village.general.work",
                "scope": "public",
                "channels": ["village_affairs_board", "notice_board"],
                "planned_at": now - timedelta(minutes=5),
                "decision_date": now.date(),
            },
            actor=accounts["admin"],
        )
        item_step(item, "propose", actor=accounts["admin"])
        item_step(
            item, "review", actor=accounts["reviewer"], secrecy_passed=True,
            secrecy_basis="《中国共产党党务公开条例（试行）》第十条", necessity_ok=True,
            accuracy_ok=True,
        )  # fmt: skip
        item_step(item, "approve", actor=accounts["admin"])
        if signed:
            ops.sign(item, actor=accounts["member"], opinion="经审核，同意公开。")
            item_step(item, "schedule", actor=accounts["admin"])
            item_step(item, "publish")
    return len(ITEMS)


def load() -> str:
    county = get_org(PARENT)
    if county is None:
        return f"village_affairs demo: {PARENT} is missing; load the tenants demo first."
    created = 0
    town, new = _org(
        TOWN, county, type_code="party_committee", sector="agency",
        names=_names(("中共洪江市黔城镇委员会", "黔城镇党委"),
                     ("CPC Qiancheng Town Committee", "Qiancheng Town Committee")),
        plugin_settings={"enabled": ["village_affairs"]}, leading_group=TOWN_GROUP,
    )  # fmt: skip
    created += new
    town_accounts = _accounts(town)
    new_items = 0
    for spec in VILLAGES:
        village, new = _org(
            spec["code"], town, type_code="branch", sector="village",
            names=_names(spec["zh"], spec["en"]),
            plugin_settings={"village_affairs": {"many_transactions": spec["many_transactions"]}},
            leading_group=_village_group(spec),
        )  # fmt: skip
        created += new
        accounts = _accounts(village)
        if not ops.committee_members(village):
            for name, relatives in spec["committee"]:
                member = ops.add_committee_member(village, name, actor=accounts["admin"])
                for relative, relation in relatives:
                    ops.declare_relative(member, relative, relation, actor=accounts["admin"])
        if not ops.supervisors(village):
            chair, *others = spec["supervisors"]
            ops.add_supervisor(
                village, chair, role="chair", user=accounts["member"], actor=accounts["admin"]
            )
            for name in others:
                ops.add_supervisor(village, name, actor=accounts["admin"])
        _catalogue(village, accounts, town_accounts["reviewer"])
        new_items += _items(village, accounts)
    return (
        f"Village affairs: {created} organisations created under {PARENT}; "
        f"{new_items} village items."
    )
