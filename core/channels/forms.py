"""The form of a county's channel: its code (when added), names in three languages, audience."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import RadioField, StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from core.catalogue.labels import AUDIENCES
from core.catalogue.models import CHANNEL_AUDIENCES, KEY_PATTERN, CountyChannel
from core.i18n import _
from core.web.forms import LOCALES, localised_fields

NAMES = {
    "zh_Hans_CN": _("Name in Chinese"),
    "en": _("Name in English"),
    "ug": _("Name in Uyghur"),
}


class ChannelForm(FlaskForm):
    code = StringField(
        _("Code"),
        validators=[
            DataRequired(message=_("This field is required.")),
            Length(max=60),
            Regexp(
                KEY_PATTERN.pattern,
                message=_(
                    "Use lower-case letters a–z, digits, “.”, “_” and “-” (at most 60 characters)."
                ),
            ),
        ],
        description=_(
            "A short code in lower-case letters for files and the API; it cannot be changed later."
        ),
    )
    label_zh_Hans_CN, label_en, label_ug = localised_fields(
        StringField, NAMES, required=_("The Chinese name is required."), max_length=60
    )
    audience = RadioField(
        _("Who it reaches"),
        choices=[(a, AUDIENCES[a]) for a in CHANNEL_AUDIENCES],
        description=_("Party channels suit the Party scopes, public channels the public scope."),
        validators=[DataRequired(message=_("Choose who the channel reaches."))],
    )

    def __init__(self, *args, channel: CountyChannel | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.audience.choices = [(a, str(AUDIENCES[a])) for a in CHANNEL_AUDIENCES]
        if channel is not None:  # the code stays
            self.code.validators = [Optional()]

    def to_data(self) -> dict[str, Any]:
        return {
            "code": (self.code.data or "").strip(),
            "labels": {loc: (getattr(self, f"label_{loc}").data or "").strip() for loc in LOCALES},
            "audience": self.audience.data,
        }

    @staticmethod
    def initial(channel: CountyChannel) -> dict[str, Any]:
        data: dict[str, Any] = {"code": channel.code, "audience": channel.audience}
        for loc in LOCALES:
            data[f"label_{loc}"] = (channel.labels or {}).get(loc, "")
        return data
