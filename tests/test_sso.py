"""Sign-in through a government portal, end to end against a real OIDC provider process.

``tests/oidc.py`` starts ``oidc-provider-mock`` on loopback; the Flask test client plays the
browser on our side and ``requests`` plays it at the portal (posting ``sub=<name>`` to its
authorization URL). The mock does not enforce PKCE, so the tests check what our client sends.
"""

from __future__ import annotations

import base64
import hashlib
import html as html_module
import json
import os
import re
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import parse_qsl, urlencode

import pytest
import requests
from cryptography.fernet import Fernet
from flask import redirect, request
from sqlalchemy import func, select, text

from core import db
from core.audit import AuditEntry
from core.cli import main
from core.params import operations as params
from core.plugins.testing import csrf_token
from core.sso import crypto, providers
from core.sso import operations as sso
from core.sso.models import Identity, SsoProvider
from core.toolkit import SigninError, SigninProvider, hookimpl
from tenants import operations as tenants
from tenants.models import Membership, User
from tests.oidc import OidcProvider, local_path, query
from tests.services import free_port

SECRET = "s3cret-client-value"


@pytest.fixture
def app_settings(app_settings):
    """The provider processes run on loopback: the operator's allow-list names it."""
    return {**app_settings, "outbound_allow": "127.0.0.1"}


@pytest.fixture(scope="session")
def portal(tmp_path_factory):
    """The OIDC provider process shared by the tests of this module."""
    server = OidcProvider(tmp_path_factory.mktemp("oidc")).start()
    yield server
    server.stop()


@pytest.fixture
def w(app, make_org, portal, client):
    """A county with a branch, another county, and the county's portal as provider."""
    county = make_org("sso-county", type_code="county_committee")
    branch = make_org("sso-branch", parent=county)
    branch2 = make_org("sso-branch2", parent=county)
    other = make_org("sso-other", type_code="county_committee")
    other_branch = make_org("sso-other-branch", parent=other)
    sso.create_provider(
        "portal", root=county, issuer=portal.issuer, client_id="gongkai-test",
        client_secret=SECRET, org_claim="org_code",
        labels={"zh_Hans_CN": "县政务网", "en": "County portal"},
    )  # fmt: skip
    db.session.commit()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    providers._discovery.clear()  # each test reads the discovery documents afresh
    return SimpleNamespace(
        county=county, branch=branch, branch2=branch2, other=other, other_branch=other_branch,
        portal=portal, client=client,
    )  # fmt: skip


def begin(client, name: str = "portal", **args) -> str:
    """Start a sign-in at our site; the portal's authorization URL it redirects to."""
    response = client.get(f"/auth/sso/{name}", query_string=args)
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"]


def sign_in(w, sub: str, **args):
    """The whole round trip; the answer of our callback."""
    back = w.portal.login(begin(w.client, **args), sub)
    return w.client.get(local_path(back))


def counts() -> tuple[int, int, int]:
    db.session.expire_all()
    return tuple(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (User, Identity, Membership)
    )


def reason(response) -> str | None:
    match = re.search(r'data-reason="(\w+)"', response.get_data(as_text=True))
    return match.group(1) if match else None


def signed_in_as(client) -> str | None:
    with client.session_transaction() as session:
        user_id = session.get("_user_id")
    return db.session.get(User, int(user_id)).username if user_id else None


def audit_actions() -> list[str]:
    return [e.action for e in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))]


# --- the flow ----------------------------------------------------------------------------------


@pytest.mark.rule("IAM-1")
@pytest.mark.rule("IAM-2")
def test_first_sign_in_creates_the_user_the_identity_and_the_claimed_membership(w):
    w.portal.set_user(
        "alice", name="李爱丽", email="alice@example.org", org_code="sso-branch",
        realname_level=3, account_type="person", phone_number="13800000000",
    )  # fmt: skip
    authorize = begin(w.client, next="/o/sso-branch/")
    asked = query(authorize)
    assert authorize.startswith(w.portal.issuer + "/oauth2/authorize?")
    assert asked["code_challenge_method"] == "S256"
    assert len(asked["code_challenge"]) == 43  # base64url of a SHA-256 digest
    assert asked["state"] and asked["nonce"]
    assert asked["redirect_uri"] == "http://localhost/auth/callback/portal"
    assert "openid" in asked["scope"].split()
    assert asked["client_id"] == "gongkai-test"

    response = w.client.get(local_path(w.portal.login(authorize, "alice")))
    assert response.status_code == 302
    assert response.headers["Location"] == "/o/sso-branch/"
    page = w.client.get("/o/sso-branch/").get_data(as_text=True)
    assert "李爱丽" in page

    identity = db.session.scalars(select(Identity)).one()
    user = db.session.get(User, identity.user_id)
    assert (identity.issuer, identity.subject) == (w.portal.issuer, "alice")
    assert identity.realname_level == 3 and identity.account_type == "person"
    assert user.username.startswith("portal-") and "alice" not in user.username
    assert user.display_name == "李爱丽" and user.email == "alice@example.org"
    assert user.password_hash is None
    assert "phone_number" not in identity.claims  # only the configured claims are kept
    assert identity.claims["org_code"] == "sso-branch"
    roles = [(m.organisation.code, m.role) for m in tenants.memberships_of(user)]
    assert roles == [("sso-branch", "member")]
    assert sso.realname_level(user) == 3
    login = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "auth.login")).one()
    assert login.changes == {"method": [None, "oidc"], "provider": [None, "portal"]}
    assert {"user.create", "sso.identity.create", "membership.grant"} <= set(audit_actions())


