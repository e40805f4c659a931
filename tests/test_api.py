"""The JSON API v1: organisations, items with cursors, versions, the register, objections and
workflow steps; one error shape (SCOPE-1, PUB-5, ARC-1)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from core import db
from core.api import operations as tokens
from core.audit import AuditEntry
from core.items import operations as items
from core.items.models import Item, Objection
from core.register.models import RegisterEntry
from tenants import operations as tenants
from tests.items_helpers import build_world, plan, published, through_review

PASSWORD = "long-enough-pw"
PUBLIC = {"entry_key": "org.election", "scope": "public", "channels": ["website"]}


@pytest.fixture
def w(make_org):
    return build_world(make_org)


@pytest.fixture
def client(client):
    """Callers that read the API's refusals in English unless a test asks otherwise."""
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def token(user, *, org=None, scopes=()) -> dict[str, str]:
    _row, secret = tokens.create(user, org=org, scopes=scopes)
    db.session.commit()
    return {"Authorization": f"Bearer {secret}"}


def texts(marker: str) -> dict:
    return {"titles": {"zh_Hans_CN": f"事项 {marker}"}, "bodies": {"zh_Hans_CN": f"{marker} 正文"}}


def public_item(w, marker: str, **overrides) -> Item:
    return published(w, **{**PUBLIC, **texts(marker), **overrides})


def error(response) -> dict:
    body = response.get_json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"status", "code", "message", "problems"}
    assert body["error"]["status"] == response.status_code
    return body["error"]


def ids(response) -> list[int]:
    assert response.status_code == 200, response.get_json()
    return [i["id"] for i in response.get_json()["items"]]


# --- errors ----------------------------------------------------------------------------------


def test_every_api_error_has_the_one_shape(w, client):
    assert error(client.get("/api/v1/no-such-endpoint"))["code"] == "not_found"
    assert error(client.get("/api/v1/orgs/no-such"))["code"] == "not_found"
    response = client.delete("/api/v1/orgs")
    assert error(response)["code"] == "method_not_allowed"
    assert "GET" in response.headers["Allow"]
    bad = client.get("/api/v1/orgs/it-unit/items?limit=0&cadence=sometimes")
    assert error(bad)["code"] == "bad_request" and len(error(bad)["problems"]) == 2
    assert error(client.get("/api/v1/orgs/it-unit/items?q=%00"))["code"] == "bad_request"
    assert error(client.get("/api/v1/items/99999999999"))["code"] == "not_found"
    # pages outside /api/ keep their HTML error pages
    page = client.get("/o/no-such/")
    assert page.status_code == 404 and page.mimetype == "text/html"


# --- organisations ---------------------------------------------------------------------------


def test_organisations_list_tree_and_detail(w, client):
    tenants.update_organisation(
        w["unit"],
        {"contacts": {"hotline": "0745-1234567", "address": "红江路1号", "internal": "秘密"}},
    )
    tenants.update_organisation(w["sibling"], {"enabled": False})
    db.session.commit()
    roots = client.get("/api/v1/orgs?lang=en").get_json()
    assert [o["code"] for o in roots["organisations"]] == ["it-county", "it-other"]
    assert roots["organisations"][0]["api_url"] == "http://localhost/api/v1/orgs/it-county"
    unit = client.get("/api/v1/orgs/it-unit").get_json()
    assert unit["parent"]["code"] == "it-bureau" and unit["county"]["code"] == "it-county"
    assert [c["code"] for c in unit["children"]] == ["it-child"]
    assert unit["contacts"] == {"hotline": "0745-1234567", "address": "红江路1号"}
    county = client.get("/api/v1/orgs/it-county").get_json()
    assert county["parent"] is None and county["county"]["code"] == "it-county"
    tree = client.get("/api/v1/orgs/it-county/tree").get_json()
    assert tree["size"] == 4  # the disabled sibling is left out
    bureau = tree["tree"]["children"][0]
    assert bureau["code"] == "it-bureau"
    assert [c["code"] for c in bureau["children"]] == ["it-unit"]
    assert [c["code"] for c in bureau["children"][0]["children"]] == ["it-child"]
    assert client.get("/api/v1/orgs/it-sibling").status_code == 404


