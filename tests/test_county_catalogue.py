"""A county keeps no catalogue of its own (CAT-1, CAT-3): it publishes through its catalogue
template and its units' catalogues. The console says so and leads to the template and the
approval inbox; the public catalogue page, the portal's link and the API show the template in
force and lead to the units' catalogues — all four agree."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core import db
from core.catalogue import operations as cat
from core.catalogue.models import CatalogueVersion
from core.plugins.testing import csrf_token
from tests.test_catalogue_views import ENTRY, make_user, sign_in


@pytest.fixture
def world(make_org):
    county = make_org(
        "cc-county",
        type_code="county_committee",
        names={"zh_Hans_CN": {"full": "中共测试县委员会", "short": "测试县委"}},
    )
    bureau = make_org(
        "cc-bureau",
        parent=county,
        type_code="party_committee",
        names={"zh_Hans_CN": {"full": "测试县农业局党委", "short": "农业局党委"}},
    )
    branch = make_org("cc-branch", parent=bureau)
    make_org("cc-closed", parent=bureau, enabled=False)
    admin = make_user("cc-county-admin", ("admin", county), ("reviewer", county))
    branch_admin = make_user("cc-branch-admin", ("admin", branch))
    db.session.commit()
    return {"county": county, "bureau": bureau, "branch": branch, "admin": admin,
            "branch_admin": branch_admin}  # fmt: skip


def publish_template(world):
    template = cat.start_draft(world["county"], "template", actor=world["admin"])
    category = cat.add_category(template, key="org", titles={"zh_Hans_CN": "党的组织管理情况"})
    cat.add_entry(template, category, {**ENTRY, "mandatory": True}, key="org.fees")
    cat.transition(template, "publish", actor=world["admin"])
    db.session.commit()
    return template


def html(response) -> str:
    return response.get_data(as_text=True)


def unit_versions(org) -> int:
    return db.session.scalar(
        select(func.count()).select_from(CatalogueVersion).where(CatalogueVersion.org_id == org.id)
    )


@pytest.mark.rule("CAT-1")
@pytest.mark.rule("CAT-3")
def test_a_county_cannot_start_a_catalogue_of_its_own_but_its_units_can(world):
    publish_template(world)
    before = unit_versions(world["county"])
    with pytest.raises(cat.CountyCatalogue, match="不设本级目录"):  # the message, in Chinese
        cat.start_draft(world["county"], "unit", actor=world["admin"])
    db.session.rollback()
    assert unit_versions(world["county"]) == before  # only the template's version
    # the first level below the county may (its catalogue is approved by the county)
    draft = cat.start_draft(world["bureau"], "unit", actor=world["admin"])
    assert draft.state == "draft" and cat.entries(draft)
    # and the county keeps its template
    assert cat.start_draft(world["county"], "template", actor=world["admin"]).kind == "template"


@pytest.mark.rule("CAT-3")
def test_the_county_console_explains_and_leads_to_the_template_and_the_inbox(app, world):
    publish_template(world)
    draft = cat.start_draft(world["branch"], actor=world["branch_admin"])
    cat.transition(draft, "submit", actor=world["branch_admin"])
    db.session.commit()
    client = sign_in(app, "cc-county-admin")
    client.get("/?lang=en")
    page = html(client.get("/admin/o/cc-county/catalogue"))
    assert "It keeps no catalogue of its own" in page
    assert "Start a new draft" not in page
    assert 'href="/admin/o/cc-county/catalogue/template"' in page
    assert 'href="/admin/o/cc-county/catalogue/inbox"' in page
    assert 'href="/admin/o/cc-county/catalogue/versions/1"' not in page
    assert 'href="/admin/o/cc-county/catalogue/template/versions/1"' in page  # in force
    assert 'href="/admin/o/cc-branch/catalogue/versions/1/decide"' in page  # waiting
    assert 'href="/o/cc-county/catalogue"' in page
    # a draft cannot be started here, by a form or by hand
    token = csrf_token(client, "/admin/o/cc-county/catalogue")
    refused = client.post("/admin/o/cc-county/catalogue/drafts", data={"csrf_token": token})
    assert refused.status_code == 409
    assert "no catalogue of its own" in html(refused)
    assert unit_versions(world["county"]) == 1
    # the template's own pages work as before
    assert client.get("/admin/o/cc-county/catalogue/template").status_code == 200


@pytest.mark.rule("CAT-3")
def test_the_public_catalogue_of_a_county_is_its_template_and_leads_to_the_units(client, world):
    client.get("/?lang=en")
    empty = html(client.get("/o/cc-county/catalogue"))
    assert "Basic disclosure catalogue" in empty
    assert "has not published its basic catalogue yet" in empty
    assert 'href="/o/cc-branch/catalogue"' in empty and 'href="/o/cc-closed/catalogue"' not in empty
    assert client.get("/api/v1/orgs/cc-county/catalogue").status_code == 404

    publish_template(world)
    page = html(client.get("/o/cc-county/catalogue"))
    assert "Party dues" in page and "Version 1, in force since" in page
    assert "It keeps no catalogue of its own" in page
    assert 'href="/o/cc-bureau/catalogue"' in page and 'href="/o/cc-branch/catalogue"' in page
    portal = html(client.get("/o/cc-county/"))
    assert "Basic disclosure catalogue" in portal and 'href="/o/cc-county/catalogue"' in portal
    api = client.get("/api/v1/orgs/cc-county/catalogue").get_json()
    assert api["kind"] == "template" and api["version"] == 1
    assert api["categories"][0]["entries"][0]["key"] == "org.fees"

    # a unit's page is its own catalogue, as before
    unit = html(client.get("/o/cc-branch/catalogue"))
    assert "Basic disclosure catalogue" not in unit
    assert "no approved disclosure catalogue yet" in unit
    assert "Basic disclosure catalogue" not in html(client.get("/o/cc-branch/"))
