"""The platform console (``/admin/platform/``): the hosted counties with their counts, users
(search, deactivate, a link to choose a new password, roles), job health with the retry button,
the audit search and its export; each page refused to everyone but platform admins."""

from __future__ import annotations

import csv
import io
import re

import pytest
from rq.registry import FailedJobRegistry
from sqlalchemy import select

from core import audit, db, jobs
from core.audit import AuditEntry
from core.plugins.testing import csrf_token
from core.web import work
from tenants import operations as tenants
from tenants.models import PasswordReset
from tests import jobfuncs

PASSWORD = "long-enough-pw"
JOBS = "/admin/platform/jobs/"

PAGES = (
    "/admin/platform/",
    "/admin/platform/counties/pf-county",
    "/admin/platform/counties/pf-county/disable",
    "/admin/platform/users/",
    "/admin/platform/users/?q=pf",
    "/admin/platform/jobs/",
    "/admin/platform/audit/",
    "/admin/platform/audit/export.csv",
    "/admin/platform/audit/export.xlsx",
    "/admin/platform/sso/",
    "/admin/platform/calendar/",
)


def person(username, *grants, **kwargs):
    user = tenants.create_user(
        username,
        password=PASSWORD,
        display_name=f"{username} 同志",
        email=f"{username}@example.org",
        **kwargs,
    )
    for role, org in grants:
        tenants.grant_membership(user, org, role)
    return user


@pytest.fixture
def w(make_org):
    county = make_org("pf-county", type_code="county_committee")
    bureau = make_org("pf-bureau", parent=county, type_code="party_committee")
    unit = make_org("pf-unit", parent=bureau)
    other = make_org("pf-other", type_code="county_committee")
    make_org("pf-other-unit", parent=other)
    world = {"county": county, "bureau": bureau, "unit": unit, "other": other}
    world["admin"] = person("pf-admin", ("admin", unit), ("editor", bureau))
    world["county_admin"] = person("pf-county-admin", ("admin", county))
    world["elsewhere"] = person("pf-elsewhere", ("admin", other))
    world["platform"] = person("pf-platform", platform_admin=True)
    db.session.commit()
    return world


def sign_in(app, username, password=PASSWORD):
    client = app.test_client()
    response = client.post(
        "/auth/login",
        data={"username": username, "password": password, "csrf_token": csrf_token(client)},
    )
    assert response.status_code == 302, username
    client.get("/?lang=en")
    return client


def html(response) -> str:
    return response.get_data(as_text=True)


def post(client, path, data=None, form_page=None):
    token = csrf_token(client, form_page or path)
    return client.post(path, data={**(data or {}), "csrf_token": token})


def refresh(obj):
    db.session.expire_all()
    return db.session.get(type(obj), obj.id)


# --- access ------------------------------------------------------------------------------------


def test_every_page_is_refused_to_people_who_are_not_platform_admins(app, w, client):
    for path in PAGES:
        anonymous = client.get(path)
        assert anonymous.status_code == 302 and "/auth/login" in anonymous.location, path
    for name in ("admin", "county_admin"):
        signed_in = sign_in(app, w[name].username)
        for path in PAGES:
            assert signed_in.get(path).status_code == 403, (name, path)
        user = w["unit"]
        for path in (
            f"/admin/platform/users/{user.id}/grant",
            "/admin/platform/jobs/retry",
            "/admin/platform/counties/pf-county/disable",
        ):
            token = csrf_token(signed_in, "/admin/o/pf-unit/members")
            answer = signed_in.post(
                path,
                data={
                    "csrf_token": token,
                    "org_code": "pf-unit",
                    "role": "admin",
                    "confirm_code": "pf-county",
                    "reason": "x",
                    "kind": "outbox",
                    "job": "1",
                },
            )
            assert answer.status_code == 403, (name, path)
    assert refresh(w["county"]).enabled
    assert {m.role for m in tenants.memberships_of(refresh(w["county_admin"]))} == {"admin"}


