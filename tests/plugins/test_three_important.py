"""三重一大 (plugin ``three_important``): meetings, decisions, thresholds, items (SOE-1..SOE-7)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from core.errors import UserError

MEMBERS = ["甲", "乙", "丙", "丁", "戊", "己"]  # 甲 chairs
T0 = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _english(english):
    """The plugin's refusals that the assertions quote read in English: made outside a page,
    they read in the plugin's own catalog too (issue 11), Chinese by default."""


@pytest.fixture
def w(make_org):
    from core import db
    from core.catalogue import operations as cat
    from tests.items_helpers import ENTRY, user

    county = make_org("ti-county", type_code="county_committee")
    farm = make_org("ti-farm", parent=county, sector="soe")
    off = make_org(
        "ti-off", parent=county, sector="soe", plugin_settings={"disabled": ["three_important"]}
    )
    agency = make_org("ti-agency", parent=county)
    world = {"county": county, "farm": farm, "off": off, "agency": agency}
    world["admin"] = user("ti-admin", ("admin", farm))
    world["editor"] = user("ti-editor", ("editor", farm))
    world["member"] = user("ti-member", ("member", farm))
    world["off_admin"] = user("ti-off-admin", ("admin", off))
    world["county_reviewer"] = user("ti-county-reviewer", ("reviewer", county))
    county_admin = user("ti-county-admin", ("admin", county))
    template = cat.start_draft(county, "template", actor=county_admin)
    category = cat.add_category(template, key="org", titles={"zh_Hans_CN": "组织管理"})
    cat.add_entry(template, category, ENTRY, key="org.fees")
    cat.transition(template, "publish", actor=county_admin)
    db.session.commit()
    return world


def meeting_data(**overrides):
    data = {
        "body": "party_committee",
        "meeting_type": "regular",
        "held_at": T0,
        "place": "场部会议室",
        "chair": "甲",
        "expected_members": MEMBERS,
        "present_members": MEMBERS[:5],
        "absentees": [{"name": "己", "reason": "出差"}],
        "attendees": ["纪委书记"],
        "note_taker": "办公室主任",
    }
    data.update(overrides)
    return data


def votes(*opinions, members=None):
    """Opinions in speaking order: the chair (甲) last."""
    members = members or ["乙", "丙", "丁", "戊", "甲"]
    return [{"member": m, "opinion": o, "text": ""} for m, o in zip(members, opinions, strict=True)]


def decision_data(**overrides):
    data = {
        "category": "large_funds",
        "title": "购置农机设备",
        "amount": "800000",
        "decision_text": "同意购置。",
        "opinions": votes("agree", "agree", "agree", "disagree", "agree"),
    }
    data.update(overrides)
    return data


def ops():
    from plugins.three_important import operations

    return operations


# --- enablement and the catalogue (SOE-1) -----------------------------------------------------
def test_soe_sector_enables_the_plugin_by_default(app, w):
    plugins = app.extensions["gongkai.plugins"]
    assert plugins.is_enabled(w["farm"], "three_important")
    assert not plugins.is_enabled(w["off"], "three_important")
    assert not plugins.is_enabled(w["agency"], "three_important")


@pytest.mark.rule("SOE-1")
def test_catalogue_gets_the_four_categories_where_enabled_only(w):
    from core.catalogue import operations as cat

    farm_draft = cat.start_draft(w["farm"], actor=w["admin"])
    off_draft = cat.start_draft(w["off"], actor=w["off_admin"])
    farm_entries = {e.key: e for e in cat.entries(farm_draft)}
    assert {
        "three_important.major_decision",
        "three_important.appointment",
        "three_important.major_project",
        "three_important.large_funds",
    } <= set(farm_entries)
    assert farm_entries["three_important.large_funds"].mandatory
    assert not any(e.key.startswith("three_important") for e in cat.entries(off_draft))


@pytest.mark.rule("SOE-1")
def test_a_decision_has_exactly_one_known_category(w):
    meeting = ops().record_meeting(w["farm"], meeting_data(), actor=w["editor"])
    with pytest.raises(UserError) as exc:
        ops().record_decision(meeting, decision_data(category="misc"), actor=w["editor"])
    assert any(p.startswith("category:") for p in exc.value.problems)


