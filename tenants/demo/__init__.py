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
        DEMO_FILE.read_text(encoding="utf-8"), sectors=sectors, themes=themes
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
    return (
        f"Demo counties: {len(report.created)} organisations created, "
        f"{len(report.updated)} updated, {len(report.unchanged)} unchanged; "
        f"{new_users} demo accounts created (password {DEMO_PASSWORD})."
    )
