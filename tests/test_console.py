"""The console's homes: My work (``/admin``), an organisation's home (``/admin/o/<code>/``), the
side navigation and its hook ``console_navigation``, the breadcrumbs, where sign-in lands."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from core import db
from core.plugins.testing import csrf_token
from tenants.operations import get_org
from tests.feedback_helpers import html
from tests.feedback_helpers import sign_in as signed_in
from tests.items_helpers import build_world, user

PASSWORD = "long-enough-pw"


@pytest.fixture
def w(make_org):
    return build_world(make_org)


def sign_in(app, username, lang="en"):
    return signed_in(app, username, lang=lang)


def nav_links(page: str) -> list[str]:
    """The link texts of the side navigation."""
    if 'class="console-side"' not in page:
        return []
    side = page.split('class="console-side"', 1)[1].split("</nav>", 1)[0]
    return re.findall(r"<a href=\"[^\"]+\"[^>]*>([^<]+)</a>", side)


# --- where sign-in lands -----------------------------------------------------------------------


def post_login(client, username, **args):
    token = csrf_token(client, "/auth/login")
    return client.post(
        "/auth/login",
        data={"username": username, "password": PASSWORD, "csrf_token": token, **args},
    )


def test_sign_in_lands_on_my_work_for_anyone_with_a_role(app, w):
    client = app.test_client()
    response = post_login(client, "it-admin", back="/o/it-unit/")
    assert response.headers["Location"] == "/admin"
    member = app.test_client()
    assert post_login(member, "it-member", back="/o/it-unit/").headers["Location"] == "/admin"


def test_sign_in_without_a_role_lands_where_the_person_came_from(app, w):
    user("it-nobody")
    db.session.commit()
    client = app.test_client()
    assert post_login(client, "it-nobody", back="/o/it-unit/items/3").headers["Location"] == (
        "/o/it-unit/items/3"
    )
    other = app.test_client()
    assert post_login(other, "it-nobody").headers["Location"] == "/"


def test_the_page_that_asked_for_sign_in_wins(app, w):
    client = app.test_client()
    response = post_login(client, "it-admin", next="/admin/o/it-unit/items", back="/o/it-unit/")
    assert response.headers["Location"] == "/admin/o/it-unit/items"


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:x"]
)
def test_sign_in_follows_same_site_paths_only(app, w, target):
    user("it-nobody")
    db.session.commit()
    assert post_login(app.test_client(), "it-admin", next=target).headers["Location"] == "/admin"
    assert post_login(app.test_client(), "it-nobody", back=target).headers["Location"] == "/"


def test_the_header_sign_in_link_says_where_the_visitor_came_from(client, w):
    page = html(client.get("/o/it-unit/?lang=en"))
    assert 'href="/auth/login?back=/o/it-unit/?lang%3Den"' in page


# --- the header ---------------------------------------------------------------------------------


def test_the_header_links_my_work_and_the_inbox_for_signed_in_people(app, w):
    page = html(sign_in(app, "it-member").get("/o/it-unit/"))
    quick = page.split('class="header-quick"', 1)[1].split("</nav>", 1)[0]
    assert 'href="/admin"' in quick and "My work" in quick
    assert 'href="/notifications"' in quick
    assert 'href="/requests"' in quick and "My requests" in quick  # the person's own requests


# --- the navigation hook --------------------------------------------------------------------


def test_hook_console_navigation(app, make_org, w):
    """The test plugin's link appears in the side navigation exactly where the plugin is
    enabled and the user may use it (it asks ``items.edit``)."""
    plugged = make_org("it-plugged", parent=w["bureau"], sector="testsector")
    user("it-plugged-admin", ("admin", plugged))
    user("it-plugged-reviewer", ("reviewer", plugged))
    db.session.commit()
    admin = sign_in(app, "it-plugged-admin")
    page = html(admin.get("/admin/o/it-plugged/"))
    assert "Test notes" in nav_links(page)
    assert 'href="/admin/o/it-plugged/testplugin/"' in page
    notes = admin.get("/admin/o/it-plugged/testplugin/")
    assert notes.status_code == 200
    assert 'aria-current="page">Test notes</a>' in html(notes)  # its own page is the current one
    # a reviewer may not use the page: no link
    assert "Test notes" not in nav_links(
        html(sign_in(app, "it-plugged-reviewer").get("/admin/o/it-plugged/"))
    )
    # not enabled: no link, and the page is gone
    unit = html(sign_in(app, "it-admin").get("/admin/o/it-unit/"))
    assert "Test notes" not in nav_links(unit)
    get_org("it-plugged").plugin_settings = {"disabled": ["testplugin"]}
    db.session.commit()
    assert "Test notes" not in nav_links(html(admin.get("/admin/o/it-plugged/")))
    assert admin.get("/admin/o/it-plugged/testplugin/").status_code == 404


def test_hook_my_work(app, make_org, w):
    """The test plugin's group on My work: its ``todo:`` notes, where it is enabled."""
    from gongkai_testplugin import Note

    plugged = make_org("it-plugged", parent=w["bureau"], sector="testsector")
    user("it-plugged-admin", ("admin", plugged))
    db.session.add(Note(org_id=plugged.id, text="todo: check the board"))
    db.session.add(Note(org_id=plugged.id, text="a plain note"))
    db.session.commit()
    page = html(sign_in(app, "it-plugged-admin").get("/admin"))
    assert "Notes to act on" in page
    assert "check the board" in page and "a plain note" not in page
    assert 'href="/admin/o/it-plugged/testplugin/"' in page
    get_org("it-plugged").plugin_settings = {"disabled": ["testplugin"]}
    db.session.commit()
    assert "Notes to act on" not in html(sign_in(app, "it-plugged-admin").get("/admin"))


