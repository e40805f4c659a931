"""The village affairs plugin (村务公开): VIL-1 … VIL-6, for villages that enable it only."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from core import db
from core.audit import AuditEntry
from core.catalogue import operations as cat
from core.errors import UserError
from core.feedback import operations as feedback
from core.items import operations as items
from core.items.models import Item
from core.notifications import operations as notifications
from core.plugins.testing import csrf_token
from core.portal.board import build as board_of
from core.workflow.engine import TransitionRefused
from plugins.village_affairs import operations as va
from tenants.operations import get_org
from tests.items_helpers import ENTRY, PUBLIC_ENTRY, user

PW = "long-enough-pw"
ENABLED = {"enabled": ["village_affairs"]}


@pytest.fixture(autouse=True)
def _english(english):
    """The plugin's refusals that the assertions quote read in English: made outside a page,
    they read in the plugin's own catalog too (issue 11), Chinese by default."""


@pytest.fixture
def world(make_org):
    county = make_org("va-county", type_code="county_committee")
    town = make_org("va-town", parent=county, type_code="party_committee", plugin_settings=ENABLED)
    other_town = make_org(
        "va-town2", parent=county, type_code="party_committee", plugin_settings=ENABLED
    )
    w = {
        "county": county,
        "town": town,
        "other_town": other_town,
        "village": make_org("va-village", parent=town, sector="village"),
        "plain": make_org(
            "va-plain",
            parent=town,
            sector="village",
            plugin_settings={"disabled": ["village_affairs"]},
        ),
        "other_village": make_org("va-village2", parent=other_town, sector="village"),
    }
    w["county_admin"] = user("va-county-admin", ("admin", county))
    w["town_reviewer"] = user("va-town-reviewer", ("reviewer", town))
    w["other_reviewer"] = user("va-other-reviewer", ("reviewer", other_town))
    for key in ("village", "plain"):
        org = w[key]
        w[f"{key}_admin"] = user(f"{org.code}-admin", ("admin", org))
        w[f"{key}_editor"] = user(f"{org.code}-editor", ("editor", org))
        w[f"{key}_reviewer"] = user(f"{org.code}-reviewer", ("reviewer", org))
    w["signer"] = user("va-signer", ("member", w["village"]))
    template = cat.start_draft(county, "template", actor=w["county_admin"])
    category = cat.add_category(template, key="org", titles={"zh_Hans_CN": "组织管理"})
    cat.add_entry(template, category, ENTRY, key="org.fees")
    cat.add_entry(template, category, PUBLIC_ENTRY, key="org.election")
    cat.transition(template, "publish", actor=w["county_admin"])
    db.session.commit()
    return w


def approved_catalogue(w, key):
    draft = cat.start_draft(w[key], actor=w[f"{key}_admin"])
    cat.transition(draft, "submit", actor=w[f"{key}_admin"])
    cat.transition(draft, "approve", actor=w["town_reviewer"])
    db.session.commit()
    return draft


def entry(version, key):
    return next(e for e in cat.entries(version) if e.key == key)


# --- sector defaults and the catalogue (VIL-1, VIL-6) ----------------------------------------


def test_sector_village_enables_the_plugin(app, world):
    plugins = app.extensions["gongkai.plugins"]
    assert plugins.is_enabled(world["village"], "village_affairs")
    assert not plugins.is_enabled(world["plain"], "village_affairs")  # disabled in its settings
    assert not plugins.is_enabled(world["county"], "village_affairs")  # an agency


@pytest.mark.rule("VIL-6")
def test_village_catalogue_has_the_archive_categories(app, world):
    draft = cat.start_draft(world["village"], actor=world["village_admin"])
    keys = {c.key for c in cat.categories(draft)}
    assert {"village_general", "village_finance", "village_major", "village_archive"} <= keys
    entries = {e.key for e in cat.entries(draft)}
    for name in ("elections", "minutes", "contracts", "accounts", "assets", "land_use"):
        assert f"village.archive.{name}" in entries
    assert all(e.mandatory for e in cat.entries(draft) if e.key.startswith("village."))
    # a village that has not enabled the plugin gets the county's template only
    plain = cat.start_draft(world["plain"], actor=world["plain_admin"])
    assert {c.key for c in cat.categories(plain)} == {"org"}


