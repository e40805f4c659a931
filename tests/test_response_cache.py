"""The response cache of the anonymous public pages (core.portal.response_cache; DESIGN.md
"Budgets"), in process and on a real Redis: repeated anonymous pages come from the store, a
publication (and every other event that changes a page) shows at once, and nobody's page
reaches anyone else."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta

import pytest
from sqlalchemy import delete, inspect

from core import db
from core.catalogue import operations as cat
from core.items import operations as items
from tests.items_helpers import build_world, plan, published, through_review

PASSWORD = "long-enough-pw"
PUBLIC = {"entry_key": "org.election", "scope": "public", "channels": ["website"]}


@pytest.fixture(params=["in-process", "redis"])
def app_settings(request, app_settings):
    """The application with its response cache on (the tests' default is off), its pages in
    process memory or in the session's real Redis."""
    config = {"GONGKAI_RESPONSE_CACHE": True, "GONGKAI_CACHE_PREFIX": f"t{secrets.token_hex(4)}:"}
    settings = {**app_settings, "config": config}
    if request.param == "redis":
        settings["redis_url"] = request.getfixturevalue("redis_server").url
    return settings


@pytest.fixture
def w(make_org):
    return build_world(make_org)


def public(w, title: str, **overrides):
    return published(
        w,
        **{
            **PUBLIC,
            "titles": {"zh_Hans_CN": title},
            "bodies": {"zh_Hans_CN": f"{title}的正文。"},
            **overrides,
        },
    )


def get(client, path: str, **kwargs):
    response = client.get(path, **kwargs)
    assert response.status_code == 200, (path, response.status_code)
    return response


def warm(client, path: str, **kwargs):
    """Request ``path`` until it comes from the store (the first request of an organisation
    learns its county, the second stores the page)."""
    for _ in range(3):
        response = get(client, path, **kwargs)
        if response.headers.get("X-Cache") == "hit":
            return response
    raise AssertionError(f"{path} is not answered from the response cache")


def fresh(obj):
    """``obj`` in the current session (a request ends the session its objects were loaded in)."""
    return db.session.get(type(obj), inspect(obj).identity[0])


def text(response) -> str:
    """The page, without the marks of search matches."""
    return re.sub(r"</?mark>", "", response.get_data(as_text=True))


# --- served from the store -------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/o/it-unit/",
        "/o/it-county/",
        "/o/it-unit/catalogue",
        "/o/it-unit/search?q=%E6%8D%A2%E5%B1%8A",
        "/o/it-unit/feed.atom",
        "/sitemap.xml",
        "/",
        "/api/v1/orgs/it-unit/items",
    ],
)
def test_anonymous_pages_come_from_the_store_with_the_same_answer(app, w, path):
    public(w, "换届选举公告")
    client = app.test_client()
    first = get(client, path)
    cached = warm(client, path)
    assert cached.data == first.data
    assert cached.headers["Content-Type"] == first.headers["Content-Type"]
    assert cached.headers["Cache-Control"].startswith("public")
    assert "Set-Cookie" not in cached.headers
    assert "Accept-Language" in cached.headers["Vary"] and "Cookie" in cached.headers["Vary"]
    # a conditional request gets 304 from the store
    again = client.get(path, headers={"If-None-Match": cached.headers["ETag"].strip('"')})
    assert again.status_code == 304


def test_the_item_page_comes_from_the_store(app, w):
    item = public(w, "换届选举公告")
    warm(app.test_client(), f"/o/it-unit/items/{item.id}")


# --- invalidation ----------------------------------------------------------------------------


def test_a_publication_shows_on_the_portal_at_once(app, w):
    public(w, "第一份公告")
    client = app.test_client()
    warm(client, "/o/it-unit/")
    warm(client, "/o/it-county/")
    warm(client, "/sitemap.xml")
    item = public(w, "刚刚发布的公告")
    for path in ("/o/it-unit/", "/o/it-county/"):
        page = get(client, path)
        assert page.headers.get("X-Cache") != "hit"
        assert "刚刚发布的公告" in text(page), path
    assert f"/items/{item.id}" in text(get(client, "/sitemap.xml"))
    # and the new page is stored again
    warm(client, "/o/it-unit/")


