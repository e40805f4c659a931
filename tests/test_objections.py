"""Objections to notices are handled, not only collected (PUB-5).

The objector gets a receipt number and a lookup code (the code is shown once, only its digest is
kept); the unit's admins and editors are told; staff record what was checked and the outcome
(upheld with the way the item is corrected, or dismissed with a reason), once; the objector reads
it with the receipt and the code, or is told when they lodged it signed in; after the notice
closes, its page shows how many objections were received and their outcomes, never who made them.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from core import db
from core.errors import UserError
from core.items import operations as items
from core.items.models import Objection
from core.plugins.testing import csrf_token
from tests.items_helpers import published, sign_in
from tests.notification_helpers import told, world

RECEIPT = re.compile(r"YY-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}")


@pytest.fixture
def w(make_org):
    w = world(make_org)
    w["notice"] = published(
        w, entry_key="org.election", scope="public", channels=["website"], is_notice=True,
        titles={"zh_Hans_CN": "换届选举候选人公示", "en": "Election candidates"},
    )  # fmt: skip
    return w


def lodge_on_the_portal(app, item, text="候选人张某不符合条件", name="李四"):
    """An anonymous visitor lodges an objection on the item's page: ``(receipt, code, page)``."""
    client = app.test_client()
    page = f"/o/{item.organisation.code}/items/{item.id}?lang=en"
    token = csrf_token(client, page)
    response = client.post(
        f"/o/{item.organisation.code}/items/{item.id}/objections",
        data={"csrf_token": token, "text": text, "name": name, "contact": "13800000000"},
    )
    assert response.status_code == 303
    received = client.get(response.headers["Location"])
    html = received.get_data(as_text=True)
    assert received.status_code == 200 and "no-store" in received.headers["Cache-Control"]
    receipt = RECEIPT.search(html).group(0)
    code = re.search(r'class="lookup-code">([a-z2-9]{8})<', html).group(1)
    return receipt, code, html


def look_up(app, org, receipt, code):
    response = app.test_client().get(
        f"/o/{org.code}/objections/lookup", query_string={"receipt": receipt, "code": code}
    )
    return response.status_code, response.get_data(as_text=True)


def record(client, item, objection, **fields):
    token = csrf_token(client, f"/admin/o/{item.organisation.code}/items/{item.id}")
    data = {f"objection-{objection.id}-{k}": v for k, v in fields.items()}
    data[f"objection-{objection.id}-csrf_token"] = token
    return client.post(
        f"/admin/o/{item.organisation.code}/items/{item.id}/objections/{objection.id}", data=data
    )


@pytest.mark.rule("PUB-5")
def test_an_objection_gets_a_receipt_and_a_code_and_the_units_staff_are_told(app, w):
    receipt, code, html = lodge_on_the_portal(app, w["notice"])
    assert receipt in html and code in html and "/objections/lookup?receipt=" in html
    objection = db.session.scalar(select(Objection).where(Objection.receipt == receipt))
    assert objection.lookup_hash and code not in objection.lookup_hash  # the code is not kept
    assert told("items.objection_lodged") == {"it-admin", "it-editor"}
    status, page = look_up(app, w["unit"], receipt.lower().replace("-", " "), code)
    assert status == 200 and "候选人张某不符合条件" in page
    assert "The unit has not recorded the outcome yet." in page or "尚未" in page