def test_platform_admin_reaches_every_page_from_my_work(app, w):
    client = sign_in(app, "pf-platform")
    my_work = html(client.get("/admin"))
    links = dict(re.findall(r'<a href="(/admin/platform/[^"]*)">([^<]+)</a>', my_work))
    assert set(links) >= {
        "/admin/platform/",
        "/admin/platform/users/",
        "/admin/platform/jobs/",
        "/admin/platform/audit/",
        "/admin/platform/sso/",
        "/admin/platform/calendar/",
    }
    for path in PAGES:
        answer = client.get(path)
        assert answer.status_code in (200, 302), (path, answer.status_code)
    page = html(client.get("/admin/platform/sso/"))
    assert 'aria-current="page">Sign-in providers</a>' in page  # the console's side navigation


def test_every_form_refuses_a_post_without_the_csrf_token(app, w):
    client = sign_in(app, "pf-platform")
    user = w["admin"]
    for path, data in (
        (f"/admin/platform/users/{user.id}/deactivate", {"state-reason": "x"}),
        (f"/admin/platform/users/{user.id}/password-link", {}),
        (
            f"/admin/platform/users/{user.id}/grant",
            {"grant-org_code": "pf-other", "grant-role": "admin"},
        ),
        (
            "/admin/platform/counties/pf-county/disable",
            {"reason": "x", "confirm_code": "pf-county"},
        ),
        ("/admin/platform/jobs/retry", {"kind": "outbox", "job": "1"}),
    ):
        assert client.post(path, data=data).status_code == 400, path
    assert refresh(user).active
    assert refresh(w["county"]).enabled
    assert db.session.scalar(select(PasswordReset.id)) is None


# --- counties ----------------------------------------------------------------------------------


def test_home_lists_the_counties_with_their_units_and_people(app, w):
    client = sign_in(app, "pf-platform")
    page = html(client.get("/admin/platform/"))
    row = re.search(
        r'<tr>\s*<td data-label="County"><a href="/admin/platform/counties/pf-county">'
        r".*?</tr>",
        page,
        re.S,
    ).group(0)
    # two units below the county; two people hold a role in it or below
    assert re.findall(r'class="num">(?:<a [^>]*>)?(\d+)', row) == ["2", "2"]
    other = re.search(r'counties/pf-other">.*?</tr>', page, re.S).group(0)
    assert re.findall(r'class="num">(?:<a [^>]*>)?(\d+)', other) == ["1", "1"]
    assert ">4</strong> accounts" in page


def test_disabling_a_county_needs_its_code_and_a_reason_and_closes_its_pages(app, w):
    client = sign_in(app, "pf-platform")
    form = "/admin/platform/counties/pf-county/disable"
    page = html(client.get("/admin/platform/counties/pf-county"))
    assert 'href="/admin/platform/counties/pf-county/disable"' in page
    assert "pf-unit" in page and "pf-bureau" in page
    wrong = post(client, form, {"reason": "contract ended", "confirm_code": "pf-other"})
    assert wrong.status_code == 400 and "Type pf-county to confirm." in html(wrong)
    no_reason = post(client, form, {"confirm_code": "pf-county"})
    assert no_reason.status_code == 400 and "say why the county is disabled" in html(no_reason)
    assert refresh(w["county"]).enabled
    done = post(client, form, {"reason": "contract ended", "confirm_code": "pf-county"})
    assert done.status_code == 302
    assert not refresh(w["county"]).enabled
    assert client.get("/o/pf-unit/").status_code == 404
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "organisation.disable"))
    assert entry.changes["reason"] == [None, "contract ended"]
    again = post(client, "/admin/platform/counties/pf-county/enable")
    assert again.status_code == 302 and refresh(w["county"]).enabled
    assert client.get("/o/pf-unit/").status_code == 200


def test_a_unit_is_no_county_of_the_console(app, w):
    client = sign_in(app, "pf-platform")
    assert client.get("/admin/platform/counties/pf-unit").status_code == 404
    assert client.get("/admin/platform/counties/" + "x" * 300).status_code == 404


# --- users -------------------------------------------------------------------------------------


