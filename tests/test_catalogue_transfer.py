"""Catalogue import and export (YAML and XLSX): round trips, all-or-nothing imports, commands."""

from __future__ import annotations

import io
import textwrap
import zipfile

import pytest
from flask_babel import force_locale
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from core import db
from core.audit import AuditEntry
from core.catalogue import operations as cat
from core.catalogue import transfer
from core.catalogue.models import Category, Entry
from core.cli import main
from core.errors import UserError
from tenants import operations as tenants

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


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def counts() -> tuple[int, int, int]:
    return count(Category), count(Entry), count(AuditEntry)


def audit_actions(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


@pytest.fixture(autouse=True)
def english(app):
    """The problems the assertions quote read in English (the Chinese ones: below)."""
    with force_locale("en"):
        yield


@pytest.fixture
def world(make_org):
    """A county with a published template (a nested category, every kind of field) and a branch."""
    county = make_org("tr-county", type_code="county_committee")
    branch = make_org("tr-branch", parent=county)
    admin = make_user("tr-county-admin", ("admin", county))
    template = cat.start_draft(county, "template", actor=admin)
    org_cat = cat.add_category(template, key="org", titles={"zh_Hans_CN": "党的组织管理情况",
                               "en": "Organisational management"}, code_2010="3")  # fmt: skip
    members = cat.add_category(template, key="org.members", parent=org_cat,
                               titles={"zh_Hans_CN": "党员队伍建设"}, code_2017="3")  # fmt: skip
    cat.add_entry(template, org_cat, {**ENTRY, "mandatory": True}, key="org.fees")
    cat.add_entry(template, members, {**ENTRY, "titles": {"zh_Hans_CN": "党员发展情况",
                  "en": "Recruitment", "ug": "پارتىيە ئەزاسى قوبۇل قىلىش"}, "cadence": "immediate",
                  "scope": "public", "channels": ["notice_board", "website"], "notice_days": 7,
                  "item_type": "recruitment"}, key="org.recruitment")  # fmt: skip
    cat.add_entry(template, members, {**ENTRY, "titles": {"zh_Hans_CN": "民主评议党员"},
                  "cadence": "yearly", "due_days": 20}, key="org.evaluation")  # fmt: skip
    cat.transition(template, "publish", actor=admin)
    db.session.commit()
    return {"county": county, "branch": branch, "admin": admin, "template": template}


def new_template_draft(world):
    return cat.start_draft(world["county"], "template", actor=world["admin"])


# --- YAML ------------------------------------------------------------------------------------


def test_yaml_export_has_the_documented_shape(world):
    text = transfer.export_yaml(world["template"])
    assert text.startswith("catalogue:\n  categories:\n    - key: org\n")
    assert "titles: {zh_Hans_CN: 党的组织管理情况, en: Organisational management}" in text
    assert "code_2010: '3'" in text
    assert "channels: [meeting, notice_board]" in text
    assert "children:\n        - key: org.members" in text
    assert "due_days: 20" in text and "notice_days: 7" in text and "item_type: recruitment" in text


def test_yaml_round_trip(world):
    first = transfer.export_yaml(world["template"])
    draft = new_template_draft(world)
    entries = {e.key: e for e in cat.entries(draft)}
    cat.update_entry(
        entries["org.fees"], {"cadence": "quarterly", "titles": {"zh_Hans_CN": "党费"}}
    )
    cat.remove_entry(entries["org.evaluation"])
    cat.add_category(draft, key="extra", titles={"zh_Hans_CN": "其他"})
    assert transfer.export_yaml(draft) != first

    result = transfer.import_yaml(draft, first, actor=world["admin"])
    assert result.entries_added == ["org.evaluation"]
    assert result.entries_changed == ["org.fees"]
    assert result.categories_removed == ["extra"]
    assert transfer.export_yaml(draft) == first
    (summary,) = audit_actions("catalogue.import")
    assert summary.actor_label == "tr-county-admin"
    assert summary.changes["entries_changed"] == [None, ["org.fees"]]
    assert not cat.diff(draft, world["template"])

    db.session.commit()
    before = counts()
    assert not transfer.import_yaml(draft, first).changed  # an unchanged file writes nothing
    db.session.commit()
    assert counts() == before


def test_yaml_import_moves_and_reorders_by_key(world):
    draft = new_template_draft(world)
    ids = {e.key: e.id for e in cat.entries(draft)}
    text = textwrap.dedent("""\
        catalogue:
          categories:
            - key: members
              titles: {zh_Hans_CN: 党员队伍}
              entries:
                - key: org.evaluation
                  titles: {zh_Hans_CN: 民主评议党员}
                  content: 评议结果
                  scope: party_wide
                  channels: [meeting]
                  cadence: yearly
                  responsible: 组织委员
            - key: org
              titles: 组织管理
              children:
                - key: org.members
                  titles: {zh_Hans_CN: 党员队伍建设}
              entries:
                - key: org.fees
                  titles: {zh_Hans_CN: 党费}
                  content: {zh_Hans_CN: 党费收缴}
                  scope: unit
                  channels: meeting, document
                  cadence: quarterly
                  responsible: 组织委员
                  mandatory: true
        """)  # fmt: skip
    transfer.import_yaml(draft, text)
    entries = {e.key: e for e in cat.entries(draft)}
    assert set(entries) == {"org.evaluation", "org.fees"}
    assert entries["org.fees"].id == ids["org.fees"]  # matched by key: the row stays
    assert entries["org.fees"].channels == ["meeting", "document"]
    assert [n.category.key for n in cat.tree(draft)] == ["members", "org"]
    assert [c.category.key for c in cat.tree(draft)[1].children] == ["org.members"]


OWN_CATEGORY = textwrap.indent(
    textwrap.dedent("""\
        - key: own
          titles: {zh_Hans_CN: 本支部事项}
          entries:
            - key: own.day
              titles: {zh_Hans_CN: 主题党日活动}
              content: {zh_Hans_CN: 每月主题党日安排}
              scope: party_wide
              channels: [meeting]
              cadence: monthly
              responsible: 支部书记
              mandatory: true
        """),
    "    ",
)
HEAD = "catalogue:\n  categories:\n"


@pytest.mark.rule("CAT-3")
def test_a_unit_import_keeps_what_the_template_decides(world):
    draft = cat.start_draft(world["branch"])
    text = transfer.export_yaml(draft).replace("mandatory: true", "mandatory: false")
    transfer.import_yaml(draft, text.replace(HEAD, HEAD + OWN_CATEGORY))
    entries = {e.key: e for e in cat.entries(draft)}
    # the file cannot lift a template's mandatory flag, nor make its own entry mandatory
    assert entries["org.fees"].mandatory and entries["org.fees"].template_key == "org.fees"
    assert not entries["own.day"].mandatory and entries["own.day"].template_key is None
    assert [n.category.key for n in cat.tree(draft)] == ["own", "org"]
    assert not cat.missing_mandatory(draft)


@pytest.mark.rule("CAT-3")
def test_a_unit_import_lacking_a_mandatory_template_entry_is_refused(world):
    draft = cat.start_draft(world["branch"])
    db.session.commit()
    text = transfer.export_yaml(draft)
    start = text.index("    - key: org.fees")
    end = text.index("mandatory: true\n", start) + len("mandatory: true\n")
    before = counts()
    with pytest.raises(UserError) as refused:
        transfer.import_yaml(draft, text[:start] + text[end:])
    assert refused.value.problems == [
        "line 2, entries: the mandatory template entry “org.fees” is missing; it cannot be removed"
    ]
    wb = load_workbook(io.BytesIO(transfer.export_xlsx(draft)))
    wb["entries"].delete_rows(2)  # org.fees
    buf = io.BytesIO()
    wb.save(buf)
    with pytest.raises(UserError) as refused:
        transfer.import_xlsx(draft, buf.getvalue())
    assert refused.value.problems == [
        "sheet entries: the mandatory template entry “org.fees” is missing; it cannot be removed"
    ]
    db.session.commit()
    assert counts() == before


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


BAD_YAML = textwrap.dedent("""\
    catalogue:
      categories:
        - key: org
          titles: {zh_Hans_CN: 组织管理, fr: Organisation}
          code_2010: "9"
          colour: red
          entries:
            - key: org.fees
              titles: {en: Dues}
              content: {zh_Hans_CN: 党费}
              scope: secret
              channels: [meeting, carrier_pigeon]
              cadence: weekly
              responsible: 组织委员
              notice_days: 3
              mandatory: maybe
            - key: org.fees
              titles: {zh_Hans_CN: 党费}
              content: {zh_Hans_CN: 党费}
              scope: public
              channels: [meeting]
              cadence: yearly
              responsible: ""
            - key: Bad Key
              titles: {zh_Hans_CN: 坏}
              content: {zh_Hans_CN: 坏}
              scope: unit
              channels: 5
              cadence: yearly
              responsible: 书记
        - key: org
          titles: {zh_Hans_CN: 重复}
    """)  # fmt: skip


def test_a_bad_yaml_file_is_rejected_with_every_problem_located(world):
    draft = new_template_draft(world)
    db.session.commit()
    before = counts()
    with pytest.raises(UserError) as refused:
        transfer.import_yaml(draft, BAD_YAML)
    at = lambda needle: line_of(BAD_YAML, needle)  # noqa: E731
    assert refused.value.message == "The file was rejected; nothing was imported."
    problems = set(refused.value.problems)
    no_one = at('responsible: ""')
    expected = {
        f"line {at('colour:')}, colour: unknown field (allowed: key, titles, code_2010, code_2017, "
        "children, entries)",
        f"line {at('fr: Organisation')}, titles.fr: Unknown language (use zh_Hans_CN, en, ug).",
        f"line {at('code_2010')}, code_2010: “9” is not one of 1, 2, 3, 4, 5, 6, 7, 8",
        f"line {at('mandatory: maybe')}, mandatory: must be true or false",
        f"line {at('titles: {en: Dues}')}, titles: The Chinese text is required.",
        f"line {at('scope: secret')}, scope: “secret” is not one of public, party_wide, unit, "
        "specific.",
        f"line {at('carrier_pigeon')}, channels: Unknown channel “carrier_pigeon”.",
        f"line {at('cadence: weekly')}, cadence: “weekly” is not one of standing, monthly, "
        "quarterly, half_yearly, yearly, on_progress, immediate.",
        f"line {at('notice_days: 3')}, notice_days: A notice period lasts at least 7 days.",
        f"line {no_one}, responsible: Name the department or person responsible.",
        f"line {at('scope: public') + 1}, channels: The channel “Meeting” does not suit the "
        "scope “Public: everyone”.",
        "line 17, key: duplicate entry key “org.fees” (first at line 8)",
        f"line {at('Bad Key')}, key: “Bad Key” is not a valid key (a-z, 0-9, “.”, “_”, “-”; "
        "at most 60 characters)",
        f"line {at('channels: 5')}, channels: must be a list of channel codes",
        f"line {at('titles: {zh_Hans_CN: 重复}') - 1}, key: duplicate category key “org” (first "
        "at line 3)",
    }
    assert problems == expected, sorted(problems ^ expected)
    lines = [int(p.split(",")[0].removeprefix("line ")) for p in refused.value.problems]
    assert lines == sorted(lines)  # in file order
    db.session.commit()
    assert counts() == before


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("catalogue:\n  categories: [\n", "line 3, yaml: "),
        ("catalogue:\n  categories:\n    - key: a\n   - key: b\n", "line 4, yaml: "),
        ("organisations: []\n", "line 1, catalogue: the file must have a mapping “catalogue”"),
        ("", "line 1, catalogue: the file must have a mapping “catalogue”"),
        ("catalogue:\n  categories: {}\n", "line 1, catalogue: the file must have a mapping"),
    ],
)
def test_a_file_that_is_not_a_catalogue_is_rejected(world, text, problem):
    draft = new_template_draft(world)
    with pytest.raises(UserError) as refused:
        transfer.import_yaml(draft, text)
    (found,) = refused.value.problems
    assert found.startswith(problem), found


