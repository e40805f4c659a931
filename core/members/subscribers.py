"""Redeem the invitation a visitor opened before signing in (``carried["pending_invitation"]``).

:func:`tenants.signin.complete_sign_in` sends :data:`core.events.user_signed_in` for every
sign-in method (password, OIDC, plugin providers) with the session values it carried over the
renewal; the invitation is redeemed in the same transaction as the sign-in. An invitation that
became unusable meanwhile (used, withdrawn, expired) is skipped: the sign-in goes on, the refusal
is audited (``invitation.refused``) and the visitor is told.
"""

from __future__ import annotations

from flask import flash, has_request_context, request
from flask_babel import get_locale, gettext

from core import events
from core.members.forms import ROLE_LABELS
from core.members.views import PENDING_KEY, gone_message
from tenants import operations


def _tell(message: str, category: str) -> None:
    if has_request_context():
        flash(message, category)


@events.user_signed_in.connect
def redeem_pending_invitation(user, *, carried=None, **_extra) -> None:
    token = (carried or {}).get(PENDING_KEY)
    if not token:
        return
    ip = request.remote_addr if has_request_context() else None
    invitation = operations.invitation_by_token(token)
    status = invitation.status() if invitation is not None else None
    if status == "redeemed" and invitation.redeemed_by_id == user.id:
        return  # accepted already (the button, then a sign-in in another tab)
    if status == "pending":
        try:
            operations.redeem_invitation(invitation, user, ip=ip)
        except operations.InvitationGone:
            status = invitation.status()
        else:
            org = invitation.organisation
            _tell(gettext("Welcome: you now hold the role %(role)s in %(org)s.",
                          role=str(ROLE_LABELS.get(invitation.role, invitation.role)),
                          org=org.name(str(get_locale()))),
                  "success")  # fmt: skip
            return
    operations.record_refused_invitation(invitation, user, status or "unknown", ip=ip)
    _tell(gettext("The invitation you opened could not be accepted: %(reason)s",
                  reason=gone_message(status)), "info")  # fmt: skip
