"""The disclosure leading group (ORG-2): edited in the organisation's settings
(``/admin/o/<code>/leading-group``), kept with its history, shown on the portal, and imported
from YAML into the same history."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from core import db
from core.audit import AuditEntry
from core.plugins.testing import csrf_token
from tenants import leading_group as lg
from tenants import operations as tenants
from tenants import provisioning
from tenants.models import LeadingGroupVersion

PASSWORD = "long-enough-pw"
PAGE = "/admin/o/lg-unit/leading-group/"
EDIT = "/admin/o/lg-unit/leading-group/edit"

GROUP = {
    "leader": {"name": "周建国", "post": "支部书记"},
    "deputies": [{"name": "陈立新", "post": "副书记"}],
    "members": [{"name": "王五", "post": "组织委员"}, {"name": "赵六"}],
    "office": "支部党务公开工作小组",
    "office_director": {"name": "陈立新", "post": "副书记，兼"},
    "liaison": {"name": "杨春梅", "post": "支部委员"},
    "office_phone": "0745-1234567",
}


def person(username, *grants, **kwargs):
    user = tenants.create_user(username, password=PASSWORD, display_name=username, **kwargs)
    for role, org in grants:
        tenants.grant_membership(user, org, role)
    return user


@pytest.fixture
def w(make_org):
    county = make_org("lg-county", type_code="county_committee")
    bureau = make_org("lg-bureau", parent=county, type_code="party_committee")
    unit = make_org("lg-unit", parent=bureau)
    sibling = make_org("lg-sibling", parent=bureau)
    world = {"county": county, "bureau": bureau, "unit": unit, "sibling": sibling}
    world["admin"] = person("lg-admin", ("admin", unit))
    world["editor"] = person("lg-editor", ("editor", unit))
    world["member"] = person("lg-member", ("member", unit))
    world["sibling_admin"] = person("lg-sibling-admin", ("admin", sibling))
    world["bureau_admin"] = person("lg-bureau-admin", ("admin", bureau))
    world["platform"] = person("lg-platform", platform_admin=True)
    db.session.commit()
    return world


def sign_in(app, username):
    client = app.test_client()
    response = client.post(
        "/auth/login",
        data={"username": username, "password": PASSWORD, "csrf_token": csrf_token(client)},
    )
    assert response.status_code == 302, username
    client.get("/?lang=en")
    return client


def html(response) -> str:
    return response.get_data(as_text=True)


def form_data(group: dict, *, note: str = "", based_on: int = 0) -> dict[str, str]:
    """What the edit form posts for ``group``."""
    data = {"note": note, "based_on": str(based_on)}
    for key in lg.PERSON_ROLES:
        p = group.get(key) or {}
        data[f"{key}-name"], data[f"{key}-post"] = p.get("name", ""), p.get("post", "")
    for key in lg.LIST_ROLES:
        for i, p in enumerate(group.get(key) or []):
            data[f"{key}-{i}-name"], data[f"{key}-{i}-post"] = p.get("name", ""), p.get("post", "")
    for key in lg.TEXTS:
        data[key] = group.get(key, "")
    return data


def save(client, group, **kwargs):
    token = csrf_token(client, EDIT)
    return client.post(EDIT, data={**form_data(group, **kwargs), "csrf_token": token})


def versions(org) -> list[LeadingGroupVersion]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(LeadingGroupVersion)
            .where(LeadingGroupVersion.org_id == org.id)
            .order_by(LeadingGroupVersion.number)
        )
    )


def portal_group(client, code: str) -> str:
    """The text of the leading group's panel on the portal."""
    page = html(client.get(f"/o/{code}/"))
    section = page[page.index('class="leading-group"') :]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", section[: section.index("</section>")]))


# --- the shape ---------------------------------------------------------------------------------


@pytest.mark.rule("ORG-2")
def test_a_person_is_a_name_and_a_post_and_older_texts_are_read():
    assert lg.person_from_text("王晓燕（副园长，兼）") == {"name": "王晓燕", "post": "副园长，兼"}
    assert lg.person_from_text("Li (secretary)") == {"name": "Li", "post": "secretary"}
    assert lg.person_from_text("培训处负责人") == {"name": "培训处负责人"}
    group, problems = lg.clean(
        {"leader": "张三（书记）", "members": ["李四", {"name": "王五", "post": "委员"}, ""],
         "office": "  局办公室 ", "office_email": "dwgk@example.org"}
    )  # fmt: skip
    assert not problems
    assert group == {
        "leader": {"name": "张三", "post": "书记"},
        "members": [{"name": "李四"}, {"name": "王五", "post": "委员"}],
        "office": "局办公室",
        "office_email": "dwgk@example.org",
    }
    assert list(group) == [k for k in lg.FIELDS if k in group]  # page order


