"""Catalogues: derivation from the template, versions, approval by a superior, the schedule."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from core import db
from core.audit import AuditEntry
from core.catalogue import operations as cat
from core.catalogue import schedule
from core.catalogue.models import CatalogueVersion, Entry
from core.errors import UserError
from core.params import operations as params
from core.workflow import TransitionRefused
from core.workflow.models import WorkflowStep
from tenants import operations as tenants

# the refusals these tests read (str(exc), match=...) are in English
pytestmark = pytest.mark.usefixtures("english")

ENTRY = {
    "titles": {"zh_Hans_CN": "党费收缴、使用和管理情况", "en": "Party dues"},
    "content": {"zh_Hans_CN": "党费收缴标准、收缴数额和使用情况"},
    "scope": "party_wide",
    "channels": ["meeting", "notice_board"],
    "cadence": "half_yearly",
    "responsible": "支部组织委员",
}


def make_user(username, *grants):
    user = tenants.create_user(username, password="long-enough-pw")
    for role, org in grants:
        tenants.grant_membership(user, org, role)
    return user


@pytest.fixture
def world(make_org):
    county = make_org("cat-county", type_code="county_committee")
    bureau = make_org("cat-bureau", parent=county, type_code="party_committee")
    branch = make_org("cat-branch", parent=bureau)
    sibling = make_org("cat-sibling", parent=bureau)
    users = {
        "county_admin": make_user("county-admin", ("admin", county)),
        "county_reviewer": make_user("county-reviewer", ("reviewer", county)),
        "bureau_reviewer": make_user("bureau-reviewer", ("reviewer", bureau)),
        "branch_admin": make_user("branch-admin", ("admin", branch)),
        "branch_reviewer": make_user("branch-reviewer", ("reviewer", branch)),
        "sibling_reviewer": make_user("sibling-reviewer", ("reviewer", sibling)),
        "branch_member": make_user("branch-member", ("member", branch)),
    }
    template = cat.start_draft(county, "template", actor=users["county_admin"])
    org_cat = cat.add_category(template, key="org", titles={"zh_Hans_CN": "党的组织管理情况"})
    cat.add_entry(template, org_cat, {**ENTRY, "mandatory": True}, key="org.fees")
    cat.add_entry(
        template,
        org_cat,
        {
            **ENTRY,
            "titles": {"zh_Hans_CN": "党员发展情况"},
            "cadence": "quarterly",
            "mandatory": False,
        },
        key="org.recruitment",
    )
    cat.transition(template, "publish", actor=users["county_admin"])
    db.session.commit()
    return {"county": county, "bureau": bureau, "branch": branch, "sibling": sibling, **users}


def submitted_draft(world):
    draft = cat.start_draft(world["branch"], actor=world["branch_admin"])
    cat.transition(draft, "submit", actor=world["branch_admin"])
    db.session.commit()
    return draft


@pytest.mark.rule("CAT-3")
def test_a_unit_catalogue_derives_from_the_nearest_template(world):
    draft = cat.start_draft(world["branch"], actor=world["branch_admin"])
    keys = {e.key: e for e in cat.entries(draft)}
    assert set(keys) == {"org.fees", "org.recruitment"}
    assert keys["org.fees"].mandatory and keys["org.fees"].template_key == "org.fees"
    assert draft.template_version_id == cat.template_source(world["branch"]).id


@pytest.mark.rule("CAT-3")
def test_mandatory_template_entries_cannot_be_removed(world):
    draft = cat.start_draft(world["branch"], actor=world["branch_admin"])
    fees = next(e for e in cat.entries(draft) if e.key == "org.fees")
    with pytest.raises(UserError, match="mandatory"):
        cat.remove_entry(fees, actor=world["branch_admin"])
    recruitment = next(e for e in cat.entries(draft) if e.key == "org.recruitment")
    cat.remove_entry(recruitment, actor=world["branch_admin"])
    assert [e.key for e in cat.entries(draft)] == ["org.fees"]


@pytest.mark.rule("CAT-3")
def test_a_draft_missing_a_mandatory_entry_cannot_be_submitted(world):
    draft = cat.start_draft(world["branch"], actor=world["branch_admin"])
    db.session.execute(
        Entry.__table__.delete().where(Entry.key == "org.fees", Entry.version_id == draft.id)
    )
    with pytest.raises(TransitionRefused) as refused:
        cat.transition(draft, "submit", actor=world["branch_admin"])
    # the missing entry is named by its title, in the reader's language, not by its key
    assert f"missing: {ENTRY['titles']['en']}." in str(refused.value)
    assert "org.fees" not in str(refused.value)


@pytest.mark.rule("CAT-3")
def test_units_add_reword_and_reorder_entries(world):
    draft = cat.start_draft(world["branch"], actor=world["branch_admin"])
    category = cat.categories(draft)[0]
    added = cat.add_entry(
        draft, category, {**ENTRY, "titles": {"zh_Hans_CN": "主题党日活动"}, "cadence": "monthly"}
    )
    assert not added.mandatory
    fees = next(e for e in cat.entries(draft) if e.key == "org.fees")
    cat.update_entry(fees, {"titles": {"zh_Hans_CN": "党费收缴使用情况（季度）"}})
    cat.move(added, -1)
    cat.move(added, -1)
    assert next(e.key for e in cat.entries(draft)) == added.key
    assert fees.mandatory  # rewording keeps it mandatory


def test_removing_a_category_removes_its_subcategories_and_entries(world):
    draft = cat.start_draft(world["branch"], actor=world["branch_admin"])
    top = cat.add_category(draft, key="life", titles={"zh_Hans_CN": "组织生活"})
    mid = cat.add_category(draft, key="life.days", titles={"zh_Hans_CN": "主题党日"}, parent=top)
    low = cat.add_category(draft, key="life.days.x", titles={"zh_Hans_CN": "专题"}, parent=mid)
    for category in (top, mid, low):
        cat.add_entry(draft, category, {**ENTRY, "titles": {"zh_Hans_CN": f"事项 {category.key}"}})
    db.session.commit()
    before = {e.key for e in cat.entries(draft)}
    cat.remove_category(top, actor=world["branch_admin"])
    db.session.commit()
    assert {c.key for c in cat.categories(draft)} == {"org"}
    assert {e.key for e in cat.entries(draft)} == {"org.fees", "org.recruitment"} < before


@pytest.mark.rule("CAT-2")
@pytest.mark.parametrize("missing", ["content", "scope", "channels", "cadence", "responsible"])
def test_an_entry_without_content_scope_channels_cadence_or_responsible_is_rejected(world, missing):
    draft = cat.start_draft(world["branch"], actor=world["branch_admin"])
    data = {**ENTRY, missing: None}
    with pytest.raises(UserError) as refused:
        cat.add_entry(draft, cat.categories(draft)[0], data)
    assert any(p.startswith(missing) for p in refused.value.problems)


@pytest.mark.rule("CAT-6")
def test_channels_must_suit_the_scope(world):
    draft = cat.start_draft(world["branch"], actor=world["branch_admin"])
    with pytest.raises(UserError) as refused:
        cat.add_entry(
            draft, cat.categories(draft)[0], {**ENTRY, "scope": "public", "channels": ["meeting"]}
        )
    assert any("does not suit" in p for p in refused.value.problems)
    assert "meeting" in cat.channels_for_scope("party_wide")
    assert "service_window" in cat.channels_for_scope("public")
    assert "meeting" not in cat.channels_for_scope("public")


@pytest.mark.rule("CAT-3")
def test_only_a_reviewer_of_an_ancestor_can_approve(world):
    draft = submitted_draft(world)
    for who in (
        "branch_reviewer",
        "branch_admin",
        "sibling_reviewer",
        "branch_member",
        "county_admin",
    ):
        with pytest.raises(TransitionRefused):
            cat.transition(draft, "approve", actor=world[who])
    assert draft.state == "submitted"
    cat.transition(draft, "approve", actor=world["bureau_reviewer"])
    db.session.commit()
    assert draft.state == "approved"
    assert cat.effective_version(world["branch"]).id == draft.id


def test_a_reviewer_higher_up_may_approve_too(world):
    draft = submitted_draft(world)
    cat.transition(draft, "approve", actor=world["county_reviewer"])
    assert draft.state == "approved"


@pytest.mark.rule("CAT-3")
def test_returning_needs_a_comment(world):
    draft = submitted_draft(world)
    with pytest.raises(TransitionRefused, match="comment"):
        cat.transition(draft, "return", actor=world["bureau_reviewer"], comment="  ")
    cat.transition(
        draft, "return", actor=world["bureau_reviewer"], comment="请补充党员发展的公开时限"
    )
    db.session.commit()
    assert draft.state == "returned"
    assert draft.decision_comment == "请补充党员发展的公开时限"
    cat.transition(draft, "reopen", actor=world["branch_admin"])
    assert draft.state == "draft"


def test_the_unit_withdraws_its_submission_until_the_superior_decides(world):
    draft = submitted_draft(world)
    with pytest.raises(TransitionRefused, match="role Admin or Editor in this unit"):
        cat.transition(draft, "withdraw", actor=world["bureau_reviewer"])
    cat.transition(draft, "withdraw", actor=world["branch_admin"])
    assert draft.state == "draft" and draft.editable
    with pytest.raises(TransitionRefused, match="not possible now"):
        cat.transition(draft, "approve", actor=world["bureau_reviewer"])
    cat.transition(draft, "submit", actor=world["branch_admin"])
    cat.transition(draft, "approve", actor=world["bureau_reviewer"])
    with pytest.raises(TransitionRefused, match="it is Approved"):  # decided: too late
        cat.transition(draft, "withdraw", actor=world["branch_admin"])


def test_a_refused_transition_leaves_no_trace_but_its_error(world, english):
    draft = submitted_draft(world)
    db.session.commit()

    def counts():
        return (
            db.session.scalar(select(func.count()).select_from(WorkflowStep)),
            db.session.scalar(select(func.count()).select_from(AuditEntry)),
        )

    before = counts()
    with pytest.raises(TransitionRefused) as refused:
        cat.transition(draft, "approve", actor=world["branch_member"])
    assert "Only a person with the role Reviewer in a superior organisation" in str(refused.value)
    db.session.commit()
    db.session.expire_all()
    assert counts() == before
    assert db.session.get(CatalogueVersion, draft.id).state == "submitted"


@pytest.mark.rule("CAT-1")
def test_exactly_one_effective_version_and_every_version_stays_readable(world):
    first = submitted_draft(world)
    cat.transition(first, "approve", actor=world["bureau_reviewer"])
    db.session.commit()
    second = cat.start_draft(world["branch"], actor=world["branch_admin"])
    assert second.based_on_id == first.id
    cat.transition(second, "submit", actor=world["branch_admin"])
    later = cat.today_for(world["branch"]) + timedelta(days=30)
    cat.transition(second, "approve", actor=world["bureau_reviewer"], effective_from=later)
    db.session.commit()
    branch = world["branch"]
    assert cat.effective_version(branch).id == first.id
    assert cat.effective_version(branch, on=later).id == second.id
    assert cat.effective_version(branch, on=later - timedelta(days=1)).id == first.id
    assert [v.number for v in cat.versions(branch)] == [2, 1]
    assert cat.entries(first)  # the old version is still there to read


def test_only_one_version_in_progress(world):
    cat.start_draft(world["branch"], actor=world["branch_admin"])
    with pytest.raises(UserError, match="in progress"):
        cat.start_draft(world["branch"], actor=world["branch_admin"])


def test_approval_cannot_be_backdated(world):
    draft = submitted_draft(world)
    yesterday = cat.today_for(world["branch"]) - timedelta(days=1)
    with pytest.raises(UserError, match="past"):
        cat.transition(draft, "approve", actor=world["bureau_reviewer"], effective_from=yesterday)
    db.session.rollback()
    assert db.session.get(CatalogueVersion, draft.id).state == "submitted"


def test_unit_review_variant_adds_a_sign_off(world):
    params.set_value(world["bureau"], "catalogue.unit_review", True)
    draft = cat.start_draft(world["branch"], actor=world["branch_admin"])
    with pytest.raises(TransitionRefused, match="not part of"):
        cat.transition(draft, "submit", actor=world["branch_admin"])
    cat.transition(draft, "submit_for_review", actor=world["branch_admin"])
    with pytest.raises(TransitionRefused):
        cat.transition(draft, "sign_off", actor=world["branch_admin"])
    cat.transition(draft, "sign_off", actor=world["branch_reviewer"])
    assert draft.state == "submitted"
    steps = [s.transition for s in cat.history(draft)]
    assert steps == ["submit_for_review", "sign_off"]


def test_history_records_who_when_and_inputs(world):
    draft = submitted_draft(world)
    cat.transition(draft, "return", actor=world["bureau_reviewer"], comment="请修改")
    steps = cat.history(draft)
    assert [(s.transition, s.from_state, s.to_state) for s in steps] == [
        ("submit", "draft", "submitted"),
        ("return", "submitted", "returned"),
    ]
    assert steps[1].actor_label == "bureau-reviewer"
    assert steps[1].inputs["comment"] == "请修改"


def test_diff_against_the_effective_version(world):
    first = submitted_draft(world)
    cat.transition(first, "approve", actor=world["bureau_reviewer"])
    second = cat.start_draft(world["branch"], actor=world["branch_admin"])
    entries = {e.key: e for e in cat.entries(second)}
    cat.update_entry(entries["org.fees"], {"cadence": "quarterly"})
    cat.remove_entry(entries["org.recruitment"])
    cat.add_entry(
        second,
        cat.categories(second)[0],
        {**ENTRY, "titles": {"zh_Hans_CN": "主题党日"}},
        key="own.day",
    )
    changes = {c.key: c for c in cat.diff(second, cat.effective_version(world["branch"]))}
    assert changes["org.fees"].kind == "changed"
    assert changes["org.fees"].fields["cadence"] == ("half_yearly", "quarterly")
    assert changes["org.recruitment"].kind == "removed"
    assert changes["own.day"].kind == "added"


@pytest.mark.rule("CAT-5")
def test_quarterly_schedule_follows_the_parameter(world):
    draft = submitted_draft(world)
    cat.transition(draft, "approve", actor=world["bureau_reviewer"])
    version = cat.effective_version(world["branch"])
    quarterly = [e for e in schedule.expected(version, 2026) if e.entry_key == "org.recruitment"]
    assert [e.due for e in quarterly] == [
        date(2026, 4, 10),
        date(2026, 7, 10),
        date(2026, 10, 10),
        date(2027, 1, 10),
    ]
    assert [e.period_key for e in quarterly] == ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]
    params.set_value(world["bureau"], "catalogue.period_due_days", 15)
    quarterly = [e for e in schedule.expected(version, 2026) if e.entry_key == "org.recruitment"]
    assert next(e.due for e in quarterly) == date(2026, 4, 15)


@pytest.mark.rule("CAT-5")
def test_schedule_of_every_cadence(world):
    draft = cat.start_draft(world["branch"], actor=world["branch_admin"])
    category = cat.categories(draft)[0]
    for cadence in ("standing", "monthly", "yearly", "immediate"):
        cat.add_entry(draft, category, {**ENTRY, "cadence": cadence}, key=f"c.{cadence}")
    expected = schedule.expected(draft, 2026)
    by_entry: dict[str, list] = {}
    for e in expected:
        by_entry.setdefault(e.entry_key, []).append(e)
    assert [e.due for e in by_entry["c.standing"]] == [date(2026, 1, 31)]
    assert len(by_entry["c.monthly"]) == 12
    assert by_entry["c.monthly"][1].due == date(2026, 3, 10)  # February ends, +10 days
    assert [e.due for e in by_entry["c.yearly"]] == [date(2027, 1, 10)]
    assert len(by_entry["org.fees"]) == 2  # half-yearly
    assert "c.immediate" not in by_entry
    assert [e.key for e in schedule.event_driven(draft)] == ["c.immediate"]
    # the standing entries' due day is a parameter too
    params.set_value(world["county"], "catalogue.standing_due", "02-15")
    standing = [e.due for e in schedule.expected(draft, 2026) if e.entry_key == "c.standing"]
    assert standing == [date(2026, 2, 15)]


class TestParameters:
    @pytest.mark.rule("CAT-5")
    def test_defaults_and_nearest_ancestor(self, world):
        branch, bureau, county = world["branch"], world["bureau"], world["county"]
        resolved = params.resolve(branch, "catalogue.period_due_days")
        assert (resolved.value, resolved.source) == (10, None)
        params.set_value(county, "catalogue.period_due_days", 20)
        params.set_value(bureau, "catalogue.period_due_days", 12)
        resolved = params.resolve(branch, "catalogue.period_due_days")
        assert resolved.value == 12 and resolved.source.code == "cat-bureau"
        params.set_value(branch, "catalogue.period_due_days", 5)
        assert params.resolve(branch, "catalogue.period_due_days").source.code == "cat-branch"
        assert params.resolve(world["sibling"], "catalogue.period_due_days").value == 12
        params.clear_value(bureau, "catalogue.period_due_days")
        assert (
            params.resolve(world["sibling"], "catalogue.period_due_days").source.code
            == "cat-county"
        )

    def test_a_superior_may_lock_a_value(self, world):
        params.set_value(world["branch"], "notice.min_days", 10)
        params.set_value(world["county"], "notice.min_days", 15, locked=True)
        resolved = params.resolve(world["branch"], "notice.min_days")
        assert (resolved.value, resolved.source.code, resolved.locked) == (15, "cat-county", True)
        with pytest.raises(UserError, match="locked"):
            params.set_value(world["bureau"], "notice.min_days", 9)

    @pytest.mark.rule("PUB-5")
    def test_values_are_checked(self, world):
        with pytest.raises(UserError):
            params.set_value(world["branch"], "notice.min_days", 3)  # at least 7 days
        with pytest.raises(UserError):
            params.set_value(world["branch"], "catalogue.standing_due", "02-30")
        with pytest.raises(UserError):
            params.set_value(world["branch"], "no.such.parameter", 1)
        assert params.set_value(world["branch"], "report.months", "12, 6").value == [6, 12]


# (parameter, its rule, the lowest and the highest value accepted; None: no bound)
BOUNDS = [
    ("catalogue.period_due_days", "CAT-5", 0, 90),
    ("catalogue.immediate_due_days", "CAT-5", 0, 60),
    ("notice.min_days", "PUB-5", 7, 90),
    ("scope.internal_first_days", "SCOPE-2", 0, 90),
    ("request.decision_working_days", "REQ-2", 1, 60),
    ("request.extension_working_days", "REQ-2", 0, 60),
    ("request.amend_lapse_days", "REQ-3", 1, 90),
    ("request.min_realname_level", "IAM-2", 0, 10),
    ("archive.retention_years", "ARC-2", 5, 100),
    ("feedback.answer_days", "FB-2", 1, 90),
    ("school_affairs.proactive_days", "SCH-2", 1, 60),
    ("three_important.quorum", "SOE-4", 50, 99),
    ("three_important.personnel_quorum", "SOE-4", 50, 99),
    ("three_important.funds_threshold", "SOE-2", 1, None),
    ("three_important.project_threshold", "SOE-2", 1, None),
]


@pytest.mark.parametrize(
    ("key", "lowest", "highest"),
    [pytest.param(k, lo, hi, marks=pytest.mark.rule(r), id=k) for k, r, lo, hi in BOUNDS],
)
def test_a_parameter_refuses_one_past_each_bound(world, key, lowest, highest):
    """Each parameter of a rule accepts its lowest and highest value and refuses one past them:
    e.g. the register is kept at least five years (ARC-2), a notice lasts at least seven days."""
    branch = world["branch"]
    with pytest.raises(UserError, match="at least"):
        params.set_value(branch, key, lowest - 1)
    assert params.set_value(branch, key, lowest).value == lowest
    if highest is not None:
        assert params.set_value(branch, key, highest).value == highest
        with pytest.raises(UserError, match="at most"):
            params.set_value(branch, key, highest + 1)
    assert params.resolve(branch, key).value == (highest if highest is not None else lowest)


# --- the plugin hooks of this family (the fixture plugin gongkai-testplugin) ------------------


@pytest.fixture
def sector_world(world, make_org):
    from gongkai_testplugin import TRANSITIONS

    TRANSITIONS.clear()
    unit = make_org("cat-testsector", parent=world["bureau"], sector="testsector")
    admin = make_user("testsector-admin", ("admin", unit))
    db.session.commit()
    return {**world, "unit": unit, "unit_admin": admin, "transitions": TRANSITIONS}


def test_hook_catalogue_template_sections(sector_world):
    draft = cat.start_draft(sector_world["unit"], actor=sector_world["unit_admin"])
    keys = {e.key: e for e in cat.entries(draft)}
    assert keys["testsector.report"].mandatory
    assert "testsector" in [c.key for c in cat.categories(draft)]
    with pytest.raises(UserError, match="mandatory"):
        cat.remove_entry(keys["testsector.report"])
    # an organisation that does not enable the plugin gets no such section
    other = cat.start_draft(sector_world["branch"], actor=sector_world["branch_admin"])
    assert "testsector.report" not in {e.key for e in cat.entries(other)}


def test_hook_workflow_guard(sector_world):
    draft = cat.start_draft(sector_world["unit"], actor=sector_world["unit_admin"])
    draft.note = "[hold] waiting for the sector office"
    with pytest.raises(TransitionRefused) as refused:
        cat.transition(draft, "submit", actor=sector_world["unit_admin"])
    assert "holds catalogues" in str(refused.value)
    assert draft.state == "draft"
    draft.note = ""
    cat.transition(draft, "submit", actor=sector_world["unit_admin"])
    assert draft.state == "submitted"


def test_hook_workflow_transitioned(sector_world):
    draft = cat.start_draft(sector_world["unit"], actor=sector_world["unit_admin"])
    cat.transition(draft, "submit", actor=sector_world["unit_admin"])
    cat.transition(draft, "approve", actor=sector_world["bureau_reviewer"])
    assert sector_world["transitions"] == [
        ("cat-testsector", "catalogue", "submit"),
        ("cat-testsector", "catalogue", "approve"),
    ]
    # not called for an organisation that does not enable the plugin
    branch_draft = submitted_draft(sector_world)
    assert branch_draft.state == "submitted"
    assert all(code == "cat-testsector" for code, _w, _t in sector_world["transitions"])


@pytest.mark.rule("CAT-3")
def test_a_new_draft_puts_back_a_missing_mandatory_entry_under_its_nested_category(world):
    # the branch's effective version was approved before the template gained a mandatory entry
    first = submitted_draft(world)
    cat.transition(first, "approve", actor=world["bureau_reviewer"])
    county, admin = world["county"], world["county_admin"]
    template = cat.start_draft(county, "template", actor=admin)
    parent = next(c for c in cat.categories(template) if c.key == "org")
    child = cat.add_category(template, key="org.members", titles="党员管理", parent=parent)
    cat.add_entry(template, child, {**ENTRY, "mandatory": True}, key="org.members.review")
    cat.transition(template, "publish", actor=admin)
    draft = cat.start_draft(world["branch"], actor=world["branch_admin"])
    cats = {c.key: c for c in cat.categories(draft)}
    entry = next(e for e in cat.entries(draft) if e.key == "org.members.review")
    assert entry.mandatory and entry.template_key == "org.members.review"
    assert entry.category_id == cats["org.members"].id
    assert cats["org.members"].parent_id == cats["org"].id
    assert cat.missing_mandatory(draft) == []


def test_yes_and_no_texts_for_the_mandatory_flag(world, english):
    clean, problems = cat.clean_entry({**ENTRY, "mandatory": "no"}, world["branch"])
    assert problems == [] and clean["mandatory"] is False
    clean, _ = cat.clean_entry({**ENTRY, "mandatory": "是"}, world["branch"])
    assert clean["mandatory"] is True
    _, problems = cat.clean_entry({**ENTRY, "channels": 5}, world["branch"])
    assert problems == ["channels: Give a list of channel codes."]
