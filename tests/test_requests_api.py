"""The JSON API of disclosure requests: filing with a token (201 with id, status and deadline),
reading one request as its applicant or the unit (others 404), errors in the one shape, the
real-name level and the rate limit."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from core import db
from core.api import operations as tokens
from core.disclosure_requests.models import DisclosureRequest
from core.params import operations as params
from core.workdays import operations as workdays
from tests.items_helpers import build_world, user

BODY = {
    "content": "2026年党费收缴、使用和管理明细",
    "purpose": "了解党费使用情况",
    "contact": {"email": "applicant@example.org", "phone": "13800000000"},
    "delivery": "electronic",
}


@pytest.fixture
def w(make_org):
    w = build_world(make_org)
    w["applicant"] = user("req-applicant")
    w["other"] = user("req-other")
    w["sibling_admin"] = user("sib-admin", ("admin", w["sibling"]))
    secrets = {}
    for name in ("applicant", "other", "editor", "sibling_admin", "bureau_reviewer"):
        _row, secrets[name] = tokens.create(w[name], scopes=["requests:write"])
    db.session.commit()
    w["tokens"] = {k: {"Authorization": f"Bearer {v}"} for k, v in secrets.items()}
    return w


def test_filing_needs_a_token_with_the_requests_write_scope(app, w, client):
    """A token that only reads files nothing (issue 16, finding 7)."""
    _row, secret = tokens.create(w["applicant"])
    db.session.commit()
    response = client.post(
        f"/api/v1/orgs/{w['unit'].code}/requests",
        json={"content": "党费使用明细", "purpose": "了解", "contact_email": "a@example.org"},
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "insufficient_scope"
    assert "requests:write" in response.headers["WWW-Authenticate"]


def error_of(response) -> dict:
    body = response.get_json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"status", "code", "message", "problems"}
    assert body["error"]["status"] == response.status_code
    return body["error"]


@pytest.mark.rule("REQ-1")
def test_filing_through_the_api_answers_201_with_the_request(app, client, w):
    headers = w["tokens"]["applicant"]
    response = client.post("/api/v1/orgs/it-unit/requests", json=BODY, headers=headers)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    req = db.session.scalars(select(DisclosureRequest)).one()
    today = date.fromisoformat(body["received_on"])
    assert body["id"] == req.id and body["status"] == "submitted"
    assert body["deadline"] == req.deadline.isoformat()
    assert date.fromisoformat(body["deadline"]) == workdays.add_working_days(today, 15).due
    assert body["deadline_provisional"] is False and body["deadline_explanation"]
    assert body["number"] == req.number and body["organisation"]["code"] == "it-unit"
    assert body["contact"] == {
        "phone": "13800000000",
        "email": "applicant@example.org",
        "address": None,
    }
    assert body["api_url"].endswith(f"/api/v1/requests/{req.id}")
    assert req.channel == "api" and req.applicant_id == w["applicant"].id


@pytest.mark.rule("REQ-1")
def test_filing_errors_share_the_one_shape(app, client, w):
    anonymous = client.post("/api/v1/orgs/it-unit/requests", json=BODY)
    assert anonymous.status_code == 401 and "WWW-Authenticate" in anonymous.headers
    assert error_of(anonymous)["code"] == "unauthorized"
    headers = w["tokens"]["applicant"]
    bad = client.post(
        "/api/v1/orgs/it-unit/requests",
        json={**BODY, "content": "", "contact": {}, "delivery": "paper"},
        headers=headers,
    )
    assert bad.status_code == 422
    problems = error_of(bad)["problems"]
    assert any(p.startswith("content:") for p in problems)
    assert any(p.startswith("contact:") for p in problems)
    text = client.post(
        "/api/v1/orgs/it-unit/requests", data="content=x", headers=headers,
        content_type="text/plain",
    )  # fmt: skip
    assert text.status_code == 415 and error_of(text)["code"] == "unsupported_media_type"
    contact = client.post(
        "/api/v1/orgs/it-unit/requests", json={**BODY, "contact": "phone"}, headers=headers
    )
    assert contact.status_code == 422
    missing = client.post("/api/v1/orgs/no-such-unit/requests", json=BODY, headers=headers)
    assert missing.status_code == 404 and error_of(missing)["code"] == "not_found"
    assert db.session.scalar(select(DisclosureRequest.id)) is None


@pytest.mark.rule("IAM-2")
def test_the_api_refuses_below_the_real_name_level(app, client, w):
    params.set_value(w["unit"], "request.min_realname_level", 1)
    db.session.commit()
    response = client.post(
        "/api/v1/orgs/it-unit/requests", json=BODY, headers=w["tokens"]["applicant"]
    )
    assert response.status_code == 403 and error_of(response)["code"] == "realname_level"


def test_a_request_is_read_by_its_applicant_and_the_unit_only(app, client, w):
    created = client.post(
        "/api/v1/orgs/it-unit/requests", json=BODY, headers=w["tokens"]["applicant"]
    ).get_json()
    path = f"/api/v1/requests/{created['id']}"
    for name in ("applicant", "editor", "bureau_reviewer"):
        response = client.get(path, headers=w["tokens"][name])
        assert response.status_code == 200, name
        assert response.get_json()["content"] == BODY["content"]
    for name in ("other", "sibling_admin"):
        response = client.get(path, headers=w["tokens"][name])
        assert response.status_code == 404, name
        assert BODY["content"] not in response.get_data(as_text=True)
    assert client.get(path).status_code == 401
    assert client.get("/api/v1/requests/999999", headers=w["tokens"]["editor"]).status_code == 404


class TestRateLimit:
    @pytest.fixture
    def app_settings(self, app_settings):
        return {**app_settings, "config": {"RATELIMIT_ENABLED": True}}

    def test_filing_through_the_api_is_rate_limited(self, app, client, w):
        headers = w["tokens"]["applicant"]
        statuses = [
            client.post("/api/v1/orgs/it-unit/requests", json=BODY, headers=headers).status_code
            for _ in range(4)
        ]
        assert statuses == [201, 201, 201, 429]
        last = client.post("/api/v1/orgs/it-unit/requests", json=BODY, headers=headers)
        assert error_of(last)["code"] == "too_many_requests"