def test_only_a_draft_takes_an_import(world):
    text = transfer.export_yaml(world["template"])
    with pytest.raises(UserError, match="Only a draft"):
        transfer.import_yaml(world["template"], text)  # published
    draft = cat.start_draft(world["branch"])
    cat.transition(draft, "submit", actor=make_user("tr-branch-admin", ("admin", world["branch"])))
    with pytest.raises(UserError, match="“Submitted to the superior”"):
        transfer.import_yaml(draft, transfer.export_yaml(draft))
    with pytest.raises(UserError, match="Only a draft"):
        transfer.import_xlsx(draft, transfer.export_xlsx(draft))


# --- XLSX ------------------------------------------------------------------------------------


def rows(data: bytes, sheet: str) -> list[tuple]:
    return list(load_workbook(io.BytesIO(data))[sheet].iter_rows(values_only=True))


def test_xlsx_export_is_a_readable_workbook(world):
    data = transfer.export_xlsx(world["template"])
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["categories", "entries"]
    categories, entries = wb["categories"], wb["entries"]
    assert [c.value for c in categories[1]] == list(transfer.CATEGORY_COLUMNS)
    assert [c.value for c in entries[1]] == list(transfer.ENTRY_COLUMNS)
    assert categories.freeze_panes == entries.freeze_panes == "A2"
    assert entries["A1"].font.b
    assert entries.column_dimensions["F"].width > 20  # content_zh_Hans_CN is wide
    assert rows(data, "categories")[1:] == [
        ("org", None, "党的组织管理情况", "Organisational management", None, "3", None),
        ("org.members", "org", "党员队伍建设", None, None, None, "3"),
    ]
    fees = rows(data, "entries")[1]
    assert fees[:3] == ("org.fees", "org", "党费收缴、使用和管理情况")
    assert fees[8:] == ("party_wide", "meeting, notice_board", "half_yearly", None, None,
                        "支部组织委员", "yes", None)  # fmt: skip


