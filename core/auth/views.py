"""Local sign-in and sign-out (``/auth/login``, ``/auth/logout``)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, request, session, url_for
from flask_babel import gettext
from flask_login import current_user, logout_user

from core import audit, db
from core.auth.forms import LoginForm, LogoutForm
from core.auth.signin import complete_sign_in
from core.themes import render
from tenants import operations

bp = Blueprint("auth", __name__, url_prefix="/auth")


def safe_next(target: str | None) -> str:
    """Only same-site relative paths are followed after sign-in."""
    if target:
        parts = urlsplit(target)
        if (
            not parts.scheme
            and not parts.netloc
            and target.startswith("/")
            and not target.startswith("//")
        ):
            return target
    return url_for("core.home")


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    error = None
    if form.validate_on_submit():
        user = operations.get_user(form.username.data.strip())
        if (
            user is not None
            and user.active
            and operations.verify_password(user, form.password.data)
        ):
            complete_sign_in(user, method="password")
            flash(gettext("Signed in as %(name)s.", name=user.display_name), "success")
            return redirect(safe_next(form.next.data))
        operations.record_failed_login(form.username.data.strip(), ip=request.remote_addr)
        db.commit()  # the answer is a 401, which rolls back: keep the audit entry of the attempt
        error = gettext("Unknown user name or wrong password.")
    status = 401 if error else (400 if form.errors else 200)
    return render("auth/login.html", form=form, error=error), status


@bp.route("/logout", methods=["GET", "POST"])
def logout():
    form = LogoutForm()
    if request.method == "POST" and form.validate_on_submit():
        if current_user.is_authenticated:
            audit.log(
                "auth.logout", "user", current_user.id, actor=current_user, ip=request.remote_addr
            )
        logout_user()
        session.clear()
        flash(gettext("You have signed out."), "info")
        return redirect(url_for("core.home"))
    if not current_user.is_authenticated:
        return redirect(url_for("core.home"))
    return render("auth/logout.html", form=form)
