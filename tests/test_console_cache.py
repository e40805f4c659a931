"""The page cache of the signed-in console (core.console.page_cache; DESIGN.md "Budgets"), on a
real Redis: a console page read again unchanged comes from the cache; whatever changes what it
shows — in the unit, the person's own data, a statement that may touch anything — shows at once;
a page never reaches another person, another session or another browser, and a kept page never
outlives the right to see it."""

from __future__ import annotations

import re
import secrets

import pytest
from sqlalchemy import inspect, update

from core import db
from core.items import operations as items
from core.plugins.testing import csrf_token
from tenants import operations as tenant_ops
from tenants.models import Organisation, User
from tests.items_helpers import build_world, plan, sign_in

HOME = "/admin/o/it-unit/"
ITEMS = "/admin/o/it-unit/items"


@pytest.fixture
def app_settings(app_settings, redis_server):
    config = {"GONGKAI_CONSOLE_CACHE": True, "GONGKAI_CACHE_PREFIX": f"t{secrets.token_hex(4)}:"}
    return {**app_settings, "redis_url": redis_server.url, "config": config}


@pytest.fixture
def w(make_org):
    return build_world(make_org)


def get(client, path: str):
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code, response.location)
    return response


def hit(response) -> bool:
    return response.headers.get("X-Console-Cache") == "hit"


def warm(client, path: str):
    """Read ``path`` until it comes from the cache (a person's first page learns the counties
    it is drawn from; the next one is kept)."""
    pages = [get(client, path)]
    while not hit(pages[-1]) and len(pages) < 3:
        pages.append(get(client, path))
    assert hit(pages[-1]), f"{path} is not answered from the cache"
    if len(pages) > 1:
        assert pages[-1].get_data() == pages[-2].get_data()  # the same answer
    return pages[-1]


def fresh(obj):
    return db.session.get(type(obj), inspect(obj).identity[0])


def draft(w, title: str):
    item = items.create(
        fresh(w["unit"]), plan(titles={"zh_Hans_CN": title}), actor=fresh(w["editor"])
    )
    db.session.commit()
    return item


def test_a_console_page_read_again_comes_from_the_cache(app, w):
    admin = sign_in(app, "it-admin")
    for path in ("/admin", HOME, ITEMS):
        page = warm(admin, path)
        assert page.headers["Cache-Control"] == "private, no-store"
        assert page.mimetype == "text/html"
    # a download is not kept
    for _ in range(3):
        download = admin.get("/admin/o/it-unit/register/export.csv")
        assert download.status_code == 200 and download.mimetype == "text/csv"
        assert not hit(download)


def test_new_work_reaches_my_work_at_once(app, w):
    reviewer = sign_in(app, "it-reviewer")
    warm(reviewer, "/admin")
    item = draft(w, "待审核的党费收缴情况")
    items.propose(item, actor=fresh(w["editor"]))
    db.session.commit()
    page = get(reviewer, "/admin")
    assert not hit(page) and "待审核的党费收缴情况" in page.get_data(as_text=True)


def test_a_change_in_the_unit_shows_at_once(app, w):
    admin = sign_in(app, "it-admin")
    warm(admin, ITEMS)
    draft(w, "刚起草的党费公示")
    page = get(admin, ITEMS)
    assert not hit(page)
    assert "刚起草的党费公示" in page.get_data(as_text=True)


def test_a_change_in_another_county_keeps_the_page(app, w):
    admin = sign_in(app, "it-admin")
    warm(admin, HOME)
    other = fresh(w["other_county"])
    other.names = {**other.names, "en": {"full": "Another county, renamed", "short": "Another"}}
    db.session.commit()
    assert hit(get(admin, HOME))
    unit = fresh(w["unit"])  # the unit's own organisation changed: drawn again
    unit.names = {**unit.names, "en": {"full": "The renamed unit", "short": "The renamed unit"}}
    db.session.commit()
    page = get(admin, HOME)
    assert not hit(page) and "The renamed unit" in page.get_data(as_text=True)


def test_a_change_of_the_person_shows_at_once(app, w):
    admin = sign_in(app, "it-admin")
    warm(admin, "/admin")
    fresh(w["admin"]).display_name = "新名字的管理员"
    db.session.commit()
    page = get(admin, "/admin")
    assert not hit(page) and "新名字的管理员" in page.get_data(as_text=True)


def test_a_statement_that_may_write_anywhere_makes_every_page_stale(app, w):
    admin = sign_in(app, "it-admin")
    warm(admin, HOME)
    db.session.execute(update(Organisation).where(Organisation.id == -1).values(code="none"))
    db.session.commit()
    assert not hit(get(admin, HOME))
    warm(admin, HOME)
    db.session.commit()  # nothing written: the page stays
    assert hit(get(admin, HOME))