def test_the_same_catalogue_gives_the_same_workbook_bytes(world):
    """Every member of the workbook carries the same fixed date: the worksheets too, which
    openpyxl writes from temporary files (their time made two exports of one catalogue differ
    when a 2-second step of the ZIP's clock fell between them)."""
    data = transfer.export_xlsx(world["template"])
    members = zipfile.ZipFile(io.BytesIO(data)).infolist()
    assert any(m.filename.startswith("xl/worksheets/") for m in members)
    assert {m.date_time for m in members} == {(1980, 1, 1, 0, 0, 0)}


def test_xlsx_round_trip(world):
    first = transfer.export_xlsx(world["template"])
    draft = new_template_draft(world)
    entries = {e.key: e for e in cat.entries(draft)}
    cat.update_entry(entries["org.recruitment"], {"scope": "unit", "channels": ["meeting"]})
    cat.remove_entry(entries["org.fees"])
    assert transfer.export_xlsx(draft) != first

    result = transfer.import_xlsx(draft, first)
    assert result.entries_added == ["org.fees"] and result.entries_changed == ["org.recruitment"]
    assert transfer.export_xlsx(draft) == first  # byte for byte
    assert transfer.export_yaml(draft) == transfer.export_yaml(world["template"])
    recruitment = next(e for e in cat.entries(draft) if e.key == "org.recruitment")
    assert recruitment.titles["ug"] == "پارتىيە ئەزاسى قوبۇل قىلىش"
    assert (recruitment.notice_days, recruitment.item_type) == (7, "recruitment")
    db.session.commit()
    before = counts()
    assert not transfer.import_xlsx(draft, first).changed
    assert counts() == before


