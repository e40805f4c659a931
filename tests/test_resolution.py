"""Tenant resolution from /o/<code>/ and from a mapped host; the portal pages."""

from __future__ import annotations

import re

import pytest

from core import db
from tenants import operations


@pytest.fixture
def counties(make_org):
    a = make_org(
        "county-a", type_code="county_committee", host="gk.county-a.example",
        names={"zh_Hans_CN": {"full": "中共甲县委员会", "short": "甲县委"}},
        contacts={"hotline": "0000-1111", "address": "甲县某路1号"},
        leading_group={"leader": "张三（书记）", "members": ["李四", "王五"]},
    )  # fmt: skip
    bureau = make_org(
        "county-a-bureau", parent=a, type_code="party_committee",
        names={"zh_Hans_CN": {"full": "中共甲县某局委员会", "short": "某局党委"}},
    )  # fmt: skip
    make_org("county-a-branch", parent=bureau,
             names={"zh_Hans_CN": {"full": "某局第一党支部", "short": "第一支部"}})  # fmt: skip
    b = make_org("county-b", type_code="county_committee",
                 names={"zh_Hans_CN": {"full": "中共乙县委员会"}})  # fmt: skip
    make_org("county-b-unit", parent=b)
    return a, b


def test_home_lists_hosted_counties(client, counties):
    html = client.get("/").get_data(as_text=True)
    assert "中共甲县委员会" in html
    assert "中共乙县委员会" in html
    assert 'href="/o/county-a/"' in html


def test_home_without_counties_explains_what_to_do(client):
    html = client.get("/").get_data(as_text=True)
    assert "gongkai demo load" in html


def test_unit_portal_from_the_path(client, counties):
    html = client.get("/o/county-a-branch/").get_data(as_text=True)
    assert "<h1>某局第一党支部</h1>" in html
    # breadcrumb of ancestors
    assert 'href="/o/county-a/"' in html
    assert 'href="/o/county-a-bureau/"' in html
    assert "该党组织没有下级单位" in html


def test_unit_portal_lists_children_and_contacts(client, counties):
    html = client.get("/o/county-a-bureau/").get_data(as_text=True)
    assert 'href="/o/county-a-branch/"' in html
    county = client.get("/o/county-a/").get_data(as_text=True)
    assert "0000-1111" in county
    group = county[county.index('class="leading-group"') :]
    group = re.sub(r"<[^>]+>", "", group[: group.index("</section>")])
    assert "张三（书记）" in group  # a person by name and post
    assert "李四" in group and "王五" in group


def test_county_portal_shows_the_whole_directory(client, counties):
    html = client.get("/o/county-a/").get_data(as_text=True)
    assert "单位目录" in html
    assert 'href="/o/county-a-branch/"' in html  # a grandchild, through the directory tree
    assert "county-b-unit" not in html


def test_unknown_code_is_404(client, counties):
    assert client.get("/o/no-such-unit/").status_code == 404


def test_disabled_county_and_its_units_are_gone(client, counties):
    operations.update_organisation(counties[0], {"enabled": False})
    db.session.commit()
    assert client.get("/o/county-a/").status_code == 404
    assert client.get("/o/county-a-branch/").status_code == 404
    assert "中共甲县委员会" not in client.get("/").get_data(as_text=True)


def test_mapped_host_serves_its_county_portal(client, counties):
    response = client.get("/", base_url="http://gk.county-a.example")
    html = response.get_data(as_text=True)
    assert "<h1>中共甲县委员会</h1>" in html
    assert "中共乙县委员会" not in html


def test_mapped_host_with_port_resolves(client, counties):
    html = client.get("/", base_url="http://gk.county-a.example:8080").get_data(as_text=True)
    assert "<h1>中共甲县委员会</h1>" in html


def test_mapped_host_does_not_serve_other_counties(client, counties):
    base = "http://gk.county-a.example"
    assert client.get("/o/county-a-branch/", base_url=base).status_code == 200
    assert client.get("/o/county-b-unit/", base_url=base).status_code == 404