def test_amendment_revocation_and_closing_show_at_once(app, w):
    item = public(w, "将被更正的公告")
    client = app.test_client()
    path = f"/o/it-unit/items/{item.id}"
    warm(client, path)
    item = fresh(item)
    items.request_amendment(
        item,
        actor=w["editor"],
        titles={"zh_Hans_CN": "更正后的公告"},
        bodies={"zh_Hans_CN": "更正后的正文。"},
        explanation="数字有误",
    )
    items.decide_amendment(item, actor=w["bureau_reviewer"], approve=True)
    db.session.commit()
    assert "更正后的公告" in text(get(client, path))

    warm(client, path)
    item = fresh(item)
    items.request_revocation(item, actor=w["admin"], explanation="重复发布")
    items.decide_revocation(item, actor=w["bureau_reviewer"], approve=True)
    db.session.commit()
    assert "badge-revoked" in text(get(client, path)) or "撤销" in text(get(client, path))


def test_a_notice_leaves_the_portal_when_its_period_closes(app, w):
    notice = public(w, "候选人公示", is_notice=True)
    client = app.test_client()
    before = text(warm(client, "/o/it-unit/"))
    assert "候选人公示" in before.split('class="notices"')[1].split("</section>")[0]
    with app.test_request_context("/"):  # time passes: the period has ended ...
        notice = fresh(notice)
        notice.notice_ends_at = db.utcnow() - timedelta(seconds=1)
        db.session.commit()
    assert get(client, "/o/it-unit/").headers.get("X-Cache") == "hit"  # ... no event yet
    assert items.close_notices() == 1  # the sweep closes it: the portal changes at once
    db.session.commit()
    page = text(get(client, "/o/it-unit/"))
    assert (
        'class="notices"' not in page
        or "候选人公示" not in (page.split('class="notices"')[1].split("</section>")[0])
    )


def test_a_catalogue_approval_shows_at_once(app, w):
    client = app.test_client()
    warm(client, "/o/it-unit/catalogue")
    draft = cat.start_draft(fresh(w["unit"]), actor=fresh(w["admin"]))
    category = cat.categories(draft)[0]
    cat.add_entry(
        draft,
        category,
        {
            "titles": {"zh_Hans_CN": "新增的公开条目"},
            "content": {"zh_Hans_CN": "新增条目的公开内容"},
            "responsible": "组织委员",
            "scope": "public",
            "channels": ["website"],
            "cadence": "immediate",
        },
        key="org.new-entry",
    )
    cat.transition(draft, "submit", actor=w["admin"])
    db.session.commit()
    warm(client, "/o/it-unit/catalogue")  # a submitted version changes nothing public
    cat.transition(fresh(draft), "approve", actor=fresh(w["bureau_reviewer"]))
    db.session.commit()
    page = get(client, "/o/it-unit/catalogue")
    assert "新增的公开条目" in text(page)


def test_a_county_channel_renamed_shows_at_once(app, w):
    """A county's own channel (CAT-6) renamed in its console: the item pages that name it show
    the new name at once."""
    from core.catalogue import county_channels
    from core.plugins.testing import csrf_token
    from tests.items_helpers import sign_in

    channel = county_channels.add(
        w["county"],
        {"code": "sunshine_tv", "labels": {"zh_Hans_CN": "阳光台"}, "audience": "society"},
        actor=w["county_admin"],
    )
    db.session.commit()
    item = public(w, "阳光台上的公告", channels=["sunshine_tv"])
    client = app.test_client()
    assert "阳光台" in text(warm(client, f"/o/it-unit/items/{item.id}"))
    admin = sign_in(app, "it-county-admin")  # renamed on the console page: a request
    edit = f"/admin/o/it-county/channels/{channel.id}/edit"
    renamed = admin.post(edit, data={"label_zh_Hans_CN": "阳光电视台", "audience": "society",
                                     "csrf_token": csrf_token(admin, edit)})  # fmt: skip
    assert renamed.status_code == 302
    page = get(client, f"/o/it-unit/items/{item.id}")
    assert page.headers.get("X-Cache") != "hit"
    assert "阳光电视台" in text(page)


def test_a_disabled_organisation_is_gone_at_once(app, w):
    client = app.test_client()
    warm(client, "/o/it-unit/")
    unit = db.session.get(type(w["unit"]), w["unit"].id)
    unit.enabled = False
    db.session.commit()
    assert client.get("/o/it-unit/").status_code == 404


