"""Building blocks for item tests: a county with a catalogue and a unit with its people."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from core import db
from core.catalogue import operations as cat
from core.items import operations as items
from tenants import operations as tenants

ENTRY = {
    "titles": {"zh_Hans_CN": "党费收缴、使用和管理情况"},
    "content": {"zh_Hans_CN": "党费收缴标准、数额和使用情况"},
    "scope": "party_wide",
    "channels": ["meeting", "notice_board"],
    "cadence": "quarterly",
    "responsible": "组织委员",
}
PUBLIC_ENTRY = {
    **ENTRY,
    "titles": {"zh_Hans_CN": "换届选举情况"},
    "scope": "public",
    "channels": ["notice_board", "website"],
    "cadence": "immediate",
}


def user(username, *grants):
    u = tenants.create_user(username, password="long-enough-pw", display_name=username)
    for role, org in grants:
        tenants.grant_membership(u, org, role)
    return u


def build_world(make_org, *, template_extra=None) -> dict:
    """The items tests' world; ``template_extra(template)`` adds to the county's template
    before it is published (and so to the unit's catalogue)."""
    county = make_org("it-county", type_code="county_committee")
    bureau = make_org("it-bureau", parent=county, type_code="party_committee")
    unit = make_org("it-unit", parent=bureau)
    sibling = make_org("it-sibling", parent=bureau)
    child = make_org("it-child", parent=unit, type_code="party_group")
    other_county = make_org("it-other", type_code="county_committee")
    w = {
        "county": county,
        "bureau": bureau,
        "unit": unit,
        "sibling": sibling,
        "child": child,
        "other_county": other_county,
    }
    w["county_admin"] = user("it-county-admin", ("admin", county))
    w["bureau_reviewer"] = user("it-bureau-reviewer", ("reviewer", bureau))
    w["admin"] = user("it-admin", ("admin", unit))
    w["editor"] = user("it-editor", ("editor", unit))
    w["reviewer"] = user("it-reviewer", ("reviewer", unit))
    w["member"] = user("it-member", ("member", unit))
    w["child_member"] = user("it-child-member", ("member", child))
    w["sibling_member"] = user("it-sibling-member", ("member", sibling))
    w["bureau_member"] = user("it-bureau-member", ("member", bureau))
    w["other_member"] = user("it-other-member", ("member", other_county))
    template = cat.start_draft(county, "template", actor=w["county_admin"])
    category = cat.add_category(template, key="org", titles={"zh_Hans_CN": "组织管理"})
    cat.add_entry(template, category, ENTRY, key="org.fees")
    cat.add_entry(template, category, PUBLIC_ENTRY, key="org.election")
    if template_extra is not None:
        template_extra(template)
    cat.transition(template, "publish", actor=w["county_admin"])
    draft = cat.start_draft(unit, actor=w["admin"])
    cat.transition(draft, "submit", actor=w["admin"])
    cat.transition(draft, "approve", actor=w["bureau_reviewer"])
    db.session.commit()
    return w


def plan(**overrides) -> dict:
    now = datetime.now(UTC)
    data = {
        "titles": {"zh_Hans_CN": "2026年第一季度党费收缴情况", "en": "Party dues, Q1 2026"},
        "bodies": {
            "zh_Hans_CN": "本季度应缴党费 **1200** 元，实缴 1200 元。",
            "en": "Dues paid in full.",
        },
        "entry_key": "org.fees",
        "scope": "party_wide",
        "channels": ["meeting", "notice_board"],
        "planned_at": now - timedelta(minutes=1),
        "decision_date": date(2026, 3, 20),
    }
    data.update(overrides)
    return data


def through_review(w, item):
    items.propose(item, actor=w["editor"])
    items.review(
        item,
        actor=w["reviewer"],
        secrecy_passed=True,
        secrecy_basis="《党务公开条例》第十条",
        necessity_ok=True,
        accuracy_ok=True,
    )
    return item


def published(w, **overrides):
    item = items.create(w["unit"], plan(**overrides), actor=w["editor"])
    through_review(w, item)
    items.approve(item, actor=w["admin"])
    if item.state == "superior_review":
        items.superior_decide(item, actor=w["bureau_reviewer"], approve=True)
    items.schedule_publication(item, actor=w["editor"])
    items.publish(item)
    db.session.commit()
    return item


def sign_in(app, username, password="long-enough-pw"):
    """A fresh client signed in as ``username``, reading the pages in English."""
    from core.plugins.testing import csrf_token

    client = app.test_client()
    token = csrf_token(client)
    response = client.post(
        "/auth/login", data={"username": username, "password": password, "csrf_token": token}
    )
    assert response.status_code == 302, username
    client.get("/?lang=en")  # remembered in the lang cookie
    return client
