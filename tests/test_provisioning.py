"""Organisation trees as YAML (import, export, ORG-3 warnings), the operator commands, the demo."""

from __future__ import annotations

import textwrap
from datetime import date

import pytest
from sqlalchemy import func, select

from core import db
from core.audit import AuditEntry
from core.cli import main
from tenants import hierarchy, operations, provisioning
from tenants.models import Membership, Organisation, User
from tenants.provisioning import ImportRejected
from tests import demodb

TODAY = date(2026, 1, 1)

TREE = """\
organisations:
  - code: t-county
    type: county_committee
    names:
      zh_Hans_CN: {full: 中共测试县委员会, short: 测试县委}
      en: {full: CPC Test County Committee}
    locales: [zh_Hans_CN, ug]
    timezone: Asia/Urumqi
    children:
      - code: t-bureau
        type: party_committee
        names: {zh_Hans_CN: {full: 中共测试县农业局委员会, short: 农业局党委}}
        hierarchical_code: 0010203
        full_members: 40
        officers: {secretary: 张三, deputy: 李四}
        contacts: {hotline: 0745-0000010, email: dwgk@test.example.org, reception_day: 每周四}
        leading_group:
          leader: 张三
          deputies: [李四]
          members: [王五, 赵六]
          office: 局办公室
        children:
          - code: t-zeta
            type: branch
            sector: school
            names: {zh_Hans_CN: 测试县第二中学党支部}
            founded_on: 2024-06-01
            term_ends_on: 2027-06-01
            full_members: 20
          - code: t-alpha
            type: branch
            sector: soe
            names: {zh_Hans_CN: {full: 测试县农垦场党支部}}
            full_members: 12
            plugins: {enabled: [three_important]}
"""
TREE_CODES = ["t-county", "t-bureau", "t-zeta", "t-alpha"]


@pytest.fixture
def known(app):
    return {
        "sectors": set(app.extensions["gongkai.plugins"].sectors()),
        "themes": set(app.extensions["gongkai.themes"]),
    }


@pytest.fixture
def load(known):
    """Import a YAML text as a command would (validate, write, commit)."""

    def run(text: str, **kwargs) -> provisioning.ImportReport:
        report = provisioning.import_yaml(textwrap.dedent(text), **known, today=TODAY, **kwargs)
        db.session.commit()
        return report

    return run


@pytest.fixture
def reject(known):
    """Import a YAML text that must be refused; returns the listed problems."""

    def run(text: str) -> list[str]:
        with pytest.raises(ImportRejected) as caught:
            provisioning.import_yaml(textwrap.dedent(text), **known, today=TODAY)
        db.session.rollback()
        assert caught.value.problems, "a rejection must list its problems"
        return caught.value.problems

    return run


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def audit_actions(*actions: str) -> list[AuditEntry]:
    return list(
        db.session.scalars(
            select(AuditEntry).where(AuditEntry.action.in_(actions)).order_by(AuditEntry.id)
        )
    )


def org(code: str) -> Organisation:
    db.session.expire_all()
    found = operations.get_org(code)
    assert found is not None, f"{code} is missing"
    return found


def line_of(text: str, needle: str, nth: int = 1) -> int:
    """The 1-based line of the ``nth`` line containing ``needle``."""
    hits = [i for i, line in enumerate(textwrap.dedent(text).splitlines(), 1) if needle in line]
    assert len(hits) >= nth, f"{needle!r} is not in the file {nth} times"
    return hits[nth - 1]


def snapshot() -> dict[str, dict]:
    """Every column of every organisation (paths, positions, updated_at included)."""
    db.session.expire_all()
    columns = [c.key for c in Organisation.__table__.columns]
    return {
        o.code: {c: getattr(o, c) for c in columns}
        for o in db.session.scalars(select(Organisation))
    }


# --- import ----------------------------------------------------------------------------------