@pytest.fixture
def conformant(tmp_path):
    """panva's oidc-provider, which releases the scope claims at UserInfo only (Core 5.4)."""
    from tests.oidc import ConformantOidcProvider, node_provider_installed
    from tests.services import unavailable

    if not node_provider_installed():
        unavailable("node and npm are needed for the conformant OIDC provider")
    server = ConformantOidcProvider(
        tmp_path / "node-oidc",
        users={"zhao": {"name": "赵敏", "email": "zhao@example.org", "org_code": "sso-branch",
                        "realname_level": 3, "account_type": "person"}},
        client_id="gongkai-conformant", client_secret=SECRET,
        redirect_uri="http://localhost/auth/callback/conformant",
    ).start()  # fmt: skip
    yield server
    server.stop()


@pytest.mark.rule("IAM-2")
def test_claims_released_at_userinfo_are_read(w, conformant):
    """Against a provider that follows OpenID Connect Core for the code flow, the organisation
    claim, the real-name level, the account type, the name and the e-mail come from UserInfo."""
    sso.create_provider(
        "conformant", root=w.county, issuer=conformant.issuer, client_id="gongkai-conformant",
        client_secret=SECRET, org_claim="org_code", scopes="openid profile email org",
    )  # fmt: skip
    db.session.commit()
    authorize = begin(w.client, "conformant", next="/o/sso-branch/")
    assert query(authorize)["scope"] == "openid profile email org"
    response = w.client.get(local_path(conformant.login(authorize, "zhao")))
    assert response.status_code == 302, response.get_data(as_text=True)
    identity = db.session.scalars(select(Identity)).one()
    user = db.session.get(User, identity.user_id)
    assert (identity.subject, identity.realname_level, identity.account_type) == (
        "zhao",
        3,
        "person",
    )
    assert user.display_name == "赵敏" and user.email == "zhao@example.org"
    roles = [(m.organisation.code, m.role) for m in tenants.memberships_of(user)]
    assert roles == [("sso-branch", "member")]


def test_a_userinfo_answer_about_another_subject_is_refused():
    """UserInfo must be about the ID token's subject (Core 5.3.2), else nothing is signed in."""

    class Answer:
        def raise_for_status(self):
            pass

        def json(self):
            return {"sub": "mallory", "org_code": "sso-branch"}

    class Client:
        server_metadata = {"userinfo_endpoint": "https://portal.example/userinfo"}

        def get(self, url, token):
            return Answer()

    row = SsoProvider(name="p", issuer="https://portal.example", client_id="c",
                      org_claim="org_code", claim_map={})  # fmt: skip
    with pytest.raises(SigninError) as refused:
        providers.OidcProvider(row)._with_userinfo(Client(), {}, {"sub": "alice", "iss": "x"})
    assert refused.value.reason == "token" and "mallory" in refused.value.detail


@pytest.mark.rule("IAM-2")
def test_a_returning_person_is_the_same_user_with_refreshed_claims(w):
    w.portal.set_user("bob", name="Bob", org_code="sso-branch", realname_level=2)
    assert sign_in(w, "bob").status_code == 302
    user_id = db.session.scalars(select(Identity.user_id)).one()
    # an admin grants a staff role; the portal later names another unit and a higher level
    tenants.grant_membership(db.session.get(User, user_id), w.branch, "editor")
    db.session.commit()
    w.client.post("/auth/logout", data={"csrf_token": csrf_token(w.client, "/auth/logout")})
    w.portal.set_user("bob", name="Bob Smith", org_code="sso-branch2", realname_level=4)
    assert sign_in(w, "bob").status_code == 302

    identity = db.session.scalars(select(Identity)).one()
    assert identity.user_id == user_id
    assert identity.realname_level == 4
    assert db.session.get(User, user_id).display_name == "Bob Smith"
    assert db.session.scalar(select(func.count()).select_from(User)) == 1
    roles = {(m.organisation.code, m.role) for m in tenants.memberships_of(identity_user(user_id))}
    # the claimed unit is added; nothing granted before is revoked
    assert roles == {("sso-branch", "member"), ("sso-branch", "editor"), ("sso-branch2", "member")}
    assert signed_in_as(w.client) == identity_user(user_id).username


