"""The world of the isolation and scope suites (tests/test_isolation.py, test_scope_suite.py),
and the machinery that sends every route of the URL map to it.

Two counties. In county 1 a superior (``iso-sup``) with two sibling units ``iso-a`` and
``iso-b``; county 2 with the unit ``iso-c``. The actors are the people of ``iso-a`` (one per role)
and an anonymous visitor; the targets are the objects of ``iso-b`` (a sibling unit) and of
``iso-c`` (another county): items in every state and scope, attachments, an objection, register
entries (written by the workflow), catalogue drafts with categories and entries, county 2's
template draft, memberships, invitations, county 2's sign-in provider and API tokens.

Every object carries a **marker**: ``zx`` and six lower-case letters, unique, in its title, body,
file name, note or text. Who may see a marker on a public surface is :data:`EXPECTED`; an answer
that shows a marker its reader may not see is a leak.

:func:`build` returns plain data (codes, ids, user names), since the objects' session ends with
the first request. Its ``bundles`` fill the URL arguments of a route: each one a set of arguments
that belong together (an organisation's code with one of its items and, when it has one, an
attachment of that item; a catalogue version's number with one of its categories and entries).
:func:`calls` turns every rule of the URL map into requests with them (an argument no bundle
provides raises :class:`UnknownArgument`, naming the rule), :func:`readers` signs the readers in.
"""

from __future__ import annotations

import hashlib
import io
import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import func, select
from sqlalchemy import text as sql
from werkzeug.routing import AnyConverter, Rule

from core import db
from core.catalogue import operations as cat
from core.items import operations as items
from core.items.models import Item
from core.plugins.testing import present_tables
from tenants import operations as tenants
from tenants.models import User

PASSWORD = "long-enough-pw"
MARKER = re.compile(r"zx[a-z]{6}")

A, B, C = "iso-a", "iso-b", "iso-c"
SUPERIOR, COUNTY, COUNTY2 = "iso-sup", "iso-county", "iso-county2"
ROLES = ("admin", "editor", "reviewer", "supervisor", "member")
ANONYMOUS = "anonymous"

# The viewers of the scope suite: the first two are the isolation suite's actors too (every role of
# iso-a sees what its member sees: nothing of iso-b is in their subtree). APPLICANT holds no role
# anywhere: a person who asked iso-b for information (the public's view, plus their requests).
A_MEMBER, C_MEMBER, B_MEMBER, SUP_REVIEWER, APPLICANT = (
    "iso-a-member",
    "iso-c-member",
    "iso-b-member",
    "iso-sup-reviewer",
    "iso-applicant",
)
VIEWERS = (ANONYMOUS, A_MEMBER, C_MEMBER, B_MEMBER, SUP_REVIEWER, APPLICANT)
EVERYONE = frozenset(VIEWERS)
NOBODY: frozenset[str] = frozenset()

# marker: who may see it on a public surface (portal, item page, search, feed, API ...)
EXPECTED: dict[str, frozenset[str]] = {
    # iso-b (county 1)
    "zxbpubli": EVERYONE,  # public, published
    "zxbpubat": EVERYONE,  # ... its attachment
    "zxbnotic": EVERYONE,  # a public notice in its period
    "zxbobjec": NOBODY,  # ... an objection to it (the console's business)
    "zxbobjnm": NOBODY,  # ... the objector's name
    "zxbamdor": EVERYONE,  # public, published, an amendment waits
    "zxbamdnw": NOBODY,  # ... the amendment's new text
    "zxbamdex": NOBODY,  # ... its explanation (published only once approved)
    "zxbparty": frozenset({A_MEMBER, B_MEMBER, SUP_REVIEWER}),  # party_wide: county 1's members
    "zxbunitp": frozenset({B_MEMBER, SUP_REVIEWER}),  # unit: the unit and its superiors
    "zxbunita": frozenset({B_MEMBER, SUP_REVIEWER}),  # ... its attachment
    "zxbspeci": frozenset({B_MEMBER, SUP_REVIEWER}),  # specific: names iso-b
    "zxbdraft": NOBODY,  # a draft
    "zxbdrfat": NOBODY,  # ... its attachment
    "zxbpropo": NOBODY,  # proposed: waits for the review
    "zxbsupre": NOBODY,  # off-catalogue, waits for the superior
    "zxbwithh": NOBODY,  # withheld
    "zxbreasn": NOBODY,  # ... the reason, filed with the superior
    "zxbsched": NOBODY,  # scheduled for later
    "zxbcatdr": NOBODY,  # a category of the catalogue draft
    "zxbentdr": NOBODY,  # an entry of the catalogue draft
    # iso-c (county 2)
    "zxcpubli": EVERYONE,  # public, published
    "zxcparty": frozenset({C_MEMBER}),  # party_wide: county 2's members
    "zxcunitp": frozenset({C_MEMBER}),  # unit
    "zxcunita": frozenset({C_MEMBER}),  # ... its attachment
    "zxcdraft": NOBODY,
    "zxcdrfat": NOBODY,
    "zxcpropo": NOBODY,
    "zxcwithh": NOBODY,
    "zxcreasn": NOBODY,
    "zxccatdr": NOBODY,
    "zxccentr": NOBODY,
    "zxttmpca": NOBODY,  # a category of county 2's template draft
    "zxttmpen": NOBODY,  # an entry of county 2's template draft
    # memberships, invitations, sign-in providers, API tokens
    "zxbinvnt": NOBODY,  # the note of a pending invitation to iso-b
    "zxcinvnt": NOBODY,  # the note of a pending invitation to iso-c
    "zxbtoken": NOBODY,  # the name of an iso-b staff member's API token
    "zxctoken": NOBODY,  # the name of iso-c's service token
    "zxtsecrt": NOBODY,  # county 2's sign-in provider's client secret
    # disclosure requests (依申请公开): each read by its applicant only (the console aside) — and,
    # through the API (GET /api/v1/requests/<id>), by the superior's reviewer (SUP-1)
    "zxbreqst": frozenset({B_MEMBER, SUP_REVIEWER}),  # iso-b's request, by its member, granted
    "zxbreqat": frozenset({B_MEMBER, SUP_REVIEWER}),  # ... the document given with the decision
    "zxcreqst": frozenset({C_MEMBER}),  # iso-c's request, declined (filed with county 2)
    "zxbreqap": frozenset({APPLICANT, SUP_REVIEWER}),  # an outsider's request, "already public"
    "zxbreqan": frozenset({APPLICANT, SUP_REVIEWER}),  # ... its answer
    "zxbreqgp": frozenset({APPLICANT, SUP_REVIEWER}),  # an outsider's, granted and published: the
    "zxbgrpub": NOBODY,  # ... item it drafted (a draft until published)
    # feedback ledger (意见建议台账): an entry of iso-b closed with a published answer and
    # rectification, one just received; one of iso-c published
    "zxbfbpbq": EVERYONE,  # the published summary of iso-b's feedback
    "zxbfbans": EVERYONE,  # ... its published answer
    "zxbfbrec": EVERYONE,  # ... its published rectification result
    "zxbfbcon": NOBODY,  # ... the submitter's own words (the console's business)
    "zxbfbnam": NOBODY,  # ... the submitter's name
    "zxbfbnot": NOBODY,  # ... a handling note
    "zxbfbmea": NOBODY,  # ... the rectification measures
    "zxbfbunp": NOBODY,  # feedback to iso-b, not answered
    "zxcfbpbq": EVERYONE,  # the published summary of iso-c's feedback
    "zxcfbcon": NOBODY,  # ... the submitter's own words
    # member evaluation (评议): rounds of iso-sup for iso-b, of county 2 for iso-c
    "zxbevdrf": NOBODY,  # a draft round
    "zxbevopn": frozenset({B_MEMBER}),  # an open round: its title, for iso-b's voters
    "zxbevcmo": NOBODY,  # ... a comment in it
    "zxbevuni": frozenset({A_MEMBER, B_MEMBER, SUP_REVIEWER}),  # published, scope unit (iso-sup)
    "zxbevcmu": NOBODY,  # ... a comment in it (never published)
    "zxcevpty": frozenset({C_MEMBER}),  # county 2's round, published party_wide
    "zxcevcmt": NOBODY,  # ... a comment in it
    # 三重一大 (plugin three_important, enabled for iso-b and iso-c): the console's business
    "zxbtimtg": NOBODY,  # the place of a meeting of iso-b
    "zxbtidec": NOBODY,  # ... a decision taken at it
    "zxctimtg": NOBODY,  # the place of a meeting of iso-c
    # 村务公开 (plugin village_affairs, enabled for iso-b and iso-c): its console's committees
    "zxbvasup": NOBODY,  # a supervision committee member of iso-b
    "zxbvacom": NOBODY,  # a village committee member of iso-b
    "zxcvasup": NOBODY,  # a supervision committee member of iso-c
    # questionnaires (调查表): titles of open and published ones are public; drafts and every
    # free-text answer are the console's business
    "zxbqndrf": NOBODY,  # iso-b's draft questionnaire
    "zxbqnopn": EVERYONE,  # iso-b's open questionnaire
    "zxbqnopt": NOBODY,  # ... a free-text answer to it
    "zxbqnpub": EVERYONE,  # iso-b's questionnaire with published results
    "zxbqnpbo": EVERYONE,  # ... an option of it (on the results page)
    "zxbqnpbt": NOBODY,  # ... a free-text answer to it (never published)
    "zxcqnpub": EVERYONE,  # iso-c's questionnaire with published results
    "zxcqntxt": NOBODY,  # ... a free-text answer to it
    # the printed board's postings (the console's business: the unit and its superiors)
    "zxbbrdnt": NOBODY,  # the note of iso-b's posting of its printed board
    "zxcbrdnt": NOBODY,  # the note of iso-c's
    # supervision (SUP-1, SUP-2): the console's business of the units and their superiors
    "zxbinspc": NOBODY,  # the subject of iso-sup's inspection of iso-b
    "zxbfindg": NOBODY,  # ... a finding for iso-b to rectify
    "zxbfdrec": NOBODY,  # ... iso-b's answer (its rectification)
    "zxbflagr": NOBODY,  # an automatic flag on iso-b (a late feedback's receipt)
    "zxcinspc": NOBODY,  # county 2's inspection of iso-c
    "zxcfindg": NOBODY,  # ... a finding for iso-c
    "zxcflagr": NOBODY,  # an automatic flag on iso-c
    # half-year reports, campaigns, assessment (RPT-1, RPT-2, SUP-3): the console's business
    "zxbrptnr": NOBODY,  # the narrative of iso-b's half-year report
    "zxcrptnr": NOBODY,  # the narrative of iso-c's
    "zxbcpchk": NOBODY,  # iso-b's account of a campaign checklist item
    "zxccpchk": NOBODY,  # iso-c's
    "zxbassum": NOBODY,  # the summary of iso-b's self-assessment
    "zxcassum": NOBODY,  # iso-c's
    "zxbdesig": NOBODY,  # the note of iso-b's designation as a model unit
    # the counties' own channels (CAT-6), chosen by nothing yet: their console's business
    "zxkchanl": NOBODY,  # a channel of county 1
    "zxcchanl": NOBODY,  # a channel of county 2
}


