"""Formula injection (issue 16, finding 2), generated: every CSV and XLSX export.

A unit whose every free text that can reach a spreadsheet — organisation names, people's
display names, catalogue categories and entries (titles, content, the responsible person),
item titles and attachment names, feedback (content, submitter, contact, notes, measures,
result, answer) — starts with a character a spreadsheet would run (``=``, ``+``, ``-``, ``@``,
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
from core.catalogue import operations as cat
from core.cli import main
from core.feedback import operations as fb
from core.items import operations as items
from core.plugins.testing import csrf_token
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
}  # fmt: skip
# Every route that answers a spreadsheet: endpoint -> what it exports.
ROUTES = {
    "register_admin.register_export": "register",
    "feedback_admin.ledger_export": "feedback",
    "opendata.download": "open data",  # public datasets: CSV (and JSON, not a spreadsheet)
}
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
    county_admin = tenants.create_user("ex-county-admin", password=PASSWORD)
    tenants.grant_membership(county_admin, county, "admin")
    reviewer = tenants.create_user("ex-sup-reviewer", password=PASSWORD)
    tenants.grant_membership(reviewer, superior, "reviewer")

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
    db.session.commit()
    return {"year": now.astimezone(UTC).year}


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
    ``(values, "csv" | "xlsx")``."""
    from werkzeug.routing import AnyConverter

    from tests.isolation_world import combinations

    choices = {n: sorted(c.items) for n, c in rule._converters.items()
               if isinstance(c, AnyConverter)}  # fmt: skip
    return [(combo, combo["fmt"]) for combo in combinations(choices)
            if combo.get("fmt") in ("csv", "xlsx")]  # fmt: skip


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
    problems, opened = [], 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint not in ROUTES:
            continue
        export = ROUTES[rule.endpoint]
        for values, fmt in fillings(rule):
            path = rule.build({"org_code": "ex-unit", **values}, append_unknown=False)[1]
            shows = SHOWS.get(f"{export} {values.get('dataset')}", SHOWS[export])
            for lang in ("zh_Hans_CN", "en", "ug"):
                response = client.get(f"{path}?year={world['year']}&lang={lang}")
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
    yaml_only = {("orgs", "export")}  # YAML (organisation tree), no spreadsheet
    assert exports - yaml_only == spreadsheet == set(COMMANDS), exports


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
