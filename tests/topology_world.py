"""The small world of the multi-process test (tests/test_topology.py), built in the database the
processes use: ``python -m tests.topology_world OUT.json`` with the processes' environment.

A county with a bureau and two units under an approved catalogue; each unit's people (with
e-mail addresses, so that their notifications are mailed); published public items and notices
in their period (reading, searching, objections); drafts that the load pushes through the
workflow, in the console (unit A) and through the API with tokens (unit B). The JSON written
describes it for the load (tests/topology_load.py).
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, date, datetime, timedelta

from tests.items_helpers import ENTRY, PUBLIC_ENTRY

PASSWORD = "topology-password-1"
UNITS = ("tp-unit-a", "tp-unit-b")
DRAFTS_PER_UNIT = 40


def _plan(title: str, *, public: bool = False, notice: bool = False) -> dict:
    now = datetime.now(UTC)
    data = {
        "titles": {"zh_Hans_CN": title},
        "bodies": {"zh_Hans_CN": f"{title}：按时缴纳党费，党务公开，接受党员和群众监督。"},
        "entry_key": "org.election" if public else "org.fees",
        "scope": "public" if public else "party_wide",
        "channels": ["notice_board", "website"] if public else ["meeting", "notice_board"],
        "planned_at": now - timedelta(minutes=1),
        "decision_date": date.today() - timedelta(days=2),
    }
    if notice:
        data.update(is_notice=True, notice_days=7)
    return data


def build() -> dict:
    from core import db
    from core.api import operations as tokens
    from core.catalogue import operations as cat
    from core.items import operations as items
    from core.notifications import operations as notifications
    from tenants import operations as tenants

    def org(code, parent=None, type_code="branch"):
        names = {"zh_Hans_CN": {"full": f"{code} 党组织", "short": code}}
        return tenants.create_organisation(code, parent=parent, type_code=type_code,
                                           sector="agency", names=names)  # fmt: skip

    def person(username, role, unit):
        user = tenants.create_user(
            username, password=PASSWORD, display_name=username,
            email=f"{username}@example.org", locale="zh_Hans_CN",
        )  # fmt: skip
        tenants.grant_membership(user, unit, role)
        return user

    county = org("tp-county", type_code="county_committee")
    bureau = org("tp-bureau", county, "party_committee")
    units = [org(code, bureau) for code in UNITS]
    county_admin = person("tp-county-admin", "admin", county)
    bureau_reviewer = person("tp-bureau-reviewer", "reviewer", bureau)
    template = cat.start_draft(county, "template", actor=county_admin)
    category = cat.add_category(template, key="org", titles={"zh_Hans_CN": "组织管理"})
    cat.add_entry(template, category, ENTRY, key="org.fees")
    cat.add_entry(template, category, PUBLIC_ENTRY, key="org.election")
    cat.transition(template, "publish", actor=county_admin)
    world: dict = {"password": PASSWORD, "units": {}}
    for unit in units:
        staff = {role: person(f"{unit.code}-{role}", role, unit)
                 for role in ("admin", "editor", "reviewer")}  # fmt: skip
        # the admins want each visitor's feedback by mail at once (a mail job per feedback)
        notifications.set_preferences(staff["admin"], {"feedback.received": "immediate"})
        draft = cat.start_draft(unit, actor=staff["admin"])
        cat.transition(draft, "submit", actor=staff["admin"])
        cat.transition(draft, "approve", actor=bureau_reviewer)

        def published(title, *, notice=False, unit=unit, staff=staff):
            item = items.create(unit, _plan(title, public=True, notice=notice),
                                actor=staff["editor"])  # fmt: skip
            items.propose(item, actor=staff["editor"])
            items.review(item, actor=staff["reviewer"], secrecy_passed=True,
                         secrecy_basis="《党务公开条例》第十条", necessity_ok=True,
                         accuracy_ok=True)  # fmt: skip
            items.approve(item, actor=staff["admin"])
            if item.state == "superior_review":
                items.superior_decide(item, actor=bureau_reviewer, approve=True)
            items.schedule_publication(item, actor=staff["editor"])
            items.publish(item)
            return item

        reading = [published(f"{unit.code} 换届选举结果公开第{n}号") for n in range(1, 4)]
        notices = [published(f"{unit.code} 党员发展公示第{n}号", notice=True) for n in (1, 2)]
        editor = staff["editor"]
        drafts = [
            items.create(unit, _plan(f"{unit.code} 第{n}季度党费收缴情况"), actor=editor).id
            for n in range(1, DRAFTS_PER_UNIT + 1)
        ]
        db.session.flush()
        world["units"][unit.code] = {
            "people": {role: user.username for role, user in staff.items()},
            "public_items": [i.id for i in reading],
            "notices": [i.id for i in notices],
            "drafts": drafts,
            "tokens": {
                role: tokens.create(user, scopes=["items:write"], name="topology")[1]
                for role, user in staff.items()
            },
        }
    db.session.commit()
    return world


def main(out: str) -> None:
    from core.app import create_app

    app = create_app()
    with app.app_context():
        world = build()
    with open(out, "w", encoding="utf-8") as f:
        json.dump(world, f, ensure_ascii=False, indent=1)


if __name__ == "__main__":
    main(sys.argv[1])
