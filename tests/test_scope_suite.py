"""The scope suite (SCOPE-1), generated from the URL map: nobody sees a non-public item anywhere
unless its scope lets them.

The world is the isolation suite's (:mod:`tests.isolation_world`): iso-b holds items of every
scope (public, party_wide, unit, specific) in every state worth showing (published, a notice, an
amendment waiting, a draft, proposed, waiting for the superior, withheld, scheduled), with
attachments and an objection; iso-c in the other county a few more. Every **public surface** —
every GET route of the URL map outside the console: portals, item pages, attachments, search,
feeds, the sitemap, the catalogue, every API read — is filled with their organisations and items
and read by:

* an anonymous visitor, a member of iso-a (the wrong unit) and a member of iso-c (the other
  county), who must never see a marker their scope does not allow;
* a member of iso-b and a reviewer of iso-b's superior: the positive controls, who must see what
  the scopes give them (so that a suite that shows nothing to anyone fails too).

Feeds and the sitemap are shared (cached) and always have the anonymous view, whoever asks.
The last test removes the visibility rule and expects the suite to report leaks.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

import pytest

from tests import isolation_world as iw
from tests.printed import readable

pytestmark = pytest.mark.rule("SCOPE-1")

# Console business (core.permissions decides who works on what; the isolation suite checks it),
# not public surfaces.
NOT_SURFACES = {
    "items_api.transition_item": "the workflow view of an item, for those who may work on it",
    "register_api.register": "the register: the unit's admins and its superiors",
    "notifications.inbox": "a person's own notifications: console business they were told of "
    "(a filing with its reason); the isolation suite checks nobody reads another's",
}
# Query strings a surface is read with (besides none): what fills its list.
QUERIES = {
    "portal.search": ("q=zx",),
    "items_api.items": ("per_page=100", "q=zx&per_page=100"),
}
# A sign-in portal that cannot be reached (the world's is on a closed loopback port): a 502 page.
UPSTREAM = {"sso.start", "sso.callback"}
# the anonymous view, whoever asks: feeds, the sitemap, what hangs where anyone passes (the
# printed board, its QR codes, the screen), and the open data channels (downloads, statistics,
# the DCAT catalogue, the public register and its checkpoints)
SHARED = {
    "portal.feed",
    "portal_site.sitemap",
    "board.pdf",
    "board.org_qr",
    "board.item_qr",
    "screen.page",
    "screen.json",
}
OPEN_DATA = ("opendata.", "opendata_site.", "register_public.", "register_keys.")
# Answers whose item links count as showing the item (the QR codes printed on the board, the
# addresses a screen links to)
LINKS_SHOW_ITEMS = {"board.pdf", "board.item_qr", "screen.page", "screen.json"}


def shared(endpoint: str) -> bool:
    return endpoint in SHARED or endpoint.startswith(OPEN_DATA)


ANONYMOUS_VIEW = iw.visible_to(iw.ANONYMOUS)
TOKEN = " (with the viewer's read-only API token)"


def is_surface(rule) -> bool:
    return (
        "GET" in rule.methods
        # the console (My work at /admin, the pages under it): each person's own business by
        # their roles, checked by the isolation suite (tests/test_isolation.py)
        and not (rule.rule == "/admin" or rule.rule.startswith("/admin/"))
        and rule.endpoint not in NOT_SURFACES
    )


@dataclass
class Reading:
    viewer: str
    seen: dict[str, set[str]] = field(default_factory=dict)  # path: markers
    endpoints: dict[str, str] = field(default_factory=dict)  # path: endpoint
    status: dict[str, int] = field(default_factory=dict)

    def union(self) -> set[str]:
        return set().union(*self.seen.values())


ITEM_LINK = re.compile(r"/o/[a-z0-9-]+/items/(\d+)(?![\d/])")


def shown(world: iw.World, endpoint: str, response, path: str = "") -> set[str]:
    """The markers an answer shows: in its text, and the items it links to (a link to an item
    shows that it exists, and where: an answer to a request, the sitemap, an API field) — other
    than the item of its own address (a refusal page links to itself, e.g. to change language)."""
    text = readable(response, qr=True)  # a PDF's text and QR codes, a QR code's address
    found = iw.markers(text) & set(iw.EXPECTED)
    if endpoint in LINKS_SHOW_ITEMS and response.status_code == 200:
        for item_id in re.findall(r"/items/(\d+)", text):
            found.add(world.item_marker(int(item_id)) or f"item {item_id}")
    if endpoint == "portal_site.sitemap" and response.status_code == 200:
        root = ET.fromstring(response.data)
        for loc in root.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc"):
            match = re.search(r"/items/(\d+)$", loc.text or "")
            if match:
                found.add(world.item_marker(int(match.group(1))) or f"item {match.group(1)}")
    own = {int(m.group(1)) for m in ITEM_LINK.finditer(path)}
    for match in ITEM_LINK.finditer(text):
        marker = world.item_marker(int(match.group(1)))
        if marker is not None and int(match.group(1)) not in own:
            found.add(marker)
    return found


# Surfaces read with every choice of their URL (the suite's calls cover each choice once): every
# open dataset in every format of every organisation.
EVERY_CHOICE = {"opendata.download"}


def every_choice(app, rule) -> list[str]:
    from werkzeug.routing import AnyConverter

    choices = {
        name: sorted(conv.items)
        for name, conv in rule._converters.items()
        if isinstance(conv, AnyConverter)
    }
    return [
        rule.build({"org_code": code, **combo}, append_unknown=False)[1]
        for code in (iw.B, iw.C, iw.SUPERIOR, iw.COUNTY, iw.COUNTY2)
        for combo in iw.combinations(choices)
    ]


def read(app, world: iw.World, viewer: str, *, only=None) -> Reading:
    """Every public surface, as ``viewer`` sees it (the API also with the viewer's token)."""
    found = iw.readers(app, [viewer], world)
    (reader,) = [r for r in found if not r.bearer]
    bearer = next((r for r in found if r.bearer), None)
    reading = Reading(viewer)

    def get(path: str, endpoint: str) -> None:
        ways = [("", {})]
        if bearer is not None and path.startswith("/api/"):
            ways.append((TOKEN, {"Authorization": f"Bearer {bearer.bearer}"}))
        for suffix, headers in ways:
            response = reader.client.get(path, headers=headers)
            reading.seen[path + suffix] = shown(world, endpoint, response, path)
            reading.endpoints[path + suffix] = endpoint
            reading.status[path + suffix] = response.status_code

    for call in iw.calls(app, world, only=lambda r: is_surface(r) and (only is None or only(r))):
        if call.method != "GET":
            continue
        for query in ("", *QUERIES.get(call.endpoint, ())):
            get(call.path + (f"?{query}" if query else ""), call.endpoint)
    for rule in iw.routes(app):
        if rule.endpoint in EVERY_CHOICE and (only is None or only(rule)):
            for path in every_choice(app, rule):
                if path not in reading.seen:
                    get(path, rule.endpoint)
    return reading


def leaks(reading: Reading) -> list[str]:
    """Every surface that shows a marker its viewer may not see."""
    allowed = iw.visible_to(reading.viewer)
    found = []
    for path, markers in sorted(reading.seen.items()):
        endpoint = reading.endpoints[path]
        limit = ANONYMOUS_VIEW if shared(endpoint) else allowed
        leaked = markers - limit
        if leaked:
            found.append(f"{path} ({endpoint}) shows {reading.viewer}: {', '.join(sorted(leaked))}")
        if reading.status[path] >= 500 and endpoint not in UPSTREAM:
            found.append(f"{path} ({endpoint}): status {reading.status[path]}")
    return found


@pytest.fixture
def world(app):
    return iw.build()


def item_markers(world: iw.World, code: str, viewer: str) -> set[str]:
    """The markers of ``code``'s items (their titles) that ``viewer`` may see."""
    return {m for m, (c, _id) in world.items.items() if c == code and m in iw.visible_to(viewer)}


@pytest.mark.parametrize("viewer", iw.VIEWERS)
def test_every_public_surface_shows_each_viewer_what_the_scopes_allow(app, world, viewer):
    reading = read(app, world, viewer)
    assert len(reading.seen) > 100, len(reading.seen)
    found = leaks(reading)
    assert not found, f"{len(found)} scope violations:\n" + "\n".join(found[:80])
    # everything the viewer may see is on some surface (the suite can tell "shown" from "hidden")
    missing = iw.visible_to(viewer) - reading.union()
    assert not missing, f"{viewer} does not see {sorted(missing)} anywhere"
    # each item's page and API detail: there exactly when the viewer may see the item
    for marker, (code, item_id) in world.items.items():
        expected = 200 if marker in iw.visible_to(viewer) else 404
        # the page alone asks a signed-out visitor to sign in (403, nothing of the item shown);
        # the API answers a non-public item as a missing one
        disclosed = bool(iw.EXPECTED[marker])  # a draft is nobody's reading: a 404 for all
        refused_page = 403 if viewer == iw.ANONYMOUS and disclosed else 404
        page = refused_page if expected == 404 else 200
        assert reading.status[f"/o/{code}/items/{item_id}"] == page, (viewer, marker)
        assert reading.status[f"/api/v1/items/{item_id}"] == expected, (viewer, marker)
    # the full lists: the county's search and the API list show exactly the visible items
    for code in (iw.COUNTY, iw.COUNTY2):
        expected = item_markers(world, iw.B if code == iw.COUNTY else iw.C, viewer)
        for path in (f"/o/{code}/search?q=zx", f"/api/v1/orgs/{code}/items?q=zx&per_page=100"):
            assert reading.seen[path] == expected, (viewer, path)
        listed = reading.seen[f"/api/v1/orgs/{code}/items?per_page=100"]
        assert listed == expected, (viewer, code)
    # feeds and the sitemap: the anonymous view, whoever asks
    public_b = item_markers(world, iw.B, iw.ANONYMOUS)
    assert reading.seen[f"/o/{iw.COUNTY}/feed.atom"] == public_b
    assert reading.seen["/sitemap.xml"] >= public_b
    assert reading.seen["/sitemap.xml"] <= ANONYMOUS_VIEW


def test_the_positive_controls_see_more_than_the_public(app, world):
    """iso-b's member and its superior's reviewer see the intra-Party items: a suite in which
    nobody saw anything would prove nothing."""
    public = iw.visible_to(iw.ANONYMOUS)
    assert {"zxbparty", "zxbunitp", "zxbspeci"} <= iw.visible_to(iw.B_MEMBER) - public
    assert {"zxbparty", "zxbunitp", "zxbspeci"} <= iw.visible_to(iw.SUP_REVIEWER) - public
    member = read(app, world, iw.B_MEMBER)
    assert {"zxbunitp", "zxbunita", "zxbspeci", "zxbparty"} <= member.seen[
        f"/o/{iw.COUNTY}/search?q=zx"
    ] | member.union()
    assert member.seen[f"/api/v1/orgs/{iw.B}/items?per_page=100"] >= {"zxbunitp", "zxbspeci"}


def _without_public_prefilter(monkeypatch) -> None:
    """Anonymous search also narrows its full-text match to documents indexed as public (a
    pre-filter of the index, core.search.tokens.PUBLIC_TOKEN) before the visibility rule
    decides: take that second guard away too, so the suite can see what the rule alone holds."""
    from core.search import tokens

    def without_public(original):
        def query(runs, root_id=None, public=False, *rest):  # PostgreSQL: *rest is the block
            return original(runs, root_id, False, *rest)

        return query

    for name in ("fts5_query", "tsquery"):
        monkeypatch.setattr(tokens, name, without_public(getattr(tokens, name)))


def test_the_suite_fails_when_the_visibility_rule_is_removed(app, world, monkeypatch):
    from sqlalchemy import true

    from core.items import visibility

    monkeypatch.setattr(visibility, "scope_condition", lambda viewer: true())
    _without_public_prefilter(monkeypatch)
    reading = read(app, world, iw.ANONYMOUS)
    found = "\n".join(leaks(reading))
    for marker in ("zxbparty", "zxbunitp", "zxbspeci", "zxcparty", "zxcunitp"):
        assert marker in found, f"{marker} not reported:\n{found}"
    assert re.search(r"/o/iso-county/search\?q=zx \(portal.search\) shows .*zxbunitp", found)
    assert re.search(r"/api/v1/orgs/iso-county/items\?per_page=100 .* shows .*zxbspeci", found)
    # the printed board (its text and QR codes), the item's QR code, the screen and its JSON
    for endpoint in ("board.pdf", "board.item_qr", "screen.page", "screen.json"):
        pattern = rf"/o/iso-b/\S* \({re.escape(endpoint)}\) shows .*zxbunitp"
        assert re.search(pattern, found), f"{endpoint} not reported:\n{found}"
    # the open data channels go through the same rule, and the suite sees them leak
    for path in ("/o/iso-county/data/items.csv", "/o/iso-b/data/items.json",
                 "/o/iso-sup/data/items.csv", "/o/iso-c/data/items.csv"):  # fmt: skip
        assert re.search(re.escape(path) + r" \(opendata\.download\) shows .*zx", found), path


def test_without_the_search_prefilter_the_visibility_rule_alone_holds(app, world, monkeypatch):
    """Without the index's public pre-filter the visibility rule still holds on every surface
    (the pre-filter is a second guard for anonymous search, not the rule)."""
    _without_public_prefilter(monkeypatch)
    reading = read(app, world, iw.ANONYMOUS)
    assert not leaks(reading), "\n".join(leaks(reading))


def test_the_open_data_channels_show_the_public_view_whoever_asks(app, world):
    """Downloads, statistics, the catalogue and the public register show a member of iso-b what
    they show an anonymous visitor (they are shared and cached), and show it."""
    member = read(app, world, iw.B_MEMBER, only=lambda r: shared(r.endpoint))
    anonymous = read(app, world, iw.ANONYMOUS, only=lambda r: shared(r.endpoint))
    assert member.seen == anonymous.seen
    assert {"zxbpubli", "zxbnotic", "zxbfbpbq"} <= anonymous.seen["/o/iso-b/data/items.csv"] | (
        anonymous.seen["/o/iso-b/data/feedback-answers.json"]
    ) | anonymous.seen["/o/iso-b/data/notices.json"]
    assert {"zxbpubli", "zxbfbpbq"} <= anonymous.seen["/o/iso-b/register"]
    assert len([p for p in anonymous.seen if "/data/" in p]) > 50


def test_the_suite_fails_when_the_register_discloses_a_non_public_entry(app, monkeypatch):
    """The public register shows what its writer disclosed: a writer that disclosed every item's
    titles (whatever its scope) would leak, and the suite reports it on the register's pages and
    downloads."""
    from core.register import subscribers

    def everything(item, version, action, *, explanation=None):
        return {"titles": dict(version.titles or {}) if version else {}}

    monkeypatch.setattr(subscribers, "public_details", everything)
    world = iw.build()
    reading = read(app, world, iw.ANONYMOUS, only=lambda r: r.endpoint.startswith(OPEN_DATA))
    found = "\n".join(leaks(reading))
    for path in ("/o/iso-b/register", "/o/iso-b/register.json", "/o/iso-b/data/register.csv"):
        assert re.search(re.escape(path) + r" \(\w+\.\w+\) shows .*zxbunitp", found), path
    assert "zxbwithh" in found


def mails_by_recipient() -> dict[str, list[str]]:
    """The text of every mail the platform wrote (no SMTP server in the tests: the instance's
    mail folder), by the recipient's user name."""
    import email
    from email import policy

    from core.notifications.mail import mail_dir

    found: dict[str, list[str]] = {}
    for path in sorted(mail_dir().glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        parts = [p.get_content() for p in message.walk() if p.get_content_maintype() == "text"]
        recipient = str(message["To"]).split("@", 1)[0].split("<")[-1]
        found.setdefault(recipient, []).append(f"{message['Subject']}\n" + "\n".join(parts))
    return found


# What a viewer is told by mail because the next step is theirs (console business, not a public
# surface): the superior's reviewer decides iso-b's off-catalogue item and its amendment, with its
# explanation (PUB-3, PUB-7).
TOLD_TO_ACT = {iw.SUP_REVIEWER: frozenset({"zxbsupre", "zxbamdex"})}


def test_mails_show_each_viewer_what_the_scopes_allow(app, world):
    """The notifications the world's events sent by mail (requests filed and decided, …): a
    viewer's mail never names what the viewer may not see, nor links to such an item."""
    from core import jobs

    jobs.work_burst()
    mails = mails_by_recipient()
    # the control: the outsider was told of the decisions, with a link to the request's page
    assert len([t for t in mails.get(iw.APPLICANT, []) if "/o/iso-b/requests/" in t]) >= 2, mails
    found = []
    for viewer in iw.VIEWERS:
        allowed = iw.visible_to(viewer) | TOLD_TO_ACT.get(viewer, frozenset())
        for text in mails.get(viewer, []):
            seen = iw.markers(text) & set(iw.EXPECTED)
            for match in ITEM_LINK.finditer(text):
                marker = world.item_marker(int(match.group(1)))
                seen |= {marker} if marker else set()
            leaked = seen - allowed
            if leaked:
                found.append(f"a mail to {viewer} shows {', '.join(sorted(leaked))}")
    assert not found, "\n".join(found)
