from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from core.i18n import _


class LoginForm(FlaskForm):
    username = StringField(_("User name"), validators=[DataRequired(), Length(max=80)])
    password = PasswordField(_("Password"), validators=[DataRequired(), Length(max=200)])
    next = HiddenField()  # the page that asked for sign-in: always followed (if same-site)
    back = HiddenField()  # the page the person came from: followed when they hold no role


class LogoutForm(FlaskForm):
    pass
