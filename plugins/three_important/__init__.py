"""三重一大 (three important matters and one large sum) for state-owned enterprises.

Enabled by default for the sector ``soe``. It adds the 三重一大 section to the catalogue
(SOE-1), records the meetings of the deciding bodies and their decisions item by item with the
quorum, voting and prior-study rules (SOE-3..SOE-6), emergency decisions with their later
ratification (SOE-7), the enterprise's item list with money thresholds (SOE-2), an item type whose
validation keeps items at or over a threshold tied to a decision taken in a meeting, and console
pages under ``/admin/o/<code>/three-important/``.
"""

from __future__ import annotations

from core.toolkit import _, _l, define_param, hookimpl, may, register_action

from .models import CATEGORY_LABELS  # (and the tables, for the migration branch)

DESCRIPTION = _l(
    "三重一大: meetings and decisions of state-owned enterprises, with quorum and threshold rules."
)

register_action(
    "three_important.view", {"admin", "editor", "reviewer", "supervisor"}, "unit_or_superior"
)
register_action("three_important.record", {"admin", "editor"}, "unit")
register_action("three_important.approve_list", {"reviewer"}, "superior")

define_param(
    "three_important.quorum",
    "int",
    50,
    _l("三重一大: a meeting needs more than this per cent of its members present"),
    rule="SOE-4",
    minimum=50,
    maximum=99,
)
define_param(
    "three_important.personnel_quorum",
    "int",
    66,
    _l("三重一大: personnel matters need more than this per cent of the members present"),
    rule="SOE-4",
    minimum=50,
    maximum=99,
)
define_param(
    "three_important.funds_threshold",
    "int",
    500000,
    _l("三重一大: default threshold of large-sum funds (yuan)"),
    rule="SOE-2",
    minimum=1,
)
define_param(
    "three_important.project_threshold",
    "int",
    1000000,
    _l("三重一大: default threshold of major projects (yuan)"),
    rule="SOE-2",
    minimum=1,
)


@hookimpl
def sector_default_plugins(sector):
    if sector == "soe":
        return ["three_important"]
    return []


@hookimpl
def catalogue_template_sections(org):
    entries = []
    for code, labels in CATEGORY_LABELS.items():
        entries.append(
            {
                "key": f"three_important.{code}",
                "titles": labels,
                "content": {
                    "zh_Hans_CN": f"{labels['zh_Hans_CN']}事项的决策会议、表决结果和执行情况",
                    "en": f"{labels['en']}: the meeting, the vote and how it is carried out",
                },
                "scope": "unit",
                "channels": ["meeting", "notice_board"],
                "cadence": "immediate",
                "responsible": "党委办公室",
                "mandatory": True,
                "item_type": "three_important.decision",
            }
        )
    return [
        {
            "key": "three_important",
            "titles": {
                "zh_Hans_CN": "“三重一大”事项",
                "en": "Three important matters and one large sum",
            },
            "entries": entries,
        }
    ]


@hookimpl
def item_types(org):
    return [
        {
            "code": "three_important.decision",
            "labels": {"zh_Hans_CN": "“三重一大”决策", "en": "三重一大 decision"},
            "fields": [
                {
                    "name": "category",
                    "labels": {"zh_Hans_CN": "事项类别", "en": "Category"},
                    "type": "choice",
                    "required": True,
                    "choices": [{"code": c, "labels": lab} for c, lab in CATEGORY_LABELS.items()],
                },
                {
                    "name": "minutes_no",
                    "labels": {"zh_Hans_CN": "会议纪要编号", "en": "Minutes number"},
                    "type": "text",
                },
                {
                    "name": "amount",
                    "labels": {"zh_Hans_CN": "金额（元）", "en": "Amount (yuan)"},
                    "type": "decimal",
                },
                {
                    "name": "decision_id",
                    "labels": {"zh_Hans_CN": "决策编号", "en": "Decision number"},
                    "type": "integer",
                    "hints": {
                        "zh_Hans_CN": "金额达到标准的事项须关联会议决策",
                        "en": "An amount at or over the threshold needs the decision of a meeting",
                    },
                },
            ],
        }
    ]


@hookimpl
def validate_item(org, item, data):
    from .operations import item_problems, other_item_problems

    if data.get("item_type") != "three_important.decision":
        return other_item_problems(org, data)
    return item_problems(org, data)


def check_ratification(org):
    """The periodic job: flag emergency decisions not ratified at the next meeting (SOE-7)."""
    from .operations import flag_unratified

    flag_unratified(org)


@hookimpl
def report_sections(org, starts_on, ends_on):
    """The 三重一大 decisions of the period in the enterprise's half-year report (RPT-1)."""
    from .operations import report_section

    return [report_section(org, starts_on, ends_on)]


@hookimpl
def periodic_jobs():
    return [{"name": "ratification", "interval": 3600, "func": check_ratification}]


@hookimpl
def register_blueprints():
    from .views import bp

    return [bp]


@hookimpl
def console_navigation(org, user):
    """The meetings and decisions, and the item list, in the console's "sector" group."""
    if not may(user, "three_important.view", org):
        return []
    return [
        {"group": "sector", "label": _("三重一大 meetings and decisions"),
         "endpoint": "three_important.index", "order": 10},
        {"group": "sector", "label": _("三重一大 item list"),
         "endpoint": "three_important.lists", "order": 11},
    ]  # fmt: skip


@hookimpl
def demo_data():
    from . import demo

    return demo.load()


@hookimpl
def audit_labels():
    """The words for the plugin's audit codes (the platform's audit log)."""
    return {
        "actions": {
            "three_important.meeting": _l("三重一大: meeting recorded"),
            "three_important.decision": _l("三重一大: decision recorded"),
            "three_important.emergency": _l("三重一大: emergency decision recorded"),
            "three_important.ratify": _l("三重一大: emergency decision ratified"),
            "three_important.unratified": _l("三重一大: ratification overdue"),
            "three_important.list_draft": _l("三重一大: item list drafted"),
            "three_important.list_approve": _l("三重一大: item list approved"),
            "three_important.spawn": _l("三重一大: disclosure item made from a decision"),
        },
        "objects": {
            "three_important_meeting": _l("三重一大 meeting"),
            "three_important_decision": _l("三重一大 decision"),
            "three_important_item_list": _l("三重一大 item list"),
        },
    }
