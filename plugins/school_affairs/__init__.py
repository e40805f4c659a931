"""School affairs disclosure (校务公开 / 园务公开) for the sectors ``school`` and ``kindergarten``.

* SCH-1: a school catalogue section (``catalogue_template_sections``) and the school channels
  (campus broadcast, school website, school periodicals: ``publication_channels``).
* SCH-2: the item type ``school_affairs.item`` with the date of the change; an item must be
  planned within ``school_affairs.proactive_days`` working days of it (``validate_item``) and a
  periodic job flags the items not published by then.
* SCH-3: the school type chooses the request deadline profile (15+15, 20+20 or the Party
  default), written into the organisation's ``request.*`` parameters.
* SCH-4: a major matter is approved only after a recorded deliberation of the school affairs
  committee or the staff congress (``workflow_guard``).
* SCH-5: joint items are listed on the plugin's page and, once published, delivered to the
  school affairs system by signed webhooks with retries (``workflow_transitioned``).
"""

from __future__ import annotations

from core.toolkit import (
    Problem,
    _,
    _l,
    define_param,
    hookimpl,
    may,
    register_action,
)
from plugins.school_affairs import catalogue
from plugins.school_affairs import operations as ops

DESCRIPTION = _l(
    "School affairs disclosure: the school catalogue and channels, deadlines, deliberation of "
    "major matters and the sync to a school affairs system."
)

define_param(
    "school_affairs.proactive_days",
    "int",
    20,
    _l("School affairs: publish within working days of a change"),
    rule="SCH-2",
    minimum=1,
    maximum=60,
)
register_action("school_affairs.view", {"admin", "editor", "reviewer"}, "unit")
register_action("school_affairs.deliberate", {"admin", "editor"}, "unit")
register_action("school_affairs.manage", {"admin"}, "unit")

SECTORS = ("school", "kindergarten")
CHANNELS = [
    {
        "code": "school_affairs_broadcast",
        "labels": {"zh_Hans_CN": "校园广播", "en": "Campus broadcast", "ug": "مەكتەپ رادىيوسى"},
        "audience": "society",
    },
    {
        "code": "school_affairs_website",
        "labels": {"zh_Hans_CN": "学校网站", "en": "School website", "ug": "مەكتەپ تور بېكىتى"},
        "audience": "both",
    },
    {
        "code": "school_affairs_periodical",
        "labels": {
            "zh_Hans_CN": "校刊校报",
            "en": "School periodicals",
            "ug": "مەكتەپ ژۇرنىلى ۋە گېزىتى",
        },
        "audience": "both",
    },
]
ITEM_TYPE = {
    "code": ops.ITEM_TYPE,
    "labels": {"zh_Hans_CN": "校务公开事项", "en": "School affairs item", "ug": "مەكتەپ ئىشلىرى"},
    "fields": [
        {
            "name": "changed_on",
            "labels": {
                "zh_Hans_CN": "事项变动日期",
                "en": "Date of the change",
                "ug": "ئۆزگەرگەن كۈن",
            },
            "type": "date",
            "required": True,
            "hints": {
                "zh_Hans_CN": "应在变动之日起规定的工作日内公开",
                "en": "Publish within the set working days of the change.",
            },
        },
        {
            "name": "major",
            "labels": {
                "zh_Hans_CN": "重大事项（须经校务委员会或教代会审议）",
                "en": "Major matter (deliberated by the committee or the staff congress)",
                "ug": "مۇھىم ئىش",
            },
            "type": "boolean",
        },
        {
            "name": "joint",
            "labels": {
                "zh_Hans_CN": "党务校务共同公开（同步至校务系统）",
                "en": "Joint Party and school affairs item (synchronised)",
                "ug": "ئورتاق ئاشكارىلاش",
            },
            "type": "boolean",
        },
    ],
}


@hookimpl
def sector_default_plugins(sector):
    return [ops.NAME] if sector in SECTORS else []


@hookimpl
def catalogue_template_sections(org):
    return [catalogue.section(org.sector == "kindergarten")]


@hookimpl
def publication_channels(org):
    return [dict(c) for c in CHANNELS]


@hookimpl
def item_types(org):
    return [ITEM_TYPE]


@hookimpl
def validate_item(org, item, data):
    if data.get("item_type") != ops.ITEM_TYPE:
        return []
    changed_on = (data.get("extra") or {}).get("changed_on")
    planned_at = data.get("planned_at")
    if not changed_on or planned_at is None:
        return []
    from datetime import date

    due = ops.due_on(org, date.fromisoformat(changed_on))
    if ops.local_date(planned_at) > due:
        days = ops.param_value(org, "school_affairs.proactive_days")
        # SCH-2: published within the working days of the change
        return [
            Problem(
                "planned_at",
                _l(
                    "a school affairs item is published within %(days)s working days of its "
                    "change, by %(due)s",
                    days=days,
                    due=due.isoformat(),
                ),
            )
        ]
    return []


@hookimpl
def workflow_guard(org, workflow, transition, obj, actor, inputs):
    if workflow != "item" or transition not in ("approve", "superior_approve"):
        return []
    if ops.is_major(obj) and not ops.deliberations(obj):
        # SCH-4: a major matter waits for its deliberation
        return [
            _l(
                "A major matter is approved only after the school affairs committee or the "
                "staff congress deliberated it: record the deliberation first."
            )
        ]
    return []


@hookimpl
def workflow_transitioned(org, workflow, transition, obj, actor):
    if workflow == "item" and transition == "publish" and ops.is_joint(obj):
        ops.queue_delivery(obj)


def flag_overdue(org):
    ops.flag_overdue(org)


@hookimpl
def periodic_jobs():
    return [{"name": "overdue", "interval": 3600, "func": flag_overdue}]


@hookimpl
def register_blueprints():
    from plugins.school_affairs.views import bp

    return [bp]


@hookimpl
def console_navigation(org, user):
    """The school's (a kindergarten's: 园务公开) disclosure pages, in the "sector" group."""
    if not may(user, "school_affairs.view", org):
        return []
    label = _("Kindergarten affairs") if org.sector == "kindergarten" else _("School affairs")
    return [{"group": "sector", "label": label, "endpoint": "school_affairs.index", "order": 20}]


@hookimpl
def demo_data():
    from plugins.school_affairs import demo

    return demo.load()


@hookimpl
def audit_labels():
    """The words for the plugin's audit codes (the platform's audit log)."""
    return {
        "actions": {
            "school_affairs.school_type": _l("School affairs: school type set"),
            "school_affairs.sync": _l("School affairs: synchronisation settings changed"),
            "school_affairs.overdue": _l("School affairs: item flagged as late"),
            "school_affairs.deliberation": _l("School affairs: deliberation recorded"),
            "school_affairs.delivery": _l("School affairs: item queued for the school system"),
            "school_affairs.delivery_attempt": _l("School affairs: delivery attempted"),
            "school_affairs.replay": _l("School affairs: delivery sent again"),
        },
        "objects": {"delivery": _l("Delivery to the school affairs system")},
    }