@pytest.mark.rule("PUB-5")
def test_staff_record_the_outcome_once_and_the_objector_reads_it(app, w):
    receipt, code, _ = lodge_on_the_portal(app, w["notice"])
    objection = db.session.scalar(select(Objection).where(Objection.receipt == receipt))
    client = sign_in(app, "it-admin")
    detail = client.get(f"/admin/o/it-unit/items/{w['notice'].id}").get_data(as_text=True)
    assert receipt in detail and "Record the outcome" in detail
    # dismissed without a reason: refused, nothing recorded, what was typed is kept
    refused = record(
        client, w["notice"], objection, checked="核对了候选人档案", outcome="dismissed"
    )
    text = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert "Give the reason why the objection is dismissed." in text and "核对了候选人档案" in text
    db.session.expire_all()
    assert not db.session.get(Objection, objection.id).handled
    # the first accepted
    done = record(
        client, w["notice"], objection, checked="核对了候选人档案", outcome="dismissed",
        reason="档案显示候选人符合条件",
    )  # fmt: skip
    assert done.status_code == 302
    db.session.expire_all()
    stored = db.session.get(Objection, objection.id)
    assert stored.handled and stored.outcome == "dismissed" and stored.remedy is None
    # the objector reads it with the receipt and the code; a wrong code shows nothing
    status, page = look_up(app, w["unit"], receipt, code)
    assert status == 200 and "档案显示候选人符合条件" in page and "核对了候选人档案" in page
    status, page = look_up(app, w["unit"], receipt, "wrongcod")
    assert status == 404 and "候选人张某不符合条件" not in page
    status, _page = look_up(app, w["sibling"], receipt, code)  # another unit's address
    assert status == 404
    # once only
    again = record(
        client, w["notice"], objection, checked="x", outcome="upheld", remedy="amendment"
    )
    assert again.status_code == 409
    db.session.expire_all()
    assert db.session.get(Objection, objection.id).outcome == "dismissed"


@pytest.mark.rule("PUB-5")
def test_an_upheld_objection_names_how_the_item_is_corrected(w):
    objection = items.lodge_objection(w["notice"], text="公示名单有误")
    with pytest.raises(UserError) as refused, force_locale("en"):
        items.handle_objection(
            objection, outcome="upheld", checked="核对名单", actor=w["admin"]
        )  # fmt: skip
    assert any("amendment, withholding or revocation" in str(p) for p in refused.value.problems)
    with pytest.raises(UserError):
        items.handle_objection(objection, outcome="maybe", checked="核对名单", actor=w["admin"])
    with pytest.raises(UserError):
        items.handle_objection(objection, outcome="upheld", checked=" ", remedy="amendment",
                               actor=w["admin"])  # fmt: skip
    items.handle_objection(
        objection, outcome="upheld", checked="核对名单", remedy="amendment", actor=w["admin"]
    )
    assert objection.handled and objection.remedy == "amendment"
    with pytest.raises(UserError) as twice:
        items.handle_objection(objection, outcome="dismissed", checked="x", reason="y",
                               actor=w["admin"])  # fmt: skip
    assert twice.value.status == 409


def test_a_signed_in_objector_is_told_the_outcome(w):
    objection = items.lodge_objection(w["notice"], text="有异议", user=w["member"])
    db.session.commit()
    items.handle_objection(
        objection, outcome="dismissed", checked="查阅记录", reason="不成立", actor=w["admin"]
    )
    db.session.commit()
    assert told("items.objection_decided") == {"it-member"}


def test_only_the_units_admins_and_editors_record_an_outcome(app, w):
    objection = items.lodge_objection(w["notice"], text="有异议")
    other = items.lodge_objection(w["notice"], text="另一条异议")
    db.session.commit()
    fields = {"checked": "查阅", "outcome": "dismissed", "reason": "不成立"}
    member = sign_in(app, "it-member")
    assert record(member, w["notice"], objection, **fields).status_code == 403
    reviewer = sign_in(app, "it-reviewer")
    assert record(reviewer, w["notice"], objection, **fields).status_code == 403
    # an objection under another item's address, another unit's admin: 404
    admin = sign_in(app, "it-admin")
    sibling_item = published(w, entry_key="org.election", scope="public", channels=["website"],
                             is_notice=True)  # fmt: skip
    token = csrf_token(admin, f"/admin/o/it-unit/items/{w['notice'].id}")
    wrong = admin.post(
        f"/admin/o/it-unit/items/{sibling_item.id}/objections/{objection.id}",
        data={f"objection-{objection.id}-csrf_token": token,
              **{f"objection-{objection.id}-{k}": v for k, v in fields.items()}},
    )  # fmt: skip
    assert wrong.status_code == 404
    sibling_admin = sign_in(app, "it-sibling-admin")
    token = csrf_token(sibling_admin, "/admin/o/it-sibling/items")
    foreign = sibling_admin.post(
        f"/admin/o/it-sibling/items/{w['notice'].id}/objections/{other.id}",
        data={f"objection-{other.id}-csrf_token": token,
              **{f"objection-{other.id}-{k}": v for k, v in fields.items()}},
    )  # fmt: skip
    assert foreign.status_code == 404
    # without the form's token: 400
    assert admin.post(
        f"/admin/o/it-unit/items/{w['notice'].id}/objections/{objection.id}",
        data={f"objection-{objection.id}-{k}": v for k, v in fields.items()},
    ).status_code == 400  # fmt: skip
    db.session.expire_all()
    assert not db.session.get(Objection, objection.id).handled


