"""Core behaviour that plugins may extend, registered as the default plugin ``core``.

Its implementations are ``trylast`` so a sector plugin's answers come first.
"""

from __future__ import annotations

from core.hookspecs import hookimpl

SECTORS = [
    ("agency", {"zh_Hans_CN": "机关", "en": "Government agency", "ug": "ئورگان"}),
    ("school", {"zh_Hans_CN": "学校", "en": "School", "ug": "مەكتەپ"}),
    ("kindergarten", {"zh_Hans_CN": "幼儿园", "en": "Kindergarten", "ug": "يەسلى"}),
    ("soe", {"zh_Hans_CN": "国有企业", "en": "State-owned enterprise", "ug": "دۆلەت كارخانىسى"}),
    (
        "public_institution",
        {"zh_Hans_CN": "事业单位", "en": "Public institution", "ug": "كەسپىي ئورۇن"},
    ),
    ("village", {"zh_Hans_CN": "村", "en": "Village", "ug": "كەنت"}),
    ("community", {"zh_Hans_CN": "社区", "en": "Community", "ug": "مەھەللە"}),
    ("enterprise", {"zh_Hans_CN": "非公企业", "en": "Private enterprise", "ug": "خۇسۇسىي كارخانا"}),
    (
        "social_organisation",
        {"zh_Hans_CN": "社会组织", "en": "Social organisation", "ug": "ئىجتىمائىي تەشكىلات"},
    ),
    ("retirees", {"zh_Hans_CN": "离退休", "en": "Retirees", "ug": "پىنسىيەگە چىققانلار"}),
]


@hookimpl(trylast=True)
def register_sectors():
    return [{"code": code, "labels": labels} for code, labels in SECTORS]


@hookimpl(trylast=True)
def sector_default_plugins(sector):
    return []


@hookimpl(trylast=True)
def signin_provider_kinds():
    from core.sso.providers import OidcProvider

    return {"oidc": OidcProvider}


@hookimpl(trylast=True)
def notification_channels(org):
    from core.notifications.channels import CORE

    return list(CORE)


CORE_METRICS = [
    (
        "timeliness",
        {"zh_Hans_CN": "公开及时率", "en": "Timeliness", "ug": "ۋاقتىدا ئاشكارىلاش نىسبىتى"},
        {
            "zh_Hans_CN": "公开目录中本年度到期的应公开事项按时公开的比例",
            "en": "Of the catalogue's disclosures due in the year, the share made on time",
            "ug": "يىللىق مۇندەرىجىدىكى مۇددىتى توشقان ئاشكارىلاشلارنىڭ ۋاقتىدا قىلىنغان نىسبىتى",
        },
    ),
    (
        "coverage",
        {"zh_Hans_CN": "公开率", "en": "Coverage", "ug": "ئاشكارىلاش نىسبىتى"},
        {
            "zh_Hans_CN": "公开目录中本年度到期的应公开事项已公开的比例",
            "en": "Of the catalogue's disclosures due in the year, the share made at all",
            "ug": "يىللىق مۇندەرىجىدىكى مۇددىتى توشقان ئاشكارىلاشلارنىڭ قىلىنغان نىسبىتى",
        },
    ),
    (
        "feedback_handling",
        {
            "zh_Hans_CN": "意见建议办理及时率",
            "en": "Feedback handling",
            "ug": "پىكىر-تەكلىپ بىر تەرەپ قىلىش",
        },
        {
            "zh_Hans_CN": "本年度应答复的意见建议按期答复的比例",
            "en": "Of the feedback due to be answered in the year, the share answered on time",
            "ug": "يىل ئىچىدە جاۋاب بېرىلىدىغان پىكىرلەرنىڭ ۋاقتىدا جاۋاب بېرىلگەن نىسبىتى",
        },
    ),
    (
        "request_handling",
        {
            "zh_Hans_CN": "依申请公开办理及时率",
            "en": "Request handling",
            "ug": "ئىلتىماسنى بىر تەرەپ قىلىش",
        },
        {
            "zh_Hans_CN": "本年度到期的依申请公开事项按期答复的比例",
            "en": "Of the disclosure requests due in the year, the share decided by their deadline",
            "ug": "يىل ئىچىدە مۇددىتى توشقان ئىلتىماسلارنىڭ ۋاقتىدا قارار چىقىرىلغان نىسبىتى",
        },
    ),
    (
        "satisfaction",
        {
            "zh_Hans_CN": "党员评议满意率",
            "en": "Member evaluation satisfaction",
            "ug": "ئەزالار باھالاش رازىلىق نىسبىتى",
        },
        {
            "zh_Hans_CN": "本年度最近一次党员评议中“满意”和“基本满意”的比例",
            "en": "In the unit's latest member evaluation of the year, the share satisfied",
            "ug": "يىللىق ئەڭ كېيىنكى باھالاشتا رازى ۋە ئاساسەن رازى بولغانلار نىسبىتى",
        },
    ),
]
"""Core's assessment metrics (SUP-3): code, labels, description; measured by
``core.assessments.metrics.<code>`` (named by path: this module imports no later package)."""


@hookimpl(trylast=True)
def assessment_metrics(org):
    return [
        {
            "code": code,
            "labels": labels,
            "description": description,
            "measure": f"core.assessments.metrics:{code}",
        }
        for code, labels, description in CORE_METRICS
    ]
