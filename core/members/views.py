"""The members page of the unit console and the invitation link.

* ``/admin/o/<code>/members`` — who holds which role in the unit, the pending invitations and the
  latest changes (``members.view``); grant a role to an existing user, revoke one (after a
  confirmation page), invite, withdraw an invitation (``members.manage``).
* ``/auth/invitations/<token>`` — the link an invitation hands over: a signed-in visitor accepts
  it with a button; an anonymous one is asked to sign in first and the invitation is redeemed
  right after the sign-in (:mod:`core.members.subscribers`), whatever way they signed in.

As elsewhere in the console: views parse, authorise with :func:`core.permissions.may`, call one
operation, then render or redirect; a refused operation is shown on the page with the user's
input kept and a 4xx status (the app then rolls back).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, g, redirect, request, session, url_for
from flask_babel import gettext
from flask_login import current_user

from core import audit_labels, permissions, web
from core.i18n import _, locale
from core.members.forms import ROLE_HINTS, ROLE_LABELS, ConfirmForm, GrantForm, InviteForm
from core.themes import render
from core.web import navigation
from tenants import operations
from tenants.models import Invitation, Membership, Organisation

bp = web.org_blueprint("members_admin", __name__, console=True)

navigation.entry("settings", "members", _("Members"), "members_admin.index",
                 action="members.view", order=10, match=("members_admin.revoke",))  # fmt: skip

invitations = Blueprint("invitations", __name__, url_prefix="/auth/invitations")

PENDING_KEY = "pending_invitation"  # carried over the sign-in (tenants.signin.CARRY_OVER)


# --- helpers ---------------------------------------------------------------------------------


require = web.require


def role_label(role: str | None) -> str:
    return str(ROLE_LABELS.get(role, role or ""))


def audit_text(entry) -> str:
    """One line of the members' history, in the reader's language."""
    changes = entry.changes or {}
    user = next((v for v in changes.get("user", []) if v), "")
    role = role_label(next((v for v in changes.get("role", []) if v), None))
    texts = {
        "membership.grant": lambda: gettext("%(user)s was given the role %(role)s.",
                                            user=user, role=role),
        "membership.revoke": lambda: gettext("%(user)s no longer holds the role %(role)s.",
                                             user=user, role=role),
        "invitation.create": lambda: gettext("An invitation to take the role %(role)s was "
                                             "created.", role=role),
        "invitation.redeem": lambda: gettext("%(user)s accepted an invitation to take the role "
                                             "%(role)s.", user=user, role=role),
        "invitation.revoke": lambda: gettext("An invitation to take the role %(role)s was "
                                             "withdrawn.", role=role),
        "invitation.refused": lambda: gettext("An invitation could not be accepted "
                                              "(used, withdrawn or expired)."),
    }  # fmt: skip
    text = texts.get(entry.action)
    return text() if text else audit_labels.action(entry.action)


def members_by_user(org: Organisation) -> list[dict[str, Any]]:
    rows: dict[int, dict[str, Any]] = {}
    for m in operations.memberships_in(org):
        row = rows.setdefault(m.user_id, {"user": m.user, "memberships": []})
        row["memberships"].append(m)
    return list(rows.values())


def page(*, status: int = 200, grant_form=None, invite_form=None, new_link=None, errors=()):
    org = g.org
    pending = operations.pending_invitations(org)
    history = operations.membership_history(org)
    return render(
        "admin/members.html",
        org=org,
        locale=locale(),
        members=members_by_user(org),
        pending=pending,
        history=history,
        names=web.display_names([i.created_by_id for i in pending] + [e.actor_id for e in history]),
        may_manage=permissions.may(current_user, "members.manage", org),
        grant_form=grant_form or GrantForm(prefix="grant", formdata=None),
        invite_form=invite_form or InviteForm(prefix="invite", formdata=None),
        confirm_form=ConfirmForm(formdata=None),
        new_link=new_link,
        errors=list(errors),
        role_label=role_label,
        role_hints=ROLE_HINTS,
        audit_text=audit_text,
    ), status


def membership_or_404(membership_id: int) -> Membership:
    return web.object_or_404(Membership, membership_id)


# --- the members page ------------------------------------------------------------------------


@bp.route("/members")
def index():
    require("members.view")
    return page()


@bp.route("/members/grant", methods=["POST"])
def grant():
    require("members.manage")
    form = GrantForm(prefix="grant")
    if not form.validate_on_submit():
        return page(status=400, grant_form=form)
    username = form.username.data.strip()
    user = operations.get_user(username)
    if user is None:
        form.username.errors = [gettext("There is no user with this name.")]
        return page(status=404, grant_form=form)
    role = form.role.data
    if any(m.user_id == user.id and m.role == role for m in operations.memberships_in(g.org)):
        flash(gettext("%(user)s already holds the role %(role)s.",
                      user=user.display_name or user.username, role=role_label(role)),
              "info")  # fmt: skip
        return redirect(url_for(".index"))
    operations.grant_membership(user, g.org, role, actor=current_user)
    flash(gettext("%(user)s now holds the role %(role)s.",
                  user=user.display_name or user.username, role=role_label(role)),
          "success")  # fmt: skip
    return redirect(url_for(".index"))


@bp.route("/members/<int:membership_id>/revoke", methods=["GET", "POST"])
def revoke(membership_id: int):
    require("members.manage")
    membership = membership_or_404(membership_id)
    user = membership.user
    form = ConfirmForm()
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        status = 400
        if form.validate_on_submit():
            try:
                operations.revoke_membership(user, g.org, membership.role, actor=current_user)
            except operations.LastAdmin as exc:
                status = exc.status
                errors = [gettext("You are the last admin of this organisation. Give the role "
                                  "to someone else before you give it up.")]  # fmt: skip
            else:
                flash(gettext("%(user)s no longer holds the role %(role)s.",
                              user=user.display_name or user.username,
                              role=role_label(membership.role)), "success")  # fmt: skip
                permissions.forget_roles(current_user)
                if not permissions.may(current_user, "members.view", g.org):
                    return redirect(url_for("tenants.portal", org_code=g.org.code))
                return redirect(url_for(".index"))
    return render(
        "admin/members_revoke.html",
        org=g.org,
        locale=locale(),
        membership=membership,
        member=user,
        role_label=role_label,
        form=form,
        errors=errors,
        own=user.id == current_user.id,
    ), status


@bp.route("/members/invitations", methods=["POST"])
def invite():
    require("members.manage")
    form = InviteForm(prefix="invite")
    if not form.validate_on_submit():
        return page(status=400, invite_form=form)
    _invitation, token = operations.create_invitation(
        g.org, form.role.data, actor=current_user, note=form.note.data or "", days=form.days.data
    )
    flash(gettext("The invitation was created. Copy its link now: it is shown only once."),
          "success")  # fmt: skip
    link = url_for("invitations.show", token=token, _external=True)
    # the page itself (no redirect): the link is shown once and never stored in clear
    return page(status=201, new_link=link)


@bp.route("/members/invitations/<int:invitation_id>/revoke", methods=["POST"])
def revoke_invitation(invitation_id: int):
    require("members.manage")
    invitation = operations.get_invitation(g.org, invitation_id)
    if invitation is None:
        abort(404)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        operations.revoke_invitation(invitation, actor=current_user)
    except operations.InvitationGone:
        flash(gettext("This invitation is no longer pending: nothing was changed."), "info")
    else:
        flash(gettext("The invitation was withdrawn: its link no longer works."), "success")
    return redirect(url_for(".index"))


# --- the invitation link ---------------------------------------------------------------------


def gone_message(status: str | None) -> str:
    return {
        None: gettext("This invitation link is not valid. Check that you copied the whole link."),
        "redeemed": gettext("This invitation has already been used. Ask the unit's admin for a "
                            "new one if you still need it."),
        "revoked": gettext("This invitation was withdrawn by the unit's admin."),
        "expired": gettext("This invitation has expired. Ask the unit's admin for a new one."),
    }[status]  # fmt: skip


def gone_page(status: str | None):
    code = 404 if status is None else 410
    return render("auth/invitation_gone.html", message=gone_message(status), locale=locale()), code


def destination(org: Organisation) -> str:
    """Where a new member lands: the unit console when they may use it, else its portal."""
    permissions.forget_roles(current_user)
    if permissions.may(current_user, "members.view", org):
        return url_for("catalogue_admin.overview", org_code=org.code)
    return url_for("tenants.portal", org_code=org.code)


def redeemed_here(invitation: Invitation | None) -> bool:
    return (
        invitation is not None
        and invitation.redeemed_at is not None
        and current_user.is_authenticated
        and invitation.redeemed_by_id == current_user.id
    )


def invitation_page(invitation: Invitation, token: str, *, form=None, status: int = 200):
    org = invitation.organisation
    return render(
        "auth/invitation.html",
        invitation=invitation,
        org=org,
        locale=locale(),
        role=role_label(invitation.role),
        role_hint=ROLE_HINTS.get(invitation.role, ""),
        form=form or ConfirmForm(formdata=None),
        accept_url=url_for(".accept", token=token),
        login_url=url_for("auth.login", next=url_for(".show", token=token)),
        expires=web.when(invitation.expires_at, org=org),
    ), status


@invitations.route("/<token>")
def show(token: str):
    invitation = operations.invitation_by_token(token)
    if redeemed_here(invitation):  # back from the sign-in that redeemed it
        return redirect(destination(invitation.organisation))
    if invitation is None or invitation.status() != "pending":
        return gone_page(invitation.status() if invitation else None)
    if not current_user.is_authenticated:
        session[PENDING_KEY] = token  # redeemed by the sign-in (core.members.subscribers)
    return invitation_page(invitation, token)


@invitations.route("/<token>", methods=["POST"])
def accept(token: str):
    invitation = operations.invitation_by_token(token)
    if invitation is None:
        return gone_page(None)
    if not current_user.is_authenticated:
        return redirect(url_for(".show", token=token))
    form = ConfirmForm()
    if not form.validate_on_submit():
        return invitation_page(invitation, token, form=form, status=400)
    try:
        operations.redeem_invitation(invitation, current_user, ip=request.remote_addr)
    except operations.InvitationGone:
        return gone_page(invitation.status())
    session.pop(PENDING_KEY, None)
    org = invitation.organisation
    flash(gettext("Welcome: you now hold the role %(role)s in %(org)s.",
                  role=role_label(invitation.role), org=org.name(locale())), "success")  # fmt: skip
    return redirect(destination(org))