def workbook(categories: list[list], entries: list[list], *, drop=()) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    for name, columns, data in (("categories", transfer.CATEGORY_COLUMNS, categories),
                                ("entries", transfer.ENTRY_COLUMNS, entries)):  # fmt: skip
        if name in drop:
            continue
        ws = wb.create_sheet(name)
        ws.append([c for c in columns if c not in drop])
        for row in data:
            ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def entry_row(key, category, **values):
    row = dict.fromkeys(transfer.ENTRY_COLUMNS)
    row.update(key=key, category_key=category, title_zh_Hans_CN="党费", content_zh_Hans_CN="党费",
               scope="party_wide", channels="meeting", cadence="yearly", responsible="书记",
               mandatory="no")  # fmt: skip
    row.update(values)
    return list(row.values())


def test_a_bad_workbook_is_rejected_with_every_problem_located(world):
    draft = new_template_draft(world)
    db.session.commit()
    before = counts()
    data = workbook(
        [["org", None, "组织", None, None, "3", None],
         ["org.sub", "nowhere", "子类", None, None, None, None],
         ["loop-a", "loop-b", "甲", None, None, None, None],
         ["loop-b", "loop-a", "乙", None, None, None, None],
         ["org", None, "重复", None, None, "x", None]],
        [entry_row("org.fees", "org", scope="secret", due_days="ten", mandatory="maybe"),
         entry_row("org.fees", "org"),
         [None] * len(transfer.ENTRY_COLUMNS),  # empty rows are skipped
         entry_row("org.orphan", "missing", title_zh_Hans_CN=None, channels="meeting, pigeon")],
    )  # fmt: skip
    with pytest.raises(UserError) as refused:
        transfer.import_xlsx(draft, data)
    problems = set(refused.value.problems)
    expected = {
        "sheet categories, row 6, column key: duplicate category key “org” (first at row 2)",
        "sheet categories, row 6, column code_2010: “x” is not one of 1, 2, 3, 4, 5, 6, 7, 8",
        "sheet categories, row 3, column parent_key: unknown category “nowhere”",
        "sheet categories, row 4, column parent_key: the parents of “loop-a” lead round "
        "in a circle and never reach a top-level category",
        "sheet categories, row 5, column parent_key: the parents of “loop-b” lead round "
        "in a circle and never reach a top-level category",
        "sheet entries, row 2, column mandatory: “maybe” is not yes or no",
        "sheet entries, row 2, column scope: “secret” is not one of public, party_wide, unit, "
        "specific.",
        "sheet entries, row 2, column due_days: Give a whole number.",
        "sheet entries, row 3, column key: duplicate entry key “org.fees” (first at row 2)",
        "sheet entries, row 5, column category_key: unknown category “missing”",
        "sheet entries, row 5, column title_zh_Hans_CN: The Chinese text is required.",
        "sheet entries, row 5, column channels: Unknown channel “pigeon”.",
    }
    assert problems == expected, sorted(problems ^ expected)
    db.session.commit()
    assert counts() == before