# --- My work: one query per group, whatever the number of units --------------------------------

WORK_STATES = ("proposed", "reviewed", "approved", "withheld", "superior_review", "notice")


def add_waiting_item(org, n: int, state: str):
    from datetime import UTC, datetime, timedelta

    from core.items.models import Item, ItemVersion

    now = datetime.now(UTC)
    notice = state == "notice"
    item = Item(
        org_id=org.id,
        root_id=org.root_id,
        state="published" if notice else state,
        scope="public",
        visible_scope="public" if notice else "unit",
        channels=["website"],
        published_at=now - timedelta(days=1) if notice else None,
        entry_key="org.fees",
        category_key="org",
        cadence="immediate",
        is_notice=notice,
        notice_ends_at=now + timedelta(days=1) if notice else None,
        withheld_reason="涉及人事事项" if state == "withheld" else None,
        planned_at=now + timedelta(days=1),
    )
    db.session.add(item)
    db.session.flush()
    version = ItemVersion(
        item_id=item.id, number=1, titles={"zh_Hans_CN": f"{org.code} 事项{n}"}, bodies={}
    )
    db.session.add(version)
    db.session.flush()
    item.current_version_id = version.id


def add_units(make_org, bureau, person, start: int, stop: int):
    """Units ``start..stop-1`` below the bureau, where ``person`` is admin and reviewer, each
    with something waiting in every group the person sees."""
    from core.disclosure_requests import operations as requests
    from core.feedback import operations as feedback
    from tenants import operations as tenants
    from tests.test_requests_console import FORM

    applicant = tenants.get_user("mw-applicant") if start else user("mw-applicant")
    for i in range(start, stop):
        unit = make_org(f"mw-unit-{i}", parent=bureau)
        tenants.grant_membership(person, unit, "admin")
        tenants.grant_membership(person, unit, "reviewer")
        for n, state in enumerate(WORK_STATES):
            add_waiting_item(unit, n, state)
        feedback.submit_online(unit, content=f"第{i}条意见：希望公开栏及时更新。")
        requests.file(unit, {**FORM, "content": f"申请{i}"}, applicant=applicant)
    db.session.commit()


def statements_per_group(app, username: str) -> dict[str, tuple[int, int]]:
    """Per registered group: (statements run, rows) for the person's My work."""
    from sqlalchemy import event

    from core import permissions
    from core.disclosure_requests.work import soon
    from core.web import work
    from tenants import operations as tenants

    counts: dict[str, tuple[int, int]] = {}
    engine = db.session.get_bind()
    with app.test_request_context("/admin"):
        db.session.expire_all()
        permissions.forget_roles()
        person = tenants.get_user(username)
        ctx = work.context_for(person, "zh_Hans_CN")
        assert ctx.orgs  # loaded once for all groups, before counting
        soon(ctx)  # the official calendar's "due soon" day: read once for all groups
        seen = []
        listener = lambda *a, **k: seen.append(1)  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            for key in work.providers():
                seen.clear()
                groups = work.collect(ctx, only=key)
                counts[key] = (len(seen), sum(g.count for g in groups))
        finally:
            event.remove(engine, "before_cursor_execute", listener)
    return counts


