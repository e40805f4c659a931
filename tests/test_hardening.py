"""Hardening (issue 5): security headers, cookies and the session's lifetime, upload limits, and a
rate limit on every write an anonymous visitor can reach (found from the URL map)."""

from __future__ import annotations

import io
import time

import pytest
from sqlalchemy import func, select

from core import db
from core.app import create_app
from core.audit import AuditEntry
from core.items.models import Attachment
from core.plugins.testing import csrf_token
from tests import isolation_world as iw

HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def assert_security_headers(response, what: str) -> None:
    csp = response.headers.get("Content-Security-Policy", "")
    for directive in (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "object-src 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
        "base-uri 'self'",
    ):
        assert directive in csp, f"{what}: {directive} missing from the CSP {csp!r}"
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, what
    for name, value in HEADERS.items():
        assert response.headers.get(name) == value, f"{what}: {name}"
    policy = response.headers.get("Permissions-Policy", "")
    for feature in ("camera=()", "microphone=()", "geolocation=()"):
        assert feature in policy, f"{what}: Permissions-Policy lacks {feature}"


def test_security_headers_on_a_page_an_api_answer_and_an_error_page(client, org):
    page = client.get("/o/test-branch/")
    assert page.status_code == 200 and page.mimetype == "text/html"
    api = client.get("/api/v1/orgs/test-branch/items")
    assert api.status_code == 200 and api.is_json
    missing = client.get("/o/test-branch/items/999999")
    assert missing.status_code == 404
    api_missing = client.get("/api/v1/items/999999")
    assert api_missing.status_code == 404 and api_missing.is_json
    refused = client.get("/admin/o/test-branch/items")  # anonymous: to the sign-in page
    assert iw.to_sign_in(refused)
    for what, response in [
        ("page", page),
        ("API", api),
        ("error page", missing),
        ("API error", api_missing),
        ("redirect", refused),
    ]:
        assert_security_headers(response, what)
        # HTTPS is enforced by the production configuration only
        assert "Strict-Transport-Security" not in response.headers, what


def test_the_session_cookie_is_httponly_and_samesite_outside_production(client, org):
    response = client.get("/auth/login")
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("session=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # development over plain HTTP works


@pytest.fixture
def production(app, app_settings, tmp_path):
    """The application as configured in production (on the test database)."""
    settings = {**app_settings, "env": "production", "instance_path": str(tmp_path / "prod")}
    prod = create_app(**settings)
    prod.config["GONGKAI_PASSWORD_HASH"] = "pbkdf2:sha256:1000"
    return prod


def test_production_sends_secure_host_only_cookies_and_hsts(production, org):
    from tenants import operations

    operations.create_user("prod-user", password=iw.PASSWORD)
    db.session.commit()
    assert production.config["SESSION_COOKIE_SECURE"] is True
    client = production.test_client()
    base = "https://gongkai.example"
    page = client.get("/auth/login", base_url=base)
    assert page.status_code == 200
    assert_security_headers(page, "production page")
    assert page.headers["Strict-Transport-Security"].startswith("max-age=")
    assert int(page.headers["Strict-Transport-Security"].split("=")[1].split(";")[0]) >= 15552000
    # the session cookie: HTTPS only, host-only (__Host-: Path=/ and no Domain), not for scripts
    anonymous = page.headers["Set-Cookie"]
    assert anonymous.startswith("__Host-session=")
    html = page.get_data(as_text=True)
    token = html.split('name="csrf_token"')[1].split('value="')[1].split('"')[0]
    response = client.post(
        "/auth/login",
        base_url=base,
        data={"username": "prod-user", "password": iw.PASSWORD, "csrf_token": token},
        headers={"Referer": base + "/auth/login"},  # Flask-WTF's check over HTTPS
    )
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:500]
    cookies = [v for k, v in response.headers.items() if k == "Set-Cookie"]
    session_cookie = next(c for c in cookies if c.startswith("__Host-session="))
    parts = [p.strip() for p in session_cookie.split(";")]
    assert "Secure" in parts and "HttpOnly" in parts and "SameSite=Lax" in parts
    assert "Path=/" in parts
    assert not any(p.lower().startswith("domain=") for p in parts)
    assert "Strict-Transport-Security" in response.headers
    # every other cookie the application sets is Secure too
    for cookie in cookies:
        assert "Secure" in cookie, cookie