def identity_user(user_id: int) -> User:
    return db.session.get(User, user_id)


@pytest.mark.rule("IAM-2")
def test_identities_are_keyed_by_subject_never_by_email_phone_or_name(w):
    same = {"name": "王芳", "email": "same@example.org", "phone_number": "13900000000"}
    w.portal.set_user("wang-1", **same)
    w.portal.set_user("wang-2", **same)
    assert sign_in(w, "wang-1").status_code == 302
    w.client.post("/auth/logout", data={"csrf_token": csrf_token(w.client, "/auth/logout")})
    assert sign_in(w, "wang-2").status_code == 302
    identities = db.session.scalars(select(Identity).order_by(Identity.id)).all()
    assert [i.subject for i in identities] == ["wang-1", "wang-2"]
    assert identities[0].user_id != identities[1].user_id


@pytest.mark.rule("IAM-2")
def test_the_same_subject_from_two_issuers_is_two_people(w, tmp_path):
    """Two portals (two provider processes, two issuers) each call their person ``zhang``."""
    second = OidcProvider(tmp_path / "second").start()
    try:
        sso.create_provider(
            "portal-b", root=w.county, issuer=second.issuer, client_id="gongkai-test-b",
            client_secret=SECRET, org_claim="org_code", labels={"en": "Second portal"},
        )  # fmt: skip
        db.session.commit()
        assert second.issuer != w.portal.issuer
        w.portal.set_user("zhang", name="张伟（县政务网）", org_code="sso-branch")
        second.set_user("zhang", name="张伟（第二门户）", org_code="sso-branch2")
        assert sign_in(w, "zhang").status_code == 302
        first_user = signed_in_as(w.client)
        w.client.post("/auth/logout", data={"csrf_token": csrf_token(w.client, "/auth/logout")})
        back = second.login(begin(w.client, "portal-b"), "zhang")
        assert w.client.get(local_path(back)).status_code == 302
        second_user = signed_in_as(w.client)

        assert first_user and second_user and first_user != second_user
        identities = db.session.scalars(select(Identity).order_by(Identity.id)).all()
        assert [(i.issuer, i.subject) for i in identities] == [
            (w.portal.issuer, "zhang"),
            (second.issuer, "zhang"),
        ]
        assert counts() == (2, 2, 2)
        people = {u.username: u for u in db.session.scalars(select(User))}
        assert people[first_user].display_name == "张伟（县政务网）"
        assert people[second_user].display_name == "张伟（第二门户）"
        assert [m.organisation.code for m in tenants.memberships_of(people[second_user])] == [
            "sso-branch2"
        ]
        # each portal's person comes back as themselves
        w.client.post("/auth/logout", data={"csrf_token": csrf_token(w.client, "/auth/logout")})
        assert sign_in(w, "zhang").status_code == 302
        assert signed_in_as(w.client) == first_user
        assert counts() == (2, 2, 2)
    finally:
        second.stop()


@pytest.mark.rule("IAM-2")
def test_an_organisation_claim_outside_the_providers_county_grants_nothing(w):
    w.portal.set_user("carol", name="Carol", org_code="sso-other-branch")
    assert sign_in(w, "carol").status_code == 302
    assert counts() == (1, 1, 0)
    w.portal.set_user("dave", name="Dave", org_code=["no-such-unit", "sso-branch"])
    w.client.post("/auth/logout", data={"csrf_token": csrf_token(w.client, "/auth/logout")})
    assert sign_in(w, "dave").status_code == 302
    codes = [m.organisation.code for m in db.session.scalars(select(Membership))]
    assert codes == ["sso-branch"]


def test_next_stays_on_the_site(w):
    w.portal.set_user("erin", name="Erin")
    response = sign_in(w, "erin", next="https://evil.example/")
    assert response.headers["Location"] == "/"


# --- refusals: nothing is half-created ----------------------------------------------------------


@pytest.mark.rule("IAM-1")
def test_a_tampered_state_is_refused(w):
    w.portal.set_user("mallory", name="Mallory", org_code="sso-branch")
    back = w.portal.login(begin(w.client), "mallory")
    args = query(back)
    args["state"] = args["state"][:-2] + "xx"
    response = w.client.get("/auth/callback/portal?" + urlencode(args))
    assert response.status_code == 400
    assert reason(response) == "state"
    assert "does not belong to a sign-in started from this browser" in response.get_data(
        as_text=True
    )
    assert counts() == (0, 0, 0)
    assert signed_in_as(w.client) is None
    assert "auth.sso_failed" in audit_actions()