def test_a_workbook_without_its_sheets_or_columns_is_rejected(world):
    draft = new_template_draft(world)
    with pytest.raises(UserError) as refused:
        transfer.import_xlsx(draft, workbook([], [], drop=("categories", "scope")))
    assert refused.value.problems == [
        "sheet categories: the sheet is missing",
        "sheet entries, column scope: the column is missing",
    ]
    with pytest.raises(UserError) as refused:
        transfer.import_xlsx(draft, b"PK\x03\x04 not really a workbook")
    assert refused.value.problems[0].startswith("file: it cannot be read as a workbook")


# --- commands --------------------------------------------------------------------------------


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()

    def invoke(*args, **kwargs):
        result = runner.invoke(main, [str(a) for a in args], **kwargs)
        db.session.remove()  # as after a command: later reads see what it committed
        return result

    return invoke


def test_cli_export_and_import(world, cli, tmp_path):
    result = cli("catalogue", "export", "tr-county", "--template")
    assert result.exit_code == 0, result.output
    assert result.stdout == transfer.export_yaml(world["template"])

    path = tmp_path / "branch.xlsx"
    result = cli("catalogue", "export", "tr-county", "--template", "--version", "1", "-o", path)
    assert result.exit_code == 0, result.output
    assert "Exported version 1 (Published) of tr-county" in result.stdout
    assert path.read_bytes() == transfer.export_xlsx(world["template"])

    result = cli("catalogue", "import", "tr-branch", path)  # a draft is started for it
    assert result.exit_code == 0, result.output
    assert "Started draft version 1 of tr-branch." in result.stdout
    assert "Nothing changed" in result.stdout  # the draft derives from that very template
    (draft,) = cat.versions(tenants.get_org("tr-branch"))
    assert draft.state == "draft"

    yaml_path = tmp_path / "branch.yaml"
    yaml_path.write_text(transfer.export_yaml(draft).replace("党员发展情况", "发展党员"), "utf-8")
    result = cli("catalogue", "import", "tr-branch", yaml_path)
    assert result.exit_code == 0, result.output
    assert "entries: 0 added, 1 changed, 0 removed" in result.stdout
    assert "Started" not in result.stdout

    result = cli("catalogue", "export", "tr-branch", "--format", "yaml")
    assert "发展党员" in result.stdout


