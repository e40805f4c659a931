"""Local sign-in and sign-out."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core import db
from core.audit import AuditEntry
from core.testing import csrf_token
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
