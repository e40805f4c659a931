"""The console's homes: My work (``/admin``), an organisation's home (``/admin/o/<code>/``), the
side navigation and its hook ``console_navigation``, the breadcrumbs, where sign-in lands."""

from __future__ import annotations

import re

import pytest

from core import db
from core.plugins.testing import csrf_token
from tenants.operations import get_org
from tests.feedback_helpers import html
from tests.feedback_helpers import sign_in as signed_in
from tests.items_helpers import build_world, user

PASSWORD = "long-enough-pw"


@pytest.fixture
def w(make_org):
    return build_world(make_org)


def sign_in(app, username, lang="en"):
    return signed_in(app, username, lang=lang)


def nav_links(page: str) -> list[str]:
    """The link texts of the side navigation."""
    if 'class="console-side"' not in page:
        return []
    side = page.split('class="console-side"', 1)[1].split("</nav>", 1)[0]
    return re.findall(r"<a href=\"[^\"]+\"[^>]*>([^<]+)</a>", side)


# --- where sign-in lands -----------------------------------------------------------------------


def post_login(client, username, **args):
    token = csrf_token(client, "/auth/login")
    return client.post(
        "/auth/login",
        data={"username": username, "password": PASSWORD, "csrf_token": token, **args},
    )


def test_sign_in_lands_on_my_work_for_anyone_with_a_role(app, w):
    client = app.test_client()
    response = post_login(client, "it-admin", back="/o/it-unit/")
    assert response.headers["Location"] == "/admin"
    member = app.test_client()
    assert post_login(member, "it-member", back="/o/it-unit/").headers["Location"] == "/admin"


def test_sign_in_without_a_role_lands_where_the_person_came_from(app, w):
    user("it-nobody")
    db.session.commit()
    client = app.test_client()
    assert post_login(client, "it-nobody", back="/o/it-unit/items/3").headers["Location"] == (
        "/o/it-unit/items/3"
    )
    other = app.test_client()
    assert post_login(other, "it-nobody").headers["Location"] == "/"


def test_the_page_that_asked_for_sign_in_wins(app, w):
    client = app.test_client()
    response = post_login(client, "it-admin", next="/admin/o/it-unit/items", back="/o/it-unit/")
    assert response.headers["Location"] == "/admin/o/it-unit/items"


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:x"]
)
def test_sign_in_follows_same_site_paths_only(app, w, target):
    user("it-nobody")
    db.session.commit()
    assert post_login(app.test_client(), "it-admin", next=target).headers["Location"] == "/admin"
    assert post_login(app.test_client(), "it-nobody", back=target).headers["Location"] == "/"


def test_the_header_sign_in_link_says_where_the_visitor_came_from(client, w):
    page = html(client.get("/o/it-unit/?lang=en"))
    assert 'href="/auth/login?back=/o/it-unit/?lang%3Den"' in page


# --- the header ---------------------------------------------------------------------------------


def test_the_header_links_my_work_and_the_inbox_for_signed_in_people(app, w):
    page = html(sign_in(app, "it-member").get("/o/it-unit/"))
    quick = page.split('class="header-quick"', 1)[1].split("</nav>", 1)[0]
    assert 'href="/admin"' in quick and "My work" in quick
    assert 'href="/notifications"' in quick


# --- the navigation hook --------------------------------------------------------------------


def test_hook_console_navigation(app, make_org, w):
    """The test plugin's link appears in the side navigation exactly where the plugin is
    enabled and the user may use it (it asks ``items.edit``)."""
    plugged = make_org("it-plugged", parent=w["bureau"], sector="testsector")
    user("it-plugged-admin", ("admin", plugged))
    user("it-plugged-reviewer", ("reviewer", plugged))
    db.session.commit()
    admin = sign_in(app, "it-plugged-admin")
    page = html(admin.get("/admin/o/it-plugged/"))
    assert "Test notes" in nav_links(page)
    assert 'href="/admin/o/it-plugged/testplugin/"' in page
    notes = admin.get("/admin/o/it-plugged/testplugin/")
    assert notes.status_code == 200
    assert 'aria-current="page">Test notes</a>' in html(notes)  # its own page is the current one
    # a reviewer may not use the page: no link
    assert "Test notes" not in nav_links(
        html(sign_in(app, "it-plugged-reviewer").get("/admin/o/it-plugged/"))
    )
    # not enabled: no link, and the page is gone
    unit = html(sign_in(app, "it-admin").get("/admin/o/it-unit/"))
    assert "Test notes" not in nav_links(unit)
    get_org("it-plugged").plugin_settings = {"disabled": ["testplugin"]}
    db.session.commit()
    assert "Test notes" not in nav_links(html(admin.get("/admin/o/it-plugged/")))
    assert admin.get("/admin/o/it-plugged/testplugin/").status_code == 404


def test_hook_my_work(app, make_org, w):
    """The test plugin's group on My work: its ``todo:`` notes, where it is enabled."""
    from gongkai_testplugin import Note

    plugged = make_org("it-plugged", parent=w["bureau"], sector="testsector")
    user("it-plugged-admin", ("admin", plugged))
    db.session.add(Note(org_id=plugged.id, text="todo: check the board"))
    db.session.add(Note(org_id=plugged.id, text="a plain note"))
    db.session.commit()
    page = html(sign_in(app, "it-plugged-admin").get("/admin"))
    assert "Notes to act on" in page
    assert "check the board" in page and "a plain note" not in page
    assert 'href="/admin/o/it-plugged/testplugin/"' in page
    get_org("it-plugged").plugin_settings = {"disabled": ["testplugin"]}
    db.session.commit()
    assert "Notes to act on" not in html(sign_in(app, "it-plugged-admin").get("/admin"))
