"""Forms of member evaluation (Flask-WTF, CSRF protected) and the words for its codes.

The forms check what a person can fix in the form itself; the operations remain the authority,
and their problems (``"closes_on: ..."``) are put under the fields they name
(:func:`attach_problems`).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import gettext
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from core import i18n
from core.evaluation.labels import STATES as STATES
from core.evaluation.models import ANSWERS, OVERALL, RESULT_SCOPES
from core.evaluation.operations import MAX_COMMENT, MAX_CRITERIA, MAX_CRITERION, MAX_NOTE
from core.i18n import _
from core.web import forms as web_forms
from core.web.forms import LOCALES, TITLES, MultiCheckboxField, choice, localised_fields, texts
from core.web.forms import ConfirmForm as ConfirmForm

ANSWER_LABELS = {
    "satisfied": _("Satisfied"),
    "basically_satisfied": _("Basically satisfied"),
    "dissatisfied": _("Dissatisfied"),
}
RESULT_SCOPE_LABELS = {
    "public": _("Public: everyone, without signing in"),
    "party_wide": _("All Party members of the county"),
    "unit": _("Members of this organisation and its units, and its superiors"),
}
OVERALL_LABEL = _("Overall rating")
STEP_LABELS = {
    "open": _("Open the round"),
    "close": _("Close the round"),
    "publish": _("Publish the results"),
}


def state(code: str) -> str:
    return str(STATES.get(code, code))


def answer(code: str) -> str:
    return str(ANSWER_LABELS.get(code, code))


def result_scope(code: str) -> str:
    return str(RESULT_SCOPE_LABELS.get(code, code))


def criterion(round_, key: str, loc: str) -> str:
    return str(OVERALL_LABEL) if key == OVERALL else round_.criterion_label(key, loc)


def lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").replace("\r\n", "\n").split("\n") if line.strip()]


class RoundForm(FlaskForm):
    title_zh_Hans_CN, title_en, title_ug = localised_fields(
        StringField,
        TITLES,
        required=_("Write the title in Chinese."),
        max_length=200,
        descriptions={"zh_Hans_CN": _("For example: 2026年度党务公开工作党员评议.")},
    )
    note_zh_Hans_CN, note_en, note_ug = localised_fields(
        TextAreaField,
        {
            "zh_Hans_CN": _("Introduction in Chinese"),
            "en": _("Introduction in English"),
            "ug": _("Introduction in Uyghur"),
        },
        max_length=MAX_NOTE,
        descriptions={"zh_Hans_CN": _("Shown to the members above the rating form (optional).")},
    )
    opens_on = DateField(
        _("First day of rating"),
        validators=[InputRequired(message=_("Give the first day of rating."))],
    )
    closes_on = DateField(
        _("Last day of rating"),
        validators=[InputRequired(message=_("Give the last day of rating."))],
        description=_("The round closes by itself when this day is over."),
    )
    criteria_zh_Hans_CN = TextAreaField(
        _("Criteria in Chinese"),
        validators=[DataRequired(message=_("Give at least one criterion."))],
        description=_(
            "One criterion per line. Each is rated “satisfied”, “basically satisfied” or "
            "“dissatisfied”; an overall rating and a comment are always asked for."
        ),
    )
    criteria_en = TextAreaField(
        _("Criteria in English"),
        validators=[Optional()],
        description=_("Optional: the same criteria, one per line, in the same order."),
    )
    criteria_ug = TextAreaField(
        _("Criteria in Uyghur"),
        validators=[Optional()],
        description=_("Optional: the same criteria, one per line, in the same order."),
    )
    result_scope = RadioField(
        _("Who may read the published results"),
        validators=[InputRequired(message=_("Choose who may read the results."))],
        description=_("Comments are never published; the units' staff and yours read them."),
    )
    all_units = BooleanField(
        _("Every unit under this organisation (direct and indirect)"),
        description=_("Or choose the units below."),
    )
    units = MultiCheckboxField(_("Units evaluated"), validators=[Optional()])

    def __init__(self, *args, candidates, criterion_keys=(), **kwargs):
        super().__init__(*args, **kwargs)
        loc = i18n.locale()
        self.criterion_keys = list(criterion_keys)
        self.result_scope.choices = [choice(s, RESULT_SCOPE_LABELS[s]) for s in RESULT_SCOPES]
        self.units.choices = [choice(o.code, o.name(loc)) for o in candidates]

    def validate_closes_on(self, field):
        if isinstance(self.opens_on.data, date) and field.data and field.data < self.opens_on.data:
            raise ValidationError(gettext("The last day cannot come before the first day."))

    def validate_criteria_zh_Hans_CN(self, field):
        found = lines(field.data)
        if len(found) > MAX_CRITERIA:
            raise ValidationError(gettext("At most %(n)s criteria.", n=MAX_CRITERIA))
        if any(len(line) > MAX_CRITERION for line in found):
            raise ValidationError(
                gettext("A criterion has at most %(n)s characters.", n=MAX_CRITERION)
            )

    def _same_count(self, field):
        if (
            field.data
            and lines(field.data)
            and len(lines(field.data)) != len(lines(self.criteria_zh_Hans_CN.data))
        ):
            raise ValidationError(
                gettext("Give as many lines as the Chinese criteria, or leave it empty.")
            )

    validate_criteria_en = _same_count
    validate_criteria_ug = _same_count

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if not self.all_units.data and not self.units.data:
            self.units.errors = [*self.units.errors, gettext("Choose at least one unit.")]
            valid = False
        return valid

    def criteria(self) -> list[dict[str, Any]]:
        zh = lines(self.criteria_zh_Hans_CN.data)
        others = {loc: lines(getattr(self, f"criteria_{loc}").data) for loc in ("en", "ug")}
        out, used = [], set()
        for n, text in enumerate(zh):
            key = self.criterion_keys[n] if n < len(self.criterion_keys) else f"c{n + 1}"
            if key in used:
                key = f"c{n + 1}"
            used.add(key)
            texts = {"zh_Hans_CN": text}
            for loc, values in others.items():
                if n < len(values):
                    texts[loc] = values[n]
            out.append({"key": key, "labels": texts})
        return out

    def to_data(self) -> dict[str, Any]:
        return {
            "titles": texts(self, "title"),
            "notes": texts(self, "note"),
            "opens_on": self.opens_on.data,
            "closes_on": self.closes_on.data,
            "criteria": self.criteria(),
            "result_scope": self.result_scope.data,
            "all_units": bool(self.all_units.data),
            "units": list(self.units.data or []),
        }

    @staticmethod
    def initial(round_, unit_codes: list[str]) -> dict[str, Any]:
        data: dict[str, Any] = {
            "opens_on": round_.opens_on,
            "closes_on": round_.closes_on,
            "result_scope": round_.result_scope,
            "units": unit_codes,
        }
        for loc in LOCALES:
            data[f"title_{loc}"] = (round_.titles or {}).get(loc, "")
            data[f"note_{loc}"] = (round_.notes or {}).get(loc, "")
            data[f"criteria_{loc}"] = "\n".join(
                (c.get("labels") or {}).get(loc, "") for c in round_.criteria or []
            ).strip("\n")
        return data

    @staticmethod
    def defaults(criteria: list[dict[str, Any]], start: date, end: date) -> dict[str, Any]:
        data: dict[str, Any] = {"opens_on": start, "closes_on": end, "result_scope": "unit"}
        for loc in LOCALES:
            data[f"criteria_{loc}"] = "\n".join(c["labels"].get(loc, "") for c in criteria)
        return data


PROBLEM_FIELDS = {
    "title": "title_zh_Hans_CN",
    "note": "note_zh_Hans_CN",
    "criteria": "criteria_zh_Hans_CN",
    "opens_on": "opens_on",
    "closes_on": "closes_on",
    "result_scope": "result_scope",
    "units": "units",
    "comment": "comment",
}


def attach_problems(form: FlaskForm, problems: list[str]) -> list[str]:
    """Put each problem of an operation under its field (the answers of the rating form are its
    ``a_<criterion>`` fields); return the ones of no field."""
    answers = {name[2:]: name for name in form._fields if name.startswith("a_")}
    return web_forms.attach_problems(
        form, problems, {**answers, **PROBLEM_FIELDS}, localised={"title": "title", "note": "note"}
    )


class RateForm(FlaskForm):
    """The rating form; :func:`rate_form` adds one radio group per criterion of the round."""

    comment = TextAreaField(
        _("Comment (optional)"),
        validators=[Optional(), Length(max=MAX_COMMENT)],
        description=_(
            "Your opinions and suggestions for the unit. The comment is read by the unit and "
            "its superior; it is never published and never shown with your name."
        ),
    )

    def answers(self) -> dict[str, str]:
        return {key: getattr(self, f"a_{key}").data for key in self.keys}


def rate_form(round_, loc: str, **kwargs) -> RateForm:
    """A :class:`RateForm` with a required radio group for each criterion and the overall
    rating (field names ``a_<key>``)."""
    keys = [*round_.criterion_keys(), OVERALL]
    attrs = {
        f"a_{key}": RadioField(
            criterion(round_, key, loc),
            choices=[choice(a, ANSWER_LABELS[a]) for a in ANSWERS],
            validators=[InputRequired(message=_("Choose one answer."))],
        )
        for key in keys
    }
    form_class = type("RoundRateForm", (RateForm,), attrs)
    form = form_class(**kwargs)
    form.keys = keys
    form.answer_fields = [getattr(form, f"a_{key}") for key in keys]
    return form