# --- meetings (SOE-3, SOE-4, SOE-6) -----------------------------------------------------------
@pytest.mark.rule("SOE-6")
def test_minutes_are_numbered_per_body_and_year(w):
    o = ops()
    a = o.record_meeting(w["farm"], meeting_data(), actor=w["editor"])
    b = o.record_meeting(w["farm"], meeting_data(held_at=T0 + timedelta(days=7)), actor=w["editor"])
    board = o.record_meeting(w["farm"], meeting_data(body="board"), actor=w["editor"])
    next_year = o.record_meeting(
        w["farm"], meeting_data(held_at=datetime(2027, 1, 5, 2, tzinfo=UTC)), actor=w["editor"]
    )
    assert [a.minutes_no, b.minutes_no, board.minutes_no, next_year.minutes_no] == [
        "party_committee-2026-001",
        "party_committee-2026-002",
        "board-2026-001",
        "party_committee-2027-001",
    ]
    assert a.absentees == [{"name": "己", "reason": "出差"}]
    assert a.attendees == ["纪委书记"] and a.note_taker == "办公室主任"


@pytest.mark.rule("SOE-6")
def test_every_absent_member_has_a_reason(w):
    with pytest.raises(UserError) as exc:
        ops().record_meeting(w["farm"], meeting_data(absentees=[]), actor=w["editor"])
    assert any(p.startswith("absentees:") for p in exc.value.problems)


@pytest.mark.rule("SOE-3")
@pytest.mark.parametrize("mode", ["circulation", "countersign", "one_by_one"])
def test_no_decision_by_circulation_countersigning_or_consultation(w, mode):
    with pytest.raises(UserError) as exc:
        ops().record_meeting(w["farm"], meeting_data(mode=mode), actor=w["editor"])
    assert any(p.startswith("mode:") for p in exc.value.problems)


@pytest.mark.rule("SOE-4")
def test_quorum_is_more_than_half_of_the_members(w):
    three = meeting_data(
        present_members=["甲", "乙", "丙"],
        absentees=[{"name": n, "reason": "病假"} for n in ("丁", "戊", "己")],
    )
    with pytest.raises(UserError) as exc:
        ops().record_meeting(w["farm"], three, actor=w["editor"])
    assert any("more than 50%" in p for p in exc.value.problems)
    four = meeting_data(
        present_members=["甲", "乙", "丙", "丁"],
        absentees=[{"name": n, "reason": "病假"} for n in ("戊", "己")],
    )
    assert ops().record_meeting(w["farm"], four, actor=w["editor"]).number == 1


@pytest.mark.rule("SOE-4")
def test_quorum_is_a_parameter(w):
    from core.params import operations as params

    params.set_value(w["farm"], "three_important.quorum", "70", actor=w["admin"])
    four = meeting_data(
        present_members=["甲", "乙", "丙", "丁"],
        absentees=[{"name": n, "reason": "病假"} for n in ("戊", "己")],
    )
    with pytest.raises(UserError):
        ops().record_meeting(w["farm"], four, actor=w["editor"])


@pytest.mark.rule("SOE-4")
def test_personnel_matters_need_two_thirds_present(w):
    o = ops()
    seven = [*MEMBERS, "庚"]
    four = o.record_meeting(
        w["farm"],
        meeting_data(
            expected_members=seven,
            present_members=["甲", "乙", "丙", "丁"],
            absentees=[{"name": n, "reason": "病假"} for n in ("戊", "己", "庚")],
        ),
        actor=w["editor"],
    )
    appointment = decision_data(
        category="appointment",
        amount=None,
        title="任命副场长",
        opinions=votes("agree", "agree", "agree", "agree", members=["乙", "丙", "丁", "甲"]),
    )
    with pytest.raises(UserError) as exc:
        o.record_decision(four, appointment, actor=w["editor"])  # 4 of 7 are not two-thirds
    assert any("personnel matter" in p for p in exc.value.problems)
    # four of seven present are a quorum for other matters (but 4 agreeing pass: 4 > 7/2)
    funds = {**appointment, "category": "large_funds", "amount": "600000"}
    assert o.record_decision(four, funds, actor=w["editor"]).passed
    five = o.record_meeting(
        w["farm"],
        meeting_data(
            expected_members=seven,
            absentees=[{"name": n, "reason": "病假"} for n in ("己", "庚")],
        ),
        actor=w["editor"],
    )
    appointment["opinions"] = votes("agree", "agree", "agree", "agree", "agree")
    assert o.record_decision(five, appointment, actor=w["editor"]).passed  # 5 of 7 present