def test_the_tree_takes_a_fixed_number_of_queries(w, client, make_org):
    from sqlalchemy import event

    def count(path: str) -> int:
        seen = []
        engine = db.session.get_bind()
        listener = lambda *args: seen.append(1)  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            assert client.get(path).status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return len(seen)

    few = count("/api/v1/orgs/it-county/tree")
    for n in range(5):
        make_org(f"it-extra-{n}", parent=w["unit"])
    assert count("/api/v1/orgs/it-county/tree") == few


# --- items: scope and cursors ----------------------------------------------------------------


@pytest.mark.rule("SCOPE-1")
def test_anonymous_callers_get_public_items_only(w, client):
    public = public_item(w, "公开")
    internal = published(w, **texts("党内"))  # party_wide
    unit_only = published(w, **texts("本单位"), scope="unit", channels=["meeting"])
    listed = ids(client.get("/api/v1/orgs/it-county/items"))
    assert listed == [public.id]
    for hidden in (internal, unit_only):
        for path in (f"/api/v1/items/{hidden.id}", f"/api/v1/items/{hidden.id}/versions"):
            assert error(client.get(path))["code"] == "not_found"
    assert ids(client.get("/api/v1/orgs/it-county/items?scope=unit")) == []
    assert client.get(f"/api/v1/items/{public.id}/versions").status_code == 200


@pytest.mark.rule("SCOPE-1")
def test_a_members_token_sees_its_units_items_and_not_a_siblings(w, client):
    unit_only = published(w, **texts("本单位"), scope="unit", channels=["meeting"])
    member = token(w["member"])
    sibling = token(w["sibling_member"])
    assert unit_only.id in ids(client.get("/api/v1/orgs/it-county/items", headers=member))
    assert unit_only.id not in ids(client.get("/api/v1/orgs/it-county/items", headers=sibling))
    assert client.get(f"/api/v1/items/{unit_only.id}", headers=member).status_code == 200
    assert client.get(f"/api/v1/items/{unit_only.id}", headers=sibling).status_code == 404
    scoped = client.get("/api/v1/orgs/it-county/items?scope=unit", headers=member)
    assert ids(scoped) == [unit_only.id]


def test_cursor_pages_return_every_item_once_even_when_items_are_published_meanwhile(w, client):
    made = [public_item(w, f"第{n}项") for n in range(5)]
    # two items with the same publication time: the id breaks the tie
    same = made[0].published_at
    for item in made[:2]:
        db.session.get(Item, item.id).published_at = same
    db.session.commit()
    seen: list[int] = []
    page = client.get("/api/v1/orgs/it-county/items?limit=2").get_json()
    assert page["total"] == 5 and page["limit"] == 2 and page["next_cursor"]
    seen += [i["id"] for i in page["items"]]
    newcomer = public_item(w, "新发布")  # published between two pages
    while page["next_cursor"]:
        page = client.get(
            "/api/v1/orgs/it-county/items", query_string={"limit": 2, "cursor": page["next_cursor"]}
        ).get_json()
        seen += [i["id"] for i in page["items"]]
    assert sorted(seen) == sorted(i.id for i in made)
    assert len(seen) == len(set(seen)) == 5
    assert newcomer.id in ids(client.get("/api/v1/orgs/it-county/items?limit=2"))


