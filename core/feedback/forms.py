"""Forms of the feedback pages (Flask-WTF).

:class:`FeedbackForm` is the visitor's form: its CSRF token is checked by the view itself (so
that an expired form comes back with what the visitor wrote), and it carries the honeypot field
``website`` that the style sheet hides from people (class ``hp-field``). The console forms carry
their CSRF token as usual. The operations stay the authority: their problems (``"content:
..."``) are put under the fields they name (:func:`attach_problems`).
"""

from __future__ import annotations

from flask_babel import gettext
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from core.feedback import labels
from core.feedback.models import (
    ANSWER_CHANNELS,
    CONTACT_MAX,
    CONTENT_MAX,
    NAME_MAX,
    STAFF_CHANNELS,
    TEXT_MAX,
)
from core.i18n import _
from core.web.forms import ConfirmForm as ConfirmForm
from core.web.forms import choice

HONEYPOT = "website"


class FeedbackForm(FlaskForm):
    """Feedback from anyone (no account): about the unit or one of its disclosed items."""

    class Meta:
        csrf = False  # checked by the view, which keeps the text on an expired form

    item = SelectField(_("About"), validators=[Optional()], validate_choice=False)
    content = TextAreaField(
        _("Your opinion or suggestion"),
        validators=[
            DataRequired(message=_("Please write your opinion or suggestion.")),
            Length(max=CONTENT_MAX),
        ],
        description=_("Plain text, at most %(n)d characters.", n=CONTENT_MAX),
    )
    name = StringField(_("Your name (optional)"), validators=[Optional(), Length(max=NAME_MAX)])
    contact = StringField(
        _("Telephone or e-mail (optional)"),
        validators=[Optional(), Length(max=CONTACT_MAX)],
        description=_(
            "With contact details the unit answers you directly; without them, it answers by "
            "publishing its answer. Your name and contact details are never published."
        ),
    )
    website = StringField(_("Leave this field empty"), validators=[Optional()])

    def set_items(self, items, locale: str) -> None:
        self.item.choices = [
            choice("", gettext("The organisation in general")),
            *(choice(str(i.id), i.title(locale) or str(i.id)) for i in items),
        ]


class RecordForm(FlaskForm):
    """Feedback received by staff through another channel (FB-1)."""

    channel = SelectField(
        _("Channel"), validators=[InputRequired(message=_("Choose how the feedback arrived."))]
    )
    received_on = DateField(_("Received on"), validators=[Optional()])
    item = SelectField(_("About"), validators=[Optional()], validate_choice=False)
    content = TextAreaField(
        _("Content"),
        validators=[
            DataRequired(message=_("Write down the opinion or suggestion.")),
            Length(max=CONTENT_MAX),
        ],
    )
    name = StringField(_("Submitter (optional)"), validators=[Optional(), Length(max=NAME_MAX)])
    contact = StringField(
        _("Submitter's contact details (optional)"),
        validators=[Optional(), Length(max=CONTACT_MAX)],
        description=_(
            "Without contact details the entry is anonymous: it closes only with a published "
            "answer."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.channel.choices = [
            choice("", gettext("Choose…")),
            *(choice(c, labels.channel(c)) for c in STAFF_CHANNELS),
        ]

    def set_items(self, items, locale: str) -> None:
        self.item.choices = [
            choice("", gettext("The organisation in general")),
            *(choice(str(i.id), i.title(locale) or str(i.id)) for i in items),
        ]


class AssignForm(FlaskForm):
    handler = SelectField(
        _("Handler"), validators=[InputRequired(message=_("Choose the handler."))]
    )
    due_on = DateField(
        _("Answer due on"),
        validators=[Optional()],
        description=_("Leave it empty to keep the due date computed from the receipt."),
    )

    def set_handlers(self, people) -> None:
        self.handler.choices = [
            choice("", gettext("Choose…")),
            *(choice(str(u.id), f"{u.display_name or u.username} ({u.username})") for u in people),
        ]


class NoteForm(FlaskForm):
    note = TextAreaField(
        _("Handling note"),
        validators=[DataRequired(message=_("Write what was done.")), Length(max=TEXT_MAX)],
    )


class RectificationForm(FlaskForm):
    measures = TextAreaField(
        _("Rectification measures"),
        validators=[DataRequired(message=_("Describe the measures.")), Length(max=TEXT_MAX)],
    )
    deadline = DateField(
        _("Rectification deadline"), validators=[InputRequired(message=_("Give a deadline."))]
    )


class RectificationResultForm(FlaskForm):
    result = TextAreaField(
        _("Rectification result"),
        validators=[DataRequired(message=_("Describe the result.")), Length(max=TEXT_MAX)],
    )
    done_on = DateField(_("Done on"), validators=[Optional()])
    public = RadioField(
        _("Publish the result"),
        choices=[
            choice("yes", _("Yes: rectification results are published")),
            choice("no", _("No: the unit decided not to publish it (give the reason)")),
        ],
        default="yes",
        validators=[InputRequired()],
    )
    reason = TextAreaField(
        _("Reason for not publishing"), validators=[Optional(), Length(max=TEXT_MAX)]
    )


class AnswerForm(FlaskForm):
    answer = TextAreaField(
        _("Answer to the submitter"),
        validators=[DataRequired(message=_("Write the answer.")), Length(max=TEXT_MAX)],
    )
    answer_channel = SelectField(_("Answered by"), validators=[Optional()])
    answered_on = DateField(_("Answered on"), validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.answer_channel.choices = [
            choice("", gettext("Not delivered to the submitter (anonymous)")),
            *(choice(c, labels.answer_channel(c)) for c in ANSWER_CHANNELS),
        ]


class PublishForm(FlaskForm):
    public_question = TextAreaField(
        _("Public summary of the feedback"),
        validators=[
            DataRequired(message=_("Write what the feedback was about.")),
            Length(max=CONTENT_MAX),
        ],
        description=_(
            "Shown on the answers page instead of the submitter's words: leave out names and "
            "personal details."
        ),
    )
    include_answer = BooleanField(_("Publish the answer"), default=True)