@pytest.mark.rule("ORG-2")
def test_a_nested_file_builds_the_tree(load):
    report = load(TREE)

    assert report.created == TREE_CODES
    assert report.updated == report.moved == report.unchanged == []
    county, bureau, zeta, alpha = (org(c) for c in TREE_CODES)
    assert county.parent_id is None and county.depth == 0 and county.path == f"/{county.id}/"
    assert bureau.parent_id == county.id and bureau.path == f"/{county.id}/{bureau.id}/"
    assert zeta.parent_id == alpha.parent_id == bureau.id
    assert alpha.path == f"/{county.id}/{bureau.id}/{alpha.id}/" and alpha.depth == 2
    assert {o.root_id for o in (county, bureau, zeta, alpha)} == {county.id}
    # siblings keep the file's order, not the alphabet's
    assert [o.code for o in hierarchy.children(bureau)] == ["t-zeta", "t-alpha"]
    assert [o.code for o in hierarchy.subtree(county)] == TREE_CODES
    # the values arrive as written
    assert county.type_code == "county_committee" and county.sector == "agency"
    assert county.names["en"] == {"full": "CPC Test County Committee"}
    assert county.locales == ["zh_Hans_CN", "ug"] and county.timezone == "Asia/Urumqi"
    assert bureau.hierarchical_code == "0010203", "leading zeros of a code are kept"
    assert bureau.contacts["hotline"] == "0745-0000010"
    assert bureau.leading_group["members"] == [{"name": "王五"}, {"name": "赵六"}]
    assert zeta.names == {"zh_Hans_CN": {"full": "测试县第二中学党支部"}}
    assert zeta.sector == "school" and zeta.founded_on == date(2024, 6, 1)
    assert alpha.plugin_settings == {"enabled": ["three_important"]}
    created = audit_actions("organisation.create")
    assert [e.org_id for e in created] == [county.id, bureau.id, zeta.id, alpha.id]


def test_a_parent_named_later_in_the_file_is_created_first(load):
    report = load(
        """\
        organisations:
          - code: t-late-branch
            parent: t-late-county
            type: branch
            names: {zh_Hans_CN: 支部}
          - code: t-late-county
            type: county_committee
            names: {zh_Hans_CN: 县委}
        """
    )
    assert sorted(report.created) == ["t-late-branch", "t-late-county"]
    county = org("t-late-county")
    assert org("t-late-branch").parent_id == county.id
    assert [o.code for o in hierarchy.roots()] == ["t-late-county"]


BAD = """\
organisations:
  - code: t-good
    type: county_committee
    names: {zh_Hans_CN: 一个没有问题的县委}
  - code: t-bad
    type: no_such_type
    sector: no_such_sector
    names: {zh_Hans_CN: 有问题的单位}
    founded_on: 2024-02-30
    term_ends_on: next spring
    colour: red
    contacts: {email: not-an-email}
    children:
      - code: t-nameless
        type: branch
      - code: t-good
        type: branch
        names: {zh_Hans_CN: 重复}
      - just a string
  - code: t-orphan
    parent: t-nowhere
    type: branch
    names: {zh_Hans_CN: 孤儿}
"""


def test_a_bad_file_is_rejected_as_a_whole_with_every_problem(reject, make_org):
    make_org("t-existing", type_code="county_committee")
    before_orgs, before_audit = count(Organisation), count(AuditEntry)

    problems = reject(BAD)

    expected = {
        (line_of(BAD, "type: no_such_type"), "type"),
        (line_of(BAD, "sector: no_such_sector"), "sector"),
        (line_of(BAD, "founded_on: 2024-02-30"), "founded_on"),
        (line_of(BAD, "term_ends_on: next spring"), "term_ends_on"),
        (line_of(BAD, "colour: red"), "colour"),
        (line_of(BAD, "not-an-email"), "contacts.email"),
        (line_of(BAD, "code: t-nameless"), "names"),
        (line_of(BAD, "code: t-good", nth=2), "code"),
        (line_of(BAD, "- just a string"), "children"),
        (line_of(BAD, "parent: t-nowhere"), "parent"),
    }
    found = set()
    for problem in problems:
        where, _, _message = problem.partition(": ")
        line, _, field = where.partition(", ")
        assert line.startswith("line "), f"no line number: {problem}"
        found.add((int(line.removeprefix("line ")), field))
    assert found == expected, "\n".join(problems)
    assert len(problems) == len(expected), "\n".join(problems)
    duplicate = next(p for p in problems if ", code:" in p)
    assert f"first on line {line_of(BAD, 'code: t-good')}" in duplicate
    assert "'no_such_sector'" in next(p for p in problems if ", sector:" in p)
    # nothing was written, not even the valid county at the top of the file
    assert count(Organisation) == before_orgs
    assert count(AuditEntry) == before_audit
    assert operations.get_org("t-good") is None


