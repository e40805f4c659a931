"""The public portal: unit and county portals, item pages, objections, search, feeds, sitemap,
the items API, caching and the query budget (PUB-5, PUB-7, SCOPE-1; DESIGN.md Budgets)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import event, inspect, select

from core import db
from core.items import operations as items
from core.items.models import Attachment, Item, ItemVersion, Objection
from core.plugins.testing import csrf_token
from core.search import operations as search_ops
from tests.items_helpers import build_world, plan, published, through_review

PASSWORD = "long-enough-pw"
PUBLIC = {"entry_key": "org.election", "scope": "public", "channels": ["website"]}
ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture
def w(make_org):
    return build_world(make_org)


def texts(marker: str, body: str = "") -> dict:
    return {
        "titles": {"zh_Hans_CN": f"公开事项 {marker}"},
        "bodies": {"zh_Hans_CN": f"{marker} 的正文。\n\n{body}"},
    }


def public_item(w, marker: str, body: str = "", **overrides) -> Item:
    return published(w, **{**PUBLIC, **texts(marker, body), **overrides})


def finish(w, item: Item) -> Item:
    """Draft → published through the whole workflow."""
    through_review(w, item)
    items.approve(item, actor=w["admin"])
    if item.state == "superior_review":
        items.superior_decide(item, actor=w["bureau_reviewer"], approve=True)
    items.schedule_publication(item, actor=w["editor"])
    items.publish(item)
    db.session.commit()
    return item


def fresh(obj):
    """``obj`` in the current session (a request ends the session its objects were loaded in)."""
    return db.session.get(type(obj), inspect(obj).identity[0])


def quick_item(
    org,
    title: str,
    *,
    scope: str = "public",
    entry_key: str | None = "org.election",
    is_notice: bool = False,
    versions: int = 1,
    attachments: int = 0,
) -> Item:
    """A disclosed item written directly (no workflow), indexed: for volume."""
    org = fresh(org)
    now = datetime.now(UTC)
    item = Item(
        org_id=org.id,
        root_id=org.root_id,
        state="published",
        scope=scope,
        visible_scope=scope,
        channels=["website"],
        published_at=now,
        entry_key=entry_key,
        category_key="org",
        is_notice=is_notice,
        notice_ends_at=now + timedelta(days=7) if is_notice else None,
    )
    db.session.add(item)
    db.session.flush()
    for number in range(1, versions + 1):
        version = ItemVersion(
            item_id=item.id,
            number=number,
            titles={"zh_Hans_CN": f"{title} v{number}"},
            bodies={"zh_Hans_CN": f"{title} 正文 党费"},
            published_at=now,
            explanation=f"第{number}次更正" if number > 1 else None,
        )
        db.session.add(version)
        db.session.flush()
        for n in range(attachments):
            db.session.add(
                Attachment(
                    item_id=item.id,
                    version_id=version.id,
                    filename=f"附件{n}.pdf",
                    content_type="application/pdf",
                    size=10,
                    sha256="0" * 64,
                    storage_key=f"00/{n}.pdf",
                )
            )
        item.current_version_id = version.id
    db.session.flush()
    db.session.refresh(item)
    search_ops.index_item(item)
    return item


def html(response) -> str:
    return response.get_data(as_text=True)


def h1(page: str) -> str:
    found = re.search(r"<h1[^>]*>(.*?)</h1>", page, re.S)
    assert found, "the page has no <h1>"
    return re.sub(r"<[^>]+>", "", found.group(1)).strip()


class QueryCounter:
    def __init__(self):
        self.count = 0

    def __call__(self, *args, **kwargs):
        self.count += 1


@pytest.fixture
def count_queries(app):
    engine = db.session.get_bind()
    counter = QueryCounter()
    event.listen(engine, "before_cursor_execute", counter)
    yield counter
    event.remove(engine, "before_cursor_execute", counter)


def statements(count_queries, client, path: str) -> int:
    db.session.expire_all()
    count_queries.count = 0
    response = client.get(path)
    assert response.status_code == 200, path
    return count_queries.count


# --- the unit and county portals -------------------------------------------------------------


@pytest.mark.rule("PUB-5")
def test_unit_portal_shows_the_catalogue_with_latest_items_notices_and_recent_items(w, client):
    older = public_item(w, "旧的换届公告")
    newer = public_item(w, "新的换届公告")
    notice = public_item(w, "候选人公示", is_notice=True)
    page = html(client.get("/o/it-unit/?lang=en"))
    assert h1(page) == "it-unit 党组织"
    # the catalogue tree: category, entries, the latest item per entry (not a revoked one)
    assert "组织管理" in page and "换届选举情况" in page and "党费收缴、使用和管理情况" in page
    latest = page.split('class="portal-catalogue"')[1].split("</section>")[0]
    assert f'href="/o/it-unit/items/{notice.id}"' in latest  # newest of org.election
    assert f"/items/{older.id}" not in latest
    assert "nothing published yet" in latest  # org.fees has no visible item
    # the notice in its period with its countdown and end time
    notices = page.split('class="notices"')[1].split("</section>")[0]
    assert "候选人公示" in notices
    assert re.search(r"6 days 23 hours left|7 days 0 hours left", notices)
    assert f'datetime="{notice.notice_ends_at.isoformat()}"' in notices
    # recent items and the feed
    recent = page.split('class="recent"')[1].split("</section>")[0]
    assert recent.index(f"/items/{newer.id}") < recent.index(f"/items/{older.id}")
    assert 'type="application/atom+xml" href="/o/it-unit/feed.atom"' in page
    assert 'action="/o/it-unit/search"' in page


def test_county_portal_shows_the_subtree_directory_and_a_search_box(w, client, make_org):
    item = public_item(w, "全县可见的换届公告")
    page = html(client.get("/o/it-county/?lang=en"))
    assert h1(page) == "it-county 党组织"
    recent = page.split('class="recent"')[1].split("</section>")[0]
    assert "Latest disclosures of the county" in recent
    assert f'href="/o/it-unit/items/{item.id}"' in recent and "it-unit" in recent
    assert 'href="/o/it-child/"' in page  # the directory tree, as before
    assert 'role="search"' in page and 'action="/o/it-county/search"' in page
    # another county's portal does not show it
    assert f"/items/{item.id}" not in html(client.get("/o/it-other/"))


def test_a_revoked_item_is_not_the_latest_of_its_entry(w, client):
    kept = public_item(w, "仍然有效")
    revoked = public_item(w, "已被撤销")
    items.request_revocation(revoked, actor=w["admin"], explanation="重复发布")
    items.decide_revocation(revoked, actor=w["bureau_reviewer"], approve=True)
    db.session.commit()
    page = html(client.get("/o/it-unit/"))
    latest = page.split('class="portal-catalogue"')[1].split("</section>")[0]
    assert f"/items/{kept.id}" in latest and f"/items/{revoked.id}" not in latest
    recent = page.split('class="recent"')[1].split("</section>")[0]
    assert f"/items/{revoked.id}" in recent and "badge-revoked" in recent


@pytest.mark.parametrize("viewer", [None, "member"])
@pytest.mark.parametrize(
    "path",
    [
        "/o/it-unit/",
        "/o/it-county/",
        "/o/it-county/feed.atom",
        "/sitemap.xml",
        "/api/v1/orgs/it-county/items?per_page=100",
    ],
)
def test_list_pages_queries_do_not_grow_with_the_items(
    w, client, login, count_queries, viewer, path
):
    if viewer:
        login(f"it-{viewer}", PASSWORD)

    def add(n: int) -> None:
        for i in range(n):
            quick_item(
                w["unit"],
                f"事项{i}",
                entry_key=("org.election", "org.fees", None)[i % 3],
                scope=("public", "party_wide", "unit")[i % 3],
                is_notice=i % 4 == 0,
            )
            quick_item(w["child"], f"下级事项{i}", entry_key=None)
        db.session.commit()

    add(3)
    few = statements(count_queries, client, path)
    add(27)
    many = statements(count_queries, client, path)
    assert few == many
    assert many <= 21  # 20, and the county's branding in the header (core.appearance: one query)


# --- the item page ---------------------------------------------------------------------------


def test_item_page_shows_the_item_with_its_title_as_h1(w, client):
    item = public_item(
        w,
        "换届选举结果",
        body="# 标题\n\n<script>alert(1)</script> **当选**",
        decision_date=date(2026, 3, 20),
    )
    page = html(client.get(f"/o/it-unit/items/{item.id}?lang=en"))
    assert h1(page) == "公开事项 换届选举结果"
    assert "<strong>当选</strong>" in page and "<script>alert" not in page
    assert "<h2>标题</h2>" in page  # the body's headings sit below the page's <h1>
    assert 'datetime="2026-03-20"' in page
    assert f'datetime="{item.published_at.isoformat()}"' in page
    facts = page.split('class="facts item-facts"')[1].split("</dl>")[0]
    assert "组织管理 › 换届选举情况" in re.sub(r"<[^>]+>", "", facts)  # category › entry
    assert "Website" in facts or "网站" in facts  # channels in words
    assert "public" not in facts  # codes are not shown, words are


def test_item_page_is_404_for_another_organisation_or_an_unknown_item(w, client):
    item = public_item(w, "只属于本单位")
    assert client.get(f"/o/it-sibling/items/{item.id}").status_code == 404
    assert client.get(f"/o/it-county/items/{item.id}").status_code == 404
    assert client.get("/o/it-unit/items/999999").status_code == 404


@pytest.mark.rule("SCOPE-1")
def test_item_page_of_an_intra_party_item_needs_a_member(w, client, login):
    item = published(w, **texts("党内事项"))  # party_wide
    # signed out: asked to sign in, with a link back, and nothing of the item
    refused = client.get(f"/o/it-unit/items/{item.id}")
    assert refused.status_code == 403
    assert "党内事项" not in html(refused)
    assert f'href="/auth/login?next=/o/it-unit/items/{item.id}"' in html(refused)
    login("it-member", PASSWORD)
    assert h1(html(client.get(f"/o/it-unit/items/{item.id}"))) == "公开事项 党内事项"


@pytest.mark.rule("PUB-7")
def test_every_version_stays_readable_with_its_explanation(w, client):
    item = public_item(w, "第一版")
    items.request_amendment(
        item,
        actor=w["editor"],
        titles={"zh_Hans_CN": "公开事项 第二版"},
        bodies={"zh_Hans_CN": "更正后的正文"},
        explanation="原公布数字有误，予以更正",
    )
    db.session.commit()
    pending = html(client.get(f"/o/it-unit/items/{item.id}"))
    assert h1(pending) == "公开事项 第一版"
    assert "第二版" not in pending and "予以更正" not in pending  # not before the approval
    item = fresh(item)
    items.decide_amendment(item, actor=w["bureau_reviewer"], approve=True)
    db.session.commit()
    page = html(client.get(f"/o/it-unit/items/{item.id}?lang=en"))
    assert h1(page) == "公开事项 第二版"
    versions = page.split('class="versions"')[1].split("</section>")[0]
    assert "Version 2" in versions and "Version 1" in versions
    assert "原公布数字有误，予以更正" in versions
    assert "公开事项 第一版" in versions and "第一版 的正文" in versions  # version 1 stays readable


@pytest.mark.rule("PUB-7")
def test_a_revoked_item_shows_its_revocation_notice(w, client):
    item = public_item(w, "将被撤销")
    items.request_revocation(item, actor=w["admin"], explanation="该事项已由上级统一公开")
    db.session.commit()
    assert "该事项已由上级统一公开" not in html(
        client.get(f"/o/it-unit/items/{item.id}")
    )  # pending
    item = fresh(item)
    items.decide_revocation(item, actor=w["bureau_reviewer"], approve=True)
    db.session.commit()
    page = html(client.get(f"/o/it-unit/items/{item.id}?lang=en"))
    notice = page.split('class="notice revocation"')[1].split("</section>")[0]
    assert "This item has been revoked" in notice and "该事项已由上级统一公开" in notice
    assert h1(page) == "公开事项 将被撤销"  # still readable


def test_attachments_download_with_their_type_and_name(w, client, login):
    item = items.create(w["unit"], plan(**PUBLIC, **texts("带附件")), actor=w["editor"])
    att = items.add_attachment(item, "选举结果.pdf", PDF, actor=w["editor"])
    finish(w, item)
    page = html(client.get(f"/o/it-unit/items/{item.id}"))
    url = f"/o/it-unit/items/{item.id}/attachments/{att.id}"
    assert f'href="{url}"' in page
    response = client.get(url)
    assert response.status_code == 200 and response.data == PDF
    assert response.mimetype == "application/pdf"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and "filename*=UTF-8''" in disposition
    # another item's attachment id, or an attachment of an unapproved amendment: 404
    other = public_item(w, "另一个")
    assert client.get(f"/o/it-unit/items/{other.id}/attachments/{att.id}").status_code == 404
    item = fresh(item)
    items.request_amendment(
        item, actor=w["editor"], bodies={"zh_Hans_CN": "新版本"}, explanation="补充附件"
    )
    pending = items.add_attachment(item, "补充.pdf", PDF + b" ", actor=w["editor"])
    db.session.commit()
    assert client.get(f"/o/it-unit/items/{item.id}/attachments/{pending.id}").status_code == 404
    assert client.get(url).status_code == 200


@pytest.mark.rule("SCOPE-1")
def test_attachments_of_intra_party_items_need_a_member(w, client, login):
    item = items.create(w["unit"], plan(**texts("党内附件")), actor=w["editor"])
    att = items.add_attachment(item, "名单.pdf", PDF, actor=w["editor"])
    finish(w, item)
    url = f"/o/it-unit/items/{item.id}/attachments/{att.id}"
    assert client.get(url).status_code == 404
    login("it-member", PASSWORD)
    assert client.get(url).status_code == 200


def test_item_page_queries_do_not_grow_with_versions_and_attachments(w, client, count_queries):
    small = quick_item(w["unit"], "一版")
    large = quick_item(w["unit"], "多版", versions=5, attachments=4)
    db.session.commit()
    small_id, large_id = small.id, large.id
    one = statements(count_queries, client, f"/o/it-unit/items/{small_id}")
    many = statements(count_queries, client, f"/o/it-unit/items/{large_id}")
    assert one == many
    assert many <= 13  # 12, and the county's branding in the header (core.appearance: one query)


# --- notices and objections ------------------------------------------------------------------


def notice(w, marker="候选人公示") -> Item:
    return public_item(w, marker, is_notice=True)


@pytest.mark.rule("PUB-5")
def test_a_notice_shows_its_countdown_and_takes_an_objection_without_an_account(w, client):
    item = notice(w)
    path = f"/o/it-unit/items/{item.id}"
    page = html(client.get(path + "?lang=en"))
    period = page.split('class="notice notice-period"')[1].split("</section>")[0]
    assert re.search(r"\d+ days? \d+ hours? left", period)
    assert "The notice period ends at" in period
    token = csrf_token(client, path)
    response = client.post(
        path + "/objections",
        data={
            "csrf_token": token,
            "text": "候选人张某不符合条件",
            "name": "",
            "contact": "13800000000",
        },
    )
    # redirect after the POST: reloading the confirmation does not lodge a second objection
    assert response.status_code == 303
    confirmation = client.get(response.headers["Location"])
    assert "Your objection has been received" in html(confirmation) or "已收到" in html(
        confirmation
    )
    assert client.get(response.headers["Location"]).status_code == 200
    objection = db.session.scalar(select(Objection).where(Objection.item_id == item.id))
    assert objection.text == "候选人张某不符合条件"
    assert (
        objection.contact == "13800000000" and objection.name is None and objection.user_id is None
    )


@pytest.mark.rule("PUB-5")
def test_an_invalid_objection_comes_back_with_what_was_written(w, client):
    item = notice(w)
    path = f"/o/it-unit/items/{item.id}"
    token = csrf_token(client, path)
    response = client.post(
        path + "/objections", data={"csrf_token": token, "text": "  ", "name": "李四"}
    )
    assert response.status_code == 400
    assert 'value="李四"' in html(response)
    long_name = "名" * 101
    response = client.post(
        path + "/objections?lang=en",
        data={"csrf_token": token, "text": "我有异议：票数不对", "name": long_name},
    )
    assert response.status_code == 400
    page = html(response)
    assert "A name has at most 100 characters" in page
    assert ">我有异议：票数不对</textarea>" in page
    assert db.session.scalar(select(Objection.id)) is None


@pytest.mark.rule("PUB-5")
def test_an_objection_with_an_expired_form_keeps_the_text(w, client):
    item = notice(w)
    path = f"/o/it-unit/items/{item.id}"
    response = client.post(path + "/objections", data={"csrf_token": "forged", "text": "票数有误"})
    assert response.status_code == 400
    assert ">票数有误</textarea>" in html(response)
    assert db.session.scalar(select(Objection.id)) is None


@pytest.mark.rule("PUB-5")
def test_an_objection_after_the_period_is_refused_with_a_message(w, client):
    item = notice(w)
    path = f"/o/it-unit/items/{item.id}"
    token = csrf_token(client, path)
    fresh(item).notice_ends_at = datetime.now(UTC) - timedelta(minutes=1)
    db.session.commit()
    response = client.post(
        path + "/objections?lang=en", data={"csrf_token": token, "text": "太晚了吗"}
    )
    assert response.status_code == 409
    page = html(response)
    assert "objections are no longer accepted" in page
    assert "太晚了吗" in page  # what the visitor wrote is shown back
    assert 'name="text"' not in page  # no form any more
    assert db.session.scalar(select(Objection.id)) is None
    # a plain (non-notice) item takes none either
    plain = public_item(w, "普通事项")
    response = client.post(
        f"/o/it-unit/items/{plain.id}/objections", data={"csrf_token": token, "text": "x"}
    )
    assert response.status_code == 409


def test_objections_to_an_invisible_item_are_404(w, client):
    item = published(w, **texts("党内公示"), is_notice=True)  # party_wide
    token = csrf_token(client, "/auth/login")
    response = client.post(
        f"/o/it-unit/items/{item.id}/objections", data={"csrf_token": token, "text": "x"}
    )
    assert response.status_code == 404


class TestRateLimit:
    @pytest.fixture
    def app_settings(self, app_settings):
        return {**app_settings, "config": {"RATELIMIT_ENABLED": True}}

    @pytest.mark.rule("PUB-5")
    def test_objections_are_rate_limited_per_address(self, w, client):
        item = notice(w)
        path = f"/o/it-unit/items/{item.id}"
        token = csrf_token(client, path)
        for n in range(3):
            response = client.post(
                path + "/objections", data={"csrf_token": token, "text": f"异议{n}"}
            )
            assert response.status_code == 303
        response = client.post(
            path + "/objections", data={"csrf_token": token, "text": "第四条异议"}
        )
        assert response.status_code == 429
        assert ">第四条异议</textarea>" in html(response)
        assert len(db.session.scalars(select(Objection)).all()) == 3
        # another address is not limited
        response = client.post(
            path + "/objections",
            data={"csrf_token": token, "text": "别处的异议"},
            environ_base={"REMOTE_ADDR": "10.0.0.9"},
        )
        assert response.status_code == 303


class TestRateLimitBehindProxies:
    @pytest.fixture
    def app_settings(self, app_settings):
        config = {"RATELIMIT_ENABLED": True, "RATELIMIT_TRUSTED_PROXIES": 1}
        return {**app_settings, "config": config}

    def test_the_client_is_the_address_the_trusted_proxy_saw(self, w, client):
        path = f"/o/it-unit/items/{notice(w).id}"
        token = csrf_token(client, path)

        def post(forwarded: str) -> int:
            data = {"csrf_token": token, "text": "异议"}
            headers = {"X-Forwarded-For": forwarded}
            return client.post(path + "/objections", data=data, headers=headers).status_code

        assert [post("203.0.113.7") for _ in range(3)] == [303, 303, 303]
        assert post("203.0.113.7") == 429
        assert post("198.51.100.1, 203.0.113.7") == 429  # a forged first hop changes nothing
        assert post("203.0.113.8") == 303


def test_rate_limits_are_kept_in_redis_when_configured(w, app_settings, redis_server):
    from redis import Redis

    from core.app import create_app

    Redis.from_url(redis_server.url).flushdb()
    limited = create_app(
        config={"RATELIMIT_ENABLED": True}, **{**app_settings, "redis_url": redis_server.url}
    )
    assert limited.config["RATELIMIT_STORAGE_URI"] == redis_server.url
    item_id = notice(w).id
    client = limited.test_client()
    path = f"/o/it-unit/items/{item_id}"
    token = csrf_token(client, path)
    response = client.post(path + "/objections", data={"csrf_token": token, "text": "异议"})
    assert response.status_code == 303
    assert any(b"gongkai-rl" in key for key in Redis.from_url(redis_server.url).keys("*"))


# --- search ----------------------------------------------------------------------------------


def test_search_finds_a_two_character_word(w, client):
    found = public_item(w, "收缴情况", body="本季度党费已全部收齐")
    public_item(w, "无关事项", body="换届筹备工作")
    response = client.get("/o/it-unit/search?q=党费&lang=en")
    assert response.status_code == 200
    page = html(response)
    results = page.split('class="results"')[1].split("</section>")[0]
    assert "1 item found" in results
    assert f'href="/o/it-unit/items/{found.id}"' in results
    assert "本季度<mark>党费</mark>已全部收齐" in results  # the snippet, the match marked
    assert 'class="snippet" lang="zh-Hans-CN"' in results  # Chinese text on an English page
    assert "无关事项" not in results


def test_search_results_mark_the_words_in_titles_and_snippets_in_the_readers_language(w, client):
    item = public_item(w, "党费收缴情况", body="本季度应缴党费１２００元，实缴１２００元。")
    item = fresh(item)
    items.request_amendment(
        item,
        actor=w["editor"],
        titles={"zh_Hans_CN": "党费收缴情况", "en": "Party dues"},
        bodies={
            "zh_Hans_CN": "本季度应缴党费１２００元，实缴１２００元。",
            "en": "Dues paid: 1200.",
        },
        explanation="增加英文文本",
    )
    items.decide_amendment(item, actor=w["bureau_reviewer"], approve=True)
    db.session.commit()
    results = html(client.get("/o/it-unit/search?q=党费"))
    results = results.split('class="results"')[1].split("</section>")[0]
    assert "<mark>党费</mark>收缴情况" in results
    assert "应缴<mark>党费</mark>１２００元，实缴１２００元。" in results
    assert "Dues" not in results and "Party" not in results
    english = html(client.get("/o/it-unit/search?q=1200&lang=en"))
    english = english.split('class="results"')[1].split("</section>")[0]
    assert "Dues paid: <mark>1200</mark>." in english and "党费" not in english.split("<h3")[1]


def test_search_within_the_county_finds_subtree_items_and_filters(w, client):
    item = public_item(w, "换届公告", body="党费")
    old = quick_item(w["unit"], "旧事项")
    old.published_at = datetime(2025, 1, 10, tzinfo=UTC)
    search_ops.index_item(old)
    db.session.commit()
    page = html(client.get("/o/it-county/search?q=党费&lang=en"))
    assert f"/o/it-unit/items/{item.id}" in page and f"/o/it-unit/items/{old.id}" in page
    page = html(client.get("/o/it-county/search?q=党费&from=2026-01-01&lang=en"))
    assert f"/items/{item.id}" in page and f"/items/{old.id}" not in page
    page = html(client.get("/o/it-county/search?q=党费&category=org&cadence=immediate&lang=en"))
    assert f"/items/{item.id}" in page and f"/items/{old.id}" not in page
    assert '<option value="org" selected>' in page
    assert client.get("/o/it-county/search?q=党费&from=yesterday").status_code == 400
    assert client.get("/o/it-county/search?q=党费&cadence=weekly").status_code == 400


def test_search_paginates(w, client):
    for n in range(23):
        quick_item(w["unit"], f"分页事项{n}")
    db.session.commit()
    first = html(client.get("/o/it-unit/search?q=分页&lang=en"))
    assert "23 items found" in first and "Page 1 of 2" in first
    assert 'href="/o/it-unit/search?q=%E5%88%86%E9%A1%B5&amp;page=2"' in first
    second = html(client.get("/o/it-unit/search?q=分页&page=2&lang=en"))
    assert second.count('class="result"') == 3 and 'start="21"' in second


def test_a_broad_search_says_more_than_the_window_and_how_to_narrow_it(w, client, monkeypatch):
    monkeypatch.setattr(search_ops, "RESULT_WINDOW", 3)
    for n in range(5):
        quick_item(w["unit"], f"宽泛事项{n}")
    db.session.commit()
    page = html(client.get("/o/it-unit/search?q=宽泛&lang=en"))
    assert "More than 3 items found" in page and "These are the newest 3" in page
    assert page.count('class="result"') == 3
    zh = html(client.get("/o/it-unit/search?q=宽泛&lang=zh_Hans_CN"))
    assert "找到超过3个事项" in zh
    exact = html(client.get("/o/it-unit/search?q=宽泛事项4&lang=en"))
    assert "1 item found" in exact and "More than" not in exact


def test_empty_and_too_long_searches(w, client):
    response = client.get("/o/it-unit/search?lang=en")
    assert response.status_code == 200
    assert "Type a word or a few characters" in html(response)
    assert 'class="results"' not in html(response)
    response = client.get("/o/it-unit/search?q=" + "党" * 101 + "&lang=en")
    assert response.status_code == 400
    assert "The search is too long" in html(response)
    assert client.get("/o/it-unit/search?q=%21%21%21&lang=en").status_code == 200  # "!!!": a hint


def test_search_page_queries_do_not_grow_with_the_matches(w, client, count_queries):
    quick_item(w["unit"], "党费一")
    db.session.commit()
    few = statements(count_queries, client, "/o/it-unit/search?q=党费")
    for n in range(25):
        quick_item(w["unit"], f"党费{n}")
    db.session.commit()
    assert statements(count_queries, client, "/o/it-unit/search?q=党费") == few


# --- feeds and sitemap -----------------------------------------------------------------------


def feed_entries(client, path: str) -> list[ET.Element]:
    response = client.get(path)
    assert response.status_code == 200
    assert response.mimetype == "application/atom+xml"
    root = ET.fromstring(response.data)
    assert root.tag == f"{ATOM}feed"
    assert root.find(f"{ATOM}id") is not None and root.find(f"{ATOM}updated") is not None
    return root.findall(f"{ATOM}entry")


@pytest.mark.rule("SCOPE-1")
def test_feeds_are_valid_atom_with_public_items_only(w, client, login):
    public = public_item(w, "公开<事项>&符号", body="**加粗**")
    published(w, **texts("党内事项"))
    child = quick_item(w["child"], "下级公开事项", entry_key=None)
    quick_item(w["child"], "下级党内事项", entry_key=None, scope="party_wide")
    db.session.commit()
    login("it-member", PASSWORD)  # feeds are shared: the same for a member
    unit = feed_entries(client, "/o/it-unit/feed.atom")
    titles = [e.find(f"{ATOM}title").text for e in unit]
    assert titles == ["下级公开事项 v1", "公开事项 公开<事项>&符号"]
    entry = unit[1]
    assert entry.find(f"{ATOM}link").get("href") == f"http://localhost/o/it-unit/items/{public.id}"
    assert "<strong>加粗</strong>" in entry.find(f"{ATOM}content").text
    county = feed_entries(client, "/o/it-county/feed.atom")
    links = {e.find(f"{ATOM}link").get("href") for e in county}
    assert links == {
        f"http://localhost/o/it-unit/items/{public.id}",
        f"http://localhost/o/it-child/items/{child.id}",
    }
    assert feed_entries(client, "/o/it-sibling/feed.atom") == []
    assert feed_entries(client, "/o/it-other/feed.atom") == []


@pytest.mark.rule("SCOPE-1")
def test_sitemap_lists_portals_catalogues_and_public_items(w, client, make_org):
    public = public_item(w, "公开")
    internal = published(w, **texts("党内"))
    quick_item(w["other_county"], "外县公开", entry_key=None)
    db.session.commit()
    response = client.get("/sitemap.xml")
    assert response.status_code == 200 and response.mimetype == "application/xml"
    locs = {e.text for e in ET.fromstring(response.data).iter(f"{SITEMAP}loc")}
    assert "http://localhost/o/it-unit/" in locs and "http://localhost/o/it-unit/catalogue" in locs
    assert "http://localhost/o/it-other/" in locs
    assert f"http://localhost/o/it-unit/items/{public.id}" in locs
    assert f"http://localhost/o/it-unit/items/{internal.id}" not in locs
    # on a mapped host: only that county
    fresh(w["county"]).host = "gk.it-county.example"
    db.session.commit()
    locs = {
        e.text
        for e in ET.fromstring(
            client.get("/sitemap.xml", base_url="http://gk.it-county.example").data
        ).iter(f"{SITEMAP}loc")
    }
    assert "http://gk.it-county.example/o/it-unit/" in locs
    assert not any("it-other" in loc for loc in locs)


# --- the JSON API ----------------------------------------------------------------------------


def test_items_api_lists_with_filters(w, client, login):
    first = public_item(w, "第一项", body="党费")
    second = public_item(w, "第二项")
    internal = published(w, **texts("党内项"))
    body = client.get("/api/v1/orgs/it-county/items").get_json()
    assert body["total"] == 2 and [i["id"] for i in body["items"]] == [second.id, first.id]
    row = body["items"][1]
    assert row["title"] == "公开事项 第一项" and row["titles"] == {"zh_Hans_CN": "公开事项 第一项"}
    assert row["url"] == f"http://localhost/o/it-unit/items/{first.id}"
    assert row["api_url"] == f"http://localhost/api/v1/items/{first.id}"
    assert row["organisation"]["code"] == "it-unit"
    assert (
        row["scope"] == "public" and row["channels"] == ["website"] and row["state"] == "published"
    )
    assert row["entry"] == {
        "key": "org.election",
        "title": "换届选举情况",
        "category": {"key": "org", "title": "组织管理"},
    }
    assert row["decision_date"] == "2026-03-20" and row["published_at"].startswith(
        str(first.published_at.year)
    )
    found = client.get("/api/v1/orgs/it-unit/items?q=党费").get_json()
    assert [i["id"] for i in found["items"]] == [first.id] and "党费" in found["items"][0][
        "snippet"
    ]
    assert client.get("/api/v1/orgs/it-unit/items?category=nope").get_json()["total"] == 0
    assert client.get("/api/v1/orgs/it-unit/items?from=2999-01-01").get_json()["total"] == 0
    assert (
        client.get("/api/v1/orgs/it-unit/items?per_page=1&page=2").get_json()["items"][0]["id"]
        == first.id
    )
    login("it-member", PASSWORD)
    member = client.get("/api/v1/orgs/it-unit/items").get_json()
    assert internal.id in {i["id"] for i in member["items"]}


def test_items_api_refuses_bad_parameters(w, client):
    response = client.get("/api/v1/orgs/it-unit/items?from=soon&per_page=1000")
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"]["code"] == "bad_request" and len(body["error"]["problems"]) == 2
    assert client.get("/api/v1/orgs/no-such/items").status_code == 404


@pytest.mark.rule("PUB-7")
def test_item_api_detail_has_body_versions_attachments_and_revocation(w, client, login):
    item = items.create(
        w["unit"], plan(**PUBLIC, **texts("详情", body="**粗体**")), actor=w["editor"]
    )
    att = items.add_attachment(item, "结果.pdf", PDF, actor=w["editor"])
    finish(w, item)
    items.request_amendment(
        item, actor=w["editor"], bodies={"zh_Hans_CN": "更正"}, explanation="更正错字"
    )
    items.decide_amendment(item, actor=w["bureau_reviewer"], approve=True)
    items.request_revocation(item, actor=w["admin"], explanation="已过时")
    items.decide_revocation(item, actor=w["bureau_reviewer"], approve=True)
    db.session.commit()
    body = client.get(f"/api/v1/items/{item.id}").get_json()
    assert body["id"] == item.id and body["state"] == "revoked"
    assert body["body_html"].strip() == "<p>更正</p>"
    assert [(v["number"], v["explanation"], v["current"]) for v in body["versions"]] == [
        (1, None, False),
        (2, "更正错字", True),
    ]
    assert body["versions"][0]["attachments"][0]["url"] == (
        f"http://localhost/o/it-unit/items/{item.id}/attachments/{att.id}"
    )
    assert body["attachments"] == []  # version 2 has none
    assert body["revocation"]["explanation"] == "已过时" and body["revocation"]["revoked_at"]
    assert body["notice"] is False and body["notice_ends_at"] is None
    notice_item = notice(w)
    data = client.get(f"/api/v1/items/{notice_item.id}").get_json()
    assert (
        data["notice_open"] is True
        and data["notice_ends_at"] == notice_item.notice_ends_at.isoformat()
    )


@pytest.mark.rule("SCOPE-1")
def test_item_api_detail_is_404_json_when_not_visible(w, client, login):
    internal = published(w, **texts("党内"))
    response = client.get(f"/api/v1/items/{internal.id}")
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"
    assert client.get("/api/v1/items/999999").status_code == 404
    login("it-member", PASSWORD)
    assert client.get(f"/api/v1/items/{internal.id}").status_code == 200


def test_item_api_hides_items_of_a_disabled_county(w, client):
    from tenants import operations as tenants

    item = public_item(w, "停用县的事项")
    tenants.update_organisation(w["county"], {"enabled": False})
    db.session.commit()
    assert client.get(f"/api/v1/items/{item.id}").status_code == 404
    locs = client.get("/sitemap.xml").get_data(as_text=True)
    assert f"/items/{item.id}" not in locs and "it-unit" not in locs


# --- caching ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/o/it-unit/",
        "/o/it-county/",
        "/o/it-unit/items/{id}",
        "/o/it-unit/catalogue",
        "/o/it-unit/search?q=党费",
        "/o/it-unit/feed.atom",
        "/sitemap.xml",
        "/api/v1/orgs/it-unit/items",
        "/api/v1/items/{id}",
    ],
)
def test_anonymous_pages_are_cacheable_with_an_etag(w, app, path):
    item = public_item(w, "缓存")
    client = app.test_client()
    path = path.format(id=item.id)
    first = client.get(path)
    assert first.status_code == 200
    assert first.headers["Cache-Control"] == "public, max-age=60"
    assert "Accept-Language" in first.headers["Vary"]
    etag = first.headers["ETag"]
    again = client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""


def test_signed_in_and_form_pages_are_private(w, client, login):
    item = public_item(w, "私有")
    notice_item = notice(w)
    response = client.get(
        f"/o/it-unit/items/{notice_item.id}"
    )  # carries the objection form's token
    assert response.headers["Cache-Control"] == "private, no-store"
    login("it-member", PASSWORD)
    for path in ("/o/it-unit/", f"/o/it-unit/items/{item.id}", "/api/v1/orgs/it-unit/items"):
        response = client.get(path)
        assert response.headers["Cache-Control"] == "private, no-store", path
        assert "ETag" not in response.headers
    # feeds are the same for everyone
    assert client.get("/o/it-unit/feed.atom").headers["Cache-Control"] == "public, max-age=60"


def test_attachment_downloads_are_conditional(w, app):
    item = items.create(w["unit"], plan(**PUBLIC, **texts("附件缓存")), actor=w["editor"])
    att = items.add_attachment(item, "a.pdf", PDF, actor=w["editor"])
    finish(w, item)
    client = app.test_client()
    url = f"/o/it-unit/items/{item.id}/attachments/{att.id}"
    first = client.get(url)
    assert first.headers["Cache-Control"] == "public, max-age=60"
    assert client.get(url, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
