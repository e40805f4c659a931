"""Hand-offs that notify: every step that passes work to someone tells them, in the inbox and by
mail as they chose, in their language, with a link to the page where they act.

Mail goes through SMTP to a debugging server (aiosmtpd) started by the test; the mail jobs run
as a worker runs them. Each hand-off of the workflows has its test: the item (proposed,
reviewed, approved, returned, refused, escalated off-catalogue, published, amendment and
revocation asked and decided), the catalogue (unit review, submitted, decided, sent back), the
superior's review of an escalated request, answered feedback.
"""

from __future__ import annotations

import pytest

from core import db
from core.catalogue import operations as cat
from core.items import operations as items
from core.notifications import operations as ops
from core.params import operations as params
from tests.items_helpers import plan, through_review, user
from tests.notification_helpers import (
    debug_smtp,
    notes_of,
    reset_jobs,
    run_jobs,
    text_of,
    told,
    world,
)


@pytest.fixture
def fresh_jobs(app):
    reset_jobs(app)
    yield
    reset_jobs(app)


@pytest.fixture
def w(make_org, fresh_jobs):
    return world(make_org)


@pytest.fixture
def smtp(app, tmp_path, fresh_jobs):
    with debug_smtp(app, tmp_path / "smtp") as server:
        yield server


def mails_to(smtp, u) -> list:
    run_jobs()
    return [m for m in smtp.messages() if m["To"].addresses[0].addr_spec == u.email]


def only(u, kind: str, about=None):
    """``u``'s one notification of ``kind`` (about the object ``about``, when given)."""
    notes = notes_of(u, kind)
    if about is not None:
        notes = [n for n in notes if n.object_id == str(about.id)]
    [note] = notes
    return note


def mailed(smtp, u, note) -> bool:
    """Whether ``note`` reached ``u`` by mail (its title, in their language, is a subject)."""
    subject = ops.render(note, u.locale or "zh_Hans_CN")[0]
    return any(str(m["Subject"]) == subject for m in mails_to(smtp, u))


def draft(w, **overrides):
    item = items.create(w["unit"], plan(**overrides), actor=w["editor"])
    db.session.commit()
    return item


def test_a_proposed_item_tells_the_units_reviewer_by_mail_in_their_language(app, w, smtp):
    w["reviewer"].locale = "ug"
    item = draft(w)
    items.propose(item, actor=w["editor"])
    db.session.commit()
    assert told("items.to_review") == {"it-reviewer"}  # not the editor who proposed, not above
    note = only(w["reviewer"], "items.to_review")
    assert note.link == f"/admin/o/it-unit/items/{item.id}"  # where the review form is
    [mail] = mails_to(smtp, w["reviewer"])
    assert mail["Content-Language"] == "ug"
    assert f"https://gongkai.example.org/admin/o/it-unit/items/{item.id}" in text_of(mail)
    assert "2026年第一季度党费收缴情况" in str(mail["Subject"])


def test_reviewed_tells_who_approves_and_approved_tells_who_schedules(app, w, smtp):
    item = draft(w)
    through_review(w, item)
    db.session.commit()
    assert told("items.to_approve") == {"it-admin"}  # approval is the admin's step
    assert ops.render(only(w["admin"], "items.to_approve"), "en")[0].startswith("To approve")
    items.approve(item, actor=w["admin"])
    db.session.commit()
    assert told("items.to_schedule") == {"it-editor"}  # editors schedule; not the approver
    assert mailed(smtp, w["editor"], only(w["editor"], "items.to_schedule"))


