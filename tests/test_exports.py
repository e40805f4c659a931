"""Formula injection (issue 16, finding 2), generated: every CSV and XLSX export.

A unit whose every free text that can reach a spreadsheet — organisation names, people's
display names, catalogue categories and entries (titles, content, the responsible person),
item titles and attachment names, feedback (content, submitter, contact, notes, measures,
result, answer), the half-year report's narrative, its superior's assessment scheme (title,
criteria) — starts with a character a spreadsheet would run (``=``, ``+``, ``-``, ``@``,
tab, carriage return). Every export is opened: each route of the URL map that answers a CSV or
XLSX file (found from the map: a new export route that this suite does not know fails it) and
each command that writes one. The CSV is parsed and the XLSX loaded with openpyxl: no cell may
start with a formula character unless it is prefixed with an apostrophe, no XLSX cell may be a
formula, and each planted text must be there (neutralised), so that the check cannot pass on an
export that left the fields out.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from core import db
from core.assessments import operations as assessments
from core.catalogue import operations as cat
from core.cli import main
from core.feedback import operations as fb
from core.items import operations as items
from core.plugins.testing import csrf_token
from core.reports import operations as reports
from core.reports import periods
from core.spreadsheets import FORMULA_STARTS
from tenants import operations as tenants
from tenants.models import Organisation

PASSWORD = "long-enough-pw"


def formula(start: str, tag: str) -> str:
    return f'{start}HYPERLINK("https:"&"{tag}";"{tag}")'


# tag: the text planted (a different formula start each, so that every start is covered)
PLANTED = {
    "orgname": formula("=", "orgname"),
    "person": formula("+", "person"),
    "cattitle": formula("-", "cattitle"),
    "enttitle": formula("@", "enttitle"),
    "entcontent": formula("\t=", "entcontent"),
    "responsible": formula("\r=", "responsible"),
    "itemtitle": formula("=", "itemtitle"),
    "attachment": formula("@", "attachment") + ".pdf",
    "fbcontent": formula("=", "fbcontent"),
    "fbname": formula("+", "fbname"),
    "fbcontact": formula("-", "fbcontact"),
    "fbmeasures": formula("@", "fbmeasures"),
    "fbresult": formula("=", "fbresult"),
    "fbanswer": formula("\t=", "fbanswer"),
    "practices": formula("=", "practices"),
    "problems": formula("+", "problems"),
    "suggestions": formula("-", "suggestions"),
    "schemetitle": formula("@", "schemetitle"),
    "criterion": formula("=", "criterion"),
}
# Which planted texts each export must show (neutralised).
SHOWS = {
    "register": {"itemtitle", "attachment", "person"},
    "feedback": {"orgname", "fbcontent", "fbname", "fbcontact", "fbmeasures", "fbresult",
                 "fbanswer", "person"},
    "catalogue": {"cattitle", "enttitle", "entcontent", "responsible"},
    "open data": set(),
    "open data items": {"itemtitle"},
    "open data register": {"itemtitle"},
    "audit log": {"orgname", "person"},  # who did it, where (and what changed)
    "compliance": {"orgname"},  # the units of the subtree (the rest are numbers and states)
    "report": {"orgname", "practices", "problems", "suggestions"},
    "report summary": {"orgname"},  # the units whose reports are counted
    "assessment": {"orgname", "criterion"},  # the scheme's title names the sheet only
    "assessment sheet": {"orgname", "criterion"},  # one unit's sheet, opened by the unit
}  # fmt: skip
# Every route that answers a spreadsheet: endpoint -> what it exports.
ROUTES = {
    "register_admin.register_export": "register",
    "feedback_admin.ledger_export": "feedback",
    "opendata.download": "open data",  # public datasets: CSV (and JSON, not a spreadsheet)
    "platform_audit.export": "audit log",  # the platform console's audit search
    "compliance_admin.export": "compliance",
    "reports_admin.report_xlsx": "report",
    "reports_admin.summary_xlsx": "report summary",
    "assessments_admin.scheme_xlsx": "assessment",
    "assessments_admin.sheet_xlsx": "assessment sheet",
}
PLATFORM_EXPORTS = {"audit log"}
"""Exports of the platform console: opened by a platform admin."""
SUPERIOR_EXPORTS = {"compliance", "report summary", "assessment"}
"""Exports over a subtree: opened at the unit's superior (ex-sup) by its reviewer."""
# Every command that writes one: the arguments, and what it exports.
COMMANDS = {
    ("register", "export"): ("register", ["ex-unit", "--year", "{year}"]),
    ("catalogue", "export"): ("catalogue", ["ex-unit"]),
}


def _pdf(tag: str) -> bytes:
    return f"%PDF-1.4\n% {tag}\n%%EOF\n".encode()