@pytest.mark.parametrize(
    ("text", "line", "field"),
    [
        ("organisations:\n  - code: x\n   type: branch\n", 3, "yaml"),
        ("organisations:\n  - code: x\n  - code: y\n    code: z\n", 4, "yaml"),
        ("organisations: [ {code: x\n", 2, "yaml"),
        ("units:\n  - code: x\n", 1, "organisations"),
        ("just some text, not a tree\n", 1, "organisations"),
        ("", 1, "organisations"),
    ],
    ids=["bad-indent", "duplicate-key", "unclosed", "no-organisations-key", "plain-text", "empty"],
)
def test_a_file_that_is_not_an_organisation_list_is_rejected(reject, text, line, field):
    problems = reject(text)
    assert len(problems) == 1
    assert problems[0].startswith(f"line {line}, {field}: "), problems
    assert count(Organisation) == 0


@pytest.mark.parametrize(
    ("field_line", "field"),
    [
        ("timezone: America", "timezone"),
        ("timezone: Mars/Olympus", "timezone"),
        ("default_locale: fr", "default_locale"),
        ("locales: [zh_Hans_CN, fr]", "locales"),
        ("theme: no-such-theme", "theme"),
        ("enabled: maybe", "enabled"),
        ("full_members: -1", "full_members"),
        ("full_members: many", "full_members"),
        ("host: not a host", "host"),
        ("term_ends_on: 2024-13-01", "term_ends_on"),
        ("officers: {chairman: x}", "officers.chairman"),
        ("leading_group: {boss: x}", "leading_group.boss"),
        ("leading_group: {members: 张三}", "leading_group.members"),
        ("plugins: {maybe: [x]}", "plugins.maybe"),
        ("names: {zh_Hans_CN: x, fr: y}", "names.fr"),
        ("names: {en: only English}", "names.zh_Hans_CN"),
        ("code: Bad_Code", "code"),
    ],
)
def test_each_bad_value_is_a_problem_on_its_line(reject, field_line, field):
    key = field_line.split(":")[0]
    fields = {"code": "t-unit", "type": "branch", "names": "{zh_Hans_CN: 单位}"}
    fields.pop(key, None)
    lines = [f"{k}: {v}" for k, v in fields.items()] + [field_line]
    text = "organisations:\n  - " + "\n    ".join(lines) + "\n"
    (problem,) = reject(text)
    assert problem.startswith(f"line {line_of(text, field_line)}, {field}: "), problem
    assert count(Organisation) == 0


def test_reimporting_the_same_file_changes_nothing(load):
    load(TREE)
    before, audit_before = snapshot(), count(AuditEntry)

    report = load(TREE)

    assert report.unchanged == TREE_CODES
    assert not report.changed and report.created == report.updated == report.moved == []
    assert snapshot() == before, "updated_at, paths and positions stay as they were"
    assert count(AuditEntry) == audit_before
    assert audit_actions("organisation.update", "organisation.move") == []


def test_changing_one_field_updates_only_that_organisation(load):
    load(TREE)
    before = snapshot()

    report = load(TREE.replace("full_members: 12", "full_members: 13"))

    assert report.updated == ["t-alpha"]
    assert report.unchanged == ["t-county", "t-bureau", "t-zeta"]
    after = snapshot()
    assert {c for c in after if after[c] != before[c]} == {"t-alpha"}
    assert after["t-alpha"]["updated_at"] > before["t-alpha"]["updated_at"]
    assert org("t-alpha").full_members == 13
    (entry,) = audit_actions("organisation.update")
    assert entry.org_id == org("t-alpha").id
    assert entry.changes == {"full_members": [12, 13]}


def test_fields_a_file_leaves_out_are_kept_and_an_empty_one_is_cleared(load):
    load(TREE)
    partial = """\
    organisations:
      - code: t-bureau
        parent: t-county
        type: party_committee
        names: {zh_Hans_CN: {full: 中共测试县农业局委员会, short: 农业局党委}}
        hierarchical_code:
    """
    report = load(partial)
    assert report.updated == ["t-bureau"]
    bureau = org("t-bureau")
    assert bureau.hierarchical_code is None
    assert bureau.contacts["email"] == "dwgk@test.example.org"
    assert bureau.full_members == 40 and bureau.officers["secretary"] == "张三"
    assert [o.code for o in hierarchy.children(bureau)] == ["t-zeta", "t-alpha"]


# --- export ----------------------------------------------------------------------------------