@pytest.mark.rule("IAM-1")
def test_a_wrong_nonce_is_refused(w):
    w.portal.set_user("nina", name="Nina", org_code="sso-branch")
    back = w.portal.login(begin(w.client), "nina")
    with w.client.session_transaction() as session:
        key = next(k for k in session if k.startswith("_state_"))
        stored = dict(session[key])
        stored["data"] = {**stored["data"], "nonce": "not-the-nonce-we-sent"}
        session[key] = stored
    response = w.client.get(local_path(back))
    assert response.status_code == 400
    assert reason(response) == "nonce"
    assert counts() == (0, 0, 0)
    assert signed_in_as(w.client) is None


@pytest.mark.rule("IAM-1")
def test_a_replayed_code_is_refused(w):
    w.portal.set_user("rita", name="Rita")
    back = w.portal.login(begin(w.client), "rita")
    assert w.client.get(local_path(back)).status_code == 302
    assert counts() == (1, 1, 0)
    # the same answer again: its state was used up
    again = w.client.get(local_path(back))
    assert again.status_code == 400 and reason(again) == "state"
    # the used code inside a fresh sign-in: the portal refuses it (invalid_grant)
    fresh = query(begin(w.client))
    replay = {"code": query(back)["code"], "state": fresh["state"]}
    response = w.client.get("/auth/callback/portal?" + urlencode(replay))
    assert response.status_code == 400
    assert reason(response) == "code"
    assert counts() == (1, 1, 0)


@pytest.mark.rule("IAM-1")
def test_an_expired_id_token_is_refused(w, monkeypatch):
    w.portal.set_user("otto", name="Otto", org_code="sso-branch")
    back = w.portal.login(begin(w.client), "otto")
    real = providers.clock
    monkeypatch.setattr(providers, "clock", lambda: real() + 2 * 3600)  # the token lasts 1 h
    response = w.client.get(local_path(back))
    assert response.status_code == 400
    assert reason(response) == "expired"
    assert counts() == (0, 0, 0)


def test_declining_at_the_portal_ends_on_a_clear_page(w):
    response = w.client.get(local_path(w.portal.deny(begin(w.client))))
    assert response.status_code == 403
    assert reason(response) == "denied"
    assert "You did not allow the portal to sign you in here." in response.get_data(as_text=True)
    assert counts() == (0, 0, 0)


def test_an_unreachable_portal_gives_a_502_page(w):
    sso.create_provider(
        "gone", issuer=f"http://127.0.0.1:{free_port()}", client_id="x", client_secret="y"
    )
    db.session.commit()
    response = w.client.get("/auth/sso/gone")
    assert response.status_code == 502
    assert reason(response) == "unreachable"
    assert "does not answer at the moment" in response.get_data(as_text=True)


def test_a_portal_that_goes_down_before_the_token_request_gives_a_502_page(w, tmp_path):
    second = OidcProvider(tmp_path).start()
    try:
        sso.create_provider("flaky", issuer=second.issuer, client_id="x", client_secret="y")
        db.session.commit()
        back = second.login(begin(w.client, "flaky"), "paul")
    finally:
        second.stop()
    response = w.client.get(local_path(back))
    assert response.status_code == 502
    assert reason(response) == "unreachable"
    assert counts() == (0, 0, 0)


def test_unknown_and_disabled_providers_are_404(w):
    assert reason(w.client.get("/auth/sso/nope")) == "unknown"
    assert w.client.get("/auth/sso/nope").status_code == 404
    sso.update_provider(sso.get_provider("portal"), {"enabled": False})
    db.session.commit()
    assert w.client.get("/auth/sso/portal").status_code == 404
    assert w.client.get("/auth/callback/portal?code=x&state=y").status_code == 404


def test_a_discovery_document_naming_another_issuer_is_refused(w):
    """A portal whose discovery document names another issuer is not trusted."""

    class Discovery(BaseHTTPRequestHandler):
        def do_GET(self):
            body = json.dumps({"issuer": "https://elsewhere.example",
                               "authorization_endpoint": "https://elsewhere.example/a",
                               "token_endpoint": "https://elsewhere.example/t",
                               "jwks_uri": "https://elsewhere.example/k"}).encode()  # fmt: skip
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Discovery)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        issuer = f"http://127.0.0.1:{server.server_port}"
        sso.create_provider("alias", issuer=issuer, client_id="x", client_secret="y")
        db.session.commit()
        response = w.client.get("/auth/sso/alias")
    finally:
        server.shutdown()
        thread.join()
    assert response.status_code == 502
    assert reason(response) == "config"
    assert "not configured correctly" in response.get_data(as_text=True)


# --- PKCE, secrets, sign-out ------------------------------------------------------------------


