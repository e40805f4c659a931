"""The demo catalogues: templates of both styles, an approved catalogue for every demo unit."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core import db
from core.audit import AuditEntry
from core.catalogue import demo, transfer
from core.catalogue import operations as cat
from core.catalogue.models import Catalogue, CatalogueVersion, Category, Entry
from core.cli import main
from core.workflow.models import WorkflowStep
from tenants import operations as tenants
from tenants.models import LeadingGroupVersion, Membership, Organisation, User
from tests import demodb

COUNTIES = {"kashgar", "hongjiang", "xiaoyi", "chenggong", "hengdong"}
TABLES = (Organisation, User, Membership, Catalogue, CatalogueVersion, Category, Entry,
          WorkflowStep, AuditEntry, LeadingGroupVersion)  # fmt: skip


USUAL_ENTRIES = {
    "党费收缴、使用和管理情况",
    "党员发展情况",
    "民主评议党员情况",
    "党组织换届选举情况",
    "“三会一课”开展情况",
    "领导班子职责分工",
    "干部选拔任用情况",
    "为民办实事情况",
    "党风廉政建设责任制落实情况",
    "重大事项决策及执行情况",
}


@pytest.fixture
def loaded(app):
    import tenants.demo

    plugins = app.extensions["gongkai.plugins"]
    tenants.demo.load(sectors=set(plugins.sectors()), themes=set(app.extensions["gongkai.themes"]))
    summary = demo.load()
    db.session.commit()
    return summary


def org(code):
    return tenants.get_org(code)


def row_counts() -> dict[str, int]:
    return {m.__tablename__: db.session.scalar(select(func.count()).select_from(m)) for m in TABLES}


def test_demo_load_twice_changes_nothing(demo_database):
    # the first load: the one of this process and backend (tests.demodb), copied for the module
    assert "28 organisations created" in demo_database.first
    assert (
        "Demo catalogues: 5 templates published, 23 unit catalogues approved, 2 later versions "
        "(hongjiang-seed-farm submitted, xiaoyi-landscape-maintenance returned)"
        in demo_database.first
    )
    with demodb.app_on(demo_database.url, demo_database.instance) as app:
        first = row_counts()
        # plus the approved catalogues of the village affairs demo's two villages
        assert first["catalogue_versions"] == 5 + 23 + 2 + 2
        # ORG-2: every organisation of the demo has its leading group (the villages' too), and
        # one unit's has a history
        orgs = db.session.scalars(select(Organisation)).all()
        assert len(orgs) == 28 + 3
        assert not [o.code for o in orgs if not (o.leading_group or {}).get("leader")]
        history = tenants.leading_group_versions(org("kashgar-kg3"))
        assert [(v.number, v.source) for v in history] == [(2, "console"), (1, "demo")]
        assert history[0].content["liaison"] == {"name": "热依拉", "post": "保教主任"}

        result = app.test_cli_runner().invoke(main, ["demo", "load"])
        assert result.exit_code == 0, result.output
        assert (
            "0 templates published, 0 unit catalogues approved, 0 later versions" in result.stdout
        )
        db.session.remove()
        assert row_counts() == first


@pytest.mark.rule("CAT-1")
@pytest.mark.rule("CAT-3")
def test_every_demo_unit_has_exactly_one_effective_catalogue(loaded):
    codes = demo.demo_codes()
    assert len(codes) == 28
    for code, parent in codes:
        unit = org(code)
        if code in COUNTIES:
            assert parent is None and not cat.versions(unit)  # no superior to approve it
            continue
        approved = [v for v in cat.versions(unit) if v.state == "approved"]
        assert len(approved) == 1, code
        effective = cat.effective_version(unit)
        assert effective is not None and effective.id == approved[0].id, code
        assert effective.decided_by_id == tenants.get_user(f"{parent}-reviewer").id
        assert not cat.missing_mandatory(effective), code
        assert not cat.incomplete_entries(effective), code
        assert effective.template_version_id == cat.template_source(unit).id
    # the kindergarten derives from the working committee's template, not the county's
    kg3_version = cat.effective_version(org("kashgar-kg3"))
    template = db.session.get(CatalogueVersion, kg3_version.template_version_id)
    assert template.organisation.code == "kashgar-edu"
    # units adjust their catalogue: add entries, drop optional ones, keep the mandatory ones
    kg3 = {e.key: e for e in cat.entries(kg3_version)}
    assert "kg3.parents" in kg3 and not kg3["kg3.parents"].mandatory
    assert kg3["organisation.recruitment"].titles["ug"] == "يېڭى پارتىيە ئەزالىرىنى قوبۇل قىلىش"
    retirees = {e.key for e in cat.entries(cat.effective_version(org("hongjiang-retirees")))}
    assert "cadres.rotation" not in retirees and "cadres.selection" in retirees


def test_a_pending_and_a_returned_version(loaded):
    seed_farm = cat.versions(org("hongjiang-seed-farm"))
    assert [(v.number, v.state) for v in seed_farm] == [(2, "submitted"), (1, "approved")]
    assert "seed-farm.quality" in {e.key for e in cat.entries(seed_farm[0])}
    inbox = cat.inbox(tenants.get_user("hongjiang-agri-reviewer"))
    assert [v.organisation.code for v in inbox] == ["hongjiang-seed-farm"]

    maintenance = cat.versions(org("xiaoyi-landscape-maintenance"))
    assert [(v.number, v.state) for v in maintenance] == [(2, "returned"), (1, "approved")]
    assert maintenance[0].decision_comment == "请补充党员发展情况的公开时限"
    assert cat.history(maintenance[0])[-1].actor_label == "xiaoyi-landscape-reviewer"
    assert cat.effective_version(org("xiaoyi-landscape-maintenance")).number == 1


@pytest.mark.rule("CAT-4")
def test_both_template_styles(loaded):
    chenggong = cat.effective_version(org("chenggong"), "template")
    top = cat.tree(chenggong)
    assert [n.category.titles["zh_Hans_CN"] for n in top] == [
        "组织人事工作类", "中心工作类", "宣传思想工作类", "党风廉政建设情况",
    ]  # fmt: skip
    assert [len(n.children) for n in top] == [4, 3, 3, 5]  # 15 sub-items
    assert all(not n.entries for n in top)
    assert {c.category.code_2010 for n in top for c in n.children} <= set(transfer.CODES_2010)

    for owner in ("kashgar-edu", "hongjiang", "xiaoyi", "hengdong"):
        template = cat.effective_version(org(owner), "template")
        nodes = cat.tree(template)
        assert [n.category.code_2010 for n in nodes] == list("12345678"), owner
        entries = cat.entries(template)
        public = [e for e in entries if e.scope == "public"]
        assert 0.4 < len(public) / len(entries) < 0.65, owner
        assert any(e.mandatory for e in entries) and not all(e.mandatory for e in entries)
        titles = {e.titles["zh_Hans_CN"] for e in entries}
        assert titles >= USUAL_ENTRIES, owner

    # the demo files are in the import format, exactly as the export writes it
    for owner, filename in demo.TEMPLATES.items():
        text = (demo.HERE / filename).read_text(encoding="utf-8")
        body = "".join(line for line in text.splitlines(True) if not line.startswith("#"))
        assert transfer.export_yaml(cat.effective_version(org(owner), "template")) == body, owner
