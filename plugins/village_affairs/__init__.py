"""Village affairs disclosure (村务公开): the built-in plugin of the sector ``village``.

* The village catalogue (general affairs, finances, major items and the archive categories of
  VIL-6) with its minimum cadences (VIL-1), checked when a catalogue is submitted.
* The village affairs supervision committee (村务监督委员会) with its membership rule (VIL-3),
  whose sign-off publication waits for (VIL-2).
* Villagers' queries and complaints listed for the township's supervisors (VIL-4).
* The village notice board (村务公开栏), the main channel, and its printable page (VIL-5).
"""

from __future__ import annotations

from core.toolkit import (
    Markup,
    Problem,
    _,
    _l,
    catalogue_tree,
    force_locale,
    hookimpl,
    may,
    register_action,
)
from plugins.village_affairs import models  # noqa: F401  (the plugin's tables)

DESCRIPTION = _l(
    "Village affairs disclosure: the village catalogue and its cadences, the supervision "
    "committee's sign-off, the notice board."
)

NAME = "village_affairs"
BOARD = "village_affairs_board"

register_action("village_affairs.view", {"admin", "editor", "reviewer", "supervisor"}, "unit")
register_action("village_affairs.manage", {"admin"}, "unit_or_superior")
register_action("village_affairs.supervise", {"admin", "reviewer", "supervisor"}, "unit")


def _entry(key, zh, en, cadence, content_zh, *, scope="public", mandatory=True):
    return {
        "key": key,
        "titles": {"zh_Hans_CN": zh, "en": en},
        "content": {"zh_Hans_CN": content_zh},
        "scope": scope,
        "channels": [BOARD, "notice_board"],
        "cadence": cadence,
        "responsible": "村务监督委员会",
        "mandatory": mandatory,
    }


SECTIONS = [
    {
        "key": "village_general",
        "titles": {"zh_Hans_CN": "村务一般事项", "en": "General village affairs"},
        "entries": [
            _entry(
                "village.general.work",
                "村级重要工作及进展",
                "Village work and its progress",
                "quarterly",
                "村两委年度工作目标和任务完成情况",
            ),
            _entry(
                "village.general.subsidies",
                "惠农补贴发放情况",
                "Farm subsidies paid",
                "quarterly",
                "各项惠农补贴的对象、标准和金额",
            ),
        ],
    },
    {
        "key": "village_finance",
        "titles": {"zh_Hans_CN": "村级财务", "en": "Village finances"},
        "entries": [
            _entry(
                "village.finance.accounts",
                "财务收支情况",
                "Income and expenditure",
                "quarterly",
                "村集体收入、支出明细",
            ),
        ],
    },
    {
        "key": "village_major",
        "titles": {"zh_Hans_CN": "重大事项", "en": "Major items"},
        "entries": [
            _entry(
                "village.major.projects",
                "村级工程项目",
                "Village building projects",
                "immediate",
                "项目立项、招投标、施工和验收",
            ),
            _entry(
                "village.major.collective",
                "集体资产资源处置",
                "Disposal of collective assets",
                "immediate",
                "集体资产资源的承包、租赁和出让",
            ),
        ],
    },
    {
        "key": "village_archive",
        "titles": {"zh_Hans_CN": "村级档案", "en": "Village archives"},
        "entries": [
            _entry(
                "village.archive.elections",
                "选举",
                "Elections",
                "immediate",
                "村民委员会选举的过程和结果",
            ),
            _entry(
                "village.archive.minutes",
                "会议记录",
                "Minutes",
                "quarterly",
                "村民会议和村民代表会议的决定",
            ),
            _entry(
                "village.archive.contracts",
                "合同",
                "Contracts",
                "immediate",
                "村集体签订的经济合同",
            ),
            _entry(
                "village.archive.accounts", "账目", "Accounts", "quarterly", "村级会计账簿和凭证"
            ),
            _entry("village.archive.assets", "资产", "Assets", "quarterly", "村集体资产台账"),
            _entry(
                "village.archive.land_use",
                "土地使用",
                "Land use",
                "immediate",
                "宅基地、承包地和集体建设用地的使用",
            ),
        ],
    },
]


