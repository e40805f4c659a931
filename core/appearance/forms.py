"""The appearance form: one theme among those installed."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField
from wtforms.validators import InputRequired

from core.i18n import _


class ThemeForm(FlaskForm):
    theme = RadioField(
        _("Theme"),
        validators=[InputRequired(message=_("Choose one of the themes shown."))],
        validate_choice=False,  # the operation decides, with its own words
    )

    def set_themes(self, offered) -> None:
        self.theme.choices = [(name, label) for name, label, _description in offered]
