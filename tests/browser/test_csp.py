"""The Content-Security-Policy in a real browser: representative pages, read by an anonymous
visitor and by signed-in staff in headless Chromium, raise no CSP violation (no inline style
attribute, no inline script, no ``javascript:`` URL, nothing from another origin).

An init script records every ``securitypolicyviolation`` event into ``window.__csp`` before the
page's own content runs; the console is watched for messages about the Content-Security-Policy
or the Permissions-Policy (an unknown feature is only a warning) as well, and, through the
``pages`` fixture, for any error at all."""

from __future__ import annotations

import pytest

from tests.browser.conftest import PASSWORD

pytestmark = pytest.mark.browser

RECORD = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"} ` +
                    `at ${e.sourceFile || ""}:${e.lineNumber || 0} (${e.sample || ""})`);
});
"""

# Console messages (errors or warnings) about the policies the application sends.
POLICY_WORDS = ("Content Security Policy", "Content-Security-Policy", "Permissions-Policy")

ANONYMOUS_PAGES = [
    ("platform home", "/"),
    ("county portal", "/o/it-county/"),
    ("unit portal", "/o/it-unit/"),
    ("unit portal in Uyghur", "/o/it-unit/?lang=ug"),
    ("catalogue", "/o/it-unit/catalogue"),
    ("item page", "/o/it-unit/items/{dues}"),
    ("notice with the objection form", "/o/it-unit/items/{notice}"),
    ("search", "/o/it-unit/search?q=%E5%85%9A%E8%B4%B9"),
    ("search with an error", "/o/it-unit/search?q=x&from=not-a-date"),
    ("sign-in", "/auth/login"),
    ("error page", "/o/it-unit/no-such-page"),
    ("missing item", "/o/it-unit/items/999999"),
]
ADMIN_PAGES = [
    ("console items list", "/admin/o/it-unit/items"),
    ("console item detail", "/admin/o/it-unit/items/{notice}"),
    ("console item form", "/admin/o/it-unit/items/new"),
    ("console item amendment", "/admin/o/it-unit/items/{dues}/amend"),
    ("catalogue console", "/admin/o/it-unit/catalogue"),
    ("catalogue version", "/admin/o/it-unit/catalogue/versions/1"),
    ("catalogue schedule", "/admin/o/it-unit/catalogue/schedule"),
    ("parameters", "/admin/o/it-unit/parameters"),
    ("register", "/admin/o/it-unit/register"),
    ("timeliness", "/admin/o/it-unit/timeliness"),
    ("members", "/admin/o/it-unit/members"),
    ("sign-out confirmation", "/auth/logout"),
    ("refused page", "/admin/o/it-sibling/items"),
]
COUNTY_ADMIN_PAGES = [
    ("catalogue template", "/admin/o/it-county/catalogue/template"),
    ("superior's inbox", "/admin/o/it-county/items/inbox"),
    ("filings", "/admin/o/it-county/items/filings"),
]


def violations(page, url: str) -> list[str]:
    response = page.goto(url)
    assert response is not None, url
    page.wait_for_load_state("load")
    return [f"{url}: {v}" for v in page.evaluate("window.__csp || []")]


def visit(pages, page, listing, ids, *, messages: list[str]) -> list[str]:
    found = []
    page.on(
        "console",
        lambda msg: (
            messages.append(f"{page.url}: {msg.text}")
            if any(word in msg.text for word in POLICY_WORDS)
            else None
        ),
    )
    for _name, url in listing:
        url = url.format(**ids)
        found += violations(page, url)
        # an error page is meant: Chromium logs its status as a console error
        pages.errors[:] = [
            e
            for e in pages.errors
            if not (url in e and "the server responded with a status of 4" in e)
        ]
    return found


@pytest.fixture
def recording(pages):
    """``recording(context_options)``: a new page whose CSP violations are recorded."""

    def open_page(page=None):
        if page is None:
            page = pages.new_context().new_page()
        page.context.add_init_script(RECORD)
        return page

    return open_page


def test_pages_satisfy_the_content_security_policy(pages, recording, sign_in, live_server):
    ids = live_server.ids
    messages: list[str] = []
    found = visit(pages, recording(), ANONYMOUS_PAGES, ids, messages=messages)
    found += visit(pages, recording(sign_in("it-admin")), ADMIN_PAGES, ids, messages=messages)
    county = recording(sign_in("it-county-admin"))
    found += visit(pages, county, COUNTY_ADMIN_PAGES, ids, messages=messages)
    assert not found and not messages, "\n".join(found + messages)


def test_platform_and_invitation_pages_satisfy_the_content_security_policy(
    pages, recording, sign_in, live_server
):
    from core import db
    from tenants import operations

    with live_server.app.app_context():
        if operations.get_user("csp-platform-admin") is None:
            operations.create_user("csp-platform-admin", password=PASSWORD, platform_admin=True)
        unit = operations.get_org("it-unit")
        admin = operations.get_user("it-admin")
        _invitation, token = operations.create_invitation(unit, "member", actor=admin)
        db.session.commit()
    messages: list[str] = []
    found = visit(
        pages, recording(), [("invitation", f"/auth/invitations/{token}")], {}, messages=messages
    )
    platform = [
        ("sign-in providers", "/admin/platform/sso/"),
        ("new sign-in provider", "/admin/platform/sso/new"),
    ]
    found += visit(pages, recording(sign_in("csp-platform-admin")), platform, {}, messages=messages)
    assert not found and not messages, "\n".join(found + messages)


def test_the_recorder_sees_a_violation(pages, recording, live_server):
    """The check can fail: an inline style attribute added to a page is reported."""
    page = recording()
    page.goto("/o/it-unit/")
    page.evaluate("document.body.insertAdjacentHTML('beforeend', '<p style=\"color: red\">x</p>')")
    page.wait_for_function("window.__csp.length > 0")
    recorded = page.evaluate("window.__csp")
    assert any("style-src" in v for v in recorded), recorded
    pages.errors.clear()  # the console message of this deliberate violation


@pytest.mark.rule("IAM-1")
def test_signing_out_reaches_the_portals_end_session_page(pages, recording, live_server, tmp_path):
    """The sign-out form posts to us; the policy's form-action would block a redirect from that
    POST to the portal, so a page of ours sends the browser on, with no violation."""
    from core import db
    from core.sso import operations as sso
    from tests.oidc import OidcProvider

    portal = OidcProvider(tmp_path / "oidc").start()
    try:
        with live_server.app.app_context():
            sso.create_provider(
                "csp-portal", issuer=portal.issuer, client_id="gongkai", client_secret="s3cret"
            )
            db.session.commit()
        portal.set_user("csp-sam", name="Sam")
        page = recording()
        page.goto("/auth/sso/csp-portal")
        page.fill("input[name=sub]", "csp-sam")
        page.click("button[type=submit]")
        page.wait_for_selector(".signed-in")
        page.click("form[action='/auth/logout'] button")
        page.wait_for_url(f"{portal.issuer}/**")
        assert "/oauth2/end_session" in page.url
        assert page.evaluate("window.__csp || []") == []
    finally:
        portal.stop()
        # the provider's own pages ask a CDN for their CSS (unreachable here): not our errors
        pages.errors[:] = [e for e in pages.errors if not e.startswith(portal.issuer)]
        with live_server.app.app_context():
            row = sso.get_provider("csp-portal")
            if row is not None:
                sso.remove_provider(row)
                db.session.commit()
