from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Length, ValidationError

from core.i18n import _


class LoginForm(FlaskForm):
    username = StringField(_("User name"), validators=[DataRequired(), Length(max=80)])
    password = PasswordField(_("Password"), validators=[DataRequired(), Length(max=200)])
    next = HiddenField()  # the page that asked for sign-in: always followed (if same-site)
    back = HiddenField()  # the page the person came from: followed when they hold no role


class LogoutForm(FlaskForm):
    pass


class PasswordResetForm(FlaskForm):
    """Choosing a new password through a link a platform admin made."""

    password = PasswordField(_("New password"), validators=[DataRequired(), Length(max=200)])
    repeat = PasswordField(
        _("The new password again"), validators=[DataRequired(), Length(max=200)]
    )

    def validate_repeat(self, field):
        if field.data != self.password.data:
            raise ValidationError(_("The two passwords differ."))


class RegisterForm(FlaskForm):
    """Creating an account without a government-portal identity (``auth.self_registration``)."""

    display_name = StringField(_("Your name"), validators=[DataRequired(), Length(max=200)])
    email = EmailField(_("E-mail"), validators=[DataRequired(), Length(max=254)])
    username = StringField(_("User name"), validators=[DataRequired(), Length(max=80)])
    password = PasswordField(_("Password"), validators=[DataRequired(), Length(max=200)])
    repeat = PasswordField(_("The password again"), validators=[DataRequired(), Length(max=200)])
    next = HiddenField()

    def validate_repeat(self, field):
        if field.data != self.password.data:
            raise ValidationError(_("The two passwords differ."))


class VerifyForm(FlaskForm):
    """Confirming the e-mail address (a button: a mail scanner that opens the link does not)."""