@pytest.mark.rule("IAM-1")
def test_pkce_the_verifier_sent_for_the_token_matches_the_s256_challenge(w, monkeypatch):
    token_requests: list[dict[str, str]] = []

    def capture(session):
        def record(response):
            token_requests.append(dict(parse_qsl(response.request.body)))
            return response

        session.register_compliance_hook("access_token_response", record)

    monkeypatch.setattr(providers.OidcProvider, "compliance_fix", staticmethod(capture))
    w.portal.set_user("pia", name="Pia")
    authorize = begin(w.client)
    assert w.client.get(local_path(w.portal.login(authorize, "pia"))).status_code == 302
    [sent] = token_requests
    verifier = sent["code_verifier"]
    assert 43 <= len(verifier) <= 128
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
    assert challenge == query(authorize)["code_challenge"]
    assert sent["grant_type"] == "authorization_code"
    assert sent["redirect_uri"] == "http://localhost/auth/callback/portal"


def test_the_client_secret_is_encrypted_at_rest(w, app):
    stored = db.session.execute(
        text("SELECT secret_encrypted FROM sso_providers WHERE name = 'portal'")
    ).scalar_one()
    assert SECRET not in stored
    assert crypto.decrypt(stored) == SECRET
    # an explicit key: new secrets are encrypted with it, the old ones still open
    key = Fernet.generate_key().decode()
    app.config["GONGKAI_ENCRYPTION_KEY"] = key
    assert crypto.decrypt(stored) == SECRET
    sso.update_provider(sso.get_provider("portal"), {}, client_secret="rotated-secret")
    db.session.commit()
    rotated = sso.get_provider("portal").secret_encrypted
    assert Fernet(key.encode()).decrypt(rotated.encode()).decode() == "rotated-secret"
    # the key lost: a clear refusal, not a crash
    del app.config["GONGKAI_ENCRYPTION_KEY"]
    with pytest.raises(crypto.SecretUnreadable, match="cannot be decrypted"):
        crypto.decrypt(rotated)
    response = w.client.get("/auth/sso/portal")
    assert response.status_code == 503
    assert reason(response) == "secret"
    listed = app.test_cli_runner().invoke(main, ["sso", "list"])
    assert "portal\toidc\tcounty sso-county\tenabled" in listed.output
    assert "SECRET UNREADABLE" in listed.output
    app.config["GONGKAI_ENCRYPTION_KEY"] = "not a key"
    with pytest.raises(crypto.BadEncryptionKey, match="not a valid Fernet key"):
        crypto.decrypt(rotated)


def test_signing_out_ends_the_portals_session_too(w):
    w.portal.set_user("sam", name="Sam")
    assert sign_in(w, "sam").status_code == 302
    response = w.client.post(
        "/auth/logout", data={"csrf_token": csrf_token(w.client, "/auth/logout")}
    )
    # a page of ours sends the browser on (CSP form-action covers redirects after a POST)
    assert response.status_code == 303
    assert response.headers["Location"] == "/auth/logout/portal"
    page = w.client.get("/auth/logout/portal", headers={"Accept-Language": "en"})
    html = page.get_data(as_text=True)
    target = html_module.unescape(re.search(r'url=([^"]+)"', html).group(1))
    assert f'href="{html_module.escape(target)}"' in html  # a link for browsers without refresh
    assert w.client.get("/auth/logout/portal").status_code == 302  # used once
    assert target.startswith(w.portal.issuer + "/oauth2/end_session?")
    args = query(target)
    assert args["post_logout_redirect_uri"] == "http://localhost/"
    assert args["id_token_hint"].count(".") == 2  # the ID token we were given
    assert signed_in_as(w.client) is None
    assert requests.get(target, timeout=5).status_code == 200  # the portal's sign-out page
    logout = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "auth.logout"))
    assert logout.one().changes == {"provider": [None, "portal"]}


# --- parameters: real-name level --------------------------------------------------------------


@pytest.mark.rule("IAM-2")
def test_a_unit_may_require_a_minimum_real_name_level(w):
    params.set_value(w.branch, "request.min_realname_level", 3)
    db.session.commit()
    w.portal.set_user("lev", name="Lev", realname_level="2")
    assert sign_in(w, "lev").status_code == 302
    user = db.session.get(User, db.session.scalars(select(Identity.user_id)).one())
    assert sso.realname_level(user) == 2
    assert not sso.meets_realname_level(user, w.branch)  # requires 3
    assert sso.meets_realname_level(user, w.branch2)  # requires nothing
    assert not sso.meets_realname_level(None, w.branch)
    assert sso.meets_realname_level(None, w.branch2)
    params.set_value(w.branch, "request.min_realname_level", 2)
    db.session.commit()
    assert sso.meets_realname_level(user, w.branch)


# --- the command line ---------------------------------------------------------------------------


