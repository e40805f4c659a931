"""Deciding a disclosure request (REQ-3): the outcomes with their fields, checked; the decision
with its documents; a grant that publishes an item; the filing of declines with the superior
(REQ-5).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from core import db, events, permissions
from core import text as text_cleaning
from core.disclosure_requests import workflow as wf
from core.disclosure_requests.deadlines import today
from core.disclosure_requests.filing import MAX, NUMBER, text_field
from core.disclosure_requests.models import (
    DECISIONS,
    DECLINE_REASONS,
    FILED_OUTCOMES,
    DisclosureRequest,
    RequestAttachment,
    RequestDecision,
)
from core.disclosure_requests.reading import get, parent_of, public_items
from core.errors import Problem, UserError
from core.i18n import _, lazily
from core.items import content as item_content
from core.items import operations as items
from core.items.models import Item
from core.params import operations as params
from core.workflow import engine
from core.workflow.engine import SYSTEM, TransitionRefused
from tenants.models import Organisation


def _filed_with(req: DisclosureRequest, outcome: str) -> Organisation | None:
    return parent_of(req.organisation) if outcome in FILED_OUTCOMES else None


def _request_ref(org: Organisation, value: Any) -> DisclosureRequest | None:
    """An earlier request of ``org`` by id or number (``2026-0003``)."""
    if value in (None, ""):
        return None
    text = str(value).strip()
    match = NUMBER.match(text)
    if match:
        return db.session.scalar(
            select(DisclosureRequest).where(
                DisclosureRequest.org_id == org.id,
                DisclosureRequest.year == int(match[1]),
                DisclosureRequest.seq == int(match[2]),
            )
        )
    number = text_cleaning.ascii_int(text, minimum=1)
    return get(org, number) if number is not None else None


def _org_ref(org: Organisation, value: Any) -> Organisation | None:
    """An organisation of ``org``'s county by id or code."""
    if value in (None, ""):
        return None
    text = str(value).strip()
    query = select(Organisation).where(Organisation.root_id == org.root_id)
    number = text_cleaning.ascii_int(text, minimum=1)
    if number is not None:
        return db.session.scalar(query.where(Organisation.id == number))
    return db.session.scalar(query.where(Organisation.code == text))


def _public_item(org: Organisation, value: Any) -> Item | None:
    if value in (None, ""):
        return None
    item_id = text_cleaning.ascii_int(value, minimum=1)
    if item_id is None:
        return None
    return db.session.scalar(public_items(org).where(Item.id == item_id))


def _file_problems(files) -> list[Problem]:
    problems = []
    for filename, data in files:
        try:
            item_content.check_attachment(filename, data)
        except UserError as exc:
            problems.append(Problem("attachments", exc.message))
    return problems


