"""Catalogue pages: the unit console, the superior's inbox and decision, the public catalogue,
the JSON API, the schedule and the parameters page."""

from __future__ import annotations

import re

import pytest
from flask_babel import force_locale

from core import db
from core.catalogue import operations as cat
from core.catalogue.models import CatalogueVersion
from core.errors import UserError
from core.params import operations as params
from core.plugins.testing import csrf_token
from tenants import operations as tenants

PASSWORD = "long-enough-pw"
ENTRY = {
    "titles": {"zh_Hans_CN": "党费收缴、使用和管理情况", "en": "Party dues"},
    "content": {"zh_Hans_CN": "党费收缴标准、收缴数额和使用情况"},
    "scope": "party_wide",
    "channels": ["meeting", "notice_board"],
    "cadence": "half_yearly",
    "responsible": "支部组织委员",
}
NEW_ENTRY = {
    "title_zh_Hans_CN": "主题党日活动情况",
    "title_en": "Party day activities",
    "title_ug": "",
    "content_zh_Hans_CN": "每月主题党日的主题、时间和参加人员",
    "scope": "party_wide",
    "channels": ["meeting", "notice_board"],
    "cadence": "quarterly",
    "due_days": "",
    "notice_days": "",
    "responsible": "支部宣传委员",
    "item_type": "",
}


def make_user(username, *grants):
    user = tenants.create_user(username, password=PASSWORD, display_name=username.title())
    for role, org in grants:
        tenants.grant_membership(user, org, role)
    return user


@pytest.fixture
def world(make_org):
    county = make_org("v-county", type_code="county_committee")
    bureau = make_org(
        "v-bureau",
        parent=county,
        type_code="party_committee",
        names={"zh_Hans_CN": {"full": "县农业局党委", "short": "农业局党委"}},
    )
    branch = make_org("v-branch", parent=bureau)
    other = make_org("v-other", parent=bureau)
    users = {
        "county_admin": make_user("county-admin", ("admin", county)),
        "bureau_reviewer": make_user("bureau-reviewer", ("reviewer", bureau)),
        "branch_admin": make_user("branch-admin", ("admin", branch)),
        "branch_member": make_user("branch-member", ("member", branch)),
        "other_admin": make_user("other-admin", ("admin", other)),
    }
    template = cat.start_draft(county, "template", actor=users["county_admin"])
    org_cat = cat.add_category(
        template,
        key="org",
        titles={"zh_Hans_CN": "党的组织管理情况", "en": "Organisational management"},
    )
    cat.add_entry(template, org_cat, {**ENTRY, "mandatory": True}, key="org.fees")
    cat.add_entry(
        template,
        org_cat,
        {**ENTRY, "titles": {"zh_Hans_CN": "党员发展情况"}, "cadence": "quarterly"},
        key="org.recruitment",
    )
    cat.transition(template, "publish", actor=users["county_admin"])
    db.session.commit()
    return {"county": county, "bureau": bureau, "branch": branch, "other": other, **users}


