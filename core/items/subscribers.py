"""Reactions to item events, in the sender's transaction: whoever a step hands the work to is told
(:mod:`core.notifications`), each with a link to the page where they act.

* proposed (or changed after the review) → the unit's reviewers; reviewed → those who approve;
  approved (by the unit or the superior) → the editors who schedule; escalated (off-catalogue,
  PUB-3) → the nearest superior's reviewers; an amendment or revocation requested (PUB-7) → the
  same; returned or refused → the proposer, with the comment; published → the proposer; an
  amendment or revocation decided → who requested it, with the comment;
* a withheld item is filed with the superior (PUB-6), whose reviewers are told;
* an objection lodged → the unit's admins and editors; its outcome recorded → the objector, when
  they lodged it signed in.
"""

from __future__ import annotations

from core import db, events
from core.i18n import _
from core.items import forms
from core.items import workflow as wf
from core.items.models import Item
from core.notifications import operations as ops
from tenants.models import User

CHANGES = {
    "request_amendment": _("The amendment"),
    "request_revocation": _("The revocation"),
    "approve_amendment": _("The amendment"),
    "reject_amendment": _("The amendment"),
    "approve_revocation": _("The revocation"),
    "reject_revocation": _("The revocation"),
}
OUTCOMES = {
    "approve_amendment": _("approved"),
    "approve_revocation": _("approved"),
    "reject_amendment": _("rejected"),
    "reject_revocation": _("rejected"),
}


def titles(item) -> dict[str, str]:
    return dict(item.current_version.titles) if item.current_version else {}


def actor_name(actor) -> str:
    return getattr(actor, "display_name", "") or getattr(actor, "username", "")


def comment_of(inputs: dict) -> str:
    text = inputs.get("comment") or inputs.get("reason") or ""
    return ops.excerpt(str(text), 300) or "—"


def proposer(item) -> list:
    """Who proposed the item (the latest proposal), else who drafted it."""
    found = ops.step_actors(wf.item, item, "propose", "replan")
    if found:
        return found[:1]
    return [db.session.get(User, item.created_by_id)] if item.created_by_id else []


def detail_link(item) -> str | None:
    return ops.path_for("items_admin.detail", org_code=item.organisation.code, item_id=item.id)


def decide_link(item) -> str | None:
    return ops.path_for("items_admin.decide", org_code=item.organisation.code, item_id=item.id)


@events.workflow_step.connect
def on_item_step(item, *, workflow, transition, actor, inputs, **_kw) -> None:
    """Tell whoever the step hands the item to (the module's list)."""
    if workflow != wf.item.name:
        return
    org = item.organisation
    params = {"title": titles(item), "org": ops.org_names(org), "actor": actor_name(actor)}

    def tell(users, kind: str, link: str | None, *, about_org=org, **extra) -> None:
        ops.notify(
            users, kind, org=about_org, params={**params, **extra}, link=link,
            about=("item", item.id), exclude=[actor],
        )  # fmt: skip

    if transition in ("propose", "replan"):
        tell(ops.next_step_holders(wf.item, item, "review"), "items.to_review", detail_link(item))
    elif transition == "review":
        users = ops.next_step_holders(wf.item, item, "approve", "escalate")
        tell(users, "items.to_approve", detail_link(item))
    elif transition in ("approve", "superior_approve"):
        tell(
            ops.next_step_holders(wf.item, item, "schedule"), "items.to_schedule", detail_link(item)
        )
    elif transition in ("return_to_draft", "superior_return"):
        tell(proposer(item), "items.returned", detail_link(item), comment=comment_of(inputs))
    elif transition == "refuse":
        tell(
            proposer(item), "items.refused", detail_link(item),
            reason=ops.texts(forms.REFUSALS.get(item.refusal_reason, _("other"))),
            comment=ops.excerpt(str(inputs.get("comment") or ""), 300) or "—",
        )  # fmt: skip
    elif transition == "publish":
        tell(proposer(item), "items.published_mine", detail_link(item))
    elif transition == "escalate":
        superior, users = ops.superior_deciders(wf.item, item, "superior_approve")
        tell(
            users, "items.escalated", decide_link(item), about_org=superior or org,
            org=ops.org_names(superior), unit=ops.org_names(org),
        )  # fmt: skip
    elif transition in ("request_amendment", "request_revocation"):
        step = "approve_amendment" if transition == "request_amendment" else "approve_revocation"
        superior, users = ops.superior_deciders(wf.item, item, step)
        tell(
            users, "items.change_to_decide", decide_link(item), about_org=superior or org,
            org=ops.org_names(superior), unit=ops.org_names(org),
            change=ops.texts(CHANGES[transition]),
            explanation=ops.excerpt(str(inputs.get("explanation") or ""), 300),
        )  # fmt: skip
    elif transition in OUTCOMES:
        asked = "request_amendment" if "amendment" in transition else "request_revocation"
        requester = ops.step_actors(wf.item, item, asked)[:1]
        superior = ops.org_names(ops.acting_org(actor, "items.decide", org))
        tell(
            requester, "items.change_decided", detail_link(item),
            change=ops.texts(CHANGES[transition]), outcome=ops.texts(OUTCOMES[transition]),
            superior=superior, comment=comment_of(inputs),
        )  # fmt: skip


@events.item_withheld.connect
def on_item_withheld(item, *, actor, reason, filed_with, **_kw) -> None:
    """A withheld item is filed with the superior (PUB-6): its reviewers are told."""
    if filed_with is None:
        return
    org = item.organisation
    ops.notify(
        ops.recipients("items.decide", org, at=filed_with),
        "items.filed",
        org=filed_with,
        params={
            "title": titles(item),
            "org": ops.org_names(filed_with),
            "unit": ops.org_names(org),
            "reason": ops.excerpt(reason, 200),
        },
        link=ops.path_for("items_admin.filings", org_code=filed_with.code),
        about=("item", item.id),
        exclude=[actor],
    )


OBJECTION_OUTCOME_LABELS = {"upheld": _("upheld"), "dismissed": _("dismissed")}


@events.objection_lodged.connect
def on_objection_lodged(objection, *, item, actor, **_kw) -> None:
    """An objection to a notice: the unit's admins and editors are told, to handle it."""
    org = item.organisation
    ops.notify(
        ops.recipients("items.edit", org, at=org),
        "items.objection_lodged",
        org=org,
        params={"title": titles(item), "org": ops.org_names(org), "receipt": objection.receipt},
        link=ops.path_for(
            "items_admin.detail", org_code=org.code, item_id=item.id, _anchor="objections-h"
        ),
        about=("item", item.id),
        exclude=[actor] if actor is not None else (),
    )


@events.objection_handled.connect
def on_objection_handled(objection, *, actor, **_kw) -> None:
    """The outcome of an objection: its objector is told when they lodged it signed in (others
    read it with their receipt number and lookup code)."""
    if objection.user_id is None:
        return
    item = db.session.get(Item, objection.item_id)
    org = item.organisation
    ops.notify(
        [db.session.get(User, objection.user_id)],
        "items.objection_decided",
        org=org,
        params={
            "title": titles(item),
            "org": ops.org_names(org),
            "receipt": objection.receipt,
            "outcome": ops.texts(OBJECTION_OUTCOME_LABELS[objection.outcome]),
        },
        link=ops.path_for("portal.objection_lookup", org_code=org.code, receipt=objection.receipt),
        about=("item", item.id),
        exclude=[actor],
    )