@pytest.mark.rule("VIL-1")
@pytest.mark.parametrize(
    ("key", "cadence"),
    [
        ("village.general.work", "half_yearly"),
        ("village.major.projects", "monthly"),
        ("village.archive.elections", "quarterly"),
        ("village.archive.assets", "yearly"),
    ],
)
def test_submission_refuses_cadences_below_the_minimum(app, world, key, cadence):
    draft = cat.start_draft(world["village"], actor=world["village_admin"])
    cat.update_entry(entry(draft, key), {"cadence": cadence}, actor=world["village_admin"])
    with pytest.raises(TransitionRefused) as refused:
        cat.transition(draft, "submit", actor=world["village_admin"])
    assert any(key in p and "less often than" in p for p in refused.value.problems)
    assert draft.state == "draft"


@pytest.mark.rule("VIL-1")
def test_finance_monthly_where_transactions_are_many(app, world, make_org, english):
    # quarterly finances pass where transactions are few ...
    draft = cat.start_draft(world["village"], actor=world["village_admin"])
    assert entry(draft, "village.finance.accounts").cadence == "quarterly"
    cat.transition(draft, "submit", actor=world["village_admin"])
    assert draft.state == "submitted"
    # ... and not where the plugin setting says they are many
    busy = make_org(
        "va-busy",
        parent=world["town"],
        sector="village",
        plugin_settings={"village_affairs": {"many_transactions": True}},
    )
    admin = user("va-busy-admin", ("admin", busy))
    draft = cat.start_draft(busy, actor=admin)
    accounts = entry(draft, "village.finance.accounts")
    assert accounts.cadence == "monthly"  # the section proposes the minimum
    cat.update_entry(accounts, {"cadence": "quarterly"}, actor=admin)
    with pytest.raises(TransitionRefused, match="refused") as refused:
        cat.transition(draft, "submit", actor=admin)
    assert any("village.finance.accounts" in p for p in refused.value.problems)
    cat.update_entry(accounts, {"cadence": "monthly"}, actor=admin)
    cat.transition(draft, "submit", actor=admin)
    assert draft.state == "submitted"


@pytest.mark.rule("VIL-1")
def test_cadence_minimum_applies_to_entries_a_village_adds(app, world):
    draft = cat.start_draft(world["village"], actor=world["village_admin"])
    general = next(c for c in cat.categories(draft) if c.key == "village_general")
    own = cat.add_entry(draft, general, {**PUBLIC_ENTRY, "cadence": "yearly"}, key="own.roads")
    with pytest.raises(TransitionRefused):
        cat.transition(draft, "submit", actor=world["village_admin"])
    cat.update_entry(own, {"cadence": "quarterly"}, actor=world["village_admin"])
    cat.transition(draft, "submit", actor=world["village_admin"])
    assert draft.state == "submitted"


def test_no_cadence_rule_without_the_plugin(app, world):
    draft = cat.start_draft(world["plain"], actor=world["plain_admin"])
    cat.update_entry(entry(draft, "org.election"), {"cadence": "yearly"})
    cat.transition(draft, "submit", actor=world["plain_admin"])
    assert draft.state == "submitted"


# --- the supervision committee and its membership rule (VIL-3) ------------------------------


@pytest.mark.rule("VIL-3")
def test_village_committee_members_and_relatives_cannot_supervise(app, world):
    village, admin = world["village"], world["village_admin"]
    head = va.add_committee_member(village, "王村长", actor=admin)
    va.declare_relative(head, "王小明", "child", actor=admin)
    va.declare_relative(head, "李秀兰", "spouse", actor=admin)
    for name in ("王村长", "王小明", "李秀兰"):
        with pytest.raises(UserError) as refused:
            va.add_supervisor(village, name, actor=admin)
        assert f"{name} is a" in str(refused.value.problems[0])
        assert "village committee member" in str(refused.value.problems[0])
    chair = va.add_supervisor(village, "赵监督", role="chair", actor=admin)
    assert [s.name for s in va.supervisors(village)] == [chair.name]
    # and the other way round: a supervisor cannot join the village committee
    with pytest.raises(UserError, match="supervision committee"):
        va.add_committee_member(village, "赵监督", actor=admin)