def clean_decision(
    req: DisclosureRequest, outcome: str, data: dict[str, Any], files=()
) -> tuple[dict[str, Any], list[Problem]]:
    """The fields ``outcome`` requires (REQ-3), checked: ``answer``, ``declined_part``,
    ``reason_code``, ``explanation``, ``public_item_id``/``public_url``, ``item_title``,
    ``referred_org``/``referred_to``, ``duplicate_of``; ``files`` are ``[(name, bytes)]``."""
    problems: list[Problem] = []
    org = req.organisation
    out: dict[str, Any] = {
        "answer": text_field(data, "answer", problems, required=False, limit=MAX["text"]),
        "explanation": text_field(data, "explanation", problems, required=False, limit=MAX["text"]),
    }
    problems += _file_problems(files)
    if outcome not in DECISIONS or outcome in ("unclear", "rejected_invalid"):
        problems.append(Problem("outcome", _("one of %(codes)s", codes=", ".join(wf.DECIDE))))
        return out, problems
    if outcome == "already_public":
        item = _public_item(org, data.get("public_item_id"))
        url = text_field(data, "public_url", problems, required=False, limit=MAX["url"])
        if data.get("public_item_id") not in (None, "") and item is None:
            problems.append(
                Problem(
                    "public_item_id",
                    _("no item of this county that the public may read has that number"),
                )
            )
        if url and not (url.startswith(("https://", "http://")) or url.startswith("/")):
            problems.append(
                Problem("public_url", _("an address starting with https://, http:// or /"))
            )
        if item is None and not url:
            problems.append(
                Problem("link", _("give the published item or the address where it is public"))
            )
        out.update(public_item_id=item.id if item else None, public_url=url)
    elif outcome == "granted":
        if not out["answer"] and not files:
            problems.append(
                Problem("answer", _("give the answer, or attach the documents (or both)"))
            )
    elif outcome == "granted_published":
        title = text_field(data, "item_title", problems, required=True, limit=MAX["short"])
        if not out["answer"]:
            problems.append(Problem("answer", _("the text to publish is required")))
        out["item_title"] = title
    elif outcome in ("partly_granted", "declined"):
        reason = data.get("reason_code") or None
        if reason not in DECLINE_REASONS:
            problems.append(
                Problem("reason_code", _("one of %(codes)s", codes=", ".join(DECLINE_REASONS)))
            )
        if not out["explanation"]:
            problems.append(Problem("explanation", _("a written explanation is required")))
        out["reason_code"] = reason if reason in DECLINE_REASONS else None
        if outcome == "partly_granted":
            out["declined_part"] = text_field(
                data, "declined_part", problems, required=True, limit=MAX["text"]
            )
            if not out["answer"] and not files:
                problems.append(Problem("answer", _("say what is granted, or attach it")))
    elif outcome in ("not_held", "not_this_unit"):
        referred = _org_ref(org, data.get("referred_org"))
        if data.get("referred_org") not in (None, "") and referred is None:
            problems.append(
                Problem("referred_org", _("no organisation with that code in this county"))
            )
        elif referred is not None and referred.id == org.id:
            problems.append(Problem("referred_org", _("name another organisation than this one")))
        referred_to = text_field(data, "referred_to", problems, required=False, limit=MAX["short"])
        if outcome == "not_this_unit" and referred is None and not referred_to:
            problems.append(Problem("referred_to", _("name the organisation responsible")))
        if outcome == "not_held" and not out["explanation"]:
            problems.append(Problem("explanation", _("a written explanation is required")))
        out.update(referred_org_id=referred.id if referred else None, referred_to=referred_to)
    elif outcome == "duplicate":
        earlier = _request_ref(org, data.get("duplicate_of"))
        if earlier is None or earlier.id == req.id or earlier.received_on > req.received_on:
            problems.append(
                Problem("duplicate_of", _("the number of an earlier request of this unit"))
            )
        out["duplicate_of_id"] = earlier.id if earlier is not None else None
    return out, problems


def _published_item(req: DisclosureRequest, fields: dict[str, Any], actor) -> Item:
    """granted_published: a draft item in the unit, prefilled from the request and the answer;
    staff take it through review, approval and publication as usual."""
    org = req.organisation
    author = actor if permissions.may(actor, "items.edit", org) else SYSTEM
    item = items.create(
        org,
        {
            "titles": {"zh_Hans_CN": fields["item_title"]},
            "bodies": {"zh_Hans_CN": fields["answer"]},
            "scope": "public",
            "channels": ["website"],
            "decision_date": today(org),
        },
        actor=author,
    )
    if author is SYSTEM:
        item.created_by_id = getattr(actor, "id", None)
    return item


