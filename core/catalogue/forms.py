"""Console forms of the catalogue and the policy parameters (Flask-WTF, CSRF protected).

The forms check what a person can fix in the form itself (required texts, choices, numbers, the
channels that suit a scope) with translated messages tied to their fields; the operations remain
the authority and their refusals are shown on the same page.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from core import i18n
from core.catalogue import labels
from core.catalogue import operations as cat
from core.catalogue.models import CADENCES, SCOPES, Category, Entry
from core.i18n import _
from core.web import forms as web_forms
from core.web.forms import LOCALES, TITLES, MultiCheckboxField, choice, localised_fields, texts
from core.web.forms import ConfirmForm as ConfirmForm

KEY_MESSAGE = _("Use lower-case letters a–z, digits, “.”, “_” and “-” (at most 60 characters).")


class ScopeChannelsMixin:
    """A ``scope`` select and ``channels`` checkboxes that must suit it (CAT-6); shared by the
    catalogue entry form and the item form."""

    def set_channel_choices(self, channel_entries, loc: str) -> None:
        self.channels.choices = [choice(e.code, e.label(loc)) for e in channel_entries]
        self.channel_names = [(e.code, e.label(loc)) for e in channel_entries]
        self.channel_audiences = {
            e.code: labels.AUDIENCES.get((e.attributes or {}).get("audience"), "")
            for e in channel_entries
        }

    def validate_channels(self, field):
        if self.scope.data in SCOPES and field.data:
            suitable = set(cat.channels_for_scope(self.scope.data, keep=dict(self.channel_names)))
            names = dict(self.channel_names)
            unsuitable = [names[c] for c in field.data if c in names and c not in suitable]
            if unsuitable:
                raise ValidationError(
                    gettext(
                        "These channels do not suit the scope “%(scope)s”: %(channels)s.",
                        scope=labels.scope(self.scope.data),
                        channels=", ".join(unsuitable),
                    )
                )


class EntryForm(ScopeChannelsMixin, FlaskForm):
    key = StringField(
        _("Key"),
        validators=[Optional(), Regexp(cat.KEY_PATTERN.pattern, message=KEY_MESSAGE)],
        description=_(
            "A short code that stays the same in every version. Leave it empty to have "
            "one made from the category."
        ),
    )
    category = SelectField(_("Category"), coerce=int)
    title_zh_Hans_CN, title_en, title_ug = localised_fields(
        StringField, TITLES, required=_("Write the title in Chinese."), max_length=300
    )
    content_zh_Hans_CN, content_en, content_ug = localised_fields(
        TextAreaField,
        {
            "zh_Hans_CN": _("Content in Chinese"),
            "en": _("Content in English"),
            "ug": _("Content in Uyghur"),
        },
        required=_("Say in Chinese what is disclosed."),
        descriptions={"zh_Hans_CN": _("What exactly is disclosed under this entry.")},
    )
    scope = SelectField(
        _("Scope"),
        validators=[DataRequired(message=_("Choose who may see what is disclosed."))],
        description=_("Who may see what is disclosed under this entry."),
    )
    channels = MultiCheckboxField(
        _("Channels"),
        validators=[DataRequired(message=_("Choose at least one channel."))],
        description=_(
            "Where it is disclosed. Party channels suit the Party scopes, public "
            "channels the public scope."
        ),
    )
    cadence = SelectField(
        _("Cadence"),
        validators=[DataRequired(message=_("Choose how often it is disclosed."))],
    )
    due_days = IntegerField(
        _("Due days"),
        validators=[Optional(), NumberRange(min=0, max=365)],
        description=_(
            "Days after the period ends (or after the year begins for standing "
            "entries). Leave empty to follow the policy parameter."
        ),
    )
    notice_days = IntegerField(
        _("Notice period (days)"),
        validators=[Optional(), NumberRange(min=0, max=90)],
        description=_("Only for notices (公示): how long the notice stays up."),
    )
    responsible = StringField(
        _("Responsible department or person"),
        validators=[
            DataRequired(message=_("Name the responsible department or person.")),
            Length(max=200),
        ],
    )
    item_type = StringField(
        _("Item type"),
        validators=[Optional(), Regexp(cat.KEY_PATTERN.pattern, message=KEY_MESSAGE)],
        description=_("Optional: the key of an item type that adds structured fields."),
    )
    mandatory = BooleanField(
        _("Mandatory: units cannot remove this entry"),
    )

    def __init__(self, *args, categories: list[Category], channel_entries, **kwargs):
        super().__init__(*args, **kwargs)
        loc = i18n.locale()
        self.category.choices = [choice(c.id, c.title(loc)) for c in categories]
        self.scope.choices = [
            choice("", _("Choose…")),
            *(choice(s, labels.scope(s)) for s in SCOPES),
        ]
        self.cadence.choices = [
            choice("", _("Choose…")),
            *(choice(c, labels.cadence(c)) for c in CADENCES),
        ]
        self.set_channel_choices(channel_entries, loc)

    def to_data(self, *, template: bool) -> dict[str, Any]:
        """The operation's input: texts per language, codes, numbers."""
        data = {
            "titles": texts(self, "title"),
            "content": texts(self, "content"),
            "scope": self.scope.data,
            "channels": list(self.channels.data or []),
            "cadence": self.cadence.data,
            "due_days": self.due_days.data,
            "notice_days": self.notice_days.data,
            "responsible": (self.responsible.data or "").strip(),
            "item_type": (self.item_type.data or "").strip() or None,
        }
        if template:
            data["mandatory"] = bool(self.mandatory.data)
        return data

    @staticmethod
    def initial(entry: Entry) -> dict[str, Any]:
        data: dict[str, Any] = {
            "key": entry.key,
            "category": entry.category_id,
            "scope": entry.scope,
            "channels": list(entry.channels or []),
            "cadence": entry.cadence,
            "due_days": entry.due_days,
            "notice_days": entry.notice_days,
            "responsible": entry.responsible,
            "item_type": entry.item_type or "",
            "mandatory": entry.mandatory,
        }
        for loc in LOCALES:
            data[f"title_{loc}"] = (entry.titles or {}).get(loc, "")
            data[f"content_{loc}"] = (entry.content or {}).get(loc, "")
        return data