def test_a_sign_in_lapses_after_the_session_lifetime(app, client, org, monkeypatch):
    """A session signed more than PERMANENT_SESSION_LIFETIME ago is refused (Flask checks the
    age of the signature), so a stolen or forgotten cookie does not work for ever."""
    from itsdangerous import TimestampSigner

    from tenants import operations

    staff = operations.create_user("hours-user", password=iw.PASSWORD)
    operations.grant_membership(staff, org, "admin")
    db.session.commit()
    lifetime = app.permanent_session_lifetime.total_seconds()
    assert 3600 <= lifetime <= 24 * 3600
    real = TimestampSigner.get_timestamp

    def sign_in() -> None:
        data = {"username": "hours-user", "password": iw.PASSWORD, "csrf_token": csrf_token(client)}
        assert client.post("/auth/login", data=data).status_code == 302

    # signed in: the cookie the sign-in returns is dated one lifetime and a minute ago
    monkeypatch.setattr(
        TimestampSigner, "get_timestamp", lambda self: int(time.time() - lifetime - 60)
    )
    sign_in()
    monkeypatch.setattr(TimestampSigner, "get_timestamp", real)
    assert iw.to_sign_in(client.get("/admin/o/test-branch/items"))
    # signed in now, the same account works
    sign_in()
    assert client.get("/admin/o/test-branch/items").status_code == 200


# --- upload limits ----------------------------------------------------------------------------

LIMIT = 64 * 1024


class TestUploadLimit:
    @pytest.fixture
    def app_settings(self, app_settings):
        return {**app_settings, "config": {"MAX_CONTENT_LENGTH": LIMIT}}

    @pytest.fixture
    def world(self, app):
        return iw.build()

    def upload(self, client, world, size: int, *, csrf: str):
        _code, item_id = world.items["zxbdraft"]
        data = iw.pdf("zxbupload") + b"0" * size
        return client.post(
            f"/admin/o/iso-b/items/{item_id}/attachments",
            data={"csrf_token": csrf, "attachments": [(io.BytesIO(data), "big.pdf")]},
            content_type="multipart/form-data",
        )

    def counts(self) -> tuple[int, int]:
        found = (
            db.session.scalar(select(func.count()).select_from(Attachment)),
            db.session.scalar(select(func.count()).select_from(AuditEntry)),
        )
        db.session.rollback()
        return found

    def test_a_too_large_upload_is_refused_on_the_item_page_and_nothing_is_saved(
        self, app, world, client, login
    ):
        assert login("iso-b-staff", iw.PASSWORD).status_code == 302
        csrf = iw.set_csrf(app, client)
        before = self.counts()
        response = self.upload(client, world, 2 * LIMIT, csrf=csrf)
        assert response.status_code == 413
        page = response.get_data(as_text=True)
        # the item's page again (its title, its upload form) with the reason and the limit
        assert "zxbdraft" in page and 'enctype="multipart/form-data"' in page
        assert "64 KB" in page
        assert self.counts() == before
        # a file within the limit is attached
        small = self.upload(client, world, 1024, csrf=csrf)
        assert small.status_code in (302, 303), small.get_data(as_text=True)[:300]
        assert self.counts()[0] == before[0] + 1

    def test_a_too_large_new_item_form_is_refused_with_the_limit(self, app, world, client, login):
        from core.items.models import Item

        assert login("iso-b-staff", iw.PASSWORD).status_code == 302
        items_before = db.session.scalar(select(func.count()).select_from(Item))
        before = self.counts()
        data = iw.pdf("zxbupload") + b"0" * (2 * LIMIT)
        response = client.post(
            "/admin/o/iso-b/items/new",
            data={
                "csrf_token": iw.set_csrf(app, client),
                "title_zh_Hans_CN": "附件过大的事项",
                "attachments": [(io.BytesIO(data), "big.pdf")],
            },
            content_type="multipart/form-data",
        )
        assert response.status_code == 413
        page = response.get_data(as_text=True)
        assert "64 KB" in page and "<html" in page
        assert self.counts() == before
        assert db.session.scalar(select(func.count()).select_from(Item)) == items_before

    def test_any_too_large_form_gets_a_page_naming_the_limit(self, client):
        response = client.post(
            "/auth/login", data={"username": "x" * (2 * LIMIT)}, headers={"Accept-Language": "en"}
        )
        assert response.status_code == 413
        page = response.get_data(as_text=True)
        assert "larger than the 64 KB allowed" in page and "Nothing was saved" in page

    @pytest.mark.parametrize("reader", [iw.ANONYMOUS, "iso-a-editor"])
    def test_a_too_large_upload_shows_nothing_of_the_item_to_others(
        self, app, world, client, login, reader
    ):
        if reader != iw.ANONYMOUS:
            assert login(reader, iw.PASSWORD).status_code == 302
        before = self.counts()
        response = self.upload(client, world, 2 * LIMIT, csrf=iw.set_csrf(app, client))
        assert response.status_code == 413
        assert not iw.markers(response.get_data(as_text=True)) & set(iw.EXPECTED)
        assert self.counts() == before