@pytest.mark.rule("SOE-4")
@pytest.mark.parametrize(("present", "accepted"), [(33, False), (34, True)])
def test_personnel_quorum_at_its_edge_in_a_body_of_fifty(w, present, accepted):
    """More than ``three_important.personnel_quorum`` (66) per cent: 33 of 50 are 66 % exactly
    and not enough; 34 are."""
    o = ops()
    members = [f"成员{i:02d}" for i in range(1, 51)]  # 成员01 chairs
    here = members[:present]
    meeting = o.record_meeting(
        w["farm"],
        meeting_data(
            chair="成员01",
            expected_members=members,
            present_members=here,
            absentees=[{"name": n, "reason": "病假"} for n in members[present:]],
        ),
        actor=w["editor"],
    )
    appointment = decision_data(
        category="appointment",
        amount=None,
        title="任命副场长",
        opinions=[{"member": m, "opinion": "agree", "text": ""} for m in [*here[1:], here[0]]],
    )
    if accepted:
        assert o.record_decision(meeting, appointment, actor=w["editor"]).passed
    else:
        with pytest.raises(UserError) as exc:
            o.record_decision(meeting, appointment, actor=w["editor"])
        assert any("personnel matter" in p for p in exc.value.problems)


# --- votes (SOE-5) and prior study (SOE-3) ---------------------------------------------------
@pytest.mark.rule("SOE-5")
def test_a_matter_passes_with_more_than_half_of_the_expected_members(w):
    o = ops()
    meeting = o.record_meeting(w["farm"], meeting_data(), actor=w["editor"])
    # 3 of 5 present agree, but 3 is not more than half of the 6 expected members
    three = o.record_decision(
        meeting,
        decision_data(opinions=votes("agree", "disagree", "abstain", "agree", "agree")),
        actor=w["editor"],
    )
    four = o.record_decision(meeting, decision_data(title="第二项"), actor=w["editor"])
    assert (three.passed, three.dissent) == (False, True)
    assert (four.passed, four.seq) == (True, 2)  # voted item by item, in order


@pytest.mark.rule("SOE-5")
def test_the_chair_speaks_last_and_every_present_member_votes(w, english):
    o = ops()
    meeting = o.record_meeting(w["farm"], meeting_data(), actor=w["editor"])
    chair_first = votes(
        "agree", "agree", "agree", "agree", "agree", members=["甲", "乙", "丙", "丁", "戊"]
    )
    with pytest.raises(UserError) as exc:
        o.record_decision(meeting, decision_data(opinions=chair_first), actor=w["editor"])
    assert "opinions: The chair speaks last." in exc.value.problems
    missing = votes("agree", "agree", "agree", "agree", members=["乙", "丙", "丁", "甲"])
    with pytest.raises(UserError) as exc:
        o.record_decision(meeting, decision_data(opinions=missing), actor=w["editor"])
    assert "opinions: Every present member gives an opinion, once." in exc.value.problems


@pytest.mark.rule("SOE-3")
def test_the_party_committee_studies_major_decisions_before_the_board(w):
    o = ops()
    board = o.record_meeting(
        w["farm"], meeting_data(body="board", held_at=T0 + timedelta(days=3)), actor=w["editor"]
    )
    major = decision_data(category="major_decision", amount=None, title="改制方案")
    with pytest.raises(UserError) as exc:
        o.record_decision(board, major, actor=w["editor"])
    assert any(p.startswith("study_meeting_id:") for p in exc.value.problems)
    later_study = o.record_meeting(
        w["farm"], meeting_data(held_at=T0 + timedelta(days=5)), actor=w["editor"]
    )
    with pytest.raises(UserError):
        o.record_decision(board, {**major, "study_meeting_id": later_study.id}, actor=w["editor"])
    study = o.record_meeting(w["farm"], meeting_data(), actor=w["editor"])
    decision = o.record_decision(board, {**major, "study_meeting_id": study.id}, actor=w["editor"])
    assert decision.study_meeting_id == study.id
    # funds decided by the board need no prior study
    assert o.record_decision(board, decision_data(), actor=w["editor"]).passed