def test_cursors_are_opaque_and_bound_to_their_query(w, client):
    for n in range(3):
        public_item(w, f"游标{n}")
    cursor = client.get("/api/v1/orgs/it-county/items?limit=1").get_json()["next_cursor"]
    other = client.get(
        "/api/v1/orgs/it-county/items",
        query_string={"limit": 1, "cursor": cursor, "state": "closed"},
    )
    assert error(other)["problems"] == ["cursor: made for another list or other filters"]
    forged = client.get("/api/v1/orgs/it-county/items", query_string={"cursor": cursor[:-2] + "xx"})
    assert error(forged)["problems"] == ["cursor: not a cursor of this list"]
    elsewhere = client.get("/api/v1/orgs/it-unit/items", query_string={"cursor": cursor})
    assert error(elsewhere)["code"] == "bad_request"


def test_search_results_are_paged_with_cursors_too(w, client):
    made = [public_item(w, f"换届{n}") for n in range(3)]
    first = client.get("/api/v1/orgs/it-county/items?q=换届&limit=2").get_json()
    assert first["total"] == 3 and len(first["items"]) == 2 and "snippet" in first["items"][0]
    second = client.get(
        "/api/v1/orgs/it-county/items",
        query_string={"q": "换届", "limit": 2, "cursor": first["next_cursor"]},
    ).get_json()
    assert second["next_cursor"] is None
    got = [i["id"] for i in first["items"] + second["items"]]
    assert sorted(got) == sorted(i.id for i in made)
    both = client.get("/api/v1/orgs/it-county/items?q=换届&scope=public")
    assert error(both)["problems"] == ["scope, state: do not combine with q"]


def test_item_versions_with_explanations(w, client):
    item = public_item(w, "更正")
    items.request_amendment(
        item, actor=w["editor"], bodies={"zh_Hans_CN": "更正后的正文"}, explanation="更正错字"
    )
    items.decide_amendment(item, actor=w["bureau_reviewer"], approve=True)
    db.session.commit()
    body = client.get(f"/api/v1/items/{item.id}/versions?lang=en").get_json()
    assert body["item"]["id"] == item.id and body["language"] == "en"
    assert [(v["number"], v["explanation"], v["current"]) for v in body["versions"]] == [
        (1, None, False),
        (2, "更正错字", True),
    ]


# --- the register ----------------------------------------------------------------------------


def test_register_is_for_the_units_admins_and_superiors(w, client):
    for n in range(3):
        public_item(w, f"登记{n}")
    path = "/api/v1/orgs/it-unit/register"
    anonymous = client.get(path)
    assert anonymous.status_code == 401 and error(anonymous)["code"] == "unauthorized"
    member = client.get(path, headers=token(w["member"], scopes=["register:read"]))
    assert member.status_code == 403
    sibling_admin = tenants.create_user("it-sib-admin", password=PASSWORD)
    tenants.grant_membership(sibling_admin, w["sibling"], "admin")
    db.session.commit()
    assert (
        client.get(path, headers=token(sibling_admin, scopes=["register:read"])).status_code == 403
    )
    no_scope = client.get(path, headers=token(w["admin"]))
    assert no_scope.status_code == 403 and error(no_scope)["code"] == "insufficient_scope"
    admin = client.get(path, headers=token(w["admin"], scopes=["register:read"]))
    assert admin.status_code == 200
    entries = admin.get_json()["entries"]
    assert [e["seq"] for e in entries] == [1, 2, 3]
    assert {e["action"] for e in entries} == {"publish"}
    assert entries[1]["prev_hash"] == entries[0]["hash"]
    superior = token(w["bureau_reviewer"], scopes=["register:read"])
    first = client.get(path + "?limit=2", headers=superior).get_json()
    assert [e["seq"] for e in first["entries"]] == [1, 2]
    public_item(w, "之后")  # a new entry comes after every cursor
    rest = client.get(
        path, query_string={"limit": 2, "cursor": first["next_cursor"]}, headers=superior
    ).get_json()
    assert [e["seq"] for e in rest["entries"]] == [3, 4] and rest["next_cursor"] is None
    assert client.get(path + "?year=1999", headers=superior).status_code == 400


# --- objections ------------------------------------------------------------------------------