@pytest.mark.rule("IAM-1")
def test_cli_add_set_list_disable_remove(w, app):
    runner = app.test_cli_runner()
    added = runner.invoke(main, [
        "sso", "add", "hj-portal", "--root", "sso-other", "--issuer", w.portal.issuer + "/",
        "--client-id", "hj", "--client-secret", "cli-secret-value", "--org-claim", "unit",
        "--claim", "display_name=nickname", "--claim", "realname_level=level",
        "--label", "红江政务网", "--label", "en=Hongjiang portal",
    ])  # fmt: skip
    assert added.exit_code == 0, added.output
    row = sso.get_provider("hj-portal")
    assert row.root_id == w.other.id and row.issuer == w.portal.issuer
    assert row.claim("display_name") == "nickname" and row.claim("email") == "email"
    assert row.labels == {"zh_Hans_CN": "红江政务网", "en": "Hongjiang portal"}
    assert crypto.decrypt(row.secret_encrypted) == "cli-secret-value"

    listed = runner.invoke(main, ["sso", "list"])
    assert listed.exit_code == 0
    assert "hj-portal\toidc\tcounty sso-other\tenabled" in listed.output
    assert "portal\toidc\tcounty sso-county" in listed.output
    assert "cli-secret-value" not in listed.output and SECRET not in listed.output
    assert "secret stored" in listed.output

    assert runner.invoke(main, ["sso", "set", "hj-portal", "--platform", "--scopes",
                                "openid profile"]).exit_code == 0  # fmt: skip
    db.session.expire_all()
    row = sso.get_provider("hj-portal")
    assert row.root_id is None and row.scopes == "openid profile"
    assert runner.invoke(main, ["sso", "disable", "hj-portal"]).exit_code == 0
    db.session.expire_all()
    assert sso.get_provider("hj-portal").enabled is False
    assert runner.invoke(main, ["sso", "remove", "hj-portal", "--yes"]).exit_code == 0
    assert sso.get_provider("hj-portal") is None
    actions = audit_actions()
    assert {"sso.provider.create", "sso.provider.update", "sso.provider.remove"} <= set(actions)


def test_the_sso_commands_speak_chinese(w, app):
    """Issue 11: a refusal and a line of its own in the operator's language."""
    runner = app.test_cli_runner()
    zh = {"GONGKAI_CLI_LOCALE": "zh_Hans_CN"}
    refused = runner.invoke(main, ["sso", "set", "nope", "--disable"], env=zh)
    assert refused.exit_code == 2
    assert refused.stderr == "错误：没有名为“nope”的登录方式（见 gongkai sso list）。\n"
    both = runner.invoke(main, ["sso", "set", "portal", "--root", "sso-county", "--platform"],
                         env=zh)  # fmt: skip
    assert both.stderr == "错误：请指定 --root CODE 或 --platform，不能同时指定。\n"
    done = runner.invoke(main, ["sso", "disable", "portal"], env=zh)
    assert done.exit_code == 0, done.output
    assert done.output == "portal：已停用。\n"
    listed = runner.invoke(main, ["sso", "list"], env=zh)
    assert listed.output.endswith("登录方式：1 个。\n")


def test_cli_refusals_exit_2(w, app):
    runner = app.test_cli_runner()
    base = ["--issuer", w.portal.issuer, "--client-id", "a", "--client-secret", "b"]
    cases = [
        ["sso", "add", "x1", *base],  # neither --root nor --platform
        ["sso", "add", "x2", "--root", "sso-branch", *base],  # not a county
        ["sso", "add", "x3", "--root", "nowhere", *base],
        ["sso", "add", "portal", "--platform", *base],  # taken
        ["sso", "add", "Bad Name", "--platform", *base],
        ["sso", "add", "x4", "--platform", "--issuer", "http://portal.example.org",
         "--client-id", "a", "--client-secret", "b"],  # plain http beyond loopback
        ["sso", "add", "x5", "--platform", *base, "--scopes", "profile"],  # no openid
        ["sso", "add", "x6", "--platform", *base, "--claim", "phone=mobile"],
        ["sso", "set", "nope", "--disable"],
    ]  # fmt: skip
    for args in cases:
        result = runner.invoke(main, args)
        assert result.exit_code == 2, (args, result.output)
    assert [r.name for r in sso.list_providers()] == ["portal"]


def test_the_demo_provider_is_registered_and_its_people_get_their_units(w, app, make_org):
    kashgar = make_org("kashgar", type_code="county_committee")
    make_org("kashgar-kg3", parent=kashgar)
    runner = app.test_cli_runner()
    result = runner.invoke(main, ["sso", "demo", "--issuer", w.portal.issuer])
    assert result.exit_code == 0, result.output
    assert "demo-zhang-wei" in result.output
    row = sso.get_provider("demo-portal")
    assert row.root_id is None and row.org_claim == "org_code" and row.enabled
    assert runner.invoke(main, ["sso", "demo", "--issuer", w.portal.issuer]).exit_code == 0
    assert len(sso.list_providers()) == 2  # running it again changes nothing
    back = w.portal.login(begin(w.client, "demo-portal"), "demo-zhang-wei")
    assert w.client.get(local_path(back)).status_code == 302
    identity = db.session.scalars(select(Identity)).one()
    assert identity.realname_level == 3
    memberships = tenants.memberships_of(identity_user(identity.user_id))
    roles = [(m.organisation.code, m.role) for m in memberships]
    assert roles == [("kashgar-kg3", "member")]