def visible_to(viewer: str) -> frozenset[str]:
    """The markers ``viewer`` may see on public surfaces (every role of iso-a: as its member)."""
    if viewer.startswith("iso-a-"):
        viewer = A_MEMBER
    return frozenset(m for m, who in EXPECTED.items() if viewer in who)


def markers(text: str) -> set[str]:
    return set(MARKER.findall(text))


@dataclass
class World:
    orgs: dict[str, int] = field(default_factory=dict)  # code: id
    items: dict[str, tuple[str, int]] = field(default_factory=dict)  # marker: (code, id)
    attachments: dict[str, tuple[str, int, int]] = field(default_factory=dict)  # (code, item, id)
    versions: dict[str, dict[str, Any]] = field(default_factory=dict)  # name: numbers, ids
    bundles: list[dict[str, Any]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def item_marker(self, item_id: int) -> str | None:
        return next((m for m, (_c, i) in self.items.items() if i == item_id), None)


def pdf(marker: str) -> bytes:
    return f"%PDF-1.4\n% {marker}\n%%EOF\n".encode()


def person(username: str, *grants) -> Any:
    user = tenants.create_user(username, password=PASSWORD, display_name=username)
    for role, org in grants:
        tenants.grant_membership(user, org, role)
    return user


def org(code: str, *, parent=None, type_code: str = "branch"):
    names = {"zh_Hans_CN": {"full": f"{code} 党组织", "short": code}}
    return tenants.create_organisation(
        code, parent=parent, type_code=type_code, sector="agency", names=names
    )


ENTRIES = (
    ("org.fees", "党费收缴、使用和管理情况", "party_wide", ["meeting", "notice_board"]),
    ("org.election", "换届选举情况", "public", ["notice_board", "website"]),
)


def template(county, admin, *, marker: tuple[str, str] | None = None):
    """County ``county``'s published template (and, with ``marker``, a draft of the next one)."""
    version = cat.start_draft(county, "template", actor=admin)
    category = cat.add_category(version, key="org", titles={"zh_Hans_CN": "组织管理"})
    for key, title, scope, channels in ENTRIES:
        cat.add_entry(
            version,
            category,
            {
                "titles": {"zh_Hans_CN": title},
                "content": {"zh_Hans_CN": title + "的内容"},
                "scope": scope,
                "channels": channels,
                "cadence": "quarterly" if scope == "party_wide" else "immediate",
                "responsible": "组织委员",
            },
            key=key,
        )
    cat.transition(version, "publish", actor=admin)
    if marker is None:
        return version, None
    return version, catalogue_draft(county, "template", admin, marker)


def catalogue_draft(unit, kind: str, actor, marker: tuple[str, str]) -> dict[str, Any]:
    """A new draft of ``unit``'s catalogue with a marked category and entry."""
    draft = cat.start_draft(unit, kind, actor=actor)
    category = cat.add_category(
        draft, key="secret-cat", titles={"zh_Hans_CN": f"内部类目 {marker[0]}"}
    )
    entry = cat.add_entry(
        draft,
        category,
        {
            "titles": {"zh_Hans_CN": f"内部条目 {marker[1]}"},
            "content": {"zh_Hans_CN": f"{marker[1]} 的公开内容"},
            "scope": "unit",
            "channels": ["meeting"],
            "cadence": "quarterly",
            "responsible": "组织委员",
        },
        key="secret-entry",
    )
    return {"number": draft.number, "category_id": category.id, "entry_id": entry.id}


def approved_catalogue(unit, admin, approver) -> int:
    version = cat.start_draft(unit, actor=admin)
    cat.transition(version, "submit", actor=admin)
    cat.transition(version, "approve", actor=approver)
    categories = cat.categories(version)
    entries = cat.entries(version)
    return {"number": version.number, "category_id": categories[0].id, "entry_id": entries[0].id}


def plan(marker: str, **overrides) -> dict[str, Any]:
    data = {
        "titles": {"zh_Hans_CN": f"事项 {marker}"},
        "bodies": {"zh_Hans_CN": f"{marker} 的正文，涉及党费。"},
        "entry_key": "org.fees",
        "scope": "party_wide",
        "channels": ["meeting", "notice_board"],
        "planned_at": datetime.now(UTC) - timedelta(minutes=1),
        "decision_date": datetime.now(UTC).date(),
    }
    data.update(overrides)
    return data


PUBLIC = {"entry_key": "org.election", "scope": "public", "channels": ["website"]}


class Unit:
    """Drafts and runs items of one unit through its workflow (one staff account does it all)."""

    def __init__(self, unit, staff, superior_reviewer):
        self.unit, self.staff, self.superior = unit, staff, superior_reviewer

    def draft(self, marker: str, **overrides) -> Item:
        return items.create(self.unit, plan(marker, **overrides), actor=self.staff)

    def review(self, item: Item) -> Item:
        items.propose(item, actor=self.staff)
        items.review(
            item,
            actor=self.staff,
            secrecy_passed=True,
            secrecy_basis="《党务公开条例》第十条",
            necessity_ok=True,
            accuracy_ok=True,
        )
        return item

    def run(self, item: Item, *, until: str = "published") -> Item:
        if item.state == "draft":
            self.review(item)
        items.approve(item, actor=self.staff)
        if item.state == "superior_review":
            if until == "superior_review":
                return item
            items.superior_decide(item, actor=self.superior, approve=True)
        items.schedule_publication(item, actor=self.staff)
        if until == "published":
            items.publish(item)
        return item


def build() -> World:
    """Create the world (in the current database, committed) and return its plain facts."""
    w = World()
    county = org(COUNTY, type_code="county_committee")
    superior = org(SUPERIOR, parent=county, type_code="party_committee")
    unit_a = org(A, parent=superior)
    unit_b = org(B, parent=superior)
    county2 = org(COUNTY2, type_code="county_committee")
    unit_c = org(C, parent=county2)
    for o in (county, superior, unit_a, unit_b, county2, unit_c):
        w.orgs[o.code] = o.id

    county_admin = person("iso-county-admin", ("admin", county))
    county2_admin = person("iso-county2-admin", ("admin", county2), ("reviewer", county2))
    sup_reviewer = person(SUP_REVIEWER, ("reviewer", superior))
    for role in ROLES:
        person(f"iso-a-{role}", (role, unit_a))
    a_staff = person("iso-a-staff", ("admin", unit_a))
    b_staff = person("iso-b-staff", *[(r, unit_b) for r in ("admin", "editor", "reviewer")])
    person(B_MEMBER, ("member", unit_b))
    c_staff = person("iso-c-staff", *[(r, unit_c) for r in ("admin", "editor", "reviewer")])
    person(C_MEMBER, ("member", unit_c))
    for user in db.session.scalars(select(User).where(User.username.in_(VIEWERS))):
        user.email = f"{user.username}@example.org"  # the scope suite reads their mail too

    # catalogues: the counties' templates, every unit's approved catalogue and a draft of the next
    template(county, county_admin)
    w.versions["county2-template"] = template(
        county2, county2_admin, marker=("zxttmpca", "zxttmpen")
    )[1]
    w.versions["a-approved"] = approved_catalogue(unit_a, a_staff, sup_reviewer)
    w.versions["a-draft"] = catalogue_draft(unit_a, "unit", a_staff, ("zxacatdr", "zxaentdr"))
    w.versions["b-approved"] = approved_catalogue(unit_b, b_staff, sup_reviewer)
    w.versions["b-draft"] = catalogue_draft(unit_b, "unit", b_staff, ("zxbcatdr", "zxbentdr"))
    w.versions["c-approved"] = approved_catalogue(unit_c, c_staff, county2_admin)
    w.versions["c-draft"] = catalogue_draft(unit_c, "unit", c_staff, ("zxccatdr", "zxccentr"))

    made: dict[str, Item] = {}
    attached: dict[str, tuple[Item, Any]] = {}

    b = Unit(unit_b, b_staff, sup_reviewer)
    public = b.draft("zxbpubli", **PUBLIC)
    attached["zxbpubat"] = (
        public,
        items.add_attachment(public, "zxbpubat.pdf", pdf("zxbpubat"), actor=b_staff),
    )
    made["zxbpubli"] = b.run(public)
    notice = made["zxbnotic"] = b.run(b.draft("zxbnotic", **PUBLIC, is_notice=True))
    objection = items.lodge_objection(
        notice, text="异议 zxbobjec", name="zxbobjnm", contact="13800000000"
    )
    w.extra["objections"] = [
        {"org_code": B, "item_id": notice.id, "objection_id": objection.id, "marker": "zxbnotic"}
    ]
    amended = made["zxbamdor"] = b.run(b.draft("zxbamdor", **PUBLIC))
    items.request_amendment(
        amended,
        actor=b_staff,
        titles={"zh_Hans_CN": "事项 zxbamdnw"},
        bodies={"zh_Hans_CN": "zxbamdnw 的新正文"},
        explanation="更正 zxbamdex",
    )
    made["zxbparty"] = b.run(b.draft("zxbparty"))
    unit_item = b.draft("zxbunitp", scope="unit")
    attached["zxbunita"] = (
        unit_item,
        items.add_attachment(unit_item, "zxbunita.pdf", pdf("zxbunita"), actor=b_staff),
    )
    made["zxbunitp"] = b.run(unit_item)
    made["zxbspeci"] = b.run(b.draft("zxbspeci", scope="specific", audience={"orgs": [B]}))
    drafted = made["zxbdraft"] = b.draft("zxbdraft", **PUBLIC)
    attached["zxbdrfat"] = (
        drafted,
        items.add_attachment(drafted, "zxbdrfat.pdf", pdf("zxbdrfat"), actor=b_staff),
    )
    made["zxbpropo"] = items.propose(b.draft("zxbpropo", **PUBLIC), actor=b_staff)
    made["zxbsupre"] = b.run(
        b.draft("zxbsupre", **{**PUBLIC, "entry_key": None}), until="superior_review"
    )
    made["zxbwithh"] = items.withhold(
        b.draft("zxbwithh", **PUBLIC), actor=b_staff, reason="理由 zxbreasn"
    )
    later = datetime.now(UTC) + timedelta(days=3)
    made["zxbsched"] = b.run(b.draft("zxbsched", **PUBLIC, planned_at=later), until="scheduled")

    c = Unit(unit_c, c_staff, county2_admin)
    made["zxcpubli"] = c.run(c.draft("zxcpubli", **PUBLIC))
    made["zxcparty"] = c.run(c.draft("zxcparty"))
    c_unit = c.draft("zxcunitp", scope="unit")
    attached["zxcunita"] = (
        c_unit,
        items.add_attachment(c_unit, "zxcunita.pdf", pdf("zxcunita"), actor=c_staff),
    )
    made["zxcunitp"] = c.run(c_unit)
    c_draft = made["zxcdraft"] = c.draft("zxcdraft", **PUBLIC)
    attached["zxcdrfat"] = (
        c_draft,
        items.add_attachment(c_draft, "zxcdrfat.pdf", pdf("zxcdrfat"), actor=c_staff),
    )
    made["zxcpropo"] = items.propose(c.draft("zxcpropo", **PUBLIC), actor=c_staff)
    made["zxcwithh"] = items.withhold(
        c.draft("zxcwithh", **PUBLIC), actor=c_staff, reason="理由 zxcreasn"
    )
    people_and_access(w, unit_b=unit_b, unit_c=unit_c, county2=county2,
                      b_staff=b_staff, c_staff=c_staff)  # fmt: skip
    feedback_entries(w, unit_b=unit_b, unit_c=unit_c, b_staff=b_staff, c_staff=c_staff)
    board_postings(w, unit_b=unit_b, unit_c=unit_c, b_staff=b_staff, c_staff=c_staff)
    county_branding(county2, county2_admin)
    questionnaires(w, unit_b=unit_b, unit_c=unit_c, b_staff=b_staff, c_staff=c_staff)
    disclosure_requests(w, unit_b=unit_b, unit_c=unit_c, b_staff=b_staff, c_staff=c_staff)
    evaluation_rounds(w, superior=superior, unit_b=unit_b, unit_c=unit_c, county2=county2,
                      county2_admin=county2_admin, b_staff=b_staff, c_staff=c_staff)  # fmt: skip
    three_important_meetings(w, unit_b=unit_b, unit_c=unit_c, b_staff=b_staff, c_staff=c_staff)
    village_affairs_committees(w, unit_b=unit_b, unit_c=unit_c, b_staff=b_staff, c_staff=c_staff)
    school_affairs_deliveries(w, units=(unit_b, unit_c), made=made)
    supervision_records(w, superior=superior, unit_b=unit_b, unit_c=unit_c, county2=county2,
                        sup_reviewer=sup_reviewer, county2_admin=county2_admin,
                        b_staff=b_staff)  # fmt: skip
    reporting(w, superior=superior, unit_b=unit_b, unit_c=unit_c, county2=county2,
              county2_admin=county2_admin, b_staff=b_staff, c_staff=c_staff)  # fmt: skip
    county_channels(w, county=county, county2=county2, county_admin=county_admin,
                    county2_admin=county2_admin)  # fmt: skip
    viewer_tokens(w)
    db.session.commit()

    expected_states = {
        "zxbamdor": "amendment_pending",
        "zxbsupre": "superior_review",
        "zxbsched": "scheduled",
        "zxbwithh": "withheld",
        "zxbpropo": "proposed",
        "zxbdraft": "draft",
        "zxbunitp": "published",
    }
    for marker, state in expected_states.items():
        assert made[marker].state == state, (marker, made[marker].state)
    w.items = {m: (i.organisation.code, i.id) for m, i in made.items()}
    w.attachments = {m: (i.organisation.code, i.id, a.id) for m, (i, a) in attached.items()}
    w.bundles = bundles(w)
    return w


def county_channels(w: World, *, county, county2, county_admin, county2_admin) -> None:
    """A channel of each county's own (CAT-6): its console's pages by ``channel_id``."""
    from core.catalogue import county_channels as channels

    found = w.extra.setdefault("county_channels", [])
    for org, admin, marker in ((county, county_admin, "zxkchanl"),
                               (county2, county2_admin, "zxcchanl")):  # fmt: skip
        channel = channels.add(
            org, {"code": f"{marker}-tv", "labels": {"zh_Hans_CN": f"阳光台 {marker}"},
                  "audience": "both"}, actor=admin,
        )  # fmt: skip
        found.append({"org_code": org.code, "channel_id": channel.id})


def people_and_access(w: World, *, unit_b, unit_c, county2, b_staff, c_staff) -> None:
    """Memberships, invitations, county 2's sign-in provider and API tokens (iso-a's people get
    a personal token each, to call the API as themselves)."""
    from core.api import operations as api_tokens
    from core.sso import operations as sso
    from tenants.models import Invitation, Membership, User

    memberships = db.session.scalars(
        select(Membership).where(Membership.org_id.in_([unit_b.id, unit_c.id]))
    ).all()
    w.extra["memberships"] = [(m.organisation.code, m.id) for m in memberships]
    w.extra["b_staff_id"] = b_staff.id
    invitations, tokens = [], []
    for unit, staff, marker in ((unit_b, b_staff, "zxbinvnt"), (unit_c, c_staff, "zxcinvnt")):
        pending, secret = tenants.create_invitation(unit, "admin", actor=staff, note=marker)
        invitations.append((unit.code, pending.id))
        # the stored hash of a pending invitation is not a token
        tokens.append(tenants.token_hash(secret))
        withdrawn, withdrawn_secret = tenants.create_invitation(unit, "editor", actor=staff)
        tenants.revoke_invitation(withdrawn, actor=staff)
        tokens.append(withdrawn_secret)
        expired, expired_secret = tenants.create_invitation(unit, "reviewer", actor=staff)
        expired.expires_at = db.utcnow() - timedelta(days=1)
        tokens.append(expired_secret)
        w.extra.setdefault("secrets", []).append(secret)
    db.session.flush()
    assert db.session.scalar(select(func.count()).select_from(Invitation)) == 6
    w.extra["invitations"], w.extra["invitation_tokens"] = invitations, tokens
    # e-mail verification links of self-registered accounts: used, expired, and the stored hash
    # of a pending one (not a token); the pending link's token is a secret never shown
    for n, state in enumerate(("used", "expired", "pending")):
        _person, link = tenants.register_user(
            f"zxself{n}", display_name=f"zxself{n}", email=f"zxself{n}@example.org",
            password="isolation-password",
        )  # fmt: skip
        secret = tenants.verification_token(link)
        if state == "used":
            tenants.verify_email(link)
        elif state == "expired":
            link.expires_at = db.utcnow() - timedelta(days=1)
        tokens.append(tenants.token_hash(secret) if state == "pending" else secret)
        if state == "pending":
            w.extra.setdefault("secrets", []).append(secret)

    provider = sso.create_provider(
        "iso-county2-portal",
        # a name that never resolves: a sign-in through it fails at once (a designed 502 page)
        issuer="https://iso-county2.invalid/portal",
        client_id="iso-county2-client",
        client_secret="zxtsecrt-client-secret",
        root=county2,
    )
    w.extra["providers"] = [provider.name]

    _row, b_secret = api_tokens.create(b_staff, name="zxbtoken", scopes=["register:read"])
    _row, c_secret = api_tokens.create(c_staff, org=unit_c, name="zxctoken", scopes=["items:write"])
    w.extra["secrets"] += [b_secret, c_secret, "zxtsecrt-client-secret"]
    w.extra["tokens"] = {}
    for role in ROLES:
        user = db.session.scalar(select(User).where(User.username == f"iso-a-{role}"))
        _row, secret = api_tokens.create(user, scopes=["register:read", "items:write"])
        w.extra["tokens"][user.username] = secret


def viewer_tokens(w: World) -> None:
    """Every signed-in viewer of the scope suite also reads the API with a personal token that
    carries the ``read`` scope only (iso-a's people have theirs already)."""
    from core.api import operations as api_tokens
    from tenants.models import User

    for name in VIEWERS:
        if name == ANONYMOUS or name in w.extra["tokens"]:
            continue
        user = db.session.scalar(select(User).where(User.username == name))
        _row, secret = api_tokens.create(user, scopes=[])
        w.extra["tokens"][name] = secret


def evaluation_rounds(w: World, *, superior, unit_b, unit_c, county2, county2_admin, b_staff,
                      c_staff) -> None:  # fmt: skip
    """Member evaluation: iso-sup's rounds for iso-b (a draft, an open one, one published for
    its subtree) and county 2's round for iso-c (published party-wide), with comments."""
    from core.evaluation import operations as ev

    sup_admin = person("iso-sup-admin", ("admin", superior))
    today = ev.today(superior)

    def make(org, unit, actor, marker, scope, *, voter=None, comment=None, until="published"):
        round_ = ev.create(
            org,
            {"titles": {"zh_Hans_CN": f"评议 {marker}"}, "opens_on": today,
             "closes_on": today + timedelta(days=7), "result_scope": scope,
             "units": [unit.code]},  # never iso-a: its people are the suite's readers
            actor=actor,
        )  # fmt: skip
        if until != "draft":
            ev.open_round(round_, actor=actor)
            answers = {k: "satisfied" for k in [*round_.criterion_keys(), "overall"]}
            ev.cast(round_, unit, actor=voter, answers=answers, comment=f"意见 {comment}")
        if until == "published":
            ev.close(round_, actor=actor)
            ev.publish(round_, actor=actor)
        return round_.id

    b_rounds = [
        make(superior, unit_b, sup_admin, "zxbevdrf", "unit", until="draft"),
        make(superior, unit_b, sup_admin, "zxbevopn", "unit", voter=b_staff, comment="zxbevcmo",
             until="open"),
        make(superior, unit_b, sup_admin, "zxbevuni", "unit", voter=b_staff, comment="zxbevcmu"),
    ]  # fmt: skip
    c_round = make(county2, unit_c, county2_admin, "zxcevpty", "party_wide", voter=c_staff,
                   comment="zxcevcmt")  # fmt: skip
    w.extra["evaluation_rounds"] = [(code, i) for i in b_rounds for code in (SUPERIOR, B)] + [
        (COUNTY2, c_round),
        (C, c_round),
    ]


def reporting(w: World, *, superior, unit_b, unit_c, county2, county2_admin, b_staff,
              c_staff) -> None:  # fmt: skip
    """Half-year reports of iso-b and iso-c (drafts with a narrative); a running campaign of
    iso-sup for iso-b and of county 2 for iso-c, each unit's checklist item marked with a photo;
    an open assessment scheme of iso-sup (iso-a and iso-b assessed) and of county 2, with
    iso-b's and iso-c's evidence and summary; iso-b designated a model unit."""
    from core.assessments import operations as assess
    from core.campaigns import operations as campaigns
    from core.campaigns import reading as campaign_reading
    from core.reports import operations as reports
    from core.reports import periods
    from tenants.models import User

    sup_admin = db.session.scalar(select(User).where(User.username == "iso-sup-admin"))
    found: list[dict[str, Any]] = []
    for unit, staff, above, above_admin, tag in (
        (unit_b, b_staff, superior, sup_admin, "zxb"),
        (unit_c, c_staff, county2, county2_admin, "zxc"),
    ):
        today = reports.today(unit)
        report = reports.prepare(unit, periods.last_ended(unit, today))
        reports.update_narrative(
            report,
            {"practices": f"做法 {tag}rptnr", "problems": "问题", "suggestions": "建议"},
            actor=staff,
        )
        found.append({"org_code": unit.code, "report_id": report.id})
        found.append({"org_code": above.code, "report_id": report.id})

        campaign = campaigns.create(
            above,
            {"titles": {"zh_Hans_CN": "推行党务公开"}, "units": [unit.code],
             "stages": campaigns.default_stages(today)},
            actor=above_admin,
        )  # fmt: skip
        campaigns.start(campaign, actor=above_admin)
        stage = campaign_reading.stages(campaign)[0]
        campaigns.check(campaign, stage, unit, stage.item_keys()[0], actor=staff,
                        note=f"已完成 {tag}cpchk", files=[("board.png", png())],
                        taken_on=today)  # fmt: skip
        (proof,) = campaign_reading.evidence(campaign, unit).values()
        for code in (unit.code, above.code):
            found.append({"org_code": code, "campaign_id": campaign.id, "stage_id": stage.id,
                          "evidence_id": proof[0].id})  # fmt: skip

        scheme = assess.create(
            above,
            {"year": today.year, "titles": {"zh_Hans_CN": "年度考核"},
             "self_due_on": today + timedelta(days=10), "result_scope": "unit",
             "criteria": [
                 {"labels": {"zh_Hans_CN": "工作"}, "weight": 50, "method": "manual"},
                 {"labels": {"zh_Hans_CN": "五有"}, "weight": 50, "method": "checklist",
                  "standard": "five_haves"}]},
            actor=above_admin,
        )  # fmt: skip
        assess.open_scheme(scheme, actor=above_admin)
        sheet = assess.sheet_of(scheme, unit)
        checklist = assess.criteria(scheme)[1]
        (row,) = assess.add_evidence(sheet, checklist.id, "board", actor=staff,
                                     files=[("board.png", png())], taken_on=today)  # fmt: skip
        assess.self_assess(sheet, {"summary": f"总结 {tag}assum"}, actor=staff)
        found.append({"org_code": above.code, "scheme_id": scheme.id})
        for code in (unit.code, above.code):
            found.append({"org_code": code, "sheet_id": sheet.id, "evidence_id": row.id})
    designation = assess.designate(superior, unit_b, "model_unit", standard="eight_haves",
                                   note="示范 zxbdesig", actor=sup_admin)  # fmt: skip
    found.append({"org_code": SUPERIOR, "designation_id": designation.id})
    w.extra["reporting"] = found


def png() -> bytes:
    """A small picture (evidence of a checklist point)."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (32, 32), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def feedback_entries(w: World, *, unit_b, unit_c, b_staff, c_staff) -> None:
    """The feedback ledgers of iso-b (an entry closed with its answer and rectification
    published, one just received) and iso-c (a published answer)."""
    from core.feedback import operations as fb

    done = fb.submit_online(unit_b, content="意见 zxbfbcon", name="zxbfbnam").entry
    fb.assign(done, actor=b_staff, handler=b_staff)
    fb.add_note(done, actor=b_staff, text="办理 zxbfbnot")
    fb.start_rectification(done, actor=b_staff, measures="整改 zxbfbmea",
                           deadline=done.received_on)  # fmt: skip
    fb.record_rectification(done, actor=b_staff, result="整改结果 zxbfbrec")
    fb.answer(done, actor=b_staff, text="答复 zxbfbans")
    fb.publish(done, actor=b_staff, public_question="问题 zxbfbpbq")
    fb.close(done, actor=b_staff)
    waiting = fb.submit_online(unit_b, content="意见 zxbfbunp", contact="13800000000").entry
    answered = fb.submit_online(unit_c, content="意见 zxcfbcon").entry
    fb.assign(answered, actor=c_staff, handler=c_staff)
    fb.answer(answered, actor=c_staff, text="答复")
    fb.publish(answered, actor=c_staff, public_question="问题 zxcfbpbq")
    w.extra["feedback"] = [(B, done.id), (B, waiting.id), (C, answered.id)]


def board_postings(w: World, *, unit_b, unit_c, b_staff, c_staff) -> None:
    """iso-b and iso-c marked their printed boards as put up, each with a photo and a note."""
    import io

    from PIL import Image

    from core import localtime
    from core.noticeboard import operations as noticeboard

    picture = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 40, 40)).save(picture, "PNG")
    found = []
    for unit, staff, marker in ((unit_b, b_staff, "zxbbrdnt"), (unit_c, c_staff, "zxcbrdnt")):
        posting = noticeboard.record(
            unit,
            posted_on=localtime.today(unit),
            photo=("board.png", picture.getvalue()),
            note=f"张贴位置 {marker}",
            actor=staff,
        )
        found.append({"org_code": unit.code, "posting_id": posting.id, "marker": marker})
    w.extra["board_postings"] = found


def county_branding(county2, county2_admin) -> None:
    """County 2 set its branding (display name, emblem, colours): public by design, shown on
    iso-c's pages; county 1 has none (its addresses answer 404)."""
    from core.appearance import branding

    branding.save(county2, names={"zh_Hans_CN": "第二县党务公开"}, primary="#9b111e",
                  accent="#0b5394", emblem=png(), actor=county2_admin)  # fmt: skip


def questionnaires(w: World, *, unit_b, unit_c, b_staff, c_staff) -> None:
    """iso-b: a draft, an open questionnaire with an answer, one with published results; iso-c:
    one with published results. Every answered one carries a free-text answer (never public)."""
    from core import localtime
    from core.questionnaires import operations as qn

    def make(unit, staff, marker, *, until, text=None, option="选项"):
        data = {
            "titles": {"zh_Hans_CN": f"调查 {marker}"},
            "questions": [
                {"kind": "single", "texts": {"zh_Hans_CN": "满意吗"},
                 "options": [{"labels": {"zh_Hans_CN": option}}, {"labels": {"zh_Hans_CN": "否"}}]},
                {"kind": "text", "texts": {"zh_Hans_CN": "建议"}, "options": []},
            ],
        }  # fmt: skip
        q = qn.create(unit, data, actor=staff)
        if until != "draft":
            day = localtime.today(unit)
            qn.open_questionnaire(q, opens_on=day, closes_on=day + timedelta(days=30), actor=staff)
            qn.answer(q, {"q1": "o1", "q2": f"建议 {text}"}, address=f"10.8.0.{q.id}")
        if until == "published":
            qn.close(q, actor=staff)
            qn.publish(q, actor=staff)
        return {"org_code": unit.code, "questionnaire_id": q.id, "marker": marker}

    w.extra["questionnaires"] = [
        make(unit_b, b_staff, "zxbqndrf", until="draft"),
        make(unit_b, b_staff, "zxbqnopn", until="open", text="zxbqnopt"),
        make(unit_b, b_staff, "zxbqnpub", until="published", text="zxbqnpbt",
             option="选项 zxbqnpbo"),
        make(unit_c, c_staff, "zxcqnpub", until="published", text="zxcqntxt"),
    ]  # fmt: skip


def three_important_meetings(w: World, *, unit_b, unit_c, b_staff, c_staff) -> None:
    """iso-b and iso-c enable the plugin three_important; each records a meeting (iso-b's with
    a decision)."""
    from plugins.three_important import operations as ti

    found = []
    for unit, staff, marker in ((unit_b, b_staff, "zxbtimtg"), (unit_c, c_staff, "zxctimtg")):
        unit.plugin_settings = {"enabled": ["three_important"]}
        meeting = ti.record_meeting(
            unit,
            {"body": "party_committee", "held_at": datetime(2026, 3, 2, 1, tzinfo=UTC),
             "place": f"会议室 {marker}", "chair": "甲", "expected_members": ["甲", "乙", "丙"],
             "present_members": ["乙", "甲"], "absentees": [{"name": "丙", "reason": "病假"}],
             "note_taker": "丁"},
            actor=staff,
        )  # fmt: skip
        if unit is unit_b:
            ti.record_decision(
                meeting,
                {"category": "major_decision", "title": "决策 zxbtidec",
                 "opinions": [{"member": "乙", "opinion": "agree"},
                              {"member": "甲", "opinion": "agree"}]},
                actor=staff,
            )  # fmt: skip
        emergency = ti.record_emergency(
            unit,
            {"category": "large_funds", "title": "紧急", "amount": "1", "decided_by": "甲",
             "decided_at": datetime(2026, 3, 1, 1, tzinfo=UTC)},
            actor=staff,
        )  # fmt: skip
        draft = ti.draft_item_list(unit, {"large_funds": "300000"}, actor=staff, year=2026)
        found.append({"org_code": unit.code, "meeting_id": meeting.id, "matter_id": emergency.id,
                      "list_id": draft.id, "marker": marker})  # fmt: skip
    w.extra["three_important"] = found


def school_affairs_deliveries(w: World, *, units, made) -> None:
    """iso-b and iso-c also enable the plugin school_affairs; each has a failed delivery of one of
    its items to a school affairs system (replayable from its console)."""
    from plugins.school_affairs.models import Delivery

    found = []
    for unit in units:
        settings = dict(unit.plugin_settings or {})
        settings["enabled"] = sorted({*settings.get("enabled", []), "school_affairs"})
        unit.plugin_settings = settings
        item = next(i for i in made.values() if i.org_id == unit.id)
        delivery = Delivery(org_id=unit.id, item_id=item.id, event="item.published",
                            url="http://127.0.0.1:9/hook", payload={}, status="failed",
                            attempts=5, last_error="HTTP 500")  # fmt: skip
        db.session.add(delivery)
        db.session.flush()
        found.append({"org_code": unit.code, "delivery_id": delivery.id})
    w.extra["school_affairs"] = found


def village_affairs_committees(w: World, *, unit_b, unit_c, b_staff, c_staff) -> None:
    """iso-b and iso-c enable the plugin village_affairs (after their items were published:
    its sign-off guard would hold them); each has a supervision committee member, iso-b a
    village committee member too."""
    from plugins.village_affairs import operations as va

    found = []
    for unit, staff, marker in ((unit_b, b_staff, "zxbvasup"), (unit_c, c_staff, "zxcvasup")):
        settings = dict(unit.plugin_settings or {})
        settings["enabled"] = [*settings.get("enabled", []), "village_affairs"]
        unit.plugin_settings = settings
        sup = va.add_supervisor(unit, f"监督 {marker}", role="chair", actor=staff)
        found.append({"org_code": unit.code, "supervisor_id": sup.id, "marker": marker})
    va.add_committee_member(unit_b, "村委 zxbvacom", actor=b_staff)
    w.extra["village_affairs"] = found


def supervision_records(w: World, *, superior, unit_b, unit_c, county2, sup_reviewer,
                        county2_admin, b_staff) -> None:  # fmt: skip
    """iso-sup inspects iso-b (a finding that iso-b answered), county 2 inspects iso-c (an open
    finding); an automatic flag on each of iso-b and iso-c."""
    from core.supervision import operations as sv
    from core.supervision.models import SupervisionFlag

    made = []
    for org, unit, actor, m in (
        (superior, unit_b, sup_reviewer, "b"),
        (county2, unit_c, county2_admin, "c"),
    ):
        inspection = sv.record_inspection(
            org, {"kind": "ad_hoc", "target": unit, "subject": f"检查 zx{m}inspc"}, actor=actor
        )
        finding = sv.add_finding(
            inspection, {"unit": unit, "description": f"问题 zx{m}findg"}, actor=actor
        )
        flag = SupervisionFlag(
            org_id=unit.id,
            kind="late_feedback",
            subject_key=f"feedback:zx{m}flagr",
            subject_type="feedback",
            subject_id=None,
            facts={"receipt": f"zx{m}flagr", "due_on": "2026-01-05"},
        )
        db.session.add(flag)
        db.session.flush()
        made.append((org.code, unit.code, inspection.id, finding.id, flag.id))
    sv.answer(db.session.get(type(finding), made[0][3]), actor=b_staff,
              rectification="整改 zxbfdrec")  # fmt: skip
    w.extra["supervision"] = [
        bundle
        for org_code, unit_code, inspection_id, finding_id, flag_id in made
        for bundle in (
            {"org_code": org_code, "inspection_id": inspection_id},
            {"org_code": org_code, "finding_id": finding_id},
            {"org_code": unit_code, "finding_id": finding_id},
            {"org_code": unit_code, "flag_id": flag_id},
            {"org_code": org_code, "flag_id": flag_id},
            {"org_code": unit_code, "column": "findings"},
        )
    ]


def disclosure_requests(w: World, *, unit_b, unit_c, b_staff, c_staff) -> None:
    """A request of iso-b's member, granted with a document; one of iso-c's member, declined
    (and so filed with county 2)."""
    from core.disclosure_requests import operations as requests
    from tenants.models import User

    found = []
    for unit, staff, username, marker in (
        (unit_b, b_staff, B_MEMBER, "zxbreqst"),
        (unit_c, c_staff, C_MEMBER, "zxcreqst"),
    ):
        applicant = db.session.scalar(select(User).where(User.username == username))
        req = requests.file(
            unit,
            {"content": f"申请公开 {marker} 的党费明细", "purpose": "了解情况",
             "contact_email": "applicant@example.org", "delivery": "electronic"},
            applicant=applicant,
        )  # fmt: skip
        requests.accept(req, actor=staff)
        if unit is unit_b:
            decision = requests.decide(
                req, "granted", {"answer": "见附件"}, actor=staff,
                files=[("zxbreqat.pdf", pdf("zxbreqat"))],
            )  # fmt: skip
            (att,) = requests.attachments(req, decision)
            bundle = {"attachment_id": att.id}
        else:
            decision = requests.decide(
                req, "declined", {"reason_code": "party_secret", "explanation": "涉及党的秘密"},
                actor=staff,
            )  # fmt: skip
            bundle = {}
        found.append(
            {"org_code": unit.code, "request_id": req.id, "decision_id": decision.id,
             "marker": marker, **bundle}
        )  # fmt: skip
    outsider = person(APPLICANT)
    outsider.email = "iso-applicant@example.org"
    for marker, outcome in (("zxbreqap", "already_public"), ("zxbreqgp", "granted_published")):
        req = requests.file(
            unit_b,
            {"content": f"申请公开 {marker} 的信息", "purpose": "了解情况",
             "contact_email": outsider.email, "delivery": "electronic"},
            applicant=outsider,
        )  # fmt: skip
        requests.accept(req, actor=b_staff)
        if outcome == "already_public":
            public = db.session.scalar(select(Item).where(
                Item.org_id == unit_b.id, Item.visible_scope == "public", Item.state == "published"
            ))  # fmt: skip
            decision = requests.decide(
                req, outcome, {"public_item_id": public.id, "answer": "答复 zxbreqan"},
                actor=b_staff,
            )  # fmt: skip
            # a decision recorded before the choice list offered public items only: it names a
            # unit-scope item, which its applicant must still never see (title or link)
            hidden = db.session.scalar(select(Item).where(
                Item.org_id == unit_b.id, Item.visible_scope == "unit", Item.state == "published"
            ))  # fmt: skip
            decision.public_item_id = hidden.id
        else:
            decision = requests.decide(
                req, outcome, {"item_title": "公开 zxbgrpub", "answer": "答复 zxbreqgp"},
                actor=b_staff,
            )  # fmt: skip
        db.session.flush()
        found.append({"org_code": unit_b.code, "request_id": req.id, "decision_id": decision.id,
                      "marker": marker})  # fmt: skip
    w.extra["requests"] = found


def bundles(w: World) -> list[dict[str, Any]]:
    """The argument values of iso-b's and iso-c's objects (and of the organisations above them)."""
    found: list[dict[str, Any]] = []
    for code in (B, C, SUPERIOR, COUNTY, COUNTY2):
        found.append({"org_code": code})
    attached = {item_id: att_id for _m, (_c, item_id, att_id) in w.attachments.items()}
    for marker, (code, item_id) in w.items.items():
        bundle = {"org_code": code, "item_id": item_id, "marker": marker}
        if item_id in attached:
            bundle["attachment_id"] = attached[item_id]
        found.append(bundle)
    for name, code in (
        ("b-approved", B),
        ("b-draft", B),
        ("c-approved", C),
        ("c-draft", C),
        ("county2-template", COUNTY2),
    ):
        found.append({"org_code": code, **w.versions[name]})
    for code, membership_id in w.extra["memberships"]:
        found.append({"org_code": code, "membership_id": membership_id})
    for code, invitation_id in w.extra["invitations"]:
        found.append({"org_code": code, "invitation_id": invitation_id})
    for token in w.extra["invitation_tokens"]:
        found.append({"token": token})
    for name in w.extra["providers"]:
        found.append({"provider": name, "name": name})
    for bundle in w.extra.get("requests", []):
        found.append(dict(bundle))
    for code, feedback_id in w.extra.get("feedback", []):
        found.append({"org_code": code, "feedback_id": feedback_id})
    for bundle in w.extra.get("objections", []):
        found.append(dict(bundle))
    found.append({"year": 2026})  # the working-day calendar: platform data, no tenant's
    found.append({"user_id": w.extra["b_staff_id"]})  # the platform console's user pages
    for code, round_id in w.extra.get("evaluation_rounds", []):
        found.append({"org_code": code, "round_id": round_id})
    for bundle in w.extra.get("board_postings", []):
        found.append(dict(bundle))
    for bundle in w.extra.get("questionnaires", []):
        found.append(dict(bundle))
    for bundle in w.extra.get("three_important", []):
        found.append(dict(bundle))
    for bundle in w.extra.get("village_affairs", []):
        found.append(dict(bundle))
    for bundle in w.extra.get("school_affairs", []):
        found.append(dict(bundle))
    for bundle in w.extra.get("supervision", []):
        found.append(dict(bundle))
    for bundle in w.extra.get("reporting", []):
        found.append(dict(bundle))
    for bundle in w.extra.get("county_channels", []):
        found.append(dict(bundle))
    return found


# --- requests: every rule of the URL map, filled with the world's objects ----------------------

# Endpoints the suite does not request, and why.
SKIPPED = {
    "static": "files of the application (not tenant data)",
    "themes.static": "theme files (CSS, images): the same for every tenant",
    "themes.plugin_static": "plugins' static files (CSS, images): the same for every tenant",
    "core.healthz": "liveness probe: no data",
    "core.readyz": "readiness probe: no data",
}

# Arguments that name an object by a global id: requested under iso-a's own code too.
OBJECT_ARGS = {"item_id", "attachment_id", "category_id", "entry_id", "membership_id",
               "invitation_id", "round_id", "feedback_id", "request_id",
               "decision_id", "meeting_id", "matter_id", "list_id",
               "delivery_id", "supervisor_id", "inspection_id", "finding_id",
               "flag_id", "report_id", "campaign_id", "stage_id",
               "evidence_id", "scheme_id", "sheet_id", "designation_id",
               "objection_id", "posting_id", "questionnaire_id", "channel_id"}  # fmt: skip
# Columns that a reader's own request may change (the reader's API token records its use).
OWN_COLUMNS = {"api_tokens": {"last_used_at"}}
NOT_ARGS = {"marker"}

# Sent with every POST, PUT, PATCH and DELETE: the fields of the console's forms, filled so that
# the operation would run if the permission check let the request through.
FORM = {
    "decision": "approve",
    "transition": "submit",
    "comment": "isolation suite",
    "reason": "isolation suite",
    "return_comment": "isolation suite",
    "explanation": "isolation suite",
    "direction": "up",
    "secrecy_passed": "yes",
    "secrecy_basis": "isolation suite",
    "necessity_ok": "yes",
    "accuracy_ok": "yes",
    "outcome": "pass",
    "title_zh_Hans_CN": "isolation suite",
    "body_zh_Hans_CN": "isolation suite",
    "content_zh_Hans_CN": "isolation suite",
    "key": "isolation-suite",
    "value": "1",
    "display_name_zh_Hans_CN": "isolation suite",  # a county's branding
    "primary": "#123456",
    "accent": "#123456",
}
WRITES = ("POST", "PUT", "PATCH", "DELETE")


class UnknownArgument(Exception):
    pass


@dataclass
class Call:
    rule: Rule
    method: str
    path: str
    bundle: dict[str, Any]
    variant: str  # "own": the object under its organisation's code; "a": under iso-a's code

    @property
    def endpoint(self) -> str:
        return self.rule.endpoint


def routes(app) -> list[Rule]:
    return sorted(
        (r for r in app.url_map.iter_rules() if r.endpoint not in SKIPPED),
        key=lambda r: (r.rule, r.endpoint),
    )


def methods(rule: Rule) -> list[str]:
    return sorted(rule.methods - {"HEAD", "OPTIONS"})


def arguments(rule: Rule) -> set[str]:
    return set(rule.arguments) - set(rule.defaults or {})


def fillings(rule: Rule, bundles: list[dict[str, Any]]) -> list[tuple[dict[str, Any], str]]:
    """Every way to fill ``rule``'s arguments with the world's objects: ``(values, variant)``.

    Raises :class:`UnknownArgument` for an argument no bundle provides."""
    args = arguments(rule)
    choices = {
        name: sorted(conv.items)
        for name, conv in rule._converters.items()
        if name in args and isinstance(conv, AnyConverter)
    }
    needed = args - set(choices)
    known = {k for b in bundles for k in b} - NOT_ARGS
    unknown = needed - known
    if unknown:
        raise UnknownArgument(
            f"{rule.rule} ({rule.endpoint}): the isolation suite cannot fill "
            f"{', '.join(sorted(unknown))}; add objects for it to tests/isolation_world.py"
        )
    seen, filled = set(), []
    for bundle in bundles:
        if not needed <= set(bundle):
            continue
        values = {k: bundle[k] for k in needed}
        if "marker" in bundle and needed - {"org_code"}:
            values["marker"] = bundle["marker"]
        variants = ["own"]
        if "org_code" in needed and needed & OBJECT_ARGS:
            variants.append("a")
        for variant in variants:
            v = dict(values)
            if variant == "a":
                v["org_code"] = A
            for combo in combinations(choices):
                key = (variant, tuple(sorted({**v, **combo}.items())))
                if key not in seen:
                    seen.add(key)
                    filled.append(({**v, **combo}, variant))
    if choices:
        filled = cover(filled, list(combinations(choices)))
    if not filled:
        raise UnknownArgument(f"{rule.rule} ({rule.endpoint}): no object of the world fits it")
    return filled


def cover(filled: list[tuple[dict[str, Any], str]], combos: list[dict[str, str]]):
    """Fewer requests for a route with a choice (``<any(propose, approve, ...):step>``): every
    object with one choice each, every choice with some object (in each variant), instead of
    every object with every choice."""
    kept = []
    for variant in ("own", "a"):
        rows = [(v, var) for v, var in filled if var == variant]
        objects: dict[tuple, dict[str, Any]] = {}
        for values, _var in rows:
            base = {k: v for k, v in values.items() if k not in combos[0]}
            objects.setdefault(tuple(sorted(base.items())), base)
        bases = list(objects.values())
        for n in range(max(len(bases), len(combos)) if bases else 0):
            kept.append(({**bases[n % len(bases)], **combos[n % len(combos)]}, variant))
    return kept


def combinations(choices: dict[str, list[str]]) -> Iterable[dict[str, str]]:
    result: list[dict[str, str]] = [{}]
    for name, values in choices.items():
        result = [{**r, name: v} for r in result for v in values]
    return result


def calls(app, world: World, *, only: Callable[[Rule], bool] | None = None) -> list[Call]:
    """Every request of the suite (raises :class:`UnknownArgument` for a route it cannot fill)."""
    found = []
    for rule in routes(app):
        if only is not None and not only(rule):
            continue
        for values, variant in fillings(rule, world.bundles):
            args = {k: v for k, v in values.items() if k not in NOT_ARGS}
            _domain, path = rule.build(args, append_unknown=False)
            for method in methods(rule):
                found.append(Call(rule, method, path, values, variant))
    return found


# --- the readers ------------------------------------------------------------------------------


def set_csrf(app, client) -> str:
    """Put a CSRF token in ``client``'s session and return the form value that matches it
    (what Flask-WTF's ``generate_csrf`` does)."""
    raw = secrets.token_hex(20)
    with client.session_transaction() as session:
        session["csrf_token"] = raw
    return URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token").dumps(raw)


@dataclass
class Reader:
    name: str
    client: Any
    csrf: str
    bearer: str | None = None  # an API token: sent instead of the session (API paths only)

    @property
    def anonymous(self) -> bool:
        return self.name == ANONYMOUS

    @property
    def label(self) -> str:
        return self.name + (" (API token)" if self.bearer else "")


def readers(app, names: Iterable[str], world: World | None = None) -> list[Reader]:
    """A signed-in client for each of ``names``; with ``world``, also each one's API token."""
    from core.plugins.testing import csrf_token

    found = []
    for name in names:
        if world is not None and name in world.extra.get("tokens", {}):
            found.append(Reader(name, app.test_client(), "", world.extra["tokens"][name]))
        client = app.test_client()
        if name != ANONYMOUS:
            response = client.post(
                "/auth/login",
                data={
                    "username": name,
                    "password": PASSWORD,
                    "csrf_token": csrf_token(client),
                },
            )
            assert response.status_code in (302, 303), f"{name} could not sign in"
        found.append(Reader(name, client, set_csrf(app, client)))
    return found


# --- the checks -------------------------------------------------------------------------------


def snapshot() -> dict[str, str]:
    """A digest of every table's rows (to see that a refused request changed nothing).

    On PostgreSQL the server computes the digests, every table in one statement (the rows
    stay there); on SQLite, in process, the rows are read and hashed here."""
    digests = {}
    bind = db.session.get_bind()
    tables = [
        (table, [c for c in table.columns if c.name not in OWN_COLUMNS.get(table.name, ())])
        for table in present_tables()
    ]
    if bind.dialect.name == "postgresql":
        quote = bind.dialect.identifier_preparer.quote
        digest = "md5(coalesce(string_agg(r::text, E'\\n' ORDER BY r::text), ''))"
        parts = [
            f"SELECT '{table.name}', {digest} FROM "
            f"(SELECT {', '.join(quote(c.name) for c in columns)} FROM {quote(table.name)}) r"
            for table, columns in tables
        ]
        digests = dict(db.session.execute(sql(" UNION ALL ".join(parts))).all())
    else:
        for table, columns in tables:
            query = select(*columns).order_by(*table.primary_key.columns)
            rows = db.session.execute(query).all()
            digests[table.name] = hashlib.sha256(repr(rows).encode()).hexdigest()
    db.session.rollback()
    db.session.remove()
    return digests


def send(reader: Reader, call: Call):
    if reader.bearer:
        return reader.client.open(
            call.path,
            method=call.method,
            json={"text": "isolation suite", "comment": "isolation suite"}
            if call.method in WRITES
            else None,
            headers={"Authorization": f"Bearer {reader.bearer}"},
        )
    if call.method in WRITES:
        return reader.client.open(
            call.path,
            method=call.method,
            data={**FORM, "csrf_token": reader.csrf},
            headers={"X-CSRFToken": reader.csrf},
        )
    return reader.client.open(call.path, method=call.method)


def forget_flashes(reader: Reader) -> None:
    """Drop the messages waiting in ``reader``'s session for the next page (each redirect to the
    sign-in page leaves "please sign in"), as the browser that followed the redirect would have
    shown them: unread, they grow the session cookie, and every later request reads and writes
    all of them."""
    cookie = reader.client.get_cookie("session")
    if cookie is None:
        return
    app = reader.client.application
    if app.session_interface.get_signing_serializer(app).loads(cookie.value).get("_flashes"):
        with reader.client.session_transaction() as session:
            session.pop("_flashes", None)


def to_sign_in(response) -> bool:
    if response.status_code not in (301, 302, 303, 307, 308):
        return False
    return urlsplit(response.headers.get("Location", "")).path == "/auth/login"