def test_only_staff_of_the_unit_record_meetings(w):
    with pytest.raises(UserError):
        ops().record_meeting(w["farm"], meeting_data(), actor=w["member"])


# --- emergency decisions (SOE-7) --------------------------------------------------------------
@pytest.mark.rule("SOE-7")
def test_emergency_decisions_are_ratified_at_a_later_meeting(w):
    o = ops()
    emergency = o.record_emergency(
        w["farm"],
        {
            "category": "large_funds",
            "title": "抗洪抢险物资采购",
            "amount": "600000",
            "decided_by": "甲",
            "decided_at": T0,
        },
        actor=w["editor"],
    )
    assert not emergency.taken_in_meeting
    earlier = o.record_meeting(
        w["farm"], meeting_data(held_at=T0 - timedelta(days=1)), actor=w["editor"]
    )
    with pytest.raises(UserError):
        o.ratify(emergency, earlier, actor=w["editor"])
    later = o.record_meeting(
        w["farm"], meeting_data(held_at=T0 + timedelta(days=2)), actor=w["editor"]
    )
    o.ratify(emergency, later, actor=w["editor"])
    assert emergency.taken_in_meeting and emergency.ratified_meeting_id == later.id
    with pytest.raises(UserError):
        o.ratify(emergency, later, actor=w["editor"])


@pytest.mark.rule("SOE-7")
def test_the_periodic_job_flags_emergencies_not_ratified_at_the_next_meeting(app, w):
    from core import db, jobs
    from plugins.three_important.models import Decision

    o = ops()
    data = {"category": "major_project", "title": "临时修复水渠", "amount": "2000000"}
    flagged = o.record_emergency(
        w["farm"], {**data, "decided_by": "甲", "decided_at": T0}, actor=w["editor"]
    )
    waiting = o.record_emergency(
        w["farm"],
        {**data, "decided_by": "甲", "decided_at": T0 + timedelta(days=30)},
        actor=w["editor"],
    )
    o.record_meeting(w["farm"], meeting_data(held_at=T0 + timedelta(days=3)), actor=w["editor"])
    db.session.commit()
    jobs.run_sweep("plugin:three_important:ratification")
    jobs.work_burst()
    db.session.expire_all()
    assert db.session.get(Decision, flagged.id).ratification_overdue
    assert not db.session.get(Decision, waiting.id).ratification_overdue


# --- the item list with thresholds (SOE-2) ---------------------------------------------------
@pytest.mark.rule("SOE-2")
def test_item_list_versions_are_approved_by_the_superior(w):
    o = ops()
    assert o.threshold(w["farm"], "large_funds") == Decimal(500000)  # the parameter's default
    assert o.list_is_due(w["farm"])
    draft = o.draft_item_list(w["farm"], {"large_funds": "300000"}, actor=w["admin"], year=2026)
    assert o.threshold(w["farm"], "large_funds") == Decimal(500000)  # a draft is not in force
    with pytest.raises(UserError):
        o.approve_item_list(draft, actor=w["admin"])  # the unit does not approve its own
    o.approve_item_list(draft, actor=w["county_reviewer"])
    assert o.threshold(w["farm"], "large_funds") == Decimal(300000)
    assert not o.list_is_due(w["farm"], today=datetime(2026, 12, 31).date())
    assert o.list_is_due(w["farm"], today=datetime(2027, 1, 1).date())  # reviewed yearly
    second = o.draft_item_list(w["farm"], {"large_funds": "200000"}, actor=w["admin"], year=2027)
    assert second.version == 2


# --- items (validate_item, spawning) ----------------------------------------------------------
def ti_item(**extra):
    from tests.items_helpers import plan

    return plan(
        entry_key=None,
        item_type="three_important.decision",
        extra={"category": "large_funds", **extra},
        scope="unit",
        channels=["meeting"],
    )


@pytest.mark.rule("SOE-2")
def test_an_item_at_or_over_the_threshold_needs_a_decision(w):
    from core.items import operations as items

    with pytest.raises(UserError) as exc:
        items.create(w["farm"], ti_item(amount="500000"), actor=w["editor"])
    assert any(p.startswith("extra.decision_id:") for p in exc.value.problems)
    assert items.create(w["farm"], ti_item(amount="499999.99"), actor=w["editor"]).id