@pytest.fixture
def world(app, make_org):
    county = make_org("ex-county", type_code="county_committee")
    superior = make_org("ex-sup", parent=county, type_code="party_committee")
    unit = make_org(
        "ex-unit", parent=superior,
        names={"zh_Hans_CN": {"full": PLANTED["orgname"], "short": PLANTED["orgname"]}},
    )  # fmt: skip
    admin = tenants.create_user("ex-admin", password=PASSWORD, display_name=PLANTED["person"])
    for role in ("admin", "editor", "reviewer"):
        tenants.grant_membership(admin, unit, role)
    tenants.create_user("ex-platform", password=PASSWORD, platform_admin=True)
    county_admin = tenants.create_user("ex-county-admin", password=PASSWORD)
    tenants.grant_membership(county_admin, county, "admin")
    reviewer = tenants.create_user("ex-sup-reviewer", password=PASSWORD)
    tenants.grant_membership(reviewer, superior, "reviewer")
    sup_admin = tenants.create_user("ex-sup-admin", password=PASSWORD)
    tenants.grant_membership(sup_admin, superior, "admin")

    template = cat.start_draft(county, "template", actor=county_admin)
    category = cat.add_category(template, key="org", titles={"zh_Hans_CN": PLANTED["cattitle"]})
    entry = {
        "titles": {"zh_Hans_CN": PLANTED["enttitle"]},
        "content": {"zh_Hans_CN": PLANTED["entcontent"]},
        "scope": "public",
        "channels": ["notice_board", "website"],
        "cadence": "immediate",
        "responsible": PLANTED["responsible"],
    }
    cat.add_entry(template, category, entry, key="org.election")
    cat.transition(template, "publish", actor=county_admin)
    draft = cat.start_draft(unit, actor=admin)
    cat.transition(draft, "submit", actor=admin)
    cat.transition(draft, "approve", actor=reviewer)

    now = datetime.now(UTC)
    item = items.create(
        unit,
        {"titles": {"zh_Hans_CN": PLANTED["itemtitle"]}, "bodies": {"zh_Hans_CN": "正文"},
         "entry_key": "org.election", "scope": "public", "channels": ["website"],
         "planned_at": now - timedelta(minutes=1), "decision_date": now.date()},
        actor=admin, attachments=[(PLANTED["attachment"], _pdf("attachment"))],
    )  # fmt: skip
    items.propose(item, actor=admin)
    items.review(item, actor=admin, secrecy_passed=True, secrecy_basis="条例",
                 necessity_ok=True, accuracy_ok=True)  # fmt: skip
    items.approve(item, actor=admin)
    items.schedule_publication(item, actor=admin)
    items.publish(item, actor=admin)

    entry = fb.submit_online(
        unit, content=PLANTED["fbcontent"], name=PLANTED["fbname"], contact=PLANTED["fbcontact"]
    ).entry
    fb.assign(entry, actor=admin, handler=admin)
    fb.start_rectification(entry, actor=admin, measures=PLANTED["fbmeasures"],
                           deadline=entry.received_on)  # fmt: skip
    fb.record_rectification(entry, actor=admin, result=PLANTED["fbresult"])
    fb.answer(entry, actor=admin, text=PLANTED["fbanswer"], channel="phone")

    # the half-year report just over, written and submitted (the superior's summary counts it)
    report = reports.prepare(unit, periods.last_ended(unit, reports.today(unit)), actor=admin)
    narrative = {name: PLANTED[name] for name in ("practices", "problems", "suggestions")}
    reports.update_narrative(report, narrative, actor=admin)
    reports.submit(report, actor=admin)

    # the superior's assessment of its subtree, open: the unit has its sheet
    scheme = assessments.create(
        superior,
        {"year": now.year, "titles": {"zh_Hans_CN": PLANTED["schemetitle"]},
         "self_due_on": now.date() + timedelta(days=20), "result_scope": "unit",
         "criteria": [{"key": "work", "labels": {"zh_Hans_CN": PLANTED["criterion"]},
                       "weight": 100, "method": "manual"}]},
        actor=sup_admin,
    )  # fmt: skip
    assessments.open_scheme(scheme, actor=sup_admin)
    db.session.commit()
    sheet = assessments.sheet_of(scheme, unit)
    return {"year": now.astimezone(UTC).year, "report_id": report.id, "scheme_id": scheme.id,
            "sheet_id": sheet.id}  # fmt: skip


def cells_of(kind: str, data: bytes) -> list[tuple[str, object, str | None]]:
    """``(where, value, data_type)`` of every cell of a CSV or XLSX file."""
    if kind == "csv":
        text = data.decode("utf-8-sig")
        return [(f"row {r} col {c}", value, None)
                for r, row in enumerate(csv.reader(io.StringIO(text)), start=1)
                for c, value in enumerate(row, start=1)]  # fmt: skip
    wb = load_workbook(io.BytesIO(data))  # formulas stay formulas (no data_only)
    return [(f"{ws.title}!{cell.coordinate}", cell.value, cell.data_type)
            for ws in wb.worksheets for row in ws.iter_rows() for cell in row]  # fmt: skip


def problems_of(name: str, kind: str, data: bytes, shows: set[str]) -> list[str]:
    problems = []
    seen = set()
    for where, value, data_type in cells_of(kind, data):
        if data_type == "f":
            problems.append(f"{name} {where}: a formula cell {value!r}")
        if isinstance(value, str):
            if value.startswith(FORMULA_STARTS):
                problems.append(f"{name} {where}: starts with a formula character: {value!r}")
            seen |= {tag for tag, text in PLANTED.items() if text.strip() in value}
    missing = shows - seen
    if missing:
        problems.append(f"{name}: the planted texts {sorted(missing)} are not in the export")
    return problems