@pytest.mark.rule("PUB-5")
def test_an_objection_is_lodged_without_an_account(w, client):
    notice = public_item(w, "公示", is_notice=True)
    path = f"/api/v1/items/{notice.id}/objections"
    response = client.post(path, json={"text": "  候选人情况不实  ", "contact": "13800000000"})
    assert response.status_code == 201
    body = response.get_json()
    lodged = db.session.get(Objection, body["id"])
    assert lodged.text == "候选人情况不实" and lodged.contact == "13800000000"
    assert lodged.user_id is None and body["item"]["id"] == notice.id
    assert db.session.scalars(select(AuditEntry).where(AuditEntry.action == "item.objection")).one()
    empty = client.post(path, json={"text": " ", "name": "x" * 101})
    assert empty.status_code == 422
    assert error(empty)["problems"] == ["text: is required", "name: at most 100 characters"]
    assert client.post(path, data="text=x").status_code == 415
    assert client.post(path, data="[1]", content_type="application/json").status_code == 400
    plain = public_item(w, "不是公示")
    refused = client.post(f"/api/v1/items/{plain.id}/objections", json={"text": "异议"})
    assert refused.status_code == 409 and error(refused)["code"] == "conflict"
    hidden = published(w, **texts("党内公示"), is_notice=True)
    assert (
        client.post(f"/api/v1/items/{hidden.id}/objections", json={"text": "x"}).status_code == 404
    )


def test_an_objection_after_the_notice_period_is_refused(w, client):
    notice = public_item(w, "已过期公示", is_notice=True)
    db.session.get(Item, notice.id).notice_ends_at = datetime.now(UTC) - timedelta(minutes=1)
    db.session.commit()
    response = client.post(f"/api/v1/items/{notice.id}/objections", json={"text": "晚了"})
    assert response.status_code == 409
    assert db.session.scalars(select(Objection)).all() == []


class TestRateLimit:
    @pytest.fixture
    def app_settings(self, app_settings):
        return {**app_settings, "config": {"RATELIMIT_ENABLED": True}}

    @pytest.mark.rule("PUB-5")
    def test_objections_share_the_forms_rate_limit(self, w, client):
        notice = public_item(w, "限流公示", is_notice=True)
        path = f"/api/v1/items/{notice.id}/objections"
        assert [client.post(path, json={"text": f"异议{n}"}).status_code for n in range(3)] == [
            201,
            201,
            201,
        ]
        limited = client.post(path, json={"text": "第四条"})
        assert limited.status_code == 429 and error(limited)["code"] == "too_many_requests"
        assert len(db.session.scalars(select(Objection)).all()) == 3


# --- workflow steps --------------------------------------------------------------------------


def step(client, item_id: int, name: str, headers, body=None):
    return client.post(f"/api/v1/items/{item_id}/transitions/{name}", json=body, headers=headers)


@pytest.mark.rule("ARC-1")
def test_workflow_steps_through_the_api_publish_and_register(w, client):
    item = items.create(w["unit"], plan(**PUBLIC, **texts("接口发布")), actor=w["editor"])
    db.session.commit()
    editor = token(w["editor"], scopes=["items:write"])
    reviewer = token(w["reviewer"], scopes=["items:write"])
    admin = token(w["admin"], scopes=["items:write"])
    assert step(client, item.id, "propose", editor).get_json()["state"] == "proposed"
    incomplete = step(client, item.id, "review", reviewer, {"secrecy_passed": True})
    assert incomplete.status_code == 422
    assert "secrecy_basis: is required" in error(incomplete)["problems"]
    findings = {"secrecy_passed": True, "secrecy_basis": "《条例》第十条", "necessity_ok": True,
                "accuracy_ok": True}  # fmt: skip
    assert step(client, item.id, "review", reviewer, findings).get_json()["state"] == "reviewed"
    approved = step(client, item.id, "approve", admin).get_json()
    assert approved["state"] == "approved" and "schedule" in approved["transitions"]
    assert step(client, item.id, "schedule", editor).get_json()["state"] == "scheduled"
    published_ = step(client, item.id, "publish", admin)
    assert published_.status_code == 200 and published_.get_json()["state"] == "published"
    assert published_.get_json()["published_at"]
    db.session.remove()
    entry = db.session.scalars(select(RegisterEntry)).one()
    assert entry.action == "publish" and entry.object_id == str(item.id)
    assert entry.actor_label == "it-admin"
    actions = set(db.session.scalars(
        select(AuditEntry.action).where(AuditEntry.object_type == "item",
                                        AuditEntry.object_id == str(item.id))
    ))  # fmt: skip
    assert {
        "item.propose",
        "item.review",
        "item.approve",
        "item.schedule",
        "item.publish",
    } <= actions
    assert client.get(f"/api/v1/items/{item.id}").status_code == 200  # public now


