"""Pages of the village affairs plugin: the console page of the two committees and the
sign-off, the township's list of its villages' open feedback, and the printable notice board."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import select

from core.toolkit import (
    Forbidden,
    Item,
    NotFound,
    User,
    UserError,
    _,
    ascii_int,
    current_org,
    may,
    render,
    require,
    require_sign_in,
    session,
)
from core.toolkit import notice_board as board_context
from plugins.village_affairs import operations as ops
from plugins.village_affairs.models import RELATIONS, SUPERVISOR_ROLES, CommitteeMember, Supervisor

console = Blueprint("village_affairs", __name__, url_prefix="/admin/o/<org_code>/village_affairs")
console.before_request(require_sign_in)
portal = Blueprint("village_affairs_portal", __name__, url_prefix="/o/<org_code>/village_affairs")

RELATION_LABELS = ops.RELATION_LABELS


def _user(username: str):
    username = (username or "").strip()
    if not username:
        return None
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise UserError(_("No user %(name)s.", name=username))
    return user


def _refused(exc: UserError) -> None:
    flash(" ".join([str(exc.message), *[str(p) for p in exc.problems or []]]), "error")


@console.get("/")
def index():
    org = current_org()
    may_view = may(current_user, "village_affairs.view", org)
    is_supervisor = ops.supervisor_of(org, current_user) is not None
    if not (may_view or is_supervisor):
        raise Forbidden(_("You may not do this here."))
    members = ops.committee_members(org)
    names = {m.id: m.name for m in members}
    return render(
        "village_affairs/committee.html",
        org=org,
        members=members,
        relatives=[(names.get(r.member_id, ""), r) for r in ops.relatives(org)],
        supervisors=ops.supervisors(org),
        former=ops.former_supervisors(org),
        awaiting=ops.awaiting_signoff(org),
        may_manage=may(current_user, "village_affairs.manage", org),
        may_sign=is_supervisor,
        relations=RELATIONS,
        relation_labels=RELATION_LABELS,
        roles=SUPERVISOR_ROLES,
    )


@console.post("/committee")
def add_committee_member():
    org = require("village_affairs.manage")
    try:
        ops.add_committee_member(
            org, request.form.get("name", ""), user=_user(request.form.get("username")),
            actor=current_user,
        )  # fmt: skip
        flash(_("The village committee member was added."), "success")
    except UserError as exc:
        _refused(exc)
    return redirect(url_for(".index"))


@console.post("/relatives")
def declare_relative():
    org = require("village_affairs.manage")
    member = session.get(CommitteeMember, ascii_int(request.form.get("member_id"), minimum=1) or 0)
    if member is None or member.org_id != org.id:
        raise NotFound(_("Not found."))
    name, relation = request.form.get("name", ""), request.form.get("relation", "")
    seated = ops.seated_supervisor(org, name)
    end_seat = request.form.get("end_seat") == "1"
    if seated is not None and relation in RELATIONS and not end_seat:
        # VIL-3: the declaration ends a seat on the supervision committee; ask first
        return render(
            "village_affairs/confirm_relative.html",
            org=org,
            member=member,
            seated=seated,
            relation=relation,
            relation_labels=RELATION_LABELS,
        )
    try:
        ops.declare_relative(member, name, relation, actor=current_user, end_seat=end_seat)
    except UserError as exc:
        _refused(exc)
    else:
        flash(_("The relative was recorded."), "success")
        if seated is not None:
            flash(
                _(
                    "The seat of %(name)s on the supervision committee has ended; "
                    "the reason is on record.",
                    name=seated.name,
                ),
                "success",
            )
    return redirect(url_for(".index"))


@console.post("/supervisors")
def add_supervisor():
    org = require("village_affairs.manage")
    try:
        ops.add_supervisor(
            org, request.form.get("name", ""), role=request.form.get("role", "member"),
            user=_user(request.form.get("username")), actor=current_user,
        )  # fmt: skip
        flash(_("The supervision committee member was added."), "success")
    except UserError as exc:
        _refused(exc)
    return redirect(url_for(".index"))


@console.post("/supervisors/<int:supervisor_id>/remove")
def remove_supervisor(supervisor_id: int):
    org = require("village_affairs.manage")
    sup = session.get(Supervisor, supervisor_id)
    if sup is None or sup.org_id != org.id or sup.ended_at is not None:
        raise NotFound(_("Not found."))
    ops.remove_supervisor(sup, actor=current_user)
    flash(_("The supervision committee member was removed."), "success")
    return redirect(url_for(".index"))


@console.post("/items/<int:item_id>/sign")
def sign(item_id: int):
    org = current_org()
    item = session.get(Item, item_id)
    if item is None or item.org_id != org.id:
        raise NotFound(_("Not found."))
    if ops.supervisor_of(org, current_user) is None:
        raise Forbidden(_("Only a member of the supervision committee signs."))
    try:
        ops.sign(item, actor=current_user, opinion=request.form.get("opinion", ""))
        flash(_("Signed for the supervision committee."), "success")
    except UserError as exc:
        _refused(exc)
    return redirect(url_for(".index"))


@console.get("/villages-feedback")
def villages_feedback():
    org = require("village_affairs.supervise")
    return render(
        "village_affairs/villages_feedback.html",
        org=org,
        villages=ops.supervised_villages(org),
        rows=ops.open_feedback(org),
    )


@portal.get("/notice-board")
def notice_board():
    org = current_org()
    # the printed board's content (core's board.pdf, the same as the portal: VIL-5)
    return render("village_affairs/notice_board.html", org=org, **board_context(org))