@hookimpl
def sector_default_plugins(sector):
    return [NAME] if sector == "village" else []


@hookimpl
def catalogue_template_sections(org):
    from plugins.village_affairs import operations

    sections = []
    for section in SECTIONS:
        entries = []
        for entry in section["entries"]:
            entry = dict(entry)
            klass = operations.entry_class(section["key"], entry["key"], entry["key"])
            if klass == "finance" and operations.many_transactions(org):
                entry["cadence"] = "monthly"
            entries.append(entry)
        sections.append({**section, "entries": entries})
    return sections


@hookimpl
def publication_channels(org):
    return [
        {
            "code": BOARD,
            "labels": {
                "zh_Hans_CN": "村务公开栏",
                "en": "Village notice board",
                "ug": "كەنت ئېلان تاختىسى",
            },
            "audience": "both",
        }
    ]


@hookimpl
def validate_item(org, item, data):
    if (data.get("entry_key") or "").startswith("village.") and BOARD not in (
        data.get("channels") or []
    ):
        # VIL-5: the notice board is the main channel
        return [
            Problem(
                "channels", _l("the village notice board is the main channel of village affairs")
            )
        ]
    return []


@hookimpl
def workflow_guard(org, workflow, transition, obj, actor, inputs):
    from plugins.village_affairs import operations

    if workflow == "catalogue" and transition == "submit":
        return operations.cadence_problems(org, catalogue_tree(obj))
    if (
        workflow == "item"
        and transition in ("schedule", "publish")
        and operations.signoff(obj) is None
    ):
        # VIL-2: publication waits for the committee's sign-off
        return [_l("The village affairs supervision committee has not signed this version yet.")]
    return []


@hookimpl
def portal_panels(org, locale):
    from flask import url_for

    with force_locale(locale):
        link = url_for("village_affairs_portal.notice_board", org_code=org.code)
        html = Markup('<p><a class="village-notice-board" href="{}">{}</a></p>').format(
            link, _("The village notice board, ready to print")
        )
        return [{"title": _("Village notice board"), "html": html}]


@hookimpl
def register_blueprints():
    from plugins.village_affairs.views import console, portal

    return [console, portal]


@hookimpl
def console_navigation(org, user):
    """The village's supervision committee (its staff, and its supervisors: VIL-3), and the
    villagers' open queries for those who supervise the villages below."""
    from plugins.village_affairs import operations as ops

    links = []
    if may(user, "village_affairs.view", org) or ops.supervisor_of(org, user) is not None:
        links.append({"group": "sector", "label": _("Village affairs supervision"),
                      "endpoint": "village_affairs.index", "order": 30})  # fmt: skip
    if may(user, "village_affairs.supervise", org):
        links.append({"group": "supervision", "label": _("Villagers' open queries and complaints"),
                      "endpoint": "village_affairs.villages_feedback", "order": 70})  # fmt: skip
    return links


@hookimpl
def demo_data():
    from plugins.village_affairs import demo

    return demo.load()


@hookimpl
def audit_labels():
    """The words for the plugin's audit codes (the platform's audit log)."""
    return {
        "actions": {
            "village_affairs.committee.add": _l("Village affairs: committee member added"),
            "village_affairs.relative.declare": _l("Village affairs: close relative declared"),
            "village_affairs.supervisor.add": _l(
                "Village affairs: supervision committee member added"
            ),
            "village_affairs.supervisor.remove": _l(
                "Village affairs: supervision committee member removed"
            ),
            "village_affairs.supervisor.seat_ended": _l(
                "Village affairs: supervision committee seat ended"
            ),
            "village_affairs.signoff": _l("Village affairs: signed by the supervision committee"),
        },
        "objects": {
            "village_affairs_committee_member": _l("Village committee member"),
            "village_affairs_relative": _l("Close relative of a committee member"),
            "village_affairs_supervisor": _l("Supervision committee member"),
        },
    }