def test_users_are_found_by_name_user_name_or_e_mail_and_by_county(app, w):
    client = sign_in(app, "pf-platform")

    def found(query):
        page = html(client.get("/admin/platform/users/" + query))
        return set(re.findall(r"<code>(pf-[a-z-]+)</code>", page))

    assert found("?q=PF-COUNTY") == {"pf-county-admin"}
    assert found("?q=elsewhere%40example") == {"pf-elsewhere"}
    assert found("?q=%E5%90%8C%E5%BF%97&county=pf-county") == {"pf-admin", "pf-county-admin"}
    assert found("?q=100%25") == set()  # a % is a character, not a wildcard
    assert client.get("/admin/platform/users/?q=" + "x" * 101).status_code == 400
    assert client.get("/admin/platform/users/?county=nowhere").status_code == 400


def test_user_page_lists_the_roles_and_gives_one(app, w):
    client = sign_in(app, "pf-platform")
    user = w["admin"]
    path = f"/admin/platform/users/{user.id}"
    page = html(client.get(path))
    assert "pf-unit" in page and "pf-bureau" in page and "Editor" in page
    unknown = post(
        client,
        f"{path}/grant",
        {"grant-org_code": "nowhere", "grant-role": "admin"},
        form_page=path,
    )
    assert unknown.status_code == 404 and "There is no organisation with this code." in html(
        unknown
    )
    done = post(
        client,
        f"{path}/grant",
        {"grant-org_code": "pf-other", "grant-role": "reviewer"},
        form_page=path,
    )
    assert done.status_code == 302
    held = {(m.organisation.code, m.role) for m in tenants.memberships_of(refresh(user))}
    assert ("pf-other", "reviewer") in held
    assert client.get("/admin/platform/users/999999").status_code == 404
    assert client.get("/admin/platform/users/99999999999").status_code == 404


def test_a_deactivated_account_is_signed_out_and_cannot_sign_in(app, w):
    admin = sign_in(app, "pf-platform")
    victim = sign_in(app, "pf-admin")
    assert victim.get("/admin/o/pf-unit/").status_code == 200
    path = f"/admin/platform/users/{w['admin'].id}"
    done = post(admin, f"{path}/deactivate", {"state-reason": "left the unit"}, form_page=path)
    assert done.status_code == 302
    assert not refresh(w["admin"]).active
    assert victim.get("/admin/o/pf-unit/").status_code == 302  # to the sign-in page
    client = app.test_client()
    refused = client.post(
        "/auth/login",
        data={"username": "pf-admin", "password": PASSWORD, "csrf_token": csrf_token(client)},
    )
    assert refused.status_code == 401
    again = post(admin, f"{path}/activate", form_page=path)
    assert again.status_code == 302 and refresh(w["admin"]).active
    sign_in(app, "pf-admin")
    actions = db.session.scalars(
        select(AuditEntry.action).where(AuditEntry.action.like("user.%activate"))
    ).all()
    assert sorted(actions) == ["user.activate", "user.deactivate"]


def test_a_platform_admin_cannot_deactivate_their_own_account_nor_the_last_admin(app, w):
    client = sign_in(app, "pf-platform")
    own = f"/admin/platform/users/{w['platform'].id}"
    page = html(client.get(own))
    assert "/deactivate" not in page
    refused = post(client, f"{own}/deactivate", form_page=f"/admin/platform/users/{w['admin'].id}")
    assert refused.status_code == 409 and "your own account" in html(refused)
    assert refresh(w["platform"]).active
    # the last active platform admin, deactivated by a system actor (the command line)
    with pytest.raises(tenants.AccountStateUnchanged):
        tenants.set_user_active(refresh(w["platform"]), False, actor=None)
    second = person("pf-platform-2", platform_admin=True)
    tenants.set_user_active(refresh(w["platform"]), False, actor=second)
    assert not refresh(w["platform"]).active


