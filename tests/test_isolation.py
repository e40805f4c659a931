"""Cross-tenant isolation, generated from the URL map (issue 5, "Hardening"; DESIGN.md "Tenancy").

The world (:mod:`tests.isolation_world`): unit ``iso-a`` and its sibling ``iso-b`` under one
superior in county 1, and ``iso-c`` in county 2, with non-public objects in iso-b and iso-c that
carry marker words. For **every rule of the URL map** and every method it accepts, the URL
arguments are filled with iso-b's and iso-c's objects (and, for object ids, once more under
iso-a's own code: ``/admin/o/iso-a/items/<an iso-b item>``), and the request is sent by an
anonymous visitor and by iso-a's admin, editor, reviewer, supervisor and member — signed in, and
for the API also with a personal API token each — a POST with a valid CSRF token and a form that
would do something, so that it reaches the permission check. Each answer must be:

* a refusal: 403, 404 or 401, or for an anonymous visitor the redirect to the sign-in page (a 400
  or 409 is a failure too: it comes from a check that ran after the permission check let the
  request through, or shows that the object exists);
* free of the markers its reader may not see (:func:`tests.isolation_world.visible_to`) and of
  iso-b's and iso-c's clear tokens and secrets;
* without effect: the whole database is compared before and after each route.

Routes that are public by design (:data:`PUBLIC_BY_DESIGN`) may answer 200, and the public item
pages (:data:`PUBLIC_ITEM_PAGES`) may for an item the reader may see; their answers are still
checked for markers and effects. A route argument the suite does not know how to fill fails the
suite, naming the rule: no route escapes it.

The last tests run the same checker with a permission check removed (the permission function
allowing everything, or the visibility rule letting every item through) and expect it to report
violations: the suite can fail.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

import pytest
from werkzeug.routing import Rule

from tests import isolation_world as iw
from tests.printed import readable

# Public by design: may answer 200 to anyone for iso-b's and iso-c's own URLs; what they show is
# still checked for markers (SCOPE-1 decides what is on them).
PUBLIC_BY_DESIGN = {
    "core.home": "the platform home: the hosted counties",
    "tenants.portal": "an organisation's portal: its public items (and party_wide ones for "
    "members of the county)",
    "catalogue_public.catalogue": "the effective catalogue of an organisation is public",
    "catalogue_api.catalogue": "the effective catalogue as JSON",
    "portal.search": "search of an organisation's disclosed items",
    "portal.feed": "the Atom feed of public items",
    "portal_site.sitemap": "every public item's URL",
    "items_api.items": "the disclosed items of an organisation as JSON",
    "auth.login": "the sign-in page",
    "auth.logout": "the sign-out page",
    "sso.start": "sign-in through a county's portal: open to every visitor",
    "sso.callback": "the portal's answer: refused without the visitor's own sign-in state",
    "invitations.show": "an invitation link works for whoever holds it; the suite fills it "
    "with withdrawn, expired and forged tokens, which must show and change nothing",
    "invitations.accept": "(the same link's button)",
    "auth.register": "creating an account: offered only where a county allows it (404 elsewhere)",
    "auth.registered": "the page that says the confirmation link was mailed",
    "auth.verify_email": "an e-mail confirmation link works for whoever holds it; the suite "
    "fills it with used, expired and forged tokens, which must change nothing",
    "portal_api.organisations": "the hosted organisations (public directory)",
    "portal_api.organisation": "one organisation's public details",
    "portal_api.tree": "an organisation's public subtree",
    "requests.new": "any signed-in person may request disclosure from any unit (REQ-1); a "
    "form that does not validate changes nothing",
    "requests_api.file_request": "(the same through the API, with a token)",
    "feedback.give": "feedback from anyone, no account needed (FB-1); rate-limited",
    "feedback.received": "the confirmation of the visitor's own submission (from the session)",
    "feedback.lookup": "a submission's page, for whoever holds its receipt and lookup code",
    "feedback.answers": "an organisation's published answers to feedback",
    "questionnaires.index": "an organisation's open questionnaires and published results",
    "questionnaires.answer": "a questionnaire answered by anyone, no account needed, once per "
    "address (a draft is not found; a closed one takes no answers)",
    "questionnaires.thanks": "the thanks after answering a questionnaire",
    "questionnaires.results": "a questionnaire's published results (404 before)",
    "portal.objection_lookup": "an objection's outcome, for whoever holds its receipt and lookup "
    "code (the form alone for anyone else)",
    "feedback_api.submit": "feedback through the API, no account needed; rate-limited",
    "feedback_api.answers": "an organisation's published answers as JSON",
    "evaluation.results": "a published evaluation round's results, in the scope its superior "
    "chose (SUP-3; 404 for anyone outside it)",
    "village_affairs_portal.notice_board": "a village's notice board: its published public "
    "items (VIL-5)",
    "board.pdf": "the printed notice board of an organisation: its public items (SCOPE-1)",
    "board.org_qr": "the QR code of an organisation's portal",
    "screen.page": "an organisation's screen: its public notices and latest items",
    "screen.json": "(what the screen refreshes itself with)",
    "opendata.index": "an organisation's open data page: its public data's downloads",
    "opendata.fields": "the description of the open datasets' fields",
    "opendata.download": "an open dataset of an organisation's subtree: the anonymous view",
    "opendata.statistics": "an organisation's public statistics (counts of public data)",
    "opendata_site.catalog": "the DCAT-AP catalogue of every organisation's open datasets",
    "opendata_site.schema": "the JSON Schemas of the open datasets and the catalogue",
    "register_public.register": "an organisation's public register: public entries, and only "
    "the sealed digest and hash of the others",
    "register_public.register_json": "(the same as JSON, for the outside verifier)",
    "register_public.checkpoints": "the signed checkpoints of an organisation's register",
    "register_public.checkpoints_json": "(the same as JSON)",
    "register_keys.keys": "the deployment's public keys of the register checkpoints",
    "appearance.stylesheet": "a county's colours (its branding), shown on every page of its "
    "subtree",
    "appearance.emblem": "a county's emblem, shown in the header of every page of its subtree",
}
# A provider that cannot be reached is a designed 502/503 page, not a server error.
UPSTREAM = {"sso.start", "sso.callback"}
# Pages of one item: 200 for an item the reader may see (a public one, or a party_wide one of
# the reader's county), else 404.
PUBLIC_ITEM_PAGES = {
    "portal.item": "a disclosed item's page",
    "portal.attachment": "an attachment of a disclosed item",
    "portal.objection": "objections to a public notice (no account needed)",
    "portal.objection_received": "the confirmation of an objection",
    "items_api.item": "a disclosed item as JSON",
    "items_api.versions": "the published versions of a disclosed item",
    "items_api.objections": "objections to a public notice through the API (no account needed)",
    "board.item_qr": "the QR code of a public item's page (404 for any other item)",
}
# What a request may change, by design, on its own URL (else the database must stay the same).
MAY_CHANGE = {
    # an objection to a public notice (the unit's staff are told: inbox, and mail jobs)
    "portal.objection": {"item_objections", "audit_entries", "notifications", "job_outbox"},
    "items_api.objections": {"item_objections", "audit_entries", "notifications", "job_outbox"},
    # feedback from anyone (its notification jobs wait in the outbox)
    "feedback.give": {"feedback_entries", "audit_entries", "job_outbox"},
    "feedback_api.submit": {"feedback_entries", "audit_entries", "job_outbox"},
    # an answer to an open questionnaire (anyone, once per address)
    "questionnaires.answer": {"questionnaire_responses", "questionnaire_respondents"},
    "sso.start": {"audit_entries"},  # a failed sign-in is audited
    "sso.callback": {"audit_entries"},
    "invitations.show": {"audit_entries"},  # a refused invitation is audited
    "invitations.accept": {"audit_entries"},
}

READERS = (iw.ANONYMOUS, *(f"iso-a-{role}" for role in iw.ROLES))


def may_see(reader: iw.Reader, call: iw.Call) -> bool:
    marker = call.bundle.get("marker")
    return marker is not None and marker in iw.visible_to(reader.name)


_SECRETS: list[str] = []


def secrets_of(_call: iw.Call) -> list[str]:
    """Clear tokens and secrets of iso-b and iso-c: never in any answer."""
    return _SECRETS


def answer_allowed(reader: iw.Reader, call: iw.Call, response) -> bool:
    """A refusal, or an answer that the route's design allows."""
    if response.status_code in (401, 403, 404):
        return True
    if reader.anonymous and iw.to_sign_in(response):
        return True
    if call.variant != "own":  # another unit's object under iso-a's code
        return False
    if not iw.arguments(call.rule):  # a page of the platform, not of a tenant
        return True
    if call.endpoint in PUBLIC_BY_DESIGN:
        return True
    return call.endpoint in PUBLIC_ITEM_PAGES and may_see(reader, call)


