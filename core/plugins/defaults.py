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