def test_cli_refusals_exit_2(world, cli, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(BAD_YAML, encoding="utf-8")
    before = counts()
    result = cli("catalogue", "import", "tr-branch", bad)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("Error: The file was rejected; nothing was imported.\n")
    assert "  - line 11, scope: “secret” is not one of" in result.stderr
    assert counts() == before
    assert cat.versions(tenants.get_org("tr-branch")) == []  # the draft it started is gone too

    for args, message in [
        (("import", "nowhere", bad), "No organisation with code “nowhere”."),
        (("export", "tr-branch"), "tr-branch has no catalogue yet."),
        (
            ("export", "tr-county", "--template", "--version", "7"),
            "no catalogue template version 7",
        ),
        (("export", "tr-county", "--template", "--format", "xlsx"), "needs a file"),
    ]:
        result = cli("catalogue", *args)
        assert result.exit_code == 2, result.output
        assert result.stderr.startswith("Error: ") and message in result.stderr

    other = tmp_path / "catalogue.txt"
    other.write_text("catalogue:", encoding="utf-8")
    result = cli("catalogue", "import", "tr-branch", other)
    assert result.exit_code == 2 and ".yaml, .yml or .xlsx" in result.stderr

    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    result = cli("catalogue", "import", "tr-branch", binary)
    assert result.exit_code == 2 and "not UTF-8" in result.stderr

    cli("catalogue", "import", "tr-branch", tmp_path / "none.yaml")  # click refuses: no such file
    branch = tenants.get_org("tr-branch")
    draft = cat.start_draft(branch)
    cat.transition(draft, "submit", actor=make_user("tr-branch-admin", ("admin", branch)))
    db.session.commit()
    good = tmp_path / "good.yaml"
    good.write_text(transfer.export_yaml(draft), encoding="utf-8")
    result = cli("catalogue", "import", "tr-branch", good)
    assert result.exit_code == 2 and "is “Submitted to the superior”, not a draft" in result.stderr


# --- in the reader's language (issue 11) -------------------------------------------------------


def typed_words(*texts: str) -> frozenset[str]:
    """The words a file holds and the codes a problem lists (field, column and value codes):
    they stay as typed in a Chinese problem."""
    from core.catalogue.models import CADENCES, SCOPES
    from tests import words

    codes = [*transfer.CATEGORY_FIELDS, *transfer.ENTRY_KEYS, *transfer.ENTRY_COLUMNS,
             *transfer.CATEGORY_COLUMNS, *SCOPES, *CADENCES, "categories", "entries", "catalogue",
             "yaml", "zh_Hans_CN", "en", "ug", "fr", "true", "false"]  # fmt: skip
    found = {t.rstrip(".-'’") for text in texts for t in words.TOKEN.findall(text)}
    return frozenset(found | set(codes) | {f"{c}.fr" for c in ("titles",)})


def chinese(text: str) -> bool:
    return any("\u4e00" <= c <= "\u9fff" for c in text)


def test_a_bad_file_is_refused_in_chinese_with_its_problems_in_file_order(world):
    from tests import words

    draft = new_template_draft(world)
    db.session.commit()
    with pytest.raises(UserError) as refused:
        transfer.import_yaml(draft, BAD_YAML)
    with force_locale("zh_Hans_CN"):
        message = str(refused.value.message)
        problems = [str(p) for p in refused.value.problems]
    assert message == "文件未被接受；未导入任何内容。"
    at = lambda needle: line_of(BAD_YAML, needle)  # noqa: E731
    assert f"第 {at('colour:')} 行，colour：未知的字段（允许：key, titles, code_2010, code_2017, " \
           "children, entries）" in problems  # fmt: skip
    assert f"第 {at('code_2010')} 行，code_2010：“9”不在 1, 2, 3, 4, 5, 6, 7, 8 之中" in problems
    assert "第 17 行，key：目录条目键“org.fees”重复（首次出现在第 8 行）" in problems
    assert f"第 {at('mandatory: maybe')} 行，mandatory：必须是 true 或 false" in problems
    lines = [int(p.removeprefix("第 ").split(" ", 1)[0]) for p in problems]
    assert lines == sorted(lines) and len(lines) == 15  # in file order, every one
    assert all(chinese(p) for p in problems), problems
    typed = typed_words(BAD_YAML)
    assert words.english_words(" ".join([message, *problems]), typed) == [], problems

    data = workbook(
        [["org", None, "组织", None, None, "3", None],
         ["org.sub", "nowhere", "子类", None, None, None, None],
         ["org", None, "重复", None, None, "x", None]],
        [entry_row("org.fees", "missing", scope="secret", mandatory="maybe"),
         entry_row("org.fees", "org")],
    )  # fmt: skip
    with pytest.raises(UserError) as refused:
        transfer.import_xlsx(draft, data)
    with force_locale("zh_Hans_CN"):
        problems = [str(p) for p in refused.value.problems]
    assert problems == [
        "工作表 categories，第 3 行，parent_key 列：未知的类别“nowhere”",
        "工作表 categories，第 4 行，code_2010 列：“x”不在 1, 2, 3, 4, 5, 6, 7, 8 之中",
        "工作表 categories，第 4 行，key 列：类别键“org”重复（首次出现在第 2 行）",
        "工作表 entries，第 2 行，mandatory 列：“maybe”不是“是”或“否”",
        "工作表 entries，第 2 行，category_key 列：未知的类别“missing”",
        problems[5],  # the scope, in the words of the entry rules (below)
        "工作表 entries，第 3 行，key 列：目录条目键“org.fees”重复（首次出现在第 2 行）",
    ]
    assert problems[5].startswith("工作表 entries，第 2 行，scope 列：“secret”")
    typed = typed_words("org org.sub nowhere x org.fees missing secret maybe")
    assert words.english_words(" ".join(problems), typed) == [], problems
    with force_locale("ug"):
        assert str(refused.value.problems[0]) == (
            "categories ۋاراق، 3-قۇر، parent_key ئىستون: نامەلۇم كاتېگورىيە «nowhere»"
        )
    with pytest.raises(UserError) as refused:
        transfer.import_xlsx(draft, workbook([], [], drop=("categories", "scope")))
    with force_locale("zh_Hans_CN"):
        assert [str(p) for p in refused.value.problems] == [
            "工作表 categories：缺少该工作表",
            "工作表 entries，scope 列：缺少该列",
        ]


def test_the_catalogue_commands_speak_chinese(world, cli, tmp_path):
    zh = {"GONGKAI_CLI_LOCALE": "zh_Hans_CN"}
    bad = tmp_path / "bad.yaml"
    bad.write_text(BAD_YAML, encoding="utf-8")
    result = cli("catalogue", "import", "tr-branch", bad, env=zh)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("错误：文件未被接受；未导入任何内容。\n")
    assert "  - 第 17 行，key：目录条目键“org.fees”重复（首次出现在第 8 行）\n" in result.stderr
    lines = [int(line.removeprefix("  - 第 ").split(" ", 1)[0])
             for line in result.stderr.splitlines()[1:]]  # fmt: skip
    assert lines == sorted(lines)
    result = cli("catalogue", "export", "tr-county", "--template", "--format", "xlsx", env=zh)
    assert result.exit_code == 2
    assert result.stderr == "错误：导出 XLSX 需要指定文件：请用 -o FILE.xlsx。\n"

    path = tmp_path / "template.yaml"
    result = cli("catalogue", "export", "tr-county", "--template", "-o", path, env=zh)
    assert result.stdout == f"已将 tr-county 的第 1 版（已发布）导出到 {path}。\n"
    result = cli("catalogue", "import", "tr-branch", path, env=zh)
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "已新建 tr-branch 的第 1 版草稿。\n"
        f"已将 {path} 导入 tr-branch 的第 1 版草稿：没有变化：草稿已是这些内容。\n"
    )
    path.write_text(path.read_text("utf-8").replace("党员发展情况", "发展党员"), "utf-8")
    result = cli("catalogue", "import", "tr-branch", path, env=zh)
    assert "目录条目：新增 0 项，修改 1 项，删除 0 项；" in result.stdout


