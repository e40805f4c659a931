"""Forms of the supervision pages (Flask-WTF, CSRF protected) and the words for its codes.

The forms check what a person can fix in the form itself; the operations remain the authority,
and their problems (``"deadline: ..."``) are put under the fields they name.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from core.i18n import _
from core.supervision.models import SUBJECT_MAX, TEXT_MAX
from core.web.forms import ConfirmForm as ConfirmForm
from core.web.forms import choice

KINDS = {"planned": _("Planned inspection"), "ad_hoc": _("Ad hoc inspection")}
INSPECTION_STATES = {
    "planned": _("Planned"),
    "underway": _("Underway"),
    "concluded": _("Concluded"),
    "cancelled": _("Cancelled"),
}
FINDING_STATES = {
    "open": _("Open: to rectify"),
    "answered": _("Answered: to check"),
    "closed": _("Closed"),
}
FLAG_KINDS = {
    "overdue_disclosure": _("Due and not disclosed"),
    "correction": _("Correction of false content"),
    "late_request": _("Disclosure request answered late"),
    "late_feedback": _("Feedback answered late"),
    "early_close": _("Attempt to close a notice early"),
    "secrecy_revocation": _("Secrecy incident (revoked for secrecy)"),
}
FLAG_STATES = {
    "open": _("To decide"),
    "confirmed": _("Confirmed as a finding"),
    "dismissed": _("Dismissed"),
    "resolved": _("Resolved by itself"),
}
FINDING_DECISIONS = {
    # "A finding of <unit> was %(decision)s"
    "closed": _("closed: the rectification is accepted"),
    "reopened": _("reopened: the rectification is not enough"),
}
STEP_LABELS = {
    "start": _("Start the inspection"),
    "conclude": _("Conclude the inspection"),
    "cancel": _("Cancel the inspection"),
}


def label(table: dict, code: str | None) -> str:
    return str(table.get(code, code or ""))


def kind(code: str) -> str:
    return label(KINDS, code)


def inspection_state(code: str) -> str:
    return label(INSPECTION_STATES, code)


def finding_state(code: str) -> str:
    return label(FINDING_STATES, code)


def flag_kind(code: str) -> str:
    return label(FLAG_KINDS, code)


def flag_state(code: str) -> str:
    return label(FLAG_STATES, code)


DEADLINE_HINT = _("The day by which the unit must have rectified it.")


class InspectionForm(FlaskForm):
    kind = SelectField(
        _("Kind"), choices=[choice(k, v) for k, v in KINDS.items()], default="planned"
    )
    target = SelectField(_("Unit inspected"), validators=[DataRequired()])
    subject = StringField(
        _("Subject"),
        validators=[
            DataRequired(message=_("Say what is inspected.")),
            Length(max=SUBJECT_MAX),
        ],
        description=_("For example: the disclosure of Party dues in the first half-year."),
    )
    basis = TextAreaField(
        _("What is checked, and on what basis"),
        validators=[Optional(), Length(max=TEXT_MAX)],
    )
    planned_on = DateField(
        _("Date"),
        validators=[DataRequired(message=_("Give the date (YYYY-MM-DD)."))],
        description=_("When it is planned; for an ad hoc inspection, the day it was held."),
    )
    inspector = SelectField(_("Inspector"), validators=[Optional()])


class ConfirmFlagForm(FlaskForm):
    """A finding's words and deadline (a flag confirmed as a finding)."""

    description = TextAreaField(
        _("What was found"),
        validators=[DataRequired(message=_("Describe what was found.")), Length(max=TEXT_MAX)],
    )
    requirement = TextAreaField(
        _("What must be rectified"), validators=[Optional(), Length(max=TEXT_MAX)]
    )
    deadline = DateField(
        _("Rectification deadline"), validators=[Optional()], description=DEADLINE_HINT
    )


class FindingForm(ConfirmFlagForm):
    """A finding of an inspection: the same, and the unit responsible for it."""

    unit = SelectField(_("Responsible unit"), validators=[DataRequired()])


class DismissFlagForm(FlaskForm):
    reason = TextAreaField(
        _("Why it is dismissed"),
        validators=[
            DataRequired(message=_("Give the reason for dismissing the flag.")),
            Length(max=TEXT_MAX),
        ],
    )


class AnswerForm(FlaskForm):
    rectification = TextAreaField(
        _("What was rectified"),
        validators=[
            DataRequired(message=_("Say what the unit rectified.")),
            Length(max=TEXT_MAX),
        ],
    )


class CloseFindingForm(FlaskForm):
    comment = TextAreaField(_("Comment"), validators=[Optional(), Length(max=TEXT_MAX)])


class ReopenFindingForm(FlaskForm):
    reopen_comment = TextAreaField(
        _("What is still missing"),
        validators=[
            DataRequired(message=_("Say why the finding is reopened.")),
            Length(max=TEXT_MAX),
        ],
    )
    new_deadline = DateField(
        _("New rectification deadline"), validators=[Optional()], description=DEADLINE_HINT
    )


class ConcludeForm(FlaskForm):
    summary = TextAreaField(
        _("Conclusion"),
        validators=[
            DataRequired(message=_("Write the conclusion of the inspection.")),
            Length(max=TEXT_MAX),
        ],
    )


class CancelForm(FlaskForm):
    reason = TextAreaField(
        _("Why it is cancelled"),
        validators=[
            DataRequired(message=_("Give the reason for cancelling.")),
            Length(max=TEXT_MAX),
        ],
    )
