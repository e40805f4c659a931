"""The feedback API: anonymous submissions (no token needed, rate limited) and the published
answers, paged with cursors."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core import db
from core.feedback import operations as feedback
from core.feedback.models import FeedbackEntry
from tests.feedback_helpers import answered, closed, online, recorded, world

SUBMIT = "/api/v1/orgs/it-unit/feedback"
ANSWERS = "/api/v1/orgs/it-unit/feedback/answers"


@pytest.fixture
def w(make_org):
    return world(make_org)


@pytest.mark.rule("FB-1")
def test_anyone_gives_feedback_through_the_api(app, client, w):
    response = client.post(
        SUBMIT, json={"content": "API 意见\n第二行", "item_id": w["item"].id, "name": "孙"}
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    entry = db.session.get(FeedbackEntry, body["id"])
    assert body["receipt"] == entry.receipt and entry.channel == "online"
    assert (entry.content, entry.item_id, entry.submitter_name) == (
        "API 意见\n第二行",
        w["item"].id,
        "孙",
    )
    assert body["state"] == "received" and body["received_on"] == entry.received_on.isoformat()
    # the receipt page opens with the code given once
    page = client.get(body["lookup_url"].replace("http://localhost", ""))
    assert page.status_code == 200 and "API 意见" in page.get_data(as_text=True)


def test_a_submission_without_content_or_with_a_foreign_item_is_refused(app, client, w):
    missing = client.post(SUBMIT, json={"text": "wrong field"}, headers={"Accept-Language": "en"})
    assert missing.status_code == 422
    assert "content: is required" in missing.get_json()["error"]["problems"]
    too_long = client.post(SUBMIT, json={"content": "长" * 2001})
    assert too_long.status_code == 422
    sibling_item = client.post(
        "/api/v1/orgs/it-sibling/feedback", json={"content": "x", "item_id": w["item"].id}
    )
    assert sibling_item.status_code == 422
    assert client.post(SUBMIT, data="content=x").status_code == 415
    assert (
        client.post("/api/v1/orgs/no-such-unit/feedback", json={"content": "x"}).status_code == 404
    )
    assert db.session.scalars(select(FeedbackEntry)).all() == []


class TestRateLimit:
    @pytest.fixture
    def app_settings(self, app_settings):
        return {**app_settings, "config": {"RATELIMIT_ENABLED": True}}

    def test_the_api_shares_the_forms_limit_per_address(self, app, client, w):
        statuses = [client.post(SUBMIT, json={"content": f"第{n}条"}).status_code for n in range(6)]
        assert statuses == [201] * 5 + [429]
        assert client.post(SUBMIT, json={"content": "x"}).get_json()["error"]["status"] == 429
        other = client.post(
            SUBMIT, json={"content": "另一个地址"}, environ_base={"REMOTE_ADDR": "10.2.2.2"}
        )
        assert other.status_code == 201


def test_published_answers_are_listed_with_cursors_and_without_the_submitter(app, client, w):
    for n in range(5):
        entry = online(w, content=f"原话{n}", name="周先生", contact="zhou@example.org")
        answered(w, entry)
        feedback.publish(entry, actor=w["admin"], public_question=f"公开问题{n}")
    closed(w, recorded(w, content="未公开的意见"), publish=False)
    db.session.commit()

    first = client.get(ANSWERS, query_string={"limit": 2, "lang": "en"}).get_json()
    assert first["total"] == 5 and len(first["answers"]) == 2
    seen = [a["question"] for a in first["answers"]]
    cursor = first["next_cursor"]
    while cursor:
        page = client.get(ANSWERS, query_string={"limit": 2, "cursor": cursor}).get_json()
        seen += [a["question"] for a in page["answers"]]
        cursor = page["next_cursor"]
    assert seen == [f"公开问题{n}" for n in range(4, -1, -1)]
    text = str(first)
    assert "周先生" not in text and "zhou@example.org" not in text and "原话" not in text
    answer = first["answers"][0]
    assert answer["answer"] == "已在公开栏补充说明，感谢您的意见。"
    assert answer["channel"] == "online" and answer["channel_label"] == "Online"
    bad = client.get(ANSWERS, query_string={"cursor": "forged"})
    assert bad.status_code == 400
    other = client.get(
        "/api/v1/orgs/it-sibling/feedback/answers", query_string={"cursor": first["next_cursor"]}
    )
    assert other.status_code == 400  # a cursor is bound to its list


def test_a_refused_submission_reads_in_chinese_and_saves_nothing(app, client, w):
    """Issue 11: the API answers a refusal in the caller's language."""
    kept = online(w, "已有的意见")
    db.session.commit()
    zh = {"Accept-Language": "zh-CN,zh;q=0.9"}
    missing = client.post(SUBMIT, json={"text": "wrong field"}, headers=zh)
    body = missing.get_json()["error"]
    assert missing.status_code == 422 and body["message"] == "意见建议未提交。"
    assert body["problems"] == ["content: 必填"]
    no_body = client.post(SUBMIT, headers=zh)
    assert no_body.status_code == 400
    assert no_body.get_json()["error"]["message"] == "请求需要 JSON 格式的请求体。"
    assert [e.id for e in db.session.scalars(select(FeedbackEntry))] == [kept.id]
