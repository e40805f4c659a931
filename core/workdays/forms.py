"""The platform console's form: import a year's official schedule."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from core.i18n import _
from core.workdays.schedule import MAX_TEXT


class ImportForm(FlaskForm):
    year = IntegerField(
        _("Year"),
        validators=[DataRequired(), NumberRange(min=1900, max=2999)],
        description=_("Every date of the schedule must lie in this year."),
    )
    text = TextAreaField(
        _("Special days"),
        validators=[DataRequired(), Length(max=MAX_TEXT)],
        description=_(
            "One day a line as CSV: date,kind,name (and an English name, optional), e.g. "
            "2027-10-08,holiday,国庆节; kind is holiday (a weekday off) or "
            "workday (a Saturday or Sunday worked). YAML with the same fields is read too. "
            "Do not list the weekend days of a holiday break."
        ),
    )
    note = StringField(
        _("Note"),
        validators=[Optional(), Length(max=500)],
        description=_("Where the schedule comes from, e.g. the State Council notice."),
    )
    replace = BooleanField(_("Replace the year if it is already loaded (as a whole)"))