def test_a_password_link_works_once_and_a_newer_one_withdraws_it(app, w):
    admin = sign_in(app, "pf-platform")
    path = f"/admin/platform/users/{w['admin'].id}"
    first = post(admin, f"{path}/password-link", form_page=path)
    first_link = re.search(r'value="http://localhost(/auth/password/[^"]+)"', html(first)).group(1)
    second = post(admin, f"{path}/password-link", form_page=path)
    link = re.search(r'value="http://localhost(/auth/password/[^"]+)"', html(second)).group(1)
    assert link != first_link
    visitor = app.test_client()
    visitor.get("/?lang=en")
    assert visitor.get(first_link).status_code == 410  # withdrawn by the newer link
    assert visitor.get(link).status_code == 200
    short = post(visitor, link, {"password": "short12", "repeat": "short12"})
    assert short.status_code == 400 and "at least 8 characters" in html(short)
    differ = post(visitor, link, {"password": "new-password-1", "repeat": "new-password-2"})
    assert differ.status_code == 400 and "The two passwords differ." in html(differ)
    done = post(visitor, link, {"password": "new-password", "repeat": "new-password"})
    assert done.status_code == 302 and done.location.endswith("/auth/login")
    sign_in(app, "pf-admin", "new-password")
    assert visitor.get(link).status_code == 410  # used
    assert visitor.get("/auth/password/forged").status_code == 404
    assert "used" in html(admin.get(path))


def test_a_password_link_stops_working_when_the_account_is_deactivated(app, w):
    admin = sign_in(app, "pf-platform")
    path = f"/admin/platform/users/{w['admin'].id}"
    made = post(admin, f"{path}/password-link", form_page=path)
    link = re.search(r'value="http://localhost(/auth/password/[^"]+)"', html(made)).group(1)
    post(admin, f"{path}/deactivate", {"state-reason": "left"}, form_page=path)
    assert app.test_client().get(link).status_code == 410


# --- job health --------------------------------------------------------------------------------


def failed_outbox_entry(org) -> jobs.OutboxEntry:
    entry = jobs.OutboxEntry(
        queue="mail",
        func="core.mail.jobs.send_mail",
        args=[],
        org_id=org.id,
        attempts=3,
        last_error="ConnectionError: refused",
    )
    db.session.add(entry)
    db.session.commit()
    return entry


def test_job_health_lists_failed_jobs_and_retries_them(app, w, monkeypatch):
    jobs.reset_embedded()
    monkeypatch.setattr(jobs, "RETRY_INTERVALS", [0])  # one retry, at once: then failed for good
    failing = jobs.enqueue(jobfuncs.fail, "boom in a job", org_id=w["unit"].id)
    db.commit()
    for _attempt in range(3):
        jobs.work_burst()
    entry = failed_outbox_entry(w["unit"])
    client = sign_in(app, "pf-platform")
    page = html(client.get("/admin/platform/jobs/"))
    assert "tests.jobfuncs.fail" in page and "RuntimeError: boom in a job" in page
    assert "ConnectionError: refused" in page and "core.mail.jobs.send_mail" in page
    assert ">2</strong> failed jobs" in html(client.get("/admin/platform/"))

    job_id = f"outbox-{failing.id}"
    retried = post(
        client,
        "/admin/platform/jobs/retry",
        {"kind": "rq", "queue": "default", "job": job_id},
        form_page=JOBS,
    )
    assert retried.status_code == 302
    assert job_id not in FailedJobRegistry(queue=jobs.queue("default")).get_job_ids()
    assert job_id in jobs.queue("default").job_ids
    gone = post(
        client,
        "/admin/platform/jobs/retry",
        {"kind": "rq", "queue": "default", "job": job_id},
        form_page=JOBS,
    )
    assert gone.status_code == 404
    bad = post(
        client,
        "/admin/platform/jobs/retry",
        {"kind": "rq", "queue": "nowhere", "job": "x"},
        form_page=JOBS,
    )
    assert bad.status_code == 404

    sent = post(
        client,
        "/admin/platform/jobs/retry",
        {"kind": "outbox", "job": str(entry.id)},
        form_page=JOBS,
    )
    assert sent.status_code == 302
    assert refresh(entry).sent_at is not None
    for typed in ("99999999999999", "abc", "-1"):
        answer = post(
            client, "/admin/platform/jobs/retry", {"kind": "outbox", "job": typed}, form_page=JOBS
        )
        assert answer.status_code == 404, typed
    retries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "job.retry")).all()
    assert len(retries) == 2


