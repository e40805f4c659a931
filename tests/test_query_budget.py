"""Every page type runs as many SQL statements for much data as for little (DESIGN.md "Budgets":
no page's number of queries grows with the data). Portal pages as an anonymous visitor and a
member; console pages as the unit's admin and the superior's reviewer; the applicant's pages.

Each test loads the page on a small world, adds more of everything the page lists (items in
every state a list shows, their register entries, feedback, requests, members), loads it again
and compares the statements counted on the engine. Pages with a dedicated query test elsewhere:
the item page (test_portal), search (test_search, test_portal), the items API (test_portal).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, inspect

from core import db
from core.disclosure_requests import operations as requests
from core.feedback import operations as feedback
from core.items.models import Item, ItemVersion
from core.register import operations as register
from core.search import operations as search_ops
from tenants import operations as tenants
from tests.feedback_helpers import sign_in as signed_in
from tests.items_helpers import build_world, user
from tests.test_requests_console import FORM as REQUEST

PASSWORD = "long-enough-pw"


@pytest.fixture
def w(make_org):
    w = build_world(make_org)
    w["applicant"] = user("qb-applicant")
    db.session.commit()
    w["grown"] = 0
    return w


def fresh(obj):
    return db.session.get(type(obj), inspect(obj).identity[0])


def add_item(w, n: int, *, state: str, scope: str = "public", notice: bool = False) -> Item:
    unit = fresh(w["unit"])
    now = datetime.now(UTC)
    disclosed = state in ("published", "closed", "revoked")
    item = Item(
        org_id=unit.id,
        root_id=unit.root_id,
        state=state,
        scope=scope,
        visible_scope=scope if disclosed else "unit",
        channels=["website"],
        published_at=now - timedelta(minutes=n) if disclosed else None,
        entry_key=("org.election", "org.fees")[n % 2],
        category_key="org",
        cadence=("immediate", "quarterly")[n % 2],
        period_key=None if n % 2 == 0 else "2026-Q1",
        catalogue_version_id=None,
        is_notice=notice,
        notice_ends_at=now + timedelta(days=3) if notice else None,
        withheld_reason="涉及人事事项" if state == "withheld" else None,
        planned_at=now + timedelta(days=1),
    )
    db.session.add(item)
    db.session.flush()
    version = ItemVersion(
        item_id=item.id,
        number=1,
        titles={"zh_Hans_CN": f"事项{n}"},
        bodies={"zh_Hans_CN": f"事项{n}的正文，党费"},
        published_at=item.published_at,
    )
    db.session.add(version)
    db.session.flush()
    item.current_version_id = version.id
    db.session.flush()
    db.session.refresh(item)
    if disclosed:
        search_ops.index_item(item)
    if disclosed or state == "withheld":
        register.append(
            unit,
            "publish" if disclosed else "withhold",
            object_type="item",
            object_id=item.id,
            title=f"事项{n}",
            scope=scope,
        )
    return item


def grow(w, n: int) -> None:
    """``n`` more of everything: items in the states the lists show, register entries,
    feedback (received, closed and published), requests, members."""
    unit = fresh(w["unit"])
    for i in range(w["grown"], w["grown"] + n):
        add_item(w, i, state="published", scope=("public", "party_wide", "unit")[i % 3])
        add_item(w, 1000 + i, state="published", notice=True)
        add_item(w, 2000 + i, state="withheld")
        add_item(w, 3000 + i, state="superior_review")
        add_item(w, 4000 + i, state="draft")
        entry = feedback.submit_online(unit, content=f"第{i}条意见：希望公开栏及时更新。").entry
        if i % 2:
            feedback.assign(entry, actor=fresh(w["admin"]), handler=fresh(w["member"]))
            feedback.answer(entry, actor=fresh(w["member"]), text="已更新。", channel=None)
            feedback.publish(entry, actor=fresh(w["admin"]), public_question=f"问题{i}")
            feedback.close(entry, actor=fresh(w["admin"]))
        requests.file(unit, {**REQUEST, "content": f"申请{i}"}, applicant=fresh(w["applicant"]))
        member = tenants.create_user(f"qb-member-{i}", password=PASSWORD, display_name=f"党员{i}")
        tenants.grant_membership(member, unit, "member")
    w["grown"] += n
    db.session.commit()


class Counter:
    def __init__(self):
        self.count = 0

    def __call__(self, *args, **kwargs):
        self.count += 1


@pytest.fixture
def count(app):
    engine = db.session.get_bind()
    counter = Counter()
    event.listen(engine, "before_cursor_execute", counter)
    yield counter
    event.remove(engine, "before_cursor_execute", counter)


def sign_in(app, username: str | None):
    if username:
        return signed_in(app, username)
    client = app.test_client()
    client.get("/?lang=en")
    return client


def statements(count, client, path: str) -> int:
    db.session.expire_all()
    count.count = 0
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return count.count


def assert_constant(app, w, count, viewer: str | None, path: str) -> None:
    grow(w, 2)
    client = sign_in(app, viewer)
    client.get(path)  # warm up: code lists, templates, the viewer's first page
    few = statements(count, client, path)
    grow(w, 10)
    many = statements(count, client, path)
    assert few == many, f"{path} as {viewer or 'anonymous'}: {few} statements, then {many}"


PORTAL_PAGES = [
    "/",
    "/o/it-unit/",
    "/o/it-county/",
    "/o/it-bureau/",
    "/o/it-unit/catalogue",
    "/o/it-unit/feedback",
    "/o/it-unit/feedback/answers",
    "/o/it-unit/feed.atom",
]


@pytest.mark.parametrize("viewer", [None, "it-member"])
@pytest.mark.parametrize("path", PORTAL_PAGES)
def test_portal_pages(app, w, count, viewer, path):
    assert_constant(app, w, count, viewer, path)


UNIT = "/admin/o/it-unit"
BUREAU = "/admin/o/it-bureau"
CONSOLE_PAGES = [
    ("it-admin", f"{UNIT}/items"),
    ("it-admin", f"{UNIT}/items?state=published"),
    ("it-admin", f"{UNIT}/timeliness"),
    ("it-admin", f"{UNIT}/register"),
    ("it-admin", f"{UNIT}/catalogue"),
    ("it-admin", f"{UNIT}/catalogue/schedule"),
    ("it-admin", f"{UNIT}/feedback"),
    ("it-admin", f"{UNIT}/feedback/stats"),
    ("it-admin", f"{UNIT}/requests"),
    ("it-admin", f"{UNIT}/members"),
    ("it-admin", f"{UNIT}/evaluations"),
    ("it-admin", f"{UNIT}/parameters"),
    ("it-admin", f"{UNIT}/plugins"),
    ("it-admin", f"{UNIT}/catalogue/versions/1"),
    ("it-admin", f"{UNIT}/items/new"),
    ("it-member", "/o/it-unit/requests/new"),
    ("it-bureau-reviewer", f"{BUREAU}/items/inbox"),
    ("it-bureau-reviewer", f"{BUREAU}/items/filings"),
    ("it-bureau-reviewer", f"{BUREAU}/catalogue/inbox"),
    ("it-bureau-reviewer", f"{BUREAU}/requests/filings"),
    ("it-bureau-reviewer", f"{BUREAU}/requests/escalations"),
    ("it-bureau-reviewer", f"{BUREAU}/timeliness"),
    ("it-admin", "/notifications"),
    ("qb-applicant", "/requests"),
]


@pytest.mark.parametrize(("viewer", "path"), CONSOLE_PAGES)
def test_console_pages(app, w, count, viewer, path):
    assert_constant(app, w, count, viewer, path)


def test_detail_pages_do_not_grow_with_their_neighbours(app, w, count):
    """A feedback entry's and a request's console page, and the applicant's request page."""
    grow(w, 2)
    from sqlalchemy import select

    from core.disclosure_requests.models import DisclosureRequest
    from core.feedback.models import FeedbackEntry

    entry_id = db.session.scalar(select(FeedbackEntry.id).order_by(FeedbackEntry.id))
    request_id = db.session.scalar(select(DisclosureRequest.id).order_by(DisclosureRequest.id))
    item_id = db.session.scalar(select(Item.id).where(Item.state == "published"))
    pages = [
        ("it-admin", f"{UNIT}/items/{item_id}"),
        ("it-admin", f"{UNIT}/feedback/{entry_id}"),
        ("it-admin", f"{UNIT}/requests/{request_id}"),
        ("qb-applicant", f"/o/it-unit/requests/{request_id}"),
    ]
    clients = {viewer: sign_in(app, viewer) for viewer, _ in pages}
    for viewer, path in pages:
        clients[viewer].get(path)
    few = [statements(count, clients[v], p) for v, p in pages]
    grow(w, 10)
    many = [statements(count, clients[v], p) for v, p in pages]
    assert few == many