def judge(reader: iw.Reader, call: iw.Call, response) -> list[str]:
    """What is wrong with ``response`` (empty when nothing)."""
    problems = []
    status = response.status_code
    text = readable(response)  # a PDF's text, a QR code's address
    leaked = iw.markers(text) & (set(iw.EXPECTED) - iw.visible_to(reader.name))
    if leaked:
        problems.append(f"shows {', '.join(sorted(leaked))}")
    secrets_shown = [s[:12] + "…" for s in secrets_of(call) if s in text]
    if secrets_shown:
        problems.append(f"shows the secrets {', '.join(secrets_shown)}")
    if status == 500 or (status > 500 and call.endpoint not in UPSTREAM):
        problems.append(f"status {status}")
    elif not answer_allowed(reader, call, response):
        where = response.headers.get("Location", "")
        problems.append(f"status {status}{' to ' + where if where else ''} (expected 403/404)")
    return problems


def check(
    app,
    world: iw.World,
    *,
    only: Callable[[Rule], bool] | None = None,
    names: Iterable[str] = READERS,
) -> tuple[list[str], int]:
    """Send every request of the suite; ``(violations, number of requests)``."""
    everyone = iw.readers(app, names, world)
    _SECRETS[:] = world.extra.get("secrets", [])
    violations: list[str] = []
    count = 0
    by_rule: dict[tuple[str, str], list[iw.Call]] = {}
    for call in iw.calls(app, world, only=only):
        by_rule.setdefault((call.rule.rule, call.endpoint), []).append(call)
    before = iw.snapshot()
    # the sign-out route last: its POST signs the reader out
    ordered = sorted(by_rule.items(), key=lambda kv: kv[0][1] == "auth.logout")
    for (rule, endpoint), rule_calls in ordered:
        api = rule.startswith("/api/")
        for reader in everyone:
            if reader.bearer and not api:
                continue
            for call in rule_calls:
                response = iw.send(reader, call)
                count += 1
                for problem in judge(reader, call, response):
                    violations.append(f"{call.method} {call.path} as {reader.label}: {problem}")
            iw.forget_flashes(reader)
        after = iw.snapshot()
        changed = sorted(
            t for t in after if after[t] != before[t] and t not in MAY_CHANGE.get(endpoint, ())
        )
        if changed and rule_calls[0].rule.arguments:  # (signing in and out is audited)
            violations.append(f"{rule} ({endpoint}) changed the tables {', '.join(changed)}")
        before = after
    return violations, count