@pytest.mark.rule("VIL-3")
def test_a_committee_members_user_account_cannot_supervise_under_another_name(app, world):
    village, admin = world["village"], world["village_admin"]
    va.add_committee_member(village, "王村长", user=world["village_editor"], actor=admin)
    with pytest.raises(UserError):
        va.add_supervisor(village, "王某", user=world["village_editor"], actor=admin)


@pytest.mark.rule("VIL-3")
def test_console_refuses_a_relative_on_the_supervision_committee(app, world, client, login):
    village, admin = world["village"], world["village_admin"]
    head = va.add_committee_member(village, "王村长", actor=admin)
    va.declare_relative(head, "王大哥", "sibling", actor=admin)
    db.session.commit()
    login(admin.username, PW)
    page = "/admin/o/va-village/village_affairs/"
    token = csrf_token(client, page)
    resp = client.post(
        page + "supervisors",
        data={"name": "王大哥", "role": "member", "csrf_token": token},
        follow_redirects=True,
    )
    text = resp.get_data(as_text=True)  # in words, without the rule's id (issue 11)
    assert "王大哥 是村民委员会成员 王村长 的近亲属" in text and "VIL-3" not in text
    assert va.supervisors(village) == []
    client.post(page + "supervisors", data={"name": "钱监督", "role": "chair", "csrf_token": token})
    assert [s.name for s in va.supervisors(village)] == ["钱监督"]


def seat_ended_notes():
    from core.notifications.models import Notification

    return db.session.scalars(
        select(Notification)
        .where(Notification.kind == "village_affairs.seat_ended")
        .order_by(Notification.user_id)
    ).all()


@pytest.mark.rule("VIL-3")
def test_declaring_a_supervisor_as_a_committee_members_relative_ends_the_seat(app, world):
    village, admin = world["village"], world["village_admin"]
    second_admin = user("va-village-admin2", ("admin", village))
    head = va.add_committee_member(village, "王村长", actor=admin)
    seat = va.add_supervisor(village, "李秀兰", role="chair", user=world["signer"], actor=admin)
    va.add_supervisor(village, "赵监督", actor=admin)
    db.session.commit()
    # unconfirmed, the declaration is refused and nothing changes
    with pytest.raises(UserError) as refused:
        va.declare_relative(head, "李秀兰", "spouse", actor=admin)
    assert "sits on the village affairs supervision committee" in str(refused.value.problems[0])
    assert va.relatives(village) == []
    assert [s.name for s in va.supervisors(village)] == ["李秀兰", "赵监督"]
    assert seat_ended_notes() == []
    # confirmed: the relative is on record and the seat ends with its reason
    va.declare_relative(head, " 李秀兰 ", "spouse", actor=admin, end_seat=True)
    db.session.commit()
    assert [(r.name, r.relation) for r in va.relatives(village)] == [("李秀兰", "spouse")]
    assert [s.name for s in va.supervisors(village)] == ["赵监督"]
    (ended,) = va.former_supervisors(village)
    assert ended.id == seat.id and ended.ended_at is not None
    assert ended.end_reason == "relative_of_committee_member"
    assert ended.end_detail == {"member": "王村长", "relation": "spouse"}
    assert va.supervisor_of(village, world["signer"]) is None  # signs no more
    (logged,) = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "village_affairs.supervisor.seat_ended")
    ).all()
    assert logged.changes["reason"] == [None, "relative_of_committee_member"]
    assert logged.actor_id == admin.id
    # the person and the village's other admins are told, in their language
    notes = seat_ended_notes()
    assert sorted(n.user_id for n in notes) == sorted([world["signer"].id, second_admin.id])
    with app.test_request_context():
        title, body = notifications.render(notes[0], "zh_Hans_CN")
        assert title.startswith("李秀兰 不再担任") and "（配偶）" in body
        title, body = notifications.render(notes[0], "en")
        assert title.startswith("李秀兰 no longer sits") and "(Spouse)" in body
    # and the relative is not seated again
    with pytest.raises(UserError):
        va.add_supervisor(village, "李秀兰", actor=admin)