@pytest.mark.rule("SOE-3")
def test_an_item_refuses_a_decision_not_taken_in_a_meeting(w):
    from core.items import operations as items

    o = ops()
    emergency = o.record_emergency(
        w["farm"],
        {"category": "large_funds", "title": "应急", "amount": "600000", "decided_by": "甲"},
        actor=w["editor"],
    )
    with pytest.raises(UserError) as exc:
        items.create(
            w["farm"], ti_item(amount="600000", decision_id=str(emergency.id)), actor=w["editor"]
        )
    assert "extra.decision_id: the decision was not taken in a meeting" in exc.value.problems


def test_a_decision_is_drafted_under_the_catalogues_entry_of_its_category(w):
    from core import db
    from core.catalogue import operations as cat

    draft = cat.start_draft(w["farm"], actor=w["admin"])  # with the plugin's section
    cat.transition(draft, "submit", actor=w["admin"])
    cat.transition(draft, "approve", actor=w["county_reviewer"])
    db.session.commit()
    o = ops()
    meeting = o.record_meeting(w["farm"], meeting_data(), actor=w["editor"])
    decision = o.record_decision(meeting, decision_data(), actor=w["editor"])
    item = o.spawn_item(decision, actor=w["editor"])
    assert item.entry_key == "three_important.large_funds"
    assert (item.scope, item.channels) == ("unit", ["meeting", "notice_board"])


@pytest.mark.rule("SOE-7")
def test_a_decision_spawns_a_unit_item_that_goes_through_the_workflow(w):
    from tests.items_helpers import through_review

    o = ops()
    meeting = o.record_meeting(w["farm"], meeting_data(), actor=w["editor"])
    decision = o.record_decision(meeting, decision_data(), actor=w["editor"])
    item = o.spawn_item(decision, actor=w["editor"])
    assert (item.state, item.scope, item.item_type) == ("draft", "unit", "three_important.decision")
    assert item.extra["minutes_no"] == "party_committee-2026-001"
    assert item.extra["decision_id"] == decision.id and decision.item_id == item.id
    world = {"editor": w["editor"], "reviewer": w["admin"]}
    from tests.items_helpers import user

    world["reviewer"] = user("ti-reviewer", ("reviewer", w["farm"]))
    through_review(world, item)
    assert item.state != "draft"


def test_the_item_type_is_offered_where_enabled_only(w):
    from core.items import operations as items

    data = ti_item(amount="100")
    with pytest.raises(UserError) as exc:
        items.create(w["off"], data, actor=w["off_admin"])
    assert any(p.startswith("item_type:") for p in exc.value.problems)


# --- console pages ----------------------------------------------------------------------------
def test_console_pages_where_enabled_and_404_elsewhere(w, client, login):
    o = ops()
    meeting = o.record_meeting(w["farm"], meeting_data(), actor=w["editor"])
    o.record_decision(meeting, decision_data(), actor=w["editor"])
    from core import db

    db.session.commit()
    login("ti-admin", "long-enough-pw")
    page = client.get("/admin/o/ti-farm/three-important/")
    assert page.status_code == 200
    assert "2026年第1次党委（党支部）会议" in page.get_data(as_text=True)  # not its code
    record = client.get(f"/admin/o/ti-farm/three-important/meetings/{meeting.id}")
    assert "购置农机设备" in record.get_data(as_text=True)
    assert client.get("/admin/o/ti-farm/three-important/lists").status_code == 200
    login("ti-off-admin", "long-enough-pw")
    assert client.get("/admin/o/ti-off/three-important/").status_code == 404


def test_members_may_not_see_the_console_pages(w, client, login):
    login("ti-member", "long-enough-pw")
    assert client.get("/admin/o/ti-farm/three-important/").status_code == 403


