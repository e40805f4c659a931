"""A corpus of XSS and injection payloads, written by visitors and staff wherever the platform takes
free text from them — feedback (content, name, contact), its handling notes, answers, public
summaries and rectification results, and objections to notices — must be inert on every page
that shows it: the visitor's form (kept after an error), the receipt's page, the published
answers, the console's ledger and entry pages, the item page and the console's item page
(objections). Pages are parsed (``html.parser``): no ``script``, ``iframe``, ``object``,
``embed``, ``svg``, ``math`` or ``base`` element, no ``on*`` or ``style`` attribute, no
``javascript:`` address may appear; a template expression is shown as typed, not evaluated. The
CSV and XLSX exports neutralise spreadsheet formulas. (The browser test runs the same payloads
in Chromium and expects no dialog.)"""

from __future__ import annotations

import csv
import io
from html.parser import HTMLParser

import pytest
from openpyxl import load_workbook

from core import db
from core.feedback import operations as feedback
from core.items import operations as items
from tests.feedback_helpers import PUBLIC, html, sign_in, world
from tests.items_helpers import published

PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '"><svg onload=alert(1)>',
    "javascript:alert(1)",
    '<a href="javascript:alert(1)">click me</a>',
    "{{7*7}}",
    "{% for x in range(3) %}loop{% endfor %}${7*7}",
    "'><script>alert(document.cookie)</script>",
    '<iframe src="javascript:alert(1)"></iframe>',
    "<body onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<div style="background:url(javascript:alert(1))">styled</div>',
    '" onmouseover="alert(1)',
    "' onfocus='alert(1)' autofocus='",
    "</textarea><script>alert(1)</script>",
    "</title><script>alert(1)</script>",
    "<input autofocus onfocus=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "<base href=//evil.example/>",
    '=HYPERLINK("http://evil.example","click")',
    "=1+1",
    "@SUM(1+1)",
    "+cmd|' /C calc'!A0",
    "-2+3",
]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
FORBIDDEN_TAGS = {"script", "iframe", "object", "embed", "svg", "math", "base", "frame"}
URL_ATTRS = {"href", "src", "action", "formaction", "srcdoc", "data", "xlink:href"}