@pytest.mark.rule("VIL-3")
def test_console_asks_before_a_declaration_ends_a_seat(app, world, client, login):
    village, admin = world["village"], world["village_admin"]
    head = va.add_committee_member(village, "王村长", actor=admin)
    va.add_supervisor(village, "王小明", actor=admin)
    db.session.commit()
    login(admin.username, PW)
    page = "/admin/o/va-village/village_affairs/"
    token = csrf_token(client, page)
    form = {"member_id": str(head.id), "name": "王小明", "relation": "child", "csrf_token": token}
    asked = client.post(page + "relatives", data=form)
    text = asked.get_data(as_text=True)
    assert asked.status_code == 200
    assert "登记后其职务即行终止" in text and 'name="end_seat" value="1"' in text
    assert va.relatives(village) == [] and [s.name for s in va.supervisors(village)] == ["王小明"]
    done = client.post(page + "relatives", data={**form, "end_seat": "1"}, follow_redirects=True)
    text = done.get_data(as_text=True)
    assert "王小明 的村务监督委员会成员职务已终止" in text
    assert "已终止的职务" in text
    assert "终止：系村民委员会成员 王村长 的近亲属（子女）" in text and "VIL-3" not in text
    db.session.expire_all()
    assert va.supervisors(village) == [] and len(va.relatives(village)) == 1


# --- sign-off before publication (VIL-2) -----------------------------------------------------


def village_item(w, key="village"):
    now = datetime.now(UTC)
    item = items.create(
        w[key],
        {
            "titles": {"zh_Hans_CN": "2026年第一季度村务公开"},
            "bodies": {"zh_Hans_CN": "本季度修缮村道两公里。\n\n村民会议通过。"},
            "entry_key": "org.election",
            "scope": "public",
            "channels": ["notice_board", "website"],
            "planned_at": now - timedelta(minutes=1),
            "decision_date": date(2026, 3, 20),
        },
        actor=w[f"{key}_editor"],
    )
    items.propose(item, actor=w[f"{key}_editor"])
    items.review(
        item,
        actor=w[f"{key}_reviewer"],
        secrecy_passed=True,
        secrecy_basis="《条例》",
        necessity_ok=True,
        accuracy_ok=True,
    )
    items.approve(item, actor=w[f"{key}_admin"])
    return item


@pytest.mark.rule("VIL-2")
def test_publication_waits_for_the_supervision_committees_signature(app, world):
    approved_catalogue(world, "village")
    va.add_supervisor(
        world["village"], "赵监督", role="chair", user=world["signer"], actor=world["village_admin"]
    )
    item = village_item(world)
    with pytest.raises(TransitionRefused) as refused:
        items.schedule_publication(item, actor=world["village_editor"])
    assert any("has not signed this version" in str(p) for p in refused.value.problems)
    assert item.state == "approved"
    # an editor who is not on the committee cannot sign
    with pytest.raises(UserError):
        va.sign(item, actor=world["village_editor"])
    record = va.sign(item, actor=world["signer"], opinion="同意公开")
    assert record.signer_name == "赵监督"
    items.schedule_publication(item, actor=world["village_editor"])
    items.publish(item)
    assert item.state == "published"


@pytest.mark.rule("VIL-2")
def test_console_sign_off(app, world, client, login):
    approved_catalogue(world, "village")
    va.add_supervisor(
        world["village"], "赵监督", user=world["signer"], actor=world["village_admin"]
    )
    item = village_item(world)
    db.session.commit()
    login("va-signer", PW)
    page = "/admin/o/va-village/village_affairs/"
    text = client.get(page).get_data(as_text=True)
    assert "2026年第一季度村务公开" in text
    token = csrf_token(client, page)
    resp = client.post(f"{page}items/{item.id}/sign", data={"opinion": "同意", "csrf_token": token})
    assert resp.status_code == 302
    assert va.signoff(item).opinion == "同意"
    assert "2026年第一季度村务公开" not in client.get(page).get_data(as_text=True)


