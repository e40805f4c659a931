"""Completing a sign-in, the same way for every method (password, OIDC, plugin providers): the
sign-in pages (``core.auth``, ``core.sso``) call it once they know who the person is.

:func:`complete_sign_in` renews the session (no fixation: nothing of the anonymous session is
kept but the values under :data:`CARRY_OVER`), signs the user in with Flask-Login, records the
sign-in (audit) and sends :data:`core.events.user_signed_in` so that other packages react in the
same transaction (an invitation the visitor opened before signing in is redeemed this way).
"""

from __future__ import annotations

from flask import g, request, session
from flask_login import login_user
from flask_wtf.csrf import generate_csrf

from core import events
from tenants import operations

GENERATION_KEY = "session_generation"
"""The user's session generation at sign-in; a session whose value is no longer the user's is
ended on load (``core.app``), see :func:`tenants.operations.end_sessions`."""
CARRY_OVER = ("pending_invitation",)
"""Session keys that survive the renewal at sign-in (set before sign-in, used right after)."""


def complete_sign_in(user, *, method: str, provider: str | None = None) -> None:
    carried = {key: session[key] for key in CARRY_OVER if key in session}
    session.clear()  # a fresh session at sign-in (no fixation)
    login_user(user)
    session[GENERATION_KEY] = user.session_generation or 0
    session["signin_method"] = method
    g.pop("csrf_token", None)  # the sign-in form's, of the session just cleared
    generate_csrf()  # a new form token with the new session, not on the first page after it
    if provider:
        session["signin_provider"] = provider
    operations.record_login(user, ip=request.remote_addr, method=method, provider=provider)
    events.user_signed_in.send(user, method=method, provider=provider, carried=carried)