def report(violations: list[str], limit: int = 80) -> str:
    shown = violations[:limit]
    more = len(violations) - len(shown)
    return "\n".join(shown) + (f"\n... and {more} more" if more > 0 else "")


# --- the tests --------------------------------------------------------------------------------


@pytest.fixture
def app_settings(app_settings):
    """With the console's page cache on (core.console.page_cache): whatever it keeps of one
    reader's page must not change what any reader gets."""
    config = {**(app_settings.get("config") or {}), "GONGKAI_CONSOLE_CACHE": True}
    return {**app_settings, "config": config}


@pytest.fixture
def world(app):
    return iw.build()


def test_every_route_refuses_other_units_and_counties(app, world):
    violations, count = check(app, world)
    assert count > 1000, count
    assert not violations, (
        f"{len(violations)} isolation violations in {count} requests:\n{report(violations)}"
    )


def test_every_route_of_the_url_map_is_covered(app, world):
    """Every rule is either requested or skipped with a reason; none has an argument the suite
    cannot fill."""
    requested = {(c.rule.rule, c.endpoint) for c in iw.calls(app, world)}
    for rule in app.url_map.iter_rules():
        assert (rule.rule, rule.endpoint) in requested or rule.endpoint in iw.SKIPPED, rule.rule
    for name in (*PUBLIC_BY_DESIGN, *PUBLIC_ITEM_PAGES):
        assert name in app.view_functions, f"the allow-list names an unknown endpoint {name}"