@pytest.mark.rule("PUB-5")
def test_a_closed_notice_shows_how_many_objections_and_their_outcomes_never_who(
    app, w, monkeypatch
):
    notice = w["notice"]
    first = items.lodge_objection(notice, text="异议一", name="王五实名", contact="13900000000")
    items.lodge_objection(notice, text="异议二", name="赵六实名")
    items.handle_objection(first, outcome="upheld", checked="核对", remedy="amendment",
                           actor=w["admin"])  # fmt: skip
    db.session.commit()
    client = app.test_client()
    url = f"/o/it-unit/items/{notice.id}?lang=en"
    assert "objections were received" not in client.get(url).get_data(as_text=True)  # still open
    ends = notice.notice_ends_at
    monkeypatch.setattr(db, "utcnow", lambda: ends + timedelta(seconds=1))
    assert items.close_notices() == 1
    db.session.commit()
    page = client.get(url).get_data(as_text=True)
    assert "2 objections were received: 1 upheld, 0 dismissed, 1 being handled." in page
    assert "王五实名" not in page and "赵六实名" not in page and "异议一" not in page


def test_a_notice_without_objections_says_so_when_closed(app, w):
    notice = w["notice"]
    notice.notice_ends_at = datetime.now(UTC) - timedelta(seconds=1)
    db.session.commit()
    page = app.test_client().get(f"/o/it-unit/items/{notice.id}?lang=en").get_data(as_text=True)
    assert "No objection was received." in page


def test_the_api_returns_the_receipt_and_the_lookup_code(app, w):
    response = app.test_client().post(
        f"/api/v1/items/{w['notice'].id}/objections", json={"text": "通过接口提出的异议"}
    )
    assert response.status_code == 201
    body = response.get_json()
    assert RECEIPT.fullmatch(body["receipt"]) and len(body["lookup_code"]) == 8
    status, page = look_up(app, w["unit"], body["receipt"], body["lookup_code"])
    assert status == 200 and "通过接口提出的异议" in page


def test_a_lookup_with_nothing_typed_shows_the_form_and_junk_is_no_error(app, w):
    client = app.test_client()
    assert client.get("/o/it-unit/objections/lookup").status_code == 200
    for receipt, code in [("x" * 500, "y" * 500), ("YY-????-####", "\u202e"), ("", "abc")]:
        response = client.get(
            "/o/it-unit/objections/lookup", query_string={"receipt": receipt, "code": code}
        )
        assert response.status_code == 404


def test_objection_without_user_is_not_told(w):
    """No account: nobody to tell (the objector reads it with the code)."""
    objection = items.lodge_objection(w["notice"], text="匿名异议")
    db.session.commit()
    items.handle_objection(objection, outcome="dismissed", checked="查", reason="否",
                           actor=w["admin"])  # fmt: skip
    db.session.commit()
    assert told("items.objection_decided") == set()


def test_the_objections_page_lists_those_to_handle_then_those_handled(app, w):
    first = items.lodge_objection(w["notice"], text="异议一")
    second = items.lodge_objection(w["notice"], text="异议二")
    items.handle_objection(second, outcome="dismissed", checked="查", reason="否",
                           actor=w["admin"])  # fmt: skip
    db.session.commit()
    client = sign_in(app, "it-reviewer")  # reads the console, may not record an outcome
    listing = client.get("/o/it-unit/items".replace("/o/", "/admin/o/")).get_data(as_text=True)
    assert "/admin/o/it-unit/objections" in listing  # found from the items page
    page = client.get("/admin/o/it-unit/objections").get_data(as_text=True)
    to_handle, handled = page.split('id="handled-h"')
    assert first.receipt in to_handle and second.receipt not in to_handle
    assert second.receipt in handled and "Dismissed" in handled
    assert f"#objection-{first.id}" in to_handle
    assert sign_in(app, "it-member").get("/admin/o/it-unit/objections").status_code == 403
    assert sign_in(app, "it-sibling-admin").get("/admin/o/it-unit/objections").status_code == 403