def test_returned_and_refused_tell_the_proposer_with_the_comment(app, w, smtp):
    item = draft(w)
    items.propose(item, actor=w["editor"])
    items.return_to_draft(item, actor=w["reviewer"], comment="请补充党费使用明细")
    db.session.commit()
    returned = only(w["editor"], "items.returned")
    assert "请补充党费使用明细" in ops.render(returned, "en")[1]
    assert returned.link == f"/admin/o/it-unit/items/{item.id}"
    [mail] = mails_to(smtp, w["editor"])
    assert "请补充党费使用明细" in text_of(mail)

    other = draft(w, titles={"zh_Hans_CN": "涉密事项"})
    items.propose(other, actor=w["admin"])  # proposed by the admin this time
    items.review(
        other, actor=w["reviewer"], secrecy_passed=False, secrecy_basis="保密规定第九条",
        necessity_ok=True, accuracy_ok=True, comment="涉及党的秘密", refuse_reason="party_secret",
    )  # fmt: skip
    db.session.commit()
    assert told("items.refused") == {"it-admin"}
    title, body = ops.render(only(w["admin"], "items.refused"), "en")
    assert "涉密事项" in title and "涉及党的秘密" in body


def test_an_off_catalogue_item_tells_the_nearest_superiors_reviewer(app, w, smtp):
    item = draft(w, entry_key=None)
    through_review(w, item)
    items.approve(item, actor=w["admin"])
    db.session.commit()
    assert item.state == "superior_review"
    assert told("items.escalated") == {"it-bureau-reviewer"}  # the nearest level, not the county
    note = only(w["bureau_reviewer"], "items.escalated")
    assert note.link == f"/admin/o/it-unit/items/{item.id}/decide"
    assert note.org_id == w["bureau"].id
    assert mailed(smtp, w["bureau_reviewer"], note)

    items.superior_decide(
        item, actor=w["bureau_reviewer"], approve=False, comment="目录外事项需说明依据"
    )
    db.session.commit()
    assert "目录外事项需说明依据" in ops.render(only(w["editor"], "items.returned"), "en")[1]


def test_published_tells_the_proposer(app, w):
    item = draft(w)
    through_review(w, item)
    items.approve(item, actor=w["admin"])
    items.schedule_publication(item, actor=w["editor"])
    items.publish(item)
    db.session.commit()
    assert told("items.published_mine") == {"it-editor"}


@pytest.mark.parametrize("change", ["amendment", "revocation"])
def test_a_change_asked_tells_the_superior_and_its_decision_tells_who_asked(app, w, smtp, change):
    from tests.items_helpers import published

    item = published(w)
    if change == "amendment":
        items.request_amendment(
            item, actor=w["editor"], titles={"zh_Hans_CN": "更正后的标题"}, explanation="数字有误"
        )
    else:
        items.request_revocation(item, actor=w["admin"], explanation="内容已失效")
    db.session.commit()
    assert told("items.change_to_decide") == {"it-bureau-reviewer"}
    asked = only(w["bureau_reviewer"], "items.change_to_decide")
    assert asked.link == f"/admin/o/it-unit/items/{item.id}/decide"
    title, body = ops.render(asked, "en")
    assert title.startswith(f"The {change}") and ("数字有误" in body or "内容已失效" in body)

    decide = items.decide_amendment if change == "amendment" else items.decide_revocation
    decide(item, actor=w["bureau_reviewer"], approve=False, comment="请附上原始凭证")
    db.session.commit()
    requester = w["editor"] if change == "amendment" else w["admin"]
    assert told("items.change_decided") == {requester.username}
    decided = only(requester, "items.change_decided")
    title, body = ops.render(decided, "en")
    assert title.endswith(": rejected") and "请附上原始凭证" in body
    assert mailed(smtp, requester, decided)


def test_a_choice_of_no_mail_keeps_the_hand_off_in_the_inbox_only(app, w, smtp):
    ops.set_preferences(w["reviewer"], {"items.to_review": "off"})
    db.session.commit()
    items.propose(draft(w), actor=w["editor"])
    db.session.commit()
    assert only(w["reviewer"], "items.to_review").email == "none"
    assert mails_to(smtp, w["reviewer"]) == []