def test_a_route_with_an_argument_the_suite_cannot_fill_fails_it(app, world):
    from flask import Blueprint

    bp = Blueprint("isolation_probe", __name__)
    bp.add_url_rule(
        "/admin/o/<org_code>/widgets/<int:widget_id>", "widget", lambda org_code, widget_id: ""
    )
    app.register_blueprint(bp)
    with pytest.raises(iw.UnknownArgument, match=r"widgets/<int:widget_id>.*widget_id"):
        iw.calls(app, world, only=lambda rule: rule.endpoint == "isolation_probe.widget")


def test_the_suite_fails_when_a_permission_check_is_removed(app, world, monkeypatch):
    """The permission function answering yes to everything: the checker reports the leaks."""
    from core import permissions

    def allow(*_args, **_kwargs) -> bool:
        return True

    for name in ("may", "holds", "may_run"):  # the decision and its building blocks
        if hasattr(permissions, name):
            monkeypatch.setattr(permissions, name, allow)
    endpoints = ("items_admin.detail", "catalogue_admin.version", "members_admin.index")
    violations, _count = check(
        app, world, only=lambda rule: rule.endpoint in endpoints, names=("iso-a-member",)
    )
    text = "\n".join(violations)
    item_id = world.items["zxbdraft"][1]
    assert f"GET /admin/o/iso-b/items/{item_id} as iso-a-member: shows zxbdraft" in text, text
    assert re.search(r"/admin/o/iso-c/catalogue/versions/2 as iso-a-member: shows .*zxccatdr", text)
    assert re.search(r"/admin/o/iso-b/members as iso-a-member: shows zxbinvnt", text), text
    assert "status 200 (expected 403/404)" in text


def test_the_suite_fails_when_the_visibility_rule_is_removed(app, world, monkeypatch):
    from sqlalchemy import true

    from core.items import visibility

    monkeypatch.setattr(visibility, "scope_condition", lambda viewer: true())
    violations, _count = check(
        app, world, only=lambda rule: rule.endpoint == "portal.item", names=(iw.ANONYMOUS,)
    )
    text = "\n".join(violations)
    unit_item, party_item = world.items["zxbunitp"][1], world.items["zxcparty"][1]
    assert re.search(rf"/o/iso-b/items/{unit_item} as anonymous: shows .*zxbunitp", text), text
    assert re.search(rf"/o/iso-c/items/{party_item} as anonymous: shows .*zxcparty", text), text


def test_the_markers_are_on_the_pages_for_those_who_may_see_them(app, world):
    """The positive control: iso-b's staff and its superior's reviewer find the markers on the
    pages the suite requests (so "no marker shown" means refused, not absent)."""
    staff, superior = iw.readers(app, ["iso-b-staff", iw.SUP_REVIEWER])
    item = {m: item_id for m, (_code, item_id) in world.items.items()}
    expected = {
        f"/admin/o/iso-b/items/{item['zxbdraft']}": {"zxbdraft", "zxbdrfat"},
        f"/admin/o/iso-b/items/{item['zxbnotic']}": {"zxbnotic", "zxbobjec"},
        f"/admin/o/iso-b/items/{item['zxbwithh']}": {"zxbwithh", "zxbreasn"},
        "/admin/o/iso-b/items": {"zxbdraft", "zxbpropo", "zxbsched"},
        "/admin/o/iso-b/register": {"zxbpubli", "zxbwithh"},
        "/admin/o/iso-b/members": {"zxbinvnt"},
        "/admin/o/iso-b/catalogue/versions/2": {"zxbcatdr", "zxbentdr"},
        "/api/v1/orgs/iso-b/register": {"zxbpubli"},
        **{
            f"/admin/o/iso-b/questionnaires/{q['questionnaire_id']}": {
                q["marker"],
                *{"zxbqnopn": {"zxbqnopt"}, "zxbqnpub": {"zxbqnpbt"}}.get(q["marker"], ()),
            }
            for q in world.extra["questionnaires"]
            if q["org_code"] == iw.B
        },
        "/admin/o/iso-b/questionnaires": {"zxbqndrf", "zxbqnopn", "zxbqnpub"},
    }
    for path, markers in expected.items():
        response = staff.client.get(path)
        assert response.status_code == 200, path
        assert markers <= iw.markers(response.get_data(as_text=True)), path
    decide = superior.client.get(f"/admin/o/iso-b/items/{item['zxbamdor']}/decide")
    assert decide.status_code == 200
    assert {"zxbamdnw", "zxbamdex"} <= iw.markers(decide.get_data(as_text=True))
