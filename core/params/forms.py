"""The form of the parameters page: one parameter's value (or its removal) at a time."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, StringField
from wtforms.validators import DataRequired, Length, Optional

from core.i18n import _


class ParameterForm(FlaskForm):
    key = HiddenField(validators=[DataRequired()])
    value = StringField(_("Value"), validators=[Optional(), Length(max=200)])
    locked = BooleanField(_("Lock for the subordinate units"))
