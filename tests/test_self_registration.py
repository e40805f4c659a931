"""Accounts people create themselves (parameter ``auth.self_registration``): offered only where
the county allows it, confirmed by a one-time link mailed to the address (the account cannot
sign in before), then the person signs in and files a disclosure request."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from core import db
from core.audit import AuditEntry
from core.disclosure_requests.models import DisclosureRequest
from core.params import operations as params
from core.plugins.testing import csrf_token
from tenants import operations
from tenants.models import EmailVerification, User
from tests.items_helpers import build_world
from tests.notification_helpers import debug_smtp, reset_jobs, run_jobs, text_of

PASSWORD = "citizen-password"
FORM = {
    "display_name": "张三",
    "email": "zhangsan@example.org",
    "username": "zhangsan",
    "password": PASSWORD,
    "repeat": PASSWORD,
}
REQUEST = {
    "content": "2026年上半年党费收缴、使用和管理明细",
    "purpose": "了解党费使用情况",
    "contact_phone": "13800000000",
    "contact_email": "zhangsan@example.org",
    "contact_address": "",
    "delivery": "electronic",
}


@pytest.fixture
def w(make_org, app):
    reset_jobs(app)
    w = build_world(make_org)
    db.session.commit()
    yield w
    reset_jobs(app)


@pytest.fixture
def allowed(w):
    params.set_value(w["county"], "auth.self_registration", True)
    db.session.commit()
    return w


@pytest.fixture
def smtp(app, tmp_path):
    with debug_smtp(app, tmp_path / "smtp") as server:
        yield server


def html(response) -> str:
    return response.get_data(as_text=True)


def register(client, **overrides):
    token = csrf_token(client, "/auth/register?org=it-unit")
    return client.post("/auth/register?org=it-unit",
                       data={**FORM, **overrides, "csrf_token": token})  # fmt: skip


def sign_in(client, username=FORM["username"], password=PASSWORD):
    token = csrf_token(client)
    data = {"username": username, "password": password, "csrf_token": token}
    return client.post("/auth/login", data=data)


def link_in_mail(smtp) -> str:
    run_jobs()
    [mail] = [m for m in smtp.messages() if m["To"].addresses[0].addr_spec == FORM["email"]]
    match = re.search(r"https://gongkai\.example\.org(/auth/verify/[0-9a-f]{64})", text_of(mail))
    assert match, text_of(mail)
    return match.group(1)


def actions() -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def test_registration_is_refused_where_the_county_does_not_allow_it(client, w):
    assert params.value(w["unit"], "auth.self_registration") is False  # off by default
    page = client.get("/auth/login?org=it-unit")
    assert "/auth/register" not in html(page)
    assert client.get("/auth/register?org=it-unit").status_code == 404
    # a forged post creates nothing either
    token = csrf_token(client)
    response = client.post("/auth/register?org=it-unit", data={**FORM, "csrf_token": token})
    assert response.status_code == 404
    assert operations.get_user("zhangsan") is None


def test_the_sign_in_page_links_to_registration_where_allowed(client, allowed):
    page = html(client.get("/auth/login?org=it-unit"))
    assert "/auth/register?org=it-unit" in page
    # another county that does not allow it: no link
    assert "/auth/register" not in html(client.get("/auth/login?org=it-other"))


def test_a_person_registers_verifies_signs_in_and_files_a_request(app, client, allowed, smtp):
    response = register(client)
    assert response.status_code == 303
    assert "/auth/register/sent" in response.headers["Location"]
    user = operations.get_user("zhangsan")
    assert user is not None and not user.active and user.email == FORM["email"]
    assert "user.registered" in actions()
    row = db.session.scalars(select(EmailVerification)).one()
    assert len(row.token_hash) == 64  # only a digest is kept

    # not confirmed yet: the account cannot sign in, and is told why
    refused = sign_in(client)
    assert refused.status_code == 403
    assert "链接" in html(refused)

    path = link_in_mail(smtp)
    assert path.rsplit("/", 1)[1] not in row.token_hash
    page = client.get(path)  # opening the link changes nothing (mail scanners open links)
    assert page.status_code == 200 and FORM["email"] in html(page)
    db.session.expire_all()
    assert not operations.get_user("zhangsan").active
    token = csrf_token(client, path)
    confirmed = client.post(path, data={"csrf_token": token})
    assert confirmed.status_code == 303
    db.session.expire_all()
    assert operations.get_user("zhangsan").active
    assert "user.email_verified" in actions()
    assert client.get(path).status_code == 410  # used once

    assert sign_in(client).status_code == 302
    token = csrf_token(client, "/o/it-unit/requests/new")
    filed = client.post("/o/it-unit/requests/new", data={**REQUEST, "csrf_token": token})
    assert filed.status_code == 303
    req = db.session.scalars(select(DisclosureRequest)).one()
    assert req.applicant_id == operations.get_user("zhangsan").id


def test_an_expired_or_unknown_link_is_refused(app, client, allowed, smtp):
    assert register(client).status_code == 303
    path = link_in_mail(smtp)
    row = db.session.scalars(select(EmailVerification)).one()
    row.expires_at = db.utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert client.get(path).status_code == 410
    token = csrf_token(client, "/auth/login")
    assert client.post(path, data={"csrf_token": token}).status_code == 410
    db.session.expire_all()
    assert not operations.get_user("zhangsan").active
    assert client.get("/auth/verify/" + "0" * 64).status_code == 404


def test_a_sign_in_after_the_link_expired_sends_a_new_one_that_works(app, client, allowed, smtp):
    """A person whose link expired (or got lost) is not locked out of the account they made:
    signing in with the right password sends a new link once the last one is ten minutes old
    or no longer works; a wrong password sends nothing."""
    assert register(client).status_code == 303
    old_path = link_in_mail(smtp)
    first = db.session.scalars(select(EmailVerification)).one()
    first_id = first.id

    # the last link is fresh (made just now): no second mail, the person is told to open it
    waiting = sign_in(client)
    assert waiting.status_code == 403
    assert FORM["email"] in html(waiting)
    assert list(db.session.scalars(select(EmailVerification.id))) == [first_id]

    # a wrong password reveals nothing and sends nothing
    assert sign_in(client, password="wrong-password").status_code == 401
    assert len(db.session.scalars(select(EmailVerification)).all()) == 1

    first = db.session.get(EmailVerification, first_id)
    first.expires_at = db.utcnow() - timedelta(seconds=1)  # the link expired
    db.session.commit()
    renewed = sign_in(client)
    assert renewed.status_code == 403
    assert "新的链接" in html(renewed) and FORM["email"] in html(renewed)
    run_jobs()
    mails = [m for m in smtp.messages() if m["To"].addresses[0].addr_spec == FORM["email"]]
    assert len(mails) == 2  # the first link's, and the new one
    new_path = re.search(r"https://gongkai\.example\.org(/auth/verify/[0-9a-f]{64})",
                         text_of(mails[-1])).group(1)  # fmt: skip
    assert new_path != old_path
    assert client.get(old_path).status_code == 410
    token = csrf_token(client, new_path)
    assert client.post(new_path, data={"csrf_token": token}).status_code == 303
    assert sign_in(client).status_code == 302


@pytest.mark.parametrize("age, renewed", [(timedelta(minutes=9, seconds=58), False),
                                          (timedelta(minutes=10, seconds=1), True)])  # fmt: skip
def test_a_pending_link_is_renewed_at_ten_minutes_not_before(app, allowed, age, renewed):
    user, first = operations.register_user(
        "wangwu", display_name="王五", email="wangwu@example.org", password=PASSWORD
    )
    first.created_at = db.utcnow() - age
    db.session.flush()
    assert (operations.renew_email_verification(user) is not None) is renewed
    assert (first.status() == "revoked") is renewed


def test_a_taken_name_or_address_is_refused_in_the_users_language(client, allowed):
    operations.create_user("zhangsan", password=PASSWORD, email="other@example.org")
    operations.create_user("lisi", password=PASSWORD, email="ZhangSan@example.org")
    db.session.commit()
    response = register(client)
    assert response.status_code == 400
    text = html(response)
    assert "用户名“zhangsan”已被使用" in text
    assert "该电子邮箱已有账号" in text
    assert FORM["display_name"] in text  # what was typed is kept
    assert db.session.scalar(select(EmailVerification.id)) is None


def test_password_rules_and_csrf(client, allowed):
    short = register(client, password="short", repeat="short")
    assert short.status_code == 400
    assert operations.get_user("zhangsan") is None
    no_token = client.post("/auth/register?org=it-unit", data=FORM)
    assert no_token.status_code == 400
    assert operations.get_user("zhangsan") is None


class TestRegistrationRateLimit:
    @pytest.fixture
    def app_settings(self, app_settings):
        return {**app_settings, "config": {"RATELIMIT_ENABLED": True}}

    def test_registration_is_rate_limited_per_address(self, client, allowed):
        statuses = [
            register(client, username=f"person{i}", email=f"p{i}@example.org").status_code
            for i in range(6)
        ]
        assert statuses == [303] * 5 + [429]
        assert "请稍后再试" in html(register(client, username="person9", email="p9@example.org"))
        assert db.session.scalar(select(User.id).where(User.username == "person5")) is None