# Problems of an operation ("scope: ...") → the form field they belong to.
PROBLEM_FIELDS = {
    "title": "title_zh_Hans_CN",
    "content": "content_zh_Hans_CN",
    "scope": "scope",
    "channels": "channels",
    "cadence": "cadence",
    "responsible": "responsible",
    "due_days": "due_days",
    "notice_days": "notice_days",
}


def attach_problems(form: FlaskForm, problems: list[str]) -> list[str]:
    """Put each problem under its field; return the ones that belong to no field."""
    return web_forms.attach_problems(form, problems, PROBLEM_FIELDS)


def entry_form(version, *, entry: Entry | None = None, **kwargs) -> EntryForm:
    """The entry form of ``version`` (for ``entry``: a retired channel it has stays offered)."""
    keep = (entry.channels or ()) if entry is not None else ()
    return EntryForm(
        categories=cat.categories(version),
        channel_entries=cat.channel_entries(version.organisation, keep=keep),
        **kwargs,
    )


class CategoryForm(FlaskForm):
    key = StringField(
        _("Key"),
        validators=[
            InputRequired(message=_("Give the category a key.")),
            Regexp(cat.KEY_PATTERN.pattern, message=KEY_MESSAGE),
        ],
        description=_("A short code that stays the same in every version, e.g. “org”."),
    )
    parent = SelectField(_("Inside the category"), coerce=int)
    title_zh_Hans_CN, title_en, title_ug = localised_fields(
        StringField, TITLES, required=_("Write the title in Chinese."), max_length=300
    )
    code_2010 = StringField(
        _("Code in the 2010 categories"), validators=[Optional(), Length(max=20)]
    )
    code_2017 = StringField(
        _("Code in the 2017 grassroots items"), validators=[Optional(), Length(max=20)]
    )

    def __init__(
        self, *args, categories: list[Category] | None = None, editing: bool = False, **kwargs
    ):
        super().__init__(*args, **kwargs)
        loc = i18n.locale()
        self.parent.choices = [
            choice(0, _("(top level)")),
            *(choice(c.id, c.title(loc)) for c in categories or []),
        ]
        if editing:  # the key and the place of a category are fixed once made
            del self.key
            del self.parent
            del self.code_2010
            del self.code_2017

    def titles(self) -> dict[str, str]:
        return texts(self, "title")


class MoveForm(FlaskForm):
    direction = SelectField(choices=["up", "down"])


class TransitionForm(FlaskForm):
    transition = HiddenField(validators=[DataRequired()])
    comment = TextAreaField(_("Comment"), validators=[Optional(), Length(max=4000)])


class DecisionForm(FlaskForm):
    comment = TextAreaField(_("Comment"), validators=[Optional(), Length(max=4000)])
    effective_from = DateField(
        _("Effective from"),
        validators=[Optional()],
        description=_(
            "Leave empty for today. A later date keeps the current version in force until then."
        ),
    )


class ImportForm(FlaskForm):
    """A catalogue file (YAML or XLSX) that replaces the content of a draft."""

    file = FileField(
        _("Catalogue file"),
        description=_(
            "A YAML file (.yaml, .yml) or an Excel workbook (.xlsx), as the export writes it. "
            "It replaces the whole content of this draft; a file with any problem is refused "
            "as a whole, with every problem and its place in the file."
        ),
    )