def test_export_then_import_changes_nothing(load, make_org):
    load(TREE)
    # units made one by one share position 0; counties imported from separate files too
    other = make_org("t-other", type_code="county_committee", host="gk.other.example.org")
    make_org("t-other-b", parent=other, sector="village", full_members=2)
    make_org("t-other-a", parent=other, enabled=False, founded_on=date(2023, 3, 1))
    load(
        "organisations:\n"
        "  - {code: t-third, type: county_committee, names: {en: x, zh_Hans_CN: 三}}\n"
    )
    before, audit_before = snapshot(), count(AuditEntry)

    text = provisioning.export_yaml()
    report = load(text)

    assert sorted(report.unchanged) == sorted(before), text
    assert not report.changed
    assert snapshot() == before
    assert count(AuditEntry) == audit_before
    assert provisioning.export_yaml() == text
    assert "hierarchical_code: '0010203'" in text
    assert "host: gk.other.example.org" in text and "enabled: false" in text


def test_exporting_a_subtree_names_its_parent_and_reimports_unchanged(load):
    load(TREE)
    # t-alpha is the second child of t-bureau (position 1)
    for root, parent in (("t-bureau", "t-county"), ("t-alpha", "t-bureau")):
        text = provisioning.export_yaml(org(root))
        assert text.startswith(f"organisations:\n- code: {root}\n  parent: {parent}\n")
        assert exported_codes(text) == [c for c in TREE_CODES if c in hierarchy_codes(root)]
        before = snapshot()
        report = load(text)
        assert not report.changed, (root, report)
        assert snapshot() == before


def hierarchy_codes(root: str) -> list[str]:
    return [o.code for o in hierarchy.subtree(org(root))]


def test_exporting_a_county_includes_no_parent(load):
    load(TREE)
    text = provisioning.export_yaml(org("t-county"))
    assert "parent:" not in text
    assert exported_codes(text) == TREE_CODES


def exported_codes(text: str) -> list[str]:
    return [line.split("- code: ")[1] for line in text.splitlines() if "- code: " in line]


# --- ORG-3 advisory checks -------------------------------------------------------------------

UNIT = """\
organisations:
  - code: t-c
    type: county_committee
    names: {{zh_Hans_CN: 县委}}
    children:
      - code: t-unit
        type: {type}
        sector: {sector}
        names: {{zh_Hans_CN: 单位}}
{extra}"""


def unit(type_code="branch", sector="agency", **fields) -> str:
    extra = "".join(f"        {key}: {value}\n" for key, value in fields.items())
    return UNIT.format(type=type_code, sector=sector, extra=extra)


@pytest.mark.rule("ORG-3")
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (unit(full_members=2), "at least 3 full members (2 recorded)"),
        (unit(full_members=3), None),
        (unit(type_code="joint_branch", full_members=1), "at least 3 full members"),
        (unit(full_members=50), None),
        (unit(full_members=51), "at most 50 full members (51 recorded)"),
        (unit(full_members=60), "at most 50 full members (60 recorded)"),
        (unit(type_code="general_branch", full_members=60), None),
        (unit(type_code="party_committee", full_members=5), "7 or more members (5 recorded)"),
        (unit(type_code="party_committee", full_members=6), "7 or more members (6 recorded)"),
        (unit(type_code="party_committee", full_members=7), None),
    ],
    ids=[
        "branch-2",
        "branch-3",
        "joint-branch-1",
        "branch-50",
        "branch-51",
        "branch-60",
        "general-branch-60",
        "committee-5",
        "committee-6",
        "committee-7",
    ],
)
def test_membership_warnings(load, text, expected):
    report = load(text)
    assert report.created == ["t-c", "t-unit"], "a warning never blocks an import"
    unit_warnings = [w for w in report.warnings if w.startswith("t-unit:")]
    if expected is None:
        assert unit_warnings == []
    else:
        assert len(unit_warnings) == 1 and expected in unit_warnings[0], report.warnings