def test_my_work_runs_one_query_per_group_with_3_and_30_units(app, make_org, w):
    person = user("mw-person", ("reviewer", w["bureau"]), ("admin", w["bureau"]))
    db.session.commit()
    client = sign_in(app, "mw-person")
    add_units(make_org, w["bureau"], person, 0, 3)
    few = statements_per_group(app, "mw-person")
    few_page = page_statements(client)
    add_units(make_org, w["bureau"], person, 3, 30)
    many = statements_per_group(app, "mw-person")
    many_page = page_statements(client)
    waiting = {
        "items.review": 1, "items.approve": 1, "items.schedule": 1, "items.decide": 1,
        "items.filings": 1, "items.notices_ending": 1, "feedback.due": 1,
        "requests.deadline": 1,
    }  # fmt: skip
    for key, per_unit in waiting.items():
        assert few[key][1] == 3 * per_unit, (key, few[key])
        assert many[key][1] == 30 * per_unit, (key, many[key])
    for key in few:
        assert few[key][0] == many[key][0], f"{key}: {few[key][0]} statements, then {many[key][0]}"
        assert many[key][0] <= 1, (key, many[key])  # one query for the group
    # the page: as many statements for 30 units as for 3
    assert few_page == many_page, f"/admin: {few_page} statements, then {many_page}"


def page_statements(client, path: str = "/admin") -> int:
    from sqlalchemy import event

    seen = []
    listener = lambda *a, **k: seen.append(1)  # noqa: E731
    engine = db.session.get_bind()
    db.session.expire_all()
    event.listen(engine, "before_cursor_execute", listener)
    try:
        response = client.get(path)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert response.status_code == 200
    return len(seen)


# --- filings: a superior acknowledges a withheld item, from My work -----------------------------


def withheld_item(w):
    from core.items import operations as items
    from tests.items_helpers import plan, through_review

    item = through_review(w, items.create(w["unit"], plan(), actor=w["editor"]))
    items.withhold(item, actor=w["admin"], reason="涉及正在调查的事项，暂不公开")
    db.session.commit()
    return item.id


def post_form(client, path, data, token_from):
    return client.post(path, data={**data, "csrf_token": csrf_token(client, token_from)})


@pytest.mark.rule("PUB-6")
def test_a_superior_acknowledges_a_withheld_item_from_my_work(app, w):
    from core.audit import AuditEntry
    from core.items.models import Item

    item_id = withheld_item(w)
    filings = "/admin/o/it-bureau/items/filings"
    reviewer = sign_in(app, "it-bureau-reviewer")
    work = html(reviewer.get("/admin"))
    assert "Withheld items to acknowledge" in work
    assert f'href="{filings}?filing={item_id}"' in work  # one click to the action ...
    landing = reviewer.get(f"{filings}?filing={item_id}")  # ... on the page that shows it
    assert landing.headers["Location"].endswith(f"{filings}?page=1#filing-{item_id}")
    action = f"{filings}/{item_id}/acknowledge"
    # the unit itself, a member of the superior, another county: no acknowledgement
    admin = sign_in(app, "it-admin")
    assert post_form(admin, f"/admin/o/it-unit/items/filings/{item_id}/acknowledge", {},
                     "/admin/o/it-unit/items").status_code == 404  # fmt: skip
    member = sign_in(app, "it-bureau-member")
    assert post_form(member, action, {}, "/o/it-bureau/").status_code in (403, 404)
    # the note: 2000 characters at most (2001 refused, nothing saved)
    response = post_form(reviewer, action, {"note": "阅" * 2001}, filings)
    assert response.status_code == 302
    assert "at most 2000 characters" in html(reviewer.get(filings))
    assert db.session.get(Item, item_id).filing_acknowledged_at is None
    response = post_form(reviewer, action, {"note": "阅" * 2000}, filings)
    assert response.status_code == 302
    db.session.expire_all()
    item = db.session.get(Item, item_id)
    assert item.filing_acknowledged_at is not None and item.filing_acknowledgement == "阅" * 2000
    page = html(reviewer.get(filings))
    assert "The filing is acknowledged." in page and 'name="note"' not in page
    assert db.session.scalar(
        select(func.count()).where(
            AuditEntry.action == "item.filing_acknowledged", AuditEntry.object_id == str(item_id)
        )
    ) == 1  # fmt: skip
    # acknowledged: no longer waiting, and a second acknowledgement is refused
    assert "Withheld items to acknowledge" not in html(reviewer.get("/admin"))
    post_form(reviewer, action, {"note": ""}, filings)
    assert "This filing was acknowledged already." in html(reviewer.get(filings))