def test_the_demo_portal_command_offers_the_demo_people(tmp_path):
    """`gongkai sso demo-portal` (run by `make demo-sso`) serves the demo people as buttons."""
    port = free_port()
    env = {**os.environ, "GONGKAI_INSTANCE_PATH": str(tmp_path)}
    gongkai = str(Path(sys.executable).with_name("gongkai"))
    log = open(tmp_path / "portal.log", "w")  # noqa: SIM115
    process = subprocess.Popen(
        [gongkai, "sso", "demo-portal", "--port", str(port)], env=env, stdout=log, stderr=log
    )
    try:
        issuer = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(issuer + "/.well-known/openid-configuration", timeout=1)
                break
            except requests.RequestException:
                assert process.poll() is None and time.monotonic() < deadline, (
                    tmp_path / "portal.log"
                ).read_text()
                time.sleep(0.1)
        form = requests.get(
            issuer + "/oauth2/authorize",
            params={"response_type": "code", "client_id": "gongkai-demo", "scope": "openid",
                    "redirect_uri": "http://127.0.0.1:5000/auth/callback/demo-portal",
                    "nonce": "n", "state": "s"},
            timeout=5,
        ).text  # fmt: skip
        assert 'value="demo-zhang-wei"' in form and 'value="demo-company"' in form
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


# --- the platform console -----------------------------------------------------------------------


@pytest.fixture
def people(w):
    tenants.create_user("root-admin", password="platform-pw", platform_admin=True)
    county_admin = tenants.create_user("county-admin", password="county-admin-pw")
    tenants.grant_membership(county_admin, w.county, "admin")
    db.session.commit()


def provider_form(**overrides) -> dict[str, str]:
    data = {
        "kind": "oidc", "root": "", "issuer": "https://portal.example.gov.cn",
        "client_id": "console-client", "client_secret": "console-secret",
        "scopes": "openid profile", "org_claim": "org_code",
        "claim_display_name": "name", "claim_email": "email",
        "claim_realname_level": "level", "claim_account_type": "account_type",
        "label_zh_Hans_CN": "省政务网", "label_en": "Province portal", "label_ug": "",
        "enabled": "y",
    }  # fmt: skip
    return {**data, **overrides}


@pytest.mark.rule("IAM-1")
def test_platform_admins_add_and_edit_providers_in_the_console(w, people, login):
    assert login("root-admin", "platform-pw").status_code == 302
    page = w.client.get("/admin/platform/sso/")
    assert page.status_code == 200
    assert "portal" in page.get_data(as_text=True) and SECRET not in page.get_data(as_text=True)
    token = csrf_token(w.client, "/admin/platform/sso/new")
    response = w.client.post(
        "/admin/platform/sso/new", data={**provider_form(name="province"), "csrf_token": token}
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    row = sso.get_provider("province")
    assert row.root_id is None and row.claim("realname_level") == "level"
    assert crypto.decrypt(row.secret_encrypted) == "console-secret"

    edit = w.client.get("/admin/platform/sso/province").get_data(as_text=True)
    assert "console-secret" not in edit  # the secret is write-only
    assert 'value="console-client"' in edit
    data = provider_form(root="sso-county", client_secret="", label_en="Province portal (new)")
    response = w.client.post("/admin/platform/sso/province", data={**data, "csrf_token": token})
    assert response.status_code == 302
    db.session.expire_all()
    row = sso.get_provider("province")
    assert row.root_id == w.county.id and row.labels["en"] == "Province portal (new)"
    assert crypto.decrypt(row.secret_encrypted) == "console-secret"  # empty field: kept
    # a bad value is refused with the form kept
    response = w.client.post(
        "/admin/platform/sso/province",
        data={**provider_form(root="sso-branch", issuer="ftp://x"), "csrf_token": token},
    )
    assert response.status_code == 400
    assert 'value="ftp://x"' in response.get_data(as_text=True)
    entries = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action.like("sso.provider.%")).order_by(AuditEntry.id)
    ).all()
    assert [(e.action, e.actor_label) for e in entries][-2:] == [
        ("sso.provider.create", "root-admin"),
        ("sso.provider.update", "root-admin"),
    ]
    assert all("console-secret" not in str(e.changes) for e in entries)