@pytest.mark.rule("ORG-3")
@pytest.mark.parametrize(
    ("sector", "founded", "ends", "expected"),
    [
        ("agency", "2024-06-01", "2027-06-01", None),
        ("agency", "2024-06-01", "2029-06-01", "should last 3 years"),
        ("school", "2024-06-01", "2026-06-01", "should last 3 years"),
        ("village", "2024-06-01", "2029-06-01", None),
        ("community", "2024-06-01", "2029-06-01", None),
        ("village", "2024-06-01", "2027-06-01", "should last 5 years"),
    ],
    ids=["3y", "5y-agency", "2y-school", "5y-village", "5y-community", "3y-village"],
)
def test_term_length_warnings(load, sector, founded, ends, expected):
    report = load(unit(sector=sector, founded_on=founded, term_ends_on=ends))
    assert "t-unit" in report.created
    unit_warnings = [w for w in report.warnings if w.startswith("t-unit:")]
    if expected is None:
        assert unit_warnings == []
    else:
        assert len(unit_warnings) == 1 and expected in unit_warnings[0], report.warnings


@pytest.mark.rule("ORG-3")
@pytest.mark.parametrize(
    ("founded", "ends", "expected"),
    [
        ("2023-03-31", "2026-03-31", "ends on 2026-03-31 (89 days); prepare the election"),
        ("2023-04-01", "2026-04-01", "(90 days); prepare the election"),
        ("2023-04-02", "2026-04-02", None),
        ("2022-12-31", "2025-12-31", "the term ended on 2025-12-31; the election is overdue"),
    ],
    ids=["89-days", "90-days", "91-days", "overdue"],
)
def test_term_end_reminders(load, founded, ends, expected):
    report = load(unit(founded_on=founded, term_ends_on=ends))  # today is 2026-01-01
    unit_warnings = [w for w in report.warnings if w.startswith("t-unit:")]
    if expected is None:
        assert unit_warnings == []
    else:
        assert len(unit_warnings) == 1 and expected in unit_warnings[0], report.warnings


@pytest.mark.rule("ORG-3")
def test_warnings_are_repeated_on_an_unchanged_reimport_and_never_block_it(load):
    text = unit(full_members=2, founded_on="2022-12-31", term_ends_on="2025-12-31")
    first = load(text)
    second = load(text)
    assert second.unchanged == ["t-c", "t-unit"]
    assert second.warnings == first.warnings and len(first.warnings) == 2


# --- the tree: moves, hosted counties, hosts --------------------------------------------------

COUNTIES = """\
organisations:
  - code: t-a
    type: county_committee
    names: {zh_Hans_CN: 甲县委}
    host: a.example.org
    children:
      - code: t-a-bureau1
        type: party_committee
        names: {zh_Hans_CN: 一局党委}
        children:
          - code: t-a-general
            type: general_branch
            names: {zh_Hans_CN: 党总支}
            children:
              - code: t-a-branch
                type: branch
                names: {zh_Hans_CN: 支部}
      - code: t-a-bureau2
        type: party_committee
        names: {zh_Hans_CN: 二局党委}
  - code: t-b
    type: county_committee
    names: {zh_Hans_CN: 乙县委}
"""


def test_a_unit_moves_within_its_county(load):
    load(COUNTIES)
    move = """\
    organisations:
      - code: t-a-general
        parent: t-a-bureau2
        type: general_branch
        names: {zh_Hans_CN: 党总支}
    """
    report = load(move)

    assert report.moved == ["t-a-general"] and report.updated == []
    a, bureau2, general, branch = (
        org(c) for c in ("t-a", "t-a-bureau2", "t-a-general", "t-a-branch")
    )
    assert general.parent_id == bureau2.id
    assert general.path == f"/{a.id}/{bureau2.id}/{general.id}/"
    assert branch.path == f"/{a.id}/{bureau2.id}/{general.id}/{branch.id}/" and branch.depth == 3
    assert [o.code for o in hierarchy.subtree(org("t-a-bureau1"))] == ["t-a-bureau1"]
    (entry,) = audit_actions("organisation.move")
    assert entry.changes == {"parent_id": [org("t-a-bureau1").id, bureau2.id]}
    assert not load(move).changed