def test_console_sign_off_refused_to_a_non_member(app, world, client, login):
    approved_catalogue(world, "village")
    item = village_item(world)
    db.session.commit()
    login(world["village_editor"].username, PW)
    page = "/admin/o/va-village/village_affairs/"
    token = csrf_token(client, page)
    resp = client.post(f"{page}items/{item.id}/sign", data={"csrf_token": token})
    assert resp.status_code == 403
    assert va.signoff(item) is None


def test_no_sign_off_needed_without_the_plugin(app, world):
    approved_catalogue(world, "plain")
    item = village_item(world, "plain")
    items.schedule_publication(item, actor=world["plain_editor"])
    items.publish(item)
    assert item.state == "published"


# --- villagers' queries and complaints (VIL-4) -----------------------------------------------


@pytest.mark.rule("VIL-4")
def test_complaints_reach_the_township_supervisor_only(app, world, client, login):
    feedback.submit_online(world["village"], content="村道修缮款项去向不明，请核查。")
    feedback.submit_online(world["other_village"], content="另一个乡镇的投诉")
    db.session.commit()
    login("va-town-reviewer", PW)
    text = client.get("/admin/o/va-town/village_affairs/villages-feedback").get_data(as_text=True)
    assert "村道修缮款项去向不明" in text
    assert "另一个乡镇的投诉" not in text
    login("va-other-reviewer", PW)
    other = client.get("/admin/o/va-town2/village_affairs/villages-feedback")
    assert "另一个乡镇的投诉" in other.get_data(as_text=True)
    assert "村道修缮款项去向不明" not in other.get_data(as_text=True)
    # and not the first township's page
    assert client.get("/admin/o/va-town/village_affairs/villages-feedback").status_code == 403


@pytest.mark.rule("VIL-4")
def test_complaints_of_villages_without_the_plugin_are_not_listed(app, world):
    feedback.submit_online(world["plain"], content="未启用插件的村")
    assert va.open_feedback(world["town"]) == []


# --- the notice board (VIL-5) ----------------------------------------------------------------


@pytest.mark.rule("VIL-5")
def test_notice_board_is_the_main_channel_of_village_entries(app, world):
    draft = cat.start_draft(world["village"], actor=world["village_admin"])
    assert "village_affairs_board" in entry(draft, "village.general.work").channels
    labels = cat.channel_labels("zh_Hans_CN", world["village"])
    assert labels["village_affairs_board"] == "村务公开栏"
    assert "village_affairs_board" not in cat.channel_labels("zh_Hans_CN", world["plain"])


@pytest.mark.rule("VIL-5")
def test_village_item_without_the_notice_board_is_refused(app, world):
    approved_catalogue(world, "village")
    with pytest.raises(UserError) as refused:
        items.create(
            world["village"],
            {
                "titles": {"zh_Hans_CN": "工程项目"},
                "bodies": {"zh_Hans_CN": "正文"},
                "entry_key": "village.major.projects",
                "scope": "public",
                "channels": ["website"],
                "planned_at": datetime.now(UTC),
                "decision_date": date(2026, 3, 20),
            },
            actor=world["village_editor"],
        )
    assert any("main channel of village affairs" in str(p) for p in refused.value.problems)


@pytest.mark.rule("VIL-5")
def test_notice_board_page_shows_the_published_public_items(app, world, client):
    approved_catalogue(world, "village")
    va.add_supervisor(
        world["village"], "赵监督", user=world["signer"], actor=world["village_admin"]
    )
    item = village_item(world)
    va.sign(item, actor=world["signer"])
    items.schedule_publication(item, actor=world["village_editor"])
    items.publish(item)
    draft = village_item(world)
    draft.current_version.titles = {"zh_Hans_CN": "尚未公开的事项"}
    db.session.commit()
    resp = client.get("/o/va-village/village_affairs/notice-board")
    text = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "2026年第一季度村务公开" in text and "村民会议通过。" in text
    assert "尚未公开的事项" not in text
    # a public item still in its internal-first period is not on the board yet
    db.session.get(Item, item.id).visible_scope = "party_wide"
    db.session.commit()
    board = client.get("/o/va-village/village_affairs/notice-board").get_data(as_text=True)
    assert "2026年第一季度村务公开" not in board
    # a village that has not enabled the plugin has no such page
    assert client.get("/o/va-plain/village_affairs/notice-board").status_code == 404


