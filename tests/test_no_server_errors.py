"""No 5xx from anything a URL or a form can carry (issue 16, finding 8), generated from the URL map.

The isolation world (:mod:`tests.isolation_world`) fills the routes; the application answers with
its real error pages (``GONGKAI_ERROR_PAGES``: an unhandled exception is a 500 page, not a test
error). Sent:

* to **every route parameter**: integers beyond the database's range (2³¹, 2⁶³, 10³⁰) and texts
  with a NUL character, a superscript digit (``²``), digits of other scripts, a date at the
  calendar's ends;
* to **every form field**: every form of every page (found by reading the pages as iso-b's staff
  and as an anonymous visitor, with their CSRF tokens) is submitted once per bad value, every
  field carrying it; search and filter forms (``GET``) the same as query strings, with a page
  number beyond 64 bits;
* to **every JSON write** of the API: a body nested 100 000 levels deep, and texts with NUL.

Each answer must be below 500 (a sign-in provider that cannot be reached answers its designed
502 page). The refusals are translated pages (400/404), checked for a sample.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import quote, urlencode, urlsplit

import pytest

from tests import isolation_world as iw

BAD_INTS = (2**31, 2**63, 10**30)
BAD_TEXTS = ("a\x00b", "²", "٣٤", "0001-01-01", "9999-12-31", "9" * 40, "-1")
# Query strings every GET route is also asked with: page numbers beyond 64 bits, a year beyond
# the calendar, dates at its ends (the names the pages' filters and the API's lists use).
QUERIES = (
    f"page={2**70}&per_page={2**70}&year={10**30}",
    "from=0001-01-01&to=9999-12-31&since=0001-01-01&until=9999-12-31&date=9999-12-31",
    "q=%C2%B2&page=%C2%B2&year=%D9%A3&per_page=-1",
)
UPSTREAM = {"sso.start", "sso.callback"}  # a portal that cannot be reached: a designed 502 page
NOT_SUBMITTED = {"/auth/logout"}  # would end the reader's session for the rest of the suite


class Forms(HTMLParser):
    """The forms of a page: ``[(method, action, {name: value})]`` (hidden values kept)."""

    def __init__(self):
        super().__init__()
        self.forms: list[tuple[str, str, dict[str, str]]] = []
        self._current = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._current = ((a.get("method") or "get").upper(), a.get("action") or "", {})
            self.forms.append(self._current)
        elif tag in ("input", "select", "textarea") and self._current and a.get("name"):
            kind = (a.get("type") or "").lower()
            if kind in ("submit", "button", "file", "image", "reset"):
                return
            self._current[2][a["name"]] = a.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "form":
            self._current = None


def forms_of(html: str, page: str) -> list[tuple[str, str, dict[str, str]]]:
    parser = Forms()
    parser.feed(html)
    found = []
    for method, action, fields in parser.forms:
        action = action or page
        if action.startswith(("http://", "https://", "//")):
            continue
        if not action.startswith("/"):
            action = page.rsplit("/", 1)[0] + "/" + action
        found.append((method, action.split("#", 1)[0], fields))
    return found


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.fixture
def world(app):
    app.config["GONGKAI_ERROR_PAGES"] = True
    return iw.build()


def path_with(rule, values: dict) -> str:
    """``rule`` built with ``values`` (unchecked: the converters are what is tested)."""
    path = rule.rule
    for name, value in values.items():
        path = re.sub(rf"<(?:[^:<>]+:)?{name}>", quote(str(value), safe=""), path)
    return path


def test_route_parameters_beyond_their_range_are_404_not_500(app, world):
    (anonymous,) = iw.readers(app, [iw.ANONYMOUS])
    (staff,) = iw.readers(app, ["iso-b-staff"])
    problems, sent = [], 0
    for call in iw.calls(app, world):
        if call.method != "GET" or call.variant != "own":
            continue
        rule = call.rule
        for query in QUERIES:
            for reader in (anonymous, staff):
                response = reader.client.get(f"{call.path}?{query}")
                sent += 1
                if response.status_code >= 500 and rule.endpoint not in UPSTREAM:
                    problems.append(f"GET {call.path}?{query} as {reader.name}: "
                                    f"{response.status_code}")  # fmt: skip
        base = {k: v for k, v in call.bundle.items() if k in rule.arguments}
        for name, converter in rule._converters.items():
            bad = BAD_INTS if type(converter).__name__.lower().startswith("int") else BAD_TEXTS
            for value in bad:
                path = path_with(rule, {**base, name: value})
                for reader in (anonymous, staff):
                    response = reader.client.get(path)
                    sent += 1
                    if response.status_code >= 500 and rule.endpoint not in UPSTREAM:
                        problems.append(f"GET {path} as {reader.name}: {response.status_code}")
    assert sent > 500, sent
    assert not problems, f"{len(problems)} server errors:\n" + "\n".join(sorted(set(problems))[:80])


def submit_bad_values(reader, calls) -> tuple[list[str], int]:
    """Every form of the pages of ``calls`` that ``reader`` opens, submitted once per bad value
    (every field carrying it): the server errors, and how many were sent."""
    problems, submitted = [], 0
    seen: set[tuple] = set()
    for call in calls:
        if call.method != "GET" or call.variant != "own" or call.endpoint in UPSTREAM:
            continue
        page = reader.client.get(call.path)
        if page.status_code != 200 or "html" not in page.content_type:
            continue
        for method, action, fields in forms_of(page.get_data(as_text=True), call.path):
            if urlsplit(action).path in NOT_SUBMITTED:
                continue
            key = (method, urlsplit(action).path, tuple(sorted(fields)))
            if key in seen:
                continue
            seen.add(key)
            for value in BAD_TEXTS:
                data = {n: (v if n == "csrf_token" else value) for n, v in fields.items()}
                if method == "GET":
                    data["page"] = str(2**70)
                    sep = "&" if "?" in action else "?"
                    response = reader.client.get(action + sep + urlencode(data))
                else:
                    response = reader.client.post(action, data=data)
                submitted += 1
                if response.status_code >= 500:
                    problems.append(
                        f"{method} {action} ({value!r}) as {reader.name}: {response.status_code}"
                    )
    return problems, submitted


def test_every_form_field_refuses_bad_values_without_a_server_error(app, world):
    readers = iw.readers(app, [iw.ANONYMOUS, "iso-b-staff"])
    problems, submitted = [], 0
    calls = iw.calls(app, world)
    for reader in readers:
        found, sent = submit_bad_values(reader, calls)
        problems += found
        submitted += sent
    assert submitted > 300, submitted
    assert not problems, f"{len(problems)} server errors:\n" + "\n".join(problems[:80])


# Pages that only a county's own admins open (iso-b's staff never reach them): read as county
# 2's admin, on county 2's own pages.
COUNTY_PAGES = ("appearance_admin.",)


def test_the_county_admins_forms_refuse_bad_values_without_a_server_error(app, world):
    (admin,) = iw.readers(app, ["iso-county2-admin"])
    calls = [
        call
        for call in iw.calls(app, world)
        if call.endpoint.startswith(COUNTY_PAGES) and call.bundle.get("org_code") == iw.COUNTY2
    ]
    problems, submitted = submit_bad_values(admin, calls)
    assert submitted >= len(BAD_TEXTS) * 4, submitted  # the theme, branding and undo forms
    assert not problems, "\n".join(problems)


def test_every_json_write_refuses_deep_nesting_and_nul(app, world):
    (anonymous,) = iw.readers(app, [iw.ANONYMOUS])
    token = world.extra["tokens"]["iso-a-admin"]
    problems = []
    for call in iw.calls(app, world):
        if not call.path.startswith("/api/") or call.method not in iw.WRITES:
            continue
        for body, kind in ((nested(100_000), "nested"), ('{"text": "a\\u0000b"}', "nul")):
            for headers in ({}, {"Authorization": f"Bearer {token}"}):
                response = anonymous.client.open(
                    call.path, method=call.method, data=body,
                    content_type="application/json", headers=headers,
                )  # fmt: skip
                if response.status_code >= 500:
                    problems.append(f"{call.method} {call.path} ({kind}): {response.status_code}")
    assert not problems, "\n".join(problems)


def test_refusals_are_translated_pages(app, world):
    """A sample of what the suite sends, in Chinese: a translated page, not an English one."""
    client = app.test_client()
    item_id = world.items["zxbpubli"][1]
    for path in (f"/o/iso-b/items/{2**63}", "/o/iso-b/search?q=%00",
                 f"/o/iso-b/search?q=zx&page={2**70}", f"/o/iso-b/items/{item_id}%00"):  # fmt: skip
        response = client.get(path, headers={"Accept-Language": "zh-CN"})
        assert response.status_code in (200, 400, 404), (path, response.status_code)
        if response.status_code >= 400:
            assert 'lang="zh-Hans-CN"' in response.get_data(as_text=True), path