def test_a_hosted_county_cannot_be_placed_under_another_organisation(load, reject):
    load(COUNTIES)
    before = snapshot()
    as_top_level = """\
    organisations:
      - code: t-b
        parent: t-a
        type: county_committee
        names: {zh_Hans_CN: 乙县委}
    """
    (problem,) = reject(as_top_level)
    assert problem.startswith("line 3, parent: 't-b' is a hosted county")
    as_child = """\
    organisations:
      - code: t-a
        type: county_committee
        names: {zh_Hans_CN: 甲县委}
        children:
          - code: t-b
            type: county_committee
            names: {zh_Hans_CN: 乙县委}
    """
    (problem,) = reject(as_child)
    assert problem.startswith("line 6, parent: 't-b' is a hosted county")
    assert snapshot() == before


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            """\
            organisations:
              - code: t-a-branch
                parent: t-b
                type: branch
                names: {zh_Hans_CN: 支部}
            """,
            "line 3, parent: 't-a-branch' belongs to the county 't-a' and cannot be moved "
            "into 't-b'",
        ),
        (
            """\
            organisations:
              - code: t-new
                type: county_committee
                names: {zh_Hans_CN: 新县委}
                children:
                  - code: t-a-bureau2
                    type: party_committee
                    names: {zh_Hans_CN: 二局党委}
            """,
            "line 6, parent: 't-a-bureau2' belongs to the county 't-a' and cannot be moved "
            "into 't-new'",
        ),
        (
            """\
            organisations:
              - code: t-a-bureau1
                parent: t-a-branch
                type: party_committee
                names: {zh_Hans_CN: 一局党委}
            """,
            "line 3, parent: 't-a-bureau1' would be its own ancestor",
        ),
        (
            """\
            organisations:
              - code: t-x
                parent: t-y
                type: branch
                names: {zh_Hans_CN: x}
              - code: t-y
                parent: t-x
                type: branch
                names: {zh_Hans_CN: y}
            """,
            "line 3, parent: 't-x' would be its own ancestor",
        ),
        (
            """\
            organisations:
              - code: t-a-branch
                type: branch
                names: {zh_Hans_CN: 支部}
            """,
            "line 2, parent: 't-a-branch' exists under another organisation; name its parent",
        ),
    ],
    ids=["other-county", "new-county", "own-descendant", "cycle-in-file", "parent-missing"],
)
def test_moves_that_would_break_the_tree_are_rejected(load, reject, text, message):
    load(COUNTIES)
    before = snapshot()
    problems = reject(text)
    assert any(p.startswith(message) for p in problems), problems
    assert snapshot() == before
    assert audit_actions("organisation.move") == []


def test_every_refused_move_of_a_file_is_listed(load, reject):
    load(COUNTIES)
    problems = reject(
        """\
        organisations:
          - code: t-a-branch
            parent: t-b
            type: branch
            names: {zh_Hans_CN: 支部}
          - code: t-a-bureau2
            parent: t-b
            type: party_committee
            names: {zh_Hans_CN: 二局党委}
        """
    )
    assert [p.split(": ")[0] for p in problems] == ["line 3, parent", "line 7, parent"]


def test_host_collisions_are_rejected(load, reject):
    load(COUNTIES)
    (problem,) = reject(
        """\
        organisations:
          - code: t-b
            type: county_committee
            names: {zh_Hans_CN: 乙县委}
            host: A.example.org
        """
    )
    assert problem == "line 5, host: 'a.example.org' is already mapped to 't-a'"
    (problem,) = reject(
        """\
        organisations:
          - code: t-c1
            type: county_committee
            names: {zh_Hans_CN: 丙县委}
            host: c.example.org
          - code: t-c2
            type: county_committee
            names: {zh_Hans_CN: 丁县委}
            host: c.example.org
        """
    )
    assert problem == "line 9, host: 'c.example.org' is also mapped to 't-c1'"
    assert operations.get_org("t-c1") is None and org("t-b").host is None
    # an organisation keeps its own host on re-import
    assert not load(COUNTIES).changed


# --- commands --------------------------------------------------------------------------------


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()

    def invoke(*args, **kwargs):
        result = runner.invoke(main, [str(a) for a in args], **kwargs)
        db.session.remove()  # as after a command: later reads see what it committed
        return result

    return invoke


def test_cli_import_of_a_bad_file_exits_2_with_the_problems(cli, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(BAD, encoding="utf-8")
    result = cli("orgs", "import", path)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("Error: The file was rejected; nothing was imported.")
    assert f"line {line_of(BAD, 'sector: no_such_sector')}, sector: unknown sector" in result.stderr
    assert f"line {line_of(BAD, 'parent: t-nowhere')}, parent: " in result.stderr
    assert result.stdout == ""
    assert count(Organisation) == 0


def test_cli_import_of_a_binary_file_exits_2(cli, tmp_path):
    path = tmp_path / "logo.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe")
    result = cli("orgs", "import", path)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("Error: ")
    assert count(Organisation) == 0