class Executable(HTMLParser):
    """Collects what would run in a browser: script-like elements, event handlers, style
    attributes and ``javascript:`` addresses."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in FORBIDDEN_TAGS:
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            name = (name or "").lower()
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}>")
            if name == "style":
                self.found.append(f"<{tag} style>")
            cleaned = "".join((value or "").split()).lower()
            if name in URL_ATTRS and cleaned.startswith(("javascript:", "vbscript:", "data:text")):
                self.found.append(f"<{tag} {name}={value}>")

    handle_startendtag = handle_starttag


def executable(page: str) -> list[str]:
    parser = Executable()
    parser.feed(page)
    parser.close()
    return parser.found


TEXT_ONLY = {"javascript:alert(1)", "{{7*7}}", "{% for x in range(3) %}loop{% endfor %}${7*7}"}
"""Payloads that are only dangerous where a template would evaluate or link them."""


def test_the_checker_finds_executable_payloads():
    """The control: left unescaped, in text or in an attribute, every markup payload is caught
    (so an escaping bug fails the tests)."""
    for payload in PAYLOADS[:20]:
        if payload in TEXT_ONLY:
            continue
        contexts = (f"<p>{payload}</p>", f'<input value="{payload}">', f"<input value='{payload}'>")
        assert any(executable(c) for c in contexts), payload
    assert executable('<a href=" JavaScript:alert(1)">x</a>')
    assert executable("<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>") == []


def assert_inert(page: str, where: str) -> None:
    found = executable(page)
    assert not found, f"{where}: {found}"
    assert "{{7*7}}" not in page or ">49<" not in page


@pytest.fixture
def payload_world(make_org):
    """Every payload as feedback (content, name, contact), with a note, an answer, a public
    summary and a rectification result; and as objections to a public notice."""
    w = world(make_org)
    codes = {}
    for n, payload in enumerate(PAYLOADS):
        sent = feedback.submit_online(
            w["unit"], content=payload, name=payload[:100], contact=payload[:200]
        )
        entry = sent.entry
        codes[entry.id] = (entry.receipt, sent.lookup_code)
        feedback.assign(entry, actor=w["admin"], handler=w["member"])
        feedback.add_note(entry, actor=w["member"], text=payload)
        if n % 2:
            feedback.start_rectification(
                entry, actor=w["member"], measures=payload, deadline=entry.received_on
            )
            feedback.record_rectification(entry, actor=w["member"], result=payload)
        feedback.answer(entry, actor=w["member"], text=payload, channel="online")
        feedback.publish(entry, actor=w["admin"], public_question=payload)
    notice = published(
        w,
        **PUBLIC,
        titles={"zh_Hans_CN": "公示"},
        bodies={"zh_Hans_CN": "公示内容"},
        is_notice=True,
    )
    for payload in PAYLOADS:
        items.lodge_objection(notice, text=payload, name=payload[:100], contact=payload[:200])
    db.session.commit()
    return {**w, "codes": codes, "notice": notice}


def test_feedback_payloads_are_inert_on_the_visitors_pages(app, client, payload_world):
    w = payload_world
    for page_number in (1, 2):
        page = html(client.get(f"/o/it-unit/feedback/answers?page={page_number}"))
        assert_inert(page, f"answers page {page_number}")
    assert "{{7*7}}" in html(client.get("/o/it-unit/feedback/answers?page=1")) + html(
        client.get("/o/it-unit/feedback/answers?page=2")
    )
    for receipt, code in w["codes"].values():
        response = client.get(
            "/o/it-unit/feedback/lookup", query_string={"receipt": receipt, "code": code}
        )
        assert response.status_code == 200
        assert_inert(html(response), f"receipt page {receipt}")
    # the visitor's form, kept after an error (expired token), and the lookup form's echo
    for payload in PAYLOADS:
        kept = client.post(
            "/o/it-unit/feedback",
            data={"content": payload, "name": payload[:100], "contact": payload[:200]},
        )
        assert kept.status_code == 400
        assert_inert(html(kept), f"kept form {payload!r}")
        echo = client.get("/o/it-unit/feedback/lookup", query_string={"receipt": payload[:40],
                                                                      "code": "x"})  # fmt: skip
        assert_inert(html(echo), f"lookup echo {payload!r}")


def test_feedback_payloads_are_inert_in_the_console(app, payload_world):
    admin = sign_in(app, "it-admin")
    ledger = html(admin.get("/admin/o/it-unit/feedback"))
    assert_inert(ledger, "ledger")
    assert "&lt;script&gt;" in ledger
    for entry_id in payload_world["codes"]:
        page = html(admin.get(f"/admin/o/it-unit/feedback/{entry_id}"))
        assert_inert(page, f"entry {entry_id}")
    assert "{{7*7}}" in ledger


def test_objection_payloads_are_inert_on_the_item_pages(app, client, payload_world):
    notice = payload_world["notice"]
    admin = sign_in(app, "it-admin")
    page = html(admin.get(f"/admin/o/it-unit/items/{notice.id}"))
    assert_inert(page, "console item page with objections")
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    for payload in PAYLOADS:
        kept = client.post(
            f"/o/it-unit/items/{notice.id}/objections",
            data={"text": payload, "name": payload[:100], "contact": payload[:200]},
        )  # no CSRF token: the page comes back with the text kept
        assert kept.status_code == 400
        assert_inert(html(kept), f"item page, kept objection {payload!r}")


def test_the_exports_neutralise_formulas(app, payload_world):
    admin = sign_in(app, "it-admin")
    text = admin.get("/admin/o/it-unit/feedback/export.csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert len(rows) == len(PAYLOADS) + 1
    cells = [cell for row in rows[1:] for cell in row]
    assert not [c for c in cells if c.startswith(FORMULA_STARTS)]
    assert "'=1+1" in cells and "'@SUM(1+1)" in cells and "'-2+3" in cells
    assert '\'=HYPERLINK("http://evil.example","click")' in cells

    workbook = load_workbook(io.BytesIO(admin.get("/admin/o/it-unit/feedback/export.xlsx").data))
    sheet = workbook.active
    values = [c for row in sheet.iter_rows(min_row=2) for c in row]
    assert not [c.coordinate for c in values if c.data_type == "f"]
    strings = [c.value for c in values if isinstance(c.value, str)]
    assert not [s for s in strings if s.startswith(FORMULA_STARTS)]
    assert "'=1+1" in strings