def test_recording_a_meeting_through_the_console(w, client, login):
    from core.plugins.testing import csrf_token

    login("ti-editor", "long-enough-pw")
    path = "/admin/o/ti-farm/three-important/meetings/new"
    form = {
        "csrf_token": csrf_token(client, path),
        "body": "gm_office",
        "meeting_type": "regular",
        "held_at": "2026-04-01T09:00",
        "place": "场部",
        "chair": "甲",
        "expected_members": "\n".join(MEMBERS),
        "present_members": "\n".join(MEMBERS[:5]),
        "absentees": "己：出差",
        "note_taker": "秘书",
    }
    answer = client.post(path, data=form)
    assert answer.status_code == 302
    page = client.get(answer.headers["Location"])
    assert "2026年第1次总经理（场长）办公会" in page.get_data(as_text=True)
    refused = client.post(path, data={**form, "mode": "circulation"})
    assert refused.status_code == 400
    text = refused.get_data(as_text=True)  # in the page's language (issue 11)
    assert "不得以传阅、会签或个别征求意见等方式代替" in text and "circulating" not in text


def test_demo_is_idempotent(app, make_org):
    from core import db
    from plugins.three_important import demo
    from plugins.three_important.models import Decision, Meeting

    county = make_org("hongjiang", type_code="county_committee")
    make_org(demo.CODE, parent=county, sector="soe")
    assert "4 meetings" in demo.load()
    db.session.commit()
    assert "already has 4 meetings" in demo.load()
    emergency = db.session.scalars(select(Decision).where(Decision.emergency.is_(True))).one()
    assert emergency.ratified_meeting_id is not None
    numbers = sorted(m.minutes_no for m in db.session.scalars(select(Meeting)))
    assert numbers == [
        "gm_office-2026-001",
        "gm_office-2026-002",
        "party_committee-2026-001",
        "party_committee-2026-002",
    ]


def test_pages_are_translated_in_the_plugins_own_domain(w, client, login):
    from core import db

    w["farm"].locales = ["zh_Hans_CN", "ug"]
    db.session.commit()
    login("ti-admin", "long-enough-pw")
    chinese = client.get("/admin/o/ti-farm/three-important/").get_data(as_text=True)
    assert "“三重一大”会议和决策" in chinese and "登记会议" in chinese
    uyghur = client.get("/admin/o/ti-farm/three-important/?lang=ug").get_data(as_text=True)
    assert "«ئۈچ مۇھىم بىر زور» يىغىن ۋە قارارلىرى" in uyghur


@pytest.mark.rule("SOE-7")
def test_console_emergency_ratification_and_disclosure(w, client, login):
    from core import db
    from core.items.models import Item
    from core.plugins.testing import csrf_token
    from plugins.three_important.models import Decision

    meeting = ops().record_meeting(
        w["farm"], meeting_data(held_at=datetime(2026, 8, 1, 1, tzinfo=UTC)), actor=w["editor"]
    )
    db.session.commit()
    login("ti-editor", "long-enough-pw")
    base = "/admin/o/ti-farm/three-important"
    token = csrf_token(client, f"{base}/")
    answer = client.post(
        f"{base}/emergencies",
        data={
            "csrf_token": token,
            "title": "抗旱应急供水",
            "category": "large_funds",
            "amount": "450000",
            "decided_by": "甲",
            "decided_at": "2026-07-20T08:00",
        },
    )
    assert answer.status_code == 302
    emergency = db.session.scalars(select(Decision).where(Decision.emergency.is_(True))).one()
    assert "ratify-" in client.get(f"{base}/").get_data(as_text=True)  # the ratify form
    answer = client.post(
        f"{base}/matters/{emergency.id}/ratify",
        data={"csrf_token": token, "meeting_id": str(meeting.id)},
    )
    assert answer.status_code == 302
    db.session.expire_all()
    assert db.session.get(Decision, emergency.id).ratified_meeting_id == meeting.id
    answer = client.post(f"{base}/matters/{emergency.id}/disclose", data={"csrf_token": token})
    assert answer.status_code == 302 and "/items/" in answer.headers["Location"]
    item = db.session.scalars(
        select(Item).where(Item.item_type == "three_important.decision")
    ).one()
    assert (item.scope, item.state, item.extra["decision_id"]) == ("unit", "draft", emergency.id)