def fillings(rule) -> list[tuple[dict, str]]:
    """Every choice of the route's ``any(...)`` arguments that gives a spreadsheet:
    ``(values, "csv" | "xlsx")`` — the format is the ``fmt`` argument, else the address's
    own suffix (``/<report_id>.xlsx``)."""
    from werkzeug.routing import AnyConverter

    from tests.isolation_world import combinations

    choices = {n: sorted(c.items) for n, c in rule._converters.items()
               if isinstance(c, AnyConverter)}  # fmt: skip
    suffix = rule.rule.rsplit(".", 1)[-1]
    found = [(combo, combo.get("fmt", suffix)) for combo in combinations(choices)]
    return [(combo, fmt) for combo, fmt in found if fmt in ("csv", "xlsx")]


def spreadsheet_routes(app) -> set[str]:
    """Every rule of the URL map that answers a CSV or XLSX file (by its address)."""
    found = set()
    for rule in app.url_map.iter_rules():
        text = rule.rule.lower()
        if any(mark in text for mark in ("csv", "xlsx", "export", "spreadsheet")):
            found.add(rule.endpoint)
    return found


def test_every_export_neutralises_formulas(app, world, client, tmp_path):
    assert spreadsheet_routes(app) == set(ROUTES), (
        "a route answers a spreadsheet that this suite does not open: add it to ROUTES"
    )
    client.post("/auth/login", data={"username": "ex-admin", "password": PASSWORD,
                                     "csrf_token": csrf_token(client)})  # fmt: skip
    platform = app.test_client()
    platform.post("/auth/login", data={"username": "ex-platform", "password": PASSWORD,
                                       "csrf_token": csrf_token(platform)})  # fmt: skip
    superior = app.test_client()
    superior.post("/auth/login", data={"username": "ex-sup-reviewer", "password": PASSWORD,
                                       "csrf_token": csrf_token(superior)})  # fmt: skip
    ids = {key: world[key] for key in ("report_id", "scheme_id", "sheet_id")}
    problems, opened = [], 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint not in ROUTES:
            continue
        export = ROUTES[rule.endpoint]
        reader, org_code = client, "ex-unit"
        if export in PLATFORM_EXPORTS:
            reader = platform
        elif export in SUPERIOR_EXPORTS:
            reader, org_code = superior, "ex-sup"
        for values, fmt in fillings(rule):
            values = {"org_code": org_code, **ids, **values}
            path = rule.build(values, append_unknown=False)[1]
            shows = SHOWS.get(f"{export} {values.get('dataset')}", SHOWS[export])
            for lang in ("zh_Hans_CN", "en", "ug"):
                response = reader.get(f"{path}?year={world['year']}&lang={lang}")
                assert response.status_code == 200, (path, response.status_code)
                problems += problems_of(f"{path} ({lang})", fmt, response.data, shows)
                opened += 1
    runner = app.test_cli_runner()
    for (group, command), (export, args) in COMMANDS.items():
        formats = ("csv", "xlsx") if export == "register" else ("xlsx",)
        for fmt in formats:
            out = tmp_path / f"{group}-{command}.{fmt}"
            argv = [group, command, *(a.format(**world) for a in args), "-o", str(out)]
            result = runner.invoke(main, argv, catch_exceptions=False)
            assert result.exit_code == 0, result.output
            problems += problems_of(" ".join(argv[:3]), fmt, out.read_bytes(), SHOWS[export])
            opened += 1
    assert opened == sum(len(fillings(r)) * 3 for r in app.url_map.iter_rules()
                         if r.endpoint in ROUTES) + 3  # fmt: skip
    assert not problems, "\n".join(problems)


def test_every_export_command_is_opened():
    """The commands that write spreadsheets: every ``export`` command of the CLI is known."""
    exports = set()
    for name, group in main.commands.items():
        for sub in getattr(group, "commands", {}):
            if sub == "export":
                exports.add((name, sub))
    spreadsheet = {("register", "export"), ("catalogue", "export")}
    not_spreadsheets = {
        ("orgs", "export"),  # YAML (organisation tree), no spreadsheet
        ("county", "export"),  # a zip archive of the county (its data and files), no spreadsheet
    }
    assert exports - not_spreadsheets == spreadsheet == set(COMMANDS), exports


def test_a_neutralised_catalogue_round_trips(app, world):
    """The catalogue's XLSX comes back in as it went out: the apostrophe is taken off again."""
    from core.catalogue import transfer

    unit = db.session.scalar(select(Organisation).where(Organisation.code == "ex-unit"))
    version = cat.effective_version(unit)
    data = transfer.export_xlsx(version)
    parsed = transfer._parse_xlsx(data)
    titles = {e.data["titles"]["zh_Hans_CN"] for e in parsed.entries}
    assert PLANTED["enttitle"] in titles
    assert {e.data["responsible"] for e in parsed.entries} == {PLANTED["responsible"].strip()}
