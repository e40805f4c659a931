"""Helpers shared by the console blueprints (``/admin/o/<code>/...``)."""

from __future__ import annotations

from flask import current_app
from flask_login import current_user
from sqlalchemy import select

from core import db
from core.errors import UserError
from tenants.models import User


def require_sign_in():
    """``before_request`` of a console blueprint: anonymous visitors go to the sign-in page."""
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    return None


def refusal(exc: UserError) -> list[str]:
    """The lines a refused operation shows: its message and every problem."""
    return [exc.message, *exc.problems]


def display_names(ids) -> dict[int, str]:
    """``{user id: display name}`` of the given ids (one query)."""
    ids = {i for i in ids if i}
    if not ids:
        return {}
    users = db.session.scalars(select(User).where(User.id.in_(ids)))
    return {u.id: u.display_name or u.username for u in users}