def test_notice_board_translated(app, world, client):
    chinese = client.get("/o/va-village/village_affairs/notice-board?lang=zh_Hans_CN")
    assert "村务公开栏" in chinese.get_data(as_text=True)
    assert "公开栏暂无公开内容。" in chinese.get_data(as_text=True)
    uyghur = client.get("/o/va-village/village_affairs/notice-board?lang=ug")
    assert "كەنت ئېلان تاختىسى" in uyghur.get_data(as_text=True)
    english = client.get("/o/va-village/village_affairs/notice-board?lang=en")
    assert "Village notice board" in english.get_data(as_text=True)


def test_console_pages_need_a_role_in_the_village(app, world, client, login):
    anonymous = client.get("/admin/o/va-village/village_affairs/")
    assert anonymous.status_code == 302 and "/auth/login" in anonymous.location
    login("va-other-reviewer", PW)
    assert client.get("/admin/o/va-village/village_affairs/").status_code == 403


def test_demo_is_idempotent(app, make_org, client):
    from plugins.village_affairs import demo

    county = make_org("hongjiang", type_code="county_committee")
    admin = user("hj-admin", ("admin", county))
    template = cat.start_draft(county, "template", actor=admin)
    category = cat.add_category(template, key="org", titles={"zh_Hans_CN": "组织管理"})
    cat.add_entry(template, category, PUBLIC_ENTRY, key="org.election")
    cat.transition(template, "publish", actor=admin)
    first = demo.load()
    db.session.commit()
    assert "3 organisations created" in first and "4 village items" in first
    again = demo.load()
    db.session.commit()
    assert "0 organisations created" in again and "0 village items" in again
    village = get_org("hongjiang-qiancheng-village1")
    assert [s.role for s in va.supervisors(village)] == ["chair", "member"]
    assert len(board_of(village).items()) == 1 and len(va.awaiting_signoff(village)) == 1
    board = client.get("/o/hongjiang-qiancheng-village1/village_affairs/notice-board")
    assert "2026年第三季度村级重要工作进展" in board.get_data(as_text=True)


def test_console_refuses_objects_of_another_village(app, world, client, login, make_org):
    other = make_org("va-other-vil", parent=world["town"], sector="village")
    admin = world["village_admin"]
    stranger = va.add_committee_member(other, "外村村委", actor=admin)
    sup = va.add_supervisor(other, "外村监督", actor=admin)
    db.session.commit()
    login(admin.username, PW)
    page = "/admin/o/va-village/village_affairs/"
    token = csrf_token(client, page)
    declared = client.post(
        page + "relatives",
        data={"member_id": stranger.id, "name": "某人", "relation": "child", "csrf_token": token},
    )
    assert declared.status_code == 404
    removed = client.post(f"{page}supervisors/{sup.id}/remove", data={"csrf_token": token})
    assert removed.status_code == 404
    assert [s.name for s in va.supervisors(other)] == ["外村监督"]


def test_supervisor_account_must_belong_to_the_village(app, world):
    with pytest.raises(UserError, match="not a member"):
        va.add_supervisor(
            world["village"], "外人", user=world["other_reviewer"], actor=world["village_admin"]
        )


@pytest.mark.rule("VIL-5")
def test_portal_links_the_notice_board_where_enabled(app, world, client):
    html = client.get("/o/va-village/?lang=zh_Hans_CN").get_data(as_text=True)
    assert 'href="/o/va-village/village_affairs/notice-board"' in html
    assert "村务公开栏，可打印" in html
    plain = client.get("/o/va-plain/").get_data(as_text=True)
    assert "village_affairs/notice-board" not in plain