def test_other_users_may_not_use_the_platform_console(w, people, login):
    assert w.client.get("/admin/platform/sso/").status_code == 302  # to the sign-in page
    login("county-admin", "county-admin-pw")
    assert w.client.get("/admin/platform/sso/").status_code == 403
    assert w.client.get("/admin/platform/sso/portal").status_code == 403
    token = csrf_token(w.client, "/auth/logout")
    response = w.client.post(
        "/admin/platform/sso/new", data={**provider_form(name="sneaky"), "csrf_token": token}
    )
    assert response.status_code == 403
    assert sso.get_provider("sneaky") is None


# --- rate limit on the start of a sign-in ------------------------------------------------------


class TestRateLimit:
    @pytest.fixture
    def app_settings(self, app_settings):
        return {**app_settings, "config": {"RATELIMIT_ENABLED": True}}

    def test_starting_sign_ins_is_rate_limited_per_address(self, w):
        for _ in range(10):
            assert w.client.get("/auth/sso/portal").status_code == 302
        assert w.client.get("/auth/sso/portal").status_code == 429
        other = w.client.get("/auth/sso/portal", environ_base={"REMOTE_ADDR": "10.0.0.9"})
        assert other.status_code == 302

    def test_callbacks_are_rate_limited_per_address(self, w):
        for _ in range(20):
            assert w.client.get("/auth/callback/portal?code=x&state=y").status_code == 400
        assert w.client.get("/auth/callback/portal?code=x&state=y").status_code == 429


# --- a plugin's kind: the signin_provider_kinds hook --------------------------------------------


class TicketSignin(SigninProvider):
    """A CAS-style ticket portal: it sends the browser back with ``?ticket=ST-...``."""

    kind = "ticket"

    def start(self, next_url):
        return redirect(f"{self.config.issuer}/login?service={self.callback_url}")

    def finish(self):
        ticket = request.args.get("ticket", "")
        # A real plugin validates the ticket at the portal ({issuer}/serviceValidate) and
        # reads the subject and attributes from its answer; this test portal's tickets are
        # "ST-<subject>".
        if not ticket.startswith("ST-"):
            raise SigninError("token", f"not a service ticket: {ticket!r}")
        return {"iss": self.config.issuer, "sub": ticket[3:], "name": ticket[3:].title()}


class TicketPlugin:
    @hookimpl
    def signin_provider_kinds(self):
        return {"ticket": TicketSignin}


@pytest.mark.rule("IAM-1")
def test_hook_signin_provider_kinds(w, with_plugins):
    assert "ticket" not in providers.kinds()
    with_plugins(ticket=TicketPlugin())
    assert providers.kinds() == {"oidc": providers.OidcProvider, "ticket": TicketSignin}
    sso.create_provider(
        "cas", kind="ticket", root=w.county, issuer="https://cas.example.gov.cn",
        client_id="gongkai", client_secret="unused", labels={"en": "Ticket portal"},
    )  # fmt: skip
    db.session.commit()
    login_page = w.client.get("/auth/login?org=sso-county").get_data(as_text=True)
    assert "Ticket portal" in login_page and "County portal" in login_page

    response = w.client.get("/auth/sso/cas?next=/o/sso-branch/")
    assert response.headers["Location"] == (
        "https://cas.example.gov.cn/login?service=http://localhost/auth/callback/cas"
    )
    bad = w.client.get("/auth/callback/cas?ticket=forged")
    assert bad.status_code == 400 and reason(bad) == "token"
    assert counts() == (0, 0, 0)
    w.client.get("/auth/sso/cas?next=/o/sso-branch/")
    response = w.client.get("/auth/callback/cas?ticket=ST-quinn")
    assert response.headers["Location"] == "/o/sso-branch/"
    identity = db.session.scalars(select(Identity)).one()
    assert (identity.issuer, identity.subject) == ("https://cas.example.gov.cn", "quinn")
    assert identity_user(identity.user_id).display_name == "Quinn"
    login = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "auth.login")).one()
    assert login.changes == {"method": [None, "ticket"], "provider": [None, "cas"]}


def test_a_provider_of_an_uninstalled_kind_is_unknown(w):
    db.session.add(
        SsoProvider(name="orphan", kind="gone", issuer="https://x.example", client_id="x")
    )
    db.session.commit()
    assert w.client.get("/auth/sso/orphan").status_code == 404


def test_platform_admins_find_the_console_from_every_page(w, people, login):
    """Every page's header leads to My work, which lists the platform console's pages."""
    link = 'href="/admin/platform/sso/"'
    login("county-admin", "county-admin-pw")
    assert link not in w.client.get("/admin").get_data(as_text=True)
    login("root-admin", "platform-pw")
    assert 'href="/admin"' in w.client.get("/").get_data(as_text=True)
    assert link in w.client.get("/admin").get_data(as_text=True)
