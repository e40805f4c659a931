"""Reactions to the steps of a unit catalogue, in the sender's transaction: whoever a step hands
the version to is told (:mod:`core.notifications`), with a link to the page where they act.

Submitted for the unit's review → the unit's reviewers; submitted to the superior (by its editors
or signed off by its reviewer) → the nearest superior's reviewers (CAT-3); approved, returned or
sent back → whoever submitted it in this round, with the comment.
"""

from __future__ import annotations

from core import events
from core.catalogue import workflow as wf
from core.i18n import _
from core.notifications import operations as ops

OUTCOMES = {
    "approve": _("approved"),
    "return": _("returned with a comment"),
    "send_back": _("sent back to the editors"),
}
SUBMISSIONS = ("submit", "submit_for_review", "sign_off")


def version_link(version) -> str | None:
    return ops.path_for(
        "catalogue_admin.version", org_code=version.organisation.code, kind="unit",
        number=version.number,
    )  # fmt: skip


@events.workflow_step.connect
def on_catalogue_step(version, *, workflow, transition, actor, inputs, **_kw) -> None:
    if workflow != wf.unit_catalogue.name:
        return
    org = version.organisation
    params = {
        "number": version.number,
        "org": ops.org_names(org),
        "actor": getattr(actor, "display_name", "") or getattr(actor, "username", ""),
    }

    def tell(users, kind: str, link: str | None, *, about_org=org, **extra) -> None:
        ops.notify(
            users, kind, org=about_org, params={**params, **extra}, link=link,
            about=("catalogue_version", version.id), exclude=[actor],
        )  # fmt: skip

    if transition == "submit_for_review":
        users = ops.next_step_holders(wf.unit_catalogue, version, "sign_off", "send_back")
        tell(users, "catalogue.to_review", version_link(version))
    elif transition in ("submit", "sign_off"):
        superior, users = ops.superior_deciders(wf.unit_catalogue, version, "approve")
        link = ops.path_for("catalogue_admin.decide", org_code=org.code, number=version.number)
        tell(
            users, "catalogue.submitted", link, about_org=superior or org,
            org=ops.org_names(superior), unit=ops.org_names(org),
        )  # fmt: skip
    elif transition in OUTCOMES:
        submitters = ops.step_actors(wf.unit_catalogue, version, *SUBMISSIONS, since="draft")
        comment = ops.excerpt(str(inputs.get("comment") or ""), 300) or "—"
        tell(
            submitters, "catalogue.decided", version_link(version),
            outcome=ops.texts(OUTCOMES[transition]), comment=comment,
        )  # fmt: skip