# --- rate limits on every anonymous write -----------------------------------------------------

# Writes an anonymous visitor reaches that need no limit, and why.
NO_LIMIT_NEEDED = {
    "auth.logout": "signing out ends the visitor's own session and writes nothing",
    "invitations.accept": "a visitor who is not signed in is sent to the invitation's page to "
    "sign in first; nothing is written",
}
PROBE_FORM = {
    **iw.FORM,
    "username": "rate-limit-probe",
    "password": "not-the-password",
    "text": "rate limit probe",
}
MAX_TRIES = 60


def refused(response) -> bool:
    """Refused as such: forbidden, not found, not allowed, sent to sign in, or a 401 challenge
    (a 401 without ``WWW-Authenticate`` is a failed sign-in: the route was reached)."""
    status = response.status_code
    if status == 401:
        return "WWW-Authenticate" in response.headers
    return status in (403, 404, 405) or iw.to_sign_in(response)


def anonymous_writes(app, world) -> list[iw.Call]:
    """One request per write route that an anonymous visitor reaches (not refused, not sent to
    the sign-in page), with the arguments that reach it."""
    reached: dict[str, iw.Call] = {}
    client = app.test_client()
    csrf = iw.set_csrf(app, client)
    # the sign-out route last: it clears the session (and the CSRF token the others need)
    ordered = sorted(iw.calls(app, world), key=lambda c: c.endpoint == "auth.logout")
    for n, call in enumerate(ordered):
        key = f"{call.method} {call.rule.rule}"
        if call.method not in iw.WRITES or call.variant != "own" or key in reached:
            continue
        response = send(client, call, csrf, address=f"198.18.{n // 250}.{n % 250}")
        if refused(response):
            continue
        reached[key] = call
    return list(reached.values())


def send(client, call: iw.Call, csrf: str, *, address: str, username: str | None = None):
    options = {
        "method": call.method,
        "headers": {"X-CSRFToken": csrf},
        "environ_base": {"REMOTE_ADDR": address},
    }
    if call.path.startswith("/api/"):
        options["json"] = {"text": PROBE_FORM["text"]}
    else:
        options["data"] = {**PROBE_FORM, "csrf_token": csrf}
        if username:
            options["data"]["username"] = username
    return client.open(call.path, **options)