def _decide(req, outcome, transition, fields, files, actor) -> RequestDecision:
    org = req.organisation
    on = today(org)
    filed_with = _filed_with(req, outcome)
    item_title = fields.pop("item_title", None)
    decision = RequestDecision(
        request_id=req.id,
        org_id=org.id,
        outcome=outcome,
        decided_on=on,
        decided_by_id=getattr(actor, "id", None),
        filed_with_id=filed_with.id if filed_with is not None else None,
        **fields,
    )

    def effect(r: DisclosureRequest) -> None:
        if outcome == "granted_published":
            item = _published_item(r, {**fields, "item_title": item_title}, actor)
            decision.item_id = item.id
        db.session.add(decision)
        db.session.flush()
        for filename, data in files:
            _store(r, decision, filename, data, actor)
        r.outcome, r.decided_on = outcome, on
        if outcome == "unclear":
            days = params.value(org, "request.amend_lapse_days")
            r.amend_request, r.amend_due = fields.get("explanation"), on + timedelta(days=days)

    inputs = {
        "outcome": outcome,
        "reason": fields.get("reason_code") or fields.get("explanation"),
        "explanation": fields.get("explanation"),
    }
    if transition in ("reject_invalid",):
        inputs = {"reason": fields.get("explanation")}
    engine.run(wf.request, req, transition, actor=actor, inputs=inputs, effect=effect)
    events.request_decided.send(req, actor=actor, outcome=outcome, filed_with=filed_with)
    return decision


def _store(req, decision, filename: str, data: bytes, actor) -> RequestAttachment:
    att = RequestAttachment(
        request_id=req.id,
        decision_id=decision.id,
        org_id=req.org_id,
        **item_content.store_attachment(filename, data, actor),
    )
    db.session.add(att)
    db.session.flush()
    return att


def decide(
    req: DisclosureRequest, outcome: str, data: dict[str, Any] | None = None, *, actor, files=()
) -> RequestDecision:
    """Decide with one of the outcomes of REQ-3 and the fields it requires
    (:func:`clean_decision`); ``unclear`` asks the applicant to amend. Declines, partial grants
    and "not held" are filed with the superior (REQ-5); ``granted_published`` drafts the item."""
    data = dict(data or {})
    if outcome == "unclear":
        return ask_amendment(req, actor=actor, explanation=data.get("explanation") or "")
    if outcome not in wf.DECIDE:
        raise UserError(
            _("Unknown outcome “%(outcome)s”.", outcome=outcome),
            problems=[Problem("outcome", _("unknown"))],
        )
    name = f"decide_{outcome}"
    _require_state(req, name)
    if not engine.may_start(wf.request, req, name, actor=actor):
        raise TransitionRefused(
            _("The action was refused."), problems=[_("Only the unit's handlers may decide.")]
        )
    fields, problems = clean_decision(req, outcome, data, files)
    if problems:
        raise UserError(_("The decision was not recorded."), problems=problems)
    return _decide(req, outcome, name, fields, list(files), actor)


def _require_state(req: DisclosureRequest, name: str) -> None:
    transition = wf.request.transition(name)
    if req.state not in transition.source:
        raise TransitionRefused(
            _("The action was refused."),
            problems=[
                _(
                    "This step is not possible now: it is %(state)s.",
                    state=lazily(wf.request.state_label, req.state),
                )
            ],
        )


def reject_invalid(req: DisclosureRequest, *, actor, reason: str) -> RequestDecision:
    """Not a disclosure request (e.g. a complaint, or no content at all): rejected with the
    reason, and filed with the superior."""
    _require_state(req, "reject_invalid")
    reason = (reason or "").strip()
    if not reason:
        raise UserError(
            _("Rejecting a request needs a reason."), problems=[Problem("reason", _("is required"))]
        )
    return _decide(req, "rejected_invalid", "reject_invalid", {"explanation": reason}, (), actor)


def ask_amendment(req: DisclosureRequest, *, actor, explanation: str) -> RequestDecision:
    """Unclear (REQ-3): the applicant is asked to amend within ``request.amend_lapse_days``
    days, else the request lapses."""
    _require_state(req, "ask_amendment")
    explanation = (explanation or "").strip()
    if not explanation:
        raise UserError(
            _("Say what the applicant should make clear."),
            problems=[Problem("explanation", _("is required"))],
        )
    return _decide(req, "unclear", "ask_amendment", {"explanation": explanation}, (), actor)
