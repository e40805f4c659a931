from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from core.i18n import _


class LoginForm(FlaskForm):
    username = StringField(_("User name"), validators=[DataRequired(), Length(max=80)])
    password = PasswordField(_("Password"), validators=[DataRequired(), Length(max=200)])
    next = HiddenField()


class LogoutForm(FlaskForm):
    pass