def test_cli_dry_run_writes_nothing(cli, tmp_path):
    path = tmp_path / "tree.yaml"
    path.write_text(unit(full_members=2), encoding="utf-8")
    result = cli("orgs", "import", "--dry-run", path)
    assert result.exit_code == 0, result.output
    assert "created: t-c, t-unit" in result.stdout
    assert "Dry run: nothing was written." in result.stdout
    assert "warning: t-unit: a branch needs at least 3 full members" in result.stderr
    assert count(Organisation) == 0 and count(AuditEntry) == 0

    result = cli("orgs", "import", path)
    assert result.exit_code == 0, result.output
    assert "2 created, 0 updated, 0 moved, 0 unchanged." in result.stdout
    assert count(Organisation) == 2
    result = cli("orgs", "import", path)
    assert "0 created, 0 updated, 0 moved, 2 unchanged." in result.stdout


def test_cli_export_of_a_subtree(cli, load, tmp_path):
    load(COUNTIES.replace("t-a", "hongjiang"))
    result = cli("orgs", "export", "--root", "hongjiang-bureau1")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(
        "organisations:\n- code: hongjiang-bureau1\n  parent: hongjiang\n"
    )
    assert "hongjiang-branch" in result.stdout and "hongjiang-bureau2" not in result.stdout
    out = tmp_path / "hongjiang.yaml"
    result = cli("orgs", "export", "--root", "hongjiang", "-o", out)
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert text.count("- code: hongjiang") == 5 and "t-b" not in text and "parent:" not in text
    result = cli("orgs", "import", out)
    assert "0 created, 0 updated, 0 moved, 5 unchanged." in result.stdout, result.output
    result = cli("orgs", "export", "--root", "nowhere")
    assert result.exit_code == 2
    assert result.stderr == "Error: No organisation with code 'nowhere'.\n"


def test_cli_orgs_list(cli, load):
    load(COUNTIES)
    result = cli("orgs", "list")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "t-a\tcounty_committee\t甲县委"
    assert "      t-a-branch\tbranch\t支部" in lines
    assert lines[-1].startswith("t-b\t")


def test_cli_users_create_with_a_role(cli, load):
    load(COUNTIES)
    result = cli(
        "users", "create", "alice", "--password", "long-enough", "--role", "admin@t-a-bureau1"
    )
    assert result.exit_code == 0, result.output
    user = operations.get_user("alice")
    assert operations.verify_password(user, "long-enough")
    assert [(m.role, m.organisation.code) for m in operations.memberships_of(user)] == [
        ("admin", "t-a-bureau1")
    ]
    (entry,) = audit_actions("membership.grant")
    assert entry.org_id == org("t-a-bureau1").id


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--password", "long-enough", "--role", "admin@t-nowhere"], "No organisation"),
        (["--password", "short", "--role", "admin@t-a"], "at least 8 characters"),
        (["--password", "long-enough", "--role", "boss@t-a"], "--role takes ROLE@CODE"),
        (["--password", "long-enough", "--role", "admin"], "--role takes ROLE@CODE"),
    ],
    ids=["unknown-org", "short-password", "unknown-role", "no-org"],
)
def test_cli_users_create_refused(cli, load, args, message):
    load(COUNTIES)
    result = cli("users", "create", "bob", *args)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("Error: ") and message in result.stderr
    assert operations.get_user("bob") is None
    assert count(Membership) == 0


def test_cli_users_grant_revoke_list_and_password(cli, load):
    load(COUNTIES)
    assert cli("users", "create", "carol", "--password", "first-password").exit_code == 0
    assert cli("users", "create", "carol", "--password", "first-password").exit_code == 2
    result = cli("users", "grant", "carol", "reviewer", "t-a")
    assert result.exit_code == 0 and "carol is reviewer of t-a." in result.stdout
    assert cli("users", "grant", "carol", "reviewer", "t-a").exit_code == 0  # idempotent
    assert cli("users", "grant", "carol", "supervisor", "t-b").exit_code == 0
    assert count(Membership) == 2
    listing = cli("users", "list").stdout
    assert "carol\tcarol\treviewer@t-a, supervisor@t-b\n" in listing, listing
    assert cli("users", "revoke", "carol", "reviewer", "t-a").exit_code == 0
    result = cli("users", "revoke", "carol", "reviewer", "t-a")
    assert result.exit_code == 2 and "carol is not reviewer of t-a." in result.stderr
    assert cli("users", "grant", "nobody", "member", "t-a").exit_code == 2
    assert cli("users", "grant", "carol", "member", "t-nowhere").exit_code == 2
    assert [
        m.organisation.code for m in operations.memberships_of(operations.get_user("carol"))
    ] == ["t-b"]

    result = cli("users", "set-password", "carol", "--password-stdin", input="second-password\n")
    assert result.exit_code == 0, result.output
    assert operations.verify_password(operations.get_user("carol"), "second-password")
    result = cli("users", "set-password", "carol", "--password-stdin", input="short\n")
    assert result.exit_code == 2
    assert operations.verify_password(operations.get_user("carol"), "second-password")