@pytest.mark.rule("SOE-2")
def test_console_item_list_is_approved_by_the_superiors_reviewer(w, client, login):
    from core import db
    from core.plugins.testing import csrf_token
    from plugins.three_important.models import ItemList

    base = "/admin/o/ti-farm/three-important"
    login("ti-admin", "long-enough-pw")
    token = csrf_token(client, f"{base}/lists")
    answer = client.post(
        f"{base}/lists", data={"csrf_token": token, "year": "2026", "large_funds": "250000"}
    )
    assert answer.status_code == 302
    row = db.session.scalars(select(ItemList)).one()
    refused = client.post(f"{base}/lists/{row.id}/approve", data={"csrf_token": token})
    assert refused.status_code == 403
    login("ti-county-reviewer", "long-enough-pw")
    token = csrf_token(client, f"{base}/lists")
    assert (
        client.post(f"{base}/lists/{row.id}/approve", data={"csrf_token": token}).status_code == 302
    )
    page = client.get(f"{base}/lists").get_data(as_text=True)
    assert "250000" in page
    db.session.expire_all()
    assert db.session.get(ItemList, row.id).state == "approved"


@pytest.mark.rule("SOE-2")
def test_an_amount_over_the_threshold_in_another_item_type_is_handled_as_three_important(w):
    """The test plugin's grants carry an amount: in an enterprise that enables 三重一大, a grant
    at or over the threshold must be planned as a 三重一大 decision; elsewhere nothing changes."""
    from core import db
    from core.items import operations as items
    from tests.items_helpers import plan, user

    for code in ("farm", "agency"):
        w[code].plugin_settings = {"enabled": ["testplugin"]}
    agency_editor = user("ti-agency-editor", ("editor", w["agency"]))
    db.session.commit()

    def grant(amount):
        return plan(
            entry_key=None,
            item_type="testplugin.grant",
            extra={"amount": amount},
            scope="public",
            channels=["notice_board", "website"],
        )

    with pytest.raises(UserError) as exc:
        items.create(w["farm"], grant("500000"), actor=w["editor"])
    assert any(p.startswith("item_type:") and "三重一大" in p for p in exc.value.problems)
    assert items.create(w["farm"], grant("9000"), actor=w["editor"]).id
    assert items.create(w["agency"], grant("500000"), actor=agency_editor).id


@pytest.mark.rule("SOE-5")
def test_console_records_decisions_item_by_item_with_the_chair_last(w, client, login):
    from core import db
    from core.plugins.testing import csrf_token

    meeting = ops().record_meeting(w["farm"], meeting_data(), actor=w["editor"])
    db.session.commit()
    login("ti-editor", "long-enough-pw")
    path = f"/admin/o/ti-farm/three-important/meetings/{meeting.id}"
    page = client.get(path).get_data(as_text=True)
    # one vote and opinion field per present member, in speaking order, the chair (甲) last
    rows = re.findall(r'<th scope="row">([^<]+?)(?: <span|</th>)', page)
    assert rows == ["乙", "丙", "丁", "戊", "甲"]
    assert "同意" in page and "不同意" in page and "弃权" in page
    form = {
        "csrf_token": csrf_token(client, path),
        "title": "购置烘干设备",
        "category": "large_funds",
        "amount": "520000",
        "decision_text": "同意购置。",
        **{f"vote-{n}": "agree" for n in range(5)},
        "vote-2": "disagree",
        "opinion-2": "价格偏高",
    }
    missing = {**form, "vote-3": ""}  # 戊 gave no vote: refused, what was typed stays
    refused = client.post(f"{path}/decisions", data=missing)
    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    assert "每位到会成员须表明同意、不同意或弃权" in page
    assert 'value="购置烘干设备"' in page and 'value="价格偏高"' in page
    assert '<option value="disagree" selected>' in page
    assert client.post(f"{path}/decisions", data=form).status_code == 302
    page = client.get(path).get_data(as_text=True)
    assert "购置烘干设备" in page and "价格偏高" in page and "通过" in page


@pytest.mark.rule("SOE-4")
def test_two_thirds_exactly_is_enough_for_personnel(w):
    o = ops()
    four_of_six = o.record_meeting(
        w["farm"],
        meeting_data(
            present_members=["甲", "乙", "丙", "丁"],
            absentees=[{"name": n, "reason": "病假"} for n in ("戊", "己")],
        ),
        actor=w["editor"],
    )
    appointment = decision_data(
        category="appointment",
        amount=None,
        opinions=votes("agree", "agree", "agree", "agree", members=["乙", "丙", "丁", "甲"]),
    )
    assert o.record_decision(four_of_six, appointment, actor=w["editor"]).passed
