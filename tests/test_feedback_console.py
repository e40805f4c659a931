"""The feedback ledger in the unit console: the ledger with its filters, recording feedback, one
entry through its whole handling by the console's forms, exports (columns and permissions),
statistics per unit and per subtree, and who may read which ledger (SUP-1)."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from core import db, localtime
from core.feedback import operations as feedback
from core.feedback.models import FeedbackEntry
from core.plugins.testing import csrf_token
from core.register.models import RegisterEntry
from tests.feedback_helpers import (
    answered,
    closed,
    days,
    html,
    online,
    recorded,
    sign_in,
    world,
)

LEDGER = "/admin/o/it-unit/feedback"


@pytest.fixture
def w(make_org):
    return world(make_org)


def post(client, path, data=None, **kwargs):
    token = csrf_token(client, LEDGER)
    return client.post(path, data={**(data or {}), "csrf_token": token}, **kwargs)


def fresh(entry_id: int) -> FeedbackEntry:
    db.session.rollback()
    return db.session.get(FeedbackEntry, entry_id)


# --- who reads which ledger --------------------------------------------------------------------


@pytest.mark.rule("SUP-1")
def test_the_unit_and_its_superiors_read_the_ledger_others_do_not(app, w):
    entry = recorded(w, content="内部意见 zxfbtest")
    for username in (
        "it-admin",
        "it-editor",
        "it-reviewer",
        "it-bureau-reviewer",
        "it-county-admin",
    ):
        page = sign_in(app, username).get(LEDGER)
        assert page.status_code == 200, username
        assert "zxfbtest" in html(page)
        assert sign_in(app, username).get(f"{LEDGER}/{entry.id}").status_code == 200
    for username in ("it-member", "it-sibling-member", "it-other-member", "it-child-member"):
        client = sign_in(app, username)
        assert client.get(LEDGER).status_code == 403, username
        assert client.get(f"{LEDGER}/{entry.id}").status_code == 403, username
        assert client.get(f"{LEDGER}/export.csv").status_code == 403, username
    # a sibling's ledger, and the entry under the sibling's code
    admin = sign_in(app, "it-admin")
    assert admin.get("/admin/o/it-sibling/feedback").status_code == 403
    assert admin.get(f"/admin/o/it-bureau/feedback/{entry.id}").status_code == 403
    reviewer = sign_in(app, "it-bureau-reviewer")
    assert reviewer.get(f"/admin/o/it-sibling/feedback/{entry.id}").status_code == 404
    assert app.test_client().get(LEDGER).status_code == 302  # to the sign-in page


def test_a_handler_without_a_reading_role_sees_their_own_entries(app, w):
    mine = recorded(w, content="分给党员的意见")
    other = recorded(w, content="别人的意见")
    feedback.assign(mine, actor=w["admin"], handler=w["member"])
    db.session.commit()
    member = sign_in(app, "it-member")
    page = html(member.get(LEDGER))
    assert "分给党员的意见" in page and "别人的意见" not in page
    assert member.get(f"{LEDGER}/{mine.id}").status_code == 200
    assert member.get(f"{LEDGER}/{other.id}").status_code == 403
    assert member.get(f"{LEDGER}/stats").status_code == 403
    exported = member.get(f"{LEDGER}/export.csv").get_data(as_text=True)
    assert "分给党员的意见" in exported and "别人的意见" not in exported


@pytest.mark.rule("SUP-1")
def test_a_superior_reads_its_subtrees_ledgers_in_one_list(app, w):
    recorded(w, content="三幼的意见")
    from tests.items_helpers import user

    sibling_admin = user("it-sibling-admin", ("admin", w["sibling"]))
    feedback.record(w["sibling"], actor=sibling_admin, channel="hotline", content="兄弟支部的意见")
    db.session.commit()
    reviewer = sign_in(app, "it-bureau-reviewer")
    own = html(reviewer.get("/admin/o/it-bureau/feedback"))
    assert "三幼的意见" not in own and "兄弟支部的意见" not in own
    subtree = html(reviewer.get("/admin/o/it-bureau/feedback?subtree=1"))
    assert "三幼的意见" in subtree and "兄弟支部的意见" in subtree
    unit_admin = sign_in(app, "it-admin")
    assert "兄弟支部的意见" not in html(unit_admin.get(LEDGER + "?subtree=1"))


# --- the ledger's filters --------------------------------------------------------------------


def test_the_ledger_filters_by_state_channel_handler_dates_and_overdue(app, w):
    old = recorded(w, "hotline", content="旧热线意见", received_on=date(2025, 1, 6))
    feedback.assign(old, actor=w["admin"], handler=w["member"])
    new = recorded(w, "suggestion_box", content="意见箱新意见")
    web = online(w, content="网上意见")
    db.session.commit()
    admin = sign_in(app, "it-admin")

    def listed(query: str) -> set[str]:
        page = html(admin.get(f"{LEDGER}?{query}"))
        return {t for t in ("旧热线意见", "意见箱新意见", "网上意见") if t in page}

    assert listed("") == {"旧热线意见", "意见箱新意见", "网上意见"}
    assert listed("state=assigned") == {"旧热线意见"}
    assert listed("channel=suggestion_box") == {"意见箱新意见"}
    assert listed("channel=online") == {"网上意见"}
    assert listed(f"handler={w['member'].id}") == {"旧热线意见"}
    assert listed("overdue=1") == {"旧热线意见"}
    assert listed("from=2025-01-01&to=2025-12-31") == {"旧热线意见"}
    assert listed(f"from={new.received_on.isoformat()}") == {"意见箱新意见", "网上意见"}
    bad = admin.get(f"{LEDGER}?from=yesterday&state=nonsense")
    assert bad.status_code == 400
    assert web.receipt in html(admin.get(f"{LEDGER}?channel=online"))


def test_spam_is_kept_out_of_the_ledger_but_can_be_seen(app, w):
    feedback.submit_online(w["unit"], content="垃圾广告 zzspam", honeypot="x")
    online(w, content="正常意见")
    admin = sign_in(app, "it-admin")
    page = html(admin.get(LEDGER + "?lang=en"))
    assert "zzspam" not in page and "正常意见" in page
    assert "1 entries marked as spam" in page
    assert "zzspam" in html(admin.get(LEDGER + "?spam=1"))


# --- recording and handling through the console's forms --------------------------------------


@pytest.mark.rule("FB-1")
def test_staff_record_feedback_through_the_form(app, w):
    editor = sign_in(app, "it-editor")
    form = html(editor.get(f"{LEDGER}/new"))
    assert "Suggestion box" in form and "Letters and visits" in form
    refused = post(editor, f"{LEDGER}/new", {"channel": "", "content": "保留的内容"})
    assert refused.status_code == 400 and "保留的内容" in html(refused)
    done = post(
        editor,
        f"{LEDGER}/new",
        {
            "channel": "reception_day",
            "received_on": "2026-01-07",
            "content": "接待日群众反映：公示时间太短",
            "name": "赵大爷",
            "contact": "",
            "item": str(w["item"].id),
        },
    )
    assert done.status_code == 302
    entry = db.session.scalars(select(FeedbackEntry)).one()
    assert (entry.channel, entry.received_on, entry.item_id) == (
        "reception_day",
        date(2026, 1, 7),
        w["item"].id,
    )
    assert entry.anonymous and entry.submitter_name == "赵大爷"
    assert sign_in(app, "it-member").get(f"{LEDGER}/new").status_code == 403


@pytest.mark.rule("FB-2")
def test_an_entry_goes_through_its_handling_in_the_console(app, w):
    entry = online(w, content="希望公开党费使用明细")
    admin = sign_in(app, "it-admin")
    member = sign_in(app, "it-member")
    base = f"{LEDGER}/{entry.id}"
    # assign (the member is not a manager: refused)
    assert post(member, f"{base}/assign", {"handler": str(w["member"].id)}).status_code == 403
    assigned = post(admin, f"{base}/assign", {"handler": str(w["member"].id), "due_on": ""})
    assert assigned.status_code == 302
    assert fresh(entry.id).handler_id == w["member"].id
    # the handler notes, starts a rectification, records its result, answers
    assert post(member, f"{base}/notes", {"note": "已联系财务"}).status_code == 302
    empty = post(member, f"{base}/notes", {"note": ""})
    assert empty.status_code == 400
    started = post(
        member,
        f"{base}/rectification",
        {"measures": "按季度公开党费明细", "deadline": (date.today() + days(20)).isoformat()},
    )
    assert started.status_code == 302 and fresh(entry.id).state == "rectifying"
    no_reason = post(
        member, f"{base}/rectification/result", {"result": "已公开", "public": "no", "reason": ""}
    )
    assert no_reason.status_code == 400 and "已公开" in html(no_reason)
    assert 'id="reason-error-1"' in html(no_reason)  # under the field it concerns
    assert (
        post(
            member, f"{base}/rectification/result", {"result": "已按季度公开", "public": "yes"}
        ).status_code
        == 302
    )
    assert (
        post(
            member, f"{base}/answer", {"answer": "已整改，详见公开栏", "answer_channel": ""}
        ).status_code
        == 302
    )
    assert fresh(entry.id).state == "answered"
    # closing is refused while nothing is published (anonymous): the reasons are on the page
    refused = post(admin, f"{base}/close")
    assert refused.status_code == 409
    assert "published answer" in html(refused)
    assert (
        post(
            admin,
            f"{base}/publish",
            {"public_question": "关于公开党费使用明细的建议", "include_answer": "y"},
        ).status_code
        == 302
    )
    assert post(admin, f"{base}/close").status_code == 302
    closed_entry = fresh(entry.id)
    assert closed_entry.state == "closed"
    page = html(admin.get(f"{base}?lang=en"))
    assert "已联系财务" in page and "Closed" in page
    assert db.session.scalars(
        select(RegisterEntry).where(RegisterEntry.action == "feedback_closed")
    ).one().object_id == str(entry.id)


def test_spam_can_be_marked_and_unmarked_in_the_console(app, w):
    entry = online(w, content="可疑内容")
    admin = sign_in(app, "it-admin")
    assert post(admin, f"{LEDGER}/{entry.id}/spam").status_code == 302
    assert fresh(entry.id).spam
    assert post(admin, f"{LEDGER}/{entry.id}/unspam").status_code == 302
    assert not fresh(entry.id).spam


# --- exports ---------------------------------------------------------------------------------

HEADERS = [
    "Receipt no.",
    "Unit",
    "Channel",
    "Received on",
    "Content",
    "Submitter",
    "Contact",
    "State",
    "Handler",
    "Due date",
    "Handling",
    "Rectification measures",
    "Rectification deadline",
    "Rectification result",
    "Rectified on",
    "Rectification result published",
    "Answer",
    "Answered on",
    "Answered by",
    "Published on",
    "Closed on",
]


@pytest.mark.rule("FB-1")
def test_the_ledger_exports_as_csv_and_xlsx_with_the_fb1_columns(app, w):
    entry = recorded(w, "hotline", content="导出测试意见", name="钱女士", contact="0998-1234567")
    feedback.assign(entry, actor=w["admin"], handler=w["member"])
    feedback.add_note(entry, actor=w["member"], text="已回电")
    answered(w, entry)
    closed(w, online(w, content="另一条意见"))
    admin = sign_in(app, "it-admin")

    response = admin.get(f"{LEDGER}/export.csv?channel=hotline")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert 'filename="feedback-it-unit-' in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == HEADERS
    assert len(rows) == 2  # the filter applies
    row = dict(zip(HEADERS, rows[1], strict=True))
    assert row["Receipt no."] == entry.receipt
    assert (row["Channel"], row["Content"], row["Submitter"], row["Contact"]) == (
        "Hotline",
        "导出测试意见",
        "钱女士",
        "0998-1234567",
    )
    assert row["Handler"] == "it-member" and row["Due date"] == entry.due_on.isoformat()
    assert "it-member: 已回电" in row["Handling"]
    assert (
        row["Answer"] == "已在公开栏补充说明，感谢您的意见。"
        and row["Answered by"] == "By telephone"
    )
    assert row["State"] == "Answered"

    xlsx = admin.get(f"{LEDGER}/export.xlsx")
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0]) == HEADERS
    assert len(values) == 3
    assert {v[0] for v in values[1:]} >= {entry.receipt}
    received = [v[3] for v in values[1:]]
    assert all(hasattr(d, "year") for d in received)  # dates are dates


def test_an_export_follows_the_ledgers_access_rules(app, w):
    recorded(w, content="只给本单位看的意见")
    for username, status in (("it-sibling-member", 403), ("it-member", 403)):
        assert sign_in(app, username).get(f"{LEDGER}/export.xlsx").status_code == status
    sup = sign_in(app, "it-bureau-reviewer")
    own = sup.get("/admin/o/it-bureau/feedback/export.csv").get_data(as_text=True)
    subtree = sup.get("/admin/o/it-bureau/feedback/export.csv?subtree=1").get_data(as_text=True)
    assert "只给本单位看的意见" not in own and "只给本单位看的意见" in subtree
    assert app.test_client().get(f"{LEDGER}/export.csv").status_code == 302


# --- statistics --------------------------------------------------------------------------------


def test_statistics_per_unit_and_per_subtree(app, w):
    today = localtime.today(w["unit"])
    late = recorded(w, "hotline", received_on=today - days(40))  # due long ago
    feedback.assign(late, actor=w["admin"], handler=w["member"])
    feedback.answer(late, actor=w["member"], text="迟到的答复", channel="phone")  # late
    on_time = recorded(w, "hotline")
    answered(w, on_time)  # on time
    closed(w, online(w))  # on time, published, closed
    recorded(w, "meeting", received_on=today - days(60))  # overdue, open
    recorded(w, "suggestion_box")  # open, not overdue
    feedback.submit_online(w["unit"], content="spam", honeypot="x")  # not counted
    from tests.items_helpers import user

    sibling_admin = user("it-sibling-admin", ("admin", w["sibling"]))
    feedback.record(w["sibling"], actor=sibling_admin, channel="hotline", content="兄弟支部")
    db.session.commit()

    from core.feedback import stats

    total, _orgs = stats.compute(w["unit"], subtree=False, today=today)
    assert total.total == 5
    assert dict(total.by_channel) == {"hotline": 2, "online": 1, "meeting": 1, "suggestion_box": 1}
    assert total.by_state["answered"] == 2 and total.by_state["closed"] == 1
    assert total.open == 2 and total.overdue == 1
    assert (total.answered, total.timed, total.on_time) == (3, 3, 2)
    assert total.on_time_rate == pytest.approx(2 / 3)
    assert total.published == 1

    sub_total, sub_orgs = stats.compute(w["bureau"], subtree=True, today=today)
    assert sub_total.total == 6
    assert sub_orgs[w["sibling"].id].total == 1 and sub_orgs[w["unit"].id].total == 5

    page = html(sign_in(app, "it-admin").get(f"{LEDGER}/stats?lang=en"))
    assert '<dd class="stat-total">5</dd>' in page
    assert '<dd class="stat-overdue">1</dd>' in page
    assert "67%" in page
    sup_page = html(
        sign_in(app, "it-bureau-reviewer").get("/admin/o/it-bureau/feedback/stats?subtree=1")
    )
    assert '<dd class="stat-total">6</dd>' in sup_page
    assert 'data-unit="it-unit"' in sup_page and 'data-unit="it-sibling"' in sup_page
    assert sign_in(app, "it-sibling-member").get(f"{LEDGER}/stats").status_code == 403