@pytest.mark.rule("ORG-2")
@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"boss": "x"}, "boss"),
        ({"members": "张三"}, "members"),
        ({"leader": {"post": "书记"}}, "leader.name"),
        ({"leader": {"name": "张三", "rank": "x"}}, "leader"),
        ({"leader": ["张三"]}, "leader"),
        ({"office_email": "not-an-address"}, "office_email"),
        ({"office_phone": "call me"}, "office_phone"),
        ({"members": [{"name": "x" * 101}]}, "members[1].name"),
        ({"members": [{"name": str(i)} for i in range(lg.LIST_MAX + 1)]}, "members"),
    ],
)
def test_what_a_group_may_not_hold(data, field):
    _group, problems = lg.clean(data)
    assert field in {f for f, _m in problems}, problems


def test_fifty_people_in_a_list_are_accepted():
    group, problems = lg.clean({"members": [{"name": str(i)} for i in range(lg.LIST_MAX)]})
    assert not problems and len(group["members"]) == lg.LIST_MAX


# --- the console -------------------------------------------------------------------------------


@pytest.mark.rule("ORG-2")
def test_the_unit_admin_sets_up_the_group_and_the_portal_shows_it(app, w):
    client = sign_in(app, "lg-admin")
    page = html(client.get(PAGE))
    assert "No leading group has been recorded yet" in page
    assert 'href="/admin/o/lg-unit/leading-group/edit"' in page
    assert "has not been published yet" in portal_group(client, "lg-unit")

    form = client.get(EDIT)
    assert form.status_code == 200
    assert 'name="deputies-0-name"' in html(form) and 'name="deputies-1-name"' in html(form)
    done = save(client, GROUP, note="支部换届后组建")
    assert done.status_code == 302 and done.headers["Location"].endswith(PAGE)
    (first,) = versions(w["unit"])
    assert first.number == 1 and first.source == "console" and first.note == "支部换届后组建"
    assert first.created_by_id == w["admin"].id
    assert first.content == GROUP
    assert tenants.get_org("lg-unit").leading_group == GROUP

    shown = portal_group(app.test_client(), "lg-unit")  # an anonymous visitor
    assert "周建国（支部书记）" in shown and "陈立新（副书记）" in shown
    assert "王五（组织委员）" in shown and "赵六" in shown
    assert "支部党务公开工作小组" in shown and "杨春梅（支部委员）" in shown
    assert "0745-1234567" in shown
    assert 'href="tel:0745-1234567"' in html(app.test_client().get("/o/lg-unit/"))
    audit = db.session.scalar(
        select(AuditEntry).where(AuditEntry.action == "organisation.leading_group")
    )
    assert audit.actor_id == w["admin"].id and audit.changes["version"] == [None, 1]
    assert audit.changes["leader"] == [None, GROUP["leader"]]


@pytest.mark.rule("ORG-2")
def test_every_change_is_a_version_and_earlier_ones_stay_readable(app, w):
    client = sign_in(app, "lg-admin")
    assert save(client, GROUP).status_code == 302
    changed = {**GROUP, "liaison": {"name": "热依拉", "post": "保教主任"}}
    del changed["office_phone"]
    assert save(client, changed, note="联络员调整", based_on=1).status_code == 302
    assert [v.number for v in versions(w["unit"])] == [1, 2]

    page = html(client.get(PAGE))
    assert 'href="/admin/o/lg-unit/leading-group/versions/1"' in page
    assert "联络员调整" in page and "lg-admin" in page
    first = html(client.get("/admin/o/lg-unit/leading-group/versions/1"))
    assert "杨春梅" in first and "Replaced by version 2" in first
    second = html(client.get("/admin/o/lg-unit/leading-group/versions/2"))
    diff = second[second.index("leading-group-diff") :]
    assert "杨春梅（支部委员）" in diff and "热依拉（保教主任）" in diff
    assert "0745-1234567" in diff  # the telephone was removed
    assert "周建国" not in diff  # unchanged fields are not listed
    assert client.get("/admin/o/lg-unit/leading-group/versions/3").status_code == 404
    assert client.get("/admin/o/lg-unit/leading-group/versions/0").status_code == 404
    assert client.get(f"/admin/o/lg-unit/leading-group/versions/{2**40}").status_code == 404

    # saving the same group again makes no version
    again = save(client, changed, based_on=2)
    assert again.status_code == 302 and len(versions(w["unit"])) == 2


def test_a_change_made_meanwhile_is_not_overwritten(app, w):
    client = sign_in(app, "lg-admin")
    other = sign_in(app, "lg-bureau-admin")
    assert save(client, GROUP).status_code == 302
    stale_form = {**GROUP, "office": "办公室甲"}
    assert save(other, {**GROUP, "office": "办公室乙"}, based_on=1).status_code == 302
    refused = save(client, stale_form, based_on=1)
    assert refused.status_code == 409
    assert "Someone saved another version" in html(refused)
    assert "办公室甲" in html(refused)  # what was typed is kept
    assert [v.content.get("office") for v in versions(w["unit"])] == [GROUP["office"], "办公室乙"]


