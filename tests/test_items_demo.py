"""The demo items (issue 4): a year of items for every demo unit, through the real workflow.

`gongkai demo load` runs once per database backend and test process (tests.demodb: it takes a
while) and again on this module's copy, to show that the second run changes nothing; the tests
below read what it left.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core import db
from core.catalogue import operations as cat
from core.catalogue.demo import demo_codes
from core.cli import main
from core.items import operations as items
from core.items.models import (
    VISIBLE_STATES,
    DisclosureFlag,
    Item,
    ItemReview,
    ItemVersion,
    Objection,
)
from core.params import operations as params
from core.register import operations as register
from core.register.models import RegisterEntry
from core.workflow.models import WorkflowStep
from tenants import operations as tenants
from tests import demodb

COUNTIES = ("kashgar", "hongjiang", "xiaoyi", "chenggong", "hengdong")
COUNTED = (Item, ItemVersion, ItemReview, RegisterEntry, WorkflowStep, Objection)


@dataclass
class Loaded:
    first: str
    second: str
    counts: dict[str, int]
    counts_again: dict[str, int]


def row_counts() -> dict[str, int]:
    return {
        m.__tablename__: db.session.scalar(select(func.count()).select_from(m)) for m in COUNTED
    }


@pytest.fixture(scope="module")
def demo(demo_database):
    """The demo loaded (tests.demodb: the first load of this process and backend, copied) and
    loaded again here (one app for the whole module)."""
    with demodb.app_on(demo_database.url, demo_database.instance) as app:
        counts = row_counts()
        second = app.test_cli_runner().invoke(main, ["demo", "load"])
        assert second.exit_code == 0, second.output
        db.session.remove()
        yield Loaded(demo_database.first, second.stdout, counts, row_counts())


def units() -> list[tuple[str, str]]:
    """(code, parent code) of every demo unit with an effective catalogue."""
    out = []
    for code, parent in demo_codes():
        if parent is not None and cat.effective_version(tenants.get_org(code)) is not None:
            out.append((code, parent))
    return out


def items_of(code: str | None = None, *, county: str | None = None, **where) -> list[Item]:
    query = select(Item)
    if code is not None:
        query = query.where(Item.org_id == tenants.get_org(code).id)
    if county is not None:
        query = query.where(Item.root_id == tenants.get_org(county).id)
    for name, value in where.items():
        query = query.where(getattr(Item, name) == value)
    return list(db.session.scalars(query.order_by(Item.id)))


def steps(item: Item, transition: str) -> list[WorkflowStep]:
    return list(
        db.session.scalars(
            select(WorkflowStep).where(
                WorkflowStep.object_type == "item",
                WorkflowStep.object_id == item.id,
                WorkflowStep.transition == transition,
            )
        )
    )


def test_the_load_reports_and_a_second_load_changes_nothing(demo):
    assert "Demo items: 23 units loaded, 0 had items already" in demo.first
    assert "Demo items: 0 units loaded, 23 had items already" in demo.second
    assert demo.counts["items"] > 23 * 25
    assert demo.counts_again == demo.counts


def test_every_unit_has_a_year_of_published_items_across_its_catalogue(demo):
    assert len(units()) == 23
    for code, _parent in units():
        published = [i for i in items_of(code) if i.state in VISIBLE_STATES]
        assert len(published) >= 20, code
        entries = {i.entry_key for i in published if i.entry_key}
        assert len(entries) >= 10, code
        categories = {i.category_key for i in published if i.category_key}
        assert len(categories) >= 4, code
        months = {(i.published_at.year, i.published_at.month) for i in published}
        assert len(months) >= 4, code  # spread over the year, not all today
        # every item went through the real workflow, reviewed with a basis by the unit's reviewer
        item = published[0]
        assert [s.transition for s in items.history(item)][:5] == [
            "propose",
            "review",
            "approve",
            "schedule",
            "publish",
        ]
        review = items.latest_review(item)
        assert review.secrecy_passed and review.secrecy_basis
        assert review.reviewer_label == f"{code}-reviewer"


def test_times_tell_one_story(demo):
    """Publication dates, workflow steps and the register entry agree (the simulated clock)."""
    item = items_of("hongjiang-agritech", state="published")[0]
    publish = steps(item, "publish")[0]
    assert publish.at == item.published_at == item.current_version.published_at
    entry = db.session.scalar(
        select(RegisterEntry).where(
            RegisterEntry.object_id == str(item.id), RegisterEntry.action == "publish"
        )
    )
    assert entry.recorded_at == item.published_at
    assert steps(item, "propose")[0].at < steps(item, "review")[0].at < publish.at
    assert item.published_at < db.utcnow() - timedelta(days=7)


@pytest.mark.rule("SUP-2")
def test_overdue_and_late_disclosures_are_flagged(demo):
    flags = db.session.scalars(select(DisclosureFlag).where(DisclosureFlag.resolved_at.is_(None)))
    by_kind: dict[str, set[int]] = {"overdue": set(), "late": set()}
    for flag in flags:
        by_kind[flag.kind].add(flag.org_id)
    for code, _parent in units():
        assert tenants.get_org(code).id in by_kind["overdue"], code
    late = items_of(late=True)
    assert len(late) >= 10 and all(i.published_at.date() > i.due_on for i in late)
    # the sweep flags this year (and last year in January)
    today = db.utcnow().date()
    years = {str(today.year), str(today.year - 1 if today.month == 1 else today.year)}
    flagged = [i for i in late if i.period_key and i.period_key[:4] in years]
    assert all(i.org_id in by_kind["late"] for i in flagged)


@pytest.mark.rule("PUB-5")
def test_every_county_has_a_notice_in_its_period_with_an_objection(demo):
    for county in COUNTIES:
        notices = [
            i
            for i in items_of(county=county, is_notice=True, scope="public")
            if items.notice_open(i)
        ]
        assert notices, county
        notice = notices[0]
        assert notice.notice_days >= params.value(notice.organisation, "notice.min_days")
        assert notice.published_at > db.utcnow() - timedelta(days=notice.notice_days)
        assert items.objections(notice), county
        # earlier notices closed by themselves after their period
        closed = items_of(county=county, is_notice=True, state="closed")
        assert closed and all(i.closed_at >= i.notice_ends_at for i in closed), county


@pytest.mark.rule("PUB-6")
@pytest.mark.rule("PUB-7")
def test_every_county_has_withheld_amended_and_revoked_items(demo):
    for county in COUNTIES:
        withheld = items_of(county=county, state="withheld")
        assert withheld and all(i.withheld_reason for i in withheld), county

        amended = [i for i in items_of(county=county) if len(items.versions(i)) == 2]
        assert amended, county
        item = amended[0]
        first, second = items.versions(item)
        assert item.current_version_id == second.id and second.explanation
        assert first.bodies != second.bodies
        parent = db.session.get(type(item.organisation), item.organisation.parent_id)
        assert steps(item, "approve_amendment")[0].actor_label == f"{parent.code}-reviewer"

        revoked = items_of(county=county, state="revoked")
        assert revoked and all(i.revocation_explanation for i in revoked), county
        assert steps(revoked[0], "approve_revocation")


@pytest.mark.rule("PUB-3")
def test_off_catalogue_items_are_approved_by_the_parent(demo):
    for county in COUNTIES:
        published = [i for i in items_of(county=county, entry_key=None) if i.published_at]
        assert published, county
        for item in published:
            parent = db.session.get(type(item.organisation), item.organisation.parent_id)
            assert steps(item, "superior_approve")[0].actor_label == f"{parent.code}-reviewer"


@pytest.mark.rule("SCOPE-1")
def test_intra_party_items(demo):
    for code, _parent in units():
        internal = [
            i
            for i in items_of(code)
            if i.state in VISIBLE_STATES and i.scope in ("party_wide", "unit")
        ]
        assert len(internal) >= 5, code
    specific = items_of("hongjiang-agri", scope="specific", state="published")
    assert specific and items.audience(specific[0])["orgs"]


def test_one_item_in_each_state_before_publication(demo):
    for state in ("draft", "proposed", "reviewed", "superior_review", "approved", "scheduled"):
        assert items_of(state=state), state
    assert all(i.planned_at > db.utcnow() for i in items_of(state="scheduled"))
    returned = [i for i in items_of(state="draft") if items.reviews(i)]
    assert returned and returned[0].state == "draft"


def test_bilingual_items(demo):
    kindergarten = [i for i in items_of("kashgar-kg3") if i.state in VISIBLE_STATES]
    assert all(i.current_version.titles.get("ug") for i in kindergarten if i.entry_key)
    assert any(i.current_version.bodies.get("ug") for i in kindergarten)
    assert any(i.current_version.titles.get("en") for i in items_of("hengdong-tts"))


@pytest.mark.rule("ARC-1")
def test_the_register_of_every_unit_verifies(demo):
    for code, _parent in units():
        org = tenants.get_org(code)
        assert register.verify(org) == [], code
        assert register.count(org)[0] >= 20, code