def test_refused_steps_are_409_and_missing_inputs_422(w, client):
    item = items.create(w["unit"], plan(), actor=w["editor"])
    db.session.commit()
    admin = token(w["admin"], scopes=["items:write"])
    refused = step(client, item.id, "publish", admin)
    assert refused.status_code == 409 and error(refused)["code"] == "conflict"
    assert error(refused)["problems"]  # why: the state
    missing = step(client, item.id, "withhold", admin, {})
    assert missing.status_code == 422 and error(missing)["problems"] == ["reason: is required"]
    wrong_type = step(client, item.id, "withhold", admin, {"reason": 5})
    assert error(wrong_type)["problems"] == ["reason: must be a string"]
    member = step(client, item.id, "propose", token(w["member"], scopes=["items:write"]))
    assert member.status_code == 404  # a member does not see drafts
    reviewer = step(client, item.id, "propose", token(w["reviewer"], scopes=["items:write"]))
    assert reviewer.status_code == 403 and error(reviewer)["code"] == "forbidden"
    anonymous = step(client, item.id, "propose", {})
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"].startswith("Bearer")
    assert step(client, item.id, "fly", admin).status_code == 404
    db.session.remove()
    assert db.session.get(Item, item.id).state == "draft"


def test_the_workflow_view_of_an_item(w, client):
    item = items.create(w["unit"], plan(), actor=w["editor"])
    through_review(w, item)
    db.session.commit()
    path = f"/api/v1/items/{item.id}/transitions"
    body = client.get(path, headers=token(w["admin"], scopes=["items:write"])).get_json()
    assert body["state"] == "reviewed" and "approve" in body["transitions"]
    # the steps this token may run: none for a read-only token
    assert client.get(path, headers=token(w["admin"])).get_json()["transitions"] == []
    assert client.get(f"/api/v1/items/{item.id}/transitions").status_code == 401


def test_refusals_answer_in_the_readers_language(w, client):
    """Issue 11: the message and the problems of an API refusal are in the caller's language
    (Accept-Language), with the field's name as the code before them."""
    zh = {"Accept-Language": "zh-CN,zh;q=0.9"}
    bad = error(client.get("/api/v1/orgs/it-unit/items?limit=0", headers=zh))
    assert bad["message"] == "请求参数无效。"
    assert "limit: 1 至 100 之间的整数" in bad["problems"]
    path = "/api/v1/orgs/it-unit/register"
    anonymous = error(client.get(path, headers=zh))
    assert anonymous["message"] == "登记簿仅供本单位管理员和上级查看：请提供令牌。"
    admin = {**token(w["admin"], scopes=["register:read"]), **zh}
    year = error(client.get(path + "?year=1800", headers=admin))
    assert year["problems"] == ["year: 2000 至 2100 之间的年份"]
    english = error(client.get(path + "?year=1800", headers={**admin, "Accept-Language": "en"}))
    assert english["problems"] == ["year: a year from 2000 to 2100"]