# --- the demo --------------------------------------------------------------------------------

DEMO_COUNTIES = ["kashgar", "hongjiang", "xiaoyi", "chenggong", "hengdong"]
HONGJIANG_AGRI_BRANCHES = [
    "hongjiang-bamianshan",
    "hongjiang-agritech",
    "hongjiang-horticulture",
    "hongjiang-agri-institute",
    "hongjiang-seed-farm",
    "hongjiang-retirees",
]


def table_counts() -> dict[str, int]:
    return {m.__tablename__: count(m) for m in (Organisation, User, Membership, AuditEntry)}


def test_demo_load_twice(demo_database):
    # the first load: the one of this process and backend (tests.demodb), copied for the module;
    # 85 accounts with a cheap hash (sign-in still checks it for real)
    assert "28 organisations created" in demo_database.first
    assert "85 demo accounts" in demo_database.first
    with demodb.app_on(demo_database.url, demo_database.instance) as app:
        demo_loaded_twice(app, app.test_client())


def demo_loaded_twice(app, client):
    def cli(*args):
        result = app.test_cli_runner().invoke(main, list(args))
        db.session.remove()
        return result

    first = table_counts()
    # + 3: the village affairs demo's township and two villages under hongjiang
    assert first["organisations"] == 28 + 3
    # the 85 accounts, plus the applicant of the disclosure-request demo (no membership),
    # plus the village affairs demo's 3 accounts (admin, reviewer, member) in each of its 3 orgs,
    # plus the supervision demo's supervisor of hongjiang
    assert first["users"] == 1 + 28 * 3 + 1 + 3 * 3 + 1
    assert first["memberships"] == 28 * 3 + 3 * 3 + 1
    orgs_before = snapshot()

    result = cli("demo", "load")
    assert result.exit_code == 0, result.output
    assert "0 organisations created, 0 updated, 28 unchanged; 0 demo accounts" in result.stdout
    assert table_counts() == first
    assert snapshot() == orgs_before

    assert [o.code for o in hierarchy.roots()] == DEMO_COUNTIES
    assert [o.code for o in hierarchy.children(org("hongjiang-agri"))] == HONGJIANG_AGRI_BRANCHES
    assert {o.type_code for o in hierarchy.children(org("hongjiang-agri"))} == {"branch"}
    kg3 = org("kashgar-kg3")
    assert kg3.sector == "kindergarten" and kg3.locales == ["zh_Hans_CN", "ug"]
    assert [o.code for o in hierarchy.ancestors(kg3)] == ["kashgar", "kashgar-edu"]
    assert org("hengdong-tts").sector == "school"
    assert org("hongjiang-bamianshan").sector == "soe"
    assert len(hierarchy.children(org("chenggong-aic"))) == 7
    assert len(hierarchy.children(org("xiaoyi-landscape"))) == 2

    admin = operations.get_user("platform-admin")
    assert admin.is_platform_admin
    for code in ("kashgar-kg3", "hongjiang-retirees", "chenggong"):
        for role in ("admin", "reviewer", "member"):
            user = operations.get_user(f"{code}-{role}")
            assert not user.is_platform_admin
            assert [(m.role, m.organisation.code) for m in operations.memberships_of(user)] == [
                (role, code)
            ]

    app.config["WTF_CSRF_ENABLED"] = False
    response = client.post(
        "/auth/login", data={"username": "kashgar-kg3-admin", "password": "wrong-password"}
    )
    assert response.status_code == 401
    response = client.post(
        "/auth/login", data={"username": "kashgar-kg3-admin", "password": "gongkai-demo"}
    )
    assert response.status_code == 302, response.text
    (login,) = audit_actions("auth.login")
    assert login.actor_label == "kashgar-kg3-admin"