@pytest.mark.rule("PUB-6")
def test_the_filings_come_a_page_at_a_time_those_waiting_first(app, w, monkeypatch):
    from core.items import operations as items
    from core.items import views as item_views
    from core.items.models import Item
    from tenants.models import User

    first, second, third = (withheld_item(w) for _ in range(3))
    reviewer = sign_in(app, "it-bureau-reviewer")
    bureau_reviewer = db.session.scalar(select(User).where(User.username == "it-bureau-reviewer"))
    items.acknowledge_filing(db.session.get(Item, third), actor=bureau_reviewer, note="")
    db.session.commit()
    monkeypatch.setattr(item_views, "FILINGS_PER_PAGE", 2)
    filings = "/admin/o/it-bureau/items/filings"
    page = html(reviewer.get(filings))
    # the two waiting for an acknowledgement (the latest first), then the acknowledged one
    assert page.index(f'id="filing-{second}"') < page.index(f'id="filing-{first}"')
    assert f'id="filing-{third}"' not in page and "Page 1 of 2" in page
    assert f'href="{filings}?page=2"' in page
    assert f'id="filing-{third}"' in html(reviewer.get(f"{filings}?page=2"))
    # a link to one filing lands on its page
    for item_id, number in ((second, 1), (first, 1), (third, 2)):
        landing = reviewer.get(f"{filings}?filing={item_id}")
        assert landing.headers["Location"].endswith(f"?page={number}#filing-{item_id}")
    # not a filing of this organisation's units (or not a number): the first page
    assert (
        reviewer.get(f"{filings}?filing=999999")
        .headers["Location"]
        .endswith("?page=1#filing-999999")
    )
    assert reviewer.get(f"{filings}?filing=x").status_code == 200


# --- the organisation's home: status panel, navigation by task, breadcrumbs ---------------------


def flag(org, kind: str, n: int = 1):
    from datetime import date

    from core.items.models import DisclosureFlag

    for i in range(n):
        db.session.add(
            DisclosureFlag(org_id=org.id, entry_key="org.fees", period_key=f"2026-Q{i % 4 + 1}",
                           kind=kind, due_on=date(2026, 3, 31))
        )  # fmt: skip
    db.session.commit()


def test_the_county_reaches_the_unit_furthest_behind_from_its_home(app, w):
    flag(w["sibling"], "late")
    flag(w["unit"], "overdue", 2)
    county = sign_in(app, "it-county-admin")
    # My work → the county's console home (one click) → the unit furthest behind (two clicks)
    assert 'href="/admin/o/it-county/"' in html(county.get("/admin"))
    home = html(county.get("/admin/o/it-county/"))
    behind = home.split('class="panel status-section status-units"', 1)[1].split("</section>")[0]
    assert behind.index('href="/admin/o/it-unit/"') < behind.index('href="/admin/o/it-sibling/"')
    assert 'href="/admin/o/it-county/units"' in behind  # all the units below
    assert county.get("/admin/o/it-unit/").status_code == 200
    # the side navigation, grouped by task; the status panel
    groups = ["Disclosure", "Requests, feedback and evaluation", "Supervision", "Settings"]
    assert [g for g in groups if f">{g}</h2>" in home] == groups
    links = nav_links(home)
    for entry in ("Disclosure items", "Catalogue", "Units below", "Members", "Parameters"):
        assert entry in links, entry
    for section in ("catalogue", "items", "requests", "feedback", "units"):
        assert f"status-section status-{section}" in home, section
    unit = html(sign_in(app, "it-admin").get("/admin/o/it-unit/"))
    for section in ("catalogue", "timeliness", "items", "requests", "feedback"):
        assert f"status-section status-{section}" in unit, section
    units = html(county.get("/admin/o/it-county/units?order=behind"))
    assert units.index("it-unit") < units.index("it-sibling")
    assert county.get("/admin/o/it-county/units?order=bogus&page=x").status_code == 200


def test_a_unit_without_units_below_has_no_supervision_of_units(app, w):
    home = html(sign_in(app, "it-admin").get("/admin/o/it-sibling/"))  # not theirs
    assert "Units furthest behind" not in home
    page = html(sign_in(app, "it-admin").get("/admin/o/it-child/"))  # below their unit
    assert "status-units" not in page and "Units below" not in nav_links(page)


def test_console_pages_carry_breadcrumbs_from_my_work_to_the_page(app, w):
    page = html(sign_in(app, "it-admin").get("/admin/o/it-unit/items/new"))
    crumbs = page.split('class="breadcrumb"', 1)[1].split("</nav>", 1)[0]
    hrefs = re.findall(r'href="([^"]+)"', crumbs)
    assert hrefs[0] == "/admin"
    assert "/admin/o/it-unit/" in hrefs and "/admin/o/it-unit/items" in hrefs
    assert 'aria-current="page"' in crumbs


def test_the_home_runs_as_many_statements_for_30_units_as_for_3(app, make_org, w):
    person = user("mw-person", ("reviewer", w["bureau"]), ("admin", w["bureau"]))
    db.session.commit()
    client = sign_in(app, "mw-person")
    add_units(make_org, w["bureau"], person, 0, 3)
    flag(get_org("mw-unit-1"), "overdue")
    few = page_statements(client, "/admin/o/it-bureau/")
    add_units(make_org, w["bureau"], person, 3, 30)
    flag(get_org("mw-unit-20"), "late")
    many = page_statements(client, "/admin/o/it-bureau/")
    assert few == many, f"the home: {few} statements, then {many}"