def test_a_rolled_back_publication_keeps_the_store(app, w):
    public(w, "公告")
    client = app.test_client()
    warm(client, "/o/it-unit/")
    item = items.create(
        fresh(w["unit"]), plan(**PUBLIC, titles={"zh_Hans_CN": "未能保存的公告"}), actor=w["editor"]
    )
    through_review(w, item)
    items.approve(item, actor=w["admin"])
    items.schedule_publication(item, actor=w["editor"])
    items.publish(item)  # the event marks the county ...
    db.session.rollback()  # ... but nothing was committed
    page = get(client, "/o/it-unit/")
    assert page.headers.get("X-Cache") == "hit" and "未能保存的公告" not in text(page)


def test_another_county_keeps_its_pages(app, w, make_org):
    client = app.test_client()
    other_unit = make_org("it-other-unit", parent=w["other_county"])
    assert other_unit is not None
    warm(client, "/o/it-other/")
    with app.test_request_context("/admin/o/it-unit/items"):  # published from a request
        public(w, "本县的公告")
    assert get(client, "/o/it-other/").headers.get("X-Cache") == "hit"
    assert "本县的公告" in text(get(client, "/o/it-county/"))


def test_commands_and_jobs_make_every_page_stale(app, w):
    """What is written outside a web request (a command, a job, a sweep, a migration) is not
    described by events: every stored page goes."""
    from core.cli import main
    from core.search.models import SearchDocument

    client = app.test_client()
    warm(client, "/o/it-other/")
    warm(client, "/o/it-unit/")
    runner = app.test_cli_runner()
    assert runner.invoke(main, ["search", "reindex"]).exit_code == 0
    assert get(client, "/o/it-other/").headers.get("X-Cache") != "hit"
    assert get(client, "/o/it-unit/").headers.get("X-Cache") != "hit"
    warm(client, "/o/it-other/")
    db.session.execute(delete(SearchDocument))  # a bulk statement outside a request
    db.session.commit()
    assert get(client, "/o/it-other/").headers.get("X-Cache") != "hit"
    warm(client, "/o/it-other/")
    assert runner.invoke(main, ["db", "upgrade"]).exit_code == 0
    assert get(client, "/o/it-other/").headers.get("X-Cache") != "hit"
    warm(client, "/o/it-other/")
    db.session.commit()  # nothing written: the pages stay
    assert get(client, "/o/it-other/").headers.get("X-Cache") == "hit"


# --- never one viewer's page to another ------------------------------------------------------


@pytest.fixture
def member_client(app, client, login):
    login("it-member", PASSWORD)
    return client


def test_signed_in_pages_are_never_stored_nor_served_from_the_store(app, w, member_client):
    public(w, "面向群众的公告")
    party = published(
        w,
        titles={"zh_Hans_CN": "仅限党员的通报"},
        bodies={"zh_Hans_CN": "党内通报正文。"},
        entry_key="org.fees",
        scope="party_wide",
        channels=["meeting"],
    )
    anonymous = app.test_client()
    for path in ("/o/it-unit/", "/o/it-unit/search?q=%E9%80%9A%E6%8A%A5"):
        for _ in range(3):  # the member first, several times
            page = get(member_client, path)
            assert page.headers.get("X-Cache") != "hit"
            assert "仅限党员的通报" in text(page)
            assert page.headers["Cache-Control"] == "private, no-store"
        seen = get(anonymous, path)
        assert "仅限党员的通报" not in text(seen), path
        # and the other way round: the anonymous page, stored, never reaches the member
        warm(anonymous, path)
        page = get(member_client, path)
        assert page.headers.get("X-Cache") != "hit" and "仅限党员的通报" in text(page)
    refused = anonymous.get(f"/o/it-unit/items/{party.id}")  # asked to sign in, never stored
    assert refused.status_code == 403 and "仅限党员的通报" not in text(refused)
    assert anonymous.get(f"/o/it-unit/items/{party.id}").headers.get("X-Cache") != "hit"
    assert get(member_client, f"/o/it-unit/items/{party.id}").headers.get("X-Cache") != "hit"


