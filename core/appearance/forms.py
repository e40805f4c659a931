"""The appearance forms: one theme among those installed; a county's branding (display name per
language, emblem, colours). The operations decide; their problems go under the fields."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import RadioField, StringField
from wtforms.validators import InputRequired, Length, Optional

from core.appearance.models import NAME_MAX
from core.i18n import _
from core.web.forms import localised_fields


class ThemeForm(FlaskForm):
    theme = RadioField(
        _("Theme"),
        validators=[InputRequired(message=_("Choose one of the themes shown."))],
        validate_choice=False,  # the operation decides, with its own words
    )

    def set_themes(self, offered) -> None:
        self.theme.choices = [(name, label) for name, label, _description in offered]


class BrandingForm(FlaskForm):
    display_name_zh_Hans_CN, display_name_en, display_name_ug = localised_fields(
        StringField,
        {
            "zh_Hans_CN": _("Display name in Chinese"),
            "en": _("Display name in English"),
            "ug": _("Display name in Uyghur"),
        },
        required=_("Give the display name in Chinese."),
        max_length=NAME_MAX,
        descriptions={
            "zh_Hans_CN": _("Shown in the header of every page of the county and its units."),
            "en": _("Optional: left empty, the county's name in English is shown."),
            "ug": _("Optional: left empty, the county's name in Uyghur is shown."),
        },
    )
    emblem = FileField(
        _("Emblem"),
        description=_(
            "A PNG or JPEG picture of at most 2 MB, shown beside the display name. Its metadata "
            "is removed and it is saved again at most 512 pixels a side. Leave empty to keep "
            "the emblem shown now."
        ),
    )
    primary = StringField(
        _("Primary colour"),
        validators=[Optional(), Length(max=20)],
        description=_(
            "The header's background, as # and six hexadecimal digits (e.g. #9b111e). The "
            "header's white text needs a contrast of at least 4.5:1 on it. Empty: the theme's."
        ),
    )
    accent = StringField(
        _("Accent colour"),
        validators=[Optional(), Length(max=20)],
        description=_(
            "The colour of links, e.g. #0b5394. It needs a contrast of at least 4.5:1 on the "
            "page background. Empty: the theme's."
        ),
    )

    def upload(self) -> bytes | None:
        data = self.emblem.data
        if not data or not getattr(data, "filename", None):
            return None
        return data.read()
