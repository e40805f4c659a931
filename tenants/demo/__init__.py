"""The demo: five hosted counties from the source plans, and their demo accounts.

Loaded by ``gongkai demo load`` only. Running it again changes nothing: organisations are
re-imported from ``counties.yaml`` (an unchanged import writes nothing) and existing demo
accounts keep their passwords.
"""

from __future__ import annotations

import functools
from pathlib import Path

from tenants import hierarchy, operations, provisioning

DEMO_FILE = Path(__file__).with_name("counties.yaml")
DEMO_PASSWORD = "gongkai-demo"  # noqa: S105 - the documented demo password
DEMO_ROLES = ("admin", "reviewer", "member")
ROLE_NAMES = {"admin": "管理员", "reviewer": "审核人", "member": "党员"}


@functools.cache
def _demo_password_hash() -> str:
    """One salted hash of the demo password for every demo account: hashing (scrypt, 0.1 s)
    once per account was a third of ``gongkai demo load``. They share the published password
    anyway; a real account's hash is its own."""
    return operations.hash_password(DEMO_PASSWORD)


def _ensure_user(username: str, display_name: str, **kwargs):
    user = operations.get_user(username)
    created = user is None
    if created:
        user = operations.create_user(username, display_name=display_name, **kwargs)
        user.password_hash = _demo_password_hash()
    return user, created


def load(*, sectors: set[str], themes: set[str]) -> str:
    report = provisioning.import_yaml(
        DEMO_FILE.read_text(encoding="utf-8"), sectors=sectors, themes=themes, source="demo"
    )
    _, admin_created = _ensure_user("platform-admin", "平台管理员", platform_admin=True)
    new_users = int(admin_created)
    codes = [o.code for root in hierarchy.roots() for o in hierarchy.subtree(root)]
    demo_codes = [
        c
        for c in codes
        if c in set(report.created + report.updated + report.unchanged + report.moved)
    ]
    for code in demo_codes:
        org = operations.get_org(code)
        for role in DEMO_ROLES:
            user, created = _ensure_user(
                f"{code}-{role}", f"{org.name('zh_Hans_CN', 'short')}{ROLE_NAMES[role]}"
            )
            new_users += int(created)
            operations.grant_membership(user, org, role)
    _leading_group_history()
    return (
        f"Demo counties: {len(report.created)} organisations created, "
        f"{len(report.updated)} updated, {len(report.unchanged)} unchanged; "
        f"{new_users} demo accounts created (password {DEMO_PASSWORD})."
    )


HISTORY_UNIT = "kashgar-kg3"
FIRST_GROUP = {
    "leader": {"name": "阿依古丽", "post": "支部书记、园长"},
    "deputies": [{"name": "王晓燕", "post": "副园长"}],
    "members": [
        {"name": "麦合木提", "post": "支部委员"},
        {"name": "刘芳", "post": "支部委员"},
        {"name": "古丽娜", "post": "教师代表"},
    ],
    "office": "园党务公开工作办公室",
    "office_director": {"name": "王晓燕", "post": "副园长，兼"},
    "office_members": [
        {"name": "刘芳", "post": "支部委员"},
        {"name": "热依拉", "post": "保教主任"},
    ],
    "liaison": {"name": "刘芳", "post": "支部委员"},
    "office_phone": "0998-0000003",
}


def _leading_group_history() -> None:
    """One unit whose leading group has a history (the file leaves its group out): set up in
    the demo (version 1), then its admin changed the liaison (version 2; version 1 stays
    readable in the console)."""
    org = operations.get_org(HISTORY_UNIT)
    if org is None or operations.latest_leading_group_number(org) != 0:
        return
    operations.set_leading_group(org, FIRST_GROUP, source="demo")
    operations.set_leading_group(
        org, {**FIRST_GROUP, "liaison": {"name": "热依拉", "post": "保教主任"}},
        actor=operations.get_user(f"{HISTORY_UNIT}-admin"), source="console",
        note="刘芳同志另有任用，联络员改由热依拉同志担任。",
    )  # fmt: skip