def test_a_page_is_never_served_to_another_person_or_session(app, w):
    admin = sign_in(app, "it-admin")
    kept = warm(admin, HOME).get_data(as_text=True)
    assert "it-admin" in kept
    editor = sign_in(app, "it-editor")
    page = get(editor, HOME)
    assert not hit(page) and "it-admin" not in page.get_data(as_text=True)
    again = sign_in(app, "it-admin")  # the same person, a new session: drawn for it
    assert not hit(get(again, HOME))


def test_another_browser_with_the_cookie_is_not_served_the_page(app, w):
    admin = sign_in(app, "it-admin")
    warm(admin, HOME)
    cookie = admin.get_cookie("session")
    thief = app.test_client()
    thief.set_cookie("session", cookie.value)
    thief.set_cookie("lang", "en")  # every cookie of the browser, all but its User-Agent
    stolen = thief.get(HOME, headers={"User-Agent": "another-browser/1"})
    assert not hit(stolen) and stolen.status_code == 302  # strong protection: signed out
    assert "/auth/login" in stolen.location


def test_a_kept_page_does_not_outlive_the_right_to_see_it(app, w):
    admin = sign_in(app, "it-admin")
    warm(admin, HOME)
    cookie = admin.get_cookie("session").value
    tenant_ops.revoke_membership(fresh(w["admin"]), fresh(w["unit"]), "admin")
    db.session.commit()
    refused = admin.get(HOME)
    assert not hit(refused) and refused.status_code in (302, 403)

    editor = sign_in(app, "it-editor")
    warm(editor, HOME)
    kept_cookie = editor.get_cookie("session").value
    assert (
        editor.post("/auth/logout", data={"csrf_token": csrf_token(editor, HOME)}).status_code
        == 302
    )
    replayed = app.test_client()  # the signed-out session's cookie, from the same browser
    replayed.set_cookie("session", kept_cookie)
    replayed.set_cookie("lang", "en")
    again = replayed.get(HOME)
    assert not hit(again) and again.status_code == 302 and "/auth/login" in again.location
    assert cookie  # (the admin's cookie was the one refused above)


def test_a_deactivated_person_is_not_served_the_page(app, w):
    editor = sign_in(app, "it-editor")
    warm(editor, HOME)
    tenant_ops.set_active(fresh(w["editor"]), False, reason="left the unit")
    db.session.commit()
    page = editor.get(HOME)
    assert not hit(page) and page.status_code == 302


def test_a_message_shown_once_is_not_kept(app, w):
    admin = sign_in(app, "it-admin")
    warm(admin, HOME)
    with admin.session_transaction() as session:
        session["_flashes"] = [("success", "一次性的提示")]
    first = get(admin, HOME)
    assert not hit(first) and "一次性的提示" in first.get_data(as_text=True)
    for _ in range(3):
        assert "一次性的提示" not in get(admin, HOME).get_data(as_text=True)


def test_a_job_or_command_that_writes_makes_the_pages_stale(app, w):
    from core.cli import main

    admin = sign_in(app, "it-admin")
    warm(admin, HOME)
    assert app.test_cli_runner().invoke(main, ["db", "upgrade"]).exit_code == 0
    assert not hit(get(admin, HOME))


def test_the_cache_is_off_without_its_setting(app, w):
    app.config["GONGKAI_CONSOLE_CACHE"] = False
    admin = sign_in(app, "it-admin")
    assert not any(hit(get(admin, HOME)) for _ in range(3))


def test_a_signed_in_page_still_hands_out_a_working_form_token(app, w):
    """The page kept carries the session's form token: a form posted from it is accepted."""
    admin = sign_in(app, "it-admin")
    page = warm(admin, HOME).get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = admin.post("/auth/logout", data={"csrf_token": token})
    assert response.status_code == 302
    assert db.session.get(User, fresh(w["admin"]).id) is not None


def test_a_change_made_while_redis_was_away_shows_when_it_returns(app, w, monkeypatch):
    """The commit could not mark the pages stale (Redis down): the process marks them with its
    next page, before serving anything."""
    admin = sign_in(app, "it-admin")
    warm(admin, ITEMS)
    cache = app.extensions["gongkai.console_cache"]

    def unreachable():
        raise ConnectionError("Redis is restarting")

    monkeypatch.setattr(cache, "redis", unreachable)
    draft(w, "断线时起草的公示")
    assert cache.unsent
    monkeypatch.undo()
    page = get(admin, ITEMS)
    assert not hit(page) and "断线时起草的公示" in page.get_data(as_text=True)
    assert not cache.unsent
