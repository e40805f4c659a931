"""The register is complete (ARC-1; issue 16, finding 4): every workflow transition of items,
requests and feedback is run, and the register entries each one wrote (in its own unit of work,
before any commit) are compared with what ARC-1 asks.

:data:`ARC1` classifies **every** transition of the three workflows (read from the workflow
definitions): a new transition fails the suite until it is classified, and a transition the
scenarios never run fails it too.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core import db
from core.disclosure_requests import operations as requests
from core.disclosure_requests import workflow as request_wf
from core.feedback import operations as fb
from core.feedback import workflow as feedback_wf
from core.items import operations as items
from core.items import workflow as item_wf
from core.register.models import RegisterEntry
from core.workflow.models import WorkflowStep
from tests.items_helpers import PUBLIC_ENTRY, build_world, plan, through_review

pytestmark = pytest.mark.rule("ARC-1")

# ARC-1: "every publication, withholding, change, revocation, request decision and closed
# feedback is written to the register" — the register action of each transition (None: a step
# on the way, recorded in the workflow history and in the approvals of the entry it leads to).
ARC1: dict[str, dict[str, str | None]] = {
    "item": {
        "propose": None,
        "review": None,
        "return_to_draft": None,
        "refuse": None,  # refused before publication: nothing was disclosed (SEC-1 records it)
        "approve": None,
        "escalate": None,
        "superior_approve": None,
        "superior_return": None,
        "replan": None,
        "schedule": None,
        "publish": "publish",
        "close": "close",  # the end of a disclosure (终止): recorded
        "withhold": "withhold",
        "request_amendment": None,  # a proposal: the change is recorded when approved
        "approve_amendment": "amend",
        "reject_amendment": None,
        "request_revocation": None,
        "approve_revocation": "revoke",
        "reject_revocation": None,
    },
    "request": {
        "accept": None,
        "reject_invalid": "request_decision",  # not a disclosure request: decided and filed
        "extend": None,
        "start_consultation": None,
        "end_consultation": None,
        "ask_amendment": "request_decision",  # the outcome "unclear" of REQ-3
        "amend": None,
        "lapse": None,
        **{f"decide_{o}": "request_decision" for o in request_wf.DECIDE},
        "escalate": None,
        "uphold": "request_decision",  # the superior's review, in the superior's register
        "reconsider": "request_decision",
    },
    "feedback": {
        "assign": None,
        "start_rectification": None,
        "answer": None,
        "close": "feedback_closed",
    },
}
WORKFLOWS = {
    "item": (item_wf.item, "item"),
    "request": (request_wf.request, "disclosure_request"),
    "feedback": (feedback_wf.feedback, "feedback"),
}


class Recorder:
    """Runs steps and notes, per transition, the register entries each step wrote."""

    def __init__(self):
        self.seen: dict[tuple[str, str], list[tuple[str, ...]]] = defaultdict(list)
        self._step = self._max(WorkflowStep.id)
        self._entry = self._max(RegisterEntry.id)

    @staticmethod
    def _max(column) -> int:
        return db.session.scalar(select(func.coalesce(func.max(column), 0)))

    def __call__(self, step, *args, **kwargs):
        result = step(*args, **kwargs)
        db.session.flush()  # no commit: the entries must be in the transition's unit of work
        steps = db.session.scalars(
            select(WorkflowStep).where(WorkflowStep.id > self._step).order_by(WorkflowStep.id)
        ).all()
        entries = db.session.scalars(
            select(RegisterEntry).where(RegisterEntry.id > self._entry)
        ).all()
        kinds = {wf.object_type: name for name, (wf, _t) in WORKFLOWS.items()}
        for s in steps:
            if s.object_type in kinds:
                key = (kinds[s.object_type], s.transition)
                self.seen[key].append(
                    tuple(sorted(e.action for e in entries if str(e.object_id) == str(s.object_id)))
                )
        self._step = max([self._step, *(s.id for s in steps)])
        self._entry = max([self._entry, *(e.id for e in entries)])
        return result


@pytest.fixture
def w(make_org):
    return build_world(make_org)


def _review(w, item, **kwargs):
    return items.review(item, actor=w["reviewer"], secrecy_passed=True, necessity_ok=True,
                        accuracy_ok=True, secrecy_basis="条例", **kwargs)  # fmt: skip


def item_scenarios(w, run: Recorder) -> None:
    editor, admin, superior = w["editor"], w["admin"], w["bureau_reviewer"]
    # refused, and returned to draft on the way
    item = run(items.create, w["unit"], plan(), actor=editor)
    run(items.propose, item, actor=editor)
    run(items.return_to_draft, item, actor=w["reviewer"], comment="请补充")
    run(items.propose, item, actor=editor)
    run(items.review, item, actor=w["reviewer"], secrecy_passed=False, secrecy_basis="条例",
        necessity_ok=True, accuracy_ok=True, refuse_reason="party_secret")  # fmt: skip
    # off-catalogue: the superior returns it, then approves it; replanned; published, closed,
    # amended (rejected once), revoked (rejected once)
    item = run(items.create, w["unit"], plan(entry_key=None, **{k: v for k, v in
               PUBLIC_ENTRY.items() if k in ("scope", "channels")}), actor=editor)  # fmt: skip
    run(items.propose, item, actor=editor)
    run(_review, w, item)
    run(items.approve, item, actor=admin)  # escalates: off-catalogue
    run(items.superior_decide, item, actor=superior, approve=False, comment="请修改")
    through_review(w, item)
    run(items.approve, item, actor=admin)
    run(items.superior_decide, item, actor=superior, approve=True)
    run(items.update, item, {"channels": ["website", "notice_board"]}, actor=editor)  # replan
    run(_review, w, item)
    run(items.approve, item, actor=admin)
    run(items.superior_decide, item, actor=superior, approve=True)
    run(items.schedule_publication, item, actor=editor)
    run(items.publish, item, actor=admin)
    run(items.close, item, actor=admin)
    for approve in (False, True):
        run(items.request_amendment, item, actor=editor, explanation="更正",
            titles={"zh_Hans_CN": f"更正后的标题 {approve}"})  # fmt: skip
        run(items.decide_amendment, item, actor=superior, approve=approve, comment="意见")
    for approve in (False, True):
        run(items.request_revocation, item, actor=admin, explanation="撤销")
        run(items.decide_revocation, item, actor=superior, approve=approve, comment="意见")
    # approved within the unit, then withheld
    item = run(items.create, w["unit"], plan(), actor=editor)
    run(items.propose, item, actor=editor)
    run(_review, w, item)
    run(items.approve, item, actor=admin)
    run(items.withhold, item, actor=admin, reason="暂不公开")


def request_scenarios(w, run: Recorder) -> None:
    staff, applicant = w["admin"], w["member"]
    filing = {"content": "申请公开党费使用明细", "purpose": "了解情况",
              "contact_email": "a@example.org", "delivery": "electronic"}  # fmt: skip
    invalid = requests.file(w["unit"], filing, applicant=applicant)
    run(requests.reject_invalid, invalid, actor=staff, reason="不属于公开申请")
    lapsing = requests.file(w["unit"], filing, applicant=applicant)
    run(requests.accept, lapsing, actor=staff)
    run(requests.ask_amendment, lapsing, actor=staff, explanation="请说明所需信息")
    lapsing.amend_due = lapsing.amend_due - timedelta(days=400)
    run(requests.lapse_due)
    amended = requests.file(w["unit"], filing, applicant=applicant)
    run(requests.ask_amendment, amended, actor=staff, explanation="请说明")
    run(requests.amend, amended, user=applicant, amendment="需要2026年的明细")
    for outcome in request_wf.DECIDE:
        req = requests.file(w["unit"], filing, applicant=applicant)
        run(requests.accept, req, actor=staff)
        data = {
            "already_public": {"public_url": "https://example.org/1"},
            "granted": {"answer": "见附件"},
            "granted_published": {"item_title": "党费明细", "answer": "明细如下"},
            "partly_granted": {"answer": "部分", "declined_part": "其余", "reason_code":
                               "party_secret", "explanation": "涉密"},
            "declined": {"reason_code": "party_secret", "explanation": "涉密"},
            "not_held": {"explanation": "本单位未制作"},
            "not_this_unit": {"referred_to": "县委组织部"},
            "duplicate": {"duplicate_of": invalid.number},
        }[outcome]  # fmt: skip
        if outcome == "declined":
            run(requests.extend, req, actor=staff, reason="情况复杂", days=5)
            run(requests.start_consultation, req, actor=staff, third_party="第三方",
                question="是否同意公开")  # fmt: skip
            run(requests.end_consultation, req, actor=staff, opinion="不同意")
        run(requests.decide, req, outcome, data, actor=staff)
        if outcome in ("declined", "partly_granted"):
            run(requests.escalate, req, user=applicant, grounds="不服")
            run(requests.decide_escalation, req, actor=w["bureau_reviewer"],
                uphold=outcome == "declined", comment="意见")  # fmt: skip


def feedback_scenarios(w, run: Recorder) -> None:
    entry = fb.submit_online(w["unit"], content="意见", contact="13800000000").entry
    run(fb.assign, entry, actor=w["admin"], handler=w["admin"])
    run(fb.start_rectification, entry, actor=w["admin"], measures="整改",
        deadline=entry.received_on)  # fmt: skip
    fb.record_rectification(entry, actor=w["admin"], result="已整改")
    run(fb.answer, entry, actor=w["admin"], text="答复", channel="phone")
    fb.publish(entry, actor=w["admin"], public_question="问题")
    run(fb.close, entry, actor=w["admin"])


def test_every_transition_writes_what_arc1_asks_in_its_unit_of_work(app, w):
    for name, (workflow, _type) in WORKFLOWS.items():
        assert set(ARC1[name]) == set(workflow.transitions), (
            f"{name}: classify every transition for ARC-1 "
            f"(missing {sorted(set(workflow.transitions) - set(ARC1[name]))})"
        )
    run = Recorder()
    item_scenarios(w, run)
    request_scenarios(w, run)
    feedback_scenarios(w, run)
    problems = []
    for name, transitions in ARC1.items():
        for transition, action in transitions.items():
            runs = run.seen.get((name, transition))
            if not runs:
                problems.append(f"{name}.{transition}: never run by the scenarios")
                continue
            expected = (action,) if action else ()
            for written in runs:
                if written != expected:
                    problems.append(f"{name}.{transition} wrote {written or 'nothing'}, "
                                    f"ARC-1 asks {expected or 'nothing'}")  # fmt: skip
    assert not problems, "\n".join(sorted(set(problems)))


def test_a_closing_that_is_rolled_back_leaves_no_entry(app, w):
    """The entry is written in the transition's transaction: both commit, or neither."""
    from tests.items_helpers import published

    item = published(w)
    count = db.session.scalar(select(func.count()).select_from(RegisterEntry))
    items.close(item, actor=w["admin"])
    db.session.flush()
    assert db.session.scalar(select(func.count()).select_from(RegisterEntry)) == count + 1
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(RegisterEntry)) == count
    items.close(db.session.get(type(item), item.id), actor=w["admin"])
    db.session.commit()
    entry = db.session.scalars(select(RegisterEntry).order_by(RegisterEntry.id.desc())).first()
    assert (entry.action, entry.object_id, entry.object_type) == ("close", str(item.id), "item")