def test_an_anonymous_session_with_a_form_token_is_not_stored(app, w):
    notice = public(w, "候选人公示", is_notice=True)
    client = app.test_client()
    path = f"/o/it-unit/items/{notice.id}"
    first = get(client, path)  # the objection form carries a CSRF token: personal
    assert 'name="csrf_token"' in text(first)
    assert first.headers["Cache-Control"] == "private, no-store"
    for _ in range(2):
        assert client.get(path).headers.get("X-Cache") != "hit"
    stranger = app.test_client()
    for _ in range(3):
        page = get(stranger, path)
        assert page.headers.get("X-Cache") != "hit"
        assert "Set-Cookie" in page.headers or stranger.get_cookie("session") is not None


def test_language_and_host_are_part_of_the_key(app, w):
    public(w, "换届选举公告")
    client = app.test_client()
    zh = text(warm(client, "/o/it-unit/", headers={"Accept-Language": "zh-CN"}))
    en = get(client, "/o/it-unit/", headers={"Accept-Language": "en"})
    assert en.headers.get("X-Cache") != "hit"
    assert text(en) != zh and 'lang="en"' in text(en)
    assert 'lang="en"' in text(warm(client, "/o/it-unit/", headers={"Accept-Language": "en"}))
    ug = get(client, "/o/it-unit/?lang=ug")  # sets the language cookie: not stored
    assert "Set-Cookie" in ug.headers and 'dir="rtl"' in text(ug)
    # a cookie alone selects the language the same way
    fresh = app.test_client()
    fresh.set_cookie("lang", "ug")
    assert 'dir="rtl"' in text(warm(fresh, "/o/it-unit/"))
    # a custom host shows its county's portal at /: its own page in the store
    county = db.session.get(type(w["county"]), w["county"].id)
    county.host = "dangwu.example.gov.cn"
    db.session.commit()
    platform = text(warm(client, "/"))
    mapped = text(warm(client, "/", headers={"Host": "dangwu.example.gov.cn"}))
    assert 'action="/o/it-county/search"' in mapped
    assert 'action="/o/it-county/search"' not in platform


# --- the scope suite, through the cache ------------------------------------------------------


def read_without_cookies(app, world):
    """The scope suite's reading of every public surface, by an anonymous visitor whose client
    never keeps a cookie (the suite's readers all carry a session: never answered from the
    store)."""
    from tests import isolation_world as iw
    from tests.test_scope_suite import QUERIES, Reading, is_surface, shown

    reading = Reading(iw.ANONYMOUS)
    client = app.test_client(use_cookies=False)
    for call in iw.calls(app, world, only=is_surface):
        if call.method != "GET":
            continue
        for query in ("", *QUERIES.get(call.endpoint, ())):
            path = call.path + (f"?{query}" if query else "")
            response = client.get(path)
            reading.seen[path] = shown(world, call.endpoint, response, path)  # as the suite reads
            reading.endpoints[path] = call.endpoint
            reading.status[path] = response.status_code
    return reading


@pytest.mark.rule("SCOPE-1")
def test_every_public_surface_keeps_its_scope_through_the_cache(app, monkeypatch):
    """The scope suite's world and surfaces (every public GET route), with the cache on: the
    positive controls (a member, a superior's reviewer) read first, then an anonymous visitor
    without cookies three times (the later readings largely from the store), then the members
    again. Nobody sees a marker their scope does not allow, the members still see theirs, and
    no signed-in reading is answered from the store."""
    from core.portal.response_cache import ResponseCache
    from tests import isolation_world as iw
    from tests.test_scope_suite import leaks, read

    served: list[str] = []
    serve = ResponseCache.serve

    def counted(environ, start_response, hit):
        served.append(environ["PATH_INFO"])
        return serve(environ, start_response, hit)

    monkeypatch.setattr(ResponseCache, "serve", staticmethod(counted))
    world = iw.build()
    order = [iw.B_MEMBER, iw.SUP_REVIEWER, None, None, None, iw.C_MEMBER, iw.B_MEMBER]
    for n, viewer in enumerate(order):
        before = len(served)
        reading = read(app, world, viewer) if viewer else read_without_cookies(app, world)
        found = leaks(reading)
        assert not found, f"{reading.viewer}: " + "\n".join(found[:40])
        missing = iw.visible_to(reading.viewer) - reading.union()
        assert not missing, f"{reading.viewer} does not see {sorted(missing)} anywhere"
        if viewer is None and n == 4:  # the third anonymous reading: from the store
            assert len(served) - before > 50, len(served) - before
        elif viewer is not None:
            assert len(served) == before, f"{viewer} got stored pages"