def limit_problems(app, writes: list[iw.Call]) -> list[str]:
    """What is wrong with the rate limits of ``writes``: each must answer 429 (an HTML page, or
    JSON under /api/) within :data:`MAX_TRIES` requests from one address, and only to it."""
    problems = []
    for n, call in enumerate(writes):
        if call.endpoint in NO_LIMIT_NEEDED:
            continue
        client = app.test_client()
        csrf = iw.set_csrf(app, client)
        statuses = []
        for _ in range(MAX_TRIES):
            response = send(client, call, csrf, address=f"198.19.0.{n + 1}")
            statuses.append(response.status_code)
            if response.status_code == 429:
                break
        where = f"{call.method} {call.rule.rule} ({call.endpoint})"
        if statuses[-1] != 429:
            problems.append(f"{where}: no 429 after {MAX_TRIES} requests: {statuses[-5:]}")
            continue
        if call.path.startswith("/api/"):
            ok = response.is_json
        else:
            ok = response.mimetype == "text/html" and "<html" in response.get_data(as_text=True)
        if not ok:
            problems.append(f"{where}: the 429 answer is a {response.mimetype}")
        # another address (with another user name: sign-in also throttles per account) is not
        # affected
        other = send(client, call, csrf, address="198.19.1.1", username="rate-limit-other")
        if other.status_code == 429:
            problems.append(f"{where}: another address is limited too")
    return problems


class TestRateLimits:
    @pytest.fixture
    def app_settings(self, app_settings):
        return {**app_settings, "config": {"RATELIMIT_ENABLED": True}}

    def test_every_anonymous_write_answers_429_after_its_limit(self, app):
        world = iw.build()
        writes = anonymous_writes(app, world)
        endpoints = {c.endpoint for c in writes}
        assert {"portal.objection", "items_api.objections", "auth.login"} <= endpoints, endpoints
        problems = limit_problems(app, writes)
        assert not problems, "\n".join(problems)

    def test_a_new_anonymous_write_without_a_limit_fails_the_check(self, app):
        from flask import Blueprint

        probe = Blueprint("rate_probe", __name__)
        probe.add_url_rule(
            "/o/<org_code>/guestbook", "sign", lambda org_code: ("thanks", 201), methods=["POST"]
        )
        app.register_blueprint(probe)
        world = iw.build()
        writes = [c for c in anonymous_writes(app, world) if c.endpoint == "rate_probe.sign"]
        assert writes, "the unlimited probe route was not found as an anonymous write"
        problems = limit_problems(app, writes)
        assert len(problems) == 1 and "no 429" in problems[0], problems


def test_no_answer_that_sets_a_cookie_is_publicly_cacheable(app):
    """Generated from the URL map (issue 16, finding 11): every GET route, filled with the
    isolation world's objects and asked for anonymously with ``?lang=`` (which remembers the
    language in a cookie), either sets no cookie or is not ``Cache-Control: public`` — a shared
    cache would hand the cookie to everyone."""
    world = iw.build()
    client = app.test_client()
    problems, cookies_set = [], 0
    for call in iw.calls(app, world):
        if call.method != "GET":
            continue
        response = client.get(f"{call.path}?lang=ug")
        client.delete_cookie("lang")
        cache = response.headers.get("Cache-Control") or ""
        cookies = response.headers.getlist("Set-Cookie")
        cookies_set += bool(cookies)
        if cookies and "public" in cache:
            problems.append(f"{call.path} ({call.endpoint}): {cache} with {cookies}")
    assert cookies_set > 100
    assert not problems, "\n".join(problems[:40])
    # the control: with the language remembered already, the portal is publicly cacheable
    client = app.test_client()
    client.set_cookie("lang", "ug")
    for path in ("/o/iso-b/", "/o/iso-b/?lang=ug"):
        again = client.get(path)
        assert not again.headers.getlist("Set-Cookie"), path
        assert again.status_code == 200 and "public" in again.headers["Cache-Control"], path
