"""Local sign-in and sign-out."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core import db
from core.audit import AuditEntry
from core.plugins.testing import csrf_token
from tenants import operations


@pytest.fixture
def user(app):
    user = operations.create_user("alice", password="correct horse", display_name="李爱丽")
    db.session.commit()
    return user


def actions():
    return [e.action for e in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def test_login_form_is_csrf_protected(client, user):
    response = client.post("/auth/login", data={"username": "alice", "password": "correct horse"})
    assert response.status_code == 400
    assert "表单已过期" in response.get_data(as_text=True)
    assert "auth.login" not in actions()


def test_sign_in_shows_the_user_and_the_sign_out_on_every_page(client, user, login, make_org):
    make_org("auth-county", type_code="county_committee")
    response = login("alice", "correct horse")
    assert response.status_code == 302
    for path in ("/", "/o/auth-county/"):
        html = client.get(path).get_data(as_text=True)
        assert "李爱丽" in html
        assert 'action="/auth/logout"' in html
    assert "auth.login" in actions()
    db.session.expire_all()
    assert operations.get_user("alice").last_login_at is not None


def test_wrong_password_is_refused_and_audited(client, user, login):
    response = login("alice", "wrong password")
    assert response.status_code == 401
    assert "用户名不存在或密码错误" in response.get_data(as_text=True)
    assert "auth.login_failed" in actions()
    assert "李爱丽" not in client.get("/").get_data(as_text=True)


def test_unknown_user_gets_the_same_answer(client, user, login):
    response = login("mallory", "whatever-password")
    assert response.status_code == 401
    assert "用户名不存在或密码错误" in response.get_data(as_text=True)


def test_inactive_user_cannot_sign_in(client, user, login):
    user.active = False
    db.session.commit()
    assert login("alice", "correct horse").status_code == 401


def test_empty_form_says_what_is_missing(client, user):
    token = csrf_token(client)
    response = client.post(
        "/auth/login", data={"username": "", "password": "", "csrf_token": token}
    )
    assert response.status_code == 400
    assert 'aria-invalid="true"' in response.get_data(as_text=True)


def test_session_is_renewed_at_sign_in(client, user, login):
    client.get("/auth/login")
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    login("alice", "correct horse")
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["_user_id"] == str(user.id)


def test_next_is_followed_only_within_the_site(client, user):
    token = csrf_token(client)
    data = {"username": "alice", "password": "correct horse", "csrf_token": token}
    response = client.post("/auth/login", data={**data, "next": "/o/x/"})
    assert response.headers["Location"] == "/o/x/"
    client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/auth/logout")})
    token = csrf_token(client)
    response = client.post(
        "/auth/login", data={**data, "csrf_token": token, "next": "https://evil.example/"}
    )
    assert response.headers["Location"] == "/"


def test_sign_out(client, user, login):
    login("alice", "correct horse")
    page = client.get("/auth/logout")
    assert page.status_code == 200
    assert "确定要退出登录吗" in page.get_data(as_text=True)
    # a sign-out without the form's token is refused
    assert client.post("/auth/logout").status_code == 400
    assert "李爱丽" in client.get("/").get_data(as_text=True)
    response = client.post(
        "/auth/logout",
        data={"csrf_token": csrf_token(client, "/auth/logout")},
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert "您已退出登录" in html
    assert "李爱丽" not in html
    assert "auth.logout" in actions()


def test_session_cookie_flags(client, user, login):
    response = login("alice", "correct horse")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


# --- the sign-in page: portals of the context, password sign-in per county ----------------------


@pytest.fixture
def counties(app, make_org):
    from core.sso import operations as sso

    county = make_org("auth-a", type_code="county_committee")
    make_org("auth-a-branch", parent=county)
    other = make_org("auth-b", type_code="county_committee")
    make_org("auth-b-branch", parent=other)
    for name, root, labels in (
        ("everywhere", None, {"zh_Hans_CN": "国家政务服务平台", "en": "National portal"}),
        ("a-portal", county, {"zh_Hans_CN": "甲县政务网", "en": "County A portal"}),
        ("b-portal", other, {"zh_Hans_CN": "乙县政务网"}),
    ):
        sso.create_provider(
            name, root=root, issuer=f"https://{name}.example.gov.cn", client_id="c",
            client_secret="s", labels=labels,
        )  # fmt: skip
    db.session.commit()
    return county, other


def provider_buttons(html: str) -> list[str]:
    import re

    return re.findall(r'data-provider="([\w-]+)"', html)


@pytest.mark.rule("IAM-1")
def test_the_sign_in_page_offers_the_portals_of_its_county(client, counties):
    assert provider_buttons(client.get("/auth/login").get_data(as_text=True)) == ["everywhere"]
    html = client.get("/auth/login?org=auth-a-branch").get_data(as_text=True)
    assert provider_buttons(html) == ["everywhere", "a-portal"]
    assert "甲县政务网" in html and "国家政务服务平台" in html
    # the organisation of the page the visitor came from decides too
    html = client.get("/auth/login?next=/o/auth-b-branch/items/3").get_data(as_text=True)
    assert provider_buttons(html) == ["everywhere", "b-portal"]
    assert 'href="/auth/sso/b-portal?next=/o/auth-b-branch/items/3"' in html
    # labels follow the language; a missing one falls back to Chinese
    html = client.get("/auth/login?org=auth-a&lang=en").get_data(as_text=True)
    assert "County A portal" in html and "National portal" in html
    html = client.get("/auth/login?org=auth-b&lang=en").get_data(as_text=True)
    assert "乙县政务网" in html


@pytest.mark.rule("IAM-1")
def test_password_sign_in_can_be_switched_off_per_county(client, counties, login):
    from core.params import operations as params

    county, _other = counties
    a_member = operations.create_user("a-member", password="a-member-pw")
    operations.grant_membership(a_member, operations.get_org("auth-a-branch"), "member")
    both = operations.create_user("both-member", password="both-member-pw")
    operations.grant_membership(both, operations.get_org("auth-a-branch"), "member")
    operations.grant_membership(both, operations.get_org("auth-b-branch"), "admin")
    operations.create_user("operator", password="operator-pw", platform_admin=True)
    params.set_value(county, "auth.local_signin", False)
    db.session.commit()

    page = client.get("/auth/login?org=auth-a-branch").get_data(as_text=True)
    assert 'name="password"' not in page and "a-portal" in page
    assert 'name="password"' in client.get("/auth/login?org=auth-b").get_data(as_text=True)

    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    response = login("a-member", "a-member-pw")
    assert response.status_code == 403
    assert "Password sign-in is switched off for your organisation" in response.get_data(
        as_text=True
    )
    assert "auth.login_refused" in actions()
    with client.session_transaction() as session:
        assert "_user_id" not in session
    assert login("both-member", "both-member-pw").status_code == 302  # auth-b still allows it
    client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/auth/logout")})
    assert login("operator", "operator-pw").status_code == 302  # platform admins always may


# --- throttling per user name, rate limit per address -----------------------------------------


def test_a_user_name_is_throttled_after_five_failures(client, user, login):
    from datetime import timedelta

    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    for _ in range(5):
        assert login("alice", "wrong password").status_code == 401
    response = login("alice", "correct horse")  # even the right password
    assert response.status_code == 429
    assert "Too many failed sign-in attempts for this user name" in response.get_data(as_text=True)
    assert actions().count("auth.login_throttled") == 1
    assert actions().count("auth.login_failed") == 5
    with client.session_transaction() as session:
        assert "_user_id" not in session
    operations.create_user("bea", password="bea-password")
    db.session.commit()
    assert login("bea", "bea-password").status_code == 302  # other names are not affected
    # fifteen minutes after the fifth failure the name may try again
    for entry in db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "auth.login_failed")
    ):
        entry.at -= timedelta(minutes=16)
    db.session.commit()
    client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/auth/logout")})
    assert login("alice", "correct horse").status_code == 302


def test_failures_recorded_by_another_process_count_and_a_success_resets(client, user, login):
    # another worker recorded four failures (the count comes from the audit log)
    for _ in range(4):
        operations.record_failed_login("alice", ip="192.0.2.1")
    db.session.commit()
    assert login("alice", "correct horse").status_code == 302  # four: not yet throttled
    client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/auth/logout")})
    # the success starts the count again: four more failures are still not enough
    for _ in range(4):
        assert login("alice", "wrong password").status_code == 401
    assert login("alice", "correct horse").status_code == 302
    client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/auth/logout")})
    for _ in range(5):
        login("mallory", "guess-password")  # unknown names are throttled alike
    assert login("mallory", "guess-password").status_code == 429


class TestLoginRateLimit:
    @pytest.fixture
    def app_settings(self, app_settings):
        return {**app_settings, "config": {"RATELIMIT_ENABLED": True}}

    def test_sign_in_attempts_are_rate_limited_per_address(self, client, user):
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
        token = csrf_token(client)
        statuses = [
            client.post(
                "/auth/login",
                data={"username": f"nobody{n}", "password": "x-password", "csrf_token": token},
            ).status_code
            for n in range(11)
        ]
        assert statuses == [401] * 10 + [429]
        response = client.post(
            "/auth/login",
            data={"username": "alice", "password": "correct horse", "csrf_token": token},
        )
        assert response.status_code == 429
        assert "Too many sign-in attempts from your address" in response.get_data(as_text=True)
        other = client.post(
            "/auth/login",
            data={"username": "alice", "password": "correct horse", "csrf_token": token},
            environ_base={"REMOTE_ADDR": "10.0.0.7"},
        )
        assert other.status_code == 302


# --- sessions end on the server (issue 16, finding 9) ------------------------------------------


def _signed_in(client) -> bool:
    """Whether the client's session cookie signs someone in (the notifications inbox answers
    signed-in people only)."""
    return client.get("/notifications").status_code == 200


def _end_by_sign_out(app, client, user):
    client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/auth/logout")})


def _end_by_password(app, client, user):
    operations.set_password(db.session.get(type(user), user.id), "another horse battery")
    db.session.commit()


def _end_by_deactivation(app, client, user):
    operations.set_active(db.session.get(type(user), user.id), False)
    db.session.commit()


def _end_by_role_removal(app, client, user):
    org = operations.get_org("auth-unit")
    operations.revoke_membership(db.session.get(type(user), user.id), org, "editor")
    db.session.commit()


@pytest.mark.parametrize(
    "end", [_end_by_sign_out, _end_by_password, _end_by_deactivation, _end_by_role_removal],
    ids=["sign-out", "password", "deactivation", "role-removal"],
)  # fmt: skip
def test_a_copied_session_cookie_stops_working_when_the_session_ends(app, client, user, login,
                                                                     make_org, end):  # fmt: skip
    unit = make_org("auth-unit")
    operations.grant_membership(db.session.get(type(user), user.id), unit, "editor")
    db.session.commit()
    login("alice", "correct horse")
    cookie = client.get_cookie("session").value
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    assert _signed_in(thief)  # the copy works while the session lasts
    end(app, client, user)
    assert not _signed_in(thief)
    assert not _signed_in(client)
    if end is not _end_by_deactivation:  # a new sign-in works again
        password = "another horse battery" if end is _end_by_password else "correct horse"
        login("alice", password)
        assert _signed_in(client) and not _signed_in(thief)
    assert "user.sessions_ended" in actions()


# --- user names cannot be told apart by timing (issue 16, finding 10) ---------------------------


def test_every_sign_in_attempt_does_the_same_password_hash_work(app, client, user, monkeypatch):
    """A wrong password for an existing name, a missing name, an account without a password
    (portal only) and a deactivated one: each attempt checks exactly one password hash made with
    the configured method, so the answers take the same time. (The work is counted, not timed.)"""
    from werkzeug import security

    operations.create_user("portal-only")  # no password: signs in through a portal
    inactive = operations.create_user("gone", password="correct horse")
    inactive.active = False
    db.session.commit()
    method = app.config["GONGKAI_PASSWORD_HASH"]
    checked = []
    real = security.check_password_hash

    def counting(pwhash, password):
        checked.append(pwhash.split("$", 1)[0])
        return real(pwhash, password)

    monkeypatch.setattr(operations, "check_password_hash", counting)
    for name in ("alice", "nobody-by-this-name", "portal-only", "gone"):
        checked.clear()
        token = csrf_token(client)
        response = client.post(
            "/auth/login", data={"username": name, "password": "wrong horse", "csrf_token": token}
        )
        assert response.status_code == 401, name
        assert checked == [method], (name, checked)