def sign_in(app, username):
    """A fresh client signed in as ``username``."""
    client = app.test_client()
    token = csrf_token(client)
    response = client.post(
        "/auth/login", data={"username": username, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302
    return client


def draft_of(world) -> CatalogueVersion:
    draft = cat.start_draft(world["branch"], actor=world["branch_admin"])
    db.session.commit()
    return draft


def approved(world) -> CatalogueVersion:
    draft = cat.start_draft(world["branch"], actor=world["branch_admin"])
    cat.transition(draft, "submit", actor=world["branch_admin"])
    cat.transition(draft, "approve", actor=world["bureau_reviewer"])
    db.session.commit()
    return draft


def html(response) -> str:
    return response.get_data(as_text=True)


def entry_id(version, key):
    return next(e.id for e in cat.entries(version) if e.key == key)


BASE = "/admin/o/v-branch/catalogue"


# --- access --------------------------------------------------------------------------------


def test_console_pages_render_for_the_unit_admin(app, world):
    client = sign_in(app, "branch-admin")
    response = client.get(BASE)
    assert response.status_code == 200
    assert "Start a new draft" in html(response) or "开始" in html(response)
    token = csrf_token(client, BASE)
    response = client.post(BASE + "/drafts", data={"csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"].endswith(
        BASE + "/versions/1"
    )
    draft = cat.open_version(world["branch"])
    for path in (
        BASE,
        BASE + "/versions/1",
        BASE + "/versions/1/diff",
        BASE + "/versions/1/entries/new",
        BASE + "/versions/1/categories/new",
        f"{BASE}/versions/1/entries/{entry_id(draft, 'org.recruitment')}/edit",
        f"{BASE}/versions/1/entries/{entry_id(draft, 'org.recruitment')}/remove",
        BASE + "/template",
        BASE + "/inbox",
        BASE + "/schedule",
        "/admin/o/v-branch/parameters",
    ):
        assert client.get(path).status_code == 200, path
    page = html(client.get(BASE))
    assert "党员发展情况" in page  # the open draft's tree
    assert 'name="transition" value="submit"' in page  # the submit button
    # the layout links the organisation's console home for a user with a role here
    assert 'href="/admin/o/v-branch/"' in html(client.get("/o/v-branch/"))


def test_a_member_is_refused_and_anonymous_is_sent_to_sign_in(app, client, world):
    response = client.get(BASE)
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]
    assert "next=" in response.headers["Location"]
    member = sign_in(app, "branch-member")
    assert member.get(BASE).status_code == 403
    assert member.get("/admin/o/v-branch/parameters").status_code == 403
    assert 'href="/admin/o/v-branch/catalogue"' not in html(member.get("/o/v-branch/"))


def test_versions_and_entries_of_another_organisation_are_not_found(app, world):
    other_draft = cat.start_draft(world["other"], actor=world["other_admin"])
    db.session.commit()
    client = sign_in(app, "branch-admin")
    assert client.get(BASE + "/versions/1").status_code == 404
    draft_of(world)
    foreign = entry_id(other_draft, "org.fees")
    assert client.get(f"{BASE}/versions/1/entries/{foreign}/edit").status_code == 404
    assert client.get("/admin/o/no-such-org/catalogue").status_code == 404


# --- editing -------------------------------------------------------------------------------


def test_add_an_entry_through_the_form(app, world):
    draft = draft_of(world)
    client = sign_in(app, "branch-admin")
    path = BASE + "/versions/1/entries/new"
    category = cat.categories(draft)[0].id
    data = {
        **NEW_ENTRY,
        "key": "own.day",
        "category": category,
        "csrf_token": csrf_token(client, path),
    }
    response = client.post(path, data=data)
    assert response.status_code == 302, html(response)
    db.session.expire_all()
    added = next(e for e in cat.entries(draft) if e.key == "own.day")
    assert added.titles == {"zh_Hans_CN": "主题党日活动情况", "en": "Party day activities"}
    assert added.channels == ["meeting", "notice_board"] and added.cadence == "quarterly"
    assert not added.mandatory


def test_an_invalid_entry_shows_its_errors_and_keeps_the_input(app, world):
    draft = draft_of(world)
    client = sign_in(app, "branch-admin")
    path = BASE + "/versions/1/entries/new?lang=en"
    data = {
        **NEW_ENTRY,
        "title_zh_Hans_CN": "",
        "scope": "public",
        "channels": ["meeting"],
        "due_days": "abc",
        "category": cat.categories(draft)[0].id,
        "csrf_token": csrf_token(client, path),
    }
    response = client.post(path, data=data)
    assert response.status_code == 400
    page = html(response)
    assert "Write the title in Chinese." in page
    assert "do not suit the scope" in page
    assert 'aria-invalid="true"' in page
    assert re.search(r'aria-describedby="[^"]*title_zh_Hans_CN-error-1', page)
    assert 'value="Party day activities"' in page  # the input is kept
    assert "每月主题党日的主题、时间和参加人员" in page
    db.session.expire_all()
    assert len(cat.entries(draft)) == 2  # nothing was saved


def test_an_entry_refused_by_the_operation_shows_the_problem_at_its_field(app, world):
    draft = draft_of(world)
    client = sign_in(app, "branch-admin")
    path = BASE + "/versions/1/entries/new"
    data = {
        **NEW_ENTRY,
        "key": "org.fees",
        "category": cat.categories(draft)[0].id,
        "csrf_token": csrf_token(client, path),
    }
    response = client.post(path, data=data)
    assert response.status_code == 400
    assert "该标识已被使用。" in html(response)  # under the key field, in the reader's language
    assert 'value="Party day activities"' in html(response)


def test_removing_a_mandatory_entry_is_refused_with_a_message(app, world):
    draft = draft_of(world)
    client = sign_in(app, "branch-admin")
    fees = entry_id(draft, "org.fees")
    path = f"{BASE}/versions/1/entries/{fees}/remove"
    confirm = client.get(path)
    assert confirm.status_code == 200
    response = client.post(path, data={"csrf_token": csrf_token(client, path)})
    assert response.status_code == 400
    assert "是模板规定的必备条目，不能删除" in html(response)
    db.session.expire_all()
    assert fees in {e.id for e in cat.entries(draft)}
    # a unit's own entry goes
    recruitment = entry_id(draft, "org.recruitment")
    path = f"{BASE}/versions/1/entries/{recruitment}/remove"
    assert client.post(path, data={"csrf_token": csrf_token(client, path)}).status_code == 302
    db.session.expire_all()
    assert [e.key for e in cat.entries(draft)] == ["org.fees"]


def test_edit_move_and_add_a_category(app, world):
    draft = draft_of(world)
    client = sign_in(app, "branch-admin")
    recruitment = entry_id(draft, "org.recruitment")
    path = f"{BASE}/versions/1/entries/{recruitment}/edit"
    page = html(client.get(path))
    assert 'value="党员发展情况"' in page
    token = csrf_token(client, path)
    new = BASE + "/versions/1/categories/new"
    response = client.post(
        new, data={"key": "own", "parent": 0, "title_zh_Hans_CN": "支部自定", "csrf_token": token}
    )
    assert response.status_code == 302
    own = next(c for c in cat.categories(draft) if c.key == "own")
    data = {
        **NEW_ENTRY,
        "title_zh_Hans_CN": "党员发展情况（季度）",
        "category": own.id,
        "csrf_token": token,
    }
    assert client.post(path, data=data).status_code == 302
    db.session.expire_all()
    entry = next(e for e in cat.entries(draft) if e.key == "org.recruitment")
    assert entry.category_id == own.id and entry.titles["zh_Hans_CN"] == "党员发展情况（季度）"
    # move a category up
    move = f"{BASE}/versions/1/categories/{own.id}/move"
    assert client.post(move, data={"direction": "up", "csrf_token": token}).status_code == 302
    db.session.expire_all()
    assert [c.key for c in cat.categories(draft)] == ["own", "org"]


# --- workflow: submit, inbox, decide --------------------------------------------------------


def test_submit_return_and_approve_through_the_pages(app, world):
    draft = draft_of(world)
    unit = sign_in(app, "branch-admin")
    path = BASE + "/versions/1/entries/new"
    data = {
        **NEW_ENTRY,
        "key": "own.day",
        "category": cat.categories(draft)[0].id,
        "csrf_token": csrf_token(unit, path),
    }
    assert unit.post(path, data=data).status_code == 302
    unit_token = csrf_token(unit, BASE)
    response = unit.post(
        BASE + "/versions/1/transition", data={"transition": "submit", "csrf_token": unit_token}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(CatalogueVersion, draft.id).state == "submitted"

    reviewer = sign_in(app, "bureau-reviewer")
    inbox = html(reviewer.get("/admin/o/v-bureau/catalogue/inbox"))
    decide = "/admin/o/v-branch/catalogue/versions/1/decide"
    assert decide in inbox
    page = html(reviewer.get(decide + "?lang=en"))
    assert "Added:" in page and "Party day activities" in page
    token = csrf_token(reviewer, decide)
    response = reviewer.post(
        decide + "?lang=en", data={"decision": "return", "comment": " ", "csrf_token": token}
    )
    assert response.status_code == 400
    assert "Write a comment that tells the unit what to change." in html(response)
    db.session.expire_all()
    assert db.session.get(CatalogueVersion, draft.id).state == "submitted"
    response = reviewer.post(
        decide, data={"decision": "return", "comment": "请写明公开时限", "csrf_token": token}
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/o/v-bureau/catalogue/inbox")
    db.session.expire_all()
    version = db.session.get(CatalogueVersion, draft.id)
    assert version.state == "returned" and version.decision_comment == "请写明公开时限"
    # the unit sees the comment, reopens and submits again
    overview = html(unit.get(BASE))
    assert "请写明公开时限" in overview
    for name in ("reopen", "submit"):
        response = unit.post(
            BASE + "/versions/1/transition", data={"transition": name, "csrf_token": unit_token}
        )
        assert response.status_code == 302, html(response)
    # a member of the unit cannot approve (no access), the reviewer can
    member = sign_in(app, "branch-member")
    assert member.get(decide).status_code == 403
    response = reviewer.post(
        decide,
        data={"decision": "approve", "comment": "", "effective_from": "", "csrf_token": token},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert cat.effective_version(world["branch"]).id == draft.id
    public = html(unit.get("/o/v-branch/catalogue?lang=en"))
    assert "Party day activities" in public
    assert "Every quarter" in public and "All Party members" in public
    assert "Meeting" in public and "within 10 days after each quarter ends" in public


def test_the_decision_page_shows_the_submitters_comment_and_the_changes_in_words(app, world):
    approved(world)
    draft = cat.start_draft(world["branch"], actor=world["branch_admin"])
    fees = next(e for e in cat.entries(draft) if e.key == "org.fees")
    cat.update_entry(fees, {"cadence": "quarterly", "responsible": "支部书记"})
    cat.remove_entry(next(e for e in cat.entries(draft) if e.key == "org.recruitment"))
    category = cat.categories(draft)[0]
    cat.add_entry(draft, category, {**ENTRY, "titles": {"zh_Hans_CN": "主题党日活动情况"}},
                  key="own.day")  # fmt: skip
    draft.note = "按县委新要求调整"
    db.session.commit()
    unit = sign_in(app, "branch-admin")
    decide = "/admin/o/v-branch/catalogue/versions/2/decide"
    # before the submission there is nothing to decide
    reviewer = sign_in(app, "bureau-reviewer")
    page = html(reviewer.get(decide + "?lang=en"))
    assert "This version has not been submitted." in page
    # the unit submits with a comment on its version page
    overview = html(unit.get(BASE + "/versions/2?lang=en"))
    assert 'name="comment"' in overview and "(optional)" in overview
    response = unit.post(
        BASE + "/versions/2/transition",
        data={"transition": "submit", "comment": "党费改为按季度公开；新增主题党日",
              "csrf_token": csrf_token(unit, BASE)},
    )  # fmt: skip
    assert response.status_code == 302, html(response)
    page = html(reviewer.get(decide + "?lang=en"))
    submission = page.split('id="submission-h"')[1].split("</section>")[0]
    assert "党费改为按季度公开；新增主题党日" in submission
    assert "Submitted by Branch-Admin on" in submission
    assert "Note on this version:</strong> 按县委新要求调整" in submission
    changes = page.split('id="diff-h"')[1].split("</section>")[0]
    assert "Changes against version 1 in force" in page
    assert re.search(r"Added:</strong>\s*主题党日活动情况", changes)
    assert re.search(r"Removed:</strong>\s*党员发展情况", changes)
    assert re.search(r"Changed:</strong>\s*Party dues", changes)
    assert "Cadence: “Every half year” → “Every quarter”" in changes
    assert "Responsible: “支部组织委员” → “支部书记”" in changes
    assert "half_yearly" not in changes and "quarterly" not in changes


def test_a_submission_without_a_comment_says_so_on_the_decision_page(app, world):
    draft = draft_of(world)
    cat.transition(draft, "submit", actor=world["branch_admin"])
    db.session.commit()
    reviewer = sign_in(app, "bureau-reviewer")
    page = html(reviewer.get("/admin/o/v-branch/catalogue/versions/1/decide?lang=en"))
    assert "The unit wrote no comment with its submission." in page
    assert "There is no earlier version in force: every entry is new." in page


def test_a_refused_transition_is_shown_on_the_page(app, world):
    draft = draft_of(world)
    for entry in cat.entries(draft):
        if not entry.mandatory:
            cat.remove_entry(entry)
    fees = cat.entries(draft)[0]
    fees.responsible = ""  # incomplete (CAT-2): the submit guard refuses it
    db.session.commit()
    client = sign_in(app, "branch-admin")
    token = csrf_token(client, BASE)
    response = client.post(
        BASE + "/versions/1/transition",
        data={"transition": "submit", "comment": "请审批", "csrf_token": token},
    )
    assert response.status_code == 409
    page = html(response)
    assert "部分条目不完整" in page and "请审批" in page
    db.session.expire_all()
    assert db.session.get(CatalogueVersion, draft.id).state == "draft"


# --- public page, API, schedule, parameters -------------------------------------------------


def test_public_catalogue_in_the_visitors_language(client, world):
    assert "no approved disclosure catalogue" in html(client.get("/o/v-branch/catalogue?lang=en"))
    approved(world)
    page = html(client.get("/o/v-branch/catalogue?lang=en"))
    assert "Party dues" in page and "Organisational management" in page
    assert "党员发展情况" in page  # no English title: Chinese, marked as such
    assert '<span lang="zh-Hans-CN">党员发展情况</span>' in page
    assert "Every half year" in page
    zh = html(client.get("/o/v-branch/catalogue?lang=zh_Hans_CN"))
    assert "党费收缴、使用和管理情况" in zh
    assert 'href="/o/v-branch/catalogue"' in html(client.get("/o/v-branch/"))


def test_api_returns_the_effective_catalogue(app, client, world):
    assert client.get("/api/v1/orgs/v-branch/catalogue").status_code == 404
    assert client.get("/api/v1/orgs/nope/catalogue").status_code == 404
    version = approved(world)
    response = client.get("/api/v1/orgs/v-branch/catalogue?lang=en")
    assert response.status_code == 200
    body = response.get_json()
    assert body["organisation"]["code"] == "v-branch"
    assert body["version"] == version.number
    assert body["approved_by"] == "Bureau-Reviewer"
    assert body["effective_from"] == version.effective_from.isoformat()
    category = body["categories"][0]
    assert category["title"] == "Organisational management"
    fees = next(e for e in category["entries"] if e["key"] == "org.fees")
    assert fees["title"] == "Party dues"
    assert fees["scope"] == "party_wide" and fees["channels"] == ["meeting", "notice_board"]
    assert fees["due_rule"] == {
        "cadence": "half_yearly",
        "due_days_after_period": 10,
        "source": "parameter",
    }
    assert "responsible" not in fees and "mandatory" not in fees
    admin = sign_in(app, "branch-admin")
    fees = admin.get("/api/v1/orgs/v-branch/catalogue").get_json()["categories"][0]["entries"][0]
    assert fees["responsible"] == "支部组织委员" and fees["mandatory"] is True
    assert fees["title"] == "党费收缴、使用和管理情况"


def test_schedule_lists_the_four_quarterly_due_dates(app, world):
    approved(world)
    params.set_value(world["bureau"], "catalogue.period_due_days", 12)
    db.session.commit()
    client = sign_in(app, "branch-admin")
    page = html(client.get(BASE + "/schedule?year=2026"))
    for due in ("2026-04-12", "2026-07-12", "2026-10-12", "2027-01-12"):
        assert 'data-entry="org.recruitment" data-period' in page
        assert f'datetime="{due}"' in page
    assert len(re.findall(r'data-entry="org.recruitment"', page)) == 4


def test_parameters_page_shows_where_a_value_comes_from(app, world):
    params.set_value(world["bureau"], "catalogue.period_due_days", 15)
    params.set_value(world["county"], "notice.min_days", 10, locked=True)
    db.session.commit()
    client = sign_in(app, "branch-admin")
    path = "/admin/o/v-branch/parameters"
    page = html(client.get(path + "?lang=en"))
    row = page[page.index('id="param-catalogue-period_due_days"') :]
    row = row[: row.index("</li>")]
    assert "15" in row and "县农业局党委" in row
    locked = page[page.index('id="param-notice-min_days"') :]
    assert "Locked by" in locked[: locked.index("</li>")]
    token = csrf_token(client, path)
    response = client.post(
        path,
        data={
            "key": "catalogue.period_due_days",
            "value": "5",
            "csrf_token": token,
            "action": "set",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert params.resolve(world["branch"], "catalogue.period_due_days").value == 5
    response = client.post(
        path,
        data={
            "key": "catalogue.period_due_days",
            "value": "999",
            "csrf_token": token,
            "action": "set",
        },
    )
    assert response.status_code == 400
    assert 'value="999"' in html(response)
    response = client.post(
        path, data={"key": "catalogue.period_due_days", "csrf_token": token, "action": "clear"}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert params.resolve(world["branch"], "catalogue.period_due_days").source.code == "v-bureau"


@pytest.mark.rule("IAM-1")
def test_parameters_are_grouped_by_area_and_a_unit_cannot_change_the_countys_own(app, world):
    """Whether password sign-in is allowed belongs to the county: the unit's page says who sets
    it and offers no form; a forged post and the operation are refused, the county sets it."""
    client = sign_in(app, "branch-admin")
    path = "/admin/o/v-branch/parameters"
    page = html(client.get(path + "?lang=en"))
    assert page.index(">Catalogue</h2>") < page.index(">Disclosure requests</h2>")
    assert page.index(">Disclosure requests</h2>") < page.index(">Sign-in</h2>")
    assert "CAT-5" not in page and "catalogue.period_due_days</code>" not in page
    row = page[page.index('id="param-auth-local_signin"') :]
    row = row[: row.index("</li>")]
    assert "Only the county committee sets it" in row and "<form" not in row
    period = page[page.index('id="param-catalogue-period_due_days"') :]
    assert "Each organisation may set it" in period[: period.index("</li>")]
    response = client.post(
        path + "?lang=en",
        data={"key": "auth.local_signin", "value": "no", "action": "set",
              "csrf_token": csrf_token(client, path)},
    )  # fmt: skip
    assert response.status_code == 400
    assert "only the county committee changes it" in html(response)
    db.session.expire_all()
    assert params.resolve(world["branch"], "auth.local_signin").value is True
    with force_locale("en"), pytest.raises(UserError, match="belongs to the county"):
        params.clear_value(world["bureau"], "auth.local_signin")
    assert params.set_value(world["county"], "auth.local_signin", "no").value is False
    page = html(client.get(path + "?lang=zh_Hans_CN"))  # the areas and who sets it, in words
    assert "目录" in page and "只有县委" in page
