"""Isolation: who sees which item on every public surface (SCOPE-1, SCOPE-2, PUB-6, PUB-7).

One county with items of every scope (public, party_wide, unit, specific) and every interesting
state (published, closed, revoked, withheld, draft, scheduled, internal-first not yet widened, an
amendment and a revocation waiting for approval), each carrying a unique marker word in its title
and body. Every public surface — unit and county portals, item pages, attachment downloads,
search, unit and county feeds, sitemap, the items API list and detail, the catalogue page — is
read by an anonymous visitor and by members placed around the tree, and the markers on each are
compared with what the rules allow.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest

from core import db
from core.items import operations as items
from core.items.models import Item, ItemVersion
from core.params import operations as params
from core.plugins.testing import csrf_token
from core.search import operations as search_ops
from tests.items_helpers import build_world, plan, through_review, user

PASSWORD = "long-enough-pw"
PUBLIC = {"entry_key": "org.election", "scope": "public", "channels": ["website"]}
PARTY = {"channels": ["meeting", "notice_board"]}
PDF = b"%PDF-1.4\n%%EOF\n"
MARKER = re.compile(r"zq[a-z]{6}")

ANON, MEMBER, SIBLING, OTHER, SUPERIOR, CHILD = (
    "anonymous",
    "it-member",
    "it-sibling-member",
    "it-other-member",
    "it-bureau-reviewer",
    "it-child-member",
)
EVERYONE = {ANON, MEMBER, SIBLING, OTHER, SUPERIOR, CHILD}
COUNTY_MEMBERS = {MEMBER, SIBLING, SUPERIOR, CHILD}

# marker: who may see the item (on the surfaces of the county it-county)
EXPECTED: dict[str, set[str]] = {
    "zqpubpub": EVERYONE,  # public, published (with an attachment)
    "zqpubclo": EVERYONE,  # public, closed
    "zqpubrev": EVERYONE,  # public, revoked: the revocation notice is public
    "zqpubnot": EVERYONE,  # public notice in its period
    "zqamdorg": EVERYONE,  # public, an amendment waits: version 1 is still what is published
    "zqrvpttl": EVERYONE,  # public, a revocation waits: still published
    "zqpubint": COUNTY_MEMBERS,  # public plan, internal first, not yet widened (party_wide now)
    "zqparpub": COUNTY_MEMBERS,  # party_wide
    "zqunipub": {MEMBER, CHILD, SUPERIOR},  # unit: the unit, its subtree and its superiors
    "zqspepub": {SIBLING, SUPERIOR},  # specific: the named organisation (it-sibling), superiors
    "zqsibuni": {SIBLING, SUPERIOR},  # a sibling unit's unit-scope item
    "zqpubwth": set(),  # withheld
    "zqpubdrf": set(),  # draft
    "zqpubsch": set(),  # scheduled for later
    "zqunidrf": set(),  # unit-scope draft
    "zqamdnew": set(),  # the pending amendment's new version
    "zqrvpexp": set(),  # the explanation of a revocation still waiting for approval
}
NON_PUBLIC = {m for m, who in EXPECTED.items() if ANON not in who}
DISCLOSED_NON_PUBLIC = {"zqpubint", "zqparpub", "zqunipub", "zqspepub", "zqsibuni"}
ITEM_MARKERS = [m for m in EXPECTED if m not in ("zqamdnew", "zqrvpexp")]
OTHER_COUNTY = "zqothpub"  # a public item of another county: never on it-county's surfaces


def content(marker: str) -> dict:
    return {
        "titles": {"zh_Hans_CN": f"事项 {marker}"},
        "bodies": {"zh_Hans_CN": f"{marker} 的正文，涉及党费。"},
    }


def run(w, item: Item, *, until: str = "published") -> Item:
    """Take a draft through the workflow up to ``until`` (scheduled or published)."""
    if item.state == "draft":
        through_review(w, item)
    items.approve(item, actor=w["admin"] if item.org_id == w["unit"].id else w["sib_staff"])
    if item.state == "superior_review":
        items.superior_decide(item, actor=w["bureau_reviewer"], approve=True)
    actor = w["editor"] if item.org_id == w["unit"].id else w["sib_staff"]
    items.schedule_publication(item, actor=actor)
    if until == "published":
        items.publish(item)
    return item


def draft(w, marker: str, **overrides) -> Item:
    return items.create(w["unit"], plan(**{**content(marker), **overrides}), actor=w["editor"])


def world(make_org) -> dict:
    w = build_world(make_org)
    w["sib_staff"] = user(
        "it-sibling-staff", *[(r, w["sibling"]) for r in ("admin", "editor", "reviewer")]
    )
    made: dict[str, Item] = {}

    item = draft(w, "zqpubpub", **PUBLIC)
    w["public_attachment"] = items.add_attachment(item, "公开.pdf", PDF, actor=w["editor"])
    made["zqpubpub"] = run(w, item)
    made["zqpubclo"] = items.close(run(w, draft(w, "zqpubclo", **PUBLIC)), actor=w["admin"])
    revoked = run(w, draft(w, "zqpubrev", **PUBLIC))
    items.request_revocation(revoked, actor=w["admin"], explanation="重复发布，予以撤销")
    made["zqpubrev"] = items.decide_revocation(revoked, actor=w["bureau_reviewer"], approve=True)
    made["zqpubnot"] = run(w, draft(w, "zqpubnot", **PUBLIC, is_notice=True))
    amended = run(w, draft(w, "zqamdorg", **PUBLIC))
    items.request_amendment(amended, actor=w["editor"], explanation="更正", **content("zqamdnew"))
    w["pending_attachment"] = items.add_attachment(
        amended, "更正.pdf", PDF + b" ", actor=w["editor"]
    )
    made["zqamdorg"] = amended
    revoking = run(w, draft(w, "zqrvpttl", **PUBLIC))
    made["zqrvpttl"] = items.request_revocation(
        revoking, actor=w["admin"], explanation="撤销理由 zqrvpexp"
    )
    params.set_value(w["county"], "scope.internal_first_days", 3)
    made["zqpubint"] = run(w, draft(w, "zqpubint", **PUBLIC))
    params.set_value(w["county"], "scope.internal_first_days", 0)
    made["zqparpub"] = run(w, draft(w, "zqparpub", scope="party_wide", **PARTY))
    unit_item = draft(w, "zqunipub", scope="unit", **PARTY)
    w["unit_attachment"] = items.add_attachment(
        unit_item, "党内.pdf", PDF + b"  ", actor=w["editor"]
    )
    made["zqunipub"] = run(w, unit_item)
    made["zqspepub"] = run(
        w, draft(w, "zqspepub", scope="specific", audience={"orgs": ["it-sibling"]}, **PARTY)
    )
    sibling = items.create(
        w["sibling"],
        plan(**content("zqsibuni"), entry_key=None, scope="unit", **PARTY),
        actor=w["sib_staff"],
    )
    items.propose(sibling, actor=w["sib_staff"])
    items.review(
        sibling,
        actor=w["sib_staff"],
        secrecy_passed=True,
        secrecy_basis="条例",
        necessity_ok=True,
        accuracy_ok=True,
    )
    made["zqsibuni"] = run(w, sibling)
    withheld = draft(w, "zqpubwth", **PUBLIC)
    made["zqpubwth"] = items.withhold(withheld, actor=w["admin"], reason="涉及正在调查的事项")
    drafted = draft(w, "zqpubdrf", **PUBLIC)
    w["draft_attachment"] = items.add_attachment(
        drafted, "草稿.pdf", PDF + b"   ", actor=w["editor"]
    )
    made["zqpubdrf"] = drafted
    later = datetime.now(UTC) + timedelta(days=3)
    made["zqpubsch"] = run(w, draft(w, "zqpubsch", **PUBLIC, planned_at=later), until="scheduled")
    made["zqunidrf"] = draft(w, "zqunidrf", scope="unit", **PARTY)
    # another county's public item (written directly: that county has no catalogue here)
    other = w["other_county"]
    foreign = Item(
        org_id=other.id,
        root_id=other.root_id,
        state="published",
        scope="public",
        visible_scope="public",
        channels=["website"],
        published_at=datetime.now(UTC),
    )
    db.session.add(foreign)
    db.session.flush()
    version = ItemVersion(
        item_id=foreign.id, number=1, published_at=datetime.now(UTC), **content(OTHER_COUNTY)
    )
    db.session.add(version)
    db.session.flush()
    foreign.current_version_id = version.id
    db.session.flush()
    db.session.refresh(foreign)
    search_ops.index_item(foreign)
    db.session.commit()
    states = {m: i.state for m, i in made.items()}
    assert states["zqpubint"] == "published" and made["zqpubint"].visible_scope == "party_wide"
    assert states["zqpubsch"] == "scheduled" and states["zqamdorg"] == "amendment_pending"
    assert states["zqrvpttl"] == "revocation_pending" and states["zqpubwth"] == "withheld"
    # plain facts only: the requests below end the session these objects live in
    w["items"] = {m: (i.organisation.code, i.id) for m, i in made.items()}
    w["foreign"] = ("it-other", foreign.id)
    w["attachments"] = {
        "zqpubpub": ("zqpubpub", w["public_attachment"].id),
        "zqunipub": ("zqunipub", w["unit_attachment"].id),
        "zqpubdrf": ("zqpubdrf", w["draft_attachment"].id),
        "zqamdnew": ("zqamdorg", w["pending_attachment"].id),
    }
    return w


@pytest.fixture
def w(make_org):
    return world(make_org)


def markers(text: str) -> set[str]:
    return set(MARKER.findall(text))


def result_markers(response) -> set[str]:
    """The markers in the result list of a search page (not in the echoed query); the words
    the search matched are marked (``<mark>zq</mark>pubpub``), so the tags are taken out first."""
    found = re.search(r'<ol class="result-list".*?</ol>', response.get_data(as_text=True), re.S)
    return markers(re.sub(r"</?mark>", "", found.group(0))) if found else set()


def get(client, path: str, status: int = 200):
    response = client.get(path)
    assert response.status_code == status, (path, response.status_code)
    return response


def read_surfaces(client, w, viewer: str = ANON) -> dict[str, set[str]]:
    """The markers each surface shows to ``client``."""
    by_id = {item_id: marker for marker, (_code, item_id) in w["items"].items()}
    seen: dict[str, set[str]] = {}
    for name, path in [
        ("unit portal", "/o/it-unit/"),
        ("county portal", "/o/it-county/"),
        ("bureau portal", "/o/it-bureau/"),
        ("sibling portal", "/o/it-sibling/"),
        ("catalogue", "/o/it-unit/catalogue"),
        ("home", "/"),
    ]:
        seen[name] = markers(get(client, path).get_data(as_text=True))
    # item pages and the item API, for every item
    pages, details = set(), set()
    for marker, (code, item_id) in w["items"].items():
        page = client.get(f"/o/{code}/items/{item_id}")
        # a signed-out visitor is asked to sign in (403) for a disclosed non-public item only
        asks = viewer == ANON and marker in DISCLOSED_NON_PUBLIC
        assert page.status_code in ((200, 403) if asks else (200, 404)), (viewer, marker)
        shown = markers(page.get_data(as_text=True))
        if page.status_code == 200:
            assert marker in shown
        pages |= shown
        detail = client.get(f"/api/v1/items/{item_id}")
        assert detail.status_code in (200, 404)
        assert (detail.status_code == 200) == (page.status_code == 200), marker
        if detail.status_code == 200:
            details |= markers(detail.get_data(as_text=True))
    seen["item pages"], seen["item API"] = pages, details
    # attachments
    seen["attachments"] = {
        marker
        for marker, (owner, att_id) in w["attachments"].items()
        if client.get(
            f"/o/{w['items'][owner][0]}/items/{w['items'][owner][1]}/attachments/{att_id}"
        ).status_code
        == 200
    }
    # search: all markers at once, then each marker word alone
    seen["search"] = result_markers(get(client, "/o/it-county/search?q=zq"))
    seen["search each"] = set()
    for marker in [*EXPECTED, OTHER_COUNTY]:
        seen["search each"] |= result_markers(get(client, f"/o/it-county/search?q={marker}"))
    # feeds
    for name, path in [
        ("unit feed", "/o/it-unit/feed.atom"),
        ("county feed", "/o/it-county/feed.atom"),
    ]:
        body = get(client, path).data
        ET.fromstring(body)  # well-formed
        seen[name] = markers(body.decode())
    # sitemap: item URLs, mapped back to markers
    root = ET.fromstring(get(client, "/sitemap.xml").data)
    ids = {
        int(m.group(1))
        for loc in root.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")
        if (m := re.search(r"/items/(\d+)$", loc.text))
    }
    seen["sitemap"] = {by_id.get(i, OTHER_COUNTY if i == w["foreign"][1] else str(i)) for i in ids}
    # the items API list, by id
    listed = get(client, "/api/v1/orgs/it-county/items?per_page=100").get_json()
    seen["items API"] = {by_id.get(i["id"], str(i["id"])) for i in listed["items"]}
    assert listed["total"] == len(listed["items"])
    found = get(client, "/api/v1/orgs/it-county/items?q=zq&per_page=100").get_json()
    seen["items API search"] = {by_id.get(i["id"], str(i["id"])) for i in found["items"]}
    return seen


def signed_in(client, login, viewer: str):
    if viewer != ANON:
        response = login(viewer, PASSWORD)
        assert response.status_code == 302, viewer
    return client


@pytest.mark.rule("SCOPE-1")
def test_an_anonymous_visitor_never_sees_a_non_public_item_anywhere(w, client):
    seen = read_surfaces(client, w)
    for surface, shown in seen.items():
        leaked = shown & NON_PUBLIC
        assert not leaked, (
            f"{surface} shows non-public items to an anonymous visitor: {sorted(leaked)}"
        )
        assert OTHER_COUNTY not in shown or surface == "sitemap", surface
    public = {m for m in ITEM_MARKERS if ANON in EXPECTED[m]}
    # and it does see every public item where they are listed in full
    for surface in (
        "item pages",
        "item API",
        "search",
        "search each",
        "items API",
        "items API search",
        "county feed",
        "unit feed",
        "sitemap",
    ):
        expected = public | ({OTHER_COUNTY} if surface == "sitemap" else set())
        assert seen[surface] == expected, surface
    assert seen["attachments"] == {"zqpubpub"}


@pytest.mark.rule("SCOPE-1")
@pytest.mark.parametrize("viewer", [ANON, MEMBER, CHILD, SIBLING, OTHER, SUPERIOR])
def test_each_viewer_sees_exactly_what_the_scope_allows(w, client, login, viewer):
    seen = read_surfaces(signed_in(client, login, viewer), w, viewer)
    allowed = {m for m in ITEM_MARKERS if viewer in EXPECTED[m]}
    public = {m for m in ITEM_MARKERS if ANON in EXPECTED[m]}
    # listed in full: exactly what the viewer may see
    for surface in (
        "item pages",
        "item API",
        "search",
        "search each",
        "items API",
        "items API search",
    ):
        assert seen[surface] == allowed, f"{viewer} on {surface}"
    # shared surfaces: the anonymous view, whoever asks
    assert seen["unit feed"] == public and seen["county feed"] == public
    assert seen["sitemap"] == public | {OTHER_COUNTY}
    # partial lists (latest items, notices): never more than allowed
    for surface in (
        "unit portal",
        "county portal",
        "bureau portal",
        "sibling portal",
        "catalogue",
        "home",
    ):
        assert seen[surface] <= allowed, f"{viewer} on {surface}: {sorted(seen[surface] - allowed)}"
    assert seen["unit portal"], "the unit portal lists the latest items"
    expected_attachments = {m for m in ("zqpubpub", "zqunipub") if viewer in EXPECTED[m]}
    assert seen["attachments"] == expected_attachments, viewer


@pytest.mark.rule("SCOPE-1")
def test_a_member_of_another_county_sees_its_own_county_only(w, client, login):
    signed_in(client, login, OTHER)
    code, item_id = w["foreign"]
    assert get(client, f"/o/{code}/items/{item_id}").status_code == 200
    assert markers(get(client, "/o/it-other/").get_data(as_text=True)) == {OTHER_COUNTY}
    listed = get(client, "/api/v1/orgs/it-other/items").get_json()
    assert [i["id"] for i in listed["items"]] == [item_id]
    # an it-county item is not reachable through the other county's URLs
    _code, unit_item = w["items"]["zqpubpub"]
    assert client.get(f"/o/it-other/items/{unit_item}").status_code == 404


@pytest.mark.rule("SCOPE-1")
def test_a_signed_out_visitor_is_asked_to_sign_in_for_a_non_public_item(w, client, login):
    """The item page alone admits that a disclosed non-public item exists, showing nothing of it
    and a link to sign in that comes back; the API and the attachments answer it as a missing
    item; drafts and withheld items stay a 404; a signed-in person who may not read it gets the
    404 too."""
    code, item_id = w["items"]["zqunipub"]
    path = f"/o/{code}/items/{item_id}"
    page = client.get(path + "?lang=en")
    assert page.status_code == 403
    body = page.get_data(as_text=True)
    assert not markers(body), markers(body)  # neither the title nor the body
    assert "Sign in to read this item" in body
    assert f'href="/auth/login?next={path}"' in body
    # the other channels do not tell it from a missing item
    missing = client.get(f"/o/{code}/items/999999")
    assert missing.status_code == 404
    assert client.get(f"/api/v1/items/{item_id}").status_code == 404
    _marker, att_id = w["attachments"]["zqunipub"]
    assert client.get(f"{path}/attachments/{att_id}").status_code == 404
    for marker in ("zqpubdrf", "zqunidrf", "zqpubwth", "zqpubsch"):
        other_code, other_id = w["items"][marker]
        assert client.get(f"/o/{other_code}/items/{other_id}").status_code == 404, marker
    # another county's address does not find it either
    assert client.get(f"/o/it-other/items/{item_id}").status_code == 404
    # signed in through the link: back on the item, which the member may read
    token = csrf_token(client, "/auth/login")
    response = client.post(
        f"/auth/login?next={path}",
        data={"username": MEMBER, "password": PASSWORD, "next": path, "csrf_token": token},
    )
    assert response.status_code == 302 and response.headers["Location"].endswith(path)
    assert "zqunipub" in markers(get(client, path).get_data(as_text=True))


@pytest.mark.rule("SCOPE-1")
def test_a_signed_in_person_who_may_not_read_the_item_gets_the_404(w, client, login):
    signed_in(client, login, SIBLING)
    code, item_id = w["items"]["zqunipub"]
    response = client.get(f"/o/{code}/items/{item_id}")
    assert response.status_code == 404
    assert "/auth/login" not in response.get_data(as_text=True)
