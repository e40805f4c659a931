"""The items console: the item form, the workflow through its buttons and forms, the superior's
inbox, decisions and filings, timeliness and the register pages (PUB-1..PUB-7, ARC-1, ARC-2)."""

from __future__ import annotations

import io
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, select

from core import db
from core.items import operations as items
from core.items import timeliness
from core.items.models import Attachment, Item
from core.plugins.testing import csrf_token
from core.workflow.engine import SYSTEM
from tests.items_helpers import build_world, plan, published, sign_in, through_review

PASSWORD = "long-enough-pw"
UNIT = "/admin/o/it-unit"
BUREAU = "/admin/o/it-bureau"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture
def w(make_org):
    return build_world(make_org)


def html(response) -> str:
    return response.get_data(as_text=True)


def post(client, path, data=None, **kwargs):
    """POST a form with the session's CSRF token (taken from the item list)."""
    token = csrf_token(client, kwargs.pop("token_from", UNIT + "/items"))
    return client.post(path, data={**(data or {}), "csrf_token": token}, **kwargs)


def local_minutes(delta: timedelta) -> str:
    moment = datetime.now(ZoneInfo("Asia/Shanghai")) + delta
    return moment.strftime("%Y-%m-%dT%H:%M")


def form_data(**overrides) -> dict:
    data = {
        "entry_key": "org.fees",
        "period_key": "",
        "title_zh_Hans_CN": "2026年第一季度党费收缴情况",
        "title_en": "Party dues, Q1 2026",
        "title_ug": "",
        "body_zh_Hans_CN": "本季度应缴党费 **1200** 元，实缴 1200 元。",
        "body_en": "Dues paid in full.",
        "body_ug": "",
        "scope": "party_wide",
        "audience_orgs": "",
        "audience_users": "",
        "channels": ["meeting", "notice_board"],
        "planned_at": local_minutes(-timedelta(minutes=5)),
        "decision_date": "2026-03-20",
        "internal_first": "y",
        "notice_days": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def item_id_from(response) -> int:
    match = re.search(r"/items/(\d+)$", response.headers["Location"])
    assert match, response.headers.get("Location")
    return int(match.group(1))


def fresh(item_id: int) -> Item:
    db.session.expire_all()
    return db.session.get(Item, item_id)


REVIEW = {
    "secrecy_passed": "yes",
    "secrecy_basis": "《党务公开条例》第十条",
    "necessity_ok": "yes",
    "accuracy_ok": "yes",
    "outcome": "pass",
    "refuse_reason": "",
    "comment": "",
}


# --- the full flow through the forms ---------------------------------------------------------


@pytest.mark.rule("PUB-1")
def test_draft_propose_review_approve_schedule_publish_and_register(app, w):
    editor = sign_in(app, "it-editor")
    assert editor.get(UNIT + "/items/new").status_code == 200
    data = form_data(attachments=[(io.BytesIO(PDF), "党费收缴明细.pdf")])
    response = post(editor, UNIT + "/items/new", data, content_type="multipart/form-data")
    assert response.status_code == 302, html(response)
    item_id = item_id_from(response)
    item = fresh(item_id)
    assert item.state == "draft" and item.entry_key == "org.fees" and item.period_key == "2026-Q1"
    assert item.current_version.titles == {
        "zh_Hans_CN": "2026年第一季度党费收缴情况",
        "en": "Party dues, Q1 2026",
    }
    assert item.planned_at.tzinfo is not None
    (attachment,) = db.session.scalars(select(Attachment).where(Attachment.item_id == item_id))
    assert (
        attachment.filename == "党费收缴明细.pdf" and attachment.content_type == "application/pdf"
    )

    page = html(editor.get(f"{UNIT}/items/{item_id}"))
    assert "党费收缴明细.pdf" in page and "<strong>1200</strong>" in page  # rendered Markdown
    download = editor.get(f"{UNIT}/items/{item_id}/attachments/{attachment.id}")
    assert download.status_code == 200 and download.data == PDF

    assert post(editor, f"{UNIT}/items/{item_id}/propose").status_code == 302
    assert fresh(item_id).state == "proposed"

    reviewer = sign_in(app, "it-reviewer")
    review_page = html(reviewer.get(f"{UNIT}/items/{item_id}"))
    assert f'action="{UNIT}/items/{item_id}/review"' in review_page
    missing = post(
        reviewer,
        f"{UNIT}/items/{item_id}/review",
        {**REVIEW, "secrecy_basis": " ", "comment": "核对了收缴名单"},
    )
    assert missing.status_code == 400
    assert "Give the basis of the secrecy review" in html(missing)
    assert "核对了收缴名单" in html(missing)  # the input is kept
    assert fresh(item_id).state == "proposed"
    response = post(reviewer, f"{UNIT}/items/{item_id}/review", REVIEW)
    assert response.status_code == 302
    assert fresh(item_id).state == "reviewed"

    admin = sign_in(app, "it-admin")
    assert post(admin, f"{UNIT}/items/{item_id}/approve").status_code == 302
    assert fresh(item_id).state == "approved"
    assert post(editor, f"{UNIT}/items/{item_id}/schedule").status_code == 302
    assert fresh(item_id).state == "scheduled"
    assert "Publish now" in html(admin.get(f"{UNIT}/items/{item_id}"))
    assert post(admin, f"{UNIT}/items/{item_id}/publish").status_code == 302
    item = fresh(item_id)
    assert item.state == "published" and item.published_at is not None

    page = html(admin.get(f"{UNIT}/register?year={item.published_at.year}"))
    assert "2026年第一季度党费收缴情况" in page
    assert "The chain is intact" in page
    assert "/register/export.csv" in page and "/register/export.xlsx" in page
    csv = admin.get(f"{UNIT}/register/export.csv?year={item.published_at.year}")
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    assert "attachment" in csv.headers["Content-Disposition"]
    text = csv.get_data(as_text=True)
    assert "2026年第一季度党费收缴情况" in text and "党费收缴明细.pdf" in text
    xlsx = admin.get(f"{UNIT}/register/export.xlsx?year={item.published_at.year}")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"


def test_review_outcome_must_match_the_checks(app, w):
    item = items.create(w["unit"], plan(), actor=w["editor"])
    items.propose(item, actor=w["editor"])
    db.session.commit()
    reviewer = sign_in(app, "it-reviewer")
    path = f"{UNIT}/items/{item.id}/review"
    response = post(reviewer, path, {**REVIEW, "accuracy_ok": "no"})
    assert response.status_code == 400
    assert "A review passes only when all three checks passed" in html(response)
    response = post(reviewer, path, {**REVIEW, "accuracy_ok": "no", "outcome": "return"})
    assert response.status_code == 400 and "Tell the editor what to change" in html(response)
    response = post(
        reviewer, path, {**REVIEW, "accuracy_ok": "no", "outcome": "return", "comment": "金额有误"}
    )
    assert response.status_code == 302
    assert fresh(item.id).state == "draft"


@pytest.mark.rule("SEC-1")
def test_a_refusal_needs_a_reason_from_the_code_list(app, w):
    item = items.create(w["unit"], plan(), actor=w["editor"])
    items.propose(item, actor=w["editor"])
    db.session.commit()
    reviewer = sign_in(app, "it-reviewer")
    path = f"{UNIT}/items/{item.id}/review"
    refuse = {**REVIEW, "secrecy_passed": "no", "outcome": "refuse"}
    response = post(reviewer, path, refuse)
    assert response.status_code == 400
    assert "Choose the reason for refusing publication" in html(response)
    assert post(reviewer, path, {**refuse, "refuse_reason": "party_secret"}).status_code == 302
    item = fresh(item.id)
    assert item.state == "refused" and item.involves_secrets


# --- the superior ----------------------------------------------------------------------------


@pytest.mark.rule("PUB-3")
def test_an_off_catalogue_item_is_approved_in_the_bureau_reviewers_inbox(app, w):
    editor = sign_in(app, "it-editor")
    data = form_data(entry_key="~off", title_zh_Hans_CN="关于开展主题党日活动的通知", title_en="")
    response = post(editor, UNIT + "/items/new", data)
    assert response.status_code == 302, html(response)
    item_id = item_id_from(response)
    item = fresh(item_id)
    assert item.off_catalogue
    through_review(w, item)
    db.session.commit()
    admin = sign_in(app, "it-admin")
    assert "Submit to the superior" in html(admin.get(f"{UNIT}/items/{item_id}"))
    assert post(admin, f"{UNIT}/items/{item_id}/approve").status_code == 302
    assert fresh(item_id).state == "superior_review"
    # the unit admin cannot decide for the superior
    assert admin.get(f"{UNIT}/items/{item_id}/decide").status_code == 403

    bureau = sign_in(app, "it-bureau-reviewer")
    inbox = html(bureau.get(BUREAU + "/items/inbox"))
    assert "关于开展主题党日活动的通知" in inbox
    decide = f"{UNIT}/items/{item_id}/decide"
    assert f'href="{decide}"' in inbox
    page = bureau.get(decide)
    assert page.status_code == 200 and "outside the unit" in html(page)
    response = post(bureau, decide, {"decision": "return", "comment": " "}, token_from=decide)
    assert response.status_code == 400 and "Write a comment" in html(response)
    assert fresh(item_id).state == "superior_review"
    response = post(bureau, decide, {"decision": "approve", "comment": ""}, token_from=decide)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(BUREAU + "/items/inbox")
    assert fresh(item_id).state == "approved"
    assert "Nothing is waiting for you here" in html(bureau.get(BUREAU + "/items/inbox"))


@pytest.mark.rule("PUB-6")
def test_withholding_needs_a_reason_and_is_filed_with_the_parent(app, w):
    item = through_review(w, items.create(w["unit"], plan(), actor=w["editor"]))
    db.session.commit()
    admin = sign_in(app, "it-admin")
    path = f"{UNIT}/items/{item.id}/withhold"
    response = post(admin, path, {"reason": "  "})
    assert response.status_code == 400
    assert "Give the reason why the item is withheld" in html(response)
    assert fresh(item.id).state == "reviewed"
    response = post(admin, path, {"reason": "涉及正在调查的事项，暂不公开"})
    assert response.status_code == 302
    assert fresh(item.id).state == "withheld"

    bureau = sign_in(app, "it-bureau-reviewer")
    page = html(bureau.get(BUREAU + "/items/filings"))
    assert "Party dues, Q1 2026" in page and "涉及正在调查的事项，暂不公开" in page
    assert "涉及正在调查的事项" not in html(bureau.get("/admin/o/it-sibling/items/filings"))


@pytest.mark.rule("PUB-7")
def test_an_amendment_is_approved_by_the_superior_and_registered(app, w):
    item = published(w)
    editor = sign_in(app, "it-editor")
    path = f"{UNIT}/items/{item.id}/amend"
    form = html(editor.get(path))
    assert "本季度应缴党费" in form  # prefilled with the version in force
    amended = {
        "title_zh_Hans_CN": "2026年第一季度党费收缴情况（更正）",
        "title_en": "Party dues, Q1 2026 (corrected)",
        "title_ug": "",
        "body_zh_Hans_CN": "本季度应缴党费 **1300** 元，实缴 1300 元。",
        "body_en": "Dues paid in full.",
        "body_ug": "",
    }
    response = post(editor, path, {**amended, "explanation": ""})
    assert response.status_code == 400 and "Explain what changes and why" in html(response)
    assert "1300" in html(response)  # kept
    assert (
        post(editor, path, {**amended, "explanation": "金额填写有误，予以更正"}).status_code == 302
    )
    assert fresh(item.id).state == "amendment_pending"

    bureau = sign_in(app, "it-bureau-reviewer")
    decide = f"{UNIT}/items/{item.id}/decide"
    assert f'href="{decide}"' in html(bureau.get(BUREAU + "/items/inbox"))
    page = html(bureau.get(decide))
    assert "<del>本季度应缴党费 **1200** 元，实缴 1200 元。</del>" in page
    assert "<ins>本季度应缴党费 **1300** 元，实缴 1300 元。</ins>" in page
    assert "金额填写有误，予以更正" in page
    response = post(bureau, decide, {"decision": "approve"}, token_from=decide)
    assert response.status_code == 302
    item = fresh(item.id)
    assert item.state == "published" and item.current_version.number == 2
    admin = sign_in(app, "it-admin")
    register = html(admin.get(f"{UNIT}/register?year={item.published_at.year}"))
    assert "Amended" in register and "（更正）" in register


def test_a_revocation_is_proposed_with_an_explanation(app, w):
    item = published(w)
    admin = sign_in(app, "it-admin")
    path = f"{UNIT}/items/{item.id}/revoke"
    assert post(admin, path, {"explanation": ""}).status_code == 400
    assert post(admin, path, {"explanation": "数据来源错误"}).status_code == 302
    assert fresh(item.id).state == "revocation_pending"
    bureau = sign_in(app, "it-bureau-reviewer")
    decide = f"{UNIT}/items/{item.id}/decide"
    assert "数据来源错误" in html(bureau.get(decide))
    assert post(bureau, decide, {"decision": "approve"}, token_from=decide).status_code == 302
    assert fresh(item.id).state == "revoked"


# --- access ----------------------------------------------------------------------------------


def test_members_are_refused_anonymous_sent_to_sign_in_other_items_not_found(app, client, w):
    item = items.create(w["unit"], plan(), actor=w["editor"])
    foreign = items.create(w["sibling"], plan(entry_key=None), actor=SYSTEM)
    db.session.commit()
    response = client.get(UNIT + "/items")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    member = sign_in(app, "it-member")
    for path in (
        "/items",
        "/items/new",
        f"/items/{item.id}",
        "/items/inbox",
        "/items/filings",
        "/timeliness",
        "/register",
        "/register/export.csv",
    ):
        assert member.get(UNIT + path).status_code == 403, path
    editor = sign_in(app, "it-editor")
    assert editor.get(f"{UNIT}/items/{foreign.id}").status_code == 404
    assert editor.get(f"{UNIT}/items/{foreign.id}/edit").status_code == 404
    assert post(editor, f"{UNIT}/items/{foreign.id}/propose").status_code == 404
    assert editor.get(UNIT + "/register").status_code == 403  # register.view: not editors
    # the reviewer may not approve (a step of the admin)
    reviewer = sign_in(app, "it-reviewer")
    assert post(reviewer, f"{UNIT}/items/{item.id}/approve").status_code == 403
    assert 'href="/admin/o/it-unit/register"' in html(reviewer.get(UNIT + "/items"))


def test_a_wrong_attachment_type_is_rejected_with_a_message(app, w):
    editor = sign_in(app, "it-editor")
    data = form_data(
        attachments=[
            (io.BytesIO(PDF), "good.pdf"),
            (io.BytesIO(b"MZ\x90\x00"), "setup.exe"),
            (io.BytesIO(b"hello"), "fake.pdf"),
        ]
    )
    response = post(editor, UNIT + "/items/new", data, content_type="multipart/form-data")
    assert response.status_code == 400
    page = html(response)
    assert "setup.exe: this type of file is not accepted" in page
    assert "fake.pdf: the content does not match a .pdf file" in page
    assert "2026年第一季度党费收缴情况" in page  # the input is kept
    assert db.session.scalar(select(Item.id)) is None  # nothing saved

    item = items.create(w["unit"], plan(), actor=w["editor"])
    db.session.commit()
    path = f"{UNIT}/items/{item.id}/attachments"
    data = {"attachments": [(io.BytesIO(b"text"), "notes.txt")]}
    response = post(editor, path, data, content_type="multipart/form-data")
    assert response.status_code == 400 and "notes.txt: this type of file is not accepted" in html(
        response
    )
    data = {"attachments": [(io.BytesIO(PDF), "会议记录.pdf")]}
    assert post(editor, path, data, content_type="multipart/form-data").status_code == 302
    assert [a.filename for a in items.attachments(fresh(item.id))] == ["会议记录.pdf"]


# --- the form --------------------------------------------------------------------------------


def test_form_errors_are_shown_at_their_fields_and_the_input_is_kept(app, w):
    editor = sign_in(app, "it-editor")
    data = form_data(
        title_zh_Hans_CN="",
        channels=["meeting", "broadcast_tv"],
        scope="specific",
        title_en="Kept title",
    )
    response = post(editor, UNIT + "/items/new", data)
    assert response.status_code == 400
    page = html(response)
    assert "Write the title in Chinese." in page
    assert "do not suit the scope" in page
    assert "Name at least one organisation or person." in page
    assert 'value="Kept title"' in page
    # problems of the operation land at their fields too
    response = post(editor, UNIT + "/items/new", form_data(period_key="2026-Q9"))
    assert response.status_code == 400
    assert re.search(
        r'id="period_key-error-1">[^<]*Choose one of the periods of this entry', html(response)
    )


@pytest.mark.rule("SCOPE-1")
def test_a_specific_audience_and_an_edit_after_review_returns_to_review(app, w):
    editor = sign_in(app, "it-editor")
    data = form_data(scope="specific", audience_orgs="it-child", audience_users="it-sibling-member")
    response = post(editor, UNIT + "/items/new", data)
    assert response.status_code == 302, html(response)
    item = fresh(item_id_from(response))
    assert items.audience(item) == {"orgs": ["it-child"], "users": ["it-sibling-member"]}
    through_review(w, item)
    db.session.commit()
    edit = f"{UNIT}/items/{item.id}/edit"
    page = html(editor.get(edit))
    assert "it-child" in page and "returns it to the review" in page
    # saved unchanged: nothing happens
    unchanged = form_data(
        scope="specific",
        audience_orgs="it-child",
        audience_users="it-sibling-member",
        planned_at=re.search(r'name="planned_at" type="datetime-local" value="([^"]+)"', page)[1],
    )
    assert post(editor, edit, unchanged).status_code == 302
    assert fresh(item.id).state == "reviewed"
    # a change of the channels returns it to the review (PUB-4)
    assert post(editor, edit, {**unchanged, "channels": ["meeting"]}).status_code == 302
    item = fresh(item.id)
    assert item.state == "proposed" and item.channels == ["meeting"]


# --- timeliness ------------------------------------------------------------------------------


@pytest.mark.rule("CAT-5")
def test_timeliness_of_the_unit_and_the_flags_of_the_subtree(app, w):
    published(w)
    timeliness.refresh(w["unit"], 2026)
    db.session.commit()
    admin = sign_in(app, "it-admin")
    page = html(admin.get(UNIT + "/timeliness?year=2026"))
    assert page.count('data-entry="org.fees"') == 4  # quarterly
    assert "Party dues, Q1 2026" in page  # Q1 met by the published item
    assert "overdue" in page  # Q2, Q3 passed unmet (today is later than their due dates)
    assert "/items/new?entry=org.fees&amp;period=2026-Q2" in page
    bureau = sign_in(app, "it-bureau-reviewer")
    flags = html(bureau.get(BUREAU + "/timeliness?year=2026"))
    assert "Open flags of the units below" in flags and "it-unit" in flags


# --- queries ---------------------------------------------------------------------------------


class QueryCounter:
    def __init__(self):
        self.count = 0

    def __call__(self, *args):
        self.count += 1


def test_the_item_list_needs_as_many_queries_for_many_items_as_for_one(app, w):
    items.create(w["unit"], plan(), actor=w["editor"])
    db.session.commit()
    editor = sign_in(app, "it-editor")
    editor.get(UNIT + "/items")  # warm up (code lists, templates)
    engine = db.session.get_bind()
    counter = QueryCounter()
    event.listen(engine, "before_cursor_execute", counter)
    try:
        assert editor.get(UNIT + "/items").status_code == 200
        one = counter.count
        for n in range(8):
            items.create(w["unit"], plan(titles={"zh_Hans_CN": f"第{n}号"}), actor=w["editor"])
        db.session.commit()
        counter.count = 0
        page = editor.get(UNIT + "/items")
        assert page.status_code == 200 and "第7号" in html(page)
        assert counter.count == one
    finally:
        event.remove(engine, "before_cursor_execute", counter)


@pytest.mark.rule("SCOPE-2")
def test_the_inside_the_party_first_choice_says_how_many_days_under_the_parameter(app, w):
    from core.params import operations as params

    client = sign_in(app, "it-editor")
    page = html(client.get(UNIT + "/items/new?lang=en"))
    assert "sets no days inside the Party" in page  # the default: 0 days
    params.set_value(w["county"], "scope.internal_first_days", 5)
    db.session.commit()
    page = html(client.get(UNIT + "/items/new?lang=en"))
    assert "widens to the public after 5 days" in page
    page = html(client.get(UNIT + "/items/new?lang=zh_Hans_CN"))
    assert "5天后再向社会公开" in page
