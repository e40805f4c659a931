"""Sign-in and sign-out (``/auth/login``, ``/auth/logout``).

The sign-in page offers the government portals that apply (:mod:`core.sso`: the platform-wide
providers and those of the county in context — the host's, ``?org=CODE`` or the organisation of
``next``) and the password form, unless the county switched password sign-in off (parameter
``auth.local_signin``).

Password sign-in is hardened:

* rate limited per client address (:data:`LOGIN_LIMIT`, Flask-Limiter);
* throttled per user name: after :data:`THROTTLE_FAILURES` failed attempts within
  :data:`THROTTLE_WINDOW`, that name is refused for :data:`THROTTLE_WINDOW` (even with the right
  password). Failures are counted from the audit log (``auth.login_failed``), so the count holds
  across processes; a successful sign-in starts the count again;
* refused to users whose memberships all lie where ``auth.local_signin`` is off (platform admins
  always may);
* audited: ``auth.login`` (method, provider), ``auth.logout``, ``auth.login_failed``,
  ``auth.login_throttled``, ``auth.login_refused``. The entries of refused attempts are committed
  on their own, since the refusal (a 4xx) rolls the request back.
"""

from __future__ import annotations

import re
from datetime import timedelta

from flask import Blueprint, abort, flash, g, redirect, request, session, url_for
from flask_babel import get_locale, gettext
from flask_login import current_user, logout_user
from sqlalchemy import select

from core import audit, db, jobs, ratelimit
from core.audit import AuditEntry
from core.auth.forms import LoginForm, LogoutForm, PasswordResetForm, RegisterForm, VerifyForm
from core.errors import UserError
from core.themes import render
from core.web import landing
from tenants import operations
from tenants.signin import complete_sign_in

bp = Blueprint("auth", __name__, url_prefix="/auth")

LOGIN_LIMIT = "10 per minute;100 per hour"
THROTTLE_FAILURES = 5
THROTTLE_WINDOW = timedelta(minutes=15)
ORG_IN_PATH = re.compile(r"^/(?:admin/)?o/([a-z0-9][a-z0-9-]{0,62})(?:/|$)")


def context_org(next_url: str | None):
    """The organisation whose county's sign-in options apply: ``?org=CODE``, the organisation
    of ``next`` (``/o/<code>/…``), or the one the host is mapped to."""
    code = request.args.get("org")
    if not code and next_url:
        match = ORG_IN_PATH.match(next_url)
        code = match.group(1) if match else None
    if code:
        org = operations.get_org(code)
        if org is not None and org.enabled:
            return org
    return g.get("host_org")


def throttled_until(username: str):
    """When the throttle on ``username`` ends, or None when it is not throttled."""
    now = db.utcnow()
    since = now - 2 * THROTTLE_WINDOW
    user = operations.get_user(username)
    if user is not None and user.last_login_at is not None and user.last_login_at > since:
        since = user.last_login_at  # a successful sign-in starts the count again
    times = list(
        db.session.scalars(
            select(AuditEntry.at)
            .where(
                AuditEntry.action == "auth.login_failed",
                AuditEntry.object_type == "user",
                AuditEntry.object_id == username[:60],
                AuditEntry.at > since,
            )
            .order_by(AuditEntry.at)
        )
    )
    for i in range(THROTTLE_FAILURES - 1, len(times)):
        first, last = times[i - THROTTLE_FAILURES + 1], times[i]
        if last - first <= THROTTLE_WINDOW and now - last < THROTTLE_WINDOW:
            return last + THROTTLE_WINDOW
    return None


def _record(action: str, username: str, **changes) -> None:
    """Audit a refused attempt and keep it (the refusal's 4xx rolls the request back)."""
    db.session.rollback()
    audit.log(action, "user", username[:60], ip=request.remote_addr,
              changes={k: [None, v] for k, v in changes.items()})  # fmt: skip
    db.commit()