def test_bad_input_is_explained_and_nothing_is_saved(app, w):
    client = sign_in(app, "lg-admin")
    bad = {**GROUP, "deputies": [{"post": "副书记"}], "office_phone": "call me"}
    refused = save(client, bad)
    assert refused.status_code == 400
    page = html(refused)
    assert "Give the name of the person who holds this post." in page
    assert "Write a telephone number" in page
    assert 'value="副书记"' in page  # kept
    assert versions(w["unit"]) == []
    too_long = save(client, {**GROUP, "office": "x" * 201})
    assert too_long.status_code == 400 and versions(w["unit"]) == []


def test_more_rows_without_saving(app, w):
    client = sign_in(app, "lg-admin")
    token = csrf_token(client, EDIT)
    data = {**form_data(GROUP), "csrf_token": token, "more": "members"}
    page = client.post(EDIT, data=data)
    assert page.status_code == 200
    text = html(page)
    # two people, then the blank rows plus three more
    assert 'name="members-6-name"' in text and 'name="members-7-name"' not in text
    assert 'value="王五"' in text
    assert versions(w["unit"]) == []
    assert client.post(EDIT, data={**data, "more": "nobody"}).status_code == 400


@pytest.mark.parametrize(
    ("username", "view", "edit"),
    [
        ("lg-admin", 200, 200),
        ("lg-bureau-admin", 200, 200),  # a superior's admin
        ("lg-platform", 200, 200),
        ("lg-editor", 200, 403),  # staff read it
        ("lg-member", 403, 403),
        ("lg-sibling-admin", 403, 403),
    ],
)
def test_who_may_read_and_edit_the_group(app, w, username, view, edit):
    client = sign_in(app, username)
    assert client.get(PAGE).status_code == view
    assert client.get(EDIT).status_code == edit
    if edit == 403:
        token = csrf_token(client, "/auth/login")
        refused = client.post(EDIT, data={**form_data(GROUP), "csrf_token": token})
        assert refused.status_code in (403, 404) and versions(w["unit"]) == []
    page = html(client.get(PAGE))
    assert ('href="/admin/o/lg-unit/leading-group/edit"' in page) == (edit == 200)


def test_anonymous_visitors_are_sent_to_sign_in(client, w):
    response = client.get(PAGE)
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


# --- YAML import, the same history --------------------------------------------------------------

TREE = """\
organisations:
  - code: lgy-county
    type: county_committee
    names: {zh_Hans_CN: 测试县委}
    children:
      - code: lgy-unit
        type: branch
        names: {zh_Hans_CN: 测试支部}
        leading_group:
          leader: 张三（书记）
          deputies: [李四]
          members: [{name: 王五, post: 委员}]
          office: 支部办公室
"""


def run_import(app, text: str):
    plugins = app.extensions["gongkai.plugins"]
    report = provisioning.import_yaml(
        text, sectors=set(plugins.sectors()), themes=set(app.extensions["gongkai.themes"])
    )
    db.session.commit()
    return report


@pytest.mark.rule("ORG-2")
def test_the_yaml_import_writes_the_same_history(app):
    run_import(app, TREE)
    unit = tenants.get_org("lgy-unit")
    (first,) = versions(unit)
    assert first.source == "import" and first.number == 1
    assert first.content == {
        "leader": {"name": "张三", "post": "书记"},
        "deputies": [{"name": "李四"}],
        "members": [{"name": "王五", "post": "委员"}],
        "office": "支部办公室",
    }
    # the same file again, and the exported file, change nothing
    assert not run_import(app, TREE).changed
    exported = provisioning.export_yaml(tenants.get_org("lgy-county"))
    assert "name: 张三" in exported and "post: 书记" in exported
    assert not run_import(app, exported).changed
    assert len(versions(unit)) == 1
    # a changed file is a new version
    run_import(app, TREE.replace("deputies: [李四]", "deputies: [李四, 钱七（副书记）]"))
    assert [v.number for v in versions(unit)] == [1, 2]
    assert versions(unit)[-1].content["deputies"][1] == {"name": "钱七", "post": "副书记"}
    assert db.session.scalar(select(func.count()).select_from(LeadingGroupVersion)) == 2


def test_the_yaml_import_refuses_a_bad_group_with_its_line(app):
    bad = TREE.replace("office: 支部办公室", "office_email: nobody")
    with pytest.raises(provisioning.ImportRejected) as refused:
        run_import(app, bad)
    assert any("leading_group.office_email" in p for p in refused.value.problems)
    assert tenants.get_org("lgy-unit") is None


def test_the_group_is_in_the_settings_of_the_side_navigation(app, w):
    """The organisation's home leads to the group (settings), for those who may read it."""
    admin = sign_in(app, "lg-admin")
    home = html(admin.get("/admin/o/lg-unit/"))
    settings = home[home.index('id="nav-settings"') :]
    assert 'href="/admin/o/lg-unit/leading-group/"' in settings
    page = html(admin.get(PAGE + "edit"))
    assert 'href="/admin/o/lg-unit/leading-group/" aria-current="page"' in page
