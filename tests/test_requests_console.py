"""Disclosure requests through their pages: the applicant files, follows and escalates a request;
the unit's staff record, accept, extend, consult and decide in the console; the superior reads
the filings and reviews escalations (REQ-1..REQ-5, IAM-2, SUP-1); nobody else sees a request."""

from __future__ import annotations

import io
import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from core import db
from core.disclosure_requests import operations as ops
from core.disclosure_requests.models import DisclosureRequest, RequestDecision
from core.items.models import Item
from core.params import operations as params
from core.plugins.testing import csrf_token
from tests.items_helpers import build_world, user

PASSWORD = "long-enough-pw"
UNIT = "/admin/o/it-unit/requests"
BUREAU = "/admin/o/it-bureau/requests"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
FORM = {
    "content": "2026年上半年党费收缴、使用和管理明细",
    "purpose": "了解党费使用情况",
    "contact_phone": "13800000000",
    "contact_email": "applicant@example.org",
    "contact_address": "",
    "delivery": "electronic",
}


@pytest.fixture
def w(make_org):
    w = build_world(make_org)
    w["applicant"] = user("req-applicant")
    w["other"] = user("req-other")
    db.session.commit()
    return w


def sign_in(app, username):
    """A fresh client signed in as ``username``, reading the pages in English."""
    client = app.test_client()
    token = csrf_token(client)
    response = client.post(
        "/auth/login", data={"username": username, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302, username
    client.get("/?lang=en")
    return client


def html(response) -> str:
    return response.get_data(as_text=True)


def post(client, path, data=None, **kwargs):
    token = csrf_token(client, kwargs.pop("token_from", "/requests"))
    return client.post(path, data={**(data or {}), "csrf_token": token}, **kwargs)


def fresh(request_id: int) -> DisclosureRequest:
    db.session.expire_all()
    return db.session.get(DisclosureRequest, request_id)


def filed(w, **overrides) -> DisclosureRequest:
    data = {**FORM, **overrides}
    req = ops.file(w["unit"], data, applicant=w["applicant"])
    db.session.commit()
    return req


# --- the applicant -----------------------------------------------------------------------------


@pytest.mark.rule("REQ-1")
def test_the_applicant_files_a_request_and_sees_its_number_and_deadline(app, w, client):
    response = client.get("/o/it-unit/requests/new")
    assert urlsplit(response.headers["Location"]).path == "/auth/login"
    assert "next=" in response.headers["Location"]
    # the unit's portal links to the form
    assert "/o/it-unit/requests/new" in html(client.get("/o/it-unit/"))

    applicant = sign_in(app, "req-applicant")
    page = applicant.get("/o/it-unit/requests/new")
    assert page.status_code == 200 and 'name="content"' in html(page)
    # refused with the text kept and the reasons under the fields
    response = post(
        applicant, "/o/it-unit/requests/new", {**FORM, "contact_email": ""},
        token_from="/o/it-unit/requests/new",
    )  # fmt: skip
    assert response.status_code == 400
    assert "Electronic delivery needs an e-mail address." in html(response)
    assert FORM["content"] in html(response)
    assert db.session.scalar(select(DisclosureRequest.id)) is None

    response = post(applicant, "/o/it-unit/requests/new", FORM, token_from="/requests")
    assert response.status_code == 303
    req = db.session.scalars(select(DisclosureRequest)).one()
    assert response.headers["Location"].endswith(f"/o/it-unit/requests/{req.id}?received=1")
    page = html(applicant.get(response.headers["Location"]))
    assert "Your request has been received" in page and req.number in page
    assert req.deadline.isoformat() in page
    assert "How the deadline was computed" in page and "the start day is not counted" in page
    assert FORM["content"] in page
    mine = html(applicant.get("/requests"))
    assert req.number in mine and f"/o/it-unit/requests/{req.id}" in mine


def test_my_requests_in_two_units_never_show_the_same_number_twice(app, w, client):
    """Numbers run per unit: the first request to each of two units is number 0001 in both, so
    the applicant's list writes each number with its unit."""
    first = filed(w)
    second = ops.file(w["sibling"], FORM, applicant=w["applicant"])
    db.session.commit()
    assert first.number == second.number  # the same number, in two units
    applicant = sign_in(app, "req-applicant")
    page = html(applicant.get("/requests"))
    links = dict(re.findall(r'href="(/o/[a-z-]+/requests/\d+)">([^<]+)</a>', page))
    shown = [links[f"/o/it-unit/requests/{first.id}"], links[f"/o/it-sibling/requests/{second.id}"]]
    assert len(set(shown)) == 2, shown
    for text, unit in zip(shown, (w["unit"], w["sibling"]), strict=True):
        assert first.number in text and unit.name("en", "short") in text, text
    # the header links the applicant's requests and the inbox on every page, for signed-in people
    for path in ("/", "/o/it-unit/"):
        header = html(applicant.get(path)).split("</header>")[0]
        assert 'href="/requests"' in header and 'href="/notifications' in header, path
    header = html(client.get("/")).split("</header>")[0]
    assert 'href="/requests"' not in header and "/auth/login" in header


@pytest.mark.rule("IAM-2")
def test_a_unit_requiring_a_real_name_level_explains_the_refusal(app, w):
    params.set_value(w["unit"], "request.min_realname_level", 2)
    db.session.commit()
    applicant = sign_in(app, "req-applicant")
    page = applicant.get("/o/it-unit/requests/new")
    assert page.status_code == 403
    text = html(page)
    assert "real-name level 2 or higher" in text and "verified at level 0" in text
    response = post(applicant, "/o/it-unit/requests/new", FORM, token_from="/requests")
    assert response.status_code == 403
    assert db.session.scalar(select(DisclosureRequest.id)) is None
    # the sibling unit asks for nothing
    assert applicant.get("/o/it-sibling/requests/new").status_code == 200


def test_nobody_but_the_applicant_reads_the_applicants_page(app, w, client):
    req = filed(w)
    path = f"/o/it-unit/requests/{req.id}"
    assert urlsplit(client.get(path).headers["Location"]).path == "/auth/login"
    for username in ("req-other", "it-member", "it-sibling-member", "it-other-member"):
        reader = sign_in(app, username)
        response = reader.get(path)
        assert response.status_code == 404, username
        assert FORM["content"] not in html(response)
        assert req.number not in html(reader.get("/requests"))
        assert reader.get(f"/api/v1/requests/{req.id}").status_code in (401, 404)
    # the request under another unit's code: 404 even for its applicant
    applicant = sign_in(app, "req-applicant")
    assert applicant.get(f"/o/it-sibling/requests/{req.id}").status_code == 404
    assert applicant.get(path).status_code == 200
    # the unit's staff are sent to the console
    staff = sign_in(app, "it-editor")
    response = staff.get(path)
    assert response.status_code == 302 and response.headers["Location"].endswith(f"{UNIT}/{req.id}")


def test_the_sibling_units_staff_cannot_reach_a_request_in_the_console(app, w):
    req = filed(w)
    sibling_admin = user("sib-admin", ("admin", w["sibling"]))
    db.session.commit()
    assert sibling_admin is not None
    client = sign_in(app, "sib-admin")
    assert client.get(f"{UNIT}/{req.id}").status_code == 403
    assert client.get(UNIT).status_code == 403
    assert client.get(f"/admin/o/it-sibling/requests/{req.id}").status_code == 404
    listing = html(client.get("/admin/o/it-sibling/requests?state=all"))
    assert req.number not in listing
    response = post(client, f"/admin/o/it-sibling/requests/{req.id}/accept")
    assert response.status_code == 404
    assert fresh(req.id).state == "submitted"


# --- the unit's console ------------------------------------------------------------------------


@pytest.mark.rule("REQ-1")
def test_staff_record_a_paper_request(app, w):
    staff = sign_in(app, "it-editor")
    page = staff.get(f"{UNIT}/new")
    assert page.status_code == 200
    data = {
        **FORM,
        "contact_email": "",
        "delivery": "collect",
        "applicant_name": "李阿姨",
        "applicant_username": "",
        "channel": "paper",
        "received_on": ops.today(w["unit"]).isoformat(),
    }
    response = post(staff, f"{UNIT}/new", {**data, "applicant_name": ""}, token_from=f"{UNIT}/new")
    assert response.status_code == 400 and "Give the applicant&#39;s name." in html(response)
    response = post(staff, f"{UNIT}/new", data, token_from=f"{UNIT}/new")
    assert response.status_code == 302
    req = db.session.scalars(select(DisclosureRequest)).one()
    assert (req.channel, req.applicant_name, req.recorded_by_id) == (
        "paper",
        "李阿姨",
        w["editor"].id,
    )
    page = html(staff.get(f"{UNIT}/{req.id}"))
    assert "李阿姨" in page and "On paper" in page and req.deadline.isoformat() in page
    # a member of the unit may not record
    member = sign_in(app, "it-member")
    assert member.get(f"{UNIT}/new").status_code == 403


@pytest.mark.rule("REQ-2")
def test_accept_extend_with_a_reason_and_consult_in_the_console(app, w):
    req = filed(w)
    staff = sign_in(app, "it-editor")
    listing = html(staff.get(UNIT))
    assert req.number in listing and "To accept" in listing
    assert post(staff, f"{UNIT}/{req.id}/accept").status_code == 302
    assert fresh(req.id).state == "accepted"
    original = fresh(req.id).deadline
    refused = post(staff, f"{UNIT}/{req.id}/extend", {"days": "5", "reason": ""})
    assert refused.status_code == 400 and "An extension needs a reason." in html(refused)
    assert fresh(req.id).extension_days is None
    extended = post(staff, f"{UNIT}/{req.id}/extend", {"days": "5", "reason": "需调阅档案"})
    assert extended.status_code == 302
    assert fresh(req.id).extension_days == 5 and fresh(req.id).deadline > original
    again = post(staff, f"{UNIT}/{req.id}/extend", {"days": "5", "reason": "再次"})
    assert again.status_code == 409 and "only one extension" in html(again)
    page = html(staff.get(f"{UNIT}/{req.id}"))
    assert "cannot be extended again" in page and "Extended once, by 5 working days" in page
    consult = {"third_party": "某第三方", "question": "是否同意公开？"}
    assert post(staff, f"{UNIT}/{req.id}/consultation", consult).status_code == 302
    assert fresh(req.id).state == "consulting"
    page = html(staff.get(f"{UNIT}/{req.id}"))
    assert "the clock is paused" in page and "某第三方" in page
    assert post(staff, f"{UNIT}/{req.id}/consultation/end", {"opinion": "同意"}).status_code == 302
    assert fresh(req.id).state == "accepted"
    # the applicant's page shows the extension and the pause
    applicant = html(sign_in(app, "req-applicant").get(f"/o/it-unit/requests/{req.id}"))
    assert "需调阅档案" in applicant and "third-party consultation" in applicant


@pytest.mark.rule("REQ-3")
def test_deciding_in_the_console_shows_each_outcomes_form_and_its_problems(app, w):
    req = filed(w)
    ops.accept(req, actor=w["editor"])
    db.session.commit()
    staff = sign_in(app, "it-reviewer")
    page = html(staff.get(f"{UNIT}/{req.id}"))
    for outcome in ("already_public", "granted", "granted_published", "partly_granted",
                    "declined", "not_held", "not_this_unit", "unclear", "duplicate"):  # fmt: skip
        assert f'id="decide-{outcome}"' in page, outcome
    refused = post(staff, f"{UNIT}/{req.id}/decide/declined", {"declined-reason_code": ""})
    assert refused.status_code == 400
    text = html(refused)
    assert "a written explanation is required" in text and 'id="decide-declined" open' in text
    response = post(
        staff, f"{UNIT}/{req.id}/decide/granted_published",
        {"granted_published-item_title": "党费使用明细", "granted_published-answer": "明细如下"},
    )  # fmt: skip
    assert response.status_code == 302
    decision = db.session.scalars(select(RequestDecision)).one()
    item = db.session.get(Item, decision.item_id)
    assert item.state == "draft" and item.org_id == w["unit"].id
    page = html(staff.get(f"{UNIT}/{req.id}"))
    assert f"/admin/o/it-unit/items/{item.id}" in page and "Granted and published" in page


@pytest.mark.rule("REQ-3")
def test_granted_documents_reach_the_applicant_only(app, w):
    req = filed(w)
    ops.accept(req, actor=w["editor"])
    db.session.commit()
    staff = sign_in(app, "it-editor")
    response = post(
        staff, f"{UNIT}/{req.id}/decide/granted",
        {"granted-answer": "见附件", "granted-attachments": [(io.BytesIO(PDF), "党费明细.pdf")]},
        content_type="multipart/form-data",
    )  # fmt: skip
    assert response.status_code == 302, html(response)[:2000]
    (att,) = ops.attachments(fresh(req.id))
    applicant = sign_in(app, "req-applicant")
    page = html(applicant.get(f"/o/it-unit/requests/{req.id}"))
    assert "党费明细.pdf" in page and "见附件" in page
    download = applicant.get(f"/o/it-unit/requests/{req.id}/attachments/{att.id}")
    assert download.status_code == 200 and download.data == PDF
    other = sign_in(app, "req-other")
    assert other.get(f"/o/it-unit/requests/{req.id}/attachments/{att.id}").status_code == 404
    assert staff.get(f"{UNIT}/{req.id}/attachments/{att.id}").data == PDF


# --- the superior: filings and escalations (REQ-5) ---------------------------------------------


@pytest.mark.rule("REQ-5")
@pytest.mark.rule("SUP-1")
def test_a_decline_appears_in_the_superiors_filings_and_the_applicant_escalates_it(app, w):
    req = filed(w)
    ops.accept(req, actor=w["editor"])
    db.session.commit()
    staff = sign_in(app, "it-editor")
    response = post(
        staff, f"{UNIT}/{req.id}/decide/declined",
        {"declined-reason_code": "party_secret", "declined-explanation": "涉及党的秘密"},
    )  # fmt: skip
    assert response.status_code == 302
    decision = db.session.scalars(select(RequestDecision)).one()
    assert decision.filed_with_id == w["bureau"].id

    superior = sign_in(app, "it-bureau-reviewer")
    filings = html(superior.get(f"{BUREAU}/filings"))
    assert req.number in filings and "涉及党的秘密" in filings and "Acknowledge" in filings
    assert req.number not in html(staff.get(f"{UNIT}/filings"))  # the unit's own: not filed
    # the superior reads the unit's requests and the request itself (SUP-1)
    assert req.number in html(superior.get(f"{BUREAU}?state=all"))
    assert superior.get(f"{UNIT}/{req.id}").status_code == 200
    assert post(superior, f"{UNIT}/{req.id}/accept").status_code == 403  # read-only
    assert post(superior, f"{BUREAU}/filings/{decision.id}/acknowledge", {"note": "已阅"},
                token_from=f"{BUREAU}/filings").status_code == 302  # fmt: skip
    db.session.expire_all()
    assert db.session.get(RequestDecision, decision.id).acknowledgement == "已阅"
    # the unit's admin cannot acknowledge its own filing
    assert post(sign_in(app, "it-admin"), f"/admin/o/it-unit/requests/filings/{decision.id}"
                "/acknowledge").status_code == 404  # fmt: skip

    applicant = sign_in(app, "req-applicant")
    page = html(applicant.get(f"/o/it-unit/requests/{req.id}"))
    assert "Declined" in page and "Ask the superior organisation to review" in page
    response = post(applicant, f"/o/it-unit/requests/{req.id}/escalate", {"grounds": "不涉密"})
    assert response.status_code == 303
    assert fresh(req.id).state == "escalated"
    assert post(sign_in(app, "req-other"), f"/o/it-unit/requests/{req.id}/escalate",
                {"grounds": "x"}).status_code == 404  # fmt: skip

    waiting = html(superior.get(f"{BUREAU}/escalations"))
    assert req.number in waiting and "不涉密" in waiting
    page = html(superior.get(f"{UNIT}/{req.id}"))
    assert "Review as the superior organisation" in page
    refused = post(superior, f"{UNIT}/{req.id}/review", {"decision": "reconsider", "comment": ""})
    assert refused.status_code == 400 and "Tell the unit what to reconsider." in html(refused)
    assert post(staff, f"{UNIT}/{req.id}/review",
                {"decision": "uphold"}).status_code == 403  # fmt: skip
    response = post(superior, f"{UNIT}/{req.id}/review",
                    {"decision": "reconsider", "comment": "请重新审查"})  # fmt: skip
    assert response.status_code == 302
    assert fresh(req.id).state == "accepted" and fresh(req.id).outcome is None
    page = html(applicant.get(f"/o/it-unit/requests/{req.id}"))
    assert "The unit was ordered to reconsider" in page and "请重新审查" in page


@pytest.mark.rule("REQ-3")
def test_the_applicant_amends_an_unclear_request(app, w):
    req = filed(w)
    ops.decide(req, "unclear", {"explanation": "请说明年份"}, actor=w["editor"])
    db.session.commit()
    applicant = sign_in(app, "req-applicant")
    page = html(applicant.get(f"/o/it-unit/requests/{req.id}"))
    assert "Make your request clear" in page and "请说明年份" in page
    empty = post(applicant, f"/o/it-unit/requests/{req.id}/amend", {"amendment": ""})
    assert empty.status_code == 400
    response = post(applicant, f"/o/it-unit/requests/{req.id}/amend", {"amendment": "2025年"})
    assert response.status_code == 303
    assert fresh(req.id).state == "accepted" and fresh(req.id).amendment == "2025年"


def test_the_list_filters_overdue_and_provisional_deadlines(app, w):
    late = filed(w)
    late.deadline = ops.today(w["unit"]).replace(year=2000)
    other = filed(w)
    other.deadline_provisional = True
    db.session.commit()
    staff = sign_in(app, "it-admin")
    overdue = html(staff.get(f"{UNIT}?overdue=1"))
    assert late.number in overdue and other.number not in overdue
    assert "overdue" in overdue
    provisional = html(staff.get(f"{UNIT}?provisional=1"))
    assert other.number in provisional and late.number not in provisional
    assert re.search(r"badge-provisional", provisional)


class TestRateLimits:
    @pytest.fixture
    def app_settings(self, app_settings):
        return {**app_settings, "config": {"RATELIMIT_ENABLED": True}}

    @pytest.mark.rule("REQ-1")
    def test_filing_is_limited_per_applicant(self, app, w):
        applicant = sign_in(app, "req-applicant")
        statuses = [
            post(applicant, "/o/it-unit/requests/new", FORM, token_from="/requests").status_code
            for _ in range(4)
        ]
        assert statuses == [303, 303, 303, 429]
        assert db.session.scalar(select(DisclosureRequest.id).order_by(DisclosureRequest.id.desc()))
        # another applicant from the same address is not affected
        other = sign_in(app, "req-other")
        response = post(other, "/o/it-unit/requests/new", FORM, token_from="/requests")
        assert response.status_code == 303


def test_a_second_extension_is_refused_in_chinese_and_the_first_stays(app, w):
    """Issue 11: the refusal reads in the reader's language, without a rule id."""
    req = filed(w)
    ops.accept(req, actor=w["editor"])
    ops.extend(req, actor=w["editor"], reason="需调阅档案", days=5)
    db.session.commit()
    staff = sign_in(app, "it-editor")
    staff.get("/?lang=zh_Hans_CN")
    again = post(staff, f"{UNIT}/{req.id}/extend", {"days": "3", "reason": "再次"})
    text = html(again)
    assert again.status_code == 409
    assert "答复期限已延长过一次：只能延长一次。" in text
    assert "REQ-2" not in text and "only one extension" not in text
    assert fresh(req.id).extension_days == 5 and fresh(req.id).extension_reason == "需调阅档案"