def test_catalogue_submitted_and_decided_tell_the_superior_and_the_submitter(app, w, smtp):
    sibling_admin = w["sibling_admin"]
    version = cat.start_draft(w["sibling"], actor=sibling_admin)
    cat.transition(version, "submit", actor=sibling_admin)
    db.session.commit()
    assert told("catalogue.submitted") == {"it-bureau-reviewer"}
    note = only(w["bureau_reviewer"], "catalogue.submitted", about=version)
    assert note.link == f"/admin/o/it-sibling/catalogue/versions/{version.number}/decide"
    cat.transition(version, "return", actor=w["bureau_reviewer"], comment="请补充联系人")
    db.session.commit()
    decided = only(sibling_admin, "catalogue.decided")
    assert decided.link == f"/admin/o/it-sibling/catalogue/versions/{version.number}"
    title, body = ops.render(decided, "en")
    assert "returned with a comment" in title and "请补充联系人" in body
    assert mailed(smtp, sibling_admin, decided)


def test_the_units_own_catalogue_review_tells_its_reviewer_then_the_superior(app, w):
    editor = user("it-sibling-editor", ("editor", w["sibling"]))
    reviewer = user("it-sibling-reviewer", ("reviewer", w["sibling"]))
    params.set_value(w["sibling"], "catalogue.unit_review", True)
    version = cat.start_draft(w["sibling"], actor=editor)
    cat.transition(version, "submit_for_review", actor=editor)
    db.session.commit()
    assert told("catalogue.to_review") == {"it-sibling-reviewer"}
    cat.transition(version, "sign_off", actor=reviewer)
    cat.transition(version, "approve", actor=w["bureau_reviewer"])
    db.session.commit()
    assert only(w["bureau_reviewer"], "catalogue.submitted", about=version)
    # both who submitted it in this round learn the decision, and nobody else
    for u in (editor, reviewer):
        assert only(u, "catalogue.decided", about=version)
    assert not notes_of(w["sibling_admin"], "catalogue.decided")


def test_the_superiors_review_tells_the_applicant_and_orders_the_unit(app, w):
    from core.disclosure_requests import operations as requests
    from core.workdays import operations as workdays

    workdays.seed_from_package([2026, 2027])
    applicant = user("req-applicant")
    applicant.email = "applicant@example.org"
    req = requests.file(
        w["unit"], {"content": "党费明细", "purpose": "了解情况",
                    "contact_email": "applicant@example.org", "delivery": "electronic"},
        applicant=applicant,
    )  # fmt: skip
    requests.accept(req, actor=w["editor"])
    requests.decide(
        req, "declined", {"reason_code": "party_secret", "explanation": "涉及党的秘密"},
        actor=w["editor"],
    )  # fmt: skip
    requests.escalate(req, user=applicant, grounds="不涉密")
    requests.decide_escalation(req, actor=w["bureau_reviewer"], uphold=False, comment="请重新审查")
    db.session.commit()
    [review] = notes_of(applicant, "requests.review_decided")
    title, body = ops.render(review, "en")
    assert "ordered to reconsider" in title and "请重新审查" in body
    assert review.link == f"/o/it-unit/requests/{req.id}"
    assert told("requests.reconsider") == {"it-admin", "it-editor", "it-reviewer"}
    assert only(w["editor"], "requests.reconsider").link == f"/admin/o/it-unit/requests/{req.id}"


def test_answered_feedback_tells_a_submitter_who_was_signed_in(app, w):
    from core.feedback import operations as feedback

    sent = feedback.submit_online(w["unit"], content="公开栏更新太慢", user=w["member"])
    entry = sent.entry
    feedback.assign(entry, actor=w["admin"], handler=w["editor"])
    feedback.answer(entry, actor=w["editor"], text="已每周更新", channel="online")
    feedback.close(entry, actor=w["admin"])
    db.session.commit()
    note = only(w["member"], "feedback.closed_mine")
    assert note.link == f"/o/it-unit/feedback/lookup?receipt={entry.receipt}"