# --- the console's import page -----------------------------------------------------------------


def test_the_import_page_shows_a_refused_files_problems_in_chinese_in_file_order(app, world):
    from core.plugins.testing import csrf_token
    from tests import words

    client = app.test_client()
    token = csrf_token(client)
    client.post("/auth/login", data={"username": "tr-county-admin", "password": "long-enough-pw",
                                     "csrf_token": token})  # fmt: skip
    draft = new_template_draft(world)
    db.session.commit()
    before = counts()
    url = f"/admin/o/tr-county/catalogue/template/versions/{draft.number}/import"
    page = client.get(url + "?lang=zh_Hans_CN")
    assert page.status_code == 200
    form = {"csrf_token": csrf_token(client, url)}
    answer = client.post(url, data={**form, "file": (io.BytesIO(BAD_YAML.encode()), "bad.yaml")},
                         content_type="multipart/form-data")  # fmt: skip
    assert answer.status_code == 400
    html = answer.get_data(as_text=True)
    shown = [t for _w, t in words.read(html).runs]
    problems = [t for t in shown if t.startswith("第 ") and " 行，" in t]
    lines = [int(p.removeprefix("第 ").split(" ", 1)[0]) for p in problems]
    assert len(problems) == 15 and lines == sorted(lines), problems  # every one, in file order
    assert "第 17 行，key：目录条目键“org.fees”重复（首次出现在第 8 行）" in problems
    assert "文件未被接受；未导入任何内容。" in shown
    text = " ".join(shown)
    typed = typed_words(BAD_YAML, "tr-county tr-county-admin")  # and the codes of the page
    assert words.english_words(text, typed) == [], words.english_words(text, typed)
    xlsx = workbook([["org", None, "组织", None, None, "x", None]], [])
    answer = client.post(url, data={**form, "file": (io.BytesIO(xlsx), "catalogue.xlsx")},
                         content_type="multipart/form-data")  # fmt: skip
    assert "工作表 categories，第 2 行，code_2010 列：“x”不在 1, 2, 3, 4, 5, 6, 7, 8 之中" in (
        answer.get_data(as_text=True)
    )
    answer = client.post(url, data={**form, "file": (io.BytesIO(b"x"), "catalogue.txt")},
                         content_type="multipart/form-data")  # fmt: skip
    assert answer.status_code == 400
    assert "无法判断 catalogue.txt 的格式" in answer.get_data(as_text=True)
    db.session.remove()
    assert counts() == before  # nothing imported

    good = transfer.export_yaml(world["template"]).replace("党员发展情况", "发展党员").encode()
    answer = client.post(url, data={**form, "file": (io.BytesIO(good), "good.yaml")},
                         content_type="multipart/form-data")  # fmt: skip
    assert answer.status_code == 302
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "good.yaml 已导入：目录条目：新增 0 项，修改 1 项" in page
