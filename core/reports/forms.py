"""Forms of the half-year reports (Flask-WTF, CSRF protected) and the words for their codes."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from core.i18n import _
from core.reports.models import MAX_NARRATIVE
from core.reports.workflow import NARRATIVE_LABELS
from core.web.forms import ConfirmForm as ConfirmForm

STATES = {
    "draft": _("Draft"),
    "submitted": _("Submitted, awaiting the superior"),
    "returned": _("Returned for changes"),
    "accepted": _("Accepted"),
    "missing": _("Missing: past its due date"),
    "none": _("Not prepared yet"),
}
STEP_LABELS = {
    "submit": _("Submit to the superior"),
    "accept": _("Accept"),
    "return": _("Return with a comment"),
}
NARRATIVE_HINTS = {
    "practices": _(
        "What the unit did well in disclosure this period: its practices and experience."
    ),
    "problems": _(
        "The problems found in the disclosure work (write “none found” if there were none)."
    ),
    "suggestions": _("Suggestions for deepening the disclosure work."),
}


def state(code: str) -> str:
    return str(STATES.get(code, code))


class NarrativeForm(FlaskForm):
    practices = TextAreaField(
        NARRATIVE_LABELS["practices"],
        validators=[Optional(), Length(max=MAX_NARRATIVE)],
        description=NARRATIVE_HINTS["practices"],
    )
    problems = TextAreaField(
        NARRATIVE_LABELS["problems"],
        validators=[Optional(), Length(max=MAX_NARRATIVE)],
        description=NARRATIVE_HINTS["problems"],
    )
    suggestions = TextAreaField(
        NARRATIVE_LABELS["suggestions"],
        validators=[Optional(), Length(max=MAX_NARRATIVE)],
        description=NARRATIVE_HINTS["suggestions"],
    )

    def to_data(self) -> dict[str, str]:
        return {name: self[name].data or "" for name in ("practices", "problems", "suggestions")}


class ReturnForm(FlaskForm):
    comment = TextAreaField(
        _("Comment to the unit"),
        validators=[DataRequired(message=_("Say what the unit should change.")), Length(max=2000)],
    )