def login_page(form: LoginForm, *, error: str | None = None, status: int = 200):
    from core.sso import operations as sso
    from core.sso.providers import kinds

    org = context_org(form.next.data or form.back.data)
    installed = kinds()
    locale = str(get_locale())
    next_url = form.next.data or None
    back = form.back.data or None
    buttons = [
        {
            "label": row.label(locale),
            "url": url_for("sso.start", provider=row.name, next=next_url, back=back),
            "name": row.name,
        }
        for row in sso.providers_for(org)
        if row.kind in installed
    ]
    return render(
        "auth/login.html",
        form=form,
        error=error,
        providers=buttons,
        local=sso.local_signin_offered(org),
        register_url=(
            url_for("auth.register", org=org.code if org is not None else None, next=next_url)
            if registration_offered(org)
            else None
        ),
        org=org,
        action=url_for("auth.login", org=org.code if org is not None else None),
    ), status


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
        form.back.data = request.args.get("back", "")
        return login_page(form)
    try:
        with ratelimit.limit(LOGIN_LIMIT, scope="login"):
            pass
    except ratelimit.RateLimitExceeded:
        message = gettext(
            "Too many sign-in attempts from your address. Please wait a while and try again."
        )
        return login_page(form, error=message, status=429)
    if not form.validate_on_submit():
        return login_page(form, status=400)
    username = form.username.data.strip()
    until = throttled_until(username)
    if until is not None:
        _record("auth.login_throttled", username, until=until.isoformat())
        minutes = max(1, int((until - db.utcnow()).total_seconds() + 59) // 60)
        message = gettext(
            "Too many failed sign-in attempts for this user name. Sign-in with this name is "
            "blocked for %(minutes)s more minutes.",
            minutes=minutes,
        )
        return login_page(form, error=message, status=429)
    user = operations.get_user(username)
    # the password is checked (hashing work done) whether or not the user exists or is active
    valid = operations.verify_password(user, form.password.data)
    if valid and operations.pending_verification(user) is not None:
        _record("auth.login_refused", username, reason="email_unverified")
        renewed = operations.renew_email_verification(user)
        if renewed is not None:
            jobs.enqueue("core.auth.jobs.send_verification", renewed.id, queue="mail")
            message = gettext(
                "Your e-mail address is not confirmed yet. We have sent a new link to "
                "%(email)s: open it, then sign in.",
                email=user.email,
            )
        else:
            message = gettext(
                "Your e-mail address is not confirmed yet: open the link we sent to %(email)s "
                "a few minutes ago, then sign in.",
                email=user.email,
            )
        db.commit()  # the answer is a 403, which rolls back: keep the new link and its mail
        return login_page(form, error=message, status=403)
    if user is None or not user.active or not valid:
        operations.record_failed_login(username, ip=request.remote_addr)
        db.commit()  # the answer is a 401, which rolls back: keep the audit entry of the attempt
        return login_page(form, error=gettext("Unknown user name or wrong password."), status=401)
    from core.sso import operations as sso

    if not sso.local_signin_allowed(user):
        _record("auth.login_refused", username, reason="local_signin_off")
        message = gettext(
            "Password sign-in is switched off for your organisation. Please sign in through "
            "the government portal."
        )
        return login_page(form, error=message, status=403)
    complete_sign_in(user, method="password")
    flash(gettext("Signed in as %(name)s.", name=user.display_name), "success")
    return redirect(landing(user, form.next.data, form.back.data))


@bp.route("/logout", methods=["GET", "POST"])
def logout():
    form = LogoutForm()
    if request.method == "POST" and form.validate_on_submit():
        provider = session.get("signin_provider")
        hint = session.get("sso_logout_hint")
        if current_user.is_authenticated:
            changes = {"provider": [None, provider]} if provider else None
            audit.log("auth.logout", "user", current_user.id, actor=current_user,
                      ip=request.remote_addr, changes=changes)  # fmt: skip
            # the session ends on the server too: a copy of its cookie no longer signs in
            operations.end_sessions(current_user._get_current_object(), reason="signed out",
                                    actor=current_user._get_current_object())  # fmt: skip
        logout_user()
        session.clear()
        flash(gettext("You have signed out."), "info")
        if provider:
            from core.sso.providers import end_session_url

            target = end_session_url(provider, hint, url_for("core.home", _external=True))
            if target:
                # Browsers apply the CSP's form-action to the redirects that follow a form
                # POST, so the portal's end-session address is reached from a page of ours.
                session["portal_logout"] = target
                return redirect(url_for("auth.portal_logout"), 303)
        return redirect(url_for("core.home"))
    if not current_user.is_authenticated:
        return redirect(url_for("core.home"))
    return render("auth/logout.html", form=form)


@bp.get("/logout/portal")
def portal_logout():
    """After a local sign-out, send the browser on to the portal to end its session there."""
    target = session.pop("portal_logout", None)
    if not target:
        return redirect(url_for("core.home"))
    return render("auth/portal_logout.html", target=target)


# --- choosing a new password through a link ----------------------------------------------------

RESET_LIMIT = "20 per hour"


@bp.route("/password/<token>", methods=["GET", "POST"], endpoint="password_reset")
def password_reset(token: str):
    """The link a platform admin made (``/admin/platform/users/<id>``): choose a new password.
    A used, withdrawn or expired link is a 410 that says so; an unknown one a 404."""
    reset = operations.password_reset_by_token(token)
    if reset is None:
        abort(404)
    form = PasswordResetForm()
    status, problems = 200, []
    if reset.status() != "pending":
        return render("auth/password_reset.html", form=None, gone=True), 410
    if request.method == "POST":
        try:
            with ratelimit.limit(RESET_LIMIT, scope="password_reset"):
                pass
        except ratelimit.RateLimitExceeded:
            abort(429)
        status = 400
        if form.validate_on_submit():
            try:
                user = operations.use_password_reset(reset, form.password.data,
                                                     ip=request.remote_addr)  # fmt: skip
            except UserError as exc:
                status, problems = exc.status, exc.problems or [exc.message]
            else:
                flash(gettext("Your new password is set, %(name)s: sign in with it.",
                              name=user.display_name or user.username), "success")  # fmt: skip
                return redirect(url_for("auth.login"))
    return render("auth/password_reset.html", form=form, gone=False, problems=problems,
                  minimum=operations.MIN_PASSWORD_LENGTH), status  # fmt: skip


# --- accounts people create themselves ---------------------------------------------------------

REGISTER_LIMIT = "5 per hour;20 per day"
VERIFY_LIMIT = "20 per hour"


def registration_offered(org) -> bool:
    """Whether people may create an account here (parameter ``auth.self_registration``): the
    county in context decides; without one, any enabled county that allows it."""
    from core.params import operations as params
    from tenants import hierarchy

    key = "auth.self_registration"
    if org is not None:
        return bool(params.value(org, key))
    return any(params.value(root, key) for root in hierarchy.roots() if root.enabled)


def register_page(form: RegisterForm, org, *, problems=(), status: int = 200):
    return render(
        "auth/register.html",
        form=form,
        org=org,
        problems=list(problems),
        minimum=operations.MIN_PASSWORD_LENGTH,
        action=url_for("auth.register", org=org.code if org is not None else None),
    ), status


@bp.route("/register", methods=["GET", "POST"])
def register():
    """Create an account (no government-portal identity needed) where the county allows it;
    the account signs in once its e-mail address is confirmed."""
    form = RegisterForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    org = context_org(form.next.data or None)
    if not registration_offered(org):
        return render("auth/register_closed.html", org=org), 404
    if current_user.is_authenticated:
        return redirect(url_for("core.home"))
    if request.method == "GET":
        return register_page(form, org)
    try:
        with ratelimit.limit(REGISTER_LIMIT, scope="register"):
            pass
    except ratelimit.RateLimitExceeded:
        message = gettext(
            "Too many accounts were created from your address. Please try again later."
        )
        return register_page(form, org, problems=[message], status=429)
    if not form.validate_on_submit():
        return register_page(form, org, status=400)
    try:
        _user, verification = operations.register_user(
            form.username.data,
            display_name=form.display_name.data,
            email=form.email.data,
            password=form.password.data,
            locale=str(get_locale()),
            ip=request.remote_addr,
        )
    except UserError as exc:
        return register_page(form, org, problems=exc.lines(), status=exc.status)
    jobs.enqueue("core.auth.jobs.send_verification", verification.id, queue="mail")
    # confirmed in this browser, the sign-in goes on to the page that asked for it (landing()
    # follows only same-site addresses)
    session["registration_next"] = (form.next.data or "")[:500]
    return redirect(url_for("auth.registered", org=org.code if org is not None else None), 303)


@bp.get("/register/sent")
def registered():
    return render("auth/register_sent.html", hours=operations.EMAIL_VERIFICATION_HOURS)


@bp.route("/verify/<token>", methods=["GET", "POST"], endpoint="verify_email")
def verify_email(token: str):
    """The link of the mail: a button confirms the address (a GET changes nothing, so a mail
    scanner opening the link does not). Used, withdrawn or expired: a 410; unknown: a 404."""
    if request.method == "POST":  # counted before the token is looked up: no guessing
        try:
            with ratelimit.limit(VERIFY_LIMIT, scope="verify_email"):
                pass
        except ratelimit.RateLimitExceeded:
            abort(429)
    verification = operations.email_verification_by_token(token)
    if verification is None:
        abort(404)
    if verification.status() != "pending":
        return render("auth/verify.html", form=None, gone=True), 410
    form = VerifyForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            return render("auth/verify.html", form=form, gone=False), 400
        try:
            user = operations.verify_email(verification, ip=request.remote_addr)
        except UserError:
            return render("auth/verify.html", form=None, gone=True), 410
        flash(gettext("Your e-mail address is confirmed, %(name)s: sign in now.",
                      name=user.display_name), "success")  # fmt: skip
        next_url = session.pop("registration_next", None) or None
        return redirect(url_for("auth.login", next=next_url), 303)
    return render("auth/verify.html", form=form, gone=False, email=verification.email)
