"""Forms of the members page and of the invitation page (Flask-WTF, CSRF protected)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from core.i18n import _
from core.web.forms import ConfirmForm as ConfirmForm
from tenants.models import ROLES
from tenants.operations import INVITATION_DAYS, MAX_INVITATION_DAYS
from tenants.roles import ROLE_LABELS as ROLE_LABELS

ROLE_HINTS = {
    "admin": _("Runs the unit: catalogue, items, settings and its members."),
    "editor": _("Drafts and publishes items and keeps the catalogue."),
    "reviewer": _("Reviews items before publication; in a superior, approves the units below."),
    "supervisor": _("Reads everything of the unit and its subtree to supervise it."),
    "member": _("Reads the unit's intra-party items."),
}


def role_choices():
    return [(role, ROLE_LABELS[role]) for role in ROLES]


class GrantForm(FlaskForm):
    """Give a role to someone who already has an account."""

    username = StringField(
        _("User name"),
        validators=[DataRequired(), Length(max=80)],
        description=_("The name the person signs in with."),
    )
    role = SelectField(_("Role"), choices=role_choices, default="member")


class InviteForm(FlaskForm):
    """Invite someone (with or without an account yet) to take a role: a link to hand over."""

    role = SelectField(_("Role"), choices=role_choices, default="member")
    note = StringField(
        _("For whom"),
        validators=[Optional(), Length(max=200)],
        description=_("A name or an e-mail address, as a note for the admins. Nothing is sent."),
    )
    days = IntegerField(
        _("Valid for (days)"),
        default=INVITATION_DAYS,
        validators=[InputRequired(), NumberRange(min=1, max=MAX_INVITATION_DAYS)],
    )
