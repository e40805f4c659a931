"""Forms of the disclosure requests (Flask-WTF, CSRF protected) and the words for their codes.

The forms check what a person can fix in the form itself, with translated messages; the
operations remain the authority, and their problems (``"field: ..."``) are put under the fields
they name (:func:`attach_problems`).
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    IntegerField,
    MultipleFileField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from core.disclosure_requests.filing import EMAIL, MAX, PHONE
from core.disclosure_requests.labels import (  # noqa: F401 - the templates read them here
    CHANNEL_LABELS,
    DECLINE_LABELS,
    DELIVERY_LABELS,
    ESCALATION_LABELS,
    OUTCOME_HINTS,
    OUTCOMES,
    STATES,
    channel,
    delivery,
    escalation_state,
    outcome,
    reason,
    state,
)
from core.disclosure_requests.models import (
    DECLINE_REASONS,
    DELIVERIES,
    STAFF_CHANNELS,
)
from core.i18n import _
from core.web.forms import ConfirmForm as ConfirmForm
from core.web.forms import attach_problems as attach_problems
from core.web.forms import choice
from core.web.forms import text as text
from core.web.forms import uploads as uploads

# which fields each outcome's form shows (besides the always-present csrf token)
OUTCOME_FIELDS = {
    "already_public": ("public_item_id", "public_url", "answer"),
    "granted": ("answer", "attachments"),
    "granted_published": ("item_title", "answer"),
    "partly_granted": ("answer", "attachments", "declined_part", "reason_code", "explanation"),
    "declined": ("reason_code", "explanation"),
    "not_held": ("explanation", "referred_org", "referred_to"),
    "not_this_unit": ("referred_org", "referred_to", "explanation"),
    "unclear": ("explanation",),
    "duplicate": ("duplicate_of", "explanation"),
}


# --- filing ----------------------------------------------------------------------------------


class RequestForm(FlaskForm):
    """What an applicant files (REQ-1)."""

    content = TextAreaField(
        _("What information do you request?"),
        validators=[
            DataRequired(message=_("Describe the information you request.")),
            Length(max=MAX["content"]),
        ],
        description=_("Describe the documents or facts as precisely as you can."),
    )
    purpose = TextAreaField(
        _("Purpose"),
        validators=[
            DataRequired(message=_("Say what you need the information for.")),
            Length(max=MAX["purpose"]),
        ],
    )
    contact_phone = StringField(_("Phone"), validators=[Optional(), Length(max=MAX["phone"])])
    contact_email = StringField(_("E-mail"), validators=[Optional(), Length(max=MAX["email"])])
    contact_address = StringField(
        _("Postal address"), validators=[Optional(), Length(max=MAX["address"])]
    )
    delivery = RadioField(
        _("How would you like to receive it?"),
        choices=[choice(code, DELIVERY_LABELS[code]) for code in DELIVERIES],
        default="electronic",
        validators=[InputRequired(message=_("Choose how you would like to receive it."))],
    )

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        phone, email, address = (
            text(self.contact_phone), text(self.contact_email), text(self.contact_address)
        )  # fmt: skip
        if phone and not PHONE.match(phone):
            self.contact_phone.errors.append(gettext("Use digits, spaces, +, - and brackets only."))
            valid = False
        if email and not EMAIL.match(email):
            self.contact_email.errors.append(gettext("This is not an e-mail address."))
            valid = False
        if not (phone or email or address):
            self.contact_phone.errors.append(
                gettext("Give a phone number, an e-mail address or a postal address.")
            )
            valid = False
        if self.delivery.data == "electronic" and not email:
            self.contact_email.errors.append(
                gettext("Electronic delivery needs an e-mail address.")
            )
            valid = False
        if self.delivery.data == "paper" and not address:
            self.contact_address.errors.append(gettext("Delivery on paper needs a postal address."))
            valid = False
        return valid

    def to_data(self) -> dict[str, Any]:
        return {
            "content": text(self.content),
            "purpose": text(self.purpose),
            "contact_phone": text(self.contact_phone),
            "contact_email": text(self.contact_email),
            "contact_address": text(self.contact_address),
            "delivery": self.delivery.data,
        }


class RecordForm(RequestForm):
    """An oral, paper or letter request recorded by staff for the applicant."""

    applicant_name = StringField(
        _("Applicant's name"),
        validators=[Optional(), Length(max=MAX["name"])],
        description=_("Required unless you name the applicant's account below."),
    )
    applicant_username = StringField(
        _("Applicant's account (user name, optional)"),
        validators=[Optional(), Length(max=80)],
        description=_("If the applicant has an account, they see the request and its answer."),
    )
    channel = RadioField(
        _("Received"),
        choices=[choice(code, CHANNEL_LABELS[code]) for code in STAFF_CHANNELS],
        default="oral",
        validators=[InputRequired(message=_("Choose how the request was received."))],
    )
    received_on = DateField(
        _("Received on"),
        validators=[InputRequired(message=_("Give the day the request was received."))],
        description=_("The deadline is counted from this day."),
    )

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if not text(self.applicant_name) and not text(self.applicant_username):
            self.applicant_name.errors.append(gettext("Give the applicant's name."))
            valid = False
        return valid

    def to_data(self) -> dict[str, Any]:
        return {
            **super().to_data(),
            "applicant_name": text(self.applicant_name),
            "applicant_username": text(self.applicant_username),
            "channel": self.channel.data,
            "received_on": self.received_on.data,
        }


# --- the unit's steps ------------------------------------------------------------------------


class RejectForm(FlaskForm):
    reason = TextAreaField(
        _("Why is this not a disclosure request?"),
        validators=[DataRequired(message=_("Give the reason.")), Length(max=MAX["text"])],
        description=_("The applicant reads it; it is filed with the superior organisation."),
    )


class ExtendForm(FlaskForm):
    days = IntegerField(
        _("Extension (working days)"),
        validators=[InputRequired(message=_("Give the number of working days."))],
    )
    reason = TextAreaField(
        _("Reason for the extension"),
        validators=[
            DataRequired(message=_("An extension needs a reason.")),
            Length(max=MAX["text"]),
        ],
        description=_("The applicant is told, with the new deadline. Only one extension."),
    )


class ConsultForm(FlaskForm):
    third_party = StringField(
        _("Third party"),
        validators=[DataRequired(message=_("Name the third party.")), Length(max=200)],
    )
    question = TextAreaField(
        _("What is the third party asked?"),
        validators=[DataRequired(message=_("Write the question.")), Length(max=MAX["text"])],
        description=_("The clock is paused until the consultation ends."),
    )


class EndConsultForm(FlaskForm):
    opinion = TextAreaField(
        _("The third party's opinion"), validators=[Optional(), Length(max=MAX["text"])]
    )


class DecisionForm(FlaskForm):
    """The fields of every outcome; each outcome's form shows its own (``OUTCOME_FIELDS``)."""

    answer = TextAreaField(
        _("Answer"),
        validators=[Optional(), Length(max=MAX["text"])],
        description=_("What the applicant is given (for a partial grant: what is granted)."),
    )
    attachments = MultipleFileField(
        _("Documents for the applicant"),
        description=_("PDF, images or office documents, up to 20 MB each."),
    )
    declined_part = TextAreaField(
        _("What is declined"), validators=[Optional(), Length(max=MAX["text"])]
    )
    reason_code = SelectField(_("Reason"), validators=[Optional()])
    explanation = TextAreaField(
        _("Written explanation"), validators=[Optional(), Length(max=MAX["text"])]
    )
    public_item_id = SelectField(_("Published item"), validators=[Optional()])
    public_url = StringField(
        _("Or the address where it is public"),
        validators=[Optional(), Length(max=MAX["url"])],
    )
    item_title = StringField(
        _("Title of the item to publish"), validators=[Optional(), Length(max=MAX["short"])]
    )
    referred_org = SelectField(_("The organisation responsible"), validators=[Optional()])
    referred_to = StringField(_("Or name it"), validators=[Optional(), Length(max=MAX["short"])])
    duplicate_of = StringField(
        _("Number of the earlier request"),
        validators=[Optional(), Length(max=20)],
        description=_("e.g. 2026-0003"),
    )

    def __init__(self, *args, published=(), organisations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.reason_code.choices = [
            choice("", _("Choose…")),
            *(choice(code, DECLINE_LABELS[code]) for code in DECLINE_REASONS),
        ]
        self.public_item_id.choices = [choice("", _("Choose…")), *published]
        self.referred_org.choices = [choice("", _("Choose…")), *organisations]

    def to_data(self) -> dict[str, Any]:
        return {
            "answer": text(self.answer),
            "declined_part": text(self.declined_part),
            "reason_code": self.reason_code.data or None,
            "explanation": text(self.explanation),
            "public_item_id": self.public_item_id.data or None,
            "public_url": text(self.public_url),
            "item_title": text(self.item_title),
            "referred_org": self.referred_org.data or None,
            "referred_to": text(self.referred_to),
            "duplicate_of": text(self.duplicate_of),
        }


class AcknowledgeForm(FlaskForm):
    note = TextAreaField(_("Note (optional)"), validators=[Optional(), Length(max=MAX["text"])])


class ReviewForm(FlaskForm):
    """The superior's decision on an escalation."""

    decision = RadioField(
        _("Decision"),
        choices=[
            choice("uphold", _("Uphold the unit's decision")),
            choice("reconsider", _("Order the unit to reconsider (new deadline)")),
        ],
        validators=[InputRequired(message=_("Choose the decision."))],
    )
    comment = TextAreaField(
        _("Comment"),
        validators=[Optional(), Length(max=MAX["text"])],
        description=_("Required when the unit must reconsider: tell it what to look at."),
    )

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.decision.data == "reconsider" and not text(self.comment):
            self.comment.errors.append(gettext("Tell the unit what to reconsider."))
            valid = False
        return valid


# --- the applicant's steps -------------------------------------------------------------------


class AmendForm(FlaskForm):
    amendment = TextAreaField(
        _("Your amendment"),
        validators=[
            DataRequired(message=_("Write what you want to make clear.")),
            Length(max=MAX["content"]),
        ],
    )


class EscalateForm(FlaskForm):
    grounds = TextAreaField(
        _("Why should the superior organisation review it?"),
        validators=[
            DataRequired(message=_("Say why the superior should review it.")),
            Length(max=MAX["content"]),
        ],
    )