def test_failed_jobs_are_in_the_platform_admins_my_work_only(app, w):
    failed_outbox_entry(w["unit"])
    platform = html(sign_in(app, "pf-platform").get("/admin"))
    assert "Failed jobs" in platform and "send_mail" in platform
    assert "/admin/platform/jobs/#outbox-" in platform
    unit_admin = html(sign_in(app, "pf-admin").get("/admin"))
    assert "Failed jobs" not in unit_admin and "send_mail" not in unit_admin
    assert "platform.failed_jobs" in work.providers()


# --- the audit log -----------------------------------------------------------------------------


def test_audit_search_by_who_where_and_what(app, w):
    audit.log("item.publish", "item", 7, org_id=w["unit"].id, actor=w["admin"])
    audit.log("item.publish", "item", 8, org_id=w["other"].id, actor=w["elsewhere"])
    audit.log("catalogue.submit", "catalogue_version", 3, org_id=w["bureau"].id, actor=w["admin"])
    db.session.commit()
    client = sign_in(app, "pf-platform")

    def objects(query):
        page = html(client.get("/admin/platform/audit/?" + query))
        return re.findall(
            r'<data class="audit-object" value="(item \d+|catalogue_version \d+)"', page
        )

    assert objects("action=item.") == ["item 8", "item 7"]
    assert objects("actor=pf-admin") == ["catalogue_version 3", "item 7"]
    assert objects("org=pf-bureau") == ["catalogue_version 3"]
    assert objects("org=pf-bureau&subtree=y&action=item") == ["item 7"]
    assert objects("object_type=item&object_id=8") == ["item 8"]
    assert objects("since=2000-01-01&until=2000-01-02") == []
    assert client.get("/admin/platform/audit/?org=nowhere").status_code == 400
    assert client.get("/admin/platform/audit/?since=1999-12-31").status_code == 400
    assert client.get("/admin/platform/audit/?since=2026-02-30").status_code == 400
    assert client.get("/admin/platform/audit/?since=2026-03-02&until=2026-03-01").status_code == 400


def test_audit_export_is_the_search_as_a_spreadsheet(app, w):
    audit.log(
        "item.publish",
        "item",
        7,
        org_id=w["unit"].id,
        actor=w["admin"],
        changes={"title": [None, "=cmd|' /C calc'!A0"]},
    )
    audit.log("item.publish", "item", 8, org_id=w["other"].id, actor=w["elsewhere"])
    db.session.commit()
    client = sign_in(app, "pf-platform")
    answer = client.get("/admin/platform/audit/export.csv?org=pf-unit&action=item.")
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(answer.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:2] == ["When", "Who"]
    assert rows[0][5:10] == [
        "Action", "Action (code)", "Kind of object", "Kind of object (code)", "Object number",
    ]  # fmt: skip
    assert [r[9] for r in rows[1:]] == ["7"]
    assert rows[1][5:9] == ["Item: Publish now", "item.publish", "Item", "item"]
    assert "=cmd" in rows[1][10]
    xlsx = client.get("/admin/platform/audit/export.xlsx")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    assert client.get("/admin/platform/audit/export.csv?org=nowhere").status_code == 400


def test_platform_pages_are_translated(app, w):
    client = sign_in(app, "pf-platform")
    for lang, word in (("zh_Hans_CN", "平台管理"), ("ug", "سۇپا")):
        client.get(f"/?lang={lang}")
        for path in (
            "/admin/platform/",
            "/admin/platform/users/",
            "/admin/platform/jobs/",
            "/admin/platform/audit/",
        ):
            page = html(client.get(path))
            assert word in page, (lang, path)
            assert "Platform console" not in page and "Job health" not in page, (lang, path)
